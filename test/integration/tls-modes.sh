#!/usr/bin/env bash
# TLS on one side only: a cluster with client TLS only and one with peer TLS only boot
# cold (each side's scheme follows its certificates). Then a peer whose certificate
# comes from another CA: to the others it is a TLS failure, never "no data", and it
# holds their bootstrap until it presents a certificate they can verify.
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: the version from the environment; functions called through ok, wait_for and launch
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
source "$(dirname "$0")/certs.sh"
ei_env_setup

use_mtls 3

# reset: every pod stopped, destroyed and wiped, for the next cluster.
reset()
{
	local n
	for n in 0 1 2; do
		pod_stop "$n" >/dev/null 2>&1
		pod_destroy "$n"
		pod_wipe "$n" 2>/dev/null
		dns_unpublish "$n"
	done
}

# Client TLS only: client URLs https, peer URLs http.
EI_TLS_MODE=client
ectl_tls
cold_start3
like "$(member_list_json 0 | jq -r '[.members[].clientURLs[]] | join(" ")')" '^https://' \
	"client TLS only: client URLs https"
like "$(member_list_json 0 | jq -r '[.members[].peerURLs[]] | join(" ")')" '^http://' \
	"client TLS only: peer URLs http"
ok "client TLS only: a key is written" put_key k v 0
reset

# Peer TLS only: peer URLs https, client URLs http.
EI_TLS_MODE=peer
EI_CLIENT_SCHEME=http
EI_ECTL_ARGS=()
cold_start3
like "$(member_list_json 0 | jq -r '[.members[].peerURLs[]] | join(" ")')" '^https://' \
	"peer TLS only: peer URLs https"
like "$(member_list_json 0 | jq -r '[.members[].clientURLs[]] | join(" ")')" '^http://' \
	"peer TLS only: client URLs http"
ok "peer TLS only: each pod served its status over https" log_has 2 'serving the etcd-init status.*scheme=https'
reset

# A peer with a certificate of another CA (it trusts that CA itself, so its own
# pre-flight passes): pods 0 and 1 get a TLS failure from it and do not bootstrap.
EI_TLS_MODE=both
ectl_tls
# shellcheck disable=SC2015 # bail_out is the else of the whole chain
ca_make "$C" other && cert_make "$C" server-2x other "$(member_sans 2)" serverAuth,clientAuth &&
	cert_make "$C" peer-2x other "$(member_sans 2)" serverAuth,clientAuth ||
	bail_out "cannot make the other CA's certificates"
other_ca_env()
{
	if [[ $1 == 2 ]]; then
		# Its own client identity falls back to its server certificate.
		mtls_env 2 | grep -v '^ETCDCTL_CERT=\|^ETCDCTL_KEY=' |
			sed -e "s#$C/ca.crt#$C/other.crt#" -e "s#-2\.\(crt\|key\)#-2x.\1#"
	else
		mtls_env "$1"
	fi
}
EI_LAUNCH_ENV=other_ca_env
for n in 0 1 2; do pod_create "$n"; log_mark "$n"; dns_publish "$n"; done
for n in 0 1 2; do launch "$n"; done
tls_wait='action=wait .*etcd-2\.[^ ]*: status tls'
both_name_tls() { new_log_has 0 "$tls_wait" && new_log_has 1 "$tls_wait"; }
no_bootstrap() { ! new_log_has "$1" action=bootstrap; }
ok "pods 0 and 1 name etcd-2 and a TLS failure" wait_for 30 both_name_tls
sleep 5
for n in 0 1; do
	ok "pod $n: no bootstrap while etcd-2 is a TLS failure" no_bootstrap "$n"
	ok "pod $n: still waiting, its volume empty" volume_empty "$n"
done
like "$(log_new 0 | grep 'action=wait' | tail -1)" 'status tls: [^;]*(certificate|SSL|alert)' "the reason carries OpenSSL's words"
# etcd-2 gets a certificate from the right CA: the cluster forms.
pod_stop 2
EI_LAUNCH_ENV=mtls_env
launch 2
ok "with verifiable certificates the cluster forms" wait_healthy "0 1 2" 90
is "$(voter_count)" 3 "3 voters"
formed_one_cluster "verifiable certificates" 0 1 2
done_testing
