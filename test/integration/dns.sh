#!/usr/bin/env bash
# dns.sh - lib/dns against a real DNS server (STYLE.md rule 16).
#
# unbound plays the cluster DNS on 127.0.0.1:53 inside a network namespace of
# our own; `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf, written the
# way the kubelet writes a ClusterFirst pod's (search list, ndots:5), and
# dns-probe (a thin CLI over lib/dns) runs there. Records change at run time
# through unbound-control. The zone carries an SOA, so every NXDOMAIN is
# cacheable for an hour: a lookup that caches negative answers (c-ares >= 1.31
# by default) would fail the "appears at run time" cases.
#
# Needs root (netns) and unbound. Env: DNS_PROBE (the binary); set by meson.
# TAP output; exits non-zero when a case fails.
set -uo pipefail

: "${DNS_PROBE:?DNS_PROBE must point at the dns-probe binary}"

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}
# check DESCRIPTION GOT WANT: string equality, both shown on failure.
check() {
	if [[ $2 == "$3" ]]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   got:  %s\n#   want: %s\n' "${2//$'\n'/\\n}" "${3//$'\n'/\\n}"
	fi
}
bail() {
	echo "Bail out! $*"
	exit 1
}
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

if ((EUID != 0)); then
	echo "1..0 # SKIP needs root for network namespaces"
	exit 0
fi
[[ -x $DNS_PROBE ]] || bail "DNS_PROBE=$DNS_PROBE is not an executable"
command -v unbound >/dev/null && command -v unbound-control >/dev/null ||
	bail "unbound and unbound-control are required (test/setup.sh installs them)"

ns=eidns-$$
tmp=$(mktemp -d /tmp/eidns.XXXXXX)
conf=$tmp/unbound.conf
log=$tmp/unbound.log
unbound_pid=
bg_pid=

