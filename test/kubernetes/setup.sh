#!/usr/bin/env bash
# Starts the test suite's single-node Kubernetes v1.34.4 (as root; binaries from
# test/kubernetes/build.sh) and prints on stdout, for eval:
#   export KUBECONFIG=<run dir>/admin.kubeconfig
#   export EI_K8S_RUN=<run dir>  CONTAINERD_ADDRESS=<its socket>  CONTAINER_RUNTIME_ENDPOINT=...
#   export PATH=<bin dir>:$PATH   (kubectl, crictl)
# Everything lives under the run dir, ${EI_CACHE:-/var/cache/etcd-init}/kubernetes/run
# (EI_K8S_RUN), PKI under $EI_CACHE/kubernetes/pki; names and addresses in common.sh:
#   etcd (3.6 built by test/setup.sh, else Debian's 3.4) on 127.0.0.1:23790 for the API
#   server alone; a private containerd (own socket, root, state; restrict_oom_score_adj,
#   since this host's root lacks CAP_SYS_RESOURCE); Debian's CNI plugins (bridge
#   eik8s-cni0, host-local, portmap, firewall: Docker sets FORWARD DROP); the node
#   address 10.123.0.1/32 on an empty bridge eik8s-node; kube-apiserver on
#   https://10.123.0.1:16443, controller manager (with its hostPath provisioner:
#   StorageClass "local-path", the default, reclaimPolicy Delete, volumes in
#   /tmp/hostpath_pv), scheduler; the kubelet in its own mount namespace with fake
#   /proc/sys files (kubelet-ns.sh); kube-proxy in iptables mode writing no conntrack
#   sysctl; CoreDNS at 10.96.0.10.
# CoreDNS's Corefile: EI_K8S_DNS_PROFILE picks the caching that matters to etcd-init:
#   default   `cache 30`, the kubernetes plugin's default TTL (5 s): answers up to 5 s old
#   stale     `cache 30` and `ttl 30` (kubeadm before 1.31): answers up to 30 s old
#   kubeadm   kubeadm 1.34's: `ttl 30`, cluster.local never cached by CoreDNS
# Waits (bounded) for the API server, the node Ready, CoreDNS answering. A cluster left
# by an earlier run is torn down first (teardown.sh). Host settings: none changed except
# net.ipv4.ip_forward and net.bridge.bridge-nf-call-iptables when not already 1
# (restored by teardown.sh). One line per step on stderr; the components' logs in
# <run dir>/logs, this script's details in <run dir>/logs/setup.log.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ei_log_prefix=k8s-setup
# shellcheck source=common.sh
. "$here/common.sh"

dns_profile=${EI_K8S_DNS_PROFILE:-default}
sys_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
daemon_nice=${EI_K8S_NICE:-0}
t0=$SECONDS

((EUID == 0)) || die "must run as root"
for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl crictl coredns; do
	[[ -x $k8s_bin/$b ]] || die "no $k8s_bin/$b: run test/kubernetes/build.sh first"
done
etcd_bin=${EI_K8S_ETCD_BIN:-$ei_cache/etcd-3.6.16/etcd}
[[ -x $etcd_bin ]] || etcd_bin=/usr/bin/etcd
[[ -x $etcd_bin ]] || die "no etcd for the API server ($ei_cache/etcd-3.6.16/etcd from test/setup.sh, or /usr/bin/etcd)"
for b in containerd runc containerd-shim-runc-v2 ctr unshare iptables conntrack nfacct openssl curl; do
	command -v "$b" >/dev/null || die "no $b: run test/kubernetes/build.sh (it installs the packages)"
done
[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/firewall ]] || die "no CNI plugins in /usr/lib/cni: run test/kubernetes/build.sh"
case $dns_profile in default | stale | kubeadm) ;; *) die "EI_K8S_DNS_PROFILE=$dns_profile: default, stale or kubeadm" ;; esac

