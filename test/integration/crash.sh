#!/usr/bin/env bash
# Every step survives a crash: a test build of etcd-init dies at a named failpoint
# (lib/failpoint.h) in the middle of a join, a replace and a rejoin; the next start,
# with the normal binary, finishes the job with no manual step and no second change.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

# crash_at N FAILPOINT: run the failpoint build in pod N until it dies there (137).
crash_at()
{
	local n=$1 fp=$2
	EI_POD_ENV=("EI_FAILPOINT=$fp")
	pod_start "$n" "$ETCD_INIT_FAILPOINTS" --etcd "$ETCD_BIN" --data-dir "$(pod_data "$n")" \
		--wait-timeout 120s
	is "$(pod_wait_exit "$n" 120)" 137 "killed at $fp"
	EI_POD_ENV=()
	ok "the log says where it stopped ($fp)" log_has "$n" "failpoint=$fp"
}

cold_start3
ok "a key is written" put_key k v 0

# Join: killed right after the member add. The next start finds its own unstarted
# learner and starts as it: no second add.
pod_create 3
dns_publish 3
crash_at 3 join.after-add
is "$(member_count)" 4 "after the crash: 4 members (the learner was added)"
is "$(learner_count)" 1 "after the crash: 1 learner"
launch 3
ok "restarted joiner becomes a voter" wait_voters 4 120
is "$(start_action 3)" start-existing "it started as its listed member"
is "$(member_count)" 4 "no second add: 4 members"
is "$(get_key k 3)" v "the joiner serves the key"

# Replace: killed right after removing the old member. The next start finds itself
# absent and joins.
old1=$(member_id 1)
pod_stop 1
pod_wipe 1
crash_at 1 replace.after-remove
is "$(member_count)" 3 "after the crash: the old member is gone (3 members)"
launch 1
ok "replaced member is a voter again" wait_voters 4 120
is "$(start_action 1)" join "it joined"
isnt_id "$(member_id 1)" "$old1" "new member ID"
is "$(get_key k 1)" v "the replaced member serves the key"

# Rejoin: a removed member's volume comes back; killed right after the data was moved
# aside. The next start finds no WAL and joins; the old data is still there.
pod_stop 2
ok "member 2 removed by hand" ectl 0 member remove "$(printf %x "$(member_list_json 0 | jq -r '.members[] | select(.name=="etcd-2") | .ID')")"
crash_at 2 rejoin.after-move
ok "old data moved aside" bash -c "ls $(pod_data 2)/member.removed-*/wal/*.wal"
launch 2
ok "rejoined member is a voter" wait_voters 4 120
is "$(start_action 2)" join "it joined"
ok "old data still there" bash -c "ls $(pod_data 2)/member.removed-*/wal/*.wal"
is "$(get_key k 2)" v "the rejoined member serves the key"
ok "all healthy" wait_healthy "0 1 2 3" 60
done_testing
