#!/usr/bin/env bash
# A cluster younger than our data is not our cluster; and in the docker-compose mode
# (--peer-host, no SRV, no Kubernetes API) only --replicas tells etcd-init the set's size.
# A set bootstrapped with --initial-cluster-size=1 and scaled to 3; a full restart with
# etcd-0's volume lost and etcd-1, etcd-2 late in DNS:
#  1. with --replicas 3, etcd-0 waits for them, naming them, and touches nothing;
#  2. without it, the initial size stands in: etcd-0 says so once at warn level, and (the
#     risk the README names) bootstraps a look-alike: the old cluster's ID, no data;
#  3. etcd-1 comes back with its WAL: the look-alike's raft log is behind etcd-1's WAL, so
#     it cannot be the cluster that removed etcd-1. No rejoin, nothing moved aside: an
#     error line names both positions and what to restore from.
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: the version from the environment; functions called through ok and wait_for
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

tmpl=$compose_tmpl
run() { launch "$1" --peer-host "$tmpl" --initial-cluster-size 1 "${@:2}"; }

pod_create 0
compose_publish 0
run 0
ok "etcd-0 bootstraps a one-member cluster" wait_healthy "0" 60
for n in 1 2; do
	pod_create "$n"
	compose_publish "$n"
	run "$n"
done
ok "scaled to 3 voters" wait_voters 3 120
ok "a key is written" put_key k v 0
cid=$(cluster_id 0)

for n in 0 1 2; do pod_stop "$n"; done
pod_wipe 0
for n in 1 2; do
	dns_remove "$(compose_host "$n")"
	volume_manifest "$(pod_data "$n")" >"$EI_RUN/manifest-$n"
done

# 1. --replicas 3.
log_mark 0
run 0 --replicas 3
ok "replicas: etcd-0 waits for etcd-1 and etcd-2, naming them" \
	wait_for 20 new_log_has 0 "action=wait .*\\(3, from --replicas 3\\).*$(compose_host 1 | sed 's/\./\\./g'): does not resolve.*$(compose_host 2 | sed 's/\./\\./g'): does not resolve"
sleep 5
nok "replicas: etcd-0 decided nothing but wait" \
	grep -Eq 'action=(bootstrap|join|start-existing|replace|rejoin)|msg="starting etcd"' "$(log_new_file 0)"
ok "replicas: etcd-0's volume is still empty" volume_empty 0
pod_stop 0

# 2. No --replicas: the initial size stands in, said once; a look-alike is bootstrapped.
log_mark 0
run 0
ok "no replicas: etcd-0 warns that the set's size is known only from the initial size" \
	wait_for 20 new_log_has 0 'level=warn msg="what the evidence cannot cover" detail="the set.s size is known only from --initial-cluster-size=1 \(no --replicas; --peer-host mode has no Kubernetes API\)'
ok "no replicas: etcd-0 bootstraps alone (the risk the README names)" \
	wait_for 20 new_log_has 0 'action=bootstrap'
ok "the look-alike serves" wait_healthy "0" 60
is_id "$(cluster_id 0)" "$cid" "the look-alike has the old cluster's ID"
is "$(get_key k 0)" "" "and none of its data"

# 3. etcd-1 comes back with its WAL.
compose_publish 1
log_mark 1
run 1
ok "etcd-1: an error line names the look-alike, both positions and the way back" \
	wait_for 60 new_log_has 1 "level=error msg=\"no automatic step can restore this cluster\" detail=\"cluster [0-9a-f]+ is younger than this member.s data: its raft log reaches term [0-9]+, index [0-9]+ .*our WAL \\(member [0-9a-f]+\\) term [0-9]+, commit index [0-9]+.*NOT moved aside.*force-new-cluster"
ok "etcd-1 decides to wait" new_log_has 1 'msg="decision" action=wait .*younger than this member'
sleep 5
nok "etcd-1 never decided rejoin, moved nothing" \
	grep -Eq 'action=rejoin|moving the removed member|msg="starting etcd"' "$(log_new_file 1)"
is "$(volume_manifest "$(pod_data 1)")" "$(cat "$EI_RUN/manifest-1")" "etcd-1's volume is byte for byte unchanged"
ok "etcd-1 is still etcd-init, waiting" is_etcd_init 1
is "$(member_list_json 0 | jq '.members | length')" 1 "the look-alike still has one member"
done_testing
