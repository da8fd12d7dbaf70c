#!/usr/bin/env bash
# --peer-host (the docker-compose mode) with the harness's DNS: every member's host is
# "{name}.compose.test" (docker-compose itself uses "{name}": Docker's DNS answers
# service names; the Docker test runs that on etcd 3.6), A records only, no SRV set.
# Three pods boot with their records arriving late, a fourth joins and ends a voter, and
# a restarted member restarts on its data: the same decision rules on every etcd version.
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: the version from the environment; functions called through ok, wait_for and launch
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

tmpl=$compose_tmpl

for n in 0 1 2; do
	pod_create "$n"
	launch "$n" --peer-host "$tmpl"
done
sleep 1
for n in 0 1 2; do
	compose_publish "$n"
	sleep 0.5
done
ok "3 members healthy" wait_healthy "0 1 2" 90
ok "3 voters" wait_voters 3 60
peer_urls=$(member_list_json 0 | jq -r '[.members[].peerURLs[]] | sort | join(" ")')
is "$peer_urls" "http://$(compose_host 0):2380 http://$(compose_host 1):2380 http://$(compose_host 2):2380" \
	"the peer URLs are the template's hosts"
# A pod whose record comes last may find the others already bootstrapping with it in
# their initial cluster: it starts as its unstarted member (start-existing).
formed_one_cluster "compose cold start" 0 1 2
ok "a key is written" put_key k v 0
plan=$(pod_exec 1 "$ETCD_INIT" plan --etcd "$ETCD_BIN" --data-dir "$(pod_data 1)" --peer-host "$tmpl" 2>&1)
like "$plan" 'SRV +not asked \(--peer-host' "plan says no SRV is asked"
like "$plan" 'decision +restart' "plan: restart"

# A fourth member: a learner, then a voter.
pod_create 3
compose_publish 3
launch 3 --peer-host "$tmpl"
ok "the 4th member joins: 4 voters" wait_voters 4 150
is "$(start_action 3)" join "member 3 decided join"
is "$(get_key k 3)" v "member 3 serves the key"

# A restart on its data.
id1=$(member_id 1)
pod_stop 1
log_mark 1
launch 1 --peer-host "$tmpl"
ok "member 1 healthy again" wait_healthy "0 1 2 3" 60
is "$(start_action 1)" restart "member 1 restarted"
is_id "$(member_id 1)" "$id1" "member 1 kept its ID"

# A bad template: exit 2, naming the setting, nothing written.
out=$(pod_exec 3 "$ETCD_INIT" plan --etcd "$ETCD_BIN" --data-dir "$(pod_data 3)" --peer-host 'etcd.compose.test' 2>&1)
is "$?" 2 "a template without {name}: exit 2"
like "$out" '--peer-host/PEER_HOST: "etcd.compose.test" is not a peer host template' "and says why"
done_testing
