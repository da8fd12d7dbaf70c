#!/usr/bin/env bash
# TAP self-test of the integration harness (lib.sh), with plain etcd and no etcd-init:
# pods and their DNS view, the static 3-member cluster of the official manifest, etcd
# helpers, DNS changes at run time, signals to PID 1, and a teardown that leaves nothing
# behind (after a normal exit, a SIGTERM, a half-done setup and a SIGKILLed run).
# etcd version: $ETCD_VERSION_UNDER_TEST (3.4 or 3.5; default 3.4).
# shellcheck disable=SC2119 # optional arguments of member_count and co.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/integration/lib.sh
source "$HERE/lib.sh"

ei_env_setup "${ETCD_VERSION_UNDER_TEST:-3.4}"

# ---------------------------------------------------------------- pods and DNS

for n in 0 1 2; do
	ok "pod_create $n" pod_create "$n"
done
is "$(ip -n "$(pod_ns 1)" -4 -o addr show dev eth0 | awk '{print $4}')" "$(pod_ip 1)/24" \
	"pod 1 has its address"
is "$(stat -c %a "$(pod_data 0)")" 700 "data dir is 0700"
nok "nothing resolves before dns_publish" dns_lookup "$(pod_fqdn 0)"
for n in 0 1 2; do
	ok "dns_publish $n" dns_publish "$n"
done
is "$(dns_lookup "$(pod_fqdn 1)")" "$(pod_ip 1)" "A record served by unbound"
is "$(dns_lookup "$(srv_name server)" SRV)" "$(for n in 0 1 2; do
	echo "0 100 2380 $(pod_fqdn "$n")."
done)" "_etcd-server._tcp SRV set has the 3 pods (records of one name append)"
is "$(dns_lookup "$(srv_name client)" SRV | awk '{print $3}' | sort -u)" 2379 "_etcd-client._tcp SRV port"
is "$(pod_exec 0 cat /etc/resolv.conf | head -n 1)" "nameserver $EI_BRIDGE_IP" "pod sees its own resolv.conf"
is "$(pod_resolve 0 etcd-1.etcd)" "$(pod_ip 1)" "pod 0 resolves etcd-1.etcd through its search list"
is "$(pod_resolve 2 "$(pod_fqdn 0)")" "$(pod_ip 0)" "pod 2 resolves etcd-0's FQDN"
is "$(pod_dig 1 "_etcd-server._tcp.etcd" SRV | wc -l)" 3 "pod 1 sees the SRV set (dig +search)"
nok "names outside the cluster domain do not resolve (nothing is forwarded)" pod_resolve 0 example.com

# ---------------------------------------------------------------- static cluster

t0=$(ei_now_ms)
for n in 0 1 2; do
	ok "static etcd $n started" static_pod_start "$n" 3
done
ok "static 3-member cluster healthy" wait_healthy "0 1 2" 60
t1=$(ei_now_ms)
diag "etcd $EI_ETCD_VERSION static 3-member cold start to healthy: $((t1 - t0)) ms"
is "$(pod_exec 0 cat /proc/1/comm)" etcd "etcd is PID 1 of pod 0"
is "$(member_count)" 3 "member_count"
is "$(voter_count)" 3 "voter_count"
is "$(learner_count)" 0 "learner_count"
is "$(member_list_json 1 | jq -r '.members[].name' | sort | tr '\n' ' ')" "etcd-0 etcd-1 etcd-2 " \
	"member names"
is "$(member_list_json 2 | jq -r '.members[] | select(.name == "etcd-1") | .peerURLs[0]')" \
	"http://$(pod_fqdn 1):2380" "peer URLs use the canonical FQDN"
like "$(member_list_json | jq -r '.members[0].ID')" '^[0-9]+$' "member IDs are exact decimal strings"
ok "put_key through member 0" put_key harness/a one 0
is "$(get_key harness/a 2)" one "get_key through member 2"
ok "put_key through member 1" put_key harness/a two 1
is "$(get_key harness/a 0)" two "get_key through member 0"
is "$(get_key harness/a)" two "get_key through any member"
nok "get_key of an absent key fails" get_key harness/absent 1
cid0=$(cluster_id 0)
like "$cid0" '^[0-9]+$' "cluster_id is decimal"
is "$(cluster_id 1)" "$cid0" "cluster_id of member 1 equal"
is "$(cluster_id 2)" "$cid0" "cluster_id of member 2 equal"
is "$(member_list_json | jq -r '.header.cluster_id')" "$cid0" "member list header has the same cluster id"
is "$( (member_id 0; member_id 1; member_id 2) | sort -u | wc -l)" 3 "member_id differs per member"

