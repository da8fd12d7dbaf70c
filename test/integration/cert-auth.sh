#!/usr/bin/env bash
# Certificate-based etcd auth: with client mTLS, --client-cert-auth and auth enabled, a
# client certificate's CommonName is the etcd user. etcd's JSON gateway refuses such a
# certificate, so etcd-init asks over gRPC: a join with a certificate whose CN is root
# (and no password) joins and ends a voter; one whose CN is no etcd user is refused for
# good (exit 4) and changes nothing; plan and diagnose work the same way.
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: the version from the environment; functions called through ok, wait_for and launch
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
source "$(dirname "$0")/certs.sh"
ei_env_setup

use_mtls 4
cert_make "$C" root ca "DNS:root" clientAuth "" "" root || bail_out "cannot make root's certificate"
cert_make "$C" nobody ca "DNS:nobody" clientAuth "" "" nobody || bail_out "cannot make a certificate"

cold_start3
ok "a key is written" put_key k v 0
ok "root added" ectl 0 user add root --new-user-password="$(openssl rand -hex 12)"
ok "root has the root role" ectl 0 user grant-role root root
ok "auth enabled" ectl 0 auth enable
# From now on etcdctl is root through its certificate's CN, too.
EI_ECTL_ARGS=(--cacert "$C/ca.crt" --cert "$C/root.crt" --key "$C/root.key")
is "$(get_key k 0)" v "etcdctl reads as root through its certificate"
members() { member_list_json 0 | jq -c '[.members[] | {ID, name, isLearner}] | sort_by(.ID)'; }
members_before=$(members)
pod_create 3
dns_publish 3

# cert_env N: pod N's TLS settings with the client certificate $EI_CLIENT_CERT.
cert_env()
{
	mtls_env "$1"
	printf '%s\n' "ETCDCTL_CERT=$C/$EI_CLIENT_CERT.crt" "ETCDCTL_KEY=$C/$EI_CLIENT_CERT.key"
}
EI_LAUNCH_ENV=cert_env

# A certificate whose CN is no etcd user: refused for good, nothing changed.
EI_CLIENT_CERT=nobody
mapfile -t envv < <(cert_env 3)
out=$(pod_exec 3 env "${envv[@]}" timeout 90 "$ETCD_INIT" --etcd "$ETCD_BIN" \
	--data-dir "$(pod_data 3)" --wait-timeout 60s 2>&1)
is "$?" 4 "CN nobody: exit 4"
like "$out" 'asking over gRPC' "CN nobody: says it asks over gRPC"
like "$out" 'user name not found|permission denied' "CN nobody: etcd's reason"
like "$out" 'CommonName is an etcd user with the root role' "CN nobody: says what to give it"
is "$(members)" "$members_before" "CN nobody: member list unchanged"
ok "CN nobody: pod 3's volume untouched" volume_empty 3

# plan with root's certificate: a join, decided over gRPC.
EI_CLIENT_CERT=root
mapfile -t envv < <(cert_env 3)
plan_out=$(pod_exec 3 env "${envv[@]}" "$ETCD_INIT" plan --etcd "$ETCD_BIN" \
	--data-dir "$(pod_data 3)" 2>&1)
like "$plan_out" 'decision +join' "plan with CN root: join"

# The real join: a learner, promoted, with no password anywhere.
launch 3
ok "join with CN root: 4 voters" wait_voters 4 150
ok "member 3 healthy" wait_healthy "0 1 2 3" 60
ok "member 3 decided join" log_has 3 'action=join'
ok "member 3 asked over gRPC" log_has 3 'asking over gRPC'
is "$(get_key k 3)" v "member 3 serves the key"

# diagnose with root's certificate: every member's row, read over gRPC.
diag=$(pod_exec 3 env "${envv[@]}" "$ETCD_INIT" diagnose --output json --etcd "$ETCD_BIN" \
	--data-dir "$(pod_data 3)" 2>/dev/null)
is "$(jq -r '[.peers[] | select(.member_id != null and .member_id != "")] | length' <<<"$diag")" 4 \
	"diagnose with CN root: 4 members found"
unlike "$(pod_log 3)" 'outcome=tls|status tls' "no TLS failure along the way"
done_testing
