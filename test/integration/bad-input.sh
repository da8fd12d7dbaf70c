#!/usr/bin/env bash
# Bad input exits 2 with a message naming the setting and changes nothing; a data dir
# of another cluster is refused (exit 5) and left as it is; a missing or non-executable
# etcd is exit 2 at once (before any wait for DNS); identity flags (--force-new-cluster)
# and a password inside the user setting are refused; `force-new-cluster` on an empty
# volume writes nothing.
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
try 2 '--force-new-cluster after --: refused' "--force-new-cluster after --" -- --force-new-cluster
try 2 '--force-new-cluster after --.*etcd-init force-new-cluster' \
	"-force-new-cluster=false after --: refused, the route named" -- -force-new-cluster=false
try 2 '--discovery-endpoints after --' "--discovery-endpoints after --" -- \
	--discovery-endpoints=http://127.0.0.1:2379
try 2 '--auth-user holds a password' "--auth-user user:password" --auth-user root:secret
out=$(pod_exec 2 timeout 60 "$ETCD_INIT" plan --etcd "$ETCD_BIN" --data-dir "$(pod_data 2)" \
	--wait-timeout 20s -- --force-new-cluster 2>&1)
is "$?" 2 "plan with --force-new-cluster after --: exit 2"
like "$out" '--force-new-cluster after --: refused' "plan with --force-new-cluster: names it"
# try_env EXPECTED_STATUS PATTERN DESCRIPTION VAR=VALUE: the same, with a variable set.
try_env()
{
	local want=$1 pattern=$2 what=$3 out st
	out=$(pod_exec 2 env "$4" timeout 60 "$ETCD_INIT" --etcd "$ETCD_BIN" \
		--data-dir "$(pod_data 2)" --wait-timeout 20s 2>&1)
	st=$?
	is "$st" "$want" "$what: exit $want"
	like "$out" "$pattern" "$what: message names it"
	unlike "$out" 'secret' "$what: no secret in the message"
}
try_env 2 'ETCD_FORCE_NEW_CLUSTER=true in the environment: refused' \
	"ETCD_FORCE_NEW_CLUSTER=true" ETCD_FORCE_NEW_CLUSTER=true
try_env 2 'ETCD_FORCE_NEW_CLUSTER=false in the environment' \
	"ETCD_FORCE_NEW_CLUSTER=false (collides with the one-shot flag)" ETCD_FORCE_NEW_CLUSTER=false
try_env 2 'ETCDCTL_USER holds a password' "ETCDCTL_USER=user:password" ETCDCTL_USER=root:secret
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

# etcd missing, or not executable: exit 2 at once, in a pod whose own name is not in DNS
# (pod 4: any wait for DNS would last the 20 s of --wait-timeout and end in exit 3).
pod_create 4
# try_etcd PATH PATTERN DESCRIPTION: run in pod 4 with --etcd PATH; exit 2 within 5 s.
try_etcd()
{
	local out st t0 ms
	t0=$(ei_now_ms)
	out=$(pod_exec 4 timeout 60 "$ETCD_INIT" --etcd "$1" --data-dir "$(pod_data 4)" \
		--wait-timeout 20s 2>&1)
	st=$?
	ms=$(($(ei_now_ms) - t0))
	is "$st" 2 "$3: exit 2"
	like "$out" "$2" "$3: names the path and what is expected"
	ok "$3: at once (${ms} ms), before any wait for DNS" test "$ms" -lt 5000
	unlike "$out" 'waiting for DNS' "$3: no DNS wait"
}
try_etcd /nonexistent/etcd '/nonexistent/etcd: No such file.*expected an executable etcd' \
	"missing etcd"
printf '#!/bin/sh\n' >"$EI_RUN/etcd-not-executable"
chmod 0644 "$EI_RUN/etcd-not-executable"
try_etcd "$EI_RUN/etcd-not-executable" 'etcd-not-executable is not executable' \
	"non-executable etcd"
try_etcd "$EI_RUN" 'is a directory, not a regular file' "a directory as etcd"
ok "etcd checks: pod 4's volume untouched" volume_empty 4
# plan only shows what run would do: a missing etcd is no error there.
out=$(pod_exec 2 timeout 60 "$ETCD_INIT" plan --etcd /nonexistent/etcd \
	--data-dir "$(pod_data 2)" --wait-timeout 20s 2>&1)
is "$?" 0 "plan with a missing etcd: exit 0"
like "$out" '/nonexistent/etcd' "plan with a missing etcd: shows the path it would run"
is "$(tree)" "$tree_before" "missing etcd: data dir unchanged"

# force-new-cluster on an empty volume: refused, nothing written; on a copy of a real
# member's volume: the request, and what happens next.
out=$(pod_exec 4 "$ETCD_INIT" force-new-cluster --data-dir "$(pod_data 4)" 2>&1)
is "$?" 2 "force-new-cluster on an empty volume: exit 2"
like "$out" 'no WAL in .*nothing to start a cluster from' "force-new-cluster: says why"
ok "force-new-cluster on an empty volume: nothing written" volume_empty 4
cp -a "$(pod_data 2)" "$EI_RUN/fnc-copy"
out=$(pod_exec 2 "$ETCD_INIT" force-new-cluster --data-dir "$EI_RUN/fnc-copy" 2>&1)
is "$?" 0 "force-new-cluster on a volume with a WAL: exit 0"
like "$out" "kubectl delete pod $(pod_name 2)" "force-new-cluster: says what happens next"
ok "force-new-cluster: the request is on the volume" \
	test -f "$EI_RUN/fnc-copy/.etcd-init-force-new-cluster"
like "$(cat "$EI_RUN/fnc-copy/.etcd-init-force-new-cluster")" \
	'^force-new-cluster requested at [0-9T:-]+Z by uid 0 on host ' "the request says who and when"
is "$(find "$EI_RUN/fnc-copy" -maxdepth 1 -name '.etcd-init-force-new-cluster.tmp*')" "" \
	"force-new-cluster: no temporary file left"
rm -rf "$EI_RUN/fnc-copy"
pod_destroy 4

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
