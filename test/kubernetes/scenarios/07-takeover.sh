#!/usr/bin/env bash
# Takeover on a real Kubernetes: etcd's official StatefulSet manifest
# (test/kubernetes/official: verbatim, image localhost/etcd-init:${EI_K8S_TAG:-3.6} run
# as plain etcd with the manifest's static flags) applied in a fresh namespace; keys
# written, member and cluster IDs recorded; then taken over by etcd-init with a rolling
# update that swaps only the container's command and args (`kubectl patch`: command
# /usr/local/bin/etcd-init, args --wal-dir=/data/wal, the manifest's WAL layout; the
# manifest's own HOSTNAME, SERVICE_NAME, K8S_NAMESPACE and URI_SCHEME tell etcd-init the
# rest). After the rollout: the same member IDs and cluster ID from every pod, every key
# served by every pod, each pod's decision `restart`, no container restarted. Then
# `kubectl scale --replicas=5`: the new pods join (as learners) and are promoted, 5
# voters in the same cluster, serving the keys.
#
# Meanwhile, in a second namespace, the same taken-over manifest cold-started with
# --initial-cluster-size=4 (and --wait-timeout=0) but 3 replicas: the three pods wait for a fourth member that
# never comes. The official manifest has a liveness probe (/livez on 8080, 15 s initial
# delay, 3 failures x 10 s) and no startup probe: a pod that answered nothing there
# would be killed after ~45 s. After 70 s of waiting each pod must still have 0 restarts,
# not be Ready, answer /livez with 200 saying etcd-init is waiting (through the API
# server's pod proxy: the 3.6 image has no shell for `kubectl exec curl`) and /readyz
# with 503, log decision `wait` naming the missing etcd-3, and the kubelet must have
# recorded readiness failures but no liveness failure.
#
# Timings: `# official cold start`, `# takeover rolling update` (apply of the patch to the
# rollout done; each pod waits the manifest's 10 s readiness initialDelay), `# scale to five
# after takeover` (scale to 5 Ready voters; "five": run.sh collects labels of letters only).
# shellcheck source-path=SCRIPTDIR/.. disable=SC2317 # helpers called through ok, wait_for, trap
set -u -o pipefail
source "$(dirname "$0")/../lib.sh"

tag=${EI_K8S_TAG:-3.6}
official=$(cd "$(dirname "$0")/../official" && pwd)
SEL=app=etcd # the official manifest's labels

# The takeover: only the container's command and args change.
takeover_patch()
{
	local args='"--wal-dir=/data/wal"' extra
	for extra in "$@"; do args+=",\"$extra\""; done
	printf '[{"op":"replace","path":"/spec/template/spec/containers/0/command","value":["/usr/local/bin/etcd-init"]},'
	printf '{"op":"replace","path":"/spec/template/spec/containers/0/args","value":[%s]}]' "$args"
}

# official_render [KUSTOMIZATION_DIR]: the official manifest (or a kustomization over
# it) with the image tag of this run.
official_render()
{
	"$EI_K8S_BIN/kubectl" kustomize "${1:-$official}" |
		sed "s|image: localhost/etcd-init:3.6\$|image: localhost/etcd-init:$tag|"
}

# member_ids POD: the sorted member IDs (hex) through POD's etcd, one line.
member_ids() { etcdctl_in "$1" member list -w simple | cut -d, -f1 | sort | paste -sd' '; }
# distinct_decisions POD: every distinct action POD's log decided, sorted, one line.
distinct_decisions() { decisions "$1" | sort -u | paste -sd' '; }
five_voters() { [[ $(voter_count etcd-0) == 5 ]]; }
# apply_in NAMESPACE [KUSTOMIZATION_DIR]: official_render applied in NAMESPACE.
apply_in() { official_render "${2:-}" | "$EI_K8S_BIN/kubectl" -n "$1" apply -f -; }
# log_has POD ERE: POD's log has a line matching ERE (the log read whole first: grep -q
# in a pipe would end `kubectl logs` with SIGPIPE, a failure under pipefail).
log_has() { local log; log=$(k logs "$1" -c etcd) && grep -qE -- "$2" <<<"$log"; }
# last_wait_names POD ERE: POD's last wait decision matches ERE.
last_wait_names() { local log; log=$(k logs "$1" -c etcd) && grep 'action=wait' <<<"$log" | tail -n 1 | grep -qE -- "$2"; }
# all_in WORDS LIST: every word of WORDS is a word of LIST.
all_in() { local w; for w in $1; do grep -qw -- "$w" <<<"$2" || return 1; done; }

