# shellcheck shell=bash
# Helpers for the scenarios in test/kubernetes/scenarios/: TAP output, kubectl on the
# test cluster, bounded waits, etcdctl in a pod. Sourced; needs KUBECONFIG (from
# `eval "$(test/kubernetes/setup.sh)"`; run.sh does it).
#
#   source "$(dirname "$0")/../lib.sh"
#   ns_create cold-start          # namespace ei-cold-start-XXXX, deleted on exit
#   overlay_apply                 # the etcd-init StatefulSet (overlay/), image 3.6
#   ok "3 pods Ready" wait_ready 3 180
#   done_testing
#
# The TAP helpers (ok, is, like, diag, bail_out, done_testing...) are test/tap.sh's,
# shared with test/integration/lib.sh. Do not `set -e` in a scenario.

_k8s_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EI_K8S_BIN=${EI_K8S_BIN:-${EI_CACHE:-/var/cache/etcd-init}/kubernetes/bin}
EI_NS=${EI_NS:-}
# The selector of the etcd-init pods (docker/kubernetes/base).
EI_SELECTOR=app.kubernetes.io/name=etcd

# ---------------------------------------------------------------- TAP

# shellcheck source=../tap.sh
source "$_k8s_lib_dir/../tap.sh"

# The namespace's pods, events and each pod's last log lines, as diagnostics (called
# on every failed check; once per scenario at most, it is long).
_diag_done=false
_diag_namespace()
{
	local p
	[[ -n $EI_NS ]] && ! $_diag_done || return 0
	_diag_done=true
	diag "--- pods in $EI_NS"
	diag "$(k get pods -o wide 2>&1)"
	diag "--- events"
	diag "$(k get events --sort-by=.lastTimestamp 2>&1 | tail -n 25)"
	for p in $(k get pods -o name 2>/dev/null); do
		diag "--- last 25 log lines of ${p#pod/}"
		diag "$(k logs "$p" --tail 25 2>&1)"
	done
}

TAP_FAIL_HOOK=_diag_namespace
TAP_BAIL_HOOK=_diag_namespace

# ---------------------------------------------------------------- the cluster

[[ -n ${KUBECONFIG:-} && -f ${KUBECONFIG:-} ]] ||
	bail_out "KUBECONFIG is not set: eval \"\$(test/kubernetes/setup.sh)\" first (run.sh does)"
[[ -x $EI_K8S_BIN/kubectl ]] || bail_out "no $EI_K8S_BIN/kubectl: run test/kubernetes/build.sh"

# k ARGS...: kubectl on the test cluster, in the scenario's namespace when there is one.
k()
{
	if [[ -n $EI_NS ]]; then
		"$EI_K8S_BIN/kubectl" --namespace "$EI_NS" "$@"
	else
		"$EI_K8S_BIN/kubectl" "$@"
	fi
}

now_s() { date +%s; }

# ns_create NAME: the scenario's own namespace ei-NAME-XXXX (XXXX random: a name used
# before may still be in CoreDNS's cache, pointing at the pods of a deleted set), set as
# EI_NS; deleted when the script exits.
ns_create()
{
	EI_NS=ei-$1-$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
	"$EI_K8S_BIN/kubectl" create namespace "$EI_NS" >/dev/null || bail_out "cannot create namespace $EI_NS"
	trap ns_delete EXIT
}

# ns_delete: deletes EI_NS and waits (up to 120 s) until it is gone, its volumes with it
# (reclaimPolicy Delete). EI_KEEP=1 keeps it.
ns_delete()
{
	[[ -n $EI_NS ]] || return 0
	if [[ ${EI_KEEP:-} == 1 ]]; then
		diag "EI_KEEP=1: namespace $EI_NS kept"
		return 0
	fi
	# Workloads and claims first, waiting for them: the namespace controller, left to
	# do it alone, rechecks only after the pods' grace period (75 s here).
	k delete statefulsets,deployments --all --cascade=foreground --wait=true --timeout=120s >/dev/null 2>&1
	k delete pods,persistentvolumeclaims --all --wait=true --timeout=120s >/dev/null 2>&1
	"$EI_K8S_BIN/kubectl" delete namespace "$EI_NS" --wait=true --timeout=120s >/dev/null 2>&1 ||
		diag "namespace $EI_NS not gone within 120 s"
	# The claims' volumes are deleted by the controller manager once the claims are.
	wait_for 60 _no_released_pv || diag "volumes of $EI_NS still there after 60 s"
}

_no_released_pv() { ! "$EI_K8S_BIN/kubectl" get pv -o jsonpath='{.items[*].spec.claimRef.namespace}' | grep -qw -- "$EI_NS"; }

# wait_for SECONDS CMD ARGS...: CMD every second until it succeeds, at most SECONDS.
wait_for()
{
	local limit=$1 start
	shift
	start=$(now_s)
	until "$@" >/dev/null 2>&1; do
		(($(now_s) - start < limit)) || return 1
		sleep 1
	done
}

# overlay_render [TAG]: the test overlay (overlay/) as YAML, with the image
# localhost/etcd-init:TAG (default $EI_K8S_TAG, else 3.6; images.sh makes 3.6 and 3.5;
# run.sh runs every scenario once per tag, with EI_K8S_TAG set).
overlay_render()
{
	local tag=${1:-${EI_K8S_TAG:-3.6}}
	"$EI_K8S_BIN/kubectl" kustomize "$_k8s_lib_dir/overlay" |
		sed "s|image: localhost/etcd-init:3.6\$|image: localhost/etcd-init:$tag|"
}

