# shellcheck shell=bash disable=SC2034
# Sourced by test/kubernetes/{setup,teardown,images}.sh: the names, addresses and paths
# of the single-node test cluster, in one place. Every setting can be overridden from
# the environment (EI_K8S_*); the defaults:
#   cache      ${EI_CACHE:-/var/cache/etcd-init}/kubernetes   binaries (build.sh), PKI
#   run dir    $cache/kubernetes/run (EI_K8S_RUN)               everything a cluster has
#   node       ei-node, address 10.123.0.1/32 on an empty bridge eik8s-node (no dummy
#              module on this kernel), created by setup.sh, deleted by teardown.sh
#   pods       10.244.0.0/24 on the bridge eik8s-cni0; services 10.96.0.0/16, DNS 10.96.0.10
#   etcd       127.0.0.1:23790 (peer 23800), the API server https://10.123.0.1:16443
# Fixed host paths these components use whatever they are told (removed by teardown.sh
# when setup.sh found them absent): /var/lib/kubelet (device-plugins), /var/lib/cni
# (libcni's cache), /run/containerd (containerd 1.6's shim sockets and fifos),
# /var/log/containers and /var/log/pods (kubelet's log links), /tmp/hostpath_pv (the
# controller manager's hostPath provisioner).

ei_cache=${EI_CACHE:-/var/cache/etcd-init}
k8s_top=$ei_cache/kubernetes
k8s_bin=$k8s_top/bin
k8s_images=$k8s_top/images
k8s_run=${EI_K8S_RUN:-$k8s_top/run}
k8s_pki=$k8s_top/pki
k8s_logs=$k8s_run/logs
k8s_pids=$k8s_run/pids
node_name=${EI_K8S_NODE_NAME:-ei-node}
node_ip=${EI_K8S_NODE_IP:-10.123.0.1}
node_link=${EI_K8S_NODE_LINK:-eik8s-node}
cni_bridge=${EI_K8S_CNI_BRIDGE:-eik8s-cni0}
cluster_cidr=10.244.0.0/16
pod_subnet=10.244.0.0/24
service_cidr=10.96.0.0/16
dns_ip=10.96.0.10
etcd_port=${EI_K8S_ETCD_PORT:-23790}
etcd_peer_port=${EI_K8S_ETCD_PEER_PORT:-23800}
api_port=${EI_K8S_API_PORT:-16443}
containerd_sock=$k8s_run/containerd.sock
kubeconfig=$k8s_run/admin.kubeconfig
# Host paths created on demand by components that ignore their configured dirs.
fixed_paths=(/var/lib/kubelet /var/lib/cni /run/containerd /var/log/containers /var/log/pods /tmp/hostpath_pv)
# The nfacct counters kube-proxy creates (kernel objects that outlive its rules).
nfacct_names=(ct_state_invalid_dropped_pkts localhost_nps_accepted_pkts)
# Snapshots for `teardown.sh --check`: outside the run dir, which teardown removes.
k8s_check_dir=$k8s_top/check

ei_log_prefix=${ei_log_prefix:-k8s}
log() { printf '%s: %s\n' "$ei_log_prefix" "$*" >&2; }
die() {
	log "$*"
	exit 1
}

ctr_k8s() { ctr -a "$containerd_sock" -n k8s.io "$@"; }
kctl() { "$k8s_bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }

# host_state: what teardown.sh --check compares, restricted to what this cluster could
# leave behind (other test runs add and remove their own links and rules meanwhile):
# processes of the cluster, mounts under its paths, its links and any veth, every
# KUBE-*/CNI-* chain and rule (iptables, ip6tables), kubepods cgroups, the fixed
# host paths, and the sysctls the kubelet and kube-proxy like to write.
host_state()
{
	local p
	echo "## processes"
	# shellcheck disable=SC2009 # pgrep cannot print whole command lines sorted
	ps -eo args= | grep -E "$k8s_run|$k8s_bin|containerd-shim.*${containerd_sock}|kube-(apiserver|proxy|scheduler|controller)|kubelet|coredns|/pause\$" |
		grep -v -E 'grep -E|teardown.sh|setup.sh' | sort || true
	echo "## mounts"
	awk -v run="$k8s_run" '$2 ~ "^" run || $2 ~ "^/var/lib/kubelet" || $2 ~ "^/run/containerd" || $2 ~ "^/tmp/hostpath_pv" || $2 ~ "^/run/netns/cni-" || $2 ~ "^/proc/sys/(vm|kernel)" {print $1, $2, $3}' /proc/mounts | sort
	echo "## links"
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^($node_link|$cni_bridge|veth)" | sort || true
	echo "## addresses"
	ip -o addr show | grep -F " $node_ip/" | awk '{print $2, $4}' || true
	echo "## routes"
	ip route show | grep -E '^10\.(244|96|123)\.' || true
	local t
	for t in iptables ip6tables; do
		echo "## $t"
		command -v "$t-save" >/dev/null || continue
		"$t-save" 2>/dev/null | grep -E 'KUBE-|CNI-|kubernetes|cni' | sed -E 's/\[[0-9]+:[0-9]+\]//' | sort || true
	done
	echo "## nfacct"
	! command -v nfacct >/dev/null || nfacct list 2>/dev/null | sed -n 's/.* = \(.*\);$/\1/p' | sort
	echo "## cgroups"
	find /sys/fs/cgroup -maxdepth 2 -name 'kubepods*' 2>/dev/null | sort || true
	echo "## paths"
	for p in "${fixed_paths[@]}"; do
		[[ ! -e $p ]] || echo "$p"
	done
	echo "## sysctls"
	for p in vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys \
		kernel/keys/root_maxbytes net/ipv4/ip_forward net/ipv4/conf/all/route_localnet net/bridge/bridge-nf-call-iptables \
		net/netfilter/nf_conntrack_max net/netfilter/nf_conntrack_tcp_timeout_established \
		net/netfilter/nf_conntrack_tcp_timeout_close_wait; do
		echo "$p=$(cat "/proc/sys/$p" 2>/dev/null || echo -)"
	done
}