# A cluster left over (a run that was interrupted) goes first.
if [[ -e $k8s_run ]] || ip link show "$node_link" >/dev/null 2>&1; then
	log "a cluster from an earlier run is left in $k8s_run: tearing it down"
	"$here/teardown.sh" || die "teardown of the earlier cluster failed"
fi

mkdir -p "$k8s_run" "$k8s_logs" "$k8s_pids" "$k8s_check_dir"
setup_log=$k8s_logs/setup.log
: >"$setup_log"
# What teardown.sh --check compares against, and which fixed host paths were here already.
host_state >"$k8s_check_dir/before.txt"
{
	for p in "${fixed_paths[@]}"; do
		[[ ! -e $p ]] || echo "$p"
	done
	nfacct list 2>/dev/null | sed -n 's/.* = \(.*\);$/nfacct:\1/p'
} >"$k8s_run/preexisting"

fail()
{
	local f
	log "$1"
	for f in "${@:2}"; do
		[[ -s $f ]] || continue
		log "last lines of $f:"
		tail -n 12 "$f" | sed 's/^/    /' >&2
	done
	log "the cluster is left as it is for a look; test/kubernetes/teardown.sh removes it"
	exit 1
}

# wait_for SECONDS WHAT COMMAND...: runs COMMAND every second until it succeeds.
wait_for()
{
	local limit=$1 what=$2 start=$SECONDS
	shift 2
	until "$@" >>"$setup_log" 2>&1; do
		((SECONDS - start < limit)) || return 1
		sleep 1
	done
	log "$what after $((SECONDS - start)) s"
}

# start_daemon NAME COMMAND...: COMMAND in its own session with a clean environment,
# its output in logs/NAME.log, its PID in pids/NAME.pid (the PID is COMMAND's own:
# setsid, env, nice and unshare all exec).
start_daemon()
{
	local name=$1
	shift
	setsid env -i PATH="$sys_path" HOME=/root nice -n "$daemon_nice" "$@" </dev/null >>"$k8s_logs/$name.log" 2>&1 &
	echo $! >"$k8s_pids/$name.pid"
}

alive() { kill -0 "$(<"$k8s_pids/$1.pid")" 2>/dev/null; }

