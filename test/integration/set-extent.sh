#!/usr/bin/env bash
# The set's extent is evidence. A set bootstrapped with --initial-cluster-size=1 and
# scaled to 3 keeps its data on etcd-1 and etcd-2 too. In a full restart where etcd-0's
# volume is lost and pods 1-2 are late in DNS (not scheduled yet: no A record, no SRV
# target), etcd-0 must not bootstrap a look-alike cluster:
#  1. with the set's size known (--replicas 3, as the StatefulSet's spec.replicas tells
#     it in Kubernetes), it waits for etcd-1 and etcd-2, naming them;
#  2. with only the initial size to go by, an SRV lookup that fails (SERVFAIL from the
#     DNS server; a server that drops the query) is unknown, never "no other member": it
#     waits, naming the lookup, and says once at warn level what it cannot know.
# Each time nobody's data is moved aside; once pods 1-2 are back, etcd-0 replaces itself
# and the key written before is served.
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: the version from the environment; functions called through ok and wait_for
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

scaled_from_one

# full_restart: every pod stops, etcd-0's volume is lost, pods 1-2 are not in DNS yet
# (their volumes are recorded, to check that nothing touches them).
full_restart()
{
	local n
	for n in 0 1 2; do pod_stop "$n"; done
	pod_wipe 0
	dns_unpublish 1
	dns_unpublish 2
	for n in 1 2; do volume_manifest "$(pod_data "$n")" >"$EI_RUN/manifest-$n"; done
	log_mark 0
}

# no_bootstrap CASE: what etcd-0 did since the mark was only to wait; its volume is empty
# and the others' are unchanged.
no_bootstrap()
{
	local n
	nok "$1: etcd-0 decided nothing but wait, started no etcd" \
		grep -Eq 'action=(bootstrap|join|start-existing|replace|rejoin)|msg="starting etcd"' "$(log_new_file 0)"
	ok "$1: etcd-0's volume is still empty" volume_empty 0
	for n in 1 2; do
		is "$(volume_manifest "$(pod_data "$n")")" "$(cat "$EI_RUN/manifest-$n")" \
			"$1: etcd-$n's volume is byte for byte unchanged"
	done
}

# back CASE [START0]: pods 1-2 are scheduled (records published) and restart on their data; etcd-0
# replaces itself (started again once they serve, when START0 is given); the key is
# served; no data was moved aside anywhere.
back()
{
	local n
	for n in 1 2; do
		dns_publish "$n"
		launch "$n" --initial-cluster-size 1
	done
	ok "$1: etcd-1 and etcd-2 restart on their data" wait_healthy "1 2" 90
	if [[ -n ${2:-} ]]; then
		launch 0 --initial-cluster-size 1
	fi
	ok "$1: etcd-0 replaces itself" wait_for 60 new_log_has 0 'action=replace'
	ok "$1: 3 voters again" wait_voters 3 120
	ok "$1: all healthy" wait_healthy "0 1 2" 60
	is "$(get_key k 0)" v "$1: etcd-0 serves the key written before"
	for n in 0 1 2; do
		is "$(find "$(pod_data "$n")" -maxdepth 1 -name 'member.removed-*' | wc -l)" 0 \
			"$1: nothing moved aside on etcd-$n"
	done
}

srv=$(srv_name server)
# srv_zone TYPE [FORWARD]: serve the SRV name from a local zone of TYPE (unbound-control;
# "" removes it), forwarded to FORWARD when given. unbound then no longer answers the
# records it had under cluster.local (a zone added at run time), so etcd-0's A record is
# added again.
srv_zone()
{
	ubctl forward_remove "$srv." >/dev/null 2>&1
	ubctl local_zone_remove "$srv." >/dev/null 2>&1
	if [[ -n $1 ]]; then
		ubctl local_zone "$srv." "$1" >/dev/null
	fi
	if [[ -n ${2:-} ]]; then
		ubctl forward_add +i "$srv." "$2" >/dev/null
	fi
	dns_remove "$(pod_fqdn 0)"
	dns_add "$(pod_fqdn 0). 5 IN A $(pod_ip 0)"
}

