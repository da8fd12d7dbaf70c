# shellcheck shell=bash
# Integration-test harness for etcd-init: sourced by the TAP scripts in this
# directory and by test/demo.sh. Needs root (network namespaces, a bridge).
#
# The "cluster" is made of real things on this machine:
#   - pods:    network namespaces "ei<id>-<set>-<N>" with one IP each (10.77.X.(10+N)/24),
#              a veth into a bridge "eib<id>" (10.77.X.1/24), and their own resolv.conf
#              (/etc/netns/<ns>/resolv.conf, which `ip netns exec` binds over /etc/resolv.conf);
#              each started command is PID 1 of fresh PID, mount (own /proc) and UTS
#              (hostname = pod name) namespaces, with a clean environment, default signal
#              dispositions, an empty signal mask and only fds 0-2;
#   - DNS:     unbound on 10.77.X.1:53 serving the static zone cluster.local., changed at
#              run time with unbound-control local_data (like Kubernetes publishing pods);
#              every other name is answered NXDOMAIN locally: nothing is ever forwarded;
#   - etcd:    Debian 12's etcd 3.4 (/usr/bin) or 3.5 ($EI_ETCD35_BIN, from test/setup.sh).
# <id> is the PID of the shell that called ei_env_setup and X is derived from it, so
# parallel runs do not collide. No traffic leaves our own namespaces and the bridge.
#
# Usage in a test:
#   source "$(dirname "$0")/lib.sh"
#   ei_env_setup            # version from $ETCD_VERSION_UNDER_TEST, else 3.4
#   pod_create 0; dns_publish 0; static_pod_start 0 1
#   ok "healthy" wait_healthy "0" 30
#   done_testing
# Teardown runs on EXIT/INT/TERM. EI_KEEP=1 keeps the run directory ($EI_RUN).
#
# Files of pod N under $EI_RUN/<set>-N/: data/ (the volume), log (stdout+stderr, appended
# across starts), pid (the "unshare process": PID 1's parent), pgid (the pod's process
# group), exit (PID 1's exit status, 128+n if killed by signal n, once it has exited;
# removed by pod_start).
#
# Do not `set -e` in a test script: checks return non-zero when they fail. `set -u` and
# `pipefail` are fine. Keep waits short (the INT/TERM trap runs between commands).

# ---------------------------------------------------------------- TAP

# ok, nok, is, isnt, like, unlike, diag, skip, skip_all, bail_out, done_testing.
# shellcheck source=test/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

