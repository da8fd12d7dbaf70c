#!/usr/bin/env bash
# The files around the code: every shell script through shellcheck (warnings and
# errors), the YAML through yamllint (test/yamllint.yaml), compose.yaml through
# docker-compose's own parser, the Dockerfile through the checks below (hadolint is not
# packaged in Debian 12), the Kubernetes manifests rendered with kustomize and decoded
# strictly into the Kubernetes API's types (test/k8s-validate, EI_K8S_VALIDATE), and the
# TLS overlay's certificate names through etcd-init's own pre-flight ($ETCD_INIT).
# shellcheck source-path=SCRIPTDIR
set -u
source "$(dirname "$0")/lib.sh"

repo=$(cd "$(dirname "$0")/../.." && pwd)
EI_RUN=$(mktemp -d /tmp/ei-lint.XXXXXX)
trap 'rm -rf "$EI_RUN"' EXIT
cd "$repo" || bail_out "no repository at $repo"

if [[ -d .git ]]; then
	mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
else
	mapfile -t scripts < <(find . -name '*.sh' -not -path './build*' | sort; echo .ci/run)
fi
((${#scripts[@]} > 20)) || bail_out "found only ${#scripts[@]} shell scripts"
for f in "${scripts[@]}"; do
	ok "shellcheck $f" shellcheck -x -P SCRIPTDIR -S warning "$f"
done

mapfile -t yamls < <(find docker test -name '*.yaml' -not -path '*/build*' | sort)
ok "yamllint (${#yamls[@]} files)" yamllint -s -c test/yamllint.yaml "${yamls[@]}"

if docker compose version >/dev/null 2>&1; then
	ok "compose.yaml: docker compose config" docker compose -f docker/compose.yaml config -q
else
	ok "compose.yaml: docker-compose config" docker-compose -f docker/compose.yaml config -q
fi

# The Dockerfile, as hadolint would look at it (its rules DL3006, DL3007, DL3020,
# DL3025, DL3008's spirit, and a digest-free default that is a version, not latest).
df=docker/Dockerfile
froms=$(grep -E '^FROM ' "$df")
ok "Dockerfile: every FROM is an ARG, scratch or an earlier stage" bash -c '
	stages=" "; while read -r _ img _ name; do
		case $img in scratch|\$\{*\}) ;; *) [[ $stages == *" $img "* ]] || { echo "FROM $img"; exit 1; } ;; esac
		stages+="$name "
	done <<<"$1"' _ "$froms"
unlike "$(grep -E '^ARG [A-Z_]*IMAGE=' "$df")" ':latest|=[^:]*$' "Dockerfile: base image defaults name a version"
unlike "$(grep -E '^(ENTRYPOINT|CMD) ' "$df")" '^(ENTRYPOINT|CMD) [^[]' "Dockerfile: ENTRYPOINT and CMD in exec form"
unlike "$(cat "$df")" '(^|\n)ADD ' "Dockerfile: COPY, never ADD"
like "$(grep -c 'no-install-recommends' docker/build-static.sh)" '^[1-9]' \
	"the builder's apt-get install uses --no-install-recommends"
ok ".dockerignore lets in only what the build needs" grep -qx '\*' .dockerignore

# The Kubernetes manifests.
kv=${EI_K8S_VALIDATE:-}
[[ -x $kv ]] || bail_out "EI_K8S_VALIDATE (test/setup.sh builds it) is not set"
out=$("$kv" docker/kubernetes docker/kubernetes/tls 2>&1)
st=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "$st" 0 "k8s-validate: $(grep -c '^ok' <<<"$out") checks passed, $(grep -c '^not ok' <<<"$out") failed"

# The TLS overlay's certificates through etcd-init's own pre-flight: certificates with
# the same SANs as its cert-manager Certificates (from an openssl CA of this test), the
# pod's TLS settings as statefulset-tls.yaml sets them, for every ordinal the names are
# meant for (0-4), and one beyond them that must fail (the check can fail).
source "$(dirname "$0")/certs.sh"
C=$EI_RUN/certs
mkdir -p "$C" && ca_make "$C" ca || bail_out "cannot make a test CA"
n_certs=0
while read -r secret sans; do
	cert_make "$C" "$secret" ca "$sans" serverAuth,clientAuth "" "" "" && n_certs=$((n_certs + 1))
done < <("$kv" --sans docker/kubernetes/tls 2>/dev/null)
is "$n_certs" 3 "the TLS overlay's three certificates issued with their SANs"
preflight()
{
	mkdir -p "$EI_RUN/data-$1"
	env -i HOSTNAME="etcd-$1" SERVICE_NAME=etcd K8S_NAMESPACE=default URI_SCHEME=https \
		ETCD_CERT_FILE="$C/etcd-server-tls.crt" ETCD_KEY_FILE="$C/etcd-server-tls.key" \
		ETCD_TRUSTED_CA_FILE="$C/ca.crt" ETCD_CLIENT_CERT_AUTH=true \
		ETCD_PEER_CERT_FILE="$C/etcd-peer-tls.crt" ETCD_PEER_KEY_FILE="$C/etcd-peer-tls.key" \
		ETCD_PEER_TRUSTED_CA_FILE="$C/ca.crt" ETCD_PEER_CLIENT_CERT_AUTH=true \
		ETCDCTL_CACERT="$C/ca.crt" ETCDCTL_CERT="$C/etcd-client-tls.crt" \
		ETCDCTL_KEY="$C/etcd-client-tls.key" \
		timeout 30 "$ETCD_INIT" plan --data-dir "$EI_RUN/data-$1" --etcd /bin/true \
		--cluster-domain cluster.local --wait-timeout 1s 2>&1
}
for n in 0 1 2 3 4; do
	like "$(preflight "$n")" 'certificate pre-flight passed' "etcd-$n: etcd-init's pre-flight passes the overlay's certificates"
done
like "$(preflight 5)" 'does not cover etcd-5\.etcd' "etcd-5 (beyond the names listed): the pre-flight says which name is missing"
done_testing
