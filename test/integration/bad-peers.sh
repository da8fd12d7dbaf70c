#!/usr/bin/env bash
# Silence or garbage is never "no data": pod 0 (etcd-init, empty volume) may bootstrap only
# when every other peer says through its etcd-init status that it has no WAL. Pod 1 is a
# waiting etcd-init that says so; pod 2 is $BAD_PEER (test/tools/bad-peer.c), which
# misbehaves in one way per test group. Each time pod 0 must wait, name etcd-2 and what
# was wrong in its decision, change nothing, keep running, and stay small. Last, a real
# etcd-init in pod 2: the three bootstrap one healthy cluster (the positive control).
# The helpers below run through ok/wait_for (SC2317); lib.sh is found next to this file.
# shellcheck source-path=SCRIPTDIR disable=SC1091,SC2119,SC2317
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup
[[ -x ${BAD_PEER:-} ]] || bail_out "BAD_PEER is not set to the bad-peer test tool"

bad_host=$(pod_fqdn 2)
good_host=$(pod_fqdn 1)
for n in 0 1 2; do
	pod_create "$n"
	dns_publish "$n"
done
launch 1 --wait-timeout 600s
ok "pod 1 (etcd-init, no WAL) waits" wait_for 10 log_has 1 'msg="decision" action=wait'

# bad_part: the part about the bad peer in the reasons of pod 0's decisions to wait
# (since log_mark 0): "<bad host>: status ...; member list ...; peer API ...".
bad_part()
{
	log_new 0 | grep -E 'msg="decision" action=wait ' |
		grep -oE "${bad_host//./\\.}: [^;\"]*(; (status|member list|peer API|version)[^;\"]*)*"
}
# reason_ok ERE: such a part matches ERE.
reason_ok() { bad_part | grep -Eq -- "$1"; }
# asked_twice: the bad peer logged (since log_mark 2) two status requests from pod 0.
asked_twice()
{
	local ip
	ip=$(pod_ip 0)
	(($(log_new 2 | grep -cE "from=${ip//./\\.}:[0-9]+ request=\"GET /etcd-init/v1/status[ ?]") >= 2))
}

# The 20 MB bound is for the real binary. AddressSanitizer (run-tests.sh --sanitize)
# keeps freed memory in quarantine (up to 256 MB) and adds its shadow: there the figure
# is printed, not checked.
rss_limit=20480
sanitized=
if ldd "$ETCD_INIT" 2>/dev/null | grep -q 'libasan'; then
	sanitized=1
	diag "sanitizer build of etcd-init: peak RSS printed, not checked"
fi

# mode and what pod 0's reason must say about etcd-2 (an extended regex).
modes=(
	refuse 'status refused'
	silent 'status timeout'
	drip 'status timeout'
	reset 'status closed'
	close 'status closed'
	http500 'status http-error: .*500'
	redirect 'status http-error: .*302'
	tls 'status (tls|malformed)'
	garbage 'status malformed: .*not JSON'
	empty 'status malformed'
	huge 'status malformed: .*larger than'
	wrongtypes 'status malformed'
	toomany 'member list malformed: .*(members|JSON values)'
	deep 'status malformed: .*nested'
	liar 'etcd-init status of etcd-1 .*answered at http://etcd-2\.'
	dupes 'member list malformed: .*same ID 5.*peer API malformed: .*same ID 5'
	inject "member list malformed: .*holds a ',' or '='.*peer API malformed"
)
for ((i = 0; i < ${#modes[@]}; i += 2)); do
	mode=${modes[i]} want=${modes[i + 1]}
	log_mark 0
	log_mark 2
	pod_start 2 "$BAD_PEER" --mode "$mode"
	launch 0 --wait-timeout 600s
	if ! ok "$mode: pod 0 waits and names $bad_host: /$want/" wait_for 8 reason_ok "$want"; then
		diag "$(log_new 0 | grep -E 'msg="decision"' | tail -n 2)"
	fi
	diag "$mode: $(bad_part | tail -n 1 | cut -c 1-300)"
	unlike "$(log_new 0 | grep -E 'msg="decision"' | tail -n 1)" "${good_host//./\\.}: " \
		"$mode: pod 0 does not wait for pod 1 (its etcd-init vouches: no WAL)"
	nok "$mode: pod 0 decided nothing but wait, started no etcd" \
		grep -Eq 'action=(bootstrap|join|start-existing|replace|rejoin)|msg="starting etcd"' <(log_new 0)
	if [[ $mode != refuse ]]; then
		ok "$mode: pod 0 asked the bad peer's status again (a second round)" \
			wait_for 8 asked_twice
	fi
	ok "$mode: pod 0's data dir is still empty" volume_empty 0
	ok "$mode: pod 0 is still running etcd-init" is_etcd_init 0
	hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$(pod_pid1 0)/status")
	diag "$mode: pod 0 peak RSS (VmHWM) ${hwm:-?} kB"
	if [[ -n $sanitized ]]; then
		skip "$mode: pod 0's peak RSS ${hwm:-?} kB < $rss_limit kB" "sanitizer build"
	else
		ok "$mode: pod 0's peak RSS ${hwm:-?} kB < $rss_limit kB" test "${hwm:-99999999}" -lt "$rss_limit"
	fi
	pod_stop 0
	pod_stop 2
	is "$?" 0 "$mode: the bad peer exits 0 on SIGTERM"
done

nok "pod 1 never decided bootstrap" log_has 1 'action=(bootstrap|join|start-existing)'
ok "pod 1's data dir is still empty" volume_empty 1
ok "pod 1 is still running etcd-init" is_etcd_init 1

# Positive control: a real etcd-init in pod 2, and the three bootstrap.
launch 2
launch 0
ok "control: three etcd-inits bootstrap a healthy cluster" wait_healthy "0 1 2" 60
formed_one_cluster "control" 0 1 2
done_testing
