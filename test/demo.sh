#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine, as root:
#   ./test/demo.sh [3.4|3.5|3.6]   (default 3.6, the version the seed manifest runs)
# installs what it needs (test/setup.sh), builds etcd-init, and starts a local 3-member
# etcd cluster with etcd-init as PID 1 of three "pods" (network namespaces with their
# own IP and a resolv.conf pointing at unbound, the cluster DNS). The pods start before
# their DNS records exist, as in Kubernetes; the records are published one by one.
# It then shows the member list, health, a key written and read back, and what
# `etcd-init plan` and `etcd-init diagnose` say in a pod. On a terminal it keeps the
# cluster running until Enter or Ctrl-C; otherwise (or with DEMO_EXIT=1) it stops and
# cleans up at once.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
version=${1:-3.6}

echo "demo: setting up (packages, etcd 3.5 and 3.6; the details go to /var/cache/etcd-init/setup.log)"
envs=$(bash test/setup.sh) || { echo "demo: setup failed" >&2; exit 1; }
eval "$envs"
echo "demo: building etcd-init (log: build-demo.log)"
{
	[[ -d build-demo ]] || meson setup build-demo -Dbuildtype=release -Dwerror=true
	meson compile -C build-demo cmd/etcd-init:executable
} >build-demo.log 2>&1 || { tail -20 build-demo.log >&2; echo "demo: build failed: see build-demo.log" >&2; exit 1; }
ETCD_INIT=$PWD/build-demo/cmd/etcd-init

source test/integration/lib.sh
say() { printf '\n== %s\n' "$*"; }
ei_env_setup "$version" >/dev/null

echo "demo: starting 3 pods (network namespaces) and the cluster DNS (unbound)"
say "etcd $version; three pods start etcd-init before their DNS records exist"
for n in 0 1 2; do
	pod_create "$n"
	pod_start "$n" "$ETCD_INIT" --etcd "$ETCD_BIN" --data-dir "$(pod_data "$n")" --wait-timeout 120s
done
sleep 1
for n in 0 1 2; do
	echo "publishing $(pod_fqdn "$n") -> $(pod_ip "$n")"
	dns_publish "$n"
	sleep 1
done
start=$SECONDS
if ! wait_healthy "0 1 2" 90; then
	echo "demo: the cluster did not become healthy; the pods' logs:" >&2
	for n in 0 1 2; do pod_log "$n" | grep -v '^20\|^raft' | tail -15 >&2; done
	exit 1
fi
say "healthy $((SECONDS - start)) s after the last record was published"
ectl 0 member list -w table
# From inside a pod, where the cluster DNS resolves the advertised names.
pod_exec 0 "$ETCDCTL_BIN" --endpoints="http://$(pod_fqdn 0):2379" endpoint health --cluster -w table
for n in 0 1 2; do
	echo "etcd-init log of etcd-$n:"
	pod_log "$n" | grep -E 'msg="(decision|starting etcd)"' | sed 's/^/  /'
done

say "a key written through etcd-0, read through etcd-2"
put_key demo "hello from etcd-init" 0 && get_key demo 2

say "kubectl exec etcd-1 -- etcd-init plan   (a dry run: changes nothing)"
pod_exec 1 "$ETCD_INIT" plan --etcd "$ETCD_BIN" --data-dir "$(pod_data 1)"

say "kubectl exec etcd-0 -- etcd-init diagnose   (every peer in one table; read-only)"
pod_exec 0 "$ETCD_INIT" diagnose --etcd "$ETCD_BIN" --data-dir "$(pod_data 0)"

if [[ -t 0 && -z ${DEMO_EXIT:-} ]]; then
	say "the cluster keeps running: etcdctl --endpoints=http://$(pod_ip 0):2379 member list"
	read -r -p "press Enter to stop it and clean up " _
fi
say "stopping"
exit 0