# ---------------------------------------------------------------- namespaces
ns_create "takeover-${tag//./-}"
ns_main=$EI_NS
ns_wait=ei-takeover-wait-$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
"$EI_K8S_BIN/kubectl" create namespace "$ns_wait" >/dev/null || bail_out "cannot create namespace $ns_wait"
wait_kust=$(mktemp -d /tmp/ei-k8s-takeover.XXXXXX)
cleanup()
{
	rm -rf "$wait_kust"
	(EI_NS=$ns_wait ns_delete) &
	EI_NS=$ns_main ns_delete
	wait
}
trap cleanup EXIT
diag "namespaces $ns_main (takeover) and $ns_wait (a waiting set), image localhost/etcd-init:$tag"

# ---------------------------------------------------------------- the waiting set, started first
# The taken-over manifest with a fourth initial member that will never exist.
cat >"$wait_kust/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$wait_kust" "$official")
patches:
  - target:
      kind: StatefulSet
      name: etcd
    patch: '$(takeover_patch --initial-cluster-size=4 --wait-timeout=0)'
EOF
ok "waiting set: the official manifest with etcd-init and --initial-cluster-size=4 applied in $ns_wait" \
	apply_in "$ns_wait" "$wait_kust"

# ---------------------------------------------------------------- the official manifest
t0=$(now_s)
ok "the official manifest applied" apply_in "$ns_main" ||
	bail_out "cannot apply the official manifest"
if ok "official: 3 pods Ready within 180 s" wait_ready 3 180 "$SEL"; then
	diag "official cold start: $(($(now_s) - t0)) s"
else
	bail_out "the official manifest's set did not come up"
fi
is "$(k get pods -l "$SEL" -o jsonpath='{range .items[*]}{.spec.containers[0].command}{" "}{end}')" \
	'["/usr/local/bin/etcd"] ["/usr/local/bin/etcd"] ["/usr/local/bin/etcd"] ' "official: the pods run etcd itself"
before_list=$(etcdctl_in etcd-0 member list -w simple | sort)
is "$(awk -F', ' '{print $3 "=" $4}' <<<"$before_list" | sort | paste -sd,)" \
	"etcd-0=http://etcd-0.etcd:2380,etcd-1=http://etcd-1.etcd:2380,etcd-2=http://etcd-2.etcd:2380" \
	"official: 3 members with the manifest's short peer URLs"
for i in 0 1 2; do
	ok "official: key takeover/k$i written through etcd-$i" etcdctl_in "etcd-$i" put "takeover/k$i" "v$i"
done
ids=$(member_ids etcd-0)
cid=$(cluster_id etcd-0)
like "$cid" '^[0-9a-f]+$' "official: cluster ID $cid"
diag "$before_list"

# ---------------------------------------------------------------- the takeover
t0=$(now_s)
ok "takeover: command and args swapped (kubectl patch)" k patch statefulset etcd --type=json -p "$(takeover_patch)"
if ok "takeover: the rolling update is done within 300 s" k rollout status statefulset etcd --timeout=300s; then
	diag "takeover rolling update: $(($(now_s) - t0)) s"
fi
ok "takeover: 3 pods Ready" wait_ready 3 60 "$SEL"
is "$(k get pods -l "$SEL" -o jsonpath='{range .items[*]}{.spec.containers[0].command}{" "}{end}')" \
	'["/usr/local/bin/etcd-init"] ["/usr/local/bin/etcd-init"] ["/usr/local/bin/etcd-init"] ' \
	"takeover: every pod runs etcd-init"
for i in 0 1 2; do
	is "$(distinct_decisions "etcd-$i")" restart "takeover: etcd-$i decided restart (and nothing else)"
done
for i in 0 1 2; do
	is "$(member_ids "etcd-$i")" "$ids" "takeover: etcd-$i lists the same member IDs"
	is "$(cluster_id "etcd-$i")" "$cid" "takeover: etcd-$i is in the same cluster"
	got=$(for j in 0 1 2; do etcdctl_in "etcd-$i" get "takeover/k$j" --print-value-only; done | paste -sd' ')
	is "$got" "v0 v1 v2" "takeover: etcd-$i serves the three keys"
done
is "$(restart_counts "$SEL" | sort | tr '\n' ' ')" "etcd-0=0 etcd-1=0 etcd-2=0 " "takeover: no container restarted"