# ---------------------------------------------------------------- DNS changes at run time

ok "dns_unpublish 1" dns_unpublish 1
nok "A record of etcd-1 gone" dns_lookup "$(pod_fqdn 1)"
is "$(dns_lookup "$(srv_name server)" SRV | awk '{print $4}' | tr '\n' ' ')" \
	"$(pod_fqdn 0). $(pod_fqdn 2). " "server SRV set keeps the other pods"
is "$(dns_lookup "$(srv_name client)" SRV | wc -l)" 2 "client SRV set keeps the other pods"
nok "pod 0 no longer resolves etcd-1" pod_resolve 0 etcd-1.etcd
is "$(dns_published | tr '\n' ' ')" "0 2 " "dns_published"
ok "dns_publish 1 again" dns_publish 1
is "$(dns_lookup "$(pod_fqdn 1)")" "$(pod_ip 1)" "A record of etcd-1 back"
is "$(dns_lookup "$(srv_name server)" SRV | wc -l)" 3 "SRV set has 3 targets again"
is "$(pod_resolve 0 etcd-1.etcd)" "$(pod_ip 1)" "pod 0 resolves etcd-1 again"
ok "dns_add of a second A record appends" dns_add "multi.$EI_DOMAIN. 5 IN A 10.1.2.3"
ok "dns_add again" dns_add "multi.$EI_DOMAIN. 5 IN A 10.1.2.4"
is "$(dns_lookup "multi.$EI_DOMAIN" | tr '\n' ' ')" "10.1.2.3 10.1.2.4 " "both A records served"
ok "dns_remove" dns_remove "multi.$EI_DOMAIN"
nok "removed name gone" dns_lookup "multi.$EI_DOMAIN"

# ---------------------------------------------------------------- signals to PID 1

pod_stop 2
is "$?" 0 "etcd as PID 1 exits 0 on SIGTERM (pod_stop)"
nok "pod 2 is not running" pod_running 2
is "$(pod_exit_status 2)" 0 "pod_exit_status"
ok "members 0 and 1 still healthy" wait_healthy "0 1" 20
ok "writes go on with 2 of 3" put_key harness/b three 0
ok "static etcd 2 restarted on its data" static_pod_start 2 3
ok "3 members healthy again" wait_healthy "0 1 2" 60
is "$(get_key harness/b 2)" three "restarted member caught up"
pod_kill 1
is "$?" 137 "pod_kill: SIGKILL gives 137"
is "$(pod_wait_exit 1 1)" 137 "pod_wait_exit prints the status"
ok "pod_wipe" pod_wipe 1
is "$(find "$(pod_data 1)" -mindepth 1 | wc -l) $(stat -c %a "$(pod_data 1)")" "0 700" "wiped data dir is empty and 0700"

# A pod's PID 1 gets a container-like process: default dispositions, empty mask, fds 0-2,
# clean environment, its own hostname. pod 1 is stopped: reuse its netns.
lines=$(wc -l <"$(pod_dir 1)/log")
# shellcheck disable=SC2016
ok "pod_start a shell" pod_start 1 sh -c 'echo "pid $$"; grep -E "^Sig(Blk|Ign)" /proc/self/status
	echo "host $(hostname) $HOSTNAME $SERVICE_NAME $K8S_NAMESPACE"; env | grep -c "^ETCD" ; exec ls /proc/self/fd'
is "$(pod_wait_exit 1 10)" 0 "it exits 0"
is "$(tail -n +"$((lines + 1))" "$(pod_dir 1)/log" | tr '\t\n' '  ')" \
	"pid 1 SigBlk: 0000000000000000 SigIgn: 0000000000000000 host etcd-1 etcd-1 etcd ns 0 0 1 2 3 " \
	"PID 1: clean signal state, hostname, env, only fds 0-2 (3 is ls's own)"
pod_start 1 sh -c 'exit 3'
is "$(pod_wait_exit 1 10)" 3 "exit status of PID 1 is reported"
pod_start 1 sleep 60
t0=$(ei_now_ms)
EI_STOP_TIMEOUT=2 pod_stop 1 INT
rc=$?
is "$rc" 137 "a PID 1 without a SIGINT handler ignores it: pod_stop falls back to SIGKILL"
ok "after EI_STOP_TIMEOUT (2 s)" test $(($(ei_now_ms) - t0)) -lt 4000

