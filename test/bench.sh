#!/usr/bin/env bash
# Benchmark: prints figures, asserts nothing (these machines are noisy).
#   ./test/bench.sh [3.4|3.5|3.6] [rounds]   (default 3.4, 3 rounds)
# For restart, bootstrap and join: the time from launcher start to exec (a fake etcd
# records the moment it starts) and the peak RSS (the fake etcd reads its maxrss, which
# Linux keeps across execve), for the dynamic binary and the static one
# (docker/build-static.sh, its libraries cached in $EI_CACHE/static). Then both binaries'
# sizes, and the time from start to a healthy
# cluster for a cold 3-pod start with etcd-init beside the same start with the official
# manifest's static flags (DNS published before the pods start, in both cases), and the
# same two with the records published late (pod N's at +0.5 s * (N + 1) after the first
# pod's start). Last, scale 3 -> 5 with etcd-init: a 3-member cluster holding 10 000 keys
# (how long they took to write is shown too), then pods 3 and 4 published and started at
# once: the time to 5 healthy voters.
# EI_KEEP=1 keeps the run dir: the pods' logs and $EI_RUN/bench-marks (the start of each
# timed round, epoch ms, for reading the logs' timestamps against).
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
# all_healthy_fast [PODS]: every listed pod's /health (metrics port) says true (default
# "0 1 2"); polled every 20 ms with curl (etcdctl's own start-up and dial timeout would
# blur the figure by up to a second).
# all_healthy PODS: every pod's /health says true, now.
all_healthy()
{
	local n
	for n in $1; do
		curl -s -m 1 "http://$(pod_ip "$n"):8080/health" 2>/dev/null | grep -q '"health":"true"' ||
			return 1
	done
}
all_healthy_fast()
{
	local pods=${1:-0 1 2} deadline=$(($(date +%s%3N) + 120000))
	while (($(date +%s%3N) < deadline)); do
		all_healthy "$pods" && return 0
		sleep 0.02
	done
	return 1
}

# mark CASE: notes the start of a timed round in $EI_RUN/bench-marks ("<epoch ms> CASE").
mark()
{
	echo "$(date +%s%3N) $1" >>"$EI_RUN/bench-marks"
}

# cold_pod_start KIND N: pod N with etcd-init (KIND etcd-init) or with the official
# manifest's static flags (KIND static) for a 3-member cluster.
cold_pod_start()
{
	if [[ $1 == etcd-init ]]; then
		pod_start "$2" "$ETCD_INIT" --etcd "$ETCD_BIN" --data-dir "$(pod_data "$2")"
	else
		static_pod_start "$2" 3
	fi
}

# cold_pods_fresh: pods 0-2 stopped, created if they are not, their volumes empty.
cold_pods_fresh()
{
	local n
	for n in 0 1 2; do
		pod_stop "$n" >/dev/null 2>&1
		pod_create "$n" >/dev/null 2>&1
		rm -rf "$(pod_data "$n")" && mkdir -p "$(pod_data "$n")" && chmod 700 "$(pod_data "$n")"
	done
}

# cold KIND: 3 pods with empty volumes, DNS published first; prints the ms from the
# first pod's start to all 3 healthy.
cold()
{
	local kind=$1 n t0
	cold_pods_fresh
	for n in 0 1 2; do dns_publish "$n"; done
	t0=$(date +%s%3N)
	mark "cold $kind"
	for n in 0 1 2; do cold_pod_start "$kind" "$n"; done
	all_healthy_fast || { echo n/a; return; }
	echo $(($(date +%s%3N) - t0))
	for n in 0 1 2; do pod_stop "$n" >/dev/null 2>&1; done
}

# sleep_until MS: sleeps until the epoch time MS (ms), if it is still ahead.
sleep_until()
{
	local left=$(($1 - $(date +%s%3N)))
	((left > 0)) && sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
	return 0
}

# publish_late T0: publishes pod N's records (its A record and its SRV targets, as
# dns_publish makes them) at T0 + 0.5 s * (N + 1), N = 0, 1, 2 (T0 in epoch ms).
publish_late()
{
	local t0=$1 n
	for n in 0 1 2; do
		sleep_until $((t0 + 500 * (n + 1)))
		dns_publish "$n"
	done
}

# cold_late KIND: like cold, but the pods start before their DNS records exist, which
# publish_late publishes meanwhile (polled at the same time: a cluster may be healthy
# before the last record is there); prints the ms from the first pod's start to all 3
# healthy.
cold_late()
{
	local kind=$1 n t0 publisher result=n/a
	cold_pods_fresh
	for n in 0 1 2; do dns_unpublish "$n" >/dev/null 2>&1; done
	t0=$(date +%s%3N)
	mark "cold-late $kind"
	publish_late "$t0" &
	publisher=$!
	for n in 0 1 2; do cold_pod_start "$kind" "$n"; done
	all_healthy_fast && result=$(($(date +%s%3N) - t0))
	wait "$publisher"
	echo "$result"
	for n in 0 1 2; do pod_stop "$n" >/dev/null 2>&1; done
}
printf '\n%-28s %s\n' "cold 3-pod start" "to healthy (ms, /health of all 3)"
for kind in static etcd-init; do
	: >"$EI_RUN/cold"
	for ((i = 0; i < rounds; i++)); do cold "$kind" >>"$EI_RUN/cold"; done
	printf '%-28s %s\n' "$kind" "$(median <"$EI_RUN/cold")"
