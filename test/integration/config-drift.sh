#!/usr/bin/env bash
# A peer started with another initial size is refused with both values in the log (and
# one with another token, with both tokens). Three fresh pods published in DNS; pod 2,
# "the odd one", runs with other settings:
#   - odd one first: pods 0 and 1, started while it waits, refuse (exit 5) with a line
#     naming it and both values; with size 5 it waits for etcd-3/4 (which never resolve);
#   - odd one last: it refuses (exit 5) with a line naming a peer and both values, and
#     pods 0 and 1 do not bootstrap without it.
# In every case no etcd starts anywhere, no data dir gets anything, nobody bootstraps.
# Then all three with the same settings bootstrap one healthy cluster.
# (Started at the same instant, whichever side looks first sees the other's status and
# refuses at once; the other side then only finds a closed port and waits.)
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: version from the environment; checks called through ok
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

EI_WAIT_TIMEOUT=30s # a pod that neither refuses nor bootstraps gives up (exit 3)
token=$EI_SERVICE-$EI_NAMESPACE # etcd-init's default token
for n in 0 1 2; do
	pod_create "$n"
	dns_publish "$n"
done

# start_round: the logs from here on are the new round's (log_new N).
start_round() { for n in 0 1 2; do log_mark "$n"; done; }
# log_line N PATTERN...: pod N's lines since start_round that contain every PATTERN.
log_line()
{
	local n=$1 out
	shift
	out=$(log_new "$n")
	for p in "$@"; do
		out=$(grep -F -- "$p" <<<"$out")
	done
	[[ -n $out ]] && printf '%s\n' "$out"
}
# no_etcd N: no process in pod N's netns is an etcd.
no_etcd()
{
	local p comm
	for p in $(ip netns pids "$(pod_ns "$1")"); do
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		[[ $comm != etcd ]] || return 1
	done
	return 0
}
last_line() { log_new "$1" | tail -n 1 | cut -c 1-500; }
# odd_waits_or_refused HOST3 HOST0 P1 P2: pod 2 still runs and waits for HOST3 (it does
# not resolve), or it refused (exit 5) with a line naming HOST0, P1 and P2.
odd_waits_or_refused()
{
	if pod_running 2; then
		log_line 2 'action=wait' "$1" 'does not resolve' >/dev/null
	else
		[[ $(pod_exit_status 2) == 5 ]] && log_line 2 "$2" "$3" "$4" >/dev/null
	fi
}
# refused_or_outlived STATUS: a pod's exit STATUS is a refusal (5), or it gave up (3)
# after pod 2, the odd one, refused (5) and left.
refused_or_outlived()
{
	[[ $1 == 5 ]] || { [[ $1 == 3 ]] && ! pod_running 2 && [[ $(pod_exit_status 2) == 5 ]]; }
}

# nothing_started WHAT: no etcd process, no "starting etcd", no bootstrap decision and an
# empty data dir in each pod; then every pod is stopped.
nothing_started()
{
	local what=$1 n
	for n in 0 1 2; do
		ok "$what: no etcd process in pod $n" no_etcd "$n"
		nok "$what: pod $n never started etcd" log_line "$n" 'msg="starting etcd"'
		nok "$what: pod $n never decided to bootstrap" log_line "$n" 'action=bootstrap'
		ok "$what: pod $n's data dir is empty" volume_empty "$n"
	done
	for n in 0 1 2; do pod_stop "$n"; done
	nok "$what: no etcd answers on pod 0" healthy 0
}

# odd_first WHAT P1 P2 ODD-ARGS...: pod 2 (ODD-ARGS) waits first; pods 0 and 1 must
# refuse with a line naming pod 2, P1 and P2 (fixed strings). An odd pod that sees the
# disagreement too (another token: the same size lets it ask pods 0 and 1) refuses as
# well, and a refusal is acted on only when a look 1 s later says the same: when pod 2
# left first, a pod's second look finds it gone and it waits (exit 3 at --wait-timeout),
# having said the disagreement; that is accepted only when pod 2 did refuse (exit 5).
odd_first()
{
	local what="$1 (odd one first)" p1=$2 p2=$3 n st
	shift 3
	start_round
	launch 2 "$@"
	ok "$what: pod 2 waits" wait_for 30 log_line 2 'action=wait'
	sleep 1 # its backoff grows: it does not look again in the instant pods 0/1 live
	launch 0
	launch 1
	for n in 0 1; do
		st=$(pod_wait_exit "$n" 45)
		ok "$what: pod $n refuses (exit 5), or waits once pod 2 refused and left (exit 3; it exited $st)" \
			refused_or_outlived "$st"
		ok "$what: pod $n's log names $(pod_fqdn 2), $p1 and $p2" \
			log_line "$n" "$(pod_fqdn 2)" "$p1" "$p2"
		diag "$what: pod $n: $(last_line "$n")"
	done
	sleep 1
	if pod_running 2; then
		diag "$what: pod 2 still runs: $(log_new 2 | grep 'msg="decision"' | tail -n 1 | cut -c 1-500)"
	else
		diag "$what: pod 2 exited $(pod_exit_status 2): $(last_line 2)"
	fi
}

