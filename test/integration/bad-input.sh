#!/usr/bin/env bash
# Bad input exits 2 with a message naming the setting and changes nothing; a data dir
# of another cluster is refused (exit 5) and left as it is; a missing etcd is 127.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

cold_start3
ok "a key is written" put_key k v 0
pod_stop 2
members() { member_list_json 0 | jq -c '[.members[] | {ID, name, isLearner}] | sort_by(.ID)'; }
# tree: pod 2's volume (every entry and the sha256 of every file).
tree() { volume_manifest "$(pod_data 2)"; }
members_before=$(members)
tree_before=$(tree)

# try EXPECTED_STATUS PATTERN DESCRIPTION ARGS...: run etcd-init in pod 2 (stopped).
try()
{
	local want=$1 pattern=$2 what=$3 out st
	shift 3
	out=$(pod_exec 2 timeout 60 "$ETCD_INIT" --etcd "$ETCD_BIN" --data-dir "$(pod_data 2)" \
		--wait-timeout 20s "$@" 2>&1)
	st=$?
	is "$st" "$want" "$what: exit $want"
	like "$out" "$pattern" "$what: message names it"
}
try 2 '--initial-cluster-size' "size 0" --initial-cluster-size 0
try 2 '--peer-port' "port out of range" --peer-port 99999
try 2 '--name/HOSTNAME' "name without ordinal" --name etcd
try 2 '--scheme' "unknown scheme" --scheme ftp
try 2 'URI_SCHEME is https but no certificate is set' "https without certificates" --scheme https
try 2 '--cluster-domain' "bad domain" --cluster-domain 'bad..domain'
try 2 'unknown option' "unknown option" --frobnicate
try 2 'discovery-srv' "discovery flag after --" -- --discovery-srv=example.com
try 2 '--name after --' "--name after --" -- --name=other
is "$(members)" "$members_before" "bad input: member list unchanged"
is "$(tree)" "$tree_before" "bad input: data dir unchanged"

# A conflicting ETCD_NAME in the environment (checked when building etcd's flags).
out=$(pod_exec 2 env ETCD_NAME=other timeout 60 "$ETCD_INIT" --etcd "$ETCD_BIN" \
	--data-dir "$(pod_data 2)" --wait-timeout 20s 2>&1)
is "$?" 2 "ETCD_NAME=other: exit 2"
like "$out" 'ETCD_NAME=other' "ETCD_NAME=other: message names it"
is "$(members)" "$members_before" "ETCD_NAME: member list unchanged"

# A new member (pod 3) whose environment carries a computed setting: refused before
# any member add.
pod_create 3
dns_publish 3
out=$(pod_exec 3 env ETCD_INITIAL_CLUSTER_STATE=existing timeout 60 "$ETCD_INIT" \
	--etcd "$ETCD_BIN" --data-dir "$(pod_data 3)" --wait-timeout 20s 2>&1)
is "$?" 2 "ETCD_INITIAL_CLUSTER_STATE on a joiner: exit 2"
like "$out" 'ETCD_INITIAL_CLUSTER_STATE' "ETCD_INITIAL_CLUSTER_STATE: message names it"
is "$(members)" "$members_before" "ETCD_INITIAL_CLUSTER_STATE: no member added"

# etcd missing.
out=$(pod_exec 2 timeout 60 "$ETCD_INIT" --etcd /nonexistent/etcd --data-dir "$(pod_data 2)" 2>&1)
is "$?" 127 "missing etcd: exit 127"
like "$out" '/nonexistent/etcd' "missing etcd: named"
is "$(tree)" "$tree_before" "missing etcd: data dir unchanged"

# A volume of another cluster: a member with pod 2's name and peer URL, bootstrapped
# alone with another token (as a volume kept from an earlier install would be), made
# by plain etcd in pod 5.
pod_create 5
fqdn2=$(pod_fqdn 2)
pod_start 5 "$ETCD_BIN" --name etcd-2 --data-dir "$(pod_data 5)" \
	--initial-cluster "etcd-2=http://$fqdn2:2380" --initial-advertise-peer-urls "http://$fqdn2:2380" \
	--listen-peer-urls http://0.0.0.0:2380 --listen-client-urls http://0.0.0.0:2379 \
	--advertise-client-urls "http://$(pod_ip 5):2379" --initial-cluster-token other-install
ok "another cluster runs in pod 5" wait_healthy "5" 60
pod_stop 5
mv "$(pod_data 2)" "$(pod_data 2).own"
cp -a "$(pod_data 5)" "$(pod_data 2)"
tree_before=$(tree)
out=$(pod_exec 2 timeout 60 "$ETCD_INIT" --etcd "$ETCD_BIN" --data-dir "$(pod_data 2)" \
	--wait-timeout 20s 2>&1)
is "$?" 5 "foreign volume: exit 5 (refused)"
like "$out" 'another cluster' "foreign volume: says why"
is "$(tree)" "$tree_before" "foreign volume: data dir untouched"
is "$(members)" "$members_before" "foreign volume: member list unchanged"

# The own volume back: the member restarts.
rm -rf "$(pod_data 2)"
mv "$(pod_data 2).own" "$(pod_data 2)"
launch 2
ok "own volume back: healthy" wait_healthy "0 1 2" 60
is "$(get_key k 2)" v "the key is there"
done_testing
