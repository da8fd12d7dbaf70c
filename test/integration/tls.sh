#!/usr/bin/env bash
# A cluster with client and peer mTLS (certificates made here with openssl): a cold
# start with DNS late, a restart, a wiped member replaced, and scale 3 -> 5. Every call
# of etcd-init verifies the member with the CA and presents its certificate; the
# etcd-init status is served over TLS and refused to a client without a certificate.
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: the version from the environment; functions called through ok, wait_for and launch
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
source "$(dirname "$0")/certs.sh"
ei_env_setup

use_mtls 5

# Pod 0 alone first: its status is served over TLS, to certified clients only.
pod_create 0
launch 0
ok "a waiting pod serves its status over TLS to a client with a certificate" wait_for 10 \
	curl -sf --max-time 2 --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key" \
	"https://$(pod_ip 0):2380/etcd-init/v1/status"
status=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" \
	"https://$(pod_ip 0):2380/etcd-init/v1/status")
is "$status" 403 "without a client certificate: 403"
ok "plain http is not served there" bash -c "! curl -sf --max-time 2 http://$(pod_ip 0):2380/etcd-init/v1/status"
pod_stop 0

cold_start3
for n in 0 1 2; do
	ok "member $n served its status over https" log_has "$n" 'serving the etcd-init status.*scheme=https'
done
ok "a key is written over TLS" put_key before v1 0
peer_urls=$(member_list_json 0 | jq -r '[.members[].peerURLs[]] | sort | join(" ")')
like "$peer_urls" "^https://etcd-0.etcd.$EI_NAMESPACE.svc.cluster.local:2380 " "peer URLs are https"
client_urls=$(member_list_json 0 | jq -r '[.members[].clientURLs[]] | sort | join(" ")')
like "$client_urls" "^https://etcd-0.etcd" "client URLs are https"
like "$(tr '\0' ' ' <"/proc/$(pod_pid1 1)/cmdline")" \
	"--listen-peer-urls=https://0.0.0.0:2380" "etcd listens with https"
unlike "$(tr '\0' ' ' <"/proc/$(pod_pid1 1)/cmdline")" \
	"cert-file" "the certificates reach etcd once, through its environment"

# Restart on its data.
id1=$(member_id 1)
pod_stop 1
launch 1
ok "restart: member 1 healthy again" wait_healthy "0 1 2" 60
is "$(start_action 1)" restart "restart: decided restart"
is_id "$(member_id 1)" "$id1" "restart: same member ID"

# A wiped volume: replaced over TLS (remove, then add as a learner).
pod_stop 2
pod_wipe 2
log_mark 2
launch 2
ok "replace: member 2 healthy again" wait_healthy "0 1 2" 90
ok "replace: decided replace" new_log_has 2 'action=replace'
is "$(start_action 2)" join "replace: then started etcd as the new member it added (join)"
ok "replace: 3 voters" wait_voters 3 60
is "$(get_key before 2)" v1 "replace: the key is on the new member"

# Scale 3 -> 5.
for n in 3 4; do pod_create "$n"; dns_publish "$n"; done
launch 3
launch 4
ok "scale: 5 voters" wait_voters 5 150
ok "scale: all 5 healthy" wait_healthy "0 1 2 3 4" 60
is "$(start_action 3)" join "scale: member 3 joined"
is "$(get_key before 4)" v1 "scale: member 4 serves the key"
for n in 0 1 2 3 4; do
	unlike "$(pod_log "$n")" 'outcome=tls|status tls' "pod $n: no TLS failure along the way"
done
done_testing
