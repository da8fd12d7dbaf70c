#!/usr/bin/env bash
# A pod that starts late (its image still pulling, its node slow): the other two never
# bootstrap without it, however long it takes (a bootstrap needs every initial member
# to say it has no data; silence is not a "no"), they name it while they wait, and the
# three form one cluster as soon as it comes.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

for n in 0 1 2; do pod_create "$n"; dns_publish "$n"; done
launch 0
launch 1
ok "without etcd-2's word, etcd-0 waits and names it" \
	wait_for 10 log_has 0 'action=wait .*etcd-2\.etcd\.ns\.svc\.cluster\.local: status refused'
ok "etcd-1 too" \
	wait_for 10 log_has 1 'action=wait .*etcd-2\.etcd\.ns\.svc\.cluster\.local: status refused'
# Longer than the 5 s of silence after which the first version bootstrapped.
sleep 7
nok "no bootstrap on silence (etcd-0)" log_has 0 'action=bootstrap'
nok "no bootstrap on silence (etcd-1)" log_has 1 'action=bootstrap'
ok "etcd-0 still waits" pod_running 0
# The kubelet's probes on the metrics port while it waits (etcd's official manifest has
# a liveness probe on /livez and no startup probe): alive, not ready, and why.
probe() { curl -s -o "$EI_RUN/probe.body" -w '%{http_code}' "http://$(pod_ip 0):8080$1"; }
is "$(probe /livez)" 200 "waiting: /livez answers 200 (the liveness probe does not kill it)"
like "$(cat "$EI_RUN/probe.body")" 'etcd-init is waiting.*etcd-2\.etcd' "the answer names what it waits for"
is "$(probe /readyz)" 503 "waiting: /readyz answers 503 (not ready)"
ok "etcd-0's volume is still empty" test -z "$(ls -A "$(pod_data 0)")"
ok "etcd-1's volume is still empty" test -z "$(ls -A "$(pod_data 1)")"

launch 2
ok "the late pod comes: 3 members healthy" wait_healthy "0 1 2" 60
formed_one_cluster "the late pod comes" 0 1 2
is "$(member_count)" 3 "3 members, no extra add"
is "$(voter_count)" 3 "3 voters"
is_id "$(cluster_id 2)" "$(cluster_id 0)" "one cluster"
ok "a key is written" put_key k v 0
is "$(get_key k 2)" v "the late member serves the key"
is "$(probe /health)" 200 "etcd itself answers on the metrics port once it runs (/health: 3.4.23 has no /readyz)"
done_testing
