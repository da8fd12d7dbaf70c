#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need on Debian 12, as root:
# the build dependencies, unbound (the cluster DNS), etcd 3.4 (Debian 12's
# etcd-server) and an etcd 3.5 unpacked from the next Debian suite's package,
# fetched through the apt sources already configured on this machine, and an etcd 3.6
# (etcd and etcdctl) built with the Go at hand (go on PATH, else /usr/local/go/bin/go)
# from the Go module proxy, pinned by test/etcd36/{server,etcdctl}/go.{mod,sum}.
# Everything is cached under $EI_CACHE (default /var/cache/etcd-init), Go's module and
# build caches included ($EI_CACHE/go); nothing is written into the repository.
# Idempotent. One line per step on stderr, the full output (apt, go) in $EI_CACHE/setup.log;
# prints exactly these lines on stdout, for eval:
#   export EI_ETCD35_BIN=...
#   export EI_ETCDCTL35_BIN=...
#   export EI_ETCD36_BIN=...
#   export EI_ETCDCTL36_BIN=...
#   export EI_K8S_VALIDATE=...
set -euo pipefail

packages=(meson ninja-build pkg-config gcc libc6-dev libc-ares-dev libcurl4-openssl-dev libjson-c-dev libmicrohttpd-dev libgnutls28-dev
	libssl-dev iptables unbound etcd-server etcd-client iproute2 procps psmisc curl openssl jq bind9-dnsutils
	shellcheck yamllint docker.io docker-compose debootstrap clang libclang-rt-14-dev)
# Services these packages would start and enable on a systemd machine: a system etcd on
# 127.0.0.1:2379 and a system unbound, which nothing here uses (the tests run their own,
# in their own network namespaces). Installed with policy-rc.d saying "do not start",
# then disabled. Docker's engine is wanted: it is started (test/integration/docker.sh).
unwanted_services=(etcd unbound unbound-resolvconf)
cache=${EI_CACHE:-/var/cache/etcd-init}
suite35=${EI_ETCD35_SUITE:-trixie}

log() { printf 'setup: %s\n' "$*" >&2; }
mkdir -p "$cache"
setup_log=$cache/setup.log
: >>"$setup_log"

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	log "installing ${#missing[@]} packages (${missing[*]}); apt's output: $setup_log"
	export DEBIAN_FRONTEND=noninteractive
	policy=/usr/sbin/policy-rc.d
	own_policy=false
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# test/setup.sh: no service starts while it installs\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=true
	fi
	ok=true
	apt-get update -q >>"$setup_log" 2>&1 && apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$setup_log" 2>&1 || ok=false
	! $own_policy || rm -f "$policy"
	$ok || { log "apt-get failed: see $setup_log"; tail -5 "$setup_log" >&2; exit 1; }
	if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
		for svc in "${unwanted_services[@]}"; do
			for p in "${missing[@]}"; do
				# Only what this run installed: a service the machine had stays as it was.
				if [[ ($svc == etcd && $p == etcd-server) || ($svc == unbound* && $p == unbound) ]]; then
					systemctl disable --now "$svc" >>"$setup_log" 2>&1 || true
					log "disabled the $svc service the package installs (the tests run their own)"
				fi
			done
		done
		if [[ " ${missing[*]} " == *" docker.io "* ]]; then
			systemctl enable --now docker >>"$setup_log" 2>&1 || true
		fi
	fi
fi

etcd35=$cache/etcd-$suite35
if [[ ! -x $etcd35/usr/bin/etcd ]]; then
	log "fetching etcd-server from Debian $suite35 into $etcd35"
	work=$cache/apt-$suite35
	mkdir -p "$work/lists/partial" "$work/archives/partial" "$etcd35"
	# Reuse the archive URI this machine already uses for Debian, with another suite.
	uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[[ -n $uri ]] || uri=$(awk '/^deb / && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
	echo "deb $uri $suite35 main" >"$work/sources.list"
	opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$work/lists" -o "Dir::Cache::Archives=$work/archives"
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root)
	{ apt-get "${opts[@]}" update -q && (cd "$work" && apt-get "${opts[@]}" download etcd-server etcd-client); } >>"$setup_log" 2>&1 ||
		{ log "fetching etcd from $suite35 failed: see $setup_log"; exit 1; }
	for deb in "$work"/etcd-server_*.deb "$work"/etcd-client_*.deb; do
		dpkg-deb -x "$deb" "$etcd35"
	done
fi
"$etcd35/usr/bin/etcd" --version >>"$setup_log" 2>&1 || true

# go_build SRC OUT: the Go module in SRC built with the Go at hand (go on PATH, else
# /usr/local/go/bin/go) into OUT, through a temporary name renamed when complete (an
# interrupted build leaves no half binary), Go's caches in $cache/go.
go_build()
{
	local src=$1 out=$2 gobin
	gobin=$(command -v go || true)
	[[ -n $gobin ]] || gobin=/usr/local/go/bin/go
	if [[ ! -x $gobin ]]; then
		log "cannot build $out: no Go toolchain (neither go on PATH nor $gobin)"
		exit 1
	fi
	mkdir -p "$(dirname "$out")"
	(
		cd "$src"
		export GOPATH=$cache/go GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build GOWORK=off CGO_ENABLED=0
		"$gobin" build -mod=readonly -modcacherw -buildvcs=false -trimpath -o "$out.partial" .
	) >>"$setup_log" 2>&1 || { log "building $out failed: see $setup_log"; exit 1; }
	mv -f "$out.partial" "$out"
}

# etcd 3.6: each binary is built only when missing.
version36=3.6.16
etcd36=$cache/etcd-$version36
src36=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/etcd36
for tool in etcd etcdctl; do
	[[ ! -x $etcd36/$tool ]] || continue
	pkg=$src36/etcdctl
	[[ $tool != etcd ]] || pkg=$src36/server
	log "building $tool $version36 into $etcd36 (about a minute without cached Go modules)"
	start=$SECONDS
	go_build "$pkg" "$etcd36/$tool"
	log "built $tool $version36 in $((SECONDS - start)) s"
done
"$etcd36/etcd" --version >>"$setup_log" 2>&1 || true

# The manifests' validator (test/k8s-validate: kustomize and the Kubernetes API's own
# types, pinned by its go.sum), rebuilt when its sources change.
kv_src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/k8s-validate
kv_dir=$cache/k8s-validate-$(cat "$kv_src/go.mod" "$kv_src/go.sum" "$kv_src/main.go" | sha256sum | cut -c1-12)
if [[ ! -x $kv_dir/k8s-validate ]]; then
	log "building test/k8s-validate (kustomize, k8s.io/api, cert-manager's types; a minute or two the first time)"
	go_build "$kv_src" "$kv_dir/k8s-validate"
fi

printf 'export EI_ETCD35_BIN=%q\n' "$etcd35/usr/bin/etcd"
printf 'export EI_ETCDCTL35_BIN=%q\n' "$etcd35/usr/bin/etcdctl"
printf 'export EI_ETCD36_BIN=%q\n' "$etcd36/etcd"
printf 'export EI_ETCDCTL36_BIN=%q\n' "$etcd36/etcdctl"
printf 'export EI_K8S_VALIDATE=%q\n' "$kv_dir/k8s-validate"