# ---------------------------------------------------------------- scale to 5
t0=$(now_s)
ok "scale: kubectl scale --replicas=5" k scale statefulset etcd --replicas=5
ok "scale: 5 pods Ready within 180 s" wait_ready 5 180 "$SEL"
if ok "scale: 5 voters, no learner, within 120 s" wait_for 120 five_voters; then
	diag "scale to five after takeover: $(($(now_s) - t0)) s"
fi
for i in 3 4; do
	# The second new pod waits for the first one's promotion (one learner at a time), and
	# etcd 3.5 refuses an add for 5 s after a new voter ("not connected to all peers"):
	# the pod decides join again, or waits, until one add is taken.
	like "$(decisions "etcd-$i" | uniq | paste -sd' ')" '^((wait|join) )*join$' \
		"scale: etcd-$i decided join (after waiting for the learner slot at most)"
	ok "scale: etcd-$i joined as a learner and was promoted" log_has "etcd-$i" 'learner promoted to voter' 
	is "$(cluster_id "etcd-$i")" "$cid" "scale: etcd-$i is in the same cluster"
	got=$(for j in 0 1 2; do etcdctl_in "etcd-$i" get "takeover/k$j" --print-value-only; done | paste -sd' ')
	is "$got" "v0 v1 v2" "scale: etcd-$i serves the three keys"
done
after=$(member_ids etcd-0)
ok "scale: the three original member IDs are still members" all_in "$ids" "$after"
is "$(wc -w <<<"$after")" 5 "scale: 5 members"
is "$(restart_counts "$SEL" | sort | tr '\n' ' ')" "etcd-0=0 etcd-1=0 etcd-2=0 etcd-3=0 etcd-4=0 " "scale: no container restarted"
diag "$(etcdctl_in etcd-0 member list -w simple | sort)"

# ---------------------------------------------------------------- the waiting set, 70 s on
EI_NS=$ns_wait
# The latest start of the three containers (they must all have waited 70 s).
started=$(k get pods -l "$SEL" -o jsonpath='{range .items[*]}{.status.containerStatuses[0].state.running.startedAt}{"\n"}{end}')
is "$(grep -c . <<<"$started")" 3 "waiting set: 3 containers running"
latest=$(while read -r ts; do [[ -n $ts ]] && date -d "$ts" +%s; done <<<"$started" | sort -n | tail -n 1)
latest=${latest:-$(now_s)}
wait_s=$((latest + 70 - $(now_s)))
if ((wait_s > 0)); then
	diag "waiting set: $wait_s s more until its pods have waited 70 s"
	sleep "$wait_s"
fi
diag "waiting set: the pods have waited $(($(now_s) - latest)) s"
is "$(restart_counts "$SEL" | sort | tr '\n' ' ')" "etcd-0=0 etcd-1=0 etcd-2=0 " \
	"waiting set: no container restarted after 70 s of waiting (the liveness probe did not kill them)"
is "$(ready_count "$SEL")" 0 "waiting set: no pod Ready"
for i in 0 1 2; do
	body=$(k get --raw "/api/v1/namespaces/$ns_wait/pods/etcd-$i:8080/proxy/livez" 2>&1)
	like "$body" '^ok: etcd-init is waiting' "waiting set: etcd-$i answers /livez with 200, saying etcd-init waits"
	out=$(k get --raw "/api/v1/namespaces/$ns_wait/pods/etcd-$i:8080/proxy/readyz" 2>&1) && rc=0 || rc=$?
	like "$rc $out" '^[1-9][0-9]* .*(ServiceUnavailable|unable to handle the request)' \
		"waiting set: etcd-$i answers /readyz with 503"
	is "$(last_decision "etcd-$i")" wait "waiting set: etcd-$i's last decision is wait"
	ok "waiting set: etcd-$i's last wait names the missing etcd-3" last_wait_names "etcd-$i" 'etcd-3\.etcd\.' 
done
events=$(k get events --field-selector reason=Unhealthy -o jsonpath='{range .items[*]}{.message}{"\n"}{end}')
like "$events" 'Readiness probe failed' "waiting set: the kubelet probed readiness (and recorded failures)"
nok_events=$(grep -c 'Liveness probe failed' <<<"$events")
is "$nok_events" 0 "waiting set: no liveness probe failed"
EI_NS=$ns_main

done_testing
