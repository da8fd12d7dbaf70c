#!/usr/bin/env bash
# k8s.sh - lib/k8s (through test/tools/k8s-probe) against test/tools/k8s-api, the
# stand-in for the Kubernetes API server (STYLE.md 16: real HTTPS, certificates made
# here with openssl). Runs on the host, on loopback; no root needed. Prints TAP.
#
# Cases: the replica count (changed at run time, absent: unknown, zero), a wrong token (401),
# RBAC (403), 500, another set (404), a 200 that is not JSON, an API server that never
# answers (timeout) and SIGTERM during that wait, a CA that did not sign the server
# (TLS, and the stand-in never sees a request), a name the certificate does not cover,
# IPv6 (when ::1 works), the stand-in stopped (refused), and the token in no output.
#
# Environment (set by meson, test/meson.build): K8S_API, K8S_PROBE.
# By hand:  K8S_API=build/test/k8s-api K8S_PROBE=build/test/k8s-probe bash test/integration/k8s.sh
set -uo pipefail

: "${K8S_API:?set K8S_API to the k8s-api binary}"
: "${K8S_PROBE:?set K8S_PROBE to the k8s-probe binary}"

# The TAP helpers only (ok, is, like, done_testing...); ei_env_setup is not called.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip_all "openssl is missing (run test/setup.sh)"
[[ -x $K8S_API && -x $K8S_PROBE ]] || bail_out "K8S_API or K8S_PROBE is not an executable"