ok "pod_destroy 1" pod_destroy 1
nok "its netns is gone" test -e "/run/netns/$(pod_ns 1)"
ok "pod_create 1 again (the data dir stays)" pod_create 1
is "$(ip netns exec "$(pod_ns 1)" ip -o addr show | awk '{print $2, $4}' | tr '\n' ' ')" \
	"lo 127.0.0.1/8 lo ::1/128 eth0 $(pod_ip 1)/24 " "pod addresses: lo with ::1, eth0 IPv4 only"

# ---------------------------------------------------------------- teardown

# Leftovers of run ID: netns, bridge, veths, /etc/netns dirs, run dirs, unbound, pods.
leftovers()
{
	local id=$1
	ip netns list | awk '{print $1}' | grep "^ei$id-"
	ip -o link show | awk -F': ' '{print $2}' | grep -E "^ei[bvp]${id}(n|@|$)"
	ls -d /etc/netns/ei"$id"-* /tmp/ei-run."$id".* 2>/dev/null
	pgrep -f "/tmp/ei-run\.$id\..*/unbound.conf"
	return 0
}

nested="$EI_RUN/nested.sh"
cat >"$nested" <<EOF
source "$HERE/lib.sh"
ei_env_setup "$EI_ETCD_VERSION"
pod_create 0 && dns_publish 0 && pod_create 1 || exit 9
pod_start 0 sleep 1000
pod_start 1 sh -c 'trap "" TERM; sleep 1000'
echo "\$EI_ID \$(pod_pid1 0) \$(pod_pid1 1)" >"\$1"
case \$2 in
exit) exit 0 ;;
wait) for ((i = 0; i < 600; i++)); do sleep 0.1; done ;;
esac
EOF

# 1. a normal exit
out=$(timeout 60 bash "$nested" "$EI_RUN/ids1" exit 2>&1)
read -r id p0 p1 <"$EI_RUN/ids1"
is "$(leftovers "$id")" "" "nested run: teardown on exit leaves nothing" || diag "$out"
nok "nested run: its pods' processes are gone" kill -0 "$p0" "$p1"

# 2. SIGTERM while waiting
bash "$nested" "$EI_RUN/ids2" wait >"$EI_RUN/nested2.out" 2>&1 &
npid=$!
wait_for 20 test -s "$EI_RUN/ids2"
read -r id p0 p1 <"$EI_RUN/ids2"
ok "nested run 2 is up" test -n "$(leftovers "$id")"
kill -TERM "$npid"
wait "$npid"
is "$?" 143 "nested run 2 exits 143 on SIGTERM"
is "$(leftovers "$id")" "" "nested run 2: teardown on SIGTERM leaves nothing"
nok "nested run 2: its pods' processes are gone" kill -0 "$p0" "$p1"

# 3. a half-done setup (unbound fails to start, after the bridge was made)
out=$(EI_UNBOUND=/bin/false timeout 60 bash -c "echo \$\$ >'$EI_RUN/ids3'; source '$HERE/lib.sh'; ei_env_setup $EI_ETCD_VERSION" 2>&1)
rc=$?
is "$rc" 1 "half-done setup exits 1"
like "$out" "Bail out! environment setup failed \(unbound\)" "half-done setup bails out"
is "$(leftovers "$(<"$EI_RUN/ids3")")" "" "half-done setup: teardown leaves nothing"

# 4. a SIGKILLed run: the next setup cleans its leftovers
bash "$nested" "$EI_RUN/ids4" wait >"$EI_RUN/nested4.out" 2>&1 &
npid=$!
wait_for 20 test -s "$EI_RUN/ids4"
read -r id p0 p1 <"$EI_RUN/ids4"
kill -KILL "$npid"
wait "$npid" 2>/dev/null
ok "SIGKILLed run leaves things behind" test -n "$(leftovers "$id")"
ok "its pod still runs" kill -0 "$p0"
out=$(timeout 60 bash "$nested" "$EI_RUN/ids5" exit 2>&1)
is "$(leftovers "$id")" "" "next setup cleaned the SIGKILLed run's leftovers" || diag "$out"
nok "the SIGKILLed run's pods are gone" kill -0 "$p0" "$p1"
[[ $out == *"cleaning stale state of run $id"* ]] || diag "(a parallel run cleaned run $id)"

done_testing
