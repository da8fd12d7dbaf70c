#!/usr/bin/env bash
# Builds what the test suite's single-node Kubernetes needs, once, into
# ${EI_CACHE:-/var/cache/etcd-init}/kubernetes/:
#   bin/    kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl
#           (k8s.io/kubernetes v1.34.4, one `go build` so the compiles are shared),
#           crictl (cri-tools v1.34.0), coredns (v1.12.4), pause (static C, pause.c);
#   images/ pause.tar and coredns.tar: hand-made OCI layouts for `ctr images import`
#           (no registry here), refs localhost/pause:3.10 and localhost/coredns:1.12.4.
# The Go modules are pinned by test/kubernetes/build/{kubernetes,crictl,coredns}/go.{mod,sum};
# Go's caches are the project's ($EI_CACHE/go, as test/setup.sh). A stamp (the hash of those
# files, the versions and flags, pause.c, mkimage.sh) makes a second run instant. Installs the Debian packages
# the cluster needs when missing (no service is started by the install).
# A cold build takes 11-15 minutes on 2 cores (nice 19). One line per step on stderr, the
# details in $EI_CACHE/kubernetes/build.log. Prints nothing on stdout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${EI_CACHE:-/var/cache/etcd-init}
top=$cache/kubernetes
bin=$top/bin
images=$top/images
logf=$top/build.log
k8s_version=v1.34.4
crictl_version=v1.34.0
coredns_version=1.12.4
packages=(containernetworking-plugins conntrack nfacct socat busybox-static containerd runc iptables iproute2 util-linux
	openssl curl gcc libc6-dev)

log() { printf 'k8s-build: %s\n' "$*" >&2; }
die() {
	log "$*"
	[[ ! -s $logf ]] || tail -n 15 "$logf" | sed 's/^/k8s-build:   /' >&2
	exit 1
}

mkdir -p "$top"
: >>"$logf"
exec 9>"$top/build.lock"
flock 9

# Debian packages: quietly, and without starting the services they bring (containerd).
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	log "installing ${missing[*]} (apt's output: $logf)"
	policy=/usr/sbin/policy-rc.d
	own_policy=false
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# test/kubernetes/build.sh: no service starts while it installs\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=true
	fi
	ok=true
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
		>>"$logf" 2>&1 || ok=false
	! $own_policy || rm -f "$policy"
	$ok || die "apt-get failed"
fi

minor=${k8s_version#v1.}
minor=${minor%%.*}
ld="-s -w -X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1"
ld+=" -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
ld+=" -X k8s.io/client-go/pkg/version.gitVersion=$k8s_version -X k8s.io/component-base/version.buildDate=2026-01-01T00:00:00Z"
crictl_ld="-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$crictl_version"
# The stamp: what the outputs are made of (versions, flags, pinned modules, sources).
stamp=$(printf '%s\n' "$ld" "$crictl_ld" "$coredns_version" |
	cat - "$here/images/pause.c" "$here/images/mkimage.sh" "$here"/build/*/go.mod "$here"/build/*/go.sum | sha256sum | cut -c1-16)
if [[ -f $bin/.stamp && $(<"$bin/.stamp") == "$stamp" ]]; then
	log "binaries and images up to date in $top (stamp $stamp)"
	exit 0
fi

gobin=$(command -v go || true)
[[ -n $gobin ]] || gobin=/usr/local/go/bin/go
[[ -x $gobin ]] || die "no Go toolchain (neither go on PATH nor /usr/local/go/bin/go)"
export GOPATH=$cache/go GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false
rm -f "$bin/.stamp"
mkdir -p "$bin" "$images"

# go_build MODDIR LDFLAGS PACKAGE...: builds into $bin, one `go build` for all packages.
go_build()
{
	local dir=$1 ldflags=$2
	shift 2
	(cd "$here/build/$dir" && nice -n 19 "$gobin" build -mod=readonly -modcacherw -trimpath -ldflags "$ldflags" -o "$bin/" "$@") >>"$logf" 2>&1
}

start=$SECONDS
log "building Kubernetes $k8s_version (6 commands; 10-15 minutes cold, nice 19; output in $logf)"
go_build kubernetes "$ld" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
	k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy \
	k8s.io/kubernetes/cmd/kubectl || die "building Kubernetes failed"
log "built Kubernetes in $((SECONDS - start)) s"

start=$SECONDS
log "building crictl $crictl_version"
go_build crictl "$crictl_ld" sigs.k8s.io/cri-tools/cmd/crictl ||
	die "building crictl failed"
log "built crictl in $((SECONDS - start)) s"

start=$SECONDS
log "building coredns $coredns_version"
go_build coredns "-s -w" github.com/coredns/coredns || die "building coredns failed"
log "built coredns in $((SECONDS - start)) s"

log "building pause (static C)"
gcc -static -O2 -o "$bin/pause.partial" "$here/images/pause.c" >>"$logf" 2>&1 || die "building pause failed"
mv -f "$bin/pause.partial" "$bin/pause"

# Images: a one-layer OCI layout each, the binary at the root of the image.
log "making the pause and coredns images in $images"
work=$(mktemp -d "$top/image.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/pause" "$work/coredns/etc/coredns"
cp "$bin/pause" "$work/pause/pause"
cp "$bin/coredns" "$work/coredns/coredns"
"$here/images/mkimage.sh" localhost/pause:3.10 "$work/pause" "$images/pause.tar" '["/pause"]' >>"$logf" 2>&1 ||
	die "making the pause image failed"
"$here/images/mkimage.sh" "localhost/coredns:$coredns_version" "$work/coredns" "$images/coredns.tar" '["/coredns"]' >>"$logf" 2>&1 ||
	die "making the coredns image failed"

echo "$stamp" >"$bin/.stamp"
log "done: $bin ($(du -sh "$bin" | cut -f1)), Go caches $(du -sh "$cache/go" | cut -f1)"
