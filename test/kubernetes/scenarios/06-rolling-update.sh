#!/usr/bin/env bash
# A rolling update from etcd 3.5 to 3.6 on a real Kubernetes, under writes: a cold start
# of 3 with localhost/etcd-init:3.5 (test/kubernetes/overlay), a key written; a writer
# on the test host puts k-1, k-2, ... one etcdctl 3.6 (the host's, test/setup.sh) call
# each, against all three pods' IPs (looked up again every few seconds and after every
# failure: a replaced pod may get another IP), and records each write that was
# acknowledged (exit 0) with its value; then `kubectl set image statefulset/etcd
# etcd=localhost/etcd-init:3.6` with the manifest's PodDisruptionBudget in place, the
# rollout (bounded `kubectl rollout status`), 3 pods Ready on the 3.6 image, the writer
# stopped. Checks: every acknowledged write reads back with its value (none lost),
# writes were acknowledged while the rollout ran (the writer survived each pod being
# down), the member IDs are those from before, every old pod's preStop hook (leave,
# its log streamed with `kubectl logs -f` until the container ended) decided stay,
# every pod was replaced and its etcd-init decided restart, every member's server
# version is 3.6, no container restarted (the pods were replaced by the rollout, never
# restarted). Timing: `# rolling update: N s`
# (set image to 3 Ready on 3.6); the writes acknowledged and failed as diagnostics.
#
# The scenario is the 3.5 -> 3.6 upgrade itself, so it uses both images whatever
# EI_K8S_TAG says (run.sh runs it once per tag: the same scenario twice); the tag only
# names the namespace.
# shellcheck source-path=SCRIPTDIR/.. disable=SC2119,SC2317 # restart_counts: its selector defaults; helpers called through ok, wait_for, trap
set -u -o pipefail
source "$(dirname "$0")/../lib.sh"

tag=${EI_K8S_TAG:-3.6}
from=3.5 to=3.6
ns_create "rolling-update-${tag//./-}"
diag "namespace $EI_NS, image localhost/etcd-init:$from updated to :$to (EI_K8S_TAG=$tag not used)"
tmp=$(mktemp -d /tmp/ei-k8s-rolling.XXXXXX)
writer_pid=
loggers=()
cleanup()
{
	local p
	for p in "$writer_pid" "${loggers[@]}"; do
		[[ -z $p ]] || kill "$p" 2>/dev/null
	done
	rm -rf "$tmp"
	ns_delete
}
trap cleanup EXIT
etcdctl36=${EI_ETCDCTL36_BIN:-${EI_CACHE:-/var/cache/etcd-init}/etcd-3.6.16/etcdctl}
[[ -x $etcdctl36 ]] || bail_out "no etcdctl 3.6 at $etcdctl36 (test/setup.sh builds it)"

# member_list POD: "ID, STATUS, NAME, PEER, CLIENT, IS_LEARNER" lines, sorted by name.
member_list() { etcdctl_in "$1" member list -w simple 2>&1 | sort -t, -k3; }

# voters_are POD N: POD's member list is exactly N started voters named etcd-0..N-1.
voters_are()
{
	local list want=""
	list=$(member_list "$1") || return 1
	for ((i = 0; i < $2; i++)); do
		want+="etcd-$i started false"$'\n'
	done
	[[ $(awk -F', ' '{print $3, $2, $6}' <<<"$list")$'\n' == "$want" ]]
}

# server_version POD: the version of POD's etcd (etcdctl endpoint status).
server_version() { etcdctl_in "$1" endpoint status -w simple 2>&1 | awk -F', ' '{print $3}'; }

# pod_field JSONPATH: "name=value" per pod, sorted.
pod_field()
{
	k get pods -l "$EI_SELECTOR" -o jsonpath="{range .items[*]}{.metadata.name}={$1}{\"\\n\"}{end}" | sort
}

# endpoints: the pods' client URLs, by IP, comma-separated (empty when none has an IP).
endpoints()
{
	k get pods -l "$EI_SELECTOR" -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' 2>/dev/null |
		awk 'NF {printf "%shttp://%s:2379", sep, $1; sep = ","}'
}

# writer: k-1, k-2, ... until $tmp/stop exists; "k-N v-N TIME" in $tmp/acked for each
# write etcd acknowledged, "k-N TIME" in $tmp/failed for the others (which may or may
# not have been applied: not checked).
writer()
{
	local n=0 eps="" refreshed=-100
	while [[ ! -e $tmp/stop ]]; do
		if [[ -z $eps ]] || ((SECONDS - refreshed >= 3)); then
			eps=$(endpoints)
			refreshed=$SECONDS
		fi
		n=$((n + 1))
		if [[ -n $eps ]] && env -u ETCDCTL_ENDPOINTS "$etcdctl36" --endpoints "$eps" \
			--dial-timeout=2s --command-timeout=5s put "k-$n" "v-$n" >/dev/null 2>&1; then
			echo "k-$n v-$n $(now_s)" >>"$tmp/acked"
		else
			echo "k-$n $(now_s)" >>"$tmp/failed"
			eps="" # look the pods up again
			sleep 0.5
		fi
		sleep 0.1
	done
}

