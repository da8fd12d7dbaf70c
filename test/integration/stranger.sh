#!/usr/bin/env bash
# A peer is of this set, or it is not asked. Three fresh pods of a size-3 set; at
# etcd-1's name and address answers an etcd of another cluster (a stale DNS record, a
# reused pod IP, two compose projects on one network), and the SRV set also names a host
# outside the set's domain (pod 3, where a bad-peer logs every connection). etcd-0 and
# etcd-2 never join the foreign cluster and never add to it: they wait, an error line
# names the foreign etcd, a warning names the SRV target, which is never asked. Once the
# stranger is gone and the real etcd-1 starts, the three bootstrap one cluster.
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: the version from the environment; functions called through ok and wait_for
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup
[[ -x ${BAD_PEER:-} ]] || bail_out "BAD_PEER is not set to the bad-peer test tool"

for n in 0 1 2 3; do pod_create "$n"; done
for n in 0 1 2; do dns_publish "$n"; done
ip1=$(pod_ip 1)
# The foreign etcd: a one-member cluster "other" in pod 1, advertising its IP.
pod_start 1 "$ETCD_BIN" --name other-0 --data-dir "$(pod_data 1)" \
	--listen-peer-urls http://0.0.0.0:2380 --listen-client-urls http://0.0.0.0:2379 \
	--initial-advertise-peer-urls "http://$ip1:2380" --advertise-client-urls "http://$ip1:2379" \
	--initial-cluster "other-0=http://$ip1:2380" --initial-cluster-token other \
	--initial-cluster-state new
ok "the foreign etcd serves at etcd-1's address" wait_healthy "1" 60
foreign_cid=$(cluster_id 1)
# An SRV target outside the set's domain, at pod 3.
stranger=stranger.other.svc.$EI_DOMAIN
dns_add "$stranger. 5 IN A $(pod_ip 3)"
dns_add "$(srv_name server). 5 IN SRV 0 100 2380 $stranger."
pod_start 3 "$BAD_PEER" --mode garbage

launch 0
launch 2
for n in 0 2; do
	ok "etcd-$n waits, naming the foreign etcd at etcd-1" \
		wait_for 20 log_has "$n" "msg=\"decision\" action=wait .*$(pod_fqdn 1 | sed 's/\./\\./g'): a foreign etcd answers at $(pod_fqdn 1 | sed 's/\./\\./g') \\($ip1\\): cluster [0-9a-f]+ has no member of this set \\(other-0 \\(http://$ip1:2380\\)\\)"
	ok "etcd-$n says so at error level" \
		log_has "$n" 'level=error msg="no automatic step can restore this cluster" detail="a foreign etcd answers at .*never joined, never added to'
	ok "etcd-$n warns once about the SRV target outside the set, naming it" \
		log_has "$n" "level=warn msg=\"what the evidence cannot cover\" detail=\".*SRV targets that are not names of this set are ignored, never asked: ${stranger//./\\.}"
done
sleep 6
for n in 0 2; do
	nok "etcd-$n decided nothing but wait" \
		grep -Eq 'action=(bootstrap|join|start-existing|replace|rejoin)|msg="starting etcd"|adding ourselves' "$(pod_dir "$n")/log"
	ok "etcd-$n's volume is still empty" volume_empty "$n"
done
is "$(member_list_json 1 | jq '.members | length')" 1 "the foreign cluster still has one member"
is_id "$(cluster_id 1)" "$foreign_cid" "and its own ID"
ok "the bad-peer at the SRV target outside the set listens" log_has 3 'bad-peer: mode=garbage listening'
is "$(pod_log 3 | grep -c 'bad-peer: mode=garbage port=')" 0 "the SRV target outside the set was never asked"

# The stranger goes, the real etcd-1 comes: one cluster of the set.
pod_stop 1
pod_wipe 1
dns_remove "$(srv_name server)"
for n in 0 1 2; do dns_publish "$n"; done
launch 1
ok "the set bootstraps one healthy cluster" wait_healthy "0 1 2" 90
is "$(voter_count 0)" 3 "3 voters"
isnt_id "$(cluster_id 0)" "$foreign_cid" "not the foreign cluster"
done_testing
