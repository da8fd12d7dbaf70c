# shellcheck shell=bash
# TAP output for the test scripts: sourced by test/integration/lib.sh and
# test/kubernetes/lib.sh (test/kubernetes/run.sh reads what the Kubernetes scenarios
# print: the lines below are its input). Each check prints "ok N - DESC" or
# "not ok N - DESC" plus "# " diagnostics; done_testing prints the plan "1..N".
#
# What a caller sets (both optional; read when a check fails, so they may be set after
# sourcing this file):
#   TAP_FAIL_HOOK  a function run after every failed check, for more diagnostics (the
#                  integration harness: the pods' last log lines; Kubernetes: the
#                  namespace's pods, events and logs);
#   TAP_BAIL_HOOK  a function run by bail_out before it exits.
# ok keeps its command's output in a temporary file under $EI_RUN (the integration run
# dir, removed at teardown) when that is set, else under /tmp.

_TAP_N=0
_TAP_FAILED=0

# diag TEXT...: TAP diagnostics, one "# " line per line of text.
diag()
{
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

# tap_ok STATUS DESC: "ok N - DESC" when STATUS is 0, else "not ok N - DESC" (then
# TAP_FAIL_HOOK).
tap_ok()
{
	local status=$1
	shift
	_TAP_N=$((_TAP_N + 1))
	if [[ $status == 0 ]]; then
		printf 'ok %d - %s\n' "$_TAP_N" "$*"
		return 0
	fi
	printf 'not ok %d - %s\n' "$_TAP_N" "$*"
	_TAP_FAILED=$((_TAP_FAILED + 1))
	[[ -z ${TAP_FAIL_HOOK:-} ]] || "$TAP_FAIL_HOOK"
	return 1
}

# ok DESC CMD ARGS...: runs CMD in this shell (its output goes to the diagnostics only
# when it fails) and reports ok/not ok. Returns CMD's status.
ok()
{
	local desc=$1 out rc
	shift
	out=$(mktemp "${EI_RUN:-/tmp}/.ok.XXXXXX")
	"$@" >"$out" 2>&1 </dev/null && rc=0 || rc=$?
	if ((rc == 0)); then
		tap_ok 0 "$desc"
	else
		_TAP_N=$((_TAP_N + 1))
		printf 'not ok %d - %s\n' "$_TAP_N" "$desc"
		_TAP_FAILED=$((_TAP_FAILED + 1))
		printf '#   command (exit %d): %s\n' "$rc" "$*"
		tail -n 30 "$out" | sed 's/^/#   /'
		[[ -z ${TAP_FAIL_HOOK:-} ]] || "$TAP_FAIL_HOOK"
	fi
	rm -f "$out"
	return "$rc"
}

# nok DESC CMD ARGS...: like ok, but expects CMD to fail.
nok()
{
	local desc=$1 rc
	shift
	"$@" >/dev/null 2>&1 </dev/null && rc=0 || rc=$?
	if ((rc != 0)); then
		tap_ok 0 "$desc"
	else
		tap_ok 1 "$desc" || diag "  command unexpectedly succeeded: $*"
	fi
	((rc != 0))
}

# is GOT WANT DESC
is()
{
	if [[ $1 == "$2" ]]; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3" || true
		diag "         got: '$1'"
		diag "    expected: '$2'"
		return 1
	fi
}

# isnt GOT UNWANTED DESC
isnt()
{
	if [[ $1 != "$2" ]]; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3" || true
		diag "    got '$1', expected anything else"
		return 1
	fi
}

# like GOT ERE DESC: GOT matches the extended regular expression (bash =~).
like()
{
	if [[ $1 =~ $2 ]]; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3" || true
		diag "                  '$1'"
		diag "    doesn't match '$2'"
		return 1
	fi
}

# unlike GOT ERE DESC
unlike()
{
	if ! [[ $1 =~ $2 ]]; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3" || true
		diag "          '$1'"
		diag "    matches '$2'"
		return 1
	fi
}

# skip DESC REASON: one skipped test.
skip()
{
	_TAP_N=$((_TAP_N + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_TAP_N" "$1" "${2:-}"
}

# skip_all REASON: the whole script is skipped (before any test ran).
skip_all()
{
	printf '1..0 # SKIP %s\n' "$*"
	exit 0
}

# bail_out REASON: stop the whole run (after TAP_BAIL_HOOK).
bail_out()
{
	printf 'Bail out! %s\n' "$*"
	[[ -z ${TAP_BAIL_HOOK:-} ]] || "$TAP_BAIL_HOOK"
	exit 1
}

# done_testing: prints the plan and exits 1 if any check failed (the caller's EXIT trap
# cleans up).
done_testing()
{
	printf '1..%d\n' "$_TAP_N"
	if ((_TAP_FAILED > 0)); then
		diag "failed $_TAP_FAILED of $_TAP_N"
		exit 1
	fi
	exit 0
}
