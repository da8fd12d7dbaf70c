#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need on Debian 12, as root:
# the build dependencies, unbound (the cluster DNS), etcd 3.4 (Debian 12's
# etcd-server) and an etcd 3.5 unpacked from the next Debian suite's package,
# fetched through the apt sources already configured on this machine, and an etcd 3.6
# (etcd and etcdctl) built with the Go at hand (go on PATH, else /usr/local/go/bin/go)
# from the Go module proxy, pinned by test/etcd36/{server,etcdctl}/go.{mod,sum}.
# Everything is cached under $EI_CACHE (default /var/cache/etcd-init), Go's module and
# build caches included ($EI_CACHE/go); nothing is written into the repository.
# Idempotent. Logs to stderr; prints exactly these lines on stdout, for eval:
#   export EI_ETCD35_BIN=...
#   export EI_ETCDCTL35_BIN=...
#   export EI_ETCD36_BIN=...
#   export EI_ETCDCTL36_BIN=...
set -euo pipefail

packages=(meson ninja-build pkg-config gcc libc6-dev libc-ares-dev libcurl4-openssl-dev libjson-c-dev libmicrohttpd-dev libgnutls28-dev
	libssl-dev iptables unbound etcd-server etcd-client iproute2 procps psmisc curl openssl jq bind9-dnsutils)
cache=${EI_CACHE:-/var/cache/etcd-init}
suite35=${EI_ETCD35_SUITE:-trixie}

log() { printf 'setup: %s\n' "$*" >&2; }

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
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
	apt-get "${opts[@]}" update -q >&2
	(cd "$work" && apt-get "${opts[@]}" download etcd-server etcd-client >&2)
	for deb in "$work"/etcd-server_*.deb "$work"/etcd-client_*.deb; do
		dpkg-deb -x "$deb" "$etcd35"
	done
fi
"$etcd35/usr/bin/etcd" --version 2>&1 | sed -n 1p >&2 || true

# etcd 3.6: each binary is built into a temporary name and renamed when complete, so
# an interrupted build leaves no half binary behind; it is rebuilt only when missing.
version36=3.6.16
etcd36=$cache/etcd-$version36
src36=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/etcd36
for tool in etcd etcdctl; do
	[[ ! -x $etcd36/$tool ]] || continue
	gobin=$(command -v go || true)
	[[ -n $gobin ]] || gobin=/usr/local/go/bin/go
	if [[ ! -x $gobin ]]; then
		log "cannot build etcd $version36: no Go toolchain (neither go on PATH nor $gobin)"
		exit 1
	fi
	pkg=$src36/etcdctl
	[[ $tool != etcd ]] || pkg=$src36/server
	log "building $tool $version36 into $etcd36 with $("$gobin" version) (about a minute without cached Go modules)"
	mkdir -p "$etcd36"
	start=$SECONDS
	(
		cd "$pkg"
		export GOPATH=$cache/go GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build GOWORK=off CGO_ENABLED=0
		"$gobin" build -mod=readonly -modcacherw -buildvcs=false -trimpath -o "$etcd36/.$tool.partial" .
	) >&2
	mv -f "$etcd36/.$tool.partial" "$etcd36/$tool"
	log "built $tool $version36 in $((SECONDS - start)) s"
done
"$etcd36/etcd" --version 2>&1 | sed -n 1p >&2 || true

printf 'export EI_ETCD35_BIN=%q\n' "$etcd35/usr/bin/etcd"
printf 'export EI_ETCDCTL35_BIN=%q\n' "$etcd35/usr/bin/etcdctl"
printf 'export EI_ETCD36_BIN=%q\n' "$etcd36/etcd"
printf 'export EI_ETCDCTL36_BIN=%q\n' "$etcd36/etcdctl"