# outlived_a_refusal STATUS: pod 2's exit STATUS is a refusal (5), or it gave up (3)
# after pod 0 or pod 1 refused (5) and left.
outlived_a_refusal()
{
	local n
	[[ $1 == 5 ]] && return 0
	[[ $1 == 3 ]] || return 1
	for n in 0 1; do
		! pod_running "$n" && [[ $(pod_exit_status "$n") == 5 ]] && return 0
	done
	return 1
}

# odd_last WHAT P1 P2 ODD-ARGS...: pods 0 and 1 wait first; pod 2 (ODD-ARGS) must refuse
# with a line naming pod 0, P1 and P2; pods 0 and 1 go on waiting (or refuse). Pods 0
# and 1, looking every 150-250 ms, see pod 2's status too and may refuse first: a
# refusal is acted on after a look 1 s later says the same, so pod 2's second look may
# find them gone and it waits (exit 3 at --wait-timeout), having said the disagreement;
# that is accepted only when one of them did refuse (exit 5).
odd_last()
{
	local what="$1 (odd one last)" p1=$2 p2=$3 n st
	shift 3
	start_round
	launch 0
	launch 1
	ok "$what: pods 0 and 1 wait" wait_for 30 eval 'log_line 0 action=wait && log_line 1 action=wait'
	launch 2 "$@"
	st=$(pod_wait_exit 2 45)
	ok "$what: pod 2 refuses (exit 5), or waits once pod 0 or 1 refused and left (exit 3; it exited $st)" \
		outlived_a_refusal "$st"
	ok "$what: pod 2's log names $(pod_fqdn 0), $p1 and $p2" log_line 2 "$(pod_fqdn 0)" "$p1" "$p2"
	diag "$what: pod 2: $(last_line 2)"
	sleep 2
	for n in 0 1; do
		if pod_running "$n"; then
			diag "$what: pod $n still runs: $(log_new "$n" | grep 'msg="decision"' | tail -n 1 | cut -c 1-400)"
		else
			diag "$what: pod $n exited $(pod_exit_status "$n"): $(last_line "$n")"
		fi
	done
}

odd_first "size 5 on pod 2" "--initial-cluster-size=5" "this pod with 3" --initial-cluster-size 5
# Pod 2 looks every 150-250 ms in its first 30 s: it sees pods 0 and 1 too, and refuses
# (their size is not its own), or they left first and it waits for etcd-3, which never
# resolves.
ok "size 5 on pod 2 (odd one first): pod 2 waits for $(pod_fqdn 3), or refused naming $(pod_fqdn 0) and both sizes" \
	odd_waits_or_refused "$(pod_fqdn 3)" "$(pod_fqdn 0)" "--initial-cluster-size=3" "this pod with 5"
nothing_started "size 5 on pod 2 (odd one first)"
odd_last "size 5 on pod 2" "--initial-cluster-size=3" "this pod with 5" --initial-cluster-size 5
nothing_started "size 5 on pod 2 (odd one last)"

odd_first "token on pod 2" "other-token" "this pod with $token" --token other-token
nothing_started "token on pod 2 (odd one first)"
odd_last "token on pod 2" "$token" "this pod with other-token" --token other-token
nothing_started "token on pod 2 (odd one last)"

# Positive control: the same settings everywhere bootstrap one cluster.
start_round
for n in 0 1 2; do launch "$n"; done
ok "same settings: 3 members healthy" wait_healthy "0 1 2" 60
is "$(voter_count)" 3 "same settings: 3 voters"
# Each bootstraps, or starts as its member when the others' bootstrap came first.
formed_one_cluster "same settings" 0 1 2
ok "same settings: a key is written" put_key k v 0
is "$(get_key k 2)" v "same settings: the key is read through pod 2"
done_testing
