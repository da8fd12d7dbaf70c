#!/usr/bin/env bash
# Client and peer mTLS on a real Kubernetes: the tls overlay's StatefulSet
# (docker/kubernetes/tls, through test/kubernetes/overlay-tls: without its cert-manager
# objects, cert-manager is not installed here), image localhost/etcd-init:${EI_K8S_TAG:-3.6}.
# The Secrets cert-manager would have made (etcd-server-tls, etcd-peer-tls,
# etcd-client-tls: tls.crt, tls.key, ca.crt) are issued here with openssl from one CA:
# the SANs of docker/kubernetes/tls/certificates.yaml for this namespace instead of
# `default`, server and client auth on the server and peer certificates, a client
# certificate without a CN.
# - bootstrap: 3 pods Ready within 180 s; one cluster (the same member list and cluster
#   ID from each), every peer and client URL https; each decided bootstrap or
#   start-existing; the client port refuses a client without a certificate and serves
#   one with the client certificate, the peer port refuses one without; a key written;
# - restart: pod etcd-1 deleted; its preStop (`etcd-init leave`) keeps the member; the new
#   etcd-1 Ready within 180 s, decided restart, the same member ID, the same member list;
#   it serves the key;
# - join: scaled to 4; etcd-3 joins over mTLS and is promoted within 180 s (4 started
#   voters), its peer URL https, it serves the key;
# - no container restarted.
# etcdctl runs in the pods with the overlay's ETCDCTL_CACERT/CERT/KEY and its default
# endpoint 127.0.0.1:2379 (the server certificate covers 127.0.0.1).
# Reports `# tls cold start: N s` and `# tls join: N s`.
# shellcheck source-path=SCRIPTDIR/.. disable=SC2119 # restart_counts: its selector defaults
set -u -o pipefail
source "$(dirname "$0")/../lib.sh"

tag=${EI_K8S_TAG:-3.6}
ns_create "tls-${tag//./-}"
diag "namespace $EI_NS, image localhost/etcd-init:$tag"

