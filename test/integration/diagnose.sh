#!/usr/bin/env bash
# `etcd-init diagnose` inside a pod, as `kubectl exec etcd-N -- etcd-init diagnose` runs
# it: two pods waiting for a late third (their rows show the etcd-init status "wait"
# and its reason), a healthy cluster (one row per member with the IDs etcd reports, one
# leader, versions; the JSON for tools), a member down, a member whose DNS record is
# gone, a peer that accepts and never answers (diagnose still ends within seconds), an
# unusable data dir (non-zero). Every time: read-only, and exit 0 when the facts could
# be gathered, whatever the peers said.
# shellcheck source-path=SCRIPTDIR disable=SC1091,SC2119,SC2317
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup
[[ -x ${BAD_PEER:-} ]] || bail_out "BAD_PEER is not set to the bad-peer test tool"

# diagnose N [ARGS...]: etcd-init diagnose in pod N; stdout to $EI_RUN/diag.out, stderr to
# $EI_RUN/diag.err, exit status in $diag_rc, time taken (ms) in $diag_ms.
diagnose()
{
	local n=$1 t0
	shift
	t0=$(ei_now_ms)
	pod_exec "$n" env HOSTNAME="$(pod_name "$n")" SERVICE_NAME=etcd K8S_NAMESPACE=ns \
		timeout 30 "$ETCD_INIT" diagnose --etcd "$ETCD_BIN" --data-dir "$(pod_data "$n")" "$@" \
		>"$EI_RUN/diag.out" 2>"$EI_RUN/diag.err"
	diag_rc=$?
	diag_ms=$(($(ei_now_ms) - t0))
}
# row POD: the table row of pod etcd-POD, "(self)" removed, so that the fields are
# PEER DNS SRV ASKED ETCD-INIT MEMBER-ID NAME STATE HEALTH VERSION LEADER RAFT-INDEX.
row() { sed 's/ (self)//' "$EI_RUN/diag.out" | grep -E "^etcd-$1 " | head -n 1; }
# field POD N: field N of that row.
field() { row "$1" | awk -v n="$2" '{print $n}'; }
# note POD: the note of pod etcd-POD under the table.
note() { grep -E "^  etcd-$1( \(self\))?: " "$EI_RUN/diag.out"; }
# jpeer POD FILTER: jq FILTER on the JSON row of etcd-POD.
jpeer() { jq -r --arg h "$(pod_fqdn "$1")" ".peers[] | select(.host == \$h) | $2" "$EI_RUN/diag.out"; }
hex_id() { printf '%x' "$(member_id "$1")"; }
show() { diag "$(cat "$EI_RUN/diag.out" "$EI_RUN/diag.err")"; }

# ------------------------------------------------------------ two pods waiting for a third
for n in 0 1 2; do
	pod_create "$n"
	dns_publish "$n"
done
launch 0
launch 1
ok "etcd-0 and etcd-1 wait for etcd-2" \
	wait_for 15 eval "log_has 0 'action=wait' && log_has 1 'action=wait'"
diagnose 1
is "$diag_rc" 0 "waiting: diagnose exits 0"
show
is "$(sed 's/ (self)//' "$EI_RUN/diag.out" | grep -cE '^etcd-[0-9] ')" 3 "waiting: 3 rows"
is "$(field 0 5)" wait "waiting: etcd-0's row shows its etcd-init status: wait"
like "$(note 0)" "etcd-init wait: .*etcd-2" "waiting: etcd-0's note gives its reason (etcd-2)"
is "$(field 1 5)" wait "waiting: the own row (asked at its own address) shows wait"
is "$(field 2 4)" refused "waiting: etcd-2's row: refused"
like "$(grep '^decision: ' "$EI_RUN/diag.out")" "^decision: wait: " "waiting: the decision is wait"
diagnose 1 --output json
is "$diag_rc" 0 "waiting: JSON: exit 0"
is "$(jpeer 0 .etcd_init.action)" wait "waiting: JSON: etcd-0's etcd_init.action"
like "$(jpeer 0 .etcd_init.reason)" "etcd-2" "waiting: JSON: etcd-0's etcd_init.reason"
is "$(jq -r .decision.action "$EI_RUN/diag.out")" wait "waiting: JSON: decision.action"
is "$(jq -r '.data_dir.has_wal' "$EI_RUN/diag.out")" false "waiting: JSON: no WAL"
ok "waiting: etcd-1's volume is still empty" volume_empty 1

# ------------------------------------------------------------ a healthy cluster
launch 2
ok "etcd-2 comes: 3 members healthy" wait_healthy "0 1 2" 60
members_before=$(member_list_json 0 | jq -c '[.members[] | {ID, name, isLearner}] | sort_by(.ID)')
wal_before=$(ls -l "$(pod_data 0)/member/wal")
diagnose 0
is "$diag_rc" 0 "healthy: diagnose exits 0"
show
is "$(sed 's/ (self)//' "$EI_RUN/diag.out" | grep -cE '^etcd-[0-9] ')" 3 "healthy: 3 rows"
like "$(grep -E '^etcd-0 ' "$EI_RUN/diag.out")" '^etcd-0 \(self\) ' "healthy: the own row is marked"
for n in 0 1 2; do
	is "$(field "$n" 6)" "$(hex_id "$n")" "healthy: etcd-$n's member ID is the one etcd reports"
	is "$(field "$n" 8)" started "healthy: etcd-$n started"
	is "$(field "$n" 9)" healthy "healthy: etcd-$n healthy"
	like "$(field "$n" 10)" "^$EI_ETCD_VERSION\." "healthy: etcd-$n's version is $EI_ETCD_VERSION.x"
	like "$(field "$n" 12)" '^[0-9]+$' "healthy: etcd-$n's raft index"