# Last 30 lines of every pod's log, as diagnostics (after every failed check).
_ei_diag_pod_logs()
{
	local d
	[[ -n ${EI_RUN:-} && -d ${EI_RUN:-} ]] || return 0
	for d in "$EI_RUN"/*/; do
		[[ -f $d/log ]] || continue
		printf '# --- last 30 lines of %s/log\n' "$(basename "$d")"
		tail -n 30 "$d/log" | sed 's/^/#   /'
	done
}
TAP_FAIL_HOOK=_ei_diag_pod_logs

# ---------------------------------------------------------------- small utilities

# Monotonic-enough milliseconds (for timing and deadlines).
ei_now_ms()
{
	local t
	t=$(date +%s%N)
	echo $((t / 1000000))
}

# wait_for TIMEOUT_S CMD ARGS...: retries CMD (output discarded) every 0.2 s until it
# succeeds; returns 1 after TIMEOUT_S seconds.
wait_for()
{
	local timeout=$1 deadline
	shift
	deadline=$(($(ei_now_ms) + timeout * 1000))
	while :; do
		"$@" >/dev/null 2>&1 </dev/null && return 0
		(($(ei_now_ms) >= deadline)) && return 1
		sleep 0.2
	done
}

_ei_log()
{
	printf 'ei-harness: %s\n' "$*" >&2
}

# ---------------------------------------------------------------- identity

: "${EI_SET:=etcd}"
: "${EI_SERVICE:=etcd}"
: "${EI_NAMESPACE:=ns}"
: "${EI_DOMAIN:=cluster.local}"

pod_name() { printf '%s-%s\n' "$EI_SET" "$1"; }
# The canonical peer host of ordinal N.
pod_fqdn() { printf '%s-%s.%s.%s.svc.%s\n' "$EI_SET" "$1" "$EI_SERVICE" "$EI_NAMESPACE" "$EI_DOMAIN"; }
pod_ip() { printf '%s.%d\n' "$EI_SUBNET" $((10 + $1)); }
pod_ns() { printf '%s-%s-%s\n' "$EI_PREFIX" "$EI_SET" "$1"; }
pod_dir() { printf '%s/%s-%s\n' "$EI_RUN" "$EI_SET" "$1"; }
pod_data() { printf '%s/%s-%s/data\n' "$EI_RUN" "$EI_SET" "$1"; }
# srv_name server|client [ssl]: _etcd-server._tcp.<service>.<namespace>.svc.<domain>
srv_name()
{
	printf '_etcd-%s%s._tcp.%s.%s.svc.%s\n' "$1" "${2:+-ssl}" "$EI_SERVICE" "$EI_NAMESPACE" "$EI_DOMAIN"
}
# initial_cluster SIZE: etcd-0=http://<fqdn0>:2380,... (the manifest's --initial-cluster)
initial_cluster()
{
	local i out=""
	for ((i = 0; i < $1; i++)); do
		out+="${out:+,}$(pod_name "$i")=http://$(pod_fqdn "$i"):2380"
	done
	printf '%s\n' "$out"
}

_ei_veth_host() { printf 'eiv%sn%s\n' "$EI_ID" "$1"; }
_ei_veth_pod() { printf 'eip%sn%s\n' "$EI_ID" "$1"; }

# ---------------------------------------------------------------- environment

: "${EI_UNBOUND:=unbound}"
: "${EI_UNBOUND_CONTROL:=unbound-control}"

# ei_env_setup [3.4|3.5]
ei_env_setup()
{
	local version=${1:-${ETCD_VERSION_UNDER_TEST:-3.4}} c
	local etcd35=${EI_ETCD35_BIN:-/var/cache/etcd-init/etcd-trixie/usr/bin/etcd}
	local etcdctl35=${EI_ETCDCTL35_BIN:-/var/cache/etcd-init/etcd-trixie/usr/bin/etcdctl}

	((EUID == 0)) || skip_all "needs root (network namespaces)"
	for c in ip unshare setsid nsenter pgrep flock timeout jq dig getent hostname "$EI_UNBOUND" "$EI_UNBOUND_CONTROL"; do
		command -v "$c" >/dev/null 2>&1 || skip_all "missing command $c (run test/setup.sh)"
	done
	case $version in
	3.4)
		ETCD_BIN=/usr/bin/etcd
		ETCDCTL_BIN=/usr/bin/etcdctl
		;;
	3.5)
		ETCD_BIN=$etcd35
		ETCDCTL_BIN=$etcdctl35
		;;
	3.6)
		ETCD_BIN=${EI_ETCD36_BIN:-/var/cache/etcd-init/etcd-3.6.16/etcd}
		ETCDCTL_BIN=${EI_ETCDCTL36_BIN:-/var/cache/etcd-init/etcd-3.6.16/etcdctl}
		;;
	*) bail_out "unknown etcd version '$version' (3.4, 3.5 or 3.6)" ;;
	esac
	[[ -x $ETCD_BIN && -x $ETCDCTL_BIN ]] ||
		skip_all "etcd $version not installed ($ETCD_BIN; run test/setup.sh)"
	# Not exported: etcdctl warns about ETCDCTL_* variables it does not know, and
	# etcd-init reads ETCD_* variables as etcd settings.
	export EI_ETCD_VERSION=$version

	EI_ID=$$
	EI_PREFIX=ei$EI_ID
	EI_BRIDGE=eib$EI_ID
	EI_BRIDGE=${EI_BRIDGE:0:15}
	EI_TORN_DOWN=
	EI_RUN=$(mktemp -d "/tmp/ei-run.$EI_ID.XXXXXX") || bail_out "mktemp failed"
	chmod 755 "$EI_RUN"
	mkdir -p "$EI_RUN/dns"
	: >"$EI_RUN/dns/published"
	: >"$EI_RUN/pods"
	export EI_ID EI_PREFIX EI_BRIDGE EI_RUN
	trap '_ei_exit_trap' EXIT
	trap '_ei_signal_trap 130' INT
	trap '_ei_signal_trap 143' TERM

	_ei_setup_network || bail_out "environment setup failed (network)"
	_ei_setup_unbound || bail_out "environment setup failed (unbound)"
	diag "env: etcd $version ($ETCD_BIN), run dir $EI_RUN, bridge $EI_BRIDGE $EI_BRIDGE_IP, dns $EI_BRIDGE_IP:53"
	return 0
}

_ei_exit_trap()
{
	local rc=$?
	ei_env_teardown
	exit "$rc"
}

_ei_signal_trap()
{
	trap - INT TERM
	ei_env_teardown
	exit "$1"
}

# Under an flock shared by every run on this machine: clean stale state, pick a free
# subnet, create the bridge.
_ei_setup_network()
{
	local lockfd x i rc=0
	exec {lockfd}>/tmp/ei-harness.lock
	flock -w 60 "$lockfd" || {
		exec {lockfd}>&-
		_ei_log "cannot take /tmp/ei-harness.lock"
		return 1
	}
	ei_cleanup_stale

	x=$((EI_ID % 250 + 2))
	for ((i = 0; i < 250; i++)); do
		if ! ip -4 -o addr show | grep -q " 10\.77\.$x\." &&
			! ip -4 route show | grep -q "^10\.77\.$x\."; then
			break
		fi
		x=$(((x - 2 + 1) % 250 + 2))
	done
	if ((i == 250)); then
		_ei_log "no free 10.77.X.0/24 subnet"
		rc=1
	fi
	if ((rc == 0)); then
		EI_SUBNET=10.77.$x
		EI_BRIDGE_IP=$EI_SUBNET.1
		export EI_SUBNET EI_BRIDGE_IP
		echo "$EI_BRIDGE" >"$EI_RUN/bridge"
		{
			ip link add "$EI_BRIDGE" type bridge &&
				ip addr add "$EI_BRIDGE_IP/24" dev "$EI_BRIDGE" &&
				ip link set "$EI_BRIDGE" up
		} || rc=1
		# Never forward what pods send elsewhere, and no IPv6 chatter.
		sysctl -qw "net.ipv4.conf.$EI_BRIDGE.forwarding=0" 2>/dev/null || true
		sysctl -qw "net.ipv6.conf.$EI_BRIDGE.disable_ipv6=1" 2>/dev/null || true
		_ei_firewall_allow "$EI_BRIDGE" "$EI_ID" || rc=1
	fi
	exec {lockfd}>&-
	return "$rc"
}

_ei_setup_unbound()
{
	local conf=$EI_RUN/unbound.conf
	cat >"$conf" <<EOF
server:
	interface: $EI_BRIDGE_IP
	port: 53
	interface-automatic: no
	do-ip4: yes
	do-ip6: no
	do-udp: yes
	do-tcp: yes
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$EI_RUN"
	pidfile: "$EI_RUN/unbound.pid"
	logfile: "$EI_RUN/unbound.log"
	use-syslog: no
	verbosity: 1
	log-queries: yes
	num-threads: 1
	outgoing-range: 32
	num-queries-per-thread: 32
	msg-cache-size: 256k
	rrset-cache-size: 256k
	key-cache-size: 64k
	neg-cache-size: 64k
	infra-cache-numhosts: 100
	module-config: "iterator"
	access-control: 0.0.0.0/0 refuse
	access-control: $EI_SUBNET.0/24 allow
	access-control: 127.0.0.0/8 allow
	# Everything outside our zone is answered here (NXDOMAIN): nothing is ever forwarded.
	local-zone: "." static
	local-zone: "$EI_DOMAIN." static
remote-control:
	control-enable: yes
	control-interface: "$EI_RUN/unbound.ctl"
	control-use-cert: no
EOF
	setsid "$EI_UNBOUND" -c "$conf" </dev/null >>"$EI_RUN/unbound.out" 2>&1 &
	echo $! >"$EI_RUN/unbound.launch.pid"
	disown $!
	if ! wait_for 10 ubctl status; then
		_ei_log "unbound does not answer; its output:"
		tail -n 20 "$EI_RUN/unbound.out" "$EI_RUN/unbound.log" 2>/dev/null >&2
		return 1
	fi
	# And answers queries on the bridge address.
	wait_for 5 dig +time=1 +tries=1 @"$EI_BRIDGE_IP" -p 53 "localhost." A || {
		_ei_log "unbound does not answer DNS queries on $EI_BRIDGE_IP:53"
		return 1
	}
}

# ubctl ARGS...: unbound-control of this run's unbound.
ubctl()
{
	timeout 10 "$EI_UNBOUND_CONTROL" -c "$EI_RUN/unbound.conf" "$@"
}

# Kills the pods of one run dir, by process group and by netns membership.
_ei_kill_run_pods()
{
	local run=$1 prefix=$2 d pg pids ns i p
	# PID 1s first, so that their parent (the "unshare" bash) reaps them and records
	# their status (killing it first would leave zombies to the machine's init).
	for d in "$run"/*/; do
		[[ -f $d/pid && ! -f $d/exit ]] || continue
		p=$(<"$d/pid")
		[[ $p =~ ^[0-9]+$ ]] || continue
		pids=$(pgrep -P "$p")
		# shellcheck disable=SC2086 # a list of pids
		[[ -n $pids ]] && kill -KILL $pids 2>/dev/null
	done
	for d in "$run"/*/; do
		[[ -f $d/pid ]] || continue
		p=$(<"$d/pid")
		for ((i = 0; i < 30; i++)); do
			[[ -f $d/exit ]] || ! kill -0 "$p" 2>/dev/null && break
			sleep 0.1
		done
	done
	for d in "$run"/*/; do
		[[ -f $d/pgid ]] || continue
		pg=$(<"$d/pgid")
		[[ $pg =~ ^[0-9]+$ ]] && kill -KILL -- "-$pg" 2>/dev/null
	done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[[ $ns == "$prefix"-* ]] || continue
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086 # a list of pids
		[[ -n $pids ]] && kill -KILL $pids 2>/dev/null
	done
	# Wait (bounded) for the processes to be gone.
	for ((i = 0; i < 50; i++)); do
		pids=""
		for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
			[[ $ns == "$prefix"-* ]] || continue
			pids+=$(ip netns pids "$ns" 2>/dev/null)
		done
		[[ -z $pids ]] && break
		sleep 0.1
	done
}

