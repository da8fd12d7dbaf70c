#!/usr/bin/env bash
# The images and the compose cluster, for real, with the Docker engine of this machine
# (started here when none answers):
#  - docker/base-images.sh's local base images; `docker build` of the static, debian
#    and default (official etcd image) targets;
#  - the static binary in a FROM scratch image (no libc, no NSS files, no shell)
#    resolves its name through c-ares on Docker's DNS and execs /usr/local/bin/etcd (a
#    static fake etcd that prints its argv);
#  - docker/compose.yaml: 3 members form one healthy cluster with their names appearing
#    in Docker's DNS as the containers start; a member stopped and started keeps its
#    data; a member whose volume is wiped is replaced; a 4th service joins as a learner
#    and ends a voter; `etcd-init plan` runs through `compose exec` in the distroless
#    image (no shell needed).
# Needs: docker, docker-compose (v1, Debian 12's) or the compose plugin, test/setup.sh's
# cache (etcd 3.6 and the static libraries, built here when missing).
# shellcheck source-path=SCRIPTDIR disable=SC2317 # functions called through ok and wait_for
set -u
source "$(dirname "$0")/lib.sh"

repo=$(cd "$(dirname "$0")/../.." && pwd)
project=eitest$$
net=eitest$$-net
image=etcd-init:test
work=$(mktemp -d /tmp/ei-docker.XXXXXX)
EI_RUN=$work # ok's scratch files

if docker compose version >/dev/null 2>&1; then
	compose=(docker compose)
else
	compose=(docker-compose)
fi
dc() { ETCD_INIT_IMAGE=$image "${compose[@]}" -p "$project" -f "$repo/docker/compose.yaml" "$@"; }