cleanup() {
	[[ -n $bg_pid ]] && kill -KILL "$bg_pid" 2>/dev/null
	if [[ -n $unbound_pid ]]; then
		kill -CONT "$unbound_pid" 2>/dev/null
		kill -TERM "$unbound_pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$unbound_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$unbound_pid" 2>/dev/null
		wait "$unbound_pid" 2>/dev/null
	fi
	ip netns del "$ns" 2>/dev/null
	rm -rf "/etc/netns/$ns" "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

zone=ns.svc.cluster.local
fqdn0=etcd-0.etcd.$zone
fqdn1=etcd-1.etcd.$zone
srvname=_etcd-server._tcp.etcd.$zone

ip netns add "$ns" || bail "ip netns add $ns"
ip -n "$ns" link set lo up || bail "bringing lo up in $ns"

# A resolv.conf as the kubelet writes it for dnsPolicy: ClusterFirst.
write_resolv() {
	mkdir -p "/etc/netns/$ns"
	printf 'nameserver %s\nsearch %s svc.cluster.local cluster.local\noptions ndots:5\n' \
		"$1" "$zone" >"/etc/netns/$ns/resolv.conf"
}
write_resolv 127.0.0.1

cat >"$conf" <<EOF
server:
	interface: 127.0.0.1
	port: 53
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$tmp"
	pidfile: "$tmp/unbound.pid"
	logfile: "$log"
	use-syslog: no
	verbosity: 1
	log-queries: yes
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	# Our own view changes at run time; keep unbound's caches from hiding that
	# (local-data is answered from the zone, not the cache, anyway).
	cache-max-negative-ttl: 1
	cache-max-ttl: 1
	# Everything outside the cluster zone is NXDOMAIN at once: no recursion
	# to an Internet this namespace does not have.
	local-zone: "." static
	local-zone: "cluster.local." static
	local-data: "cluster.local. 3600 IN SOA ns.cluster.local. hostmaster.cluster.local. 1 3600 600 86400 3600"
	local-data: "$fqdn1. 5 IN A 10.0.0.11"
	local-data: "$srvname. 5 IN SRV 0 50 2380 $fqdn0."
	local-data: "$srvname. 5 IN SRV 10 20 2381 $fqdn1."
remote-control:
	control-enable: yes
	control-interface: "$tmp/control.sock"
	control-use-cert: no
EOF

ctl() { timeout 10 unbound-control -c "$conf" "$@" >/dev/null; }

ip netns exec "$ns" unbound -d -c "$conf" 2>"$tmp/unbound.stderr" &
unbound_pid=$!
for _ in $(seq 100); do
	ctl status 2>/dev/null && break
	kill -0 "$unbound_pid" 2>/dev/null || bail "unbound exited: $(cat "$tmp/unbound.stderr" "$log" 2>/dev/null)"
	sleep 0.1
done
ctl status || bail "unbound did not come up"

# probe ARGS...: run dns-probe inside the namespace, bounded in time; sets out, rc.
probe() {
	out=$(timeout 20 ip netns exec "$ns" "$DNS_PROBE" "$@" 2>"$tmp/probe.stderr")
	rc=$?
}

# --- absent, then present, then gone --------------------------------------
probe host "$fqdn0"
check "absent name is not-found" "$out rc=$rc" "$fqdn0 not-found rc=1"

probe host "$fqdn1"
check "present name is found" "$out rc=$rc" "$fqdn1 found 10.0.0.11 rc=0"

# One process asks, gets NXDOMAIN (with a one-hour SOA), the record is added,
# and the same process must see it on its next attempts: nothing cached it.
ip netns exec "$ns" "$DNS_PROBE" -i 100 -d 10000 wait "$fqdn0" >"$tmp/wait.out" 2>"$tmp/wait.err" &
bg_pid=$!
for _ in $(seq 100); do
	grep -q "not-found attempt=1" "$tmp/wait.out" 2>/dev/null && break
	sleep 0.05
done
added_ms=$(now_ms)
ctl local_data "$fqdn0. 5 IN A 10.0.0.10" || bail "unbound-control local_data"
wait "$bg_pid"
rc=$?
bg_pid=
found_ms=$(now_ms)
last=$(tail -n 1 "$tmp/wait.out")
if ((rc == 0)) && [[ $last =~ ^$fqdn0\ found\ 10\.0\.0\.10\ attempts=([0-9]+)$ ]] &&
	((BASH_REMATCH[1] >= 2 && found_ms - added_ms < 3000)); then
	ok "a record added at run time is seen by the same resolver (${BASH_REMATCH[1]} attempts, $((found_ms - added_ms)) ms after the add)"
else
	not_ok "a record added at run time is seen by the same resolver"
	tail -n 5 "$tmp/wait.out" "$tmp/wait.err" | sed 's/^/#   /'
fi

ctl local_data "$fqdn0. 5 IN AAAA fd00::10" || bail "unbound-control local_data AAAA"
probe host "$fqdn0"
check "A and AAAA are both returned" "$out rc=$rc" "$fqdn0 found 10.0.0.10,fd00::10 rc=0"

ctl local_data "etcd-6.etcd.$zone. 5 IN AAAA fd00::16" || bail "unbound-control local_data AAAA"
probe host "etcd-6.etcd.$zone"
check "an AAAA-only name is found (A is NODATA)" "$out rc=$rc" "etcd-6.etcd.$zone found fd00::16 rc=0"

probe host "$fqdn0" "$fqdn1" "etcd-2.etcd.$zone"
check "several names resolve concurrently, each with its own status" "$out rc=$rc" \
	"$fqdn0 found 10.0.0.10,fd00::10
$fqdn1 found 10.0.0.11
etcd-2.etcd.$zone not-found rc=1"

ctl local_data_remove "$fqdn0." || bail "unbound-control local_data_remove"
probe host "$fqdn0"
check "a removed name is not-found again" "$out rc=$rc" "$fqdn0 not-found rc=1"

probe host "$fqdn0."
check "a name given with its trailing dot works the same" "$out rc=$rc" "$fqdn0. not-found rc=1"

# --- SRV --------------------------------------------------------------------
probe srv "$srvname"
sorted=$(sed 1d <<<"$out" | sort)
check "SRV lists both targets without the trailing dot" "$(head -n 1 <<<"$out") $sorted rc=$rc" \
	"srv found $fqdn0 2380 0 50
$fqdn1 2381 10 20 rc=0"

probe srv "_etcd-client._tcp.etcd.$zone"
check "absent SRV name is not-found" "$out rc=$rc" "srv not-found rc=1"

# --- no search list, whatever ndots says ------------------------------------
# resolv.conf has ndots:5 and the search list; glibc would find etcd-1.etcd
# as etcd-1.etcd.ns.svc.cluster.local. We must ask for exactly what we were
# given, so the answer comes from "." (NXDOMAIN) and the FQDN is never asked.
before=$(wc -l <"$log")
probe host etcd-1.etcd
asked=$(tail -n +"$((before + 1))" "$log")
# The "as given" count proves the log is there, so that 0 expansions means something.
check "a short name is not expanded through the search list" \
	"$out rc=$rc as_given=$(grep -c ' etcd-1\.etcd\. A IN' <<<"$asked") expanded=$(grep -c "etcd-1\.etcd\.[a-z]" <<<"$asked")" \
	"etcd-1.etcd not-found rc=1 as_given=1 expanded=0"

# --- a server that fails -----------------------------------------------------
# Nothing listens on 127.0.0.3: the port is unreachable, the answer is quick.
write_resolv 127.0.0.3
start=$(now_ms)
probe -t 300 host "$fqdn1"
took=$(($(now_ms) - start))
if [[ $out == "$fqdn1 failed "* ]] && ((rc == 1 && took < 3000)); then
	ok "a refused server gives failed ($out, $took ms)"
else
	not_ok "a refused server gives failed"
	echo "#   got: $out rc=$rc in $took ms"
fi
write_resolv 127.0.0.1

# unbound stopped (SIGSTOP): the queries sit in its socket, nothing answers.
kill -STOP "$unbound_pid"
start=$(now_ms)
probe -t 300 host "$fqdn1"
took=$(($(now_ms) - start))
if [[ $out == "$fqdn1 failed "* ]] && ((rc == 1 && took < 3000)); then
	ok "a server that does not answer gives failed within the c-ares timeouts ($out, $took ms)"
else
	not_ok "a server that does not answer gives failed within the c-ares timeouts"
	echo "#   got: $out rc=$rc in $took ms"
fi

start=$(now_ms)
probe -t 5000 -d 500 host "$fqdn1" "$fqdn0"
took=$(($(now_ms) - start))
check "the deadline cancels every outstanding query" "$out rc=$rc fast=$((took < 1500))" \
	"$fqdn1 failed deadline
$fqdn0 failed deadline rc=1 fast=1"

# SIGTERM in the middle of a lookup nobody answers: exit 143 at once.
ip netns exec "$ns" "$DNS_PROBE" -t 10000 host "$fqdn1" >/dev/null 2>&1 &
bg_pid=$!
sleep 0.3
start=$(now_ms)
kill -TERM "$bg_pid"
wait "$bg_pid"
rc=$?
bg_pid=
took=$(($(now_ms) - start))
check "SIGTERM during an unanswered lookup exits 143 within 1 s" "rc=$rc fast=$((took < 1000))" \
	"rc=143 fast=1"
kill -CONT "$unbound_pid"

# SIGTERM while waiting between attempts for a name that does not appear.
ip netns exec "$ns" "$DNS_PROBE" -i 200 -d 60000 wait "etcd-9.etcd.$zone" >"$tmp/wait.out" 2>&1 &
bg_pid=$!
for _ in $(seq 100); do
	grep -q "attempt=2" "$tmp/wait.out" 2>/dev/null && break
	sleep 0.05
done
start=$(now_ms)
kill -TERM "$bg_pid"
wait "$bg_pid"
rc=$?
bg_pid=
took=$(($(now_ms) - start))
check "SIGTERM while waiting for a name exits 143 within 1 s" "rc=$rc fast=$((took < 1000))" \
	"rc=143 fast=1"

# unbound still answers after all that (the STOP/CONT did not break it).
probe host "$fqdn1"
check "unbound answers again after SIGCONT" "$out rc=$rc" "$fqdn1 found 10.0.0.11 rc=0"

echo "1..$n"
((failed == 0))