# --- host prerequisites, restored by teardown.sh when changed here
: >"$k8s_run/sysctl.restore"
[[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] ||
	die "no /proc/sys/net/bridge (the br_netfilter module): Service traffic between pods on one bridge needs it"
for key in net/ipv4/ip_forward net/bridge/bridge-nf-call-iptables; do
	value=$(<"/proc/sys/$key")
	if [[ $value != 1 ]]; then
		echo "$key=$value" >>"$k8s_run/sysctl.restore"
		echo 1 >"/proc/sys/$key"
		log "set $key to 1 (was $value; teardown.sh restores it)"
	fi
done

# --- PKI (cached; regenerated when the node's name or address changes)
pki_stamp="$node_name $node_ip"
if [[ ! -f $k8s_pki/stamp || $(<"$k8s_pki/stamp") != "$pki_stamp" ]]; then
	log "making the PKI in $k8s_pki"
	rm -rf "$k8s_pki"
	mkdir -p "$k8s_pki"
	(
		cd "$k8s_pki"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj /CN=etcd-init-test-ca
		printf 'subjectAltName=DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:10.96.0.1,IP:127.0.0.1,IP:%s\nextendedKeyUsage=serverAuth\n' \
			"$node_ip" >apiserver.ext
		printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1,IP:%s\nextendedKeyUsage=serverAuth\n' "$node_name" "$node_ip" >kubelet.ext
		printf 'extendedKeyUsage=clientAuth\n' >client.ext
		cert() # NAME SUBJECT EXTFILE
		{
			openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
			openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3650 -extfile "$3"
		}
		cert apiserver /CN=kube-apiserver apiserver.ext
		cert admin /O=system:masters/CN=admin client.ext
		cert node "/O=system:nodes/CN=system:node:$node_name" client.ext
		cert kubelet "/CN=$node_name" kubelet.ext
		openssl genrsa -out sa.key 2048
		openssl rsa -in sa.key -pubout -out sa.pub
		echo "$pki_stamp" >stamp
	) >>"$setup_log" 2>&1 || fail "making the PKI failed" "$setup_log"
fi
for who in admin node; do
	cat >"$k8s_run/$who.kubeconfig" <<-EOF
		apiVersion: v1
		kind: Config
		clusters:
		- name: ei
		  cluster: {server: "https://$node_ip:$api_port", certificate-authority: "$k8s_pki/ca.crt"}
		users:
		- name: $who
		  user: {client-certificate: "$k8s_pki/$who.crt", client-key: "$k8s_pki/$who.key"}
		contexts:
		- name: ei
		  context: {cluster: ei, user: $who}
		current-context: ei
	EOF
done

# --- the node's address
log "node address $node_ip/32 on $node_link"
ip link add "$node_link" type bridge >>"$setup_log" 2>&1 || fail "cannot create the link $node_link" "$setup_log"
ip addr add "$node_ip/32" dev "$node_link"
ip link set "$node_link" up

# --- etcd for the API server
busy=$(ss -Htln "( sport = :$etcd_port or sport = :$etcd_peer_port or sport = :$api_port or sport = :10250 or sport = :10248 or sport = :10249 or sport = :10256 or sport = :20257 or sport = :20259 )" 2>/dev/null || true)
[[ -z $busy ]] || fail "ports the cluster needs are in use: $busy"
etcd_flags=()
"$etcd_bin" --help 2>&1 | grep -q -- --unsafe-no-fsync && etcd_flags+=(--unsafe-no-fsync)
log "etcd $("$etcd_bin" --version | sed -n 's/^etcd Version: //p') on 127.0.0.1:$etcd_port"
start_daemon etcd "$etcd_bin" --name ei-k8s --data-dir "$k8s_run/etcd" \
	--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
	--listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
	--initial-cluster "ei-k8s=http://127.0.0.1:$etcd_peer_port" --log-level warn "${etcd_flags[@]}"

# --- containerd, CNI
mkdir -p "$k8s_run/containerd/root" "$k8s_run/containerd/state" "$k8s_run/containerd/opt" "$k8s_run/cni/net.d" "$k8s_run/cni/ipam"
cat >"$k8s_run/containerd/config.toml" <<EOF
version = 2
root = "$k8s_run/containerd/root"
state = "$k8s_run/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$containerd_sock"
[ttrpc]
  address = "$containerd_sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$k8s_run/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:3.10"
  stream_server_address = "127.0.0.1"
  netns_mounts_under_state_dir = true
  # This host's root lacks CAP_SYS_RESOURCE: a negative oom_score_adj makes runc fail
  # ("can't get final child's PID from pipe: EOF").
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$k8s_run/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$k8s_run/cni/net.d"
EOF
cat >"$k8s_run/cni/net.d/10-ei.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "ei-k8s",
  "plugins": [
    {"type": "bridge", "bridge": "$cni_bridge", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$k8s_run/cni/ipam", "ranges": [[{"subnet": "$pod_subnet"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "firewall"}
  ]
}
EOF
log "containerd on $containerd_sock"
start_daemon containerd containerd --config "$k8s_run/containerd/config.toml"
wait_for 30 "containerd answering" ctr -a "$containerd_sock" version ||
	fail "containerd did not answer within 30 s" "$k8s_logs/containerd.log"
"$here/images.sh" infra || fail "importing the pause and coredns images failed"

# --- control plane
wait_for 30 "etcd healthy" curl -sf "http://127.0.0.1:$etcd_port/health" || fail "etcd not healthy within 30 s" "$k8s_logs/etcd.log"
log "kube-apiserver on https://$node_ip:$api_port"
start_daemon kube-apiserver "$k8s_bin/kube-apiserver" \
	--advertise-address="$node_ip" --bind-address="$node_ip" --secure-port="$api_port" \
	--etcd-servers="http://127.0.0.1:$etcd_port" \
	--service-cluster-ip-range="$service_cidr" \
	--client-ca-file="$k8s_pki/ca.crt" --tls-cert-file="$k8s_pki/apiserver.crt" --tls-private-key-file="$k8s_pki/apiserver.key" \
	--kubelet-client-certificate="$k8s_pki/admin.crt" --kubelet-client-key="$k8s_pki/admin.key" \
	--kubelet-certificate-authority="$k8s_pki/ca.crt" --kubelet-preferred-address-types=InternalIP,Hostname \
	--service-account-issuer=https://kubernetes.default.svc.cluster.local \
	--service-account-key-file="$k8s_pki/sa.pub" --service-account-signing-key-file="$k8s_pki/sa.key" \
	--authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
	--allow-privileged=true --profiling=false --v=1
wait_for 90 "API server ready" "$k8s_bin/kubectl" --kubeconfig "$kubeconfig" get --raw /readyz ||
	fail "the API server not ready within 90 s" "$k8s_logs/kube-apiserver.log"
log "kube-controller-manager, kube-scheduler"
start_daemon kube-controller-manager "$k8s_bin/kube-controller-manager" \
	--kubeconfig="$kubeconfig" --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig" \
	--bind-address=127.0.0.1 --secure-port=20257 \
	--cluster-signing-cert-file="$k8s_pki/ca.crt" --cluster-signing-key-file="$k8s_pki/ca.key" --root-ca-file="$k8s_pki/ca.crt" \
	--service-account-private-key-file="$k8s_pki/sa.key" --use-service-account-credentials=true \
	--allocate-node-cidrs=true --cluster-cidr="$cluster_cidr" --node-cidr-mask-size=24 --service-cluster-ip-range="$service_cidr" \
	--enable-hostpath-provisioner=true --leader-elect=false --profiling=false --v=1
start_daemon kube-scheduler "$k8s_bin/kube-scheduler" \
	--kubeconfig="$kubeconfig" --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig" \
	--bind-address=127.0.0.1 --secure-port=20259 --leader-elect=false --profiling=false --v=1

# --- node: kubelet (own mount namespace), kube-proxy
grep -v -E '^nameserver (127\.|::1)' /etc/resolv.conf >"$k8s_run/resolv.conf" || true
mkdir -p "$k8s_run/kubelet" "$k8s_run/pod-logs"
# The kubelet's mounts (secrets, service account tokens) are made in its namespace: its
# root dir is a shared mount, so that they show in the host's, where containerd runs.
mount --bind "$k8s_run/kubelet" "$k8s_run/kubelet"
mount --make-rshared "$k8s_run/kubelet"
cat >"$k8s_run/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: 10250
healthzBindAddress: 127.0.0.1
healthzPort: 10248
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$k8s_pki/ca.crt"}
authorization: {mode: Webhook}
tlsCertFile: "$k8s_pki/kubelet.crt"
tlsPrivateKeyFile: "$k8s_pki/kubelet.key"
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: "unix://$containerd_sock"
clusterDomain: cluster.local
clusterDNS: [$dns_ip]
resolvConf: "$k8s_run/resolv.conf"
podLogsDir: "$k8s_run/pod-logs"
maxPods: 60
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageMinimumGCAge: 87600h
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
protectKernelDefaults: false
makeIPTablesUtilChains: true
EOF
log "kubelet (node $node_name, own mount namespace), kube-proxy (iptables)"
start_daemon kubelet unshare -m --propagation unchanged "$here/kubelet-ns.sh" "$k8s_run/fake-sysctl" \
	"$k8s_bin/kubelet" --config="$k8s_run/kubelet-config.yaml" --kubeconfig="$k8s_run/node.kubeconfig" \
	--root-dir="$k8s_run/kubelet" --hostname-override="$node_name" --node-ip="$node_ip" --v=1
cat >"$k8s_run/kube-proxy-config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$kubeconfig"}
mode: iptables
clusterCIDR: $cluster_cidr
hostnameOverride: $node_name
bindAddress: $node_ip
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
# 0: kube-proxy leaves the host's conntrack sysctls alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {masqueradeAll: false, syncPeriod: 30s, minSyncPeriod: 1s, localhostNodePorts: false}
nodePortAddresses: ["$node_ip/32"]
EOF
start_daemon kube-proxy "$k8s_bin/kube-proxy" --config="$k8s_run/kube-proxy-config.yaml" --v=1

