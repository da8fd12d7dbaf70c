#!/usr/bin/env bash
# Scaling on a real Kubernetes: a cold start of 3 (test/kubernetes/overlay, image
# localhost/etcd-init:${EI_K8S_TAG:-3.6}), a key written; then
#   - `kubectl scale --replicas=5`: 5 pods Ready, 5 voters (the new members joined as
#     learners and were promoted: no learner left), the key served by etcd-3 and etcd-4,
#     whose decision is join;
#   - `kubectl scale --replicas=3`: the preStop hook `etcd-init leave` runs in etcd-3 and
#     etcd-4 with the pod's real service-account token, its RBAC and the API server's
#     certificate; the pods go; 3 voters etcd-0..2, the old members of etcd-3 and etcd-4
#     are gone from the member list, the key is still served. leave's lines reach the
#     container log (PID 1's stderr), but the pods are gone once scaled down: they are
#     captured with `kubectl logs -f` started before the scale-down (the stream ends with
#     the container), and must say `msg="leave decision" action=remove replicas=3`;
#   - `kubectl scale --replicas=5` again, on the same claims (the StatefulSet keeps
#     data-etcd-3/4): etcd-3 and etcd-4 come back as NEW members (new IDs, last decision
#     join), 5 voters, the key served. `ls /data` (an ephemeral container of the 3.5
#     image, which has ls, whatever the tag: `kubectl debug` with the data volume mounted
#     read-only) shows exactly `member` and one `member.removed-<time>`: the old data
#     moved aside, never deleted, either by leave right after the removal ("data moved
#     aside" in the captured log; the next start finds no WAL and joins) or, when etcd's
#     exit on its own removal ended the hook before the rename (seen here now and then:
#     FailedPreStopHook), by the next start ("old data moved aside", decision rejoin,
#     then join). The log of whichever did it must name that directory.
# etcd-0..2 never restart. Timings: `# scale to 5: N s` (scale command to 5 voters and 5
# Ready), `# scale to 3: N s` (to both pods gone), `# scale to 5 again: N s`.
# shellcheck source-path=SCRIPTDIR/.. disable=SC2119,SC2317 # restart_counts: its selector defaults; helpers called through ok, wait_for, trap
set -u -o pipefail
source "$(dirname "$0")/../lib.sh"

tag=${EI_K8S_TAG:-3.6}
ns_create "scale-${tag//./-}"
diag "namespace $EI_NS, image localhost/etcd-init:$tag"
tmp=$(mktemp -d /tmp/ei-k8s-scale.XXXXXX)
loggers=()
cleanup()
{
	local p
	for p in "${loggers[@]}"; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$tmp"
	ns_delete
}
trap cleanup EXIT

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

# member_id POD NAME: the ID of the member NAME in POD's member list.
member_id() { member_list "$1" | awk -F', ' -v n="$2" '$3 == n {print $1}'; }

# key_at POD: the value of the test key, read (linearizable) through POD's etcd.
key_at() { etcdctl_in "$1" get scale-key --print-value-only 2>&1; }

# data_dir_listing POD: `ls /data` in POD, run by an ephemeral container (kubectl debug)
# of the 3.5 image (the 3.6 image has no ls) with the pod's data volume mounted
# read-only; the container's log once it has ended (bounded).
data_dir_listing()
{
	local pod=$1 c=ls-data reason=""
	printf '{"volumeMounts":[{"name":"data","mountPath":"/data","readOnly":true}]}\n' >"$tmp/ls-data.json"
	k debug "$pod" --image=localhost/etcd-init:3.5 -c "$c" --profile=general --custom="$tmp/ls-data.json" \
		-- ls -1 /data >/dev/null || return 1
	for ((w = 0; w < 60; w++)); do
		reason=$(k get pod "$pod" -o jsonpath="{.status.ephemeralContainerStatuses[?(@.name==\"$c\")].state.terminated.reason}")
		[[ -z $reason ]] || break
		sleep 1
	done
	[[ -n $reason ]] || { echo "the ephemeral container $c of $pod has not ended after 60 s"; return 1; }
	k logs "$pod" -c "$c"
}

# scaled_to N: kubectl scale, and the time it was done.
scaled_to() { k scale statefulset etcd --replicas="$1" && t_scale=$(now_s); }

# ---------------------------------------------------------------- cold start of 3

ok "the overlay applied" overlay_apply "$tag" || bail_out "cannot apply the overlay"
ok "3 pods Ready within 180 s" wait_ready 3 180 || bail_out "the set did not come up"
ok "3 voters etcd-0..2" voters_are etcd-0 3 || bail_out "no 3-member cluster"
value="written before scaling $(now_s)"
ok "a key written through etcd-0" etcdctl_in etcd-0 put scale-key "$value" || bail_out "cannot write"
declare -A id0
for i in 0 1 2; do
	id0[$i]=$(member_id etcd-0 "etcd-$i")
done

# ---------------------------------------------------------------- 3 -> 5

ok "scaled to 5" scaled_to 5 || bail_out "cannot scale"
ok "5 pods Ready within 240 s" wait_ready 5 240
# Ready says etcd serves; the promotion of the learners may come a moment later.
if ok "5 voters etcd-0..4 (learners promoted) within 120 s" wait_for 120 voters_are etcd-0 5; then
	diag "scale to 5: $(($(now_s) - t_scale)) s"
else
	bail_out "no 5 voters"
