#!/usr/bin/env bash
# Removes the single-node cluster setup.sh started (as root), whatever state it is in:
# its processes (by their PID files, then anything still running from its run dir or
# under its containerd socket, and the pods' processes in the kubepods cgroups), the
# pod sandboxes (CNI DEL through containerd), kube-proxy's and the kubelet's iptables
# rules (`kube-proxy --cleanup`, then every remaining KUBE-*/CNI-* chain and the rules
# jumping to them, iptables and ip6tables), mounts under the run dir, its links
# (eik8s-node, eik8s-cni0), the kubepods cgroups, the fixed host paths that were absent
# before setup.sh (common.sh), the sysctls setup.sh changed, and the run dir. Keeps the
# binaries and the PKI.
#   teardown.sh           tear down
#   teardown.sh --check   tear down, then compare the host with the snapshot setup.sh
#                         took before it started (processes, mounts, links, addresses,
#                         routes, KUBE-*/CNI-* iptables rules without counters, cgroups,
#                         fixed paths, sysctls); prints the difference, exits 1 if any
# One line per step on stderr, the details in $EI_CACHE/kubernetes/teardown.log.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ei_log_prefix=k8s-teardown
# shellcheck source=common.sh
. "$here/common.sh"

check=false
[[ ${1:-} != --check ]] || check=true
((EUID == 0)) || die "must run as root"
tlog=$k8s_top/teardown.log
mkdir -p "$k8s_top"
: >"$tlog"
t0=$SECONDS
step()
{
	log "$*"
	echo "$(date +%T.%N) $*" >>"$tlog"
}