node_ready() { [[ $(kctl get node "$node_name" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]; }
wait_for 120 "node $node_name Ready" node_ready || fail "node $node_name not Ready within 120 s" "$k8s_logs/kubelet.log"
for d in etcd containerd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
	alive "$d" || fail "$d exited" "$k8s_logs/$d.log"
done

# --- storage class and cluster DNS
case $dns_profile in
default) ttl_line='' cache_block='cache 30' ;;
stale) ttl_line='ttl 30' cache_block='cache 30' ;;
kubeadm) ttl_line='ttl 30' cache_block=$'cache 30 {\n           disable success cluster.local\n           disable denial cluster.local\n        }' ;;
esac
forward_line='forward . /etc/resolv.conf {
           max_concurrent 1000
        }'
grep -q '^nameserver' "$k8s_run/resolv.conf" || forward_line=''
sed -e "s|@DNS_IP@|$dns_ip|" "$here/manifests/coredns.yaml" |
	awk -v ttl="$ttl_line" -v cache="$cache_block" -v fwd="$forward_line" \
		'/@TTL@/ {if (ttl != "") print "           " ttl; next} /@CACHE@/ {print "        " cache; next} /@FORWARD@/ {if (fwd != "") print "        " fwd; next} {print}' \
		>"$k8s_run/coredns.yaml"