_ei_stop_unbound()
{
	local run=$1 pid i
	for f in "$run/unbound.pid" "$run/unbound.launch.pid"; do
		[[ -f $f ]] || continue
		pid=$(<"$f")
		[[ $pid =~ ^[0-9]+$ ]] || continue
		# Only an unbound started with this run's config.
		{ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF "$run/unbound.conf" || continue
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	return 0
}

# A running Docker engine sets the iptables FORWARD policy to DROP, and with br_netfilter
# loaded (bridge-nf-call-iptables=1) that also drops traffic between two ports of our
# bridge: let the bridge's own traffic through (one rule, tagged with the run id, removed
# at teardown). Nothing else changes: traffic to other interfaces is still not forwarded.
_ei_firewall_allow()
{
	local bridge=$1 id=$2
	command -v iptables >/dev/null 2>&1 || return 0
	iptables -S FORWARD >/dev/null 2>&1 || return 0
	iptables -I FORWARD 1 -i "$bridge" -o "$bridge" -m comment --comment "ei-harness $id" -j ACCEPT
}

_ei_firewall_remove()
{
	local id=$1 rule
	command -v iptables >/dev/null 2>&1 || return 0
	while rule=$(iptables -S FORWARD 2>/dev/null | grep -F -- "--comment \"ei-harness $id\"" | head -n 1) &&
		[[ -n $rule ]]; do
		# shellcheck disable=SC2086 # the rule's own words
		eval "iptables ${rule/-A FORWARD/-D FORWARD}" 2>/dev/null || break
	done
	return 0
}

# Removes the namespaces, veths, bridge, firewall rule and /etc/netns dirs of one run id.
_ei_remove_net()
{
	local id=$1 ns l
	_ei_firewall_remove "$id"
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
		[[ $l =~ ^ei[vp]${id}n[0-9]+$ ]] && ip link del "$l" 2>/dev/null
	done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[[ $ns == "ei$id"-* ]] && ip netns del "$ns" 2>/dev/null
	done
	for ns in /etc/netns/ei"$id"-*; do
		[[ -d $ns ]] && rm -rf -- "$ns"
	done
	ip link show "eib$id" >/dev/null 2>&1 && ip link del "eib$id" 2>/dev/null
	return 0
}

# ei_cleanup_stale: removes what crashed runs left behind: anything named after a run id
# whose shell is gone (or after our own id, which a crashed earlier run could have had).
ei_cleanup_stale()
{
	local ids="" id name run
	for name in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}'); do
		[[ $name =~ ^eib([0-9]+)$ ]] && ids+=" ${BASH_REMATCH[1]}"
	done
	for name in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[[ $name =~ ^ei([0-9]+)- ]] && ids+=" ${BASH_REMATCH[1]}"
	done
	for name in /tmp/ei-run.*; do
		[[ -d $name && ! -e $name/torn-down && $name != "${EI_RUN:-}" && $name =~ ^/tmp/ei-run\.([0-9]+)\. ]] && ids+=" ${BASH_REMATCH[1]}"
	done
	for name in /etc/netns/ei*-*; do
		[[ -d $name && $name =~ ^/etc/netns/ei([0-9]+)- ]] && ids+=" ${BASH_REMATCH[1]}"
	done
	for id in $(tr ' ' '\n' <<<"$ids" | sort -u); do
		[[ -n $id ]] || continue
		if [[ $id != "${EI_ID:-}" ]] && kill -0 "$id" 2>/dev/null; then
			continue # a live run
		fi
		_ei_log "cleaning stale state of run $id"
		for run in /tmp/ei-run."$id".*; do
			[[ -d $run && $run != "${EI_RUN:-}" ]] || continue
			_ei_kill_run_pods "$run" "ei$id"
			_ei_stop_unbound "$run"
			if [[ ${EI_KEEP:-0} == 1 ]]; then
				touch "$run/torn-down"
			else
				rm -rf -- "$run"
			fi
		done
		_ei_kill_run_pods /nonexistent "ei$id"
		_ei_remove_net "$id"
	done
	return 0
}

