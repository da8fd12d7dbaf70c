#!/usr/bin/env bash
# Benchmark: prints figures, asserts nothing (these machines are noisy).
#   ./test/bench.sh [3.4|3.5|3.6] [rounds]   (default 3.4, 3 rounds)
# For restart, bootstrap and join: the time from launcher start to exec (a fake etcd
# records the moment it starts) and the peak RSS (the fake etcd reads its maxrss, which
# Linux keeps across execve), for the dynamic binary and the static one
# (docker/build-static.sh, its libraries cached in $EI_CACHE/static). Then both binaries'
# sizes, and the time from start to a healthy
# cluster for a cold 3-pod start with etcd-init beside the same start with the official
# manifest's static flags (DNS published before the pods start, in both cases).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
version=${1:-3.4}
rounds=${2:-3}

envs=$(bash test/setup.sh) || exit 1
eval "$envs"
if [[ ! -d build-bench ]]; then
	meson setup build-bench -Dbuildtype=release -Dwerror=true >/dev/null || exit 1
fi
meson compile -C build-bench cmd/etcd-init:executable test/fake-etcd:executable >/dev/null || exit 1
ETCD_INIT=$PWD/build-bench/cmd/etcd-init
FAKE_ETCD=$PWD/build-bench/test/fake-etcd
static_prefix=${EI_CACHE:-/var/cache/etcd-init}/static
echo "building the static binary (docker/build-static.sh; the first time takes minutes)" >&2
bash docker/build-static.sh all "$PWD" "$PWD/build-bench-static" "$static_prefix" || exit 1
STATIC_INIT=$PWD/build-bench-static/cmd/etcd-init
DYNAMIC_INIT=$ETCD_INIT

source test/integration/lib.sh
ei_env_setup "$version" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "n/a")}'; }

# row CASE FILE: one table row from FILE's "<ms> <kB>" lines.
row()
{
	printf '%-20s %12s %14s\n' "$1" "$(cut -d' ' -f1 "$2" | median)" "$(cut -d' ' -f2 "$2" | median)"
}

# to_exec N REPORT ARGS...: start etcd-init in pod N with the fake etcd; print
# "<ms from start to exec> <maxrss kB>".
to_exec()
{
	local n=$1 report=$2 t0 started
	shift 2
	rm -f "$report"
	EI_POD_ENV=("FAKE_ETCD_REPORT=$report")
	t0=$(date +%s%3N)
	pod_start "$n" "$ETCD_INIT" --etcd "$FAKE_ETCD" --data-dir "$(pod_data "$n")" \
		--wait-timeout 60s "$@"
	wait_for 60 test -s "$report" || { echo "n/a n/a"; return 1; }
	pod_wait_exit "$n" 10 >/dev/null
	started=$(awk '$1 == "started_ms" {print $2}' "$report")
	echo "$((started - t0)) $(awk '$1 == "maxrss_kb" {print $2}' "$report")"
	EI_POD_ENV=()
}

printf 'etcd %s, %d rounds each, median shown\n\n' "$version" "$rounds"
printf '%-20s %12s %14s\n' case "to exec (ms)" "peak RSS (kB)"

