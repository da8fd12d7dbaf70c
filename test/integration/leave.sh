#!/usr/bin/env bash
# `etcd-init leave`, the preStop hook, run inside the pods while their etcd runs, with the
# Kubernetes API's HTTPS stand-in (test/tools/k8s-api) on the bridge address for the
# desired replica count:
#  - scale 3 -> 5, then leave in every case where nothing may be removed: a rolling
#    restart (ordinal < replicas), the API failing (500), no KUBERNETES_SERVICE_HOST,
#    scale to 0: members and volumes unchanged, exit 0 or 6 as documented;
#  - scale 5 -> 3: leave in pods 4 and 3 at once removes both members and moves their
#    data aside (member.removed-*, no member/); 3 healthy voters serve the keys;
#  - quorum at risk: etcd-1 down, `leave --replicas 2` in pod 2 removes nothing and exits
#    6 after its bounded wait;
#  - scale back up 3 -> 5 on the same volumes: the two pods join cleanly.
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: the version from the environment; functions called through ok, wait_for and launch
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

command -v openssl >/dev/null || skip_all "openssl is missing (run test/setup.sh)"
[[ -x ${K8S_API:-} ]] || bail_out "K8S_API is not an executable"

# ---------------------------------------------------------------- the API stand-in

k8s_api_start
requests() { wc -l <"$k8s/count" | tr -d ' '; }

# leave N [--no-api] [args...]: `etcd-init leave` inside pod N (its namespaces, as
# kubectl exec and a preStop hook run), with the API stand-in's address and service
# account unless --no-api; its log in $EI_RUN/leave-N.K.log ($leave_log), status in $rc.
leave_k=0
leave()
{
	local n=$1
	shift
	local -a api=(KUBERNETES_SERVICE_HOST="$EI_BRIDGE_IP" KUBERNETES_SERVICE_PORT="$api_port")
	if [[ ${1:-} == --no-api ]]; then
		api=()
		shift
	fi
	leave_k=$((leave_k + 1))
	leave_log=$EI_RUN/leave-$n.$leave_k.log
	echo "$leave_log" >"$EI_RUN/leave-$n.last"
	pod_exec "$n" env "${api[@]}" timeout -k 5 120 "$ETCD_INIT" leave --data-dir "$(pod_data "$n")" \
		--service-account-dir "$k8s/sa" "$@" >"$leave_log" 2>&1 </dev/null
	rc=$?
	return "$rc"
}

# logged_before FILE A B: the first line matching A comes before the first matching B.
logged_before()
{
	local a b
	a=$(grep -n -m1 -E "$2" "$1" | cut -d: -f1)
	b=$(grep -n -m1 -E "$3" "$1" | cut -d: -f1)
	[[ -n $a && -n $b ]] && ((a < b))
}
# last_leave_log N: the log of the latest leave in pod N.
last_leave_log() { cat "$EI_RUN/leave-$1.last"; }

# members: "name" of every member, sorted, one line.
members() { member_list_json 0 | jq -r '[.members[].name] | sort | join(" ")'; }
has_member_dir() { [[ -d $(pod_data "$1")/member ]]; }
removed_dirs() { find "$(pod_data "$1")" -mindepth 1 -maxdepth 1 -name 'member.removed-*' | wc -l; }

# ---------------------------------------------------------------- 3 -> 5

cold_start3
for n in 3 4; do pod_create "$n"; dns_publish "$n"; done
launch 3
launch 4
ok "scaled to 5: 5 voters" wait_voters 5 150
ok "all 5 healthy" wait_healthy "0 1 2 3 4" 60
ok "a key is written" put_key before-leave v1 0
all5="etcd-0 etcd-1 etcd-2 etcd-3 etcd-4"

# ---------------------------------------------------------------- nothing to remove

state "replicas 5" "mode ok"
n0=$(requests)
leave 4
is "$rc" 0 "replicas 5, ordinal 4 (a rolling restart): exit 0"
ok "it says why: not a scale-down" grep -q 'action=stay .*not a scale-down' "$leave_log"
ok "the pod's own log says it too" grep -q 'msg="leave decision" action=stay .*not a scale-down' "$(pod_dir 4)/log"
is "$(($(requests) - n0))" 1 "it asked the API once"

state "replicas 3" "mode ok"
leave 1
is "$rc" 0 "replicas 3, ordinal 1 (a rolling restart): exit 0"
ok "it says why: ordinal 1 is below the desired 3 replicas" \
	grep -q 'ordinal 1 is below the desired 3 replicas' "$leave_log"
nok "it asked no member" grep -q 'asking the members' "$leave_log"
is "$(members)" "$all5" "still 5 members"

state "replicas 3" "mode 500"
leave 4
is "$rc" 6 "the API answers 500: exit 6"
ok "it says the replica count is unknown and why" \
	grep -q 'action=undecided .*replica count is unknown .*HTTP 500' "$leave_log"
nok "the token is in no log line" grep -qF "$token" "$leave_log"

leave 4 --no-api
is "$rc" 6 "no KUBERNETES_SERVICE_HOST and no --replicas: exit 6"
ok "it says how to fix it" grep -q 'KUBERNETES_SERVICE_HOST is not set.*--replicas N' "$leave_log"