done
is "$(for n in 0 1 2; do field "$n" 11; done | grep -cx yes)" 1 "healthy: exactly one leader"
nok "healthy: no notes" grep -q '^notes:' "$EI_RUN/diag.out"
like "$(grep '^data dir: ' "$EI_RUN/diag.out")" "WAL of member $(hex_id 0) in cluster" \
	"healthy: the data dir's member"
like "$(grep '^decision: ' "$EI_RUN/diag.out")" "^decision: restart: " "healthy: decision restart"

diagnose 0 --output json
is "$diag_rc" 0 "healthy: JSON: exit 0"
ok "healthy: JSON parses" jq -e . "$EI_RUN/diag.out"
is "$(jq '.peers | length' "$EI_RUN/diag.out")" 3 "healthy: JSON: 3 peers"
is "$(jq '[.peers[] | select(.healthy == true)] | length' "$EI_RUN/diag.out")" 3 \
	"healthy: JSON: 3 healthy"
is "$(jq '[.peers[] | select(.leader == true)] | length' "$EI_RUN/diag.out")" 1 \
	"healthy: JSON: 1 leader"
is "$(jq -r '[.peers[].member_id] | sort | join(" ")' "$EI_RUN/diag.out")" \
	"$(for n in 0 1 2; do hex_id "$n"; echo; done | sort | paste -sd ' ')" \
	"healthy: JSON: the member IDs etcd reports"
is "$(jq -r '.peers[] | select(.self) | .host' "$EI_RUN/diag.out")" "$(pod_fqdn 0)" \
	"healthy: JSON: the own row"
is "$(jq -r .data_dir.member_id "$EI_RUN/diag.out")" "$(hex_id 0)" "healthy: JSON: data_dir.member_id"
is "$(jq -r '.certificates | length' "$EI_RUN/diag.out")" 0 "healthy: JSON: no certificates"
is "$(jq -r .decision.action "$EI_RUN/diag.out")" restart "healthy: JSON: decision.action"

# Credentials given (auth is not enabled in this cluster): never printed.
pod_exec 0 env HOSTNAME=etcd-0 SERVICE_NAME=etcd K8S_NAMESPACE=ns ETCDCTL_USER=root \
	ETCDCTL_PASSWORD=hunter2-not-to-be-seen "$ETCD_INIT" diagnose --etcd "$ETCD_BIN" \
	--data-dir "$(pod_data 0)" --output json >"$EI_RUN/diag.out" 2>&1
is "$?" 0 "credentials: exit 0"
nok "credentials: the password is not printed" grep -q hunter2 "$EI_RUN/diag.out"

is "$(member_list_json 0 | jq -c '[.members[] | {ID, name, isLearner}] | sort_by(.ID)')" \
	"$members_before" "read-only: member list unchanged"
is "$(ls -l "$(pod_data 0)/member/wal")" "$wal_before" "read-only: data dir unchanged"
ok "read-only: etcd still healthy" wait_healthy "0 1 2" 10

# ------------------------------------------------------------ one member down
id2=$(hex_id 2)
pod_stop 2
diagnose 0
is "$diag_rc" 0 "down: diagnose exits 0"
show
like "$(field 2 4)" '^(refused|unreachable|timeout)$' "down: etcd-2's row: not reachable"
is "$(field 2 6)" "$id2" "down: etcd-2's member ID, from the member list"
is "$(field 2 9)" - "down: etcd-2's health unknown"
ok "down: etcd-2 has a note" note 2
is "$(field 0 9)$(field 1 9)" healthyhealthy "down: the other two are healthy"
diagnose 0 --output json
is "$(jpeer 2 .reachable)" false "down: JSON: etcd-2 not reachable"
is "$(jpeer 2 .healthy)" false "down: JSON: etcd-2 not healthy"

# ------------------------------------------------------------ its DNS record gone
dns_unpublish 2
diagnose 0
is "$diag_rc" 0 "no DNS: diagnose exits 0"
show
is "$(field 2 2)" not-found "no DNS: etcd-2's DNS cell"
is "$(field 2 3)" no "no DNS: etcd-2 not in SRV"
like "$(note 2)" "does not resolve" "no DNS: etcd-2's note: does not resolve"
diagnose 0 --output json
is "$(jpeer 2 .dns.status)" not-found "no DNS: JSON: dns.status"

# ------------------------------------------------------------ a peer that never answers
dns_publish 2
pod_start 2 "$BAD_PEER" --mode silent
sleep 0.5
diagnose 0
is "$diag_rc" 0 "hanging peer: diagnose exits 0"
show
# Not a timing assertion: a diagnose that waited for the silent peer would never end
# (timeout(1) would kill it with 124); how long it took is only reported.
isnt "$diag_rc" 124 "hanging peer: diagnose ends on its own"
diag "hanging peer: diagnose took ${diag_ms} ms"
is "$(field 2 4)" timeout "hanging peer: etcd-2's row: timeout"
is "$(field 0 9)" healthy "hanging peer: etcd-0 still healthy"
pod_stop 2

# ------------------------------------------------------------ facts that cannot be gathered
: >"$EI_RUN/not-a-dir"
pod_exec 0 env HOSTNAME=etcd-0 SERVICE_NAME=etcd K8S_NAMESPACE=ns "$ETCD_INIT" diagnose \
	--etcd "$ETCD_BIN" --data-dir "$EI_RUN/not-a-dir" >"$EI_RUN/diag.out" 2>"$EI_RUN/diag.err"
is "$?" 2 "bad data dir: exit 2"
like "$(cat "$EI_RUN/diag.err")" "not-a-dir" "bad data dir: the error names it"
done_testing
