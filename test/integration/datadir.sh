#!/usr/bin/env bash
# Integration test of lib/datadir.c against REAL etcd data dirs (TAP).
#
# For etcd 3.4 (/usr/bin), 3.5 and 3.6 ($EI_ETCD35_BIN, $EI_ETCD36_BIN, else from
# test/setup.sh), on 127.0.0.1:
#   - a single member: the WAL gives the member and cluster IDs etcdctl reports,
#     read while etcd runs (and holds its WAL lock) and after it stopped;
#   - --wal-dir outside the data dir: read there, and <data-dir>/member/wal is empty;
#   - a 3-member cluster: each WAL gives its own member ID and the shared cluster ID;
#   - a start that fails (--initial-cluster-state=existing, nobody to join): no WAL,
#     even though etcd leaves member/snap/db behind (etcd-facts §2.1).
# Needs WAL_PROBE and TEST_DIR (meson sets both; see test/meson.build). By hand:
#   WAL_PROBE=build/test/wal-probe TEST_DIR=test bash test/integration/datadir.sh
set -uo pipefail

: "${WAL_PROBE:?set WAL_PROBE to the wal-probe binary}"
: "${TEST_DIR:?set TEST_DIR to the test/ source directory}"

# etcd reads ETCD_* variables as flags; none of the caller's may leak in.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^ETCD(CTL)?_')

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}
diag() { printf '# %s\n' "$@"; }
# check DESC GOT WANT
check() {
	if [[ $2 == "$3" ]]; then
		ok "$1"
	else
		not_ok "$1"
		diag "  got:  $2" "  want: $3"
	fi
}