state "replicas 0" "mode ok"
leave 4
is "$rc" 0 "scale to 0: exit 0"
ok "it says why: the cluster comes back whole" grep -q 'action=stay .*scaled to 0' "$leave_log"

is "$(members)" "$all5" "after all that: still 5 members"
for n in 3 4; do
	ok "etcd-$n's data is in place" has_member_dir "$n"
	is "$(removed_dirs "$n")" 0 "etcd-$n: nothing moved aside"
	ok "etcd-$n still runs" pod_running "$n"
done

# ---------------------------------------------------------------- 5 -> 3

state "replicas 3" "mode ok"
leave 4 &
p4=$!
leave 3 &
p3=$!
wait "$p4"
rc4=$?
wait "$p3"
rc3=$?
for n in 4 3; do
	diag "--- leave in pod $n"
	diag "$(cat "$(last_leave_log "$n")")"
done
ok "3 voters left" wait_voters 3 60
is "$(members)" "etcd-0 etcd-1 etcd-2" "etcd-3 and etcd-4 are gone from the member list"
ok "0, 1 and 2 healthy" wait_healthy "0 1 2" 30
is "$(get_key before-leave 2)" v1 "the key is still served"
# etcd stops once it applies its own removal, and the kernel ends the rest of its PID
# namespace with it: the leave too, when it had not renamed yet (a race the leave
# loses on a loaded machine). Then the data is still in place, and the next start of
# that pod moves it aside (run's rejoin, checked below).
declare -A moved
for n in 3 4; do
	f=$(last_leave_log "$n")
	ok "etcd-$n: leave decided to remove it" grep -q 'action=remove ' "$f"
	ok "etcd-$n: leave logged the removal before making it" \
		grep -q 'removing this member from the cluster' "$f"
	# Kubernetes drops a successful hook's output: the container's log (PID 1's stderr)
	# gets leave's events too.
	ok "etcd-$n: the pod's own log has leave's decision" \
		grep -q 'msg="leave decision" action=remove ' "$(pod_dir "$n")/log"
	if grep -q 'msg="member removed"' "$f"; then
		ok "etcd-$n: 'member removed' comes after 'removing'" \
			logged_before "$f" 'removing this member from the cluster' 'msg="member removed"'
	fi
	ok "etcd-$n: its etcd stopped by itself after the removal" wait_for 30 test -f "$(pod_dir "$n")/exit"
	# The volume says whether the rename happened: the log line after it may not have
	# been written before the pod's etcd took leave down with it (seen under ASan).
	if (($(removed_dirs "$n") > 0)); then
		moved[$n]=1
		is "$(removed_dirs "$n")" 1 "etcd-$n: the data moved aside (member.removed-*)"
		nok "etcd-$n: no member/ left" has_member_dir "$n"
	else
		moved[$n]=0
		diag "etcd-$n: leave ended with its etcd before the rename; the next start moves the data"
		nok "etcd-$n: leave did not say it moved data it did not move" grep -q 'msg="data moved aside"' "$f"
		ok "etcd-$n: its data is whole in member/" has_member_dir "$n"
	fi
done
# etcd stops once it applies its own removal, and the kernel kills the rest of its PID
# namespace with it: a leave that had not quite finished is killed too (137). Its data
# is moved aside all the same (checked above) or by the next start (run's rejoin).
like "$rc4 $rc3" '^(0|137) (0|137)$' "both leaves exited 0 (or were killed with their pod's etcd)"

# ---------------------------------------------------------------- quorum at risk

ok "etcd-1 stops" pod_stop 1
t0=$SECONDS
leave 2 --no-api --replicas 2 --wait-timeout 10s
is "$rc" 6 "etcd-1 down, leave --replicas 2 in pod 2: exit 6"
ok "it waited about 10 s (its bounded wait)" test $((SECONDS - t0)) -ge 9 -a $((SECONDS - t0)) -le 40
ok "it says removing etcd-2 could lose quorum, naming etcd-1" \
	grep -q 'could lose quorum.*not answering: etcd-1' "$leave_log"
ok "it gave up, saying so" grep -q 'gave up after 10s' "$leave_log"
is "$(members)" "etcd-0 etcd-1 etcd-2" "still 3 members"
ok "etcd-2's data is in place" has_member_dir 2
is "$(removed_dirs 2)" 0 "etcd-2: nothing moved aside"
launch 1
ok "etcd-1 is back: 0, 1 and 2 healthy" wait_healthy "0 1 2" 60

# ---------------------------------------------------------------- 3 -> 5 again

for n in 3 4; do log_mark "$n"; done
launch 3
launch 4
ok "scaled up again on the same volumes: 5 voters" wait_voters 5 150
ok "all 5 healthy" wait_healthy "0 1 2 3 4" 60
is "$(members)" "$all5" "5 members"
for n in 3 4; do
	ok "etcd-$n joined as a new member" new_log_has "$n" 'action=join'
	if ((moved[$n])); then
		nok "etcd-$n had nothing to move aside at start" new_log_has "$n" 'action=rejoin'
	else
		ok "etcd-$n moved the removed member's data aside at start" new_log_has "$n" 'action=rejoin'
	fi
	ok "etcd-$n kept the old data (member.removed-*)" test "$(removed_dirs "$n")" -eq 1
	is "$(get_key before-leave "$n")" v1 "etcd-$n serves the key"
done

done_testing