# measure LABEL: the bootstrap, restart and join rows of $ETCD_INIT.
measure()
{
	local label=$1 id i
	# bootstrap: a one-member cluster (no peer to ask: no wait at all; pod 1 of an
	# earlier join is not in DNS, or it would be a peer to ask).
	pod_create 0 >/dev/null 2>&1
	dns_unpublish 1 >/dev/null 2>&1
	dns_publish 0
	: >"$EI_RUN/boot"
	for ((i = 0; i < rounds; i++)); do
		rm -rf "$(pod_data 0)" && mkdir -p "$(pod_data 0)"
		to_exec 0 "$EI_RUN/report" --initial-cluster-size 1 >>"$EI_RUN/boot"
	done
	row "bootstrap $label" "$EI_RUN/boot"

	# restart: a data dir with a WAL (made by real etcd), no peer answering.
	rm -rf "$(pod_data 0)" && mkdir -p "$(pod_data 0)" && chmod 700 "$(pod_data 0)"
	pod_start 0 "$DYNAMIC_INIT" --etcd "$ETCD_BIN" --data-dir "$(pod_data 0)" --initial-cluster-size 1
	wait_healthy "0" 60 >/dev/null
	pod_stop 0
	: >"$EI_RUN/restart"
	for ((i = 0; i < rounds; i++)); do
		to_exec 0 "$EI_RUN/report" --initial-cluster-size 1 >>"$EI_RUN/restart"
	done
	row "restart $label" "$EI_RUN/restart"

	# join: pod 1 joins the running one-member cluster of pod 0 (learner add, then exec).
	pod_start 0 "$DYNAMIC_INIT" --etcd "$ETCD_BIN" --data-dir "$(pod_data 0)" --initial-cluster-size 1
	wait_healthy "0" 60 >/dev/null
	pod_create 1 >/dev/null 2>&1
	dns_publish 1
	: >"$EI_RUN/join"
	for ((i = 0; i < rounds; i++)); do
		rm -rf "$(pod_data 1)" && mkdir -p "$(pod_data 1)"
		to_exec 1 "$EI_RUN/report" --initial-cluster-size 1 >>"$EI_RUN/join"
		# Remove the unstarted learner the fake etcd never served, for the next round.
		id=$(member_list_json 0 | jq -r '.members[] | select(.name == null or .name == "") | .ID')
		[[ -n $id ]] && ectl 0 member remove "$(printf %x "$id")" >/dev/null
		sleep 1.1
	done
	row "join $label" "$EI_RUN/join"
	pod_stop 0
	pod_stop 1
}
ETCD_INIT=$DYNAMIC_INIT measure "(dynamic)"
ETCD_INIT=$STATIC_INIT measure "(static)"
ETCD_INIT=$DYNAMIC_INIT

for b in dynamic static; do
	f=$DYNAMIC_INIT
	[[ $b == dynamic ]] || f=$STATIC_INIT
	printf '%-8s binary: %s bytes (stripped: %s bytes)%s\n' "$b" "$(stat -c %s "$f")" \
		"$(strip -o "$EI_RUN/stripped" "$f" && stat -c %s "$EI_RUN/stripped")" \
		"$([[ $b == dynamic ]] && printf ', plus %s shared libraries' "$(ldd "$f" | grep -c '=>')")"
done

# Cold 3-pod start to healthy: etcd-init vs static flags.
# all_healthy_fast: every pod's /health (metrics port) says true; polled every 20 ms with
# curl (etcdctl's own start-up and dial timeout would blur the figure by up to a second).
all_healthy_fast()
{
	local deadline=$(($(date +%s%3N) + 120000)) n ok
	while (($(date +%s%3N) < deadline)); do
		ok=1
		for n in 0 1 2; do
			curl -s -m 1 "http://$(pod_ip "$n"):8080/health" 2>/dev/null | grep -q '"health":"true"' || {
				ok=0
				break
			}
		done
		((ok)) && return 0
		sleep 0.02
	done
	return 1
}

cold()
{
	local kind=$1 n t0
	for n in 0 1 2; do
		pod_stop "$n" >/dev/null 2>&1
		pod_create "$n" >/dev/null 2>&1
		rm -rf "$(pod_data "$n")" && mkdir -p "$(pod_data "$n")" && chmod 700 "$(pod_data "$n")"
		dns_publish "$n"
	done
	t0=$(date +%s%3N)
	for n in 0 1 2; do
		if [[ $kind == etcd-init ]]; then
			pod_start "$n" "$ETCD_INIT" --etcd "$ETCD_BIN" --data-dir "$(pod_data "$n")"
		else
			static_pod_start "$n" 3
		fi
	done
	all_healthy_fast || { echo n/a; return; }
	echo $(($(date +%s%3N) - t0))
	for n in 0 1 2; do pod_stop "$n" >/dev/null 2>&1; done
}
printf '\n%-28s %s\n' "cold 3-pod start" "to healthy (ms, /health of all 3)"
for kind in static etcd-init; do
	: >"$EI_RUN/cold"
	for ((i = 0; i < rounds; i++)); do cold "$kind" >>"$EI_RUN/cold"; done
	printf '%-28s %s\n' "$kind" "$(median <"$EI_RUN/cold")"
done
