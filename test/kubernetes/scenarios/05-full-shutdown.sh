#!/usr/bin/env bash
# A full shutdown on a real Kubernetes: the etcd-init StatefulSet (test/kubernetes/overlay,
# image localhost/etcd-init:${EI_K8S_TAG:-3.6}) started cold, a key written, then
# `kubectl scale statefulset etcd --replicas=0`: every pod's preStop hook (`etcd-init
# leave`) decides stay (a scale to 0 removes nobody: the cluster comes back whole), the
# pods go, their claims stay. Scaled back to 3, every pod's etcd-init decides restart on
# its own WAL. After: the same cluster ID and the same three member IDs from every pod, no
# learner, the key read through every pod, no container restarted. The hooks' log lines
# are read from the old pods' logs, followed until their containers end (the logs go with
# the pods). Reports the time from the scale to 0 to no pod left, and from the scale to 3
# to all three Ready.
# shellcheck source-path=SCRIPTDIR/.. disable=SC2119,SC2317 # restart_counts: its selector defaults; helpers called through ok, wait_for
set -u -o pipefail
source "$(dirname "$0")/../lib.sh"

tag=${EI_K8S_TAG:-3.6}
ns_create "full-shutdown-${tag//./-}"
diag "namespace $EI_NS, image localhost/etcd-init:$tag"

# members POD: "ID NAME IS-LEARNER" per member, sorted, as POD's etcd lists them.
members() { etcdctl_in "$1" member list -w simple | awk -F', ' '{print $1, $3, $6}' | sort; }

# no_pod: no pod of the set is left.
no_pod() { [[ -z $(k get pods -l "$EI_SELECTOR" -o name 2>/dev/null) ]]; }

# claims: "NAME=UID" of the set's claims, sorted.
claims() { k get pvc -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid}{"\n"}{end}' | sort; }

ok "the overlay applied" overlay_apply "$tag" || bail_out "cannot apply the overlay"
ok "3 pods Ready within 180 s" wait_ready 3 180 || bail_out "the set did not come up"

key=/ei-test/full-shutdown value=written-before-$RANDOM
ok "a key written through etcd-0" etcdctl_in etcd-0 put "$key" "$value"
before=$(members etcd-0 2>&1)
is "$(wc -l <<<"$before")" 3 "etcd-0 lists 3 members before" || bail_out "no cluster to start from"
cid_before=$(cluster_id etcd-0 2>&1)
like "$cid_before" '^[0-9]+$' "the cluster ID read before ($cid_before)"
claims_before=$(claims)
diag "$before"

# Each pod's log, followed until its container ends: the preStop hook logs its leave
# decision there.
logdir=$(mktemp -d /tmp/ei-k8s-full-shutdown.XXXXXX)
followers=()
for i in 0 1 2; do
	timeout 150 "$EI_K8S_BIN/kubectl" --namespace "$EI_NS" logs -f "etcd-$i" -c etcd >"$logdir/etcd-$i" 2>&1 &
	followers+=($!)
done
# Connected when the logs so far (etcd-init's first lines) have arrived.
ok "following the 3 pods' logs" wait_for 30 test -s "$logdir/etcd-0" -a -s "$logdir/etcd-1" -a -s "$logdir/etcd-2"

t0=$(now_s)
ok "kubectl scale statefulset etcd --replicas=0" k scale statefulset etcd --replicas=0
if ok "no pod left within 150 s" wait_for 150 no_pod; then
	diag "full shutdown: $(($(now_s) - t0)) s"
else
	bail_out "the pods did not go"
fi
wait "${followers[@]}"
for i in 0 1 2; do
	like "$(grep 'leave decision' "$logdir/etcd-$i")" 'action=stay .*replicas=0 ' "etcd-$i's preStop hook saw 0 replicas and decided stay"
done
rm -rf "$logdir"
is "$(k get events --field-selector reason=FailedPreStopHook -o name 2>&1)" "" "no preStop hook failed"
is "$(claims)" "$claims_before" "the 3 claims are kept"

t1=$(now_s)
ok "kubectl scale statefulset etcd --replicas=3" k scale statefulset etcd --replicas=3
if ok "3 pods Ready within 180 s" wait_ready 3 180; then
	diag "full restart: $(($(now_s) - t1)) s"
else
	bail_out "the set did not come back"
fi

for i in 0 1 2; do
	acts=$(decisions "etcd-$i" | grep -vx wait | tr '\n' ' ')
	is "$acts" "restart " "etcd-$i decided restart (and nothing else but wait)"
done
for i in 0 1 2; do
	after=$(members "etcd-$i" 2>&1)
	is "$after" "$before" "etcd-$i lists the same 3 member IDs as before"
done
is "$(awk '$3 != "false"' <<<"$after")" "" "no learner"
for i in 0 1 2; do
	is "$(cluster_id "etcd-$i" 2>&1)" "$cid_before" "etcd-$i: the same cluster ID"
done
for i in 0 1 2; do
	is "$(etcdctl_in "etcd-$i" get "$key" --print-value-only 2>&1)" "$value" "the key read through etcd-$i"
done
is "$(restart_counts | sort | tr '\n' ' ')" "etcd-0=0 etcd-1=0 etcd-2=0 " "no container restarted"

done_testing
