#!/usr/bin/env bash
# A member whose volume is wiped is replaced (remove, add, start existing); a volume of
# a removed member coming back is moved aside (never deleted) and the member rejoins.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

cold_start3
ok "a key is written" put_key k v 0
cid=$(cluster_id 0)

# Lost volume.
old_id=$(member_id 1)
pod_stop 1
pod_wipe 1
launch 1
ok "wiped member healthy again" wait_healthy "0 1 2" 90
ok "decided replace" log_has 1 'action=replace'
isnt_id "$(member_id 1)" "$old_id" "new member ID"
ok "3 voters after the replace" wait_voters 3 90
is "$(member_count)" 3 "3 members"
is_id "$(cluster_id 1)" "$cid" "same cluster"
is "$(get_key k 1)" v "the replaced member serves the key"

# Removed member's volume comes back.
pod_stop 2
ok "member 2 removed by hand" ectl 0 member remove "$(printf %x "$(member_list_json 0 | jq -r '.members[] | select(.name=="etcd-2") | .ID')")"
launch 2
ok "removed member healthy again" wait_healthy "0 1 2" 90
ok "decided rejoin" log_has 2 'action=rejoin'
ok "old data moved aside, not deleted" bash -c "ls -d $(pod_data 2)/member.removed-* && ls $(pod_data 2)/member.removed-*/wal/*.wal"
ok "3 voters after the rejoin" wait_voters 3 90
is "$(get_key k 2)" v "the rejoined member serves the key"
done_testing
