#!/usr/bin/env bash
# Writes the seeds of test/fuzz/corpus/ that come from a real etcd: one single-member
# etcd per version (3.4, 3.5, 3.6) on 127.0.0.1 with a temporary data dir, asked over
# its JSON gateway, its peer port and gRPC (curl --http2-prior-knowledge with frames
# made here), then stopped for the head of its WAL. The other seeds (status documents,
# StatefulSets, resolv.conf, command lines) are files written by hand.
#
#   eval "$(bash test/setup.sh)"; test/fuzz/make-seeds.sh
#
# etcd 3.4 is Debian's /usr/bin/etcd (EI_ETCD34_BIN), 3.5 and 3.6 EI_ETCD35_BIN and
# EI_ETCD36_BIN as test/setup.sh prints them; a version without its binary is skipped.
# Ports: 42x79 (client) and 42x80 (peer), x = 4, 5, 6. Every etcd started is stopped.
set -euo pipefail

corpus=$(cd "$(dirname "$0")" && pwd)/corpus
work=$(mktemp -d /tmp/ei-fuzz-seeds.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
log() { printf 'make-seeds: %s\n' "$*" >&2; }

# The bytes of a protobuf message from (field, wire, value) triples: wire 0 a decimal
# integer, wire 2 a string.
pb() {
	python3 - "$@" <<'PY'
import sys
def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7f
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)
a, out = sys.argv[1:], bytearray()
for i in range(0, len(a), 3):
    field, wire, value = int(a[i]), int(a[i + 1]), a[i + 2]
    out += varint(field << 3 | wire)
    if wire == 0:
        out += varint(int(value))
    else:
        out += varint(len(value.encode())) + value.encode()
sys.stdout.buffer.write(bytes(out))
PY
}

# A gRPC frame (uncompressed) around the message on stdin.
frame() {
	python3 -c 'import sys; m = sys.stdin.buffer.read(); sys.stdout.buffer.write(b"\0" + len(m).to_bytes(4, "big") + m)'
}

# A byte from its decimal value.
byte() { printf "\\x$(printf %02x "$1")"; }

# POST a JSON body to the gateway: the body into $2, the HTTP status on stdout.
post() {
	curl -sS -o "$2" -w '%{http_code}' -X POST "$client$1" -d "$3"
}

# The input of fuzz-members-error: the HTTP status in two bytes, then the body.
error_seed() {
	local status=$1 body=$2 out=$3
	{ byte $((status >> 8)); byte $((status & 255)); cat "$body"; } >"$out"
}

# A gRPC call: the request message on stdin; the answer's body into $2.grpc, its
# grpc-status and grpc-message on stdout ("<status> <message>").
grpc() {
	frame >"$work/req"
	curl -sS --http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers' \
		--data-binary @"$work/req" -D "$work/hdr" -o "$2.grpc" "$client/$1"
	tr -d '\r' <"$work/hdr" | awk '/^grpc-status:/ { s = $2 } /^grpc-message:/ { sub(/^grpc-message: ?/, ""); m = $0 } END { print s, m }'
}