# ei_env_teardown: kills every pod, stops unbound, removes namespaces, veths, bridge,
# /etc/netns dirs and (unless EI_KEEP=1) the run dir. Idempotent; safe after a half-done
# setup.
ei_env_teardown()
{
	[[ -n ${EI_RUN:-} && -z ${EI_TORN_DOWN:-} ]] || return 0
	EI_TORN_DOWN=1
	local h
	for h in "${EI_TEARDOWN_HOOKS[@]}"; do
		eval "$h" || true
	done
	_ei_kill_run_pods "$EI_RUN" "$EI_PREFIX"
	_ei_stop_unbound "$EI_RUN"
	_ei_remove_net "$EI_ID"
	if [[ ${EI_KEEP:-0} == 1 ]]; then
		touch "$EI_RUN/torn-down"
		printf '# kept run dir %s\n' "$EI_RUN"
	else
		rm -rf -- "$EI_RUN"
	fi
	return 0
}
[[ -v EI_TEARDOWN_HOOKS ]] || EI_TEARDOWN_HOOKS=()

# ---------------------------------------------------------------- pods

# pod_create N: netns with a veth into the bridge, IP, lo up, default route, resolv.conf,
# data dir (0700). Publishes nothing in DNS.
pod_create()
{
	local n=$1 ns vh vp dir
	ns=$(pod_ns "$n")
	vh=$(_ei_veth_host "$n")
	vp=$(_ei_veth_pod "$n")
	dir=$(pod_dir "$n")
	if ip netns list | awk '{print $1}' | grep -qx -- "$ns"; then
		_ei_log "pod $n exists already"
		return 1
	fi
	ip netns add "$ns" || return 1
	echo "$n" >>"$EI_RUN/pods"
	# IPv4 only on eth0 (interfaces moved in later take "default"); lo keeps ::1.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	ip link add "$vh" type veth peer name "$vp" || return 1
	sysctl -qw "net.ipv6.conf.$vh.disable_ipv6=1" 2>/dev/null
	ip link set "$vp" netns "$ns" &&
		ip link set "$vh" master "$EI_BRIDGE" &&
		ip link set "$vh" up &&
		ip -n "$ns" link set "$vp" name eth0 &&
		ip -n "$ns" addr add "$(pod_ip "$n")/24" dev eth0 &&
		ip -n "$ns" link set lo up &&
		ip -n "$ns" link set eth0 up &&
		ip -n "$ns" route add default via "$EI_BRIDGE_IP" || return 1
	mkdir -p "/etc/netns/$ns" || return 1
	printf 'nameserver %s\nsearch %s.svc.%s svc.%s %s\noptions ndots:5\n' \
		"$EI_BRIDGE_IP" "$EI_NAMESPACE" "$EI_DOMAIN" "$EI_DOMAIN" "$EI_DOMAIN" \
		>"/etc/netns/$ns/resolv.conf" || return 1
	mkdir -p "$dir/data" && chmod 700 "$dir/data" && touch "$dir/log"
}

