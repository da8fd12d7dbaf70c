#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine, as root:
#   ./test/run-tests.sh              unit + integration tests (the etcd versions test/meson.build lists)
#   ./test/run-tests.sh --sanitize   the same, built with AddressSanitizer/UBSan
# Installs its packages and etcd 3.5 and 3.6 (test/setup.sh, whose stdout is the
# EI_ETCD*_BIN exports), builds with werror, runs meson test and ends with the line
# "N passed, N failed" (counting meson tests; a skipped test is counted apart, on the
# line before).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

builddir=build-test
setup_args=(-Dwerror=true -Dbuildtype=debugoptimized)
if [[ ${1:-} == --sanitize ]]; then
	builddir=build-asan
	# shellcheck disable=SC2054 # the comma is meson's list syntax
	setup_args+=(-Db_sanitize=address,undefined -Db_lundef=false)
	shift
fi

echo "run-tests: setting up (packages, etcd 3.5 and 3.6, the manifest validator; details in /var/cache/etcd-init/setup.log)"
envs=$(bash test/setup.sh) || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
eval "$envs"

echo "run-tests: building in $builddir (log: $builddir.log)"
if [[ ! -d $builddir ]] && ! meson setup "$builddir" "${setup_args[@]}" >"$builddir.log" 2>&1; then
	tail -30 "$builddir.log"
	rm -rf "$builddir"
	echo "meson setup failed"
	echo "0 passed, 1 failed"
	exit 1
fi
if ! meson compile -C "$builddir" >>"$builddir.log" 2>&1; then
	grep -E 'error|warning' "$builddir.log" | tail -30
	echo "build failed: see $builddir.log"
	echo "0 passed, 1 failed"
	exit 1
fi

# --verbose: every TAP line as it comes, so a scenario shows its steps while it runs
# (two scenarios at a time: their lines interleave, each prefixed by meson).
echo "run-tests: running the tests (unit, integration, docker, then each scenario on etcd 3.4, 3.5, 3.6)"
meson test -C "$builddir" --verbose --num-processes 2 "$@"
status=$?

# Count results from meson's JSON log (one line per test). A failed test's "not ok"
# lines with their diagnostics (at most 60 lines) and the end of its stderr go to
# stderr here, so the end of a CI log says what failed and where.
read -r passed failed skipped < <(python3 - "$builddir/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    r = t.get("result")
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else:
        f += 1
        out = (t.get("stdout") or "").splitlines()
        err = (t.get("stderr") or "").splitlines()
        bad = []
        for i, l in enumerate(out):
            if l.startswith("not ok") or l.startswith("Bail out"):
                bad.append(l)
                bad += [d for d in out[i + 1:i + 13] if d.startswith("#")][:12]
        print(f"--- {t.get('name')}: {r} after {t.get('duration', 0):.0f} s", file=sys.stderr)
        for l in bad[:60]: print("    " + l[:300], file=sys.stderr)
        if not bad:
            for l in out[-10:]: print("    " + l[:300], file=sys.stderr)
        for l in err[-12:]: print("    stderr: " + l[:300], file=sys.stderr)
print(p, f, s)
PY
) || { passed=0; failed=1; skipped=0; }
if ((status != 0 && failed == 0)); then failed=1; fi
((skipped == 0)) || echo "$skipped skipped"
echo "$passed passed, $failed failed"
((failed == 0))