cleanup()
{
	dc --profile scale down -v --remove-orphans >/dev/null 2>&1
	docker rm -f "$project-scratch" >/dev/null 2>&1
	docker network rm "$net" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

# A Docker engine: this machine's, or one started here (a fresh Debian machine).
if ! docker info >/dev/null 2>&1; then
	diag "no Docker engine answers: starting dockerd"
	(dockerd >"$work/dockerd.log" 2>&1 &)
	wait_for 60 docker info >/dev/null 2>&1 || bail_out "dockerd did not start: $(tail -5 "$work/dockerd.log")"
fi
ok "a Docker engine answers" docker info

# Base images and builds: layers are cached by the engine, so only the first run
# builds the static libraries (several minutes).
ok "base images (debootstrap minbase, the etcd stand-in)" bash "$repo/docker/base-images.sh"
for target in static debian etcd; do
	tag=$image
	[[ $target == etcd ]] || tag=$image-$target
	ok "docker build --target $target" bash -c "docker build -q -f '$repo/docker/Dockerfile' \
		--target '$target' -t '$tag' '$repo' >'$work/build-$target.log' 2>&1 || \
		{ tail -30 '$work/build-$target.log'; false; }"
done
like "$(docker run --rm "$image" --version 2>&1)" '^etcd-init [0-9.]+ .*nghttp2' \
	"the default image runs etcd-init (ENTRYPOINT)"
like "$(docker run --rm --entrypoint /usr/local/bin/etcd "$image" --version 2>&1)" \
	'etcd Version: 3\.6\.' "the default image holds etcd 3.6"
ok "the default image has no shell" bash -c "! docker run --rm --entrypoint /bin/sh '$image' -c true 2>/dev/null"
like "$(docker run --rm --entrypoint /bin/sh "$image-debian" -c 'etcd-init --version; etcdctl version')" \
	'etcd-init .*etcdctl version: 3\.6\.' "the debian image has a shell, etcd-init and etcdctl"

# The image's static binary through the cold-start scenario (etcd 3.6, the harness's
# pods, unbound and real etcd), as the dynamic one is.
docker rm -f "$project-static" >/dev/null 2>&1
docker create --name "$project-static" "$image-static" >/dev/null &&
	docker cp "$project-static:/usr/local/bin/etcd-init" "$work/etcd-init-static"
docker rm -f "$project-static" >/dev/null 2>&1
like "$(ldd "$work/etcd-init-static" 2>&1)" 'not a dynamic executable' "the image's etcd-init is static"
if [[ -n ${ETCD_PROBE:-} && -n ${DNS_PROBE:-} ]]; then
	ok "the static binary passes the cold-start scenario (etcd 3.6)" env ETCD_INIT="$work/etcd-init-static" \
		ETCD_VERSION_UNDER_TEST=3.6 bash "$repo/test/integration/cold-start.sh"
else
	skip "the static binary passes the cold-start scenario" "needs the harness's tools (run it under meson test)"
fi

# FROM scratch: the static etcd-init and a static fake etcd, nothing else.
gcc -static -O2 -o "$work/fake-etcd" "$repo/test/tools/fake-etcd.c" || bail_out "cannot build a static fake etcd"
cat >"$work/Dockerfile.scratch" <<EOF
FROM $image-static
COPY fake-etcd /usr/local/bin/etcd
EOF
ok "a FROM scratch image with the static binary and a fake etcd" \
	docker build -q -f "$work/Dockerfile.scratch" -t "$image-scratch" "$work"
docker network create --internal "$net" >/dev/null
out=$(docker run --rm --name "$project-scratch" --hostname etcd-0 --network "$net" \
	--network-alias etcd-0 --tmpfs /data -e PEER_HOST='{name}' -e INITIAL_CLUSTER_SIZE=1 \
	"$image-scratch" 2>&1)
printf '%s\n' "$out" >"$work/scratch.out"
like "$out" 'own name resolves to this pod.* name=etcd-0 ' \
	"scratch: etcd-init resolved its name with c-ares on Docker's DNS (no NSS in the image)"
like "$out" 'argv --initial-cluster=etcd-0=http://etcd-0:2380' \
	"scratch: and execed /usr/local/bin/etcd with the assembled flags"
like "$out" 'argv --initial-cluster-state=new' "scratch: a one-member cluster bootstraps"
unlike "$out" 'refused: the static build' "scratch: no NSS call was made"
ok "scratch: the image holds no libc and no NSS files" bash -c "! docker create --name '$project-scratch' \
	'$image-scratch' >/dev/null || ! docker export '$project-scratch' | tar -t | \
	grep -E 'libc\\.so|nsswitch|/bin/sh'; docker rm '$project-scratch' >/dev/null"

# docker-compose: three members on Docker's DNS.
ok "compose.yaml parses" dc config -q
ok "compose up" dc up -d
ectl() { dc exec -T etcd-0 etcdctl "$@"; }
voters() { ectl member list -w json 2>/dev/null | jq '[.members[] | select(.isLearner != true and (.name // "") != "")] | length'; }
healthy() { [[ $(ectl endpoint health --cluster 2>&1 | grep -c 'is healthy') == "$1" ]]; }
ok "compose: 3 healthy members" wait_for 120 healthy 3
is "$(voters)" 3 "compose: 3 voters"
ok "compose: a key is written" ectl put k v
# Each started etcd as a bootstrap, or as its listed member when the others' bootstrap
# came first (a held "joining the bootstrap" that a look 3 s later saw published); at
# least one bootstrapped.
boots=0
for n in 0 1 2; do
	started=$(dc logs --no-color "etcd-$n" 2>&1 | sed -nE 's/^.* msg="starting etcd" action=([^ ]*).*$/\1/p' | head -n 1)
	like "$started" '^(bootstrap|start-existing)$' "compose: etcd-$n started as a bootstrap or its listed member ($started)"
	[[ $started != bootstrap ]] || boots=$((boots + 1))
done
ok "compose: at least one bootstrapped ($boots)" test "$boots" -ge 1

# Stop and start one member: its volume keeps the data, it restarts on it.
id1=$(ectl member list -w json | jq -r '.members[] | select(.name == "etcd-1") | .ID')
ok "compose: stop etcd-1" dc stop etcd-1
ok "compose: start etcd-1" dc start etcd-1
ok "compose: 3 healthy again" wait_for 90 healthy 3
is "$(ectl member list -w json | jq -r '.members[] | select(.name == "etcd-1") | .ID')" "$id1" \
	"compose: etcd-1 kept its member ID"
like "$(dc logs --no-color etcd-1 2>&1)" 'action=restart' "compose: etcd-1 restarted on its data"

# Wipe one member's volume: it is replaced (remove, then join as a learner).
wipe_etcd2() { dc rm -sf etcd-2 && docker volume rm "${project}_etcd-2"; }
ok "compose: remove etcd-2 and its volume" wipe_etcd2
ok "compose: etcd-2 again, on an empty volume" dc up -d etcd-2
ok "compose: 3 healthy after the replacement" wait_for 120 healthy 3
like "$(dc logs --no-color etcd-2 2>&1)" 'action=replace' "compose: etcd-2 was replaced"
is "$(dc exec -T etcd-2 etcdctl get k --print-value-only 2>/dev/null | tr -d '\r')" v "compose: the new etcd-2 serves the key"

# A fourth member beyond the initial three: a learner, then a voter.
ok "compose: etcd-3 up (profile scale)" dc --profile scale up -d etcd-3
four_voters() { [[ $(voters) == 4 ]]; }
ok "compose: 4 voters" wait_for 150 four_voters
like "$(dc logs --no-color etcd-3 2>&1)" 'action=join' "compose: etcd-3 joined"

# plan through exec, in the distroless image.
plan=$(dc exec -T etcd-0 etcd-init plan 2>&1)
like "$plan" 'decision +restart' "compose exec etcd-0 etcd-init plan: restart, in an image without a shell"
done_testing
