#!/usr/bin/env bash
# Makes the local base images docker/Dockerfile builds on where no registry is
# reachable (as root, with a Docker engine):
#   etcd-init-base/debian:bookworm  Debian 12 minbase (debootstrap --variant=minbase, from
#                                   the archive in this machine's apt sources), for the
#                                   builder stage and the Debian target
#   etcd-init-base/etcd:v3.6.16     a stand-in for the official etcd image with its layout:
#                                   distroless/static's files (CA certificates, /etc/passwd
#                                   with root, nonroot and nobody, /tmp) and the static
#                                   etcd and etcdctl in /usr/local/bin, WORKDIR
#                                   /var/lib/etcd/, CMD ["/usr/local/bin/etcd"], no shell
# Elsewhere, pass the real images to docker build instead (README, "Images").
#
#   docker/base-images.sh [ETCD_DIR]   ETCD_DIR holds etcd and etcdctl (static Go
#                                      binaries; default $EI_CACHE/etcd-3.6.16, which
#                                      test/setup.sh builds)
# Idempotent: an image that exists is kept; the debootstrap root is cached in
# $EI_CACHE/images. One line per step on stderr; the rest in $EI_CACHE/images/build.log.
set -euo pipefail

cache=${EI_CACHE:-/var/cache/etcd-init}
etcd_version=3.6.16
etcd_dir=${1:-$cache/etcd-$etcd_version}
debian_image=etcd-init-base/debian:bookworm
etcd_image=etcd-init-base/etcd:v$etcd_version
work=$cache/images
log=$work/build.log

say() { printf 'base-images: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

mkdir -p "$work"
: >>"$log"

if ! have_image "$debian_image"; then
	tarball=$work/debian-bookworm-minbase.tar
	if [[ ! -s $tarball ]]; then
		command -v debootstrap >/dev/null || {
			say "installing debootstrap"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >>"$log" 2>&1 ||
				die "apt-get install debootstrap failed: see $log"
		}
		# The archive this machine's apt already uses; never a host written here.
		uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
		[[ -n $uri ]] || uri=$(awk '/^deb / && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
		[[ -n $uri ]] || die "no Debian archive in /etc/apt/sources.list{,.d/debian.sources}"
		root=$work/debian-root
		rm -rf "$root"
		say "debootstrap --variant=minbase bookworm from $uri (a minute or two)"
		debootstrap --variant=minbase bookworm "$root" "$uri" >>"$log" 2>&1 || die "debootstrap failed: see $log"
		rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
		tar -C "$root" --numeric-owner -cf "$tarball.partial" . && mv "$tarball.partial" "$tarball"
		rm -rf "$root"
	fi
	say "importing $debian_image"
	docker import --change 'CMD ["/bin/bash"]' "$tarball" "$debian_image" >>"$log"
fi

if ! have_image "$etcd_image"; then
	for tool in etcd etcdctl; do
		[[ -x $etcd_dir/$tool ]] || die "no $etcd_dir/$tool (run test/setup.sh, or name a directory holding etcd and etcdctl)"
		file_out=$(od -An -c -N4 "$etcd_dir/$tool" | tr -d ' ')
		[[ $file_out == 177ELF ]] || die "$etcd_dir/$tool is not an ELF binary"
	done
	root=$(mktemp -d "$work/etcd-root.XXXXXX")
	trap 'rm -rf "$root"' EXIT
	mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/tmp" "$root/var/lib/etcd" \
		"$root/var/etcd" "$root/home/nonroot"
	chmod 1777 "$root/tmp"
	install -m 0755 "$etcd_dir/etcd" "$etcd_dir/etcdctl" "$root/usr/local/bin/"
	cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null || : >"$root/etc/ssl/certs/ca-certificates.crt"
	cat >"$root/etc/passwd" <<-PASSWD
		root:x:0:0:root:/root:/sbin/nologin
		nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
		nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
	PASSWD
	printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$root/etc/group"
	say "importing $etcd_image (etcd $("$etcd_dir/etcd" --version 2>/dev/null | sed -n 's/^etcd Version: //p'), no shell)"
	tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . |
		docker import --change 'CMD ["/usr/local/bin/etcd"]' --change 'WORKDIR /var/lib/etcd/' \
			--change 'EXPOSE 2379 2380' - "$etcd_image" >>"$log"
fi
say "base images: $debian_image, $etcd_image"
