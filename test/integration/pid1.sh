#!/usr/bin/env bash
# PID 1: SIGTERM while waiting for DNS ends etcd-init at once with 143; the exec'd
# process (a fake etcd that reports its state) gets default dispositions, an empty
# mask, nothing pending and only fds 0-2, and the user's ETCD_* values are honoured
# without being passed twice.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

# sigterm_within_1s WHAT: SIGTERM to pod 0's PID 1; it must exit 143 within 1 s.
sigterm_within_1s()
{
	local start status elapsed
	start=$(ei_now_ms)
	pod_stop 0 TERM
	status=$?
	elapsed=$(($(ei_now_ms) - start))
	is "$status" 143 "SIGTERM while $1: exit 143"
	ok "exited within 1 s (took ${elapsed} ms)" test "$elapsed" -lt 1000
}

# SIGTERM while waiting for our own DNS record (never published).
pod_create 0
launch 0
ok "waiting for DNS" wait_for 10 log_has 0 'waiting for DNS'
sigterm_within_1s "waiting for DNS"
ok "logged the signal" log_has 0 'signal=SIGTERM'

# SIGTERM while waiting for peers (own name resolves, nobody else does).
dns_publish 0
launch 0
ok "waiting for peers" wait_for 15 log_has 0 'a bootstrap needs every other member of the set'
sigterm_within_1s "waiting for peers"

# The exec'd process's state: a single-member cluster exec's the fake etcd, started by
# a parent that ignores SIGINT and blocks SIGUSR1 (etcd-init must hand over a clean state).
report=$(pod_dir 0)/report
EI_POD_ENV=("FAKE_ETCD_REPORT=$report" "ETCD_LISTEN_METRICS_URLS=http://0.0.0.0:9999")
pod_start 0 env --ignore-signal=INT --block-signal=USR1 "$ETCD_INIT" --etcd "$FAKE_ETCD" \
	--data-dir "$(pod_data 0)" --initial-cluster-size 1 --wait-timeout 60s -- --log-level=info
ok "the fake etcd ran" wait_for 30 test -s "$report"
status=$(pod_wait_exit 0 30)
is "$status" 0 "fake etcd exited 0"
ok "bootstrapped" log_has 0 'action=bootstrap'
is "$(awk '$1 == "pid" {print $2}' "$report")" 1 "etcd is PID 1 (exec, not fork)"
is "$(awk '$1 == "SigBlk:" {print $2}' "$report")" 0000000000000000 "mask empty"
is "$(awk '$1 == "SigIgn:" {print $2}' "$report")" 0000000000000000 "no signal ignored"
is "$(awk '$1 == "SigPnd:" {print $2}' "$report")" 0000000000000000 "nothing pending (thread)"
is "$(awk '$1 == "ShdPnd:" {print $2}' "$report")" 0000000000000000 "nothing pending (process)"
is "$(awk '$1 == "fd" {print $2}' "$report" | sort -n | tr '\n' ' ')" "0 1 2 " "only fds 0-2 open"
ok "--initial-cluster-state=new passed" grep -qx 'argv --initial-cluster-state=new' "$report"
ok "args after -- appended" grep -qx 'argv --log-level=info' "$report"
ok "ETCD_LISTEN_METRICS_URLS honoured: no --listen-metrics-urls flag" \
	bash -c "! grep -q 'listen-metrics-urls' <(grep '^argv' '$report')"
ok "ETCD_LISTEN_METRICS_URLS reaches etcd" grep -qx 'env ETCD_LISTEN_METRICS_URLS=http://0.0.0.0:9999' "$report"

# Giving up: a scaled-up ordinal with no cluster to join waits, never bootstraps, and
# exits 3 with the reason once --wait-timeout has passed.
pod_create 3
dns_publish 3
pod_start 3 "$ETCD_INIT" --etcd "$ETCD_BIN" --data-dir "$(pod_data 3)" --wait-timeout 4s
is "$(pod_wait_exit 3 20)" 3 "wait timeout: exit 3"
ok "wait timeout: says it gave up and why" log_has 3 'gave up after --wait-timeout=4s.*never bootstraps'
ok "wait timeout: no data written" test -z "$(ls -A "$(pod_data 3)")"
done_testing