work=$(mktemp -d /tmp/ei-k8s.XXXXXX) || bail_out "mktemp failed"
pids=()

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup()
{
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[[ -n ${EI_KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# contains GOT TEXT DESC: TEXT is a substring of GOT.
contains()
{
	if [[ $1 == *"$2"* ]]; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3" || true
		diag "         got: '$1'"
		diag "    expected: '$2' in it"
		return 1
	fi
}

# ---------------------------------------------------------------- certificates, tokens

# make_ca NAME: a self-signed CA, $work/NAME.crt and .key.
make_ca()
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$work/$1.key" -out "$work/$1.crt" 2>>"$work/openssl.log"
}

# The API server's certificate, as kubeadm's covers the service IP (here loopback).
make_server_cert()
{
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=kube-apiserver" -keyout "$work/server.key" -out "$work/server.csr" \
		2>>"$work/openssl.log" &&
		printf '%s\n' "subjectAltName=IP:127.0.0.1,IP:::1,DNS:kubernetes.default.svc" \
			"extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature" \
			>"$work/server.ext" &&
		openssl x509 -req -in "$work/server.csr" -CA "$work/cluster-ca.crt" \
			-CAkey "$work/cluster-ca.key" -CAcreateserial -days 2 \
			-extfile "$work/server.ext" -out "$work/server.crt" 2>>"$work/openssl.log"
}

# sa_dir NAME TOKEN CA: a service-account directory as the kubelet mounts it.
sa_dir()
{
	mkdir -p "$work/$1" &&
		printf '%s' "$2" >"$work/$1/token" &&
		cp "$work/$3.crt" "$work/$1/ca.crt" &&
		printf 'default' >"$work/$1/namespace"
}

if ! { make_ca cluster-ca && make_ca other-ca && make_server_cert; }; then
	bail_out "openssl failed: $(tail -3 "$work/openssl.log")"
fi
# Greppable, and shaped like a JWT's last part.
token=k8s-test-token-$(openssl rand -hex 24)
wrong_token=k8s-test-wrong-$(openssl rand -hex 24)
printf '%s\n' "$token" >"$work/api-token"
sa_dir sa "$token" cluster-ca
sa_dir sa-wrong-token "$wrong_token" cluster-ca
sa_dir sa-other-ca "$token" other-ca ||
	bail_out "cannot write the service-account directories"

# ---------------------------------------------------------------- the stand-in

# state LINE...: the stand-in's state, replaced whole (it reads it on every request).
state()
{
	printf '%s\n' "$@" >"$work/state.tmp" && mv "$work/state.tmp" "$work/state"
}

# start_api ADDR NAME: the stand-in on ADDR port 0; sets api_pid and api_port.
start_api()
{
	rm -f "$work/$2.ready"
	"$K8S_API" --listen "$1:0" --cert "$work/server.crt" --key "$work/server.key" \
		--token-file "$work/api-token" --state-file "$work/state" \
		--count-file "$work/count" --ready-file "$work/$2.ready" \
		>>"$work/api.out" 2>>"$work/api.log" &
	api_pid=$!
	pids+=("$api_pid")
	if ! wait_for 10 test -s "$work/$2.ready"; then
		api_port=
		return 1
	fi
	api_port=$(<"$work/$2.ready")
}

requests() { wc -l <"$work/count" | tr -d ' '; }

# probe [--host H] [--sa SADIR] [--set NAME]: k8s-probe (bounded, debug log on, so the
# token check below covers the log too); output in $out, status in $rc, time in $ms.
probe()
{
	local host=127.0.0.1 port=$api_port sa=sa set=etcd t0
	while (($#)); do
		case $1 in
		--host) host=$2 port=${3:-$api_port} && shift ;;
		--sa) sa=$2 ;;
		--set) set=$2 ;;
		esac
		shift 2
	done
	t0=$(ei_now_ms)
	out=$(timeout -k 2 30 "$K8S_PROBE" -v --host "$host" --port "$port" --sa-dir "$work/$sa" \
		--namespace default --set "$set" 2>>"$work/probe.err")
	rc=$?
	ms=$(($(ei_now_ms) - t0))
	printf '%s\n' "$out" >>"$work/probe.out"
}

: >"$work/count"
state "replicas 5" "mode ok" "name etcd" "namespace default"
start_api 127.0.0.1 v4 || bail_out "k8s-api did not start: $(tail -5 "$work/api.log")"
diag "k8s-api on 127.0.0.1:$api_port (pid $api_pid), work dir $work"
v4_pid=$api_pid v4_port=$api_port

# ---------------------------------------------------------------- answers

probe
is "$out" "replicas 5" "replicas 5"
is "$rc" 0 "replicas 5: exit 0"
is "$(requests)" 1 "the stand-in counted one request"
like "$(tail -1 "$work/api.log")" "GET /apis/apps/v1/namespaces/default/statefulsets/etcd -> 200" \
	"the stand-in logged the request and its answer"

state "replicas 3" "mode ok"
probe
is "$out" "replicas 3" "the state changed at run time: replicas 3"

state "replicas -" "mode ok"
probe
like "$out" 'no "spec.replicas"' "spec.replicas absent: unknown, never the default 1"

state "replicas 0" "mode ok"
probe
is "$out" "replicas 0" "scaled to zero: replicas 0"
is "$(requests)" 4 "four requests so far"

state "replicas 5" "mode ok"
probe --sa sa-wrong-token
is "$rc" 1 "wrong token: exit 1"
contains "$out" "error=usage outcome=http-error status=401 GET https://127.0.0.1:$api_port/apis/apps/v1/namespaces/default/statefulsets/etcd: the service-account token was rejected (HTTP 401 \"Unauthorized\")" \
	"wrong token: 401, the token was rejected, with the URL"

state "replicas 5" "mode 403" "serviceaccount etcd"
probe
is "$rc" 1 "403: exit 1"
contains "$out" "status=403" "403: the status"
contains "$out" "RBAC: the service account system:serviceaccount:default:etcd needs get on statefulsets in default: a Role with get on statefulsets.apps and a RoleBinding" \
	"403: names the RBAC rule and the service account"
contains "$out" "is forbidden: User \"system:serviceaccount:default:etcd\" cannot get resource \"statefulsets\"" \
	"403: quotes the API server's message"

state "mode 500"
probe
contains "$out" "error=unavailable outcome=http-error status=500" "500: unavailable"
contains "$out" "the API server failed (HTTP 500 \"Internal error occurred: etcdserver: request timed out\")" \
	"500: says the API server failed and quotes it"

state "replicas 5" "mode ok"
probe --set etcd-other
contains "$out" "error=usage outcome=http-error status=404" "another set: 404"
contains "$out" "no StatefulSet \"etcd-other\" in namespace \"default\" (HTTP 404 \"statefulsets.apps \"etcd-other\" not found\")" \
	"another set: no such StatefulSet"

state "mode notjson"
probe
contains "$out" "error=parse outcome=malformed status=200" "a 200 that is not JSON: a parse error"
contains "$out" "not our StatefulSet: StatefulSet: not JSON" "a 200 that is not JSON: says so"

# ---------------------------------------------------------------- waits

state "mode hang"
before=$(requests)
probe
is "$rc" 1 "hang: exit 1"
contains "$out" "error=unavailable outcome=timeout status=0" "hang: a timeout"
contains "$out" "timed out: " "hang: says it timed out"
ok "hang: gave up after 4.5-7 s (took $ms ms)" test "$ms" -ge 4500 -a "$ms" -le 7000
is "$(requests)" $((before + 1)) "hang: the request reached the stand-in"

t0=$(ei_now_ms)
"$K8S_PROBE" --host 127.0.0.1 --port "$api_port" --sa-dir "$work/sa" --namespace default \
	--set etcd >>"$work/probe.out" 2>>"$work/probe.err" &
probe_pid=$!
pids+=("$probe_pid")
sleep 0.5
kill -TERM "$probe_pid"
# A watchdog, so that a probe that ignores SIGTERM fails the check instead of hanging.
(sleep 10 && kill -KILL "$probe_pid" 2>/dev/null) &
watchdog=$!
wait "$probe_pid"
rc=$?
ms=$(($(ei_now_ms) - t0))
kill "$watchdog" 2>/dev/null
is "$rc" 143 "SIGTERM during the wait: exit 128+15"
ok "SIGTERM during the wait: ends at once (took $ms ms)" test "$ms" -lt 2000

# ---------------------------------------------------------------- TLS

state "replicas 5" "mode ok"
before=$(requests)
probe --sa sa-other-ca
is "$rc" 1 "another CA: exit 1"
contains "$out" "error=unavailable outcome=tls status=0" "another CA: a TLS failure"
contains "$out" "TLS failure: " "another CA: reported as TLS"
contains "$out" "must verify against $work/sa-other-ca/ca.crt" "another CA: names the ca.crt"
is "$(requests)" "$before" "another CA: no request reached the stand-in (the token was never sent)"

if getent ahostsv4 localhost | grep -q '^127\.0\.0\.1'; then
	probe --host localhost "$api_port"
	contains "$out" "outcome=tls status=0" "a name the certificate does not cover: a TLS failure"
	is "$(requests)" "$before" "a name the certificate does not cover: no request"
else
	skip "a name the certificate does not cover" "localhost does not resolve to 127.0.0.1"
	skip "a name the certificate does not cover: no request" "localhost"
fi

# ---------------------------------------------------------------- IPv6

# ::1 on lo, as /proc/net/if_inet6 lists it (absent where IPv6 is disabled).
if grep -q '^00000000000000000000000000000001 .* lo$' /proc/net/if_inet6 2>/dev/null; then
	if start_api '[::1]' v6; then
		tap_ok 0 "the stand-in listens on [::1]"
	else
		tap_ok 1 "the stand-in listens on [::1]"
		diag "$(tail -5 "$work/api.log")"
	fi
	probe --host ::1 "$api_port"
	is "$out" "replicas 5" "IPv6 host ::1: replicas 5 (bracketed in the URL)"
	probe --host '[::1]' "$api_port"
	is "$out" "replicas 5" "IPv6 host [::1]: replicas 5"
	kill -TERM "$api_pid"
	wait "$api_pid" 2>/dev/null
else
	skip "the stand-in listens on [::1]" "no ::1 on lo"
	skip "IPv6 host ::1" "no ::1 on lo"
	skip "IPv6 host [::1]" "no ::1 on lo"
fi

# ---------------------------------------------------------------- stopped

kill -TERM "$v4_pid"
wait "$v4_pid"
is "$?" 0 "the stand-in stops on SIGTERM"
contains "$(tail -1 "$work/api.log")" "stopped by signal 15" "the stand-in says it stopped"
api_port=$v4_port
probe
is "$rc" 1 "stand-in stopped: exit 1"
contains "$out" "error=unavailable outcome=refused status=0" "stand-in stopped: refused"
contains "$out" "connection refused" "stand-in stopped: says connection refused"
ok "stand-in stopped: at once (took $ms ms)" test "$ms" -lt 2000

# ---------------------------------------------------------------- the token

for f in probe.out probe.err api.log api.out count; do
	nok "the token appears nowhere in $f" grep -qF -e "$token" -e "$wrong_token" "$work/$f"
done
ok "the debug log was on (the check above covers it)" grep -q "asking the Kubernetes API" "$work/probe.err"

done_testing