certs=$(mktemp -d /tmp/ei-k8s-tls.XXXXXX)
# The `kubectl logs -f` this script starts and the certificates, gone on exit too.
followers=()
cleanup()
{
	local p
	for p in "${followers[@]}"; do
		kill "$p" 2>/dev/null
	done
	((${#followers[@]} == 0)) || wait "${followers[@]}" 2>/dev/null
	followers=()
}
trap 'cleanup; rm -rf "$certs"; ns_delete' EXIT

# ---------------------------------------------------------------- certificates

# issue_certs DIR NS: DIR/{ca,server,peer,client}.{crt,key}: one ECDSA P-256 CA and the
# three certificates of docker/kubernetes/tls/certificates.yaml with its SANs for the
# namespace NS. No subject on the three (as cert-manager without a commonName; the SAN
# extension critical then, as cert-manager marks it).
issue_certs()
{
	local d=$1 ns=$2 i dns
	openssl ecparam -genkey -name prime256v1 -noout -out "$d/ca.key" || return 1
	openssl req -x509 -new -key "$d/ca.key" -subj "/CN=etcd CA" -days 2 -out "$d/ca.crt" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign || return 1
	dns="DNS:*.etcd.$ns.svc.cluster.local,DNS:*.etcd.$ns.svc,DNS:*.etcd.$ns"
	for i in 0 1 2 3 4; do
		dns+=",DNS:etcd-$i.etcd"
	done
	issue_one "$d" server "$dns,DNS:etcd.$ns.svc.cluster.local,DNS:etcd,DNS:localhost,IP:127.0.0.1" \
		serverAuth,clientAuth || return 1
	issue_one "$d" peer "$dns" serverAuth,clientAuth || return 1
	issue_one "$d" client "DNS:etcd-client" clientAuth
}

# issue_one DIR NAME SAN EKU: DIR/NAME.key and DIR/NAME.crt, signed by DIR/ca.
issue_one()
{
	local d=$1 n=$2
	openssl ecparam -genkey -name prime256v1 -noout -out "$d/$n.key" || return 1
	openssl req -new -key "$d/$n.key" -subj / -out "$d/$n.csr" || return 1
	printf '%s\n' "subjectAltName=critical,$3" "extendedKeyUsage=$4" \
		"keyUsage=critical,digitalSignature,keyEncipherment" "basicConstraints=CA:FALSE" >"$d/$n.ext"
	openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/$n.ext" -out "$d/$n.crt"
}

# make_secrets DIR: the Secrets etcd-{server,peer,client}-tls as cert-manager makes them.
make_secrets()
{
	local n
	for n in server peer client; do
		k create secret generic "etcd-$n-tls" --type=kubernetes.io/tls \
			--from-file=tls.crt="$1/$n.crt" --from-file=tls.key="$1/$n.key" \
			--from-file=ca.crt="$1/ca.crt" || return 1
	done
}

# overlay_tls_apply TAG: test/kubernetes/overlay-tls with the image
# localhost/etcd-init:TAG, applied in EI_NS (as lib.sh's overlay_apply does for overlay/).
overlay_tls_apply()
{
	"$EI_K8S_BIN/kubectl" kustomize "$(dirname "$0")/../overlay-tls" |
		sed "s|image: localhost/etcd-init:3.6\$|image: localhost/etcd-init:$1|" | k apply -f -
}

# ---------------------------------------------------------------- helpers

# members POD: POD's etcd's member list (etcdctl's simple output), sorted.
members() { etcdctl_in "$1" member list 2>&1 | sort; }
# member_id POD NAME: the member ID of NAME in POD's member list.
member_id() { etcdctl_in "$1" member list 2>/dev/null | awk -F', ' -v n="$2" '$3 == n { print $1 }'; }
# actions POD: the actions of POD's decision lines, space-separated, in order.
actions() { decisions "$1" | tr '\n' ' ' | sed 's/ $//'; }
# wait_pod_ready_new POD OLD_UID SECONDS
wait_pod_ready_new()
{
	local start
	start=$(now_s)
	until new_pod_ready "$1" "$2"; do
		pods_stuck && return 1
		if (($(now_s) - start >= $3)); then
			echo "no new $1 Ready after $3 s"
			k get pods -o wide
			return 1
		fi
		sleep 1
	done
}
# tls_curl POD PORT PATH CURL_ARGS...: an HTTPS request from the host to POD's port under
# its canonical name (pinned to its IP), verified with the CA; prints the HTTP code.
tls_curl()
{
	local pod=$1 port=$2 path=$3 ip host
	shift 3
	ip=$(k get pod "$pod" -o jsonpath='{.status.podIP}')
	host=$pod.etcd.$EI_NS.svc.cluster.local
	curl -sS --max-time 10 -o /dev/null -w '%{http_code}' --cacert "$certs/ca.crt" \
		--resolve "$host:$port:$ip" "$@" "https://$host:$port$path"
}

# ---------------------------------------------------------------- bootstrap

ok "certificates issued with openssl for $EI_NS" issue_certs "$certs" "$EI_NS" || bail_out "openssl failed"
ok "the three TLS Secrets created" make_secrets "$certs" || bail_out "cannot create the Secrets"

t0=$(now_s)
ok "the TLS overlay applied" overlay_tls_apply "$tag" || bail_out "cannot apply overlay-tls"
if ok "3 pods Ready within 180 s" wait_ready 3 180; then
	diag "tls cold start: $(($(now_s) - t0)) s"
else
	bail_out "the set did not come up"
fi

declare -A lists
for i in 0 1 2; do
	lists[$i]=$(members "etcd-$i")
done
is "$(wc -l <<<"${lists[0]}")" 3 "etcd-0 lists 3 members (etcdctl over mTLS, default endpoint)"
is "${lists[1]}" "${lists[0]}" "etcd-1 lists the same members as etcd-0"
is "${lists[2]}" "${lists[0]}" "etcd-2 lists the same members as etcd-0"
is "$(grep -cE '^[0-9a-f]+, started, etcd-([012]), https://etcd-\1\.etcd\.'"$EI_NS"'\.svc\.cluster\.local:2380, https://etcd-\1\.etcd\.'"$EI_NS"'\.svc\.cluster\.local:2379, false$' <<<"${lists[0]}")" 3 \
	"all three started voters, their peer and client URLs https"
diag "${lists[0]}"
cid=$(cluster_id etcd-0)
# (an ID that cannot be read counts as "none", never as the same)
is "$(for i in 0 1 2; do c=$(cluster_id "etcd-$i"); echo "${c:-none}"; done | sort -u | tr '\n' ' ')" "$cid " "one cluster ID ($cid) from etcd-0..2"

bootstraps=0
for i in 0 1 2; do
	acts=$(actions "etcd-$i")
	like "$acts" '^(wait )*(bootstrap|start-existing)$' "etcd-$i decided bootstrap or start-existing: $acts"
	[[ $acts != *bootstrap ]] || bootstraps=$((bootstraps + 1))
done
ok "at least one pod bootstrapped ($bootstraps)" test "$bootstraps" -ge 1

# mTLS: a client needs a certificate on both ports.
code=$(tls_curl etcd-0 2379 /version 2>/dev/null)
ok "the client port refuses a client without a certificate (HTTP code $code)" test "$code" = 000
is "$(tls_curl etcd-0 2379 /version --cert "$certs/client.crt" --key "$certs/client.key" 2>&1)" 200 \
	"the client port serves the client certificate (/version)"
code=$(tls_curl etcd-0 2380 /members 2>/dev/null)
ok "the peer port refuses a client without a certificate (HTTP code $code)" test "$code" = 000

key=/tls/key
val="written over mTLS $(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
ok "a key written through etcd-0" etcdctl_in etcd-0 put "$key" "$val"

# ---------------------------------------------------------------- restart

id1=$(member_id etcd-0 etcd-1)
before=$(members etcd-0)
old=$(pod_uid etcd-1)
logdir=$(mktemp -d /tmp/ei-k8s-tls-logs.XXXXXX)
k logs -f etcd-1 -c etcd >"$logdir/etcd-1.log" 2>&1 &
followers+=($!)
ok "pod etcd-1 deleted" k delete pod etcd-1 --wait=false
ok "a new etcd-1 Ready within 180 s" wait_pod_ready_new etcd-1 "$old" 180
cleanup
leave=$(grep -E 'msg="?leave decision' "$logdir/etcd-1.log" | sed -E 's/.*action[=":]+([a-z-]+).*/\1/' | tr '\n' ' ' | sed 's/ $//')
is "$leave" stay "the old etcd-1's preStop kept its member (leave: $leave)"
rm -rf "$logdir"
acts=$(actions etcd-1)
like "$acts" '^(wait )*restart$' "the new etcd-1 decided restart: $acts"
is "$(member_id etcd-0 etcd-1)" "$id1" "etcd-1 has the same member ID ($id1)"
is "$(members etcd-1)" "$before" "etcd-1 lists the same members as before"
is "$(etcdctl_in etcd-1 get "$key" --print-value-only 2>&1)" "$val" "etcd-1 serves the key"

# ---------------------------------------------------------------- join

t1=$(now_s)
ok "scaled to 4" k scale statefulset etcd --replicas=4
ok "4 pods Ready within 180 s" wait_ready 4 180
four_voters() { [[ $(voter_count etcd-0) == 4 ]]; }
if ok "etcd-3 promoted: 4 started voters within 180 s" wait_for 180 four_voters; then
	diag "tls join: $(($(now_s) - t1)) s"
fi
acts=$(actions etcd-3)
like "$acts" '^(wait )*join$' "etcd-3 decided join: $acts"
like "$(members etcd-0 | grep ', etcd-3, ')" "^[0-9a-f]+, started, etcd-3, https://etcd-3\.etcd\.$EI_NS\.svc\.cluster\.local:2380, https://etcd-3\.etcd\.$EI_NS\.svc\.cluster\.local:2379, false$" \
	"etcd-3 is a started voter, its URLs https"
is "$(members etcd-3)" "$(members etcd-0)" "etcd-3 lists the same members as etcd-0"
is "$(cluster_id etcd-3)" "$cid" "etcd-3 is in cluster $cid"
is "$(etcdctl_in etcd-3 get "$key" --print-value-only 2>&1)" "$val" "etcd-3 serves the key"
diag "$(members etcd-0)"

is "$(restart_counts | sort | tr '\n' ' ')" "etcd-0=0 etcd-1=0 etcd-2=0 etcd-3=0 " "no container restarted"

done_testing
