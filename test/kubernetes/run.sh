#!/usr/bin/env bash
# Runs the Kubernetes scenarios (test/kubernetes/scenarios/*.sh, or the ones named) on
# the single-node test cluster, as root: build.sh (cached), setup.sh, images.sh, then
# every scenario once per etcd image (EI_K8S_TAGS, default "3.6 3.5": the two images
# images.sh makes), EI_K8S_JOBS at a time (default 2; each scenario has its own
# namespace; a scenario with the line "# k8s-run: alone" runs with nothing beside it,
# e.g. one that measures time), each at most EI_K8S_SCENARIO_TIMEOUT seconds (default
# 900); then teardown.sh --check (also on failure or interrupt; EI_K8S_KEEP=1 leaves the
# cluster up instead).
# stdout: one TAP line per scenario and image ("ok N - NAME (TAG): passed/planned checks,
# seconds, its timing comments"), the plan, then "N passed, N failed" (a dirty teardown
# counts as a failure). meson runs it as one TAP test. stderr: the steps. Each
# scenario's TAP output ($EI_CACHE/kubernetes/results/NAME-TAG.tap), and on failure the
# components' logs, in $EI_CACHE/kubernetes/results/.
#   EI_K8S_TAGS=3.5 run.sh   the scenarios with the etcd 3.5 image only
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
read -ra tags <<<"${EI_K8S_TAGS:-3.6 3.5}"
jobs=${EI_K8S_JOBS:-2}
passed=0 failed=0 cluster=false n=0

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
			failed=$((failed + 1)) n=$((n + 1))
			echo "not ok $n - teardown --check: the host differs from before (see above)"
		fi
	fi
	((n)) || { n=1 failed=$((failed + 1)); echo "not ok 1 - no scenario ran"; }
	echo "1..$n"
	echo "$passed passed, $failed failed"
	((rc == 0 && failed == 0)) || exit 1
	exit 0
}
trap finish EXIT
declare -A running=() # pid -> "tag|scenario|start"
interrupted()
{
	local pid
	log "interrupted"
	for pid in "${!running[@]}"; do
		kill -TERM "$pid" 2>/dev/null # timeout passes it on to the scenario
	done
	for pid in "${!running[@]}"; do
		wait "$pid" 2>/dev/null
		IFS='|' read -r tag s _ <<<"${running[$pid]}"
		failed=$((failed + 1)) n=$((n + 1))
		echo "not ok $n - $(basename "$s" .sh) ($tag): interrupted"
	done
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

# report PID RC: the TAP line of a finished scenario run.
report()
{
	local tag s start name tap secs n_ok plan notes line
	IFS='|' read -r tag s start <<<"${running[$1]}"
	unset "running[$1]"
	name=$(basename "$s" .sh)
	tap=$results/$name-$tag.tap
	secs=$((SECONDS - start))
	n_ok=$(grep -c -E '^ok ' "$tap" || true)
	plan=$(sed -n -E 's/^1\.\.([0-9]+).*/\1/p' "$tap" | tail -n 1)
	notes=$(grep -E '^# [a-z][a-z0-9 -]*: [0-9]+ s$' "$tap" | sed 's/^# //' | paste -sd ',' - | sed 's/,/, /g' || true)
	line="$name ($tag): $n_ok/${plan:-?} checks, $secs s${notes:+, $notes}"
	n=$((n + 1))
	if (($2 == 0)) && [[ -n $plan ]] && ! grep -q -E '^(not ok|Bail out!)' "$tap"; then
		passed=$((passed + 1))
		echo "ok $n - $line"
	else
		failed=$((failed + 1))
		(($2 != 124)) || line+=" (timed out after $timeout_s s)"
		echo "not ok $n - $line ($tap)"
		grep -E '^(not ok|Bail out!)' "$tap" | sed 's/^/#     /' || true
	fi
}

# reap: waits for one scenario run to end and reports it.
reap()
{
	local pid rc=0
	wait -n -p pid "${!running[@]}" || rc=$?
	[[ -n ${pid:-} ]] && report "$pid" "$rc"
}

alone() { grep -q '^# k8s-run: alone' "$1"; }

for tag in "${tags[@]}"; do
	for s in "${scenarios[@]}"; do
		# A scenario that runs alone waits for the others to end, and they for it.
		if alone "$s"; then
			while ((${#running[@]})); do reap; done
		else
			while ((${#running[@]} >= jobs)); do reap; done
		fi
		name=$(basename "$s" .sh)
		log "scenario $name ($tag)"
		# In the background, so that a signal to this script is handled at once.
		EI_K8S_TAG=$tag timeout -k 30 "$timeout_s" bash "$s" >"$results/$name-$tag.tap" 2>&1 &
		running[$!]="$tag|$s|$SECONDS"
		if alone "$s"; then
			reap
		fi
	done
done
while ((${#running[@]})); do reap; done