# pod_destroy N: stops the pod (SIGKILL) and removes its netns (its data dir stays).
pod_destroy()
{
	local n=$1 ns
	ns=$(pod_ns "$n")
	pod_running "$n" && pod_kill "$n" >/dev/null
	ip link del "$(_ei_veth_host "$n")" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf -- "/etc/netns/$ns"
	return 0
}

# Environment of a pod's PID 1: clean, like a container's.
_ei_pod_env()
{
	local n=$1 v
	printf '%s\0' "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		"HOSTNAME=$(pod_name "$n")" "SERVICE_NAME=$EI_SERVICE" "K8S_NAMESPACE=$EI_NAMESPACE"
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MSAN_OPTIONS; do
		[[ -n ${!v:-} ]] && printf '%s\0' "$v=${!v}"
	done
	for v in "${EI_POD_ENV[@]}"; do
		printf '%s\0' "$v"
	done
}
[[ -v EI_POD_ENV ]] || EI_POD_ENV=()

# pod_start N CMD ARGS...: CMD becomes PID 1 of a new PID (and UTS: hostname = pod name)
# namespace inside pod N's netns, in its own session, cwd = the pod dir, stdout+stderr
# appended to the pod's log. Its environment is clean, like a container's: PATH, HOSTNAME,
# SERVICE_NAME, K8S_NAMESPACE (+ ASAN/UBSAN options and "K=V" entries of the array
# EI_POD_ENV); prefix CMD with `env K=V` for more. Signal dispositions default, mask
# empty, only fds 0-2 open (stdin /dev/null).
pod_start()
{
	local n=$1 dir ns i
	shift
	dir=$(pod_dir "$n")
	ns=$(pod_ns "$n")
	[[ -d $dir && -e /run/netns/$ns ]] || {
		_ei_log "pod $n does not exist (pod_create first)"
		return 1
	}
	if pod_running "$n"; then
		_ei_log "pod $n is running already"
		return 1
	fi
	rm -f "$dir/pid" "$dir/pgid" "$dir/exit" "$dir/exit.tmp" "$dir/pid.tmp"
	local -a envv=()
	mapfile -d '' envv < <(_ei_pod_env "$n")
	# A new session (own process group) whose leader closes inherited fds and becomes,
	# through ip netns exec and unshare (no --fork), the "unshare process": a bash in new
	# mount and UTS namespaces whose children are in a new PID namespace. Its one child is
	# PID 1: it mounts the namespace's /proc, sets the hostname and execs CMD. That bash
	# records its pid and, once PID 1 is gone, PID 1's exact exit status (128+n when killed
	# by signal n; unshare --fork itself reports 1 for a SIGKILLed child in util-linux 2.38).
	# The leader's pid stays the same through ip netns exec, unshare and the inner bash.
	# The inner bash must not fork before PID 1 (its first child becomes PID 1) nor after
	# it (the namespace is gone): only builtins, and exec for the final rename.
	# shellcheck disable=SC2016
	local leader='ns=$1 inner=$2 pid1=$3; shift 3
		echo $$ >pgid
		echo $$ >pid.tmp && mv pid.tmp pid
		for fd in /proc/$$/fd/*; do
			fd=${fd##*/}
			((fd > 2)) && eval "exec $fd>&-"
		done
		exec ip netns exec "$ns" unshare --pid --mount --uts --propagation private \
			bash -c "$inner" ei-pod "$pid1" "$@"'
	# shellcheck disable=SC2016
	local inner='pid1=$1; shift
		sh -c "$pid1" "$@" &
		exec 2>/dev/null # no "Killed" job report in the pod log
		wait $!
		echo $? >exit.tmp
		exec mv exit.tmp exit'
	# shellcheck disable=SC2016
	local pid1='mount -t proc proc /proc && hostname "$0" && exec "$@"'
	(cd "$dir" && exec setsid bash -c "$leader" ei-pod "$ns" "$inner" "$pid1" \
		"$(pod_name "$n")" env -i --default-signal "${envv[@]}" "$@" \
		</dev/null >>"$dir/log" 2>&1) &
	disown $! # no "Killed" job reports from this shell
	for ((i = 0; i < 100; i++)); do
		[[ -f $dir/pid ]] && return 0
		sleep 0.05
	done
	_ei_log "pod $n did not start"
	return 1
}