log "StorageClass local-path, CoreDNS ($dns_profile caching) at $dns_ip"
kctl apply -f "$here/manifests/storageclass.yaml" -f "$k8s_run/coredns.yaml" >>"$setup_log" 2>&1 ||
	fail "applying the StorageClass and CoreDNS failed" "$setup_log"
coredns_ready() { [[ $(kctl -n kube-system get deploy coredns -o 'jsonpath={.status.readyReplicas}' 2>/dev/null) == 1 ]]; }
wait_for 120 "CoreDNS ready" coredns_ready || {
	kctl -n kube-system describe pods -l k8s-app=kube-dns >>"$setup_log" 2>&1 || true
	fail "CoreDNS not ready within 120 s" "$setup_log" "$k8s_logs/kubelet.log"
}
dns_answers()
{
	local a
	if command -v dig >/dev/null; then
		a=$(dig +time=2 +tries=1 +short "@$dns_ip" kubernetes.default.svc.cluster.local A)
	else
		a=$(busybox nslookup kubernetes.default.svc.cluster.local "$dns_ip" | sed -n 's/^Address: //p')
	fi
	echo "answer: $a"
	[[ $a == *10.96.0.1* ]]
}
wait_for 60 "CoreDNS answering at $dns_ip" dns_answers || fail "CoreDNS at $dns_ip does not answer within 60 s" "$setup_log"
log "cluster up in $((SECONDS - t0)) s"

printf 'export KUBECONFIG=%q\n' "$kubeconfig"
printf 'export EI_K8S_RUN=%q\n' "$k8s_run"
printf 'export CONTAINERD_ADDRESS=%q\n' "$containerd_sock"
printf 'export CONTAINER_RUNTIME_ENDPOINT=%q\n' "unix://$containerd_sock"
# shellcheck disable=SC2016 # $PATH expands where the line is eval'ed
printf 'export PATH=%q:"$PATH"\n' "$k8s_bin"
