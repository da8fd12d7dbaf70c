#!/usr/bin/env bash
# Imports images into the test cluster's private containerd (namespace k8s.io; no
# registry exists, every pod uses imagePullPolicy Never or finds the image present):
#   images.sh infra   the pause and coredns images build.sh made (setup.sh runs this)
#   images.sh         the etcd-init images, built with Docker from the repository first
#                     (Docker's layer cache makes an unchanged rebuild a few seconds):
#     localhost/etcd-init:3.6   docker/Dockerfile's default target: the etcd 3.6 stand-in
#                               base (docker/base-images.sh) with etcd-init, no shell
#     localhost/etcd-init:3.5   its "debian" target with ETCD_IMAGE the etcd 3.5 stand-in
#                               etcd-init-test/etcd:v3.5 (images/etcd35.Dockerfile;
#                               etcd 3.5 from test/setup.sh: EI_ETCD35_BIN, default
#                               $EI_CACHE/etcd-trixie/usr/bin/etcd)
# The first build of etcd-init's builder stage takes ~10 minutes (static libraries).
# One line per step on stderr, details in $EI_CACHE/kubernetes/images.log.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
ei_log_prefix=k8s-images
# shellcheck source=common.sh
. "$here/common.sh"

ilog=$k8s_top/images.log
mkdir -p "$k8s_top"
: >>"$ilog"
[[ -S $containerd_sock ]] || die "no containerd at $containerd_sock: run test/kubernetes/setup.sh first"

# import_docker IMAGE: docker save | ctr import.
import_docker()
{
	local start=$SECONDS
	docker save "$1" | ctr_k8s images import - >>"$ilog" 2>&1 || die "importing $1 failed: see $ilog"
	log "imported $1 ($(docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%d MB", $1 / 1e6}'), $((SECONDS - start)) s)"
}

# docker_build WHAT ARGS...: docker build, its output in the log.
docker_build()
{
	local what=$1 start=$SECONDS
	shift
	log "docker build: $what (output in $ilog)"
	docker build "$@" >>"$ilog" 2>&1 || die "docker build of $what failed: see $ilog"
	log "built $what in $((SECONDS - start)) s"
}

if [[ ${1:-} == infra ]]; then
	for tar in "$k8s_images/pause.tar" "$k8s_images/coredns.tar"; do
		[[ -s $tar ]] || die "no $tar: run test/kubernetes/build.sh"
		ctr_k8s images import "$tar" >>"$ilog" 2>&1 || die "importing $tar failed: see $ilog"
	done
	log "imported localhost/pause:3.10, localhost/coredns:1.12.4"
	exit 0
fi

command -v docker >/dev/null || die "no docker"
if ! docker image inspect etcd-init-base/debian:bookworm etcd-init-base/etcd:v3.6.16 >/dev/null 2>&1; then
	log "making the base images (docker/base-images.sh)"
	bash "$repo/docker/base-images.sh" 2>>"$ilog" || die "docker/base-images.sh failed: see $ilog"
fi
docker_build "localhost/etcd-init:3.6 (default target)" -f "$repo/docker/Dockerfile" -t localhost/etcd-init:3.6 "$repo"

etcd35=${EI_ETCD35_BIN:-$ei_cache/etcd-trixie/usr/bin/etcd}
etcdctl35=${EI_ETCDCTL35_BIN:-$(dirname "$etcd35")/etcdctl}
[[ -x $etcd35 && -x $etcdctl35 ]] || die "no etcd 3.5 at $etcd35 / $etcdctl35: run test/setup.sh"
version35=$("$etcd35" --version | sed -n 's/^etcd Version: //p')
[[ $version35 == 3.5.* ]] || die "$etcd35 is etcd $version35, not 3.5"
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$etcd35" "$etcdctl35" "$context/"
docker_build "etcd-init-test/etcd:v3.5 (etcd $version35 stand-in)" -f "$here/images/etcd35.Dockerfile" -t etcd-init-test/etcd:v3.5 "$context"
docker_build "localhost/etcd-init:3.5 (debian target, etcd $version35)" -f "$repo/docker/Dockerfile" --target debian \
	--build-arg ETCD_IMAGE=etcd-init-test/etcd:v3.5 -t localhost/etcd-init:3.5 "$repo"

import_docker localhost/etcd-init:3.6
import_docker localhost/etcd-init:3.5
