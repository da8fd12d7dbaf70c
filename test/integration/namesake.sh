#!/usr/bin/env bash
# A member named like us whose peer URL points at another host is never removed: while
# it answers, etcd-init refuses (exit 5); while it is silent, it waits and says why, and
# gives up after --wait-timeout (exit 3). Removed by hand, the pod joins.
# shellcheck source-path=SCRIPTDIR disable=SC2119 # helpers with optional arguments
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

# line_has FILE TEXT1 TEXT2: FILE has a line containing both fixed strings.
# shellcheck disable=SC2317 # called through ok
line_has()
{
	grep -F -- "$2" "$1" | grep -qF -- "$3"
}

cold_start3
ok "a key is written" put_key namesake v1 0

# ---- the namesake: plain etcd in pod 5 joins as etcd-3 with its IP as peer URL
pod_create 5
ip5=$(pod_ip 5)
# etcd 3.4 refuses a voter add ("unhealthy cluster") until every member has been
# connected for 5 s: retry until it is accepted.
for ((i = 0; i < 30; i++)); do
	add_out=$(ectl 0 member add etcd-3 --peer-urls="http://$ip5:2380" 2>&1) && break
	sleep 1
done
like "$add_out" "ETCD_INITIAL_CLUSTER=" "namesake: member add etcd-3 at http://$ip5:2380"
initial=$(sed -nE 's/^ETCD_INITIAL_CLUSTER="(.*)"$/\1/p' <<<"$add_out")
namesake_id=$(member_list_json 0 | jq -r --arg u "http://$ip5:2380" '.members[] | select(.peerURLs[0] == $u) | .ID')
pod_start 5 "$ETCD_BIN" --name etcd-3 --data-dir "$(pod_data 5)" \
	--listen-peer-urls http://0.0.0.0:2380 --listen-client-urls http://0.0.0.0:2379 \
	--advertise-client-urls "http://$ip5:2379" --initial-advertise-peer-urls "http://$ip5:2380" \
	--initial-cluster "$initial" --initial-cluster-state existing
ok "namesake: pod 5 healthy" wait_healthy "0 1 2 5" 60
ok "namesake: 4 voters" wait_voters 4 30
is "$(member_list_json 0 | jq -r --arg i "$namesake_id" '.members[] | select(.ID == $i) | .name')" \
	etcd-3 "namesake: pod 5's member is named etcd-3 (started)"
before=$(members_of 0)
diag "members:" "$before"

# ---- a. pod 3 while the namesake is alive: refused
pod_create 3
dns_publish 3
log_mark 3
launch 3
is "$(pod_wait_exit 3 30)" 5 "alive namesake: refused (exit 5)"
newlog=$(log_new_file 3)
ok "alive namesake: the log says another member uses this pod's name" \
	grep -qF "another member uses this pod's name" "$newlog"
ok "alive namesake: ... and names that member's peer URL" \
	line_has "$newlog" "another member uses this pod's name" "http://$ip5:2380"
nok "alive namesake: no remove, add or etcd start in the log" \
	grep -qE 'action=(replace|join|start-existing)|removing our old member|adding ourselves|starting etcd' "$newlog"
is "$(members_of 0)" "$before" "alive namesake: member list unchanged"
is "$(member_count 0)" 4 "alive namesake: 4 members"
ok "alive namesake: pod 3's volume is empty" volume_empty 3

# ---- b. the namesake silent, still not at pod 3: wait, never remove, give up
pod_stop 5
ok "silent namesake: the other 3 still healthy" wait_healthy "0 1 2" 30
log_mark 3
t0=$SECONDS
EI_WAIT_TIMEOUT=15s launch 3
is "$(pod_wait_exit 3 40)" 3 "silent namesake: gave up waiting (exit 3)"
t=$((SECONDS - t0))
ok "silent namesake: after the 15 s timeout (took ${t}s)" test "$t" -ge 14
newlog=$(log_new_file 3)
ok "silent namesake: the log says it is not removing it" \
	line_has "$newlog" "not removing it" "http://$ip5:2380"
nok "silent namesake: no remove, add or etcd start in the log" \
	grep -qE 'action=(replace|join|start-existing)|removing our old member|adding ourselves|starting etcd' "$newlog"
is "$(members_of 0)" "$before" "silent namesake: member list unchanged"
ok "silent namesake: pod 3's volume is empty" volume_empty 3

# ---- c. removed by hand: pod 3 joins
ok "namesake removed by hand" ectl 0 member remove "$(printf %x "$namesake_id")"
log_mark 3
launch 3
ok "pod 3 joins: 4 voters, no learner" wait_voters 4 90
ok "pod 3 joins: all 4 healthy" wait_healthy "0 1 2 3" 30
ok "pod 3 joins: decided join" grep -q 'action=join' "$(log_new_file 3)"
is "$(member_count 0)" 4 "pod 3 joins: 4 members"
is "$(member_list_json 0 | jq -r '.members[] | select(.name == "etcd-3") | .peerURLs | join(",")')" \
	"http://$(pod_fqdn 3):2380" "pod 3 joins: etcd-3 is at pod 3's canonical peer URL"
is "$(get_key namesake 3)" v1 "pod 3 joins: it serves the key"
done_testing
