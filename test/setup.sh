#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need on Debian 12, as root:
# the build dependencies, unbound (the cluster DNS), etcd 3.4 (Debian 12's
# etcd-server) and an etcd 3.5 unpacked from the next Debian suite's package,
# fetched through the apt sources already configured on this machine.
# Idempotent; prints the etcd 3.5 directory on its last line.
set -euo pipefail

packages=(meson ninja-build pkg-config gcc libc6-dev libc-ares-dev libcurl4-openssl-dev libjson-c-dev
	libssl-dev unbound etcd-server etcd-client iproute2 procps psmisc curl openssl jq bind9-dnsutils)
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
echo "$etcd35"