# 1. The set's size is known: first from the Kubernetes API (the StatefulSet's
# spec.replicas, from the HTTPS stand-in test/tools/k8s-api), then from --replicas 3.
k8s_api_start
full_restart
EI_POD_ENV=("KUBERNETES_SERVICE_HOST=$EI_BRIDGE_IP" "KUBERNETES_SERVICE_PORT=$api_port")
launch 0 --initial-cluster-size 1 --service-account-dir "$k8s/sa"
ok "api: etcd-0 waits for etcd-1 and etcd-2, naming them" \
	wait_for 20 new_log_has 0 "action=wait .*every other member of the set \\(3, from the StatefulSet's spec.replicas 3\\).*$(pod_fqdn 1 | sed 's/\./\\./g'): does not resolve.*$(pod_fqdn 2 | sed 's/\./\\./g'): does not resolve"
ok "api: it asked the API" test "$(wc -l <"$k8s/count")" -gt 0
# The API fails (500): the size is unknown this round, which is a reason to wait too.
state "replicas 3" "mode 500"
ok "api 500: etcd-0 waits, naming the API's failure" \
	wait_for 20 new_log_has 0 "action=wait .*the Kubernetes API did not tell the set's size: .*500"
nok "api: no warning about the set's size" new_log_has 0 'known only from --initial-cluster-size'
pod_stop 0
EI_POD_ENV=()
no_bootstrap api
log_mark 0
launch 0 --initial-cluster-size 1 --replicas 3
ok "replicas: etcd-0 waits for etcd-1 and etcd-2, naming them" \
	wait_for 20 new_log_has 0 "action=wait .*every other member of the set \\(3, from --replicas 3\\).*$(pod_fqdn 1 | sed 's/\./\\./g'): does not resolve.*$(pod_fqdn 2 | sed 's/\./\\./g'): does not resolve"
nok "replicas: no warning about the set's size" new_log_has 0 'known only from --initial-cluster-size'
sleep 5
no_bootstrap replicas
back replicas

# 2. Only the initial size to go by, and the SRV lookup fails: the DNS server answers
# SERVFAIL (the name is forwarded to a server that does not exist).
full_restart
dns_remove "$srv"
srv_zone typetransparent 127.0.0.9
is "$(dns_lookup "$(pod_fqdn 0)")" "$(pod_ip 0)" "servfail: etcd-0's own name still resolves"
out=$(dig +time=2 +tries=1 @"$EI_BRIDGE_IP" -t SRV "$srv." 2>&1)
like "$out" 'status: SERVFAIL' "servfail: the DNS server answers SERVFAIL for $srv"
launch 0 --initial-cluster-size 1
ok "servfail: etcd-0 waits, naming the SRV lookup" \
	wait_for 20 new_log_has 0 "action=wait .*the SRV lookup of ${srv//./\\.} and [^ ]+ failed"
ok "servfail: etcd-0 says once at warn level that the set's size is known only from the initial size" \
	new_log_has 0 'level=warn msg="what the evidence cannot cover" detail=".*known only from --initial-cluster-size=1 .*--replicas'
is "$(log_new 0 | grep -c 'what the evidence cannot cover')" 1 "servfail: said once"
sleep 5
no_bootstrap servfail

# ... and a server that drops the query (a timeout), for a new start of etcd-0.
pod_stop 0
srv_zone deny
out=$(dig +time=1 +tries=1 @"$EI_BRIDGE_IP" -t SRV "$srv." 2>&1)
like "$out" 'timed out|no servers could be reached' "timeout: the DNS server drops the SRV query"
log_mark 0
launch 0 --initial-cluster-size 1
ok "timeout: etcd-0 waits, naming the SRV lookup" \
	wait_for 30 new_log_has 0 "action=wait .*the SRV lookup of ${srv//./\\.} and [^ ]+ failed"
sleep 5
no_bootstrap timeout
# etcd-0 stops before the SRV lookup works again: with only the initial size to go by,
# an SRV answer that shows etcd-0 alone before pods 1-2 are back would let it bootstrap
# (the risk the README names, which --replicas or the Kubernetes API removes).
pod_stop 0
srv_zone ""
dns_publish 0
back srv-failed start0
done_testing
