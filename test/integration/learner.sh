#!/usr/bin/env bash
# Learners that never get stuck in silence (issue 19): on a cluster with 10 000 keys,
# a joiner whose peer traffic is held back (large packets on the peer port dropped in
# its pod: it hears the leader's heartbeats, never the entries) stays a learner; its
# promoter says so at error level (--learner-stall) and diagnose shows its lag; once
# the traffic flows it is promoted. Then every pod restarts at once while a member is
# still a learner, and again right after a replaced member's add: every member ends a
# voter. The promoter ends with its etcd.
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: version from the environment; checks called through ok
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

[[ -x ${ETCD_INIT_FAILPOINTS:-} ]] || bail_out "ETCD_INIT_FAILPOINTS is not set to the failpoint build"

# put_many COUNT: COUNT keys (load-<i>) in transactions of 100 puts, through pod 0's
# JSON gateway.
put_many()
{
	local count=$1 i value
	value=$(printf 'v%.0s' {1..100} | base64 -w0)
	for ((i = 0; i < count / 100; i++)); do
		jq -cn --argjson b "$i" --arg v "$value" \
			'{success: [range(0; 100) | {requestPut: {key: ("load-\($b)-\(.)" | @base64), value: $v}}]}' |
			curl -sf --max-time 10 -X POST -d @- "http://$(pod_ip 0):2379/v3/kv/txn" >/dev/null || return 1
	done
}

# hold_back N / release N: drop the large packets of pod N's peer traffic (both ways) in
# its network namespace, or stop dropping them. Heartbeats and the small answers of the
# peer API (/members, /version) still pass: the learner knows its leader, and never
# gets the entries.
hold_rules()
{
	printf '%s\n' "INPUT -p tcp --sport 2380 -m length --length 1400:65535 -j DROP" \
		"INPUT -p tcp --dport 2380 -m length --length 1400:65535 -j DROP"
}
hold_back()
{
	local rule
	while read -r rule; do
		# shellcheck disable=SC2086 # the rule's words
		ip netns exec "$(pod_ns "$1")" iptables -A $rule || return 1
	done < <(hold_rules)
}
release()
{
	local rule
	while read -r rule; do
		# shellcheck disable=SC2086
		ip netns exec "$(pod_ns "$1")" iptables -D $rule 2>/dev/null
	done < <(hold_rules)
	return 0
}

# The pods' etcd-init children (host PIDs): the aftercare, once etcd runs.
aftercare_pid()
{
	local p1
	p1=$(pod_pid1 "$1") || return 1
	pgrep -P "$p1" -x etcd-init | head -1
}

cold_start3
t0=$(ei_now_ms)
ok "10 000 keys are written" put_many 10000
diag "loading took $(($(ei_now_ms) - t0)) ms"

# A joiner held back: a learner that does not progress is said, loudly.
pod_create 3
dns_publish 3
ok "pod 3's peer traffic is held back" hold_back 3
launch 3 --learner-stall 5s
ok "pod 3 joined as a learner" wait_for 60 log_has 3 'member added'
ok "its promoter says the learner is not catching up" \
	wait_for 60 log_has 3 'level=error msg="promoter: our learner is not catching up"'
stall=$(pod_log 3 | grep -m1 'our learner is not catching up')
like "$stall" 'behind=[0-9]+ ' "the stall line gives the lag (indexes behind the leader)"
like "$stall" 'stalled_for=[0-9]+s learner_for=[0-9]+s' "the stall line says for how long"
like "$stall" 'check=' "the stall line says what to check"
is "$(learner_count)" 1 "pod 3 is still a learner (nothing removed)"
diagnose()
{
	pod_exec "$1" env HOSTNAME="$(pod_name "$1")" SERVICE_NAME=etcd K8S_NAMESPACE=ns \
		timeout 30 "$ETCD_INIT" diagnose --etcd "$ETCD_BIN" --data-dir "$(pod_data "$1")" \
		--output json 2>/dev/null
}
row3=$(diagnose 3 | jq -c '.peers[] | select(.self)')
is "$(jq -r .learner <<<"$row3")" true "diagnose in pod 3: its row is a learner"
ok "diagnose in pod 3: its lag is shown" jq -en --argjson r "$row3" '$r.learner_behind > 0'
ok "diagnose in pod 3: how long it has been a learner" jq -en --argjson r "$row3" '$r.learner_for_s >= 5'
diag "pod 3 from pod 3: $row3"
row3=$(diagnose 0 | jq -c '.peers[] | select(.ordinal == 3)')
ok "diagnose in pod 0: pod 3 is a learner" jq -en --argjson r "$row3" '$r.learner'
diag "pod 3 from pod 0: $row3"
ok "pod 3 has a learner record" test -s "$(pod_data 3)/member/.etcd-init-learner"