# stop [-t TENTHS] NAME...: SIGTERM to the PIDs in pids/NAME.pid (each if it is still
# that program), up to TENTHS tenths of a second for all of them (default 100), then
# SIGKILL.
stop()
{
	local name pidf pid i pids=() tenths=100
	if [[ $1 == -t ]]; then
		tenths=$2
		shift 2
	fi
	for name; do
		pidf=$k8s_pids/$name.pid
		[[ -f $pidf ]] || continue
		pid=$(<"$pidf")
		rm -f "$pidf"
		if [[ -n $pid ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q -- "$name"; then
			kill "$pid" 2>/dev/null && pids+=("$pid")
		fi
	done
	((${#pids[@]})) || return 0
	for ((i = 0; i < tenths; i++)); do
		kill -0 "${pids[@]}" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "$(date +%T.%N) SIGKILL to $(ps -o args= -p "$(IFS=,; echo "${pids[*]}")" | cut -c1-60 | paste -sd' ')" >>"$tlog"
	kill -9 "${pids[@]}" 2>/dev/null
	return 0
}

if [[ -d $k8s_run ]]; then
	step "stopping the kubelet, removing the pod sandboxes"
	stop kubelet
	if [[ -S $containerd_sock ]] && [[ -f $k8s_pids/containerd.pid ]] && kill -0 "$(<"$k8s_pids/containerd.pid")" 2>/dev/null; then
		crictl=("$k8s_bin/crictl" --runtime-endpoint "unix://$containerd_sock" --timeout 30s)
		mapfile -t sandboxes < <("${crictl[@]}" pods -q 2>>"$tlog")
		((${#sandboxes[@]} == 0)) || "${crictl[@]}" stopp "${sandboxes[@]}" >>"$tlog" 2>&1
		"${crictl[@]}" rmp -fa >>"$tlog" 2>&1
	fi
	step "stopping kube-proxy, the control plane, etcd, containerd"
	# Their state is thrown away: no need to wait for a graceful shutdown.
	stop -t 20 kube-proxy kube-scheduler kube-controller-manager kube-apiserver
	stop etcd containerd
fi

# Anything still running from the run dir or the binaries, and containerd's shims.
leftover_pids()
{
	local p
	for p in /proc/[0-9]*; do
		[[ ${p#/proc/} != "$$" ]] || continue
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q -E -- "$k8s_run|$k8s_bin/" && echo "${p#/proc/}"
	done
	# The pods' processes: in the kubepods cgroups (cgroup v1 and v2).
	find /sys/fs/cgroup -path '*kubepods*' -name cgroup.procs -exec cat {} + 2>/dev/null
}
mapfile -t pids < <(leftover_pids | sort -u)
if ((${#pids[@]})); then
	step "killing ${#pids[@]} leftover processes"
	ps -o pid=,args= -p "$(IFS=,; echo "${pids[*]}")" >>"$tlog" 2>&1
	kill -9 "${pids[@]}" 2>/dev/null
	sleep 0.5
fi

# iptables: kube-proxy's own cleanup first, then whatever KUBE-*/CNI-* is left.
echo "$(date +%T.%N) kube-proxy --cleanup" >>"$tlog"
if [[ -x $k8s_bin/kube-proxy ]]; then
	"$k8s_bin/kube-proxy" --cleanup --v=0 >>"$tlog" 2>&1
fi
ipt_clean()
{
	local ipt=$1 t line chain
	command -v "$ipt" >/dev/null || return 0
	for t in filter nat mangle raw; do
		"$ipt" -t "$t" -S >/dev/null 2>&1 || continue
		# Rules in other chains that jump to ours.
		while read -r line; do
			chain=$(awk '{print $2}' <<<"$line")
			[[ $chain =~ ^(KUBE-|CNI-) ]] && continue
			eval "$ipt -w -t $t -D ${line#-A }" >>"$tlog" 2>&1
		done < <("$ipt" -t "$t" -S 2>/dev/null | grep -E '^-A .* -(j|g) (KUBE-|CNI-)')
		while read -r chain; do
			"$ipt" -w -t "$t" -F "$chain" >>"$tlog" 2>&1
		done < <("$ipt" -t "$t" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ {print $2}')
		while read -r chain; do
			"$ipt" -w -t "$t" -X "$chain" >>"$tlog" 2>&1
		done < <("$ipt" -t "$t" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ {print $2}')
	done
}
step "removing the KUBE-* and CNI-* iptables chains and rules"
ipt_clean iptables
ipt_clean ip6tables

step "removing mounts, links, cgroups, paths"
# Mounts: under the run dir and the fixed paths, deepest first.
mapfile -t mounts < <(awk -v run="$k8s_run" '$2 ~ "^" run "(/|$)" || $2 ~ "^/var/lib/kubelet(/|$)" || $2 ~ "^/run/containerd(/|$)" || $2 ~ "^/tmp/hostpath_pv(/|$)" {print $2}' /proc/mounts | sort -r -u)
for m in "${mounts[@]}"; do
	umount "$m" >>"$tlog" 2>&1 || umount -l "$m" >>"$tlog" 2>&1
done
for l in "$cni_bridge" "$node_link"; do
	ip link show "$l" >/dev/null 2>&1 && ip link del "$l" >>"$tlog" 2>&1
done
# veths left on our bridge are gone with it; cgroups, leaves first.
find /sys/fs/cgroup -maxdepth 2 -name 'kubepods*' -type d 2>/dev/null | while read -r cg; do
	find "$cg" -depth -type d -exec rmdir {} + >>"$tlog" 2>&1
done
# The fixed host paths, when setup.sh found them absent (no record: setup.sh never ran
# to that point, nothing to remove).
if [[ -f $k8s_run/preexisting ]]; then
	for p in "${fixed_paths[@]}"; do
		grep -qxF "$p" "$k8s_run/preexisting" || rm -rf "$p"
	done
	if command -v nfacct >/dev/null; then
		for n in "${nfacct_names[@]}"; do
			grep -qxF "nfacct:$n" "$k8s_run/preexisting" || nfacct del "$n" >>"$tlog" 2>&1
		done
	fi
fi
if [[ -f $k8s_run/sysctl.restore ]]; then
	while IFS='=' read -r key value; do
		echo "$value" >"/proc/sys/$key" && log "restored $key=$value"
	done <"$k8s_run/sysctl.restore"
fi
rm -rf "$k8s_run"
log "done in $((SECONDS - t0)) s"

if $check; then
	before=$k8s_check_dir/before.txt
	[[ -f $before ]] || die "--check: no snapshot $before (setup.sh takes it)"
	if ! host_state | diff -u "$before" - >"$k8s_check_dir/diff.txt"; then
		log "--check: the host differs from before setup.sh:"
		sed -n '3,$p' "$k8s_check_dir/diff.txt" | grep -E '^[-+]' | sed 's/^/    /' >&2
		exit 1
	fi
	log "--check: processes, mounts, links, iptables, cgroups, paths and sysctls as before setup.sh"
fi
exit 0
