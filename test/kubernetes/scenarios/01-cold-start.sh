#!/usr/bin/env bash
# Cold start on a real Kubernetes: the etcd-init StatefulSet (test/kubernetes/overlay,
# image localhost/etcd-init:${EI_K8S_TAG:-3.6}) applied in a fresh namespace, three
# empty volumes from the provisioner. All three pods Ready within 180 s; one cluster
# (every member's `etcdctl member list` shows the same three members, all started, none
# a learner); each pod's last decision is bootstrap or start-existing, at least one
# bootstraps; no container restarted (no probe killed a pod that was waiting for its
# peers). Reports the time from apply to all Ready: with the default CoreDNS profile
# about 5 s of it is the pods' own names answered NXDOMAIN (cached for the kubernetes
# plugin's TTL, 5 s) before the endpoints exist.
# shellcheck source-path=SCRIPTDIR/.. disable=SC2119 # restart_counts: its selector defaults
set -u -o pipefail
source "$(dirname "$0")/../lib.sh"

tag=${EI_K8S_TAG:-3.6}
ns_create "cold-start-${tag//./-}"
diag "namespace $EI_NS, image localhost/etcd-init:$tag"

t0=$(now_s)
ok "the overlay applied" overlay_apply "$tag" || bail_out "cannot apply the overlay"
if ok "3 pods Ready within 180 s" wait_ready 3 180; then
	diag "cold start: $(($(now_s) - t0)) s"
else
	bail_out "the set did not come up"
fi

# One cluster: the same member list from every member.
declare -A lists
for i in 0 1 2; do
	lists[$i]=$(etcdctl_in "etcd-$i" member list -w simple 2>&1 | sort)
done
is "$(wc -l <<<"${lists[0]}")" 3 "etcd-0 lists 3 members"
is "${lists[1]}" "${lists[0]}" "etcd-1 lists the same members as etcd-0"
is "${lists[2]}" "${lists[0]}" "etcd-2 lists the same members as etcd-0"
is "$(grep -c ', started, etcd-[012], ' <<<"${lists[0]}")" 3 "all three started, named etcd-0..2"
is "$(awk -F', ' '$6 != "false"' <<<"${lists[0]}")" "" "no learner"
diag "${lists[0]}"

# Each pod's decision.
bootstraps=0
for i in 0 1 2; do
	action=$(last_decision "etcd-$i")
	like "$action" '^(bootstrap|start-existing)$' "etcd-$i decided bootstrap or start-existing ($action)"
	[[ $action != bootstrap ]] || bootstraps=$((bootstraps + 1))
done
ok "at least one pod bootstrapped ($bootstraps)" test "$bootstraps" -ge 1

is "$(restart_counts | sort | tr '\n' ' ')" "etcd-0=0 etcd-1=0 etcd-2=0 " "no container restarted"

done_testing
