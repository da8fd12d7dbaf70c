#!/usr/bin/env bash
# A cluster bootstrapped with --initial-cluster-size=1 and scaled to 3 keeps its data
# on etcd-1 and etcd-2 too. In a full restart where etcd-0's volume is lost and the
# others start late, etcd-0 (the only "initial" member) must not bootstrap alone: every
# SRV target of the set must vouch first. It waits, naming them, and replaces itself
# once they are back.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

scaled_from_one
cid=$(cluster_id 0)
old0=$(member_id 0)

for n in 0 1 2; do pod_stop "$n"; done
pod_wipe 0
lines0=$(pod_log 0 | wc -l)
launch 0 --initial-cluster-size 1
ok "etcd-0 waits for the other SRV targets, naming them" \
	wait_for 20 log_has 0 'action=wait .*etcd-1\.etcd\.ns\.svc\.cluster\.local: status refused'
sleep 8
this_start=$(pod_log 0 | tail -n +$((lines0 + 1)) | grep 'msg=')
unlike "$this_start" 'action=bootstrap' "etcd-0 did not bootstrap alone"
ok "etcd-0's volume is still empty" test -z "$(ls -A "$(pod_data 0)")"
launch 1 --initial-cluster-size 1
launch 2 --initial-cluster-size 1
ok "etcd-1 and etcd-2 restart on their data" wait_healthy "1 2" 90
ok "etcd-0 replaces itself" wait_for 60 log_has 0 'action=replace'
ok "3 voters again" wait_voters 3 120
ok "all healthy" wait_healthy "0 1 2" 60
this_start=$(pod_log 0 | tail -n +$((lines0 + 1)) | grep 'msg=')
unlike "$this_start" 'action=bootstrap' "etcd-0 never bootstrapped"
isnt_id "$(member_id 0)" "$old0" "etcd-0 has a new member ID"
is_id "$(cluster_id 0)" "$cid" "one cluster, the old one"
is "$(get_key k 0)" v "etcd-0 serves the key written before"
done_testing