done
for kind in static etcd-init; do
	: >"$EI_RUN/cold"
	for ((i = 0; i < rounds; i++)); do cold_late "$kind" >>"$EI_RUN/cold"; done
	printf '%-28s %s\n' "$kind (late records)" "$(median <"$EI_RUN/cold")"
done

# Scale 3 -> 5 with etcd-init.
bench_keys=10000

# gw N PATH BODY: POSTs BODY (JSON) to pod N's JSON gateway; prints the answer.
gw()
{
	curl -s -m 2 -X POST -d "$3" "http://$(pod_ip "$1"):2379$2"
}

# load_keys N: writes the $bench_keys keys bench/<i> (100-byte values) through pod N,
# 128 puts per txn (etcd's default --max-txn-ops), one curl per txn; prints the ms it
# took, fails unless every txn was answered and the keys are all there.
load_keys()
{
	local n=$1 t0 body count
	[[ -s $EI_RUN/txns ]] ||
		jq -nc --argjson count "$bench_keys" '[range(0; $count)] | _nwise(128) |
			{success: [.[] | {requestPut: {key: ("bench/\(.)" | @base64),
				value: ("v" * 100 | @base64)}}]}' >"$EI_RUN/txns" || return 1
	t0=$(date +%s%3N)
	while IFS= read -r body; do
		gw "$n" /v3/kv/txn "$body" | grep -q '"header"' || return 1
	done <"$EI_RUN/txns"
	echo $(($(date +%s%3N) - t0))
	# bench/ to bench0 (exclusive): every bench/<i>.
	count=$(gw "$n" /v3/kv/range '{"key":"YmVuY2gv","range_end":"YmVuY2gw","count_only":true}' |
		jq -r '.count // 0')
	[[ $count == "$bench_keys" ]]
}

# voters_fast COUNT: pods 0..COUNT-1 all healthy (their /health says true) and pod 0's
# member list (its JSON gateway) has COUNT members, none a learner; polled every 20 ms.
voters_fast()
{
	local count=$1 deadline=$(($(date +%s%3N) + 180000)) n pods=""
	for ((n = 0; n < count; n++)); do pods+=" $n"; done
	while (($(date +%s%3N) < deadline)); do
		gw 0 /v3/cluster/member/list '{}' 2>/dev/null |
			jq -e --argjson count "$count" \
				'(.members | length) == $count and all(.members[]; .isLearner != true)' \
				>/dev/null 2>&1 && all_healthy "$pods" && return 0
		sleep 0.02
	done
	return 1
}

# scale_launch N: etcd-init in pod N, with the launch arguments of
# test/integration/scale.sh (the set's size comes from DNS).
scale_launch()
{
	pod_start "$1" "$ETCD_INIT" --etcd "$ETCD_BIN" --data-dir "$(pod_data "$1")" --wait-timeout 120s
}

# scale_up: a fresh 3-member cluster of etcd-init pods holding the $bench_keys keys, then
# pods 3 and 4 published in DNS and started at once; prints "<ms from their start to 5
# healthy voters> <ms to write the keys>". They start 6 s after the cluster is healthy at
# the earliest: etcd refuses a member add as "unhealthy cluster" until its members have
# been connected for 5 s, which a cluster scaled in production has long been.
scale_up()
{
	local n t0 load healthy
	for n in 0 1 2 3 4; do
		pod_stop "$n" >/dev/null 2>&1
		pod_create "$n" >/dev/null 2>&1
		rm -rf "$(pod_data "$n")" && mkdir -p "$(pod_data "$n")" && chmod 700 "$(pod_data "$n")"
	done
	for n in 3 4; do dns_unpublish "$n" >/dev/null 2>&1; done
	for n in 0 1 2; do dns_publish "$n"; done
	for n in 0 1 2; do scale_launch "$n"; done
	all_healthy_fast "0 1 2" || { echo "n/a n/a"; return; }
	healthy=$(date +%s%3N)
	load=$(load_keys 0) || { echo "n/a ${load:-n/a}"; return; }
	sleep_until $((healthy + 6000))
	for n in 3 4; do dns_publish "$n"; done
	t0=$(date +%s%3N)
	mark "scale-up"
	for n in 3 4; do scale_launch "$n"; done
	voters_fast 5 || { echo "n/a $load"; return; }
	echo "$(($(date +%s%3N) - t0)) $load"
	for n in 0 1 2 3 4; do pod_stop "$n" >/dev/null 2>&1; done
}
printf '\n%-28s %20s %16s\n' "scale 3 -> 5 ($bench_keys keys)" "to 5 voters (ms)" "keys load (ms)"
: >"$EI_RUN/scale"
for ((i = 0; i < rounds; i++)); do scale_up >>"$EI_RUN/scale"; done
printf '%-28s %20s %16s\n' etcd-init "$(cut -d' ' -f1 "$EI_RUN/scale" | median)" \
	"$(cut -d' ' -f2 "$EI_RUN/scale" | median)"