fi
list5=$(member_list etcd-0)
diag "$list5"
is "$(awk -F', ' '$6 != "false"' <<<"$list5")" "" "no learner left"
declare -A id5
for i in 3 4; do
	id5[$i]=$(member_id etcd-0 "etcd-$i")
	is "$(key_at "etcd-$i")" "$value" "etcd-$i serves the key"
	is "$(last_decision "etcd-$i")" join "etcd-$i decided join"
	ok "etcd-$i lists the same 5 members" voters_are "etcd-$i" 5
done
for i in 0 1 2; do
	is "$(member_id etcd-0 "etcd-$i")" "${id0[$i]}" "etcd-$i kept its member ID"
done

# ---------------------------------------------------------------- 5 -> 3

# leave's lines go to the container log; the pods are gone afterwards, so stream them
# now (the stream ends when the container does).
for i in 3 4; do
	k logs -f "etcd-$i" -c etcd >"$tmp/etcd-$i.log" 2>&1 &
	loggers+=($!)
done
sleep 1 # the streams are open before the hooks run
ok "scaled to 3" scaled_to 3 || bail_out "cannot scale"
ok "etcd-4 gone within 150 s" wait_gone etcd-4 150
ok "etcd-3 gone within 150 s" wait_gone etcd-3 150
diag "scale to 3: $(($(now_s) - t_scale)) s"
# The streams end with the containers; bounded all the same.
for p in "${loggers[@]}"; do
	for ((w = 0; w < 20; w++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.5
	done
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
loggers=()
ok "3 voters etcd-0..2 within 60 s" wait_for 60 voters_are etcd-0 3
list3=$(member_list etcd-0)
diag "$list3"
for i in 3 4; do
	is "$(grep -cE "^${id5[$i]:-none}, |, etcd-$i, " <<<"$list3")" 0 "etcd-$i's member ${id5[$i]:-} is gone from the member list"
	leave=$(grep -E 'msg="?leave decision' "$tmp/etcd-$i.log" | tail -n 1)
	like "$leave" 'action=remove .*replicas=3 ' "etcd-$i's preStop hook decided remove (replicas=3 from the API)"
	[[ -n $leave ]] || diag "$(tail -n 20 "$tmp/etcd-$i.log")"
	grep -E 'msg="?(leave decision|member removed|data moved aside|leave: done)' "$tmp/etcd-$i.log" | sed 's/^/etcd-'"$i"' leave: /' | while IFS= read -r l; do diag "$l"; done
done
for i in 0 1 2; do
	is "$(key_at "etcd-$i")" "$value" "etcd-$i still serves the key"
done

# ---------------------------------------------------------------- 3 -> 5 on the old volumes

ok "the claims data-etcd-3 and data-etcd-4 remain" k get pvc data-etcd-3 data-etcd-4
ok "scaled to 5 again" scaled_to 5 || bail_out "cannot scale"
ok "5 pods Ready within 240 s" wait_ready 5 240
if ok "5 voters etcd-0..4 within 120 s" wait_for 120 voters_are etcd-0 5; then
	diag "scale to 5 again: $(($(now_s) - t_scale)) s"
fi
list5b=$(member_list etcd-0)
diag "$list5b"
is "$(awk -F', ' '$6 != "false"' <<<"$list5b")" "" "no learner left"
for i in 3 4; do
	id=$(member_id etcd-0 "etcd-$i")
	ok "etcd-$i is a new member ($id, was ${id5[$i]:-})" test -n "$id" -a "$id" != "${id5[$i]:-}"
	is "$(key_at "etcd-$i")" "$value" "etcd-$i serves the key"
	log=$(k logs "etcd-$i" -c etcd 2>&1)
	is "$(last_decision "etcd-$i")" join "etcd-$i's last decision is join"
	# The old data is on the volume under exactly one member.removed-<time>, and the
	# log of whoever moved it names it: leave right after the removal (the new pod then
	# found no WAL), or, when etcd's exit on its own removal killed the hook first (the
	# kubelet reports FailedPreStopHook), the new pod's start: decision rejoin, "old data
	# moved aside", then join in the next round.
	listing=$(data_dir_listing "etcd-$i" 2>&1)
	moved=$(grep -E '^member\.removed-[0-9]{8}T[0-9]{6}Z$' <<<"$listing")
	is "$(sort <<<"$listing" | sed -E 's/^member\.removed-[0-9]{8}T[0-9]{6}Z$/member.removed-<time>/' | tr '\n' ' ')" \
		"member member.removed-<time> " "etcd-$i's volume (ls /data): the new member and the old data kept aside (${moved:-none})"
	if grep -qE "msg=\"?data moved aside\"? to=/data/${moved:-none}\$" "$tmp/etcd-$i.log"; then
		diag "etcd-$i: leave moved the old data aside"
		ok "etcd-$i: the new pod found no WAL (no rejoin)" test -z "$(grep -E 'msg="?decision"? action=rejoin' <<<"$log")"
	else
		diag "etcd-$i: leave did not get to move the old data aside (the hook was ended with etcd)"
		like "$log" "msg=\"?old data moved aside\"? to=/data/${moved:-none}([[:space:]]|\$)" "etcd-$i: the new pod moved the old data aside as ${moved:-none}"
		like "$log" 'msg="?decision"? action=rejoin ' "etcd-$i: the new pod decided rejoin first"
	fi
done
for i in 0 1 2; do
	is "$(member_id etcd-0 "etcd-$i")" "${id0[$i]}" "etcd-$i kept its member ID"
done
is "$(restart_counts | sort | tr '\n' ' ')" "etcd-0=0 etcd-1=0 etcd-2=0 etcd-3=0 etcd-4=0 " "no container restarted"

done_testing