# overlay_apply [TAG]: applies it in EI_NS.
overlay_apply() { overlay_render "$@" | k apply -f -; }

# ready_count [SELECTOR]: how many pods (default: the etcd-init pods) are Ready.
ready_count()
{
	k get pods -l "${1:-$EI_SELECTOR}" \
		-o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null |
		grep -c '^True$'
}

# wait_ready N SECONDS [SELECTOR]: until exactly N pods are Ready; on timeout prints
# the pods.
wait_ready()
{
	local n=$1 limit=$2 sel=${3:-$EI_SELECTOR} start
	start=$(now_s)
	until [[ $(ready_count "$sel") == "$n" ]]; do
		if pods_stuck "$sel"; then
			return 1
		fi
		if (($(now_s) - start >= limit)); then
			echo "$(ready_count "$sel") of $n pods Ready after $limit s"
			k get pods -l "$sel" -o wide
			return 1
		fi
		sleep 1
	done
}

# pods_stuck [SELECTOR]: succeeds (and says which) when a pod waits for something that
# will not come by itself: an image that is not there, a bad container config.
pods_stuck()
{
	local stuck
	stuck=$(k get pods -l "${1:-$EI_SELECTOR}" \
		-o jsonpath='{range .items[*]}{.metadata.name} {.status.containerStatuses[*].state.waiting.reason}{"\n"}{end}' 2>/dev/null |
		grep -E ' (ErrImageNeverPull|ErrImagePull|ImagePullBackOff|InvalidImageName|CreateContainerConfigError|CreateContainerError)')
	[[ -n $stuck ]] || return 1
	echo "stuck: $stuck (images.sh imports the etcd-init images)"
	k get pods -l "${1:-$EI_SELECTOR}" -o wide
}

# wait_gone POD SECONDS: until the pod no longer exists.
wait_gone()
{
	local pod=$1 limit=$2 start
	start=$(now_s)
	while k get pod "$pod" >/dev/null 2>&1; do
		if (($(now_s) - start >= limit)); then
			echo "pod $pod still there after $limit s"
			return 1
		fi
		sleep 1
	done
}

# restart_counts [SELECTOR]: "pod=restarts" per pod, one a line.
restart_counts()
{
	k get pods -l "${1:-$EI_SELECTOR}" \
		-o jsonpath='{range .items[*]}{.metadata.name}={.status.containerStatuses[0].restartCount}{"\n"}{end}'
}

# pod_uid POD: the pod's UID ("" when it does not exist).
pod_uid() { k get pod "$1" -o jsonpath='{.metadata.uid}' 2>/dev/null; }

# new_pod_ready POD OLD-UID: POD exists with another UID than OLD-UID (the controller
# made it again) and is Ready.
new_pod_ready()
{
	local u r
	read -r u r < <(k get pod "$1" -o jsonpath='{.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)
	[[ -n ${u:-} && $u != "$2" && ${r:-} == True ]]
}

# decisions POD: the action of each decision line of POD's etcd-init (its current
# container's log), one a line, oldest first.
decisions()
{
	k logs "$1" -c etcd 2>&1 | grep -E 'msg="?decision' | sed -E 's/.*action[=":]+([a-z-]+).*/\1/'
}

# last_decision POD: the action of POD's last decision line.
last_decision() { decisions "$1" | tail -n 1; }

# cluster_id POD: the cluster ID (decimal) in the header of POD's member list.
cluster_id() { etcdctl_in "$1" member list -w fields | sed -n 's/^"ClusterID" : //p'; }

# voter_count POD: how many started, non-learner members POD's etcd lists.
voter_count()
{
	etcdctl_in "$1" member list -w simple 2>/dev/null | awk -F', ' '$2 == "started" && $6 == "false"' | wc -l
}

# etcdctl_in POD ARGS...: etcdctl inside the pod (/usr/local/bin/etcdctl, run directly:
# the 3.6 image has no shell), by default against 127.0.0.1:2379, the pod's own etcd.
# The manifest sets no ETCDCTL_ENDPOINTS, so --endpoints works too (etcdctl 3.6 refuses a
# flag that its environment also sets). etcdctl_at asks from the host instead.
etcdctl_in()
{
	local pod=$1
	shift
	k exec "$pod" -c etcd -- /usr/local/bin/etcdctl --command-timeout=10s "$@"
}

# etcdctl_at POD ARGS...: the host's etcdctl 3.6 (test/setup.sh) against the pod's IP
# (the host routes to the pod network), for when the pod's own etcdctl will not do.
etcdctl_at()
{
	local pod=$1 ip
	shift
	ip=$(k get pod "$pod" -o jsonpath='{.status.podIP}') || return 1
	[[ -n $ip ]] || { echo "pod $pod has no IP" >&2; return 1; }
	env -u ETCDCTL_ENDPOINTS "${EI_ETCDCTL36_BIN:-${EI_CACHE:-/var/cache/etcd-init}/etcd-3.6.16/etcdctl}" \
		--endpoints "http://$ip:2379" --command-timeout=10s "$@"
}
