#!/usr/bin/env bash
# Cold-start timing on a real Kubernetes: etcd's official StatefulSet manifest with its
# static flags (test/kubernetes/official: plain etcd, --initial-cluster listing
# etcd-0..2) and etcd-init's own manifest (test/kubernetes/overlay), one after the other,
# each in a fresh namespace on fresh volumes, twice (official, etcd-init, official,
# etcd-init), image localhost/etcd-init:${EI_K8S_TAG:-3.6}. Each is timed from
# `kubectl apply` to all 3 pods Ready and printed as `# official static flags: N s` and
# `# etcd-init: N s`. The figures are not asserted (2 shared cores); what is asserted is
# that each set gets its 3 pods Ready within 180 s and forms one 3-member cluster.
#
# What the figures are made of: the official manifest's readiness probe starts after
# initialDelaySeconds 10 and asks every 5 s, so it cannot be Ready before ~10 s
# whatever etcd does; etcd-init's manifest asks /readyz every 2 s from the start, and
# each etcd-init first waits for its own DNS name (answered NXDOMAIN before the
# endpoints exist and cached for the kubernetes plugin's TTL, ~5 s here) before it
# decides. The container restarts of each run are printed too (the official etcd exits
# when a peer's name does not resolve yet and the kubelet restarts it).
# shellcheck source-path=SCRIPTDIR/.. disable=SC2317 # helpers called through ok
# k8s-run: alone (it measures time: nothing else runs beside it)
set -u -o pipefail
source "$(dirname "$0")/../lib.sh"

tag=${EI_K8S_TAG:-3.6}
official=$(cd "$(dirname "$0")/../official" && pwd)

# apply_official: the official manifest (official/) with this run's image tag, in EI_NS.
apply_official()
{
	"$EI_K8S_BIN/kubectl" kustomize "$official" |
		sed "s|image: localhost/etcd-init:3.6\$|image: localhost/etcd-init:$tag|" | k apply -f -
}


declare -A figures=()

# cold_start KIND LABEL SELECTOR: one timed cold start in a fresh namespace, which is
# deleted afterwards.
cold_start()
{
	local kind=$1 label=$2 sel=$3 t0 secs restarts
	ns_create "timing-$kind-${tag//./-}"
	t0=$(now_s)
	if [[ $kind == official ]]; then
		ok "$label: applied in $EI_NS" apply_official || bail_out "cannot apply the official manifest"
	else
		ok "$label: applied in $EI_NS" overlay_apply "$tag" || bail_out "cannot apply the overlay"
	fi
	if ok "$label: 3 pods Ready within 180 s" wait_ready 3 180 "$sel"; then
		secs=$(($(now_s) - t0))
		diag "$label: $secs s"
		figures[$label]+="${figures[$label]:+, }$secs s"
	fi
	is "$(voter_count etcd-0)" 3 "$label: one cluster of 3 started voters"
	restarts=$(restart_counts "$sel" | sort | paste -sd' ')
	diag "$label: restarts $restarts"
	ns_delete
	EI_NS=
}

for run in 1 2; do
	diag "--- run $run"
	cold_start official "official static flags" app=etcd
	cold_start etcd-init etcd-init "$EI_SELECTOR"
done
for label in "official static flags" etcd-init; do
	diag "all runs, $label (apply to 3 Ready): ${figures[$label]:-none}"
done

done_testing
