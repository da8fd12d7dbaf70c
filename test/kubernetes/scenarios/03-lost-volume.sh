#!/usr/bin/env bash
# A lost volume on a real Kubernetes: the etcd-init StatefulSet (test/kubernetes/overlay,
# image localhost/etcd-init:${EI_K8S_TAG:-3.6}) started cold, a key written, then etcd-1's
# claim data-etcd-1 and the pod deleted (the claim first with --wait=false: it is
# protected while the pod uses it, and goes, its volume with it, once the pod has). The
# controller recreates etcd-1 with a new, empty claim; its etcd-init finds its peer URL in
# the member list with no WAL of its own and decides replace: the old member removed, a
# new one added as a learner and promoted. After: etcd-1 has a new member ID, the old one
# is in no list, three members, all voters, the same cluster ID from every pod, the key
# read through etcd-1, no container restarted. Reports the time from the deletes to all
# three Ready again.
# shellcheck source-path=SCRIPTDIR/.. disable=SC2119,SC2317 # restart_counts: its selector defaults; helpers called through ok, wait_for
set -u -o pipefail
source "$(dirname "$0")/../lib.sh"

tag=${EI_K8S_TAG:-3.6}
ns_create "lost-volume-${tag//./-}"
diag "namespace $EI_NS, image localhost/etcd-init:$tag"

# members POD: "ID NAME IS-LEARNER" per member, sorted, as POD's etcd lists them.
members() { etcdctl_in "$1" member list -w simple | awk -F', ' '{print $1, $3, $6}' | sort; }

# uid KIND NAME
uid() { k get "$1" "$2" -o jsonpath='{.metadata.uid}' 2>/dev/null; }

# no_learner POD: POD's member list has 3 members, none a learner.
no_learner()
{
	local list
	list=$(members "$1") || return 1
	[[ $(wc -l <<<"$list") == 3 && -z $(awk '$3 != "false"' <<<"$list") ]]
}

ok "the overlay applied" overlay_apply "$tag" || bail_out "cannot apply the overlay"
ok "3 pods Ready within 180 s" wait_ready 3 180 || bail_out "the set did not come up"

key=/ei-test/lost-volume value=written-before-$RANDOM
ok "a key written through etcd-0" etcdctl_in etcd-0 put "$key" "$value"
before=$(members etcd-0 2>&1)
is "$(wc -l <<<"$before")" 3 "etcd-0 lists 3 members before" || bail_out "no cluster to start from"
cid_before=$(cluster_id etcd-0 2>&1)
like "$cid_before" '^[0-9]+$' "the cluster ID read before ($cid_before)"
old_id=$(awk '$2 == "etcd-1" {print $1}' <<<"$before")
like "$old_id" '^[0-9a-f]+$' "etcd-1's member ID before ($old_id)"
diag "$before"

old_pod=$(uid pod etcd-1)
old_pvc=$(uid pvc data-etcd-1)
t0=$(now_s)
ok "kubectl delete pvc data-etcd-1 --wait=false" k delete pvc data-etcd-1 --wait=false
ok "kubectl delete pod etcd-1 (gone within 120 s)" k delete pod etcd-1 --timeout=120s
if ok "a new etcd-1 Ready within 180 s" wait_for 180 new_pod_ready etcd-1 "$old_pod" &&
	ok "3 pods Ready" wait_ready 3 60; then
	diag "volume replaced: $(($(now_s) - t0)) s"
else
	bail_out "etcd-1 did not come back"
fi
new_pvc=$(uid pvc data-etcd-1)
ok "etcd-1 has a new claim ($new_pvc)" test -n "$new_pvc" -a "$new_pvc" != "$old_pvc"

acts=$(decisions etcd-1 | grep -vx wait | tr '\n' ' ')
# replace removes the old member; the next round finds us absent and joins.
like "$acts" '^replace (join )+$' "the new etcd-1 decided replace, then join ($acts)"

# The learner is promoted by etcd-1's aftercare once it has caught up.
ok "3 members, all voters, within 60 s" wait_for 60 no_learner etcd-1
declare -A lists
for i in 0 1 2; do
	lists[$i]=$(members "etcd-$i" 2>&1)
done
new_id=$(awk '$2 == "etcd-1" {print $1}' <<<"${lists[1]}")
like "$new_id" '^[0-9a-f]+$' "etcd-1 is listed ($new_id)"
ok "etcd-1 has a new member ID" test "$new_id" != "$old_id"
for i in 0 1 2; do
	is "$(grep -c "^$old_id " <<<"${lists[$i]}")" 0 "etcd-$i: the old ID $old_id is gone"
done
is "${lists[0]}" "${lists[1]}" "etcd-0 lists the same members as etcd-1"
is "${lists[2]}" "${lists[1]}" "etcd-2 lists the same members as etcd-1"
is "$(grep -v "^$new_id " <<<"${lists[1]}")" "$(grep -v "^$old_id " <<<"$before")" "etcd-0 and etcd-2 kept their IDs"
is "$(awk '$3 != "false"' <<<"${lists[1]}")" "" "no learner"
diag "${lists[1]}"
for i in 0 1 2; do
	is "$(cluster_id "etcd-$i" 2>&1)" "$cid_before" "etcd-$i: the same cluster ID"
done
is "$(etcdctl_in etcd-1 get "$key" --print-value-only 2>&1)" "$value" "the key read through etcd-1"
is "$(restart_counts | sort | tr '\n' ' ')" "etcd-0=0 etcd-1=0 etcd-2=0 " "no container restarted"

done_testing