# acked_count: how many writes were acknowledged so far.
acked_count() { wc -l <"$tmp/acked" 2>/dev/null || echo 0; }
acked_beyond() { (($(acked_count) > $1)); }

# ---------------------------------------------------------------- cold start on 3.5

ok "the overlay applied with the $from image" overlay_apply "$from" || bail_out "cannot apply the overlay"
ok "3 pods Ready within 180 s" wait_ready 3 180 || bail_out "the set did not come up"
ok "3 voters etcd-0..2" voters_are etcd-0 3 || bail_out "no 3-member cluster"
for i in 0 1 2; do
	like "$(server_version "etcd-$i")" "^${from//./\\.}\." "etcd-$i runs etcd $from before the update"
done
ok "a key written through etcd-0" etcdctl_in etcd-0 put before-update "written on $from" || bail_out "cannot write"
ids_before=$(member_list etcd-0 | awk -F', ' '{print $3 "=" $1}')
uids_before=$(pod_field .metadata.uid)

touch "$tmp/acked" "$tmp/failed"
writer &
writer_pid=$!
ok "the writer's first writes acknowledged within 60 s" wait_for 60 acked_beyond 2 || bail_out "the writer cannot write"

# ---------------------------------------------------------------- the rolling update

ok "the budget (PodDisruptionBudget etcd) is in place" k get poddisruptionbudget etcd
# The old pods' logs, to their end: their preStop hook (leave) logs its decision there.
for i in 0 1 2; do
	k logs -f "etcd-$i" -c etcd >"$tmp/old-etcd-$i.log" 2>&1 &
	loggers+=($!)
done
sleep 1 # the streams are open before the first hook runs
t0=$(now_s)
acked_at_start=$(acked_count)
ok "set image etcd=localhost/etcd-init:$to" k set image statefulset/etcd "etcd=localhost/etcd-init:$to"
ok "the rollout finished within 360 s" k rollout status statefulset/etcd --timeout=360s
ok "3 pods Ready within 120 s" wait_ready 3 120
t_done=$(now_s)
diag "rolling update: $((t_done - t0)) s"
acked_during=$(($(acked_count) - acked_at_start))
for p in "${loggers[@]}"; do # each stream ended with its container; bounded all the same
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
loggers=()
# A few writes on the updated cluster, then stop the writer (bounded).
wait_for 30 acked_beyond $(($(acked_count) + 2))
touch "$tmp/stop"
for ((w = 0; w < 40; w++)); do
	kill -0 "$writer_pid" 2>/dev/null || break
	sleep 0.5
done
kill "$writer_pid" 2>/dev/null
wait "$writer_pid" 2>/dev/null
writer_pid=
acked=$(acked_count)
failed=$(wc -l <"$tmp/failed")
diag "writes: $acked acknowledged ($acked_during while the rollout ran), $failed failed"
[[ ! -s $tmp/failed ]] || diag "failed writes at: $(awk '{print $1 "@" $2 - '"$t0"' "s"}' "$tmp/failed" | paste -sd ' ' -)"
ok "writes were acknowledged while the rollout ran ($acked_during)" test "$acked_during" -gt 0

# ---------------------------------------------------------------- after

is "$(pod_field '.spec.containers[0].image' | tr '\n' ' ')" \
	"etcd-0=localhost/etcd-init:$to etcd-1=localhost/etcd-init:$to etcd-2=localhost/etcd-init:$to " \
	"every pod runs the $to image"
uids_after=$(pod_field .metadata.uid)
is "$(comm -12 <(echo "$uids_before") <(echo "$uids_after"))" "" "every pod was replaced (no pod UID from before)"
ok "3 voters etcd-0..2" voters_are etcd-0 3
is "$(member_list etcd-0 | awk -F', ' '{print $3 "=" $1}')" "$ids_before" "the member IDs are those from before the update"
diag "$ids_before"
for i in 0 1 2; do
	leave=$(grep -E 'msg="?leave decision' "$tmp/old-etcd-$i.log" | tail -n 1)
	like "$leave" 'action=stay .*replicas=3 ' "the old etcd-$i's preStop hook decided stay (replicas=3 from the API)"
	[[ -n $leave ]] || diag "$(tail -n 5 "$tmp/old-etcd-$i.log")"
	is "$(last_decision "etcd-$i")" restart "etcd-$i decided restart on $to"
	like "$(server_version "etcd-$i")" "^${to//./\\.}\." "etcd-$i runs etcd $to"
done

# Every acknowledged write, read back (one linearizable range read).
etcdctl_in etcd-0 get --prefix k- >"$tmp/read" 2>&1 ||
	diag "reading k-*: $(tail -n 3 "$tmp/read")"
# A key line, then its value line.
paste -d ' ' - - <"$tmp/read" | sort >"$tmp/readable"
lost=$(awk '{print $1, $2}' "$tmp/acked" | sort | comm -23 - "$tmp/readable")
is "$lost" "" "every acknowledged write ($acked) reads back with its value (none lost)"
is "$(etcdctl_in etcd-1 get before-update --print-value-only 2>&1)" "written on $from" "the key written before the update is served by etcd-1"

is "$(restart_counts | sort | tr '\n' ' ')" "etcd-0=0 etcd-1=0 etcd-2=0 " "no container restarted"

done_testing
