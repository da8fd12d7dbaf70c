#!/usr/bin/env bash
# A cluster made by the official manifest's static flags (short peer names such as
# etcd-0.etcd, the WAL in <data-dir>/wal) is taken over by etcd-init and scaled 3 -> 5.
# etcd-init started on such a volume without --wal-dir refuses before any network call
# and changes nothing (no second member for the same pod, the volume untouched).
# shellcheck source-path=SCRIPTDIR disable=SC2119 # helpers with optional arguments
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

# manifest_start N: plain etcd with exactly the official manifest's flags
# (HOSTNAME=etcd-N, SERVICE_NAME=etcd, K8S_NAMESPACE=ns; /data is the pod's volume).
manifest_start()
{
	local n=$1 i host initial=""
	host=$(pod_name "$n").$EI_SERVICE
	for i in 0 1 2; do
		initial+="${initial:+,}$(pod_name "$i")=http://$(pod_name "$i").$EI_SERVICE:2380"
	done
	pod_start "$n" "$ETCD_BIN" \
		--name="$(pod_name "$n")" \
		--data-dir="$(pod_data "$n")" \
		--wal-dir="$(pod_data "$n")/wal" \
		--listen-peer-urls=http://0.0.0.0:2380 \
		--listen-client-urls=http://0.0.0.0:2379 \
		--advertise-client-urls="http://$host:2379" \
		--initial-cluster-state=new \
		--initial-cluster-token="etcd-$EI_NAMESPACE" \
		--initial-cluster="$initial" \
		--initial-advertise-peer-urls="http://$host:2380" \
		--listen-metrics-urls=http://0.0.0.0:8080
}

# member_ids N: the sorted member IDs through pod N, one line.
member_ids()
{
	member_list_json "$1" | jq -r '.members[].ID' | sort | tr '\n' ' '
}

# ---- a. the manifest's cluster
for n in 0 1 2; do pod_create "$n" && dns_publish "$n"; done
for n in 0 1 2; do manifest_start "$n"; done
ok "manifest cluster: 3 members healthy" wait_healthy "0 1 2" 60
ok "manifest cluster: a key is written" put_key takeover v1 0
cid=$(cluster_id 0)
ids=$(member_ids 0)
members=$(members_of 0)
diag "cluster $cid, members:" "$members"
is "$(member_list_json 0 | jq -r '.members[] | "\(.name)=\(.peerURLs | join(","))"' | sort | paste -sd,)" \
	"etcd-0=http://etcd-0.etcd:2380,etcd-1=http://etcd-1.etcd:2380,etcd-2=http://etcd-2.etcd:2380" \
	"manifest cluster: the peer URLs are the manifest's short names"
is "$(member_count 0)" 3 "manifest cluster: 3 members"
ok "manifest cluster: the WAL is in <data-dir>/wal" compgen -G "$(pod_data 2)/wal/*.wal"

# ---- b. etcd-init without --wal-dir refuses, before any network call
pod_stop 2
before=$(volume_manifest "$(pod_data 2)")
queries_before=$(dns_queries_from 2)
like "$queries_before" '^[1-9][0-9]*$' "unbound logged the queries of pod 2's etcd (so it would log etcd-init's)"
log_mark 2
launch 2
is "$(pod_wait_exit 2 30)" 5 "no --wal-dir: refused (exit 5)"
newlog=$(log_new_file 2)
ok "no --wal-dir: the log names the WAL files in <data-dir>/wal" \
	grep -qF "WAL files in $(pod_data 2)/wal" "$newlog"
ok "no --wal-dir: the log says to pass --wal-dir=<that path>" \
	grep -qF -- "--wal-dir=$(pod_data 2)/wal" "$newlog"
ok "no --wal-dir: refused in round 0 (before gathering facts)" \
	grep -qE 'action=refuse round=0' "$newlog"
nok "no --wal-dir: no DNS wait, no starting etcd in the log" \
	grep -qE 'waiting for|starting etcd' "$newlog"
sleep 1 # unbound logs each query as it answers it
is "$(dns_queries_from 2)" "$queries_before" "no --wal-dir: no DNS query from pod 2"
is "$(members_of 0)" "$members" "no --wal-dir: member list unchanged (same IDs, no member added)"
is "$(member_count 0)" 3 "no --wal-dir: still 3 members"
is "$(volume_manifest "$(pod_data 2)")" "$before" "no --wal-dir: the volume is byte-for-byte unchanged"

# ---- c. take over, one pod at a time (2 first: it is down already, so quorum holds)
for n in 2 0 1; do
	[[ $n == 2 ]] || pod_stop "$n"
	log_mark "$n"
	launch "$n" --wal-dir "$(pod_data "$n")/wal"
	ok "takeover of $n: healthy" wait_healthy "0 1 2" 60
	ok "takeover of $n: decided restart" grep -q 'action=restart' "$(log_new_file "$n")"
	is "$(member_ids 0)" "$ids" "takeover of $n: same member IDs"
	is_id "$(cluster_id "$n")" "$cid" "takeover of $n: same cluster ID"
done
is "$(get_key takeover 2)" v1 "takeover: the key is there"

# ---- d. scale 3 -> 5 (the old members' peer URLs are short names)
for n in 3 4; do pod_create "$n" && dns_publish "$n"; done
launch 3
launch 4
ok "scale: 5 voters, no learner" wait_voters 5 90
ok "scale: all 5 healthy" wait_healthy "0 1 2 3 4" 30
is "$(member_count 0)" 5 "scale: 5 members"
is_id "$(cluster_id 3)" "$cid" "scale: member 3 in the same cluster"
is_id "$(cluster_id 4)" "$cid" "scale: member 4 in the same cluster"
is "$(get_key takeover 3)" v1 "scale: member 3 serves the key"
is "$(get_key takeover 4)" v1 "scale: member 4 serves the key"
ok "scale: member 3 joined" log_has 3 'action=join'
ok "scale: member 4 joined" log_has 4 'action=join'

# ---- e. full restart
ids5=$(member_ids 0)
for n in 0 1 2 3 4; do pod_stop "$n"; done
for n in 0 1 2 3 4; do log_mark "$n"; done
for n in 0 1 2; do launch "$n" --wal-dir "$(pod_data "$n")/wal"; done
for n in 3 4; do launch "$n"; done
ok "full restart: all 5 healthy" wait_healthy "0 1 2 3 4" 60
for n in 0 1 2 3 4; do
	ok "full restart: member $n decided restart" grep -q 'action=restart' "$(log_new_file "$n")"
done
is "$(get_key takeover 4)" v1 "full restart: the key is there"
is "$(member_count 0)" 5 "full restart: 5 members"
is "$(member_ids 0)" "$ids5" "full restart: same member IDs"
is_id "$(cluster_id 0)" "$cid" "full restart: same cluster ID"
done_testing
