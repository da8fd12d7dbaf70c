#!/usr/bin/env bash
# A pod deleted on a real Kubernetes: the etcd-init StatefulSet (test/kubernetes/overlay,
# image localhost/etcd-init:${EI_K8S_TAG:-3.6}) started cold, a key written, then
# `kubectl delete pod etcd-1`. Its preStop hook (`etcd-init leave`) decides stay (ordinal 1
# is below the 3 replicas: nothing removed); the controller recreates etcd-1 on the same
# volume, whose etcd-init decides restart (its WAL's member is in the list). After: the
# same three member IDs (etcd-1 kept its own), one cluster ID (the one from before) from
# every pod, no learner, the key read through etcd-1, no container restarted. Reports the
# time from the delete to all three Ready again.
# shellcheck source-path=SCRIPTDIR/.. disable=SC2119,SC2317 # restart_counts: its selector defaults; helpers called through ok, wait_for
set -u -o pipefail
source "$(dirname "$0")/../lib.sh"

tag=${EI_K8S_TAG:-3.6}
ns_create "delete-pod-${tag//./-}"
diag "namespace $EI_NS, image localhost/etcd-init:$tag"

# members POD: "ID NAME IS-LEARNER" per member, sorted, as POD's etcd lists them.
members() { etcdctl_in "$1" member list -w simple | awk -F', ' '{print $1, $3, $6}' | sort; }

ok "the overlay applied" overlay_apply "$tag" || bail_out "cannot apply the overlay"
ok "3 pods Ready within 180 s" wait_ready 3 180 || bail_out "the set did not come up"

key=/ei-test/delete-pod value=written-before-$RANDOM
ok "a key written through etcd-0" etcdctl_in etcd-0 put "$key" "$value"
before=$(members etcd-0 2>&1)
is "$(wc -l <<<"$before")" 3 "etcd-0 lists 3 members before" || bail_out "no cluster to start from"
cid_before=$(cluster_id etcd-0 2>&1)
like "$cid_before" '^[0-9]+$' "the cluster ID read before ($cid_before)"
diag "$before"

# The old pod's log, followed until its container ends: the preStop hook logs its leave
# decision there, and the log is gone with the pod.
old_uid=$(pod_uid etcd-1)
old_log=$(mktemp /tmp/ei-k8s-delete-pod.XXXXXX)
timeout 150 "$EI_K8S_BIN/kubectl" --namespace "$EI_NS" logs -f etcd-1 -c etcd >"$old_log" 2>&1 &
follower=$!
# Connected when the log so far (etcd-init's first lines) has arrived.
ok "following etcd-1's log" wait_for 30 test -s "$old_log"

t0=$(now_s)
ok "kubectl delete pod etcd-1 (gone within 120 s)" k delete pod etcd-1 --timeout=120s
if ok "a new etcd-1 Ready within 180 s" wait_for 180 new_pod_ready etcd-1 "$old_uid" &&
	ok "3 pods Ready" wait_ready 3 60; then
	diag "pod restarted: $(($(now_s) - t0)) s"
else
	bail_out "etcd-1 did not come back"
fi
wait "$follower"
like "$(grep 'leave decision' "$old_log")" 'action=stay' "the old etcd-1's preStop hook decided stay"
rm -f "$old_log"

# The new container's decisions: waits, then restart, nothing else.
acts=$(decisions etcd-1 | grep -vx wait | tr '\n' ' ')
dns_wait=$(k logs etcd-1 -c etcd 2>&1 | grep -m1 -E 'msg="?waiting for DNS' | cut -c1-300)
[[ -z $dns_wait ]] || diag "$dns_wait"
is "$acts" "restart " "the new etcd-1 decided restart (and nothing else but wait)"

for i in 0 1 2; do
	after=$(members "etcd-$i" 2>&1)
	is "$after" "$before" "etcd-$i lists the same 3 member IDs as before"
done
is "$(awk '$3 != "false"' <<<"$after")" "" "no learner"
for i in 0 1 2; do
	is "$(cluster_id "etcd-$i" 2>&1)" "$cid_before" "etcd-$i: the same cluster ID"
done
is "$(etcdctl_in etcd-1 get "$key" --print-value-only 2>&1)" "$value" "the key read through etcd-1"
is "$(restart_counts | sort | tr '\n' ' ')" "etcd-0=0 etcd-1=0 etcd-2=0 " "no container restarted"

done_testing
