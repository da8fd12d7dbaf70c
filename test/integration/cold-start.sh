#!/usr/bin/env bash
# Cold start of 3 pods at once with late DNS, a restart, a pod started long after the
# other two formed the cluster, and `plan` on a running cluster changing nothing.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

cold_start3
ok "a key is written" put_key before-restart v1 0

# Restart of one member: its WAL is there, it restarts on its data.
id_before=$(member_id 1)
pod_stop 1
launch 1
ok "restart: member 1 healthy again" wait_healthy "0 1 2" 60
is "$(start_action 1)" restart "restart: decided restart"
is_id "$(member_id 1)" "$id_before" "restart: same member ID"
is "$(get_key before-restart 1)" v1 "restart: the key is there"
is "$(member_count)" 3 "restart: still 3 members"

# plan on a running cluster: prints the decision and changes nothing.
members_before=$(member_list_json 0 | jq -c '[.members[] | {ID, name, isLearner}] | sort_by(.ID)')
wal_before=$(ls -l "$(pod_data 2)/member/wal")
plan_json=$(pod_exec 2 env HOSTNAME=etcd-2 SERVICE_NAME=etcd K8S_NAMESPACE=ns "$ETCD_INIT" plan \
	--etcd "$ETCD_BIN" --data-dir "$(pod_data 2)" --output json)
is "$(jq -r .action <<<"$plan_json")" restart "plan: action restart"
like "$(jq -r .reason <<<"$plan_json")" "in the member list" "plan: reason given"
like "$(jq -r '.etcd_args | join(" ")' <<<"$plan_json")" "--name=etcd-2" "plan: etcd args"
is "$(member_list_json 0 | jq -c '[.members[] | {ID, name, isLearner}] | sort_by(.ID)')" \
	"$members_before" "plan: member list unchanged"
is "$(ls -l "$(pod_data 2)/member/wal")" "$wal_before" "plan: data dir unchanged"
ok "plan: etcd still healthy" wait_healthy "0 1 2" 10
done_testing
