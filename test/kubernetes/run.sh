#!/usr/bin/env bash
# Runs the Kubernetes scenarios (test/kubernetes/scenarios/*.sh, or the ones named) on
# the single-node test cluster, as root: build.sh (cached), setup.sh, images.sh, then
# each scenario alone, each a TAP script in its own namespace, at most
# EI_K8S_SCENARIO_TIMEOUT seconds (default 900); then teardown.sh --check (also on
# failure or interrupt; EI_K8S_KEEP=1 leaves the cluster up instead).
# stdout: one line per scenario ("ok|FAIL NAME: passed/planned checks, seconds, its
# timing comments"), then "N passed, N failed" (a dirty teardown counts as a failure).
# stderr: the steps. Each scenario's TAP output, and on failure the components' logs,
# in $EI_CACHE/kubernetes/results/.
#   EI_K8S_TAG=3.5 run.sh   the scenarios with the etcd 3.5 image (default 3.6)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ei_log_prefix=k8s-run
# shellcheck source=common.sh
. "$here/common.sh"

((EUID == 0)) || die "must run as root"
results=$k8s_top/results
timeout_s=${EI_K8S_SCENARIO_TIMEOUT:-900}
if (($#)); then
	scenarios=("$@")
else
	scenarios=("$here"/scenarios/*.sh)
fi
passed=0 failed=0 cluster=false

finish()
{
	local rc=$?
	trap - EXIT INT TERM
	if $cluster; then
		if ((failed)) && [[ -d $k8s_logs ]]; then
			cp -r "$k8s_logs" "$results/cluster-logs"
			log "the cluster's logs: $results/cluster-logs"
		fi
		if [[ ${EI_K8S_KEEP:-} == 1 ]]; then
			log "EI_K8S_KEEP=1: the cluster stays up (test/kubernetes/teardown.sh removes it)"
		elif ! "$here/teardown.sh" --check; then
			failed=$((failed + 1))
			echo "FAIL teardown --check: the host differs from before (see above)"
		fi
	fi
	echo "$passed passed, $failed failed"
	((rc == 0 && failed == 0)) || exit 1
	exit 0
}
trap finish EXIT
child=
interrupted()
{
	log "interrupted"
	if [[ -n $child ]]; then
		kill -TERM "$child" 2>/dev/null # timeout passes it on to the scenario
		wait "$child"
		failed=$((failed + 1))
		echo "FAIL $name: interrupted"
	fi
	exit 130
}
trap interrupted INT TERM

rm -rf "$results"
mkdir -p "$results"
t=$SECONDS
"$here/build.sh"
log "build: $((SECONDS - t)) s"

t=$SECONDS
cluster=true
env_out=$("$here/setup.sh") || die "setup.sh failed"
eval "$env_out"
log "cluster: $((SECONDS - t)) s"

t=$SECONDS
"$here/images.sh" || die "images.sh failed"
log "images: $((SECONDS - t)) s"

for s in "${scenarios[@]}"; do
	name=$(basename "$s" .sh)
	tap=$results/$name.tap
	log "scenario $name"
	t=$SECONDS
	rc=0
	# In the background, so that a signal to this script is handled at once.
	timeout -k 30 "$timeout_s" bash "$s" >"$tap" 2>&1 &
	child=$!
	wait "$child" || rc=$?
	child=
	secs=$((SECONDS - t))
	n_ok=$(grep -c -E '^ok ' "$tap" || true)
	plan=$(sed -n -E 's/^1\.\.([0-9]+).*/\1/p' "$tap" | tail -n 1)
	notes=$(grep -E '^# [a-z][a-z -]*: [0-9]+ s$' "$tap" | sed 's/^# //' | paste -sd ',' - | sed 's/,/, /g' || true)
	line="$name: $n_ok/${plan:-?} checks, $secs s${notes:+, $notes}"
	if ((rc == 0)) && [[ -n $plan ]] && ! grep -q -E '^(not ok|Bail out!)' "$tap"; then
		passed=$((passed + 1))
		echo "ok   $line"
	else
		failed=$((failed + 1))
		((rc != 124)) || line+=" (timed out after $timeout_s s)"
		echo "FAIL $line ($tap)"
		grep -E '^(not ok|Bail out!)' "$tap" | sed 's/^/    /' >&2 || true
	fi
done