release 3
ok "once its traffic flows, the learner is promoted" wait_voters 4 180
ok "its promoter promoted it" log_has 3 'promoter: learner promoted to voter'
ok "the learner record is gone" test ! -e "$(pod_data 3)/member/.etcd-init-learner"
is "$(get_key load-99-99 3)" "$(printf 'v%.0s' {1..100})" "pod 3 serves the keys"

# etcd 3.6 itself can come back from a full restart with a raft configuration that lacks a
# voter added since its last snapshot: it validates each replayed change against its v2
# store, which its v3 store is ahead of ("Validation on configuration change failed",
# "membership: ID exists"), and skips the change; that member then never hears its leader
# or, when that member leads, the voter it lacks never hears from it (etcd-io/etcd#20340,
# #20967; seen in CI and in 3 of 10 local runs: pods 1 and 2 stuck in ReadIndex, or pod 3
# unhealthy while pods 1 and 2 had logged it). Not etcd-init's to fix: the check is skipped,
# naming it, only on 3.6, only when a member's etcd logged exactly that since this restart.
# all_healthy_after_restart WHAT: every pod healthy within 60 s, or that skip; sets
# $unhealthy (" N ..." of the pods that are not).
all_healthy_after_restart()
{
	local n replayed=""
	unhealthy=""
	for n in 0 1 2 3 4; do wait_for 60 healthy "$n" || unhealthy+=" $n"; done
	for n in 0 1 2 3 4; do
		! log_new "$n" | grep -q '"msg":"Validation on configuration change failed"' || replayed+=" $n"
	done
	if [[ -n $unhealthy && -n $replayed && $EI_ETCD_VERSION == 3.6 ]]; then
		skip "$1" "etcd 3.6's replay of membership changes (failed validations on pod(s)$replayed) left pod(s)$unhealthy unhealthy: etcd-io/etcd#20340"
	else
		is "${unhealthy# }" "" "$1"
	fi
}

# A full restart while a member is still a learner: every member ends a voter.
pod_create 4
dns_publish 4
hold_back 4
launch 4
ok "pod 4 is a learner its promoter watches" \
	wait_for 60 log_has 4 'our member is a learner; promoting it as soon as it is in sync'
is "$(learner_count)" 1 "pod 4 is still a learner"
for n in 0 1 2 3 4; do pod_stop "$n"; log_mark "$n"; done
release 4
for n in 0 1 2 3 4; do launch "$n"; done
ok "after a full restart during a learner's catch-up: 5 voters" wait_voters 5 180
all_healthy_after_restart "all 5 healthy"
ok "pod 4 restarted on its data" log_has 4 'action=restart'
is "$(pod_log 4 | grep -c 'promoter: learner promoted to voter')" 1 "pod 4's restart promoted it"

# A full restart right after a replaced member's add (the learner never started).
old0=$(member_id 0)
pod_stop 0
pod_wipe 0
EI_POD_ENV=("EI_FAILPOINT=join.after-add")
pod_start 0 "$ETCD_INIT_FAILPOINTS" --etcd "$ETCD_BIN" --data-dir "$(pod_data 0)" --wait-timeout 120s
is "$(pod_wait_exit 0 120)" 137 "pod 0 replaced its member and stopped right after the add"
EI_POD_ENV=()
is "$(learner_count 1)" 1 "its new member is an unstarted learner"
for n in 1 2 3 4; do pod_stop "$n"; log_mark "$n"; done
log_mark 0
for n in 0 1 2 3 4; do launch "$n"; done
ok "after a full restart right after the add: 5 voters" wait_voters 5 180
all_healthy_after_restart "all 5 healthy"
isnt_id "$(member_id 0)" "$old0" "pod 0 is a new member"
for asked in 0 1 2 3 4; do [[ " $unhealthy " == *" $asked "* ]] || break; done
is "$(member_count "$asked")" 5 "5 members (pod $asked's list)"

# The promoter ends with its etcd.
pid=$(aftercare_pid 1)
ok "pod 1 has its aftercare" test -n "$pid"
pod_stop 1 KILL
ok "the aftercare ended with its etcd" wait_for 10 bash -c "! kill -0 $pid 2>/dev/null"

done_testing
