#!/usr/bin/env bash
# A full restart in which two of the three volumes are lost and the third member (the
# one with the data) starts late. No automatic step is safe: the two fresh pods never
# bootstrap (a look-alike cluster would serve an empty key space under the old IDs),
# never remove a member, never touch etcd-2's data, and say in one clear line that the
# quorum is lost and how to restore. Then the route they name works: the one-shot
# request `etcd-init force-new-cluster` in the pod with the data (as kubectl exec would),
# taken by that pod's next start and gone once etcd starts with it; the two waiting pods
# join it by themselves. --force-new-cluster in the shared etcd arguments is refused.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

cold_start3
ok "a key is written" put_key k v 2
cid=$(cluster_id 2)
ids_before=$(member_list_json 2 | jq -r '[.members[] | .ID] | sort | join(" ")')
for n in 0 1 2; do pod_stop "$n"; done
pod_wipe 0
pod_wipe 1
wal2=$(find "$(pod_data 2)/member/wal" -name '*.wal' | sort)

# The two fresh pods start; etcd-2 is late.
for n in 0 1 2; do log_mark "$n"; done
EI_WAIT_TIMEOUT=300s launch 0
EI_WAIT_TIMEOUT=300s launch 1
ok "etcd-0 waits for etcd-2, naming it" \
	wait_for 20 log_has 0 'action=wait .*etcd-2\.etcd\.ns\.svc\.cluster\.local: status refused'
sleep 6
launch 2
ok "etcd-2 restarts on its data" wait_for 30 log_has 2 'action=restart'
for n in 0 1; do
	ok "etcd-$n says the quorum is lost and how to restore" \
		wait_for 30 log_has "$n" 'level=error msg="no automatic step can restore this cluster" detail="quorum lost for good: of the 3 voters .* only 1 have their data \(etcd-2\).*kubectl exec <that pod> -- etcd-init force-new-cluster'
done
sleep 5
for n in 0 1; do
	nok "etcd-$n never bootstrapped" new_log_has "$n" 'action=bootstrap'
	nok "etcd-$n removed nothing" new_log_has "$n" 'removing our old member'
	ok "etcd-$n is still waiting" pod_running "$n"
	ok "etcd-$n's volume is still empty (nothing but our marker)" \
		test -z "$(find "$(pod_data "$n")" -mindepth 1 ! -path '*/member' ! -name .etcd-init-first-start)"
done
is "$(peer_member_ids 2)" "$ids_before" "the three members are still listed (etcd-2's peer API)"
is "$(find "$(pod_data 2)/member/wal" -name '*.wal' | sort | head -n "$(wc -l <<<"$wal2")")" "$wal2" \
	"etcd-2's WAL files are all still there"
nok "etcd-2 has no quorum (nothing formed behind its back)" healthy 2

# --force-new-cluster in the template every pod shares is refused, naming it.
out=$(pod_exec 0 "$ETCD_INIT" plan --etcd "$ETCD_BIN" --data-dir "$(pod_data 0)" -- --force-new-cluster 2>&1)
is "$?" 2 "--force-new-cluster after --: exit 2"
like "$out" 'force-new-cluster' "and the message names it"

# The route the line names: the request, in the pod with the data (its etcd runs without
# quorum), then a restart of that pod.
req=$(pod_data 2)/.etcd-init-force-new-cluster
out=$(pod_exec 2 "$ETCD_INIT" force-new-cluster --etcd "$ETCD_BIN" --data-dir "$(pod_data 2)" 2>&1)
is "$?" 0 "force-new-cluster in etcd-2: exit 0"
diag "$out"
ok "the request is on etcd-2's volume" test -f "$req"
out=$(pod_exec 1 "$ETCD_INIT" force-new-cluster --etcd "$ETCD_BIN" --data-dir "$(pod_data 1)" 2>&1)
is "$?" 2 "force-new-cluster in a pod without data: exit 2"
ok "and nothing written there" test ! -e "$(pod_data 1)/.etcd-init-force-new-cluster"
log_mark 2
pod_stop 2
launch 2
ok "etcd-2 takes the request" wait_for 30 new_log_has 2 'msg="decision" action=restart .*force-new-cluster'
ok "etcd-2 starts etcd with --force-new-cluster" new_log_has 2 'msg="starting etcd" action=restart command=.* --force-new-cluster'
ok "etcd-2 serves alone after --force-new-cluster" wait_healthy "2" 60
ok "the request is gone" test ! -e "$req"
is "$(get_key k 2)" v "the key written before is there"
ok "the waiting pods join the restored cluster by themselves" wait_voters 3 150
ok "all healthy" wait_healthy "0 1 2" 60
is_id "$(cluster_id 0)" "$(cluster_id 2)" "one cluster"
is "$(get_key k 0)" v "etcd-0 serves the key"
ok "etcd-0 joined" new_log_has 0 'action=join'
ok "etcd-1 joined" new_log_has 1 'action=join'
nok "etcd-0 never bootstrapped" new_log_has 0 'action=bootstrap'
nok "etcd-1 never bootstrapped" new_log_has 1 'action=bootstrap'
diag "cluster ID before $cid, after --force-new-cluster $(cluster_id 2)"
# A later start of etcd-2 is a plain restart: the request happened once.
log_mark 2
pod_stop 2
launch 2
ok "etcd-2 restarts plainly later" wait_for 30 new_log_has 2 'msg="starting etcd" action=restart'
nok "without --force-new-cluster" new_log_has 2 'msg="starting etcd" .*--force-new-cluster'
ok "all healthy again" wait_healthy "0 1 2" 60
done_testing
