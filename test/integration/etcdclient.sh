#!/usr/bin/env bash
# Integration test of lib/etcdclient.c (through test/tools/etcd-probe) against real
# etcd 3.4 (/usr/bin/etcd), 3.5 and 3.6 ($EI_ETCD35_BIN, $EI_ETCD36_BIN, else from test/setup.sh) on
# loopback, plus a silent TCP listener (SIGTERM must end a wait at once) and a
# fake HTTP server (size limit, garbage, redirects). Prints TAP.
#
# Environment (set by meson, test/meson.build): ETCD_PROBE, TEST_DIR.
# By hand:  ETCD_PROBE=build/test/etcd-probe TEST_DIR=test bash test/integration/etcdclient.sh
# Ports: 127.0.0.1:23400-23417 (3.4), 23500-23517 (3.5), 23600-23617 (3.6), 23995-23999 (fakes).
# TLS: certificates made with openssl; the https client URL carries the gateway.
set -uo pipefail

: "${ETCD_PROBE:?set ETCD_PROBE to the etcd-probe binary}"
: "${TEST_DIR:?set TEST_DIR to the test/ source directory}"

IP=127.0.0.1
n=0
failed=0
pids=()
work=$(mktemp -d /tmp/ei-etcdclient.XXXXXX)

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
# check DESCRIPTION COMMAND...: one TAP line from a command's status.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# probe ARGS...: run etcd-probe (bounded), output in $out, status in $rc.
probe() {
	out=$(timeout -k 2 30 "$ETCD_PROBE" "$@" 2>>"$work/probe.err")
	rc=$?
}
has_line() { grep -qxF -- "$1" <<<"$out"; }
has_prefix() { grep -q -- "^$1" <<<"$out"; }
# wait_for SECONDS COMMAND...: retry every 0.2 s until the command succeeds.
wait_for() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	while (($(now_ms) < deadline)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
port_free() { ! (exec 3<>"/dev/tcp/$IP/$1") 2>/dev/null; }

# start_etcd BIN NAME CLIENT_URL PEER_URL INITIAL_CLUSTER STATE: in the background.
start_etcd() {
	"$1" --name "$2" --data-dir "$work/$2.data" \
		--listen-client-urls "$3" --advertise-client-urls "$3" \
		--listen-peer-urls "$4" --initial-advertise-peer-urls "$4" \
		--initial-cluster "$5" --initial-cluster-state "$6" \
		--initial-cluster-token "ei-test-$2" --log-outputs stderr \
		>"$work/$2.log" 2>&1 &
	pids+=($!)
	last_pid=$!
}
stop_pid() {
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

member_id_of() { awk -v u="$1" '$1 == "member" && $5 == "peer=" u {print $2}' <<<"$out"; }
probe_ids() { awk '$1 == "member" {print $2}' <<<"$out" | sort; }
probe_names() { awk '$1 == "member" {sub("name=", "", $3); print $3}' <<<"$out" | sort; }

# run_version VERSION ETCD ETCDCTL BASEPORT
run_version() {
	local v=$1 etcd=$2 ctl=$3 base=$4
	local c0=http://$IP:$base p0=http://$IP:$((base + 1))
	local c1=http://$IP:$((base + 2)) p1=http://$IP:$((base + 3))
	local c2=http://$IP:$((base + 4)) p2=http://$IP:$((base + 5))
	local pA=http://$IP:$((base + 11)) pB=http://$IP:$((base + 13))
	local pV1=http://$IP:$((base + 15)) pV2=http://$IP:$((base + 17))
	local id0 idA id1 cid ctl_json ctl_simple t0 t1 p n0pid n1pid n2pid

	for p in $(seq "$base" $((base + 7))); do
		if ! port_free "$p"; then
			not_ok "$v: port $p is free (something else listens there)"
			return
		fi
	done

	# One voter, n0.
	start_etcd "$etcd" n0-$v "$c0" "$p0" "n0-$v=$p0" new
	n0pid=$last_pid
	if ! wait_for 20 "$ETCD_PROBE" --timeout 1000 status "$c0"; then
		not_ok "$v: etcd n0 starts"
		diag "$(tail -20 "$work/n0-$v.log")"
		return
	fi
	ok "$v: etcd n0 starts"

	# list, compared with etcdctl (JSON prints IDs as decimal numbers, the
	# simple format as hex: convert ours with printf %x).
	probe list "$c0"
	check "$v: list exits 0" test "$rc" = 0
	id0=$(probe_ids)
	ctl_json=$(ETCDCTL_API=3 "$ctl" --endpoints "$c0" member list -w json 2>/dev/null)
	ctl_simple=$(ETCDCTL_API=3 "$ctl" --endpoints "$c0" member list 2>/dev/null)
	check "$v: list IDs match etcdctl's (decimal)" \
		test "$id0" = "$(grep -o '"ID":[0-9]*' <<<"$ctl_json" | cut -d: -f2 | sort)"
	check "$v: list IDs match etcdctl's (hex)" \
		test "$(printf '%x\n' "$id0")" = "$(cut -d, -f1 <<<"$ctl_simple" | sort)"
	check "$v: list names match etcdctl's" \
		test "$(probe_names)" = "$(grep -o '"name":"[^"]*"' <<<"$ctl_json" | cut -d'"' -f4 | sort)"
	cid=$(awk '$1 == "cluster_id" {print $2}' <<<"$out")
	check "$v: list cluster_id matches etcdctl's" \
		test "$cid" = "$(grep -o '"cluster_id":[0-9]*' <<<"$ctl_json" | cut -d: -f2)"
	check "$v: list shows n0 started with its URLs" \
		has_line "member $id0 name=n0-$v learner=0 peer=$p0 client=$c0"
	check "$v: list responder is n0" has_line "responder $id0"

	probe peer-list "$p0"
	check "$v: peer-list exits 0" test "$rc" = 0
	check "$v: peer-list shows the same member" \
		has_line "member $id0 name=n0-$v learner=0 peer=$p0 client=$c0"
	check "$v: peer-list cluster_id (X-Etcd-Cluster-ID, hex) matches" has_line "cluster_id $cid"

	probe status "$c0"
	check "$v: status exits 0" test "$rc" = 0
	check "$v: status names n0 as member and leader, version $v" \
		has_prefix "status member_id=$id0 leader=$id0 .* learner=0 version=$v\\."

	# A learner that never starts.
	probe add "$c0" "$pA" --learner
	check "$v: add learner exits 0" test "$rc" = 0
	idA=$(awk '$1 == "added" {print $2}' <<<"$out")
	check "$v: add answers the new unstarted learner" \
		has_line "added $idA name=- learner=1 peer=$pA client=-"
	probe list "$c0"
	check "$v: list shows the learner unstarted" \
		has_line "member $idA name=- learner=1 peer=$pA client=-"
	check "$v: etcdctl agrees it is an unstarted learner" \
		grep -q "^$(printf '%x' "$idA"), unstarted, , $pA, , true" \
		<<<"$(ETCDCTL_API=3 "$ctl" --endpoints "$c0" member list 2>/dev/null)"

	probe add "$c0" "$pB" --learner
	check "$v: a second learner fails with too-many-learners" \
		eval '[[ $rc == 1 ]] && has_prefix "failure too-many-learners http=4[01][02] message=etcdserver: too many learner members in cluster"'
	diag "$v: second learner: $out"
	probe add "$c0" "$pA"
	check "$v: adding the same peer URL fails with peer-exists" \
		eval '[[ $rc == 1 ]] && has_prefix "failure peer-exists "'
	diag "$v: same peer URL: $out"
	probe promote "$c0" "$idA"
	check "$v: promoting the unstarted learner fails with not-in-sync" \
		eval '[[ $rc == 1 ]] && has_prefix "failure not-in-sync http=4"'
	probe promote "$c0" "$id0"
	check "$v: promoting a voter fails with not-learner" \
		eval '[[ $rc == 1 ]] && has_prefix "failure not-learner http=4"'
	probe remove "$c0" 12345
	check "$v: removing an unknown ID fails with not-found (404)" \
		eval '[[ $rc == 1 ]] && has_prefix "failure not-found http=404 "'
	probe remove "$c0" "$idA"
	check "$v: removing the learner exits 0" test "$rc" = 0
	probe list "$c0"
	check "$v: the learner is gone" eval '[[ $rc == 0 ]] && [[ $(probe_ids) == "$id0" ]]'

	# A learner that runs: n1.
	probe add "$c0" "$p1" --learner
	id1=$(awk '$1 == "added" {print $2}' <<<"$out")
	check "$v: add learner n1 exits 0" test "$rc" = 0
	start_etcd "$etcd" n1-$v "$c1" "$p1" "n0-$v=$p0,n1-$v=$p1" existing
	n1pid=$last_pid
	if wait_for 20 "$ETCD_PROBE" --timeout 1000 status "$c1"; then
		ok "$v: learner n1 starts and answers status"
	else
		not_ok "$v: learner n1 starts and answers status"
		diag "$(tail -20 "$work/n1-$v.log")"
	fi
	probe status "$c1"
	check "$v: status on n1 says learner=1" has_prefix "status member_id=$id1 leader=$id0 .* learner=1 "
	probe list "$c1"
	check "$v: list on the learner alone fails with learner-rpc" \
		eval '[[ $rc == 1 ]] && has_prefix "failure learner-rpc http=[45]0[03] message=etcdserver: rpc not supported for learner"'
	diag "$v: list on a learner: $out"
	probe list "http://$IP:23999" "$c1" "$c0"
	check "$v: list over unreachable, learner and voter answers from the voter" \
		eval '[[ $rc == 0 ]] && has_line "responder $id0" && has_line "member $id1 name=n1-$v learner=1 peer=$p1 client=$c1"'
	wait_for 20 "$ETCD_PROBE" promote "$c0" "$id1"
	probe list "$c0"
	check "$v: the learner is promoted once in sync" \
		has_line "member $id1 name=n1-$v learner=0 peer=$p1 client=$c1"

	# Quorum lost (n1 killed): the linearizable list fails, the local one answers.
	stop_pid "$n1pid"
	wait_for 10 eval '"$ETCD_PROBE" status "$c0" | grep -q " leader=0 "'
	t0=$(now_ms)
	probe --timeout 2000 list "$c0"
	t1=$(now_ms)
	check "$v: without quorum, list falls back to the local list ($((t1 - t0)) ms)" \
		eval '[[ $rc == 0 ]] && [[ $(probe_ids) == "$(printf "%s\n" "$id0" "$id1" | sort)" ]] && ((t1 - t0 < 4500))'
	probe add "$c0" "$pV1"
	check "$v: add without quorum fails with unhealthy" \
		eval '[[ $rc == 1 ]] && has_prefix "failure unhealthy http=5"'
	diag "$v: add without quorum: $out"
	stop_pid "$n0pid"

	# A fresh single voter, n2: one unstarted voter is allowed (1+1), a second
	# is not: "not enough started members" (strict reconfig check, §2.5, §3).
	start_etcd "$etcd" n2-$v "$c2" "$p2" "n2-$v=$p2" new
	n2pid=$last_pid
	if wait_for 20 "$ETCD_PROBE" --timeout 1000 status "$c2"; then
		probe add "$c2" "$pV1"
		check "$v: adding one voter to a single node exits 0" test "$rc" = 0
		probe add "$c2" "$pV2"
		check "$v: a second unstarted voter fails with unhealthy (not enough started members)" \
			eval '[[ $rc == 1 ]] && has_prefix "failure unhealthy http=.* message=etcdserver: re-configuration failed due to not enough started members"'
		diag "$v: not enough started members: $out"
	else
		not_ok "$v: etcd n2 starts"
	fi
	stop_pid "$n2pid"
}

# make_certs DIR: a CA, a server certificate for 127.0.0.1 (with the clientAuth
# EKU the gateway needs under --client-cert-auth, etcd-facts §1.6) and a client one.
make_certs() {
	local d=$1 name
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=ei-test-ca -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null || return 1
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$d/server.ext"
	printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
	for name in server client; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-subj "/CN=ei-test-$name" -keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null &&
			openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
				-CAcreateserial -days 1 -extfile "$d/$name.ext" -out "$d/$name.crt" \
				2>/dev/null || return 1
	done
}

# run_tls VERSION ETCD BASEPORT: the TLS options reach curl (CA, client cert and key).
run_tls() {
	local v=$1 etcd=$2 base=$3 d=$work/pki pid
	local c=https://$IP:$((base + 6)) p=http://$IP:$((base + 7))
	local tls=(--cacert "$d/ca.crt" --cert "$d/client.crt" --key "$d/client.key")

	if [[ ! -f $d/ca.crt ]] && ! make_certs "$d"; then
		not_ok "$v: TLS: openssl makes test certificates"
		return
	fi
	"$etcd" --name tls-$v --data-dir "$work/tls-$v.data" \
		--listen-client-urls "$c" --advertise-client-urls "$c" \
		--listen-peer-urls "$p" --initial-advertise-peer-urls "$p" \
		--initial-cluster "tls-$v=$p" --cert-file "$d/server.crt" --key-file "$d/server.key" \
		--trusted-ca-file "$d/ca.crt" --client-cert-auth >"$work/tls-$v.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	if ! wait_for 20 "$ETCD_PROBE" --timeout 1000 "${tls[@]}" status "$c"; then
		not_ok "$v: TLS: status over https with a client certificate"
		diag "$(tail -20 "$work/tls-$v.log")"
		stop_pid "$pid"
		return
	fi
	ok "$v: TLS: status over https with a client certificate"
	probe "${tls[@]}" list "$c"
	check "$v: TLS: list over https" eval '[[ $rc == 0 ]] && has_prefix "member .* name=tls-$v "'
	probe --cacert "$d/ca.crt" list "$c"
	check "$v: TLS: without a client certificate the handshake fails (unreachable)" \
		eval '[[ $rc == 1 ]] && has_prefix "failure unreachable "'
	probe --cert "$d/client.crt" --key "$d/client.key" list "$c"
	check "$v: TLS: without the CA the server is not trusted (unreachable)" \
		eval '[[ $rc == 1 ]] && has_prefix "failure unreachable "'
	stop_pid "$pid"
}

# run_auth VERSION ETCD ETCDCTL BASEPORT: etcd auth over the gateway: a token from the
# user and password, sent raw, a new one once when etcd rejects it (a TTL of 1 s), a
# wrong password refused as "auth", and neither secret in any output (at debug level).
run_auth() {
	local v=$1 etcd=$2 ctl=$3 base=$4 pid secret=Auth-Secret-77
	local c=http://$IP:$((base + 8)) p=http://$IP:$((base + 9))
	"$etcd" --name auth-$v --data-dir "$work/auth-$v.data" \
		--listen-client-urls "$c" --advertise-client-urls "$c" \
		--listen-peer-urls "$p" --initial-advertise-peer-urls "$p" \
		--initial-cluster "auth-$v=$p" --auth-token-ttl 1 >"$work/auth-$v.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	local id=
	if wait_for 20 "$ETCD_PROBE" --timeout 1000 status "$c"; then
		probe list "$c"
		id=${out#*member }
		id=${id%% *}
	fi
	if [[ -z $id ]] || ! ETCDCTL_API=3 "$ctl" --endpoints "$c" user add root --new-user-password "$secret" >/dev/null 2>&1 ||
		! ETCDCTL_API=3 "$ctl" --endpoints "$c" auth enable >/dev/null 2>&1; then
		not_ok "$v: auth: etcd with auth enabled"
		stop_pid "$pid"
		return
	fi
	# MemberPromote needs root in every version (etcd-facts §1.5): promoting a voter
	# gets past the auth check and fails as "not a learner".
	: >"$work/probe.err"
	probe -v --user root --password "$secret" again 3000 promote "$c" "$id"
	check "$v: auth: a root-only call with the token, and again after it expired (1 s TTL)" \
		eval '[[ $rc == 1 ]] && has_line "first failure not-learner" && has_prefix "failure not-learner "'
	check "$v: auth: the expired token was replaced once" \
		eval '(($(grep -c "etcd rejected the auth token; authenticating again" "$work/probe.err") == 1))'
	check "$v: auth: no password or token in any output (debug level)" \
		eval '! grep -q -- "$secret\|Authorization" "$work/probe.err" && ! grep -q -- "$secret" <<<"$out"'
	: >"$work/probe.err"
	probe --user root --password wrong-password list "$c"
	check "$v: auth: a wrong password is refused, naming the user" \
		eval '[[ $rc == 1 ]] && grep -q "refused the credentials of user root" "$work/probe.err"'
	probe promote "$c" "$id"
	check "$v: auth: a membership change without a token is refused: no credentials" \
		eval '[[ $rc == 1 ]] && has_prefix "failure no-credentials "'
	stop_pid "$pid"
}

# --- etcd 3.4, 3.5 and 3.6 -------------------------------------------------
if [[ -z ${EI_ETCD35_BIN:-} || -z ${EI_ETCD36_BIN:-} ]]; then
	# setup.sh prints "export EI_ETCD35_BIN=..." lines for every version it provides.
	eval "$(bash "$TEST_DIR/setup.sh")"
fi
: "${EI_ETCD35_BIN:=/nonexistent}" "${EI_ETCD36_BIN:=/nonexistent}"
: "${EI_ETCDCTL35_BIN:=$(dirname "$EI_ETCD35_BIN")/etcdctl}"
: "${EI_ETCDCTL36_BIN:=$(dirname "$EI_ETCD36_BIN")/etcdctl}"

# is_version BIN X.Y: never test one version twice by mistake (an empty
# setup.sh answer would turn $dir/usr/bin/etcd into /usr/bin/etcd).
is_version() {
	local v
	v=$("$1" --version 2>/dev/null)
	[[ $v == *"etcd Version: $2."* ]]
}

for spec in "3.4 /usr/bin/etcd /usr/bin/etcdctl 23400" \
	"3.5 $EI_ETCD35_BIN $EI_ETCDCTL35_BIN 23500" \
	"3.6 $EI_ETCD36_BIN $EI_ETCDCTL36_BIN 23600"; do
	read -r v etcd ctl base <<<"$spec"
	if is_version "$etcd" "$v" && [[ -x $ctl ]]; then
		run_version "$v" "$etcd" "$ctl" "$base"
		run_tls "$v" "$etcd" "$base"
		run_auth "$v" "$etcd" "$ctl" "$base"
	else
		not_ok "etcd $v found at $etcd (and etcdctl at $ctl)"
	fi
done

# --- no etcd at all -----------------------------------------------------------
t0=$(now_ms)
probe list "http://$IP:23999"
t1=$(now_ms)
check "unreachable: list exits 1 with failure unreachable in $((t1 - t0)) ms" \
	eval '[[ $rc == 1 ]] && has_prefix "failure unreachable http=0 " && ((t1 - t0 < 3000))'
probe status "http://$IP:23999"
check "unreachable: status exits 1 with failure unreachable" \
	eval '[[ $rc == 1 ]] && has_prefix "failure unreachable "'
probe list "ftp://$IP:23999"
check "a non-HTTP URL is refused" eval '[[ $rc == 1 ]] && has_prefix "failure \(unreachable\|bad-answer\) "'

# --- fake servers: silent, oversized, garbage, redirect -------------------------
if command -v python3 >/dev/null; then
	python3 -u - "$IP" >"$work/fake.out" 2>&1 <<'PY' &
import socket, sys, threading
ip = sys.argv[1]
replies = {
    23998: None,  # accepts and never answers
    23997: b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + b" " * (2 << 20),
    23996: b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
    23995: b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:23996/\r\nContent-Length: 0\r\n\r\n",
}
held = []
def echo(port):
    # Answers 401 with the request (headers and body) as etcd's error message: a peer
    # that echoes the password and the token.
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        try:
            c.settimeout(2)
            req = c.recv(65536).decode("latin-1")
            import json as j
            body = j.dumps({"code": 16, "message": req}).encode()
            c.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                      b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            c.close()
        except OSError:
            pass
threading.Thread(target=echo, args=(23994,), daemon=True).start()
def serve(port, reply):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        held.append(c)
        if reply is not None:
            try:
                c.recv(65536)
                c.sendall(reply)
                c.close()
            except OSError:
                pass
for port, reply in replies.items():
    threading.Thread(target=serve, args=(port, reply), daemon=True).start()
print("ready")
threading.Event().wait()
PY
	pids+=($!)
	wait_for 10 grep -q ready "$work/fake.out"

	probe list "http://$IP:23997"
	check "an answer over 1 MiB is cut off as bad-answer" \
		eval '[[ $rc == 1 ]] && has_prefix "failure bad-answer http=[0-9]* message=answer larger than"'
	probe list "http://$IP:23996"
	check "a 200 answer that is not JSON is bad-answer" \
		eval '[[ $rc == 1 ]] && has_prefix "failure bad-answer http=200 message=member list: not JSON"'
	probe status "http://$IP:23996"
	check "status: a 200 answer that is not JSON exits 1" \
		eval '[[ $rc == 1 ]] && has_prefix "failure bad-answer "'
	: >"$work/probe.err"
	probe -v --user root --password Echoed-Secret-31 list "http://$IP:23994"
	check "a peer that echoes the password gets it redacted everywhere (exit 1)" \
		eval '[[ $rc == 1 ]] && grep -q "\[redacted\]" "$work/probe.err" && ! grep -q "Echoed-Secret" "$work/probe.err" && ! grep -q "Echoed-Secret" <<<"$out"'
	probe list "http://$IP:23995"
	check "a redirect is not followed" eval '[[ $rc == 1 ]] && has_prefix "failure other http=307 "'
	t0=$(now_ms)
	probe --timeout 700 list "http://$IP:23998"
	t1=$(now_ms)
	check "a silent server times out as unreachable ($((t1 - t0)) ms)" \
		eval '[[ $rc == 1 ]] && has_prefix "failure unreachable " && ((t1 - t0 < 2500))'

	# SIGTERM ends the wait at once: exit 128+15.
	for cmd in list peer-list; do
		# No timeout(1) here: the status must be etcd-probe's own. It is
		# bounded all the same: killed after 1 s below.
		"$ETCD_PROBE" --timeout 30000 "$cmd" "http://$IP:23998" >/dev/null 2>>"$work/probe.err" &
		ppid_=$!
		pids+=("$ppid_")
		sleep 0.3
		t0=$(now_ms)
		kill -TERM "$ppid_"
		while kill -0 "$ppid_" 2>/dev/null && (($(now_ms) - t0 < 1000)); do
			sleep 0.02
		done
		t1=$(now_ms)
		if kill -0 "$ppid_" 2>/dev/null; then
			not_ok "SIGTERM during $cmd ends etcd-probe within 1 s"
			kill -KILL "$ppid_" 2>/dev/null
			wait "$ppid_" 2>/dev/null
		else
			wait "$ppid_"
			st=$?
			check "SIGTERM during $cmd ends etcd-probe within 1 s ($((t1 - t0)) ms) with status 143 (got $st)" \
				test "$st" = 143
		fi
	done

	# SIGTERM while a name is still resolving: curl's threaded resolver must not
	# be joined (CURLOPT_QUICK_EXIT). A DNS server that never answers, given to
	# etcd-probe through resolv.conf in a private mount namespace.
	if unshare -m true 2>/dev/null; then
		python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.237", 53))
while True:
    s.recvfrom(4096)' 2>>"$work/fake.out" &
		pids+=($!)
		printf 'nameserver 127.0.0.237\noptions timeout:5 attempts:2\n' >"$work/resolv.conf"
		# Until it listens (python's start-up can take a second on a busy machine: a
		# resolver asking before would get a quick "port unreachable", not silence).
		for ((i = 0; i < 100; i++)); do
			[[ -n $(ss -Hlun 'src 127.0.0.237:53') ]] && break
			sleep 0.1
		done
		res=$(timeout -k 2 30 unshare -m bash -c '
			mount --bind "$1" /etc/resolv.conf || exit 9
			"$2" --timeout 20000 --connect-timeout 20000 list http://etcd-0.ei-test.example.test:2379 2>/dev/null &
			p=$!
			sleep 0.5
			t0=$(date +%s%N)
			kill -TERM $p
			wait $p
			echo "$? $((($(date +%s%N) - t0) / 1000000))"' _ "$work/resolv.conf" "$ETCD_PROBE")
		read -r st ms <<<"$res"
		check "SIGTERM during DNS resolution ends etcd-probe within 1 s (${ms:-?} ms) with status 143 (got ${st:-?})" \
			eval '[[ $st == 143 ]] && ((ms < 1000))'
	else
		ok "SIGTERM during DNS resolution # SKIP unshare -m is not allowed here"
	fi
else
	for d in "size limit" "garbage" "status garbage" "redirect" "silent server" "SIGTERM list" "SIGTERM peer-list" "SIGTERM DNS"; do
		ok "$d # SKIP python3 not installed"
	done
fi

if ((failed)); then
	diag "etcd-probe stderr (last lines):"
	diag "$(tail -30 "$work/probe.err")"
fi
echo "1..$n"
((failed == 0))
