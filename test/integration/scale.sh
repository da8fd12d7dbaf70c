#!/usr/bin/env bash
# Scale 3 -> 5 -> 7, the new pods of each step started at once: they join as learners
# one at a time ("too many learner members"; the next goes as soon as the slot is
# free) and all end as voters.
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: version from the environment; checks called through ok
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

cold_start3
ok "a key is written" put_key before-scale v1 0
cid=$(cluster_id 0)
for n in 3 4; do pod_create "$n"; dns_publish "$n"; done
launch 3
launch 4
ok "5 voters, no learner left" wait_voters 5 150
ok "all 5 healthy" wait_healthy "0 1 2 3 4" 60
is "$(member_count)" 5 "5 members"
is_id "$(cluster_id 4)" "$cid" "same cluster"
is "$(get_key before-scale 3)" v1 "new member 3 serves the key"
is "$(get_key before-scale 4)" v1 "new member 4 serves the key"
ok "member 3 joined" log_has 3 'action=join'
ok "member 4 joined" log_has 4 'action=join'
ok "a promoter promoted a learner" bash -c "cat $EI_RUN/etcd-3/log $EI_RUN/etcd-4/log | grep -q 'learner promoted to voter'"
# The aftercare is etcd's child after the exec and etcd reaps no child: once done it
# stays idle instead of becoming a zombie under etcd.
# (The children of the pod's PID 1: a zombie has no namespaces left for ip netns pids.)
zombies()
{
	local p st kids
	read -ra kids < <(cat /proc/"$(pod_pid1 "$1")"/task/*/children)
	for p in "${kids[@]}"; do
		st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) || continue
		[[ $st != Z ]] || printf '%s ' "$p($(cat "/proc/$p/comm" 2>/dev/null))"
	done
}
aftercare_idle()
{
	local p kids
	read -ra kids < <(cat /proc/"$(pod_pid1 "$1")"/task/*/children)
	for p in "${kids[@]}"; do
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == etcd-init ]] || continue
		[[ $(awk '{print $3}' "/proc/$p/stat") == S ]] && return 0
	done
	return 1
}
sleep 1
for n in 3 4; do
	is "$(zombies "$n")" "" "pod $n: no zombie process under etcd"
	ok "pod $n: the aftercare is still there, idle" aftercare_idle "$n"
done

# 5 -> 7, both at once again.
for n in 5 6; do pod_create "$n"; dns_publish "$n"; done
launch 5
launch 6
ok "7 voters, no learner left" wait_voters 7 150
ok "all 7 healthy" wait_healthy "0 1 2 3 4 5 6" 60
is "$(member_count)" 7 "7 members"
is_id "$(cluster_id 6)" "$cid" "same cluster"
for n in 5 6; do
	is "$(get_key before-scale "$n")" v1 "new member $n serves the key"
	is "$(pod_log "$n" | grep -c 'promoter: learner promoted to voter')" 1 "pod $n's promoter promoted it"
done
done_testing