work=$(mktemp -d /tmp/ei-datadir-it.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The whole script must finish well inside meson's 300 s.
deadline=$((SECONDS + 270))
time_left() { ((SECONDS < deadline)); }

# A free TCP port on 127.0.0.1 in 24000-24999, not handed out before in this run.
used_ports=" "
# free_port VAR: stores in VAR a port that no listener uses and that was not handed out
# before. Not run in a subshell ($(...)), so the record of handed-out ports survives.
free_port() {
	local -n out=$1
	local p tries=0
	while ((tries++ < 500)); do
		p=$((24000 + RANDOM % 1000))
		[[ " $used_ports " == *" $p "* ]] && continue
		if ! ss -Htln "sport = :$p" | grep -q .; then
			used_ports+=" $p"
			# shellcheck disable=SC2034 # a nameref: the caller's variable
			out=$p
			return 0
		fi
	done
	return 1
}

# start_etcd NAME LOG ARGS... : start etcd in the background; sets $last_pid.
start_etcd() {
	local name=$1 log=$2
	shift 2
	"$ETCD" --name "$name" "$@" >"$log" 2>&1 &
	last_pid=$!
	pids+=("$last_pid")
}

# wait_healthy PID ENDPOINT: until `etcdctl endpoint health` answers (30 s at most).
wait_healthy() {
	local pid=$1 ep=$2 until=$((SECONDS + 30))
	while ((SECONDS < until)) && time_left; do
		kill -0 "$pid" 2>/dev/null || return 1
		"$ETCDCTL" --endpoints="$ep" --command-timeout=2s endpoint health >/dev/null 2>&1 &&
			return 0
		sleep 0.2
	done
	return 1
}

# stop_etcd PID: SIGTERM, then SIGKILL after 10 s.
stop_etcd() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# A decimal uint64 as lowercase hex (bash's printf handles the full 64 bits).
hex() { printf '%x' "$1"; }

# ids ENDPOINT NAME: prints "<member hex> <cluster hex>" of the member NAME. The
# JSON holds IDs as decimal numbers, read here without a float-parsing tool (jq
# would round them). The member ID must agree between `endpoint status` (the
# answering member) and `member list` (by name), and with the table output.
ids() {
	local ep=$1 name=$2 status list table s_mid s_cid l_mid t_mid
	status=$("$ETCDCTL" --endpoints="$ep" --command-timeout=5s -w json endpoint status) || return 1
	list=$("$ETCDCTL" --endpoints="$ep" --command-timeout=5s -w json member list) || return 1
	table=$("$ETCDCTL" --endpoints="$ep" --command-timeout=5s member list) || return 1
	s_mid=$(grep -o '"member_id":[0-9]*' <<<"$status" | head -1 | cut -d: -f2)
	s_cid=$(grep -o '"cluster_id":[0-9]*' <<<"$status" | head -1 | cut -d: -f2)
	# member list -w json: ..."members":[{"ID":<dec>,"name":"<name>",...
	l_mid=$(grep -o '"ID":[0-9]*,"name":"'"$name"'"' <<<"$list" | head -1 | sed 's/"ID":\([0-9]*\),.*/\1/')
	t_mid=$(awk -F', ' -v n="$name" '$3 == n {print $1}' <<<"$table")
	if [[ -z $s_mid || -z $s_cid || -z $l_mid ]]; then
		diag "cannot read IDs: status=$status list=$list" >&2
		return 1
	fi
	# shellcheck disable=SC2055 # three values: any disagreement is one
	if [[ $(hex "$s_mid") != "$(hex "$l_mid")" || $(hex "$s_mid") != "$t_mid" ]]; then
		diag "member ID disagreement: status=$s_mid list=$l_mid table=$t_mid" >&2
		return 1
	fi
	echo "$(hex "$s_mid") $(hex "$s_cid")"
}

probe() { "$WAL_PROBE" "$@" 2>"$work/probe.err" || echo "wal-probe failed: $(cat "$work/probe.err")"; }

dump_logs() {
	local f
	for f in "$@"; do
		diag "--- tail of $f"
		while IFS= read -r l; do diag "$l"; done < <(tail -n 15 "$f")
	done
}

run_version() {
	local v=$1 dir cp pp mid cid got want log pid
	local -a cps pps dirs names logs cpids mids cids
	local i ic dead f

	diag "etcd $v: $("$ETCD" --version | head -1)"

	# --- single member ------------------------------------------------------
	dir=$work/$v-single
	free_port cp && free_port pp || { not_ok "$v: no free port"; return; }
	log=$work/$v-single.log
	start_etcd s1 "$log" --data-dir "$dir" \
		--listen-client-urls "http://127.0.0.1:$cp" --advertise-client-urls "http://127.0.0.1:$cp" \
		--listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
		--initial-cluster "s1=http://127.0.0.1:$pp" --initial-cluster-state new \
		--initial-cluster-token "ei-$v-single-$RANDOM"
	pid=$last_pid
	if wait_healthy "$pid" "http://127.0.0.1:$cp" && read -r mid cid < <(ids "http://127.0.0.1:$cp" s1); then
		ok "$v single: etcd healthy, member $mid cluster $cid"
		want="has_wal=1 has_metadata=1 member_id=$mid cluster_id=$cid snap_db=1"
		check "$v single: WAL read while etcd runs" "$(probe "$dir")" "$want"
		# Write past the 64 MB segment size so that etcd cuts a second WAL file
		# (wal.go cut), whose head carries the metadata with a chained CRC.
		head -c 1000000 /dev/zero | tr '\0' x >"$work/value"
		for ((i = 0; i < 70; i++)); do
			"$ETCDCTL" --endpoints="http://127.0.0.1:$cp" --command-timeout=10s \
				put "k$i" <"$work/value" >/dev/null || break
		done
		stop_etcd "$pid"
		check "$v single: WAL read after etcd stopped" "$(probe "$dir")" "$want"
		mkdir -p "$work/$v-seg2"
		for f in "$dir"/member/wal/0000000000000001-*.wal; do
			ln "$f" "$work/$v-seg2/" 2>/dev/null
		done
		if compgen -G "$work/$v-seg2/*.wal" >/dev/null; then
			check "$v single: a later WAL segment alone (older ones purged) gives the same IDs" \
				"$(probe "$dir" "$work/$v-seg2")" "$want"
		else
			not_ok "$v single: etcd cut a second WAL segment"
			diag "$(ls -l "$dir/member/wal")"
		fi
		rm -rf "$work/$v-seg2" "$work/value"
	else
		not_ok "$v single: etcd did not become healthy"
		dump_logs "$log"
		stop_etcd "$pid"
	fi

	# --- --wal-dir outside the data dir ------------------------------------------
	dir=$work/$v-waldata
	local waldir=$work/$v-walsep/wal
	mkdir -p "$work/$v-walsep"
	free_port cp && free_port pp || { not_ok "$v: no free port"; return; }
	log=$work/$v-walsep.log
	start_etcd w1 "$log" --data-dir "$dir" --wal-dir "$waldir" \
		--listen-client-urls "http://127.0.0.1:$cp" --advertise-client-urls "http://127.0.0.1:$cp" \
		--listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
		--initial-cluster "w1=http://127.0.0.1:$pp" --initial-cluster-state new \
		--initial-cluster-token "ei-$v-walsep-$RANDOM"
	pid=$last_pid
	if wait_healthy "$pid" "http://127.0.0.1:$cp" && read -r mid cid < <(ids "http://127.0.0.1:$cp" w1); then
		stop_etcd "$pid"
		check "$v --wal-dir: WAL read from --wal-dir" "$(probe "$dir" "$waldir")" \
			"has_wal=1 has_metadata=1 member_id=$mid cluster_id=$cid snap_db=1"
		check "$v --wal-dir: <data-dir>/member/wal has no WAL" "$(probe "$dir")" \
			"has_wal=0 has_metadata=0 member_id=0 cluster_id=0 snap_db=1"
	else
		not_ok "$v --wal-dir: etcd did not become healthy"
		dump_logs "$log"
		stop_etcd "$pid"
	fi

	# --- three members ---------------------------------------------------------
	ic=
	for i in 0 1 2; do
		names[i]=m$i
		free_port "cps[i]" && free_port "pps[i]" || { not_ok "$v: no free port"; return; }
		dirs[i]=$work/$v-m$i
		logs[i]=$work/$v-m$i.log
		ic+=${ic:+,}m$i=http://127.0.0.1:${pps[i]}
	done
	local token="ei-$v-three-$RANDOM"
	for i in 0 1 2; do
		start_etcd "${names[i]}" "${logs[i]}" --data-dir "${dirs[i]}" \
			--listen-client-urls "http://127.0.0.1:${cps[i]}" \
			--advertise-client-urls "http://127.0.0.1:${cps[i]}" \
			--listen-peer-urls "http://127.0.0.1:${pps[i]}" \
			--initial-advertise-peer-urls "http://127.0.0.1:${pps[i]}" \
			--initial-cluster "$ic" --initial-cluster-state new --initial-cluster-token "$token"
		cpids[i]=$last_pid
	done
	local all=1
	for i in 0 1 2; do
		if wait_healthy "${cpids[i]}" "http://127.0.0.1:${cps[i]}" &&
			read -r "mids[i]" "cids[i]" < <(ids "http://127.0.0.1:${cps[i]}" "${names[i]}"); then
			:
		else
			all=0
		fi
	done
	if ((all)); then
		ok "$v three members: healthy, members ${mids[*]}, cluster ${cids[0]}"
		for i in 0 1 2; do stop_etcd "${cpids[i]}"; done
		for i in 0 1 2; do
			check "$v three members: ${names[i]}'s WAL gives its own member ID and the cluster ID" \
				"$(probe "${dirs[i]}")" \
				"has_wal=1 has_metadata=1 member_id=${mids[i]} cluster_id=${cids[0]} snap_db=1"
		done
		if [[ ${mids[0]} != "${mids[1]}" && ${mids[1]} != "${mids[2]}" &&
			${mids[0]} != "${mids[2]}" && ${cids[0]} == "${cids[1]}" &&
			${cids[1]} == "${cids[2]}" ]]; then
			ok "$v three members: member IDs differ, cluster ID shared"
		else
			not_ok "$v three members: member IDs differ, cluster ID shared"
			diag "members ${mids[*]} clusters ${cids[*]}"
		fi
	else
		not_ok "$v three members: cluster did not become healthy"
		dump_logs "${logs[@]}"
		for i in 0 1 2; do stop_etcd "${cpids[i]}"; done
	fi

	# --- a start that fails: join a cluster that is not there ---------------------
	dir=$work/$v-failed
	free_port cp && free_port pp && free_port dead ||
		{ not_ok "$v: no free port"; return; }
	log=$work/$v-failed.log
	start_etcd f1 "$log" --data-dir "$dir" \
		--listen-client-urls "http://127.0.0.1:$cp" --advertise-client-urls "http://127.0.0.1:$cp" \
		--listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
		--initial-cluster "f1=http://127.0.0.1:$pp,gone=http://127.0.0.1:$dead" \
		--initial-cluster-state existing
	pid=$last_pid
	local until=$((SECONDS + 60))
	while kill -0 "$pid" 2>/dev/null && ((SECONDS < until)) && time_left; do sleep 0.2; done
	if kill -0 "$pid" 2>/dev/null; then
		not_ok "$v failed start: etcd exits when there is no cluster to join"
		dump_logs "$log"
		stop_etcd "$pid"
	else
		wait "$pid" 2>/dev/null
		ok "$v failed start: etcd exited ($(grep -o 'could not retrieve cluster information[^"]*' "$log" | head -1))"
	fi
	got=$(probe "$dir")
	check "$v failed start: no WAL, so not initialized" "${got%% *}" "has_wal=0"
	# Not a requirement of the reader, but the reason it must not look at snap/db:
	# record whether this etcd left one behind.
	if [[ $got == *snap_db=1 ]]; then
		ok "$v failed start: member/snap/db exists without a WAL ($got)"
	else
		ok "$v failed start: # SKIP etcd left no member/snap/db here ($got)"
	fi
}

ETCD=/usr/bin/etcd
ETCDCTL=/usr/bin/etcdctl
if [[ -x $ETCD && -x $ETCDCTL ]]; then
	run_version 3.4
else
	ok "# SKIP etcd 3.4 not installed at /usr/bin"
fi

if [[ -z ${EI_ETCD35_BIN:-} || -z ${EI_ETCD36_BIN:-} ]]; then
	# setup.sh prints "export EI_ETCD35_BIN=..." lines for every version it provides.
	eval "$(bash "$TEST_DIR/setup.sh")"
fi
for v in 3.5 3.6; do
	bin_var=EI_ETCD${v/./}_BIN ctl_var=EI_ETCDCTL${v/./}_BIN
	ETCD=${!bin_var:-/nonexistent}
	ETCDCTL=${!ctl_var:-$(dirname "$ETCD")/etcdctl}
	if [[ -x $ETCD && -x $ETCDCTL ]]; then
		run_version "$v"
	else
		not_ok "etcd $v not found ($bin_var=$ETCD)"
	fi
done

time_left || not_ok "finished within the time budget"
echo "1..$n"
((failed == 0))
