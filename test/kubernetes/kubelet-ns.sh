#!/usr/bin/env bash
# kubelet-ns.sh FAKE_DIR COMMAND...: run as `unshare -m --propagation unchanged
# kubelet-ns.sh ...` by setup.sh. In this private mount namespace, the kernel tunables
# the kubelet insists on writing (vm.overcommit_memory=1, kernel.panic=10, ...) are
# plain files in FAKE_DIR bound over their /proc/sys entries, so the host's values are
# never changed; then COMMAND (the kubelet) is exec'd.
set -euo pipefail

fake=$1
shift
# /proc is private on the host already; made so here too, so no bind below can
# propagate back to the host.
mount --make-rprivate /proc
mkdir -p "$fake"
for kv in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 \
	kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do
	key=${kv%%=*}
	file=$fake/${key//\//_}
	echo "${kv#*=}" >"$file"
	mount --bind "$file" "/proc/sys/$key"
done
exec "$@"
