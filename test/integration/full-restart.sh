#!/usr/bin/env bash
# A full restart: every pod stops and starts again at once; then again with member 0's
# volume lost and the member with the data (etcd-2) starting 30 s late. The member
# without data must never bootstrap a look-alike cluster (the split-brain hazard) nor
# remove anything while the cluster has no quorum: it waits, and replaces itself once
# the late member is back.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup
late_s=${EI_LATE_S:-30}

cold_start3
ok "a key is written" put_key k v 1
cid=$(cluster_id 0)
ids_before=$(member_list_json 0 | jq -r '[.members[] | .ID] | sort | join(" ")')

# All three stop and start again at once, with their data.
for n in 0 1 2; do pod_stop "$n"; done
for n in 0 1 2; do launch "$n"; done
ok "full restart: healthy" wait_healthy "0 1 2" 90
for n in 0 1 2; do
	ok "full restart: member $n decided restart" log_has "$n" 'action=restart'
done
is "$(member_list_json 0 | jq -r '[.members[] | .ID] | sort | join(" ")')" "$ids_before" \
	"full restart: the same members"
is "$(get_key k 2)" v "full restart: the key is there"

# Again, but member 0's volume comes back empty and etcd-2 starts late.
old0=$(member_id 0)
for n in 0 1 2; do pod_stop "$n"; done
pod_wipe 0
lines0=$(pod_log 0 | wc -l)
launch 0
launch 1
ok "member 0 waits for a current member list, naming why" \
	wait_for 30 log_has 0 'action=wait .*replacing our old member needs a current member list'
sleep "$late_s"
this_start=$(pod_log 0 | tail -n +$((lines0 + 1)) | grep 'msg=')
unlike "$this_start" 'action=bootstrap' "member 0 did not bootstrap in ${late_s} s"
unlike "$this_start" 'removing our old member' "member 0 removed nothing without quorum"
ok "member 0 is still waiting" pod_running 0
is "$(peer_member_ids 1)" "$ids_before" "the members are unchanged (etcd-1's peer API)"
launch 2
ok "the cluster is back: healthy" wait_healthy "1 2" 90
ok "member 0 decided replace once it could trust the list" wait_for 60 log_has 0 'action=replace'
ok "3 voters again" wait_voters 3 120
this_start=$(pod_log 0 | tail -n +$((lines0 + 1)) | grep 'msg=')
unlike "$this_start" 'action=bootstrap' "member 0 never bootstrapped"
ok "all healthy" wait_healthy "0 1 2" 60
isnt_id "$(member_id 0)" "$old0" "member 0 has a new ID"
is_id "$(cluster_id 0)" "$cid" "one cluster, the old one"
is "$(get_key k 0)" v "member 0 serves the key written before"
done_testing
