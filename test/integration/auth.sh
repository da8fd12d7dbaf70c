#!/usr/bin/env bash
# etcd auth: with auth enabled, a join without credentials and one with a wrong password
# are refused for good (exit 4) and change nothing; one with root's credentials (from a
# password file, or ETCDCTL_USER/ETCDCTL_PASSWORD) joins and ends a voter. The password
# and the token never appear in any output, nor on etcd's command line.
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # ei_env_setup: the version from the environment; functions called through ok, wait_for and launch
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

secret='s3cret-Pw.42'
cold_start3
ok "root added" ectl 0 user add root --new-user-password="$secret"
ok "auth enabled" ectl 0 auth enable
EI_ECTL_ARGS=(--user "root:$secret")
ok "a key is written with root's credentials" put_key k v 0
members() { member_list_json 0 | jq -c '[.members[] | {ID, name, isLearner}] | sort_by(.ID)'; }
members_before=$(members)
pod_create 3
dns_publish 3
echo "$secret" >"$EI_RUN/root-password"
echo "not-the-password" >"$EI_RUN/wrong-password"

# try_join EXPECTED PATTERN WHAT ARGS...: etcd-init in pod 3, in the foreground.
try_join()
{
	local want=$1 pattern=$2 what=$3 out st
	shift 3
	out=$(pod_exec 3 timeout 90 "$ETCD_INIT" --etcd "$ETCD_BIN" --data-dir "$(pod_data 3)" \
		--wait-timeout 60s "$@" 2>&1)
	st=$?
	printf '%s\n' "$out" >>"$EI_RUN/outputs"
	is "$st" "$want" "$what: exit $want"
	like "$out" "$pattern" "$what: the message says why"
	is "$(members)" "$members_before" "$what: member list unchanged"
	ok "$what: pod 3's volume untouched" volume_empty 3
}
try_join 4 'auth is enabled in this cluster.*--auth-user root' "no credentials"
try_join 4 'refused the credentials of user root' "a wrong password" \
	--auth-user root --auth-password-file "$EI_RUN/wrong-password"
try_join 2 '--auth-password-file .*cannot be read' "an unreadable password file" \
	--auth-user root --auth-password-file "$EI_RUN/no-such-file"
out=$(pod_exec 3 env ETCDCTL_USER=root timeout 30 "$ETCD_INIT" --etcd "$ETCD_BIN" \
	--data-dir "$(pod_data 3)" 2>&1)
is "$?" 2 "ETCDCTL_USER without a password: exit 2"
like "$out" 'no password' "ETCDCTL_USER without a password: says so"

# plan with root's credentials: the decision, and no secret in it.
plan_out=$(pod_exec 3 "$ETCD_INIT" plan --etcd "$ETCD_BIN" --data-dir "$(pod_data 3)" \
	--auth-user root --auth-password-file "$EI_RUN/root-password" 2>&1)
printf '%s\n' "$plan_out" >>"$EI_RUN/outputs"
like "$plan_out" 'decision +join' "plan with credentials: join"

# The real join, with the password from a file.
launch 3 --auth-user root --auth-password-file "$EI_RUN/root-password"
ok "join with root's credentials: 4 voters" wait_voters 4 120
ok "member 3 healthy" wait_healthy "0 1 2 3" 60
is "$(get_key k 3)" v "member 3 serves the key"
pid=$(pod_pid1 3)
cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
like "$cmdline" ' --name=etcd-3( |$)' "member 3's etcd command line is read"
unlike "$cmdline" "$secret|password" "etcd's command line has no password"

# A fifth member with etcdctl's variables.
pod_create 4
dns_publish 4
EI_POD_ENV=(ETCDCTL_USER=root "ETCDCTL_PASSWORD=$secret")
launch 4
EI_POD_ENV=()
# The learner's promoter (the aftercare process etcd-init forks before the exec) keeps
# its own copy of the credentials and none in its environment (/proc/<pid>/environ).
promoter()
{
	local p c
	p=$(pod_pid1 4) || return 1
	for c in $(pgrep -P "$p"); do
		[[ $(cat "/proc/$c/comm" 2>/dev/null) == etcd-init ]] && echo "$c" && return 0
	done
	return 1
}
# Its environment is read while it lives (it may finish within a second of etcd serving):
# the last copy read at least 0.3 s after it was first seen (it scrubs right after the fork).
promoter_environ()
{
	local c seen=0 now e
	local deadline=$(($(ei_now_ms) + 30000))
	while (($(ei_now_ms) < deadline)); do
		now=$(ei_now_ms)
		if c=$(promoter); then
			((seen)) || seen=$now
			e=$(tr '\0' ' ' <"/proc/$c/environ" 2>/dev/null) && [[ -n $e ]] && env4=$e
			((now - seen < 300)) || return 0
		elif ((seen)); then
			return 0
		fi
		sleep 0.05
	done
	return 1
}
env4=
ok "the learner's promoter runs" promoter_environ
ok "the promoter's environment was read" test -n "$env4"
unlike "${env4:-}" "$secret|ETCDCTL_PASSWORD|ETCDCTL_USER" "the promoter's environment has no credential"
ok "join with ETCDCTL_USER/ETCDCTL_PASSWORD: 5 voters" wait_voters 5 150
pid=$(pod_pid1 4)
cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
environ=$(tr '\0' ' ' <"/proc/$pid/environ")
like "$cmdline" ' --name=etcd-4( |$)' "member 4's etcd command line is read"
like "$environ" '(^| )PATH=' "member 4's etcd environment is read"
unlike "$cmdline" "$secret" "etcd's command line has no password (4)"
unlike "$environ" "$secret" "etcd's environment has no password (4)"

# No secret anywhere: not in any log (at debug level too), not in any output.
log_mark 0
pod_exec 4 "$ETCD_INIT" plan --etcd "$ETCD_BIN" --data-dir "$(pod_data 4)" --log-level debug \
	--auth-user root --auth-password-file "$EI_RUN/root-password" >>"$EI_RUN/outputs" 2>&1
all=$(cat "$EI_RUN"/etcd-*/log "$EI_RUN/outputs")
unlike "$all" "$secret" "the password appears in no log or output"
unlike "$all" 'Authorization|"token"' "no token or Authorization header in any log or output"
# A token is minted through raft: a member that has not applied it yet (member 3 just
# after its join, on a loaded machine) refuses it once, and etcd-init then authenticates
# again (the one retry); any other refusal is a failure.
ok "the token was used (member 3 refused none, or etcd-init replaced the one it refused)" \
	bash -c "! grep -q 'auth token' '$EI_RUN/etcd-3/log' || grep -q 'rejected the auth token; authenticating again' '$EI_RUN'/etcd-*/log '$EI_RUN/outputs'"
done_testing