# pod_running N: PID 1 of pod N (started by pod_start) has not exited yet.
pod_running()
{
	local dir pid
	dir=$(pod_dir "$1")
	[[ -f $dir/pid && ! -f $dir/exit ]] || return 1
	pid=$(<"$dir/pid")
	kill -0 "$pid" 2>/dev/null
}

# pod_pid1 N: the host PID of the pod's PID 1 (the child of unshare); waits up to 2 s.
pod_pid1()
{
	local dir pid c i
	dir=$(pod_dir "$1")
	[[ -f $dir/pid ]] || return 1
	pid=$(<"$dir/pid")
	for ((i = 0; i < 40; i++)); do
		c=$(pgrep -P "$pid" 2>/dev/null | head -n 1)
		if [[ -n $c ]]; then
			echo "$c"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# pod_exit_status N: the recorded exit status of PID 1 (fails while it runs).
pod_exit_status()
{
	local f
	f=$(pod_dir "$1")/exit
	[[ -f $f ]] && cat "$f"
}

# pod_wait_exit N TIMEOUT_S: waits for PID 1 to exit and prints its exit status
# (128+n when killed by signal n); prints "timeout" and returns 1 otherwise.
pod_wait_exit()
{
	local n=$1 timeout=${2:-15} f deadline
	f=$(pod_dir "$n")/exit
	deadline=$(($(ei_now_ms) + timeout * 1000))
	while [[ ! -f $f ]]; do
		if (($(ei_now_ms) >= deadline)); then
			echo timeout
			return 1
		fi
		if [[ ! -f $(pod_dir "$n")/pid ]]; then
			echo "not-started"
			return 1
		fi
		sleep 0.1
	done
	cat "$f"
}

# pod_stop N [SIGNAL]: sends SIGNAL (default TERM) to the pod's PID 1 (which, as PID 1,
# receives only signals it handles or blocks; KILL always), waits up to $EI_STOP_TIMEOUT
# (15) s, like a kubelet's grace period, then SIGKILLs it. Returns PID 1's exit status (128+n if killed by signal n), or 0 if it
# was not running and no status is known.
pod_stop()
{
	local n=$1 sig=${2:-TERM} p1 st
	if ! pod_running "$n"; then
		st=$(pod_exit_status "$n") || st=0
		return "$st"
	fi
	p1=$(pod_pid1 "$n")
	if [[ -n $p1 ]]; then
		kill -s "$sig" "$p1" 2>/dev/null
	fi
	st=$(pod_wait_exit "$n" "${EI_STOP_TIMEOUT:-15}")
	if [[ $st == timeout ]]; then
		_ei_log "pod $n did not exit on SIG$sig within ${EI_STOP_TIMEOUT:-15} s: SIGKILL"
		p1=$(pod_pid1 "$n")
		[[ -n $p1 ]] && kill -KILL "$p1" 2>/dev/null
		st=$(pod_wait_exit "$n" 5)
		if [[ $st == timeout ]]; then
			kill -KILL -- "-$(<"$(pod_dir "$n")/pgid")" 2>/dev/null
			st=$(pod_wait_exit "$n" 5) || st=255
		fi
	fi
	[[ $st =~ ^[0-9]+$ ]] || st=255
	return "$st"
}

# pod_kill N: SIGKILL to PID 1 (like a node loss or kill -9); returns 137.
pod_kill()
{
	pod_stop "$1" KILL
}

# pod_wipe N: deletes the data dir contents (a lost volume); keeps the dir (0700).
pod_wipe()
{
	local d
	d=$(pod_data "$1")
	[[ -n $d && -d $d ]] || return 1
	find "$d" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
	chmod 700 "$d"
}

# pod_log N: the pod's log (all starts).
pod_log()
{
	cat "$(pod_dir "$1")/log"
}

# pod_exec N CMD ARGS...: runs CMD inside the pod, like kubectl exec: in all namespaces
# of the running PID 1 (net, pid, mount with the pod's /proc and resolv.conf, uts), or in
# the pod's netns (with its resolv.conf) when nothing runs. Same clean environment.
pod_exec()
{
	local n=$1 p1
	shift
	local -a envv=()
	mapfile -d '' envv < <(_ei_pod_env "$n")
	if pod_running "$n" && p1=$(pod_pid1 "$n"); then
		nsenter --target "$p1" --net --pid --mount --uts --root --wd="$(pod_dir "$n")" \
			env -i "${envv[@]}" "$@"
	else
		(cd "$(pod_dir "$n")" && ip netns exec "$(pod_ns "$n")" env -i "${envv[@]}" "$@")
	fi
}

# pod_resolve N NAME: IPv4 addresses of NAME as pod N's libc resolver sees them (its
# resolv.conf: search list, ndots:5), one per line; fails when NAME doesn't resolve.
pod_resolve()
{
	local out
	out=$(timeout 10 ip netns exec "$(pod_ns "$1")" getent ahostsv4 "$2" | awk '{print $1}' | sort -u)
	[[ -n $out ]] && printf '%s\n' "$out"
}

# pod_dig N NAME [TYPE]: dig +search from inside pod N (its resolv.conf); answers only.
pod_dig()
{
	local out
	out=$(timeout 10 ip netns exec "$(pod_ns "$1")" dig +search +short +time=1 +tries=2 -t "${3:-A}" "$2" | sort)
	[[ -n $out ]] && printf '%s\n' "$out"
}

# ---------------------------------------------------------------- DNS

# dns_add "RR": adds one record (e.g. "x.cluster.local. 5 IN A 10.77.1.10"); a record of
# a name/type that has records already is appended (an identical one is not duplicated).
dns_add()
{
	ubctl local_data "$1" >/dev/null
}

# dns_remove NAME: removes every record of NAME (all types).
dns_remove()
{
	ubctl local_data_remove "${1%.}." >/dev/null
}

_ei_srv_rr()
{
	# kube-dns style: priority 0, equal weight.
	printf '%s. 5 IN SRV 0 100 %s %s.\n' "$(srv_name "$1")" "$2" "$(pod_fqdn "$3")"
}

# dns_publish N: A record of pod_fqdn N (TTL 5) and its targets in the SRV sets
# _etcd-server._tcp (2380) and _etcd-client._tcp (2379).
dns_publish()
{
	local n=$1
	dns_add "$(pod_fqdn "$n"). 5 IN A $(pod_ip "$n")" &&
		dns_add "$(_ei_srv_rr server 2380 "$n")" &&
		dns_add "$(_ei_srv_rr client 2379 "$n")" || return 1
	grep -qx -- "$n" "$EI_RUN/dns/published" || echo "$n" >>"$EI_RUN/dns/published"
}

# dns_unpublish N: removes pod N's A record and SRV targets, keeping the other pods' SRV
# targets (unbound removes a whole name: the SRV names are removed and the remaining
# targets added back, so for an instant the SRV sets are empty).
dns_unpublish()
{
	local n=$1 m rest
	rest=$(grep -vx -- "$n" "$EI_RUN/dns/published")
	printf '%s\n' "$rest" | sed '/^$/d' >"$EI_RUN/dns/published"
	dns_remove "$(pod_fqdn "$n")" || return 1
	dns_remove "$(srv_name server)" && dns_remove "$(srv_name client)" || return 1
	for m in $rest; do
		dns_add "$(_ei_srv_rr server 2380 "$m")" && dns_add "$(_ei_srv_rr client 2379 "$m")" || return 1
	done
}

# dns_published: the ordinals published now, one per line.
dns_published()
{
	cat "$EI_RUN/dns/published"
}

# dns_lookup NAME [TYPE]: asks our DNS server directly (no search list); prints the
# answers (dig +short, sorted), fails when there is none.
dns_lookup()
{
	local out
	out=$(timeout 10 dig +short +time=1 +tries=2 @"$EI_BRIDGE_IP" -t "${2:-A}" "$1" | sort)
	[[ -n $out ]] && printf '%s\n' "$out"
}

# dns_list: the records we serve under the cluster domain (unbound's local data).
dns_list()
{
	ubctl list_local_data | grep -F ".$EI_DOMAIN." | grep -vF ' SOA ' | sort
}

# ---------------------------------------------------------------- etcd

: "${EI_ETCDCTL_TIMEOUT:=5}"

# ectl N ARGS...: etcdctl (API v3) against pod N's client URL (by IP, from the host):
# ${EI_CLIENT_SCHEME:-http}, with the arguments of the array EI_ECTL_ARGS first
# (--cacert/--cert/--key for TLS, --user for auth).
[[ -v EI_ECTL_ARGS ]] || EI_ECTL_ARGS=()
ectl()
{
	local n=$1
	shift
	env -u ETCDCTL_BIN -u ETCDCTL_ENDPOINTS -u ETCDCTL_CACERT -u ETCDCTL_CERT -u ETCDCTL_KEY -u ETCDCTL_API \
		-u ETCDCTL_USER -u ETCDCTL_PASSWORD \
		timeout $((EI_ETCDCTL_TIMEOUT + 5)) "$ETCDCTL_BIN" \
		--endpoints="${EI_CLIENT_SCHEME:-http}://$(pod_ip "$n"):2379" \
		--dial-timeout=2s --command-timeout="${EI_ETCDCTL_TIMEOUT}s" "${EI_ECTL_ARGS[@]}" "$@"
}

# healthy N: pod N's etcd answers `endpoint health`.
healthy()
{
	ectl "$1" endpoint health >/dev/null 2>&1
}

# wait_healthy "0 1 2" TIMEOUT_S: waits until every listed member is healthy.
wait_healthy()
{
	local list=$1 timeout=${2:-60} deadline n bad
	deadline=$(($(ei_now_ms) + timeout * 1000))
	while :; do
		bad=""
		for n in $list; do
			healthy "$n" || bad+=" $n"
		done
		[[ -z $bad ]] && return 0
		if (($(ei_now_ms) >= deadline)); then
			_ei_log "not healthy after ${timeout}s:$bad"
			return 1
		fi
		sleep 0.5
	done
}

# Ordinals of pods that have been created in this run.
_ei_pods()
{
	sort -nu "$EI_RUN/pods"
}

# any_healthy: prints the first created pod whose etcd is healthy.
any_healthy()
{
	local n
	for n in $(_ei_pods); do
		pod_running "$n" && healthy "$n" && {
			echo "$n"
			return 0
		}
	done
	return 1
}

# IDs as exact decimal strings (jq would round uint64 numbers).
_ei_quote_ids()
{
	sed -E 's/"(ID|cluster_id|member_id|leader)":([0-9]+)/"\1":"\2"/g'
}

# member_list_json [N]: `member list -w json` from pod N (default: any healthy pod), with
# the IDs as decimal strings: {"header":{...},"members":[{"ID":"...","name":...,
# "peerURLs":[...],"clientURLs":[...],"isLearner":true?}]}.
member_list_json()
{
	local n=${1:-} out
	if [[ -z $n ]]; then
		n=$(any_healthy) || return 1
	fi
	out=$(ectl "$n" member list -w json) || return 1
	printf '%s\n' "$out" | _ei_quote_ids
}

# member_count [N], voter_count [N], learner_count [N]
member_count() { member_list_json "${1:-}" | jq '.members | length'; }
voter_count() { member_list_json "${1:-}" | jq '[.members[] | select(.isLearner != true)] | length'; }
learner_count() { member_list_json "${1:-}" | jq '[.members[] | select(.isLearner == true)] | length'; }

# endpoint_status_json N: `endpoint status -w json` of pod N (IDs as decimal strings).
endpoint_status_json()
{
	local out
	out=$(ectl "$1" endpoint status -w json) || return 1
	printf '%s\n' "$out" | _ei_quote_ids
}

# cluster_id N / member_id N: decimal IDs as pod N's etcd reports them.
cluster_id()
{
	endpoint_status_json "$1" | jq -er '.[0].Status.header.cluster_id'
}
member_id()
{
	endpoint_status_json "$1" | jq -er '.[0].Status.header.member_id'
}

# put_key K V [N] / get_key K [N]: through pod N (default: any healthy pod); get_key
# prints the value only (nothing, and fails, when the key is absent).
put_key()
{
	local n=${3:-}
	[[ -n $n ]] || n=$(any_healthy) || return 1
	ectl "$n" put -- "$1" "$2" >/dev/null
}
get_key()
{
	local n=${2:-} out
	[[ -n $n ]] || n=$(any_healthy) || return 1
	out=$(ectl "$n" get --print-value-only -- "$1") || return 1
	[[ -n $out ]] && printf '%s\n' "$out"
}

# static_flags N SIZE: the official StatefulSet manifest's etcd flags for pod N.
static_flags()
{
	local n=$1 size=$2 fqdn
	fqdn=$(pod_fqdn "$n")
	printf '%s\n' --name "$(pod_name "$n")" \
		--listen-peer-urls http://0.0.0.0:2380 \
		--listen-client-urls http://0.0.0.0:2379 \
		--advertise-client-urls "http://$fqdn:2379" \
		--initial-advertise-peer-urls "http://$fqdn:2380" \
		--initial-cluster "$(initial_cluster "$size")" \
		--initial-cluster-token "etcd-$EI_NAMESPACE" \
		--initial-cluster-state new \
		--data-dir "$(pod_data "$n")" \
		--listen-metrics-urls http://0.0.0.0:8080
}

# static_pod_start N SIZE: plain etcd (no etcd-init) with the manifest's static flags.
static_pod_start()
{
	local -a flags
	mapfile -t flags < <(static_flags "$1" "$2")
	pod_start "$1" "$ETCD_BIN" "${flags[@]}"
}