# The input of fuzz-grpc: method index (grpc-paths.h order), grpc-status,
# grpc-message's length and bytes, the body.
grpc_seed() {
	local method=$1 answer=$2 body=$3 out=$4 status msg
	read -r status msg <<<"$answer"
	{
		byte "$method"
		byte "$status"
		byte ${#msg}
		printf '%s' "$msg"
		cat "$body"
	} >"$out"
}

# The input of fuzz-pb: 2 * method + 1 for a response, 2 * method for a request.
pb_seed() {
	{ byte "$1"; cat; } >"$2"
}

collect() {
	local v=$1 bin=$2 x=$3 dir peer learner code answer
	dir=$work/etcd-$v
	client=http://127.0.0.1:42${x}79
	peer=http://127.0.0.1:42${x}80
	mkdir -p "$dir"
	"$bin" --name "s$x" --data-dir "$dir/data" --listen-client-urls "$client" \
		--advertise-client-urls "$client" --listen-peer-urls "$peer" \
		--initial-advertise-peer-urls "$peer" --initial-cluster "s$x=$peer" \
		--initial-cluster-token "fuzz-seeds-$v" >"$dir/etcd.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		curl -sf "$client/health" >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -sf "$client/health" >/dev/null || { log "etcd $v did not start: $dir/etcd.log"; return 1; }
	log "etcd $v on $client"

	# A few keys, so the WAL holds entries beyond the bootstrap.
	for k in a b c; do
		post /v3/kv/put "$dir/put" "{\"key\":\"$(printf %s "$k" | base64)\",\"value\":\"dg==\"}" >/dev/null
	done

	# The gateway: list, add a learner (unstarted: no name, no client URLs), list
	# again, promote it (refused: not in sync), remove it, remove an unknown ID.
	post /v3/cluster/member/list "$corpus/members-gateway/list-$v.json" '{}' >/dev/null
	post /v3/cluster/member/add "$corpus/members-gateway/add-learner-$v.json" \
		'{"peerURLs":["http://127.0.0.1:1"],"isLearner":true}' >/dev/null
	learner=$(jq -r .member.ID "$corpus/members-gateway/add-learner-$v.json")
	post /v3/cluster/member/list "$corpus/members-gateway/list-learner-$v.json" '{}' >/dev/null
	code=$(post /v3/cluster/member/promote "$dir/promote" "{\"ID\":\"$learner\"}")
	error_seed "$code" "$dir/promote" "$corpus/members-error/promote-not-in-sync-$v"
	code=$(post /v3/maintenance/status "$corpus/members-status/status-$v.json" '{}')
	# The peer port's list while the learner is there, with its X-Etcd-Cluster-ID.
	curl -sS -D "$dir/peer-hdr" -o "$dir/peer" "$peer/members"
	{
		tr -d '\r' <"$dir/peer-hdr" | sed -n 's/^[Xx]-[Ee]tcd-[Cc]luster-[Ii][Dd]: *//p'
		cat "$dir/peer"
	} >"$corpus/members-peer/peer-learner-$v"
	# gRPC: the same calls, their frames and trailers.
	answer=$(pb 1 0 1 | grpc etcdserverpb.Cluster/MemberList "$dir/list")
	grpc_seed 0 "$answer" "$dir/list.grpc" "$corpus/grpc/list-learner-$v"
	tail -c +6 "$dir/list.grpc" | pb_seed 1 "$corpus/pb/list-response-$v"
	answer=$(pb 1 0 "$learner" | grpc etcdserverpb.Cluster/MemberPromote "$dir/promote")
	grpc_seed 3 "$answer" "$dir/promote.grpc" "$corpus/grpc/promote-not-in-sync-$v"
	answer=$(pb | grpc etcdserverpb.Maintenance/Status "$dir/status")
	grpc_seed 4 "$answer" "$dir/status.grpc" "$corpus/grpc/status-$v"
	tail -c +6 "$dir/status.grpc" | pb_seed 9 "$corpus/pb/status-response-$v"
	answer=$(pb 1 0 "$learner" | grpc etcdserverpb.Cluster/MemberRemove "$dir/remove")
	grpc_seed 2 "$answer" "$dir/remove.grpc" "$corpus/grpc/remove-$v"
	tail -c +6 "$dir/remove.grpc" | pb_seed 5 "$corpus/pb/remove-response-$v"
	answer=$(pb 1 2 http://127.0.0.1:1 2 0 1 | grpc etcdserverpb.Cluster/MemberAdd "$dir/add")
	grpc_seed 1 "$answer" "$dir/add.grpc" "$corpus/grpc/add-learner-$v"
	tail -c +6 "$dir/add.grpc" | pb_seed 3 "$corpus/pb/add-response-$v"
	learner=$(tail -c +6 "$dir/add.grpc" | python3 -c '
import sys
b = sys.stdin.buffer.read()
def varint(i):
    v = s = 0
    while True:
        v |= (b[i] & 0x7f) << s
        s += 7
        i += 1
        if b[i - 1] < 0x80:
            return v, i
# MemberAddResponse.member (field 2), its ID (field 1)
i = 0
while i < len(b):
    key, i = varint(i)
    n, i = varint(i)
    if key == (2 << 3 | 2):
        print(varint(i + 1)[0])
    i += n')
	answer=$(pb 1 0 1 | grpc etcdserverpb.Cluster/MemberRemove "$dir/notfound")
	grpc_seed 2 "$answer" "$dir/notfound.grpc" "$corpus/grpc/remove-not-found-$v"
	answer=$(pb 1 2 root 2 2 x | grpc etcdserverpb.Auth/Authenticate "$dir/auth")
	grpc_seed 5 "$answer" "$dir/auth.grpc" "$corpus/grpc/auth-not-enabled-$v"
	# The gateway's answers after the gRPC add: remove it; errors.
	post /v3/cluster/member/remove "$corpus/members-gateway/remove-$v.json" "{\"ID\":\"$learner\"}" >/dev/null
	code=$(post /v3/cluster/member/remove "$dir/notfound" '{"ID":"1"}')
	error_seed "$code" "$dir/notfound" "$corpus/members-error/remove-not-found-$v"
	code=$(post /v3/auth/authenticate "$dir/auth" '{"name":"root","password":"x"}')
	error_seed "$code" "$dir/auth" "$corpus/members-error/auth-not-enabled-$v"
	code=$(curl -sS -o "$dir/get" -w '%{http_code}' "$client/v3/cluster/member/list")
	error_seed "$code" "$dir/get" "$corpus/members-error/get-not-allowed-$v"
	curl -sS -D "$dir/peer-hdr" -o "$dir/peer" "$peer/members"
	{
		tr -d '\r' <"$dir/peer-hdr" | sed -n 's/^[Xx]-[Ee]tcd-[Cc]luster-[Ii][Dd]: *//p'
		cat "$dir/peer"
	} >"$corpus/members-peer/peer-$v"

	# The requests grpc.c encodes, as fuzz-pb's request seeds (once is enough).
	if [[ $v == 3.6 ]]; then
		pb 1 0 1 | pb_seed 0 "$corpus/pb/list-request"
		pb 1 2 http://127.0.0.1:1 2 0 1 | pb_seed 2 "$corpus/pb/add-request"
		pb 1 0 "$learner" | pb_seed 4 "$corpus/pb/remove-request"
		pb 1 2 root 2 2 x | pb_seed 10 "$corpus/pb/auth-request"
	fi

	kill "${pids[-1]}"
	wait "${pids[-1]}" 2>/dev/null || true
	unset 'pids[-1]'
	# The head of the WAL: the CRC and metadata records, the snapshot, the bootstrap's
	# entries and the puts (the file itself is preallocated to 64 MB).
	head -c 4096 "$(find "$dir/data/member/wal" -name '*.wal' | sort | head -1)" >"$corpus/wal/head-$v.wal"
	# The whole segment up to its zeroed tail fits in those bytes: the scan's seed too.
	cp "$corpus/wal/head-$v.wal" "$corpus/wal-scan/segment-$v.wal"
}

mkdir -p "$corpus"/{members-gateway,members-peer,members-status,members-error,grpc,pb,wal,wal-scan}
collect 3.4 "${EI_ETCD34_BIN:-/usr/bin/etcd}" 4
if [[ -n ${EI_ETCD35_BIN:-} ]]; then collect 3.5 "$EI_ETCD35_BIN" 5; else log "no EI_ETCD35_BIN: 3.5 skipped"; fi
if [[ -n ${EI_ETCD36_BIN:-} ]]; then collect 3.6 "$EI_ETCD36_BIN" 6; else log "no EI_ETCD36_BIN: 3.6 skipped"; fi
log "done: $corpus"
