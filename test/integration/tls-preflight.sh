#!/usr/bin/env bash
# The certificate pre-flight: a pod joining a running mTLS cluster with a broken
# certificate (unreadable, not PEM, a key of another certificate, expired, not yet
# valid, from another CA, a missing name, a missing usage) is refused with exit 2 and a
# message naming the file and what to do, before any membership change: the member
# list and its volume are unchanged. A certificate that expires soon only warns.
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: the version from the environment; functions called through ok, wait_for and launch
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
source "$(dirname "$0")/certs.sh"
ei_env_setup

use_mtls 4
ca_make "$C" other || bail_out "cannot make the second CA"
sans=$(member_sans 3)
past=20200101000000Z
# shellcheck disable=SC2015 # bail_out is the else of the whole chain
cert_make "$C" expired ca "$sans" serverAuth,clientAuth "$past" 20210101000000Z &&
	cert_make "$C" future ca "$sans" serverAuth,clientAuth 20300101000000Z 20310101000000Z &&
	cert_make "$C" otherca other "$sans" serverAuth,clientAuth &&
	cert_make "$C" fqdn-only ca "DNS:$(pod_fqdn 3)" serverAuth,clientAuth &&
	cert_make "$C" server-only ca "$sans" serverAuth &&
	cert_make "$C" soon ca "$sans" serverAuth,clientAuth "" "$(date -u -d '+10 days' +%Y%m%d%H%M%SZ)" ||
	bail_out "cannot make the broken certificates"
echo "not a certificate" >"$C/garbage.crt"

cold_start3
ok "a key is written" put_key k v 0
members() { member_list_json 0 | jq -c '[.members[] | {ID, name, isLearner}] | sort_by(.ID)'; }
members_before=$(members)
pod_create 3
dns_publish 3

# refused WHAT PATTERN VAR=VALUE...: etcd-init in pod 3 with pod 3's TLS settings and
# these overrides exits 2, names the problem, and changes nothing.
refused()
{
	local what=$1 pattern=$2 out st
	shift 2
	local -a e
	mapfile -t e < <(mtls_env 3)
	out=$(pod_exec 3 env "${e[@]}" "$@" timeout 60 "$ETCD_INIT" --etcd "$ETCD_BIN" \
		--data-dir "$(pod_data 3)" --wait-timeout 30s 2>&1)
	st=$?
	is "$st" 2 "$what: exit 2"
	like "$out" "$pattern" "$what: the message names the file and the problem"
	unlike "$out" 'adding ourselves|decision' "$what: refused before any decision"
	is "$(members)" "$members_before" "$what: member list unchanged"
	ok "$what: pod 3's volume untouched" volume_empty 3
}
refused "unreadable certificate" "ETCD_PEER_CERT_FILE $C/missing.crt cannot be read" \
	"ETCD_PEER_CERT_FILE=$C/missing.crt"
refused "not PEM" "ETCD_CERT_FILE $C/garbage.crt is not PEM" "ETCD_CERT_FILE=$C/garbage.crt"
refused "key of another certificate" \
	"ETCD_KEY_FILE $C/peer-3.key does not belong to ETCD_CERT_FILE $C/server-3.crt" \
	"ETCD_KEY_FILE=$C/peer-3.key"
refused "expired" "ETCD_PEER_CERT_FILE $C/expired.crt: the peer certificate expired on 2021-01-01" \
	"ETCD_PEER_CERT_FILE=$C/expired.crt" "ETCD_PEER_KEY_FILE=$C/expired.key"
refused "not yet valid" "not valid before 2030-01-01.*check the clock" \
	"ETCD_PEER_CERT_FILE=$C/future.crt" "ETCD_PEER_KEY_FILE=$C/future.key"
refused "another CA" "ETCD_PEER_TRUSTED_CA_FILE $C/ca.crt does not verify ETCD_PEER_CERT_FILE $C/otherca.crt" \
	"ETCD_PEER_CERT_FILE=$C/otherca.crt" "ETCD_PEER_KEY_FILE=$C/otherca.key"
refused "a missing name" "does not cover $(pod_name 3).$EI_SERVICE .*reissue it with every name" \
	"ETCD_PEER_CERT_FILE=$C/fqdn-only.crt" "ETCD_PEER_KEY_FILE=$C/fqdn-only.key"
refused "server certificate without clientAuth" \
	"ETCD_CERT_FILE $C/server-only.crt: the extended key usage of the server certificate \\(serverAuth\\) lacks clientAuth" \
	"ETCD_CERT_FILE=$C/server-only.crt" "ETCD_KEY_FILE=$C/server-only.key"
refused "peer certificate without clientAuth" \
	"ETCD_PEER_CERT_FILE $C/server-only.crt: .*lacks clientAuth" \
	"ETCD_PEER_CERT_FILE=$C/server-only.crt" "ETCD_PEER_KEY_FILE=$C/server-only.key"

# Expiring soon: a warning, and the join goes ahead.
EI_POD_ENV=("ETCD_PEER_CERT_FILE=$C/soon.crt" "ETCD_PEER_KEY_FILE=$C/soon.key")
mtls_soon() { mtls_env "$1" | grep -v '^ETCD_PEER_CERT_FILE=\|^ETCD_PEER_KEY_FILE='; }
EI_LAUNCH_ENV=mtls_soon
launch 3
EI_POD_ENV=()
ok "expiring in 10 days: joins" wait_voters 4 120
ok "expiring in 10 days: warned" log_has 3 'level=warn msg="certificate check" check=dates result=warn .*expires on .* in (9|10) days'
done_testing
