#!/usr/bin/env bash
# Runs every libFuzzer target of test/fuzz/ over its seed corpus and prints TAP: one
# line per target, "not ok" on a crash, a leak, a sanitizer report, a timeout or a
# broken promise of lib/ (the targets' FUZZ_CHECK). Exits non-zero on any failure.
#
#   test/fuzz/run-fuzz.sh                          10 s per target (the meson test 'fuzz-short')
#   EI_FUZZ_TIME=60 test/fuzz/run-fuzz.sh          60 s per target
#   EI_FUZZ_RUNS=10000000 nice -n 19 test/fuzz/run-fuzz.sh    10 million inputs per target
#   EI_FUZZ_TARGETS="wal pb" test/fuzz/run-fuzz.sh only these (names as in test/fuzz/meson.build)
#
# The targets are built with clang in their own build dir, EI_FUZZ_BUILD (default
# build-fuzz at the top of the repository), configured here when it does not exist:
#   CC=clang meson setup build-fuzz -Dfuzz=true -Dbuildtype=debugoptimized
# Without clang the whole test is skipped (test/setup.sh installs clang and
# libclang-rt-14-dev, libFuzzer's runtime). The inputs each target finds go to
# <build>/fuzz-corpus/<name> (emptied first; the seeds in the tree are never written);
# a crashing input to <build>/fuzz-artifacts/<name>/, named in the TAP line.
set -uo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
seeds=$src/test/fuzz/corpus
build=${EI_FUZZ_BUILD:-$src/build-fuzz}
time_per=${EI_FUZZ_TIME:-10}
runs=${EI_FUZZ_RUNS:-}
targets=$(sed -n "/^fuzz_targets = \[/,/^\]/s/^  '\([a-z0-9-]*\)',\$/\1/p" "$src/test/fuzz/meson.build")
if [[ -n ${EI_FUZZ_TARGETS:-} ]]; then
	targets=$EI_FUZZ_TARGETS
fi
read -r -d '' -a targets <<<"$targets"

if ! command -v clang >/dev/null; then
	echo "1..0 # SKIP clang is not installed (test/setup.sh installs clang and libclang-rt-14-dev)"
	exit 0
fi
if ((${#targets[@]} == 0)); then
	echo "Bail out! no targets in $src/test/fuzz/meson.build"
	exit 1
fi

# The tail of a log as TAP diagnostics.
diag() { tail -n "${2:-25}" "$1" | sed 's/^/#   /'; }

mkdir -p "$(dirname "$build")"
# build-fuzz.setup.log: beside the build dir (it survives a failed setup), ignored by git.
log=$build.setup.log
if [[ ! -f $build/build.ninja ]]; then
	echo "# configuring $build (clang, -Dfuzz=true; log: $log)"
	if ! CC=clang meson setup "$build" "$src" -Dfuzz=true -Dbuildtype=debugoptimized >"$log" 2>&1; then
		diag "$log"
		rm -rf "$build"
		echo "Bail out! meson setup of $build failed"
		exit 1
	fi
fi
echo "# building ${#targets[@]} targets in $build"
# ninja itself, not meson compile: it regenerates build.ninja first when a meson.build
# changed (a new target), where meson compile looks the names up in the old one.
if ! ninja -C "$build" "${targets[@]/#/test/fuzz/fuzz-}" >>"$log" 2>&1; then
	grep -E 'error|warning|undefined reference' "$log" | tail -20 | sed 's/^/#   /'
	echo "Bail out! the fuzz targets do not build (log: $log)"
	exit 1
fi

# libFuzzer's own report is the one wanted: ASan and UBSan stop at the first finding
# and leave the process to libFuzzer's handler, which writes the input out.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
symbolizer=$(command -v llvm-symbolizer || ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | tail -1)
[[ -z $symbolizer ]] || export ASAN_SYMBOLIZER_PATH=$symbolizer

if [[ -n $runs ]]; then
	limit=(-runs="$runs")
	echo "# $runs inputs per target"
else
	limit=(-max_total_time="$time_per")
	echo "# $time_per s per target"
fi
echo "1..${#targets[@]}"
n=0 failed=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	exe=$build/test/fuzz/fuzz-$t
	work=$build/fuzz-corpus/$t
	art=$build/fuzz-artifacts/$t
	tlog=$build/fuzz-$t.log
	rm -rf "$work"
	mkdir -p "$work" "$art"
	if [[ ! -d $seeds/$t ]] || [[ -z $(ls -A "$seeds/$t") ]]; then
		echo "not ok $n - $t: no seeds in $seeds/$t"
		failed=$((failed + 1))
		continue
	fi
	start=$(date +%s.%N)
	# -timeout: one input taking this long is a finding (the parsers are linear).
	"$exe" "${limit[@]}" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" "$work" "$seeds/$t" >"$tlog" 2>&1
	rc=$?
	end=$(date +%s.%N)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tlog" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tlog" | tail -1)
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$tlog" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$tlog" | tail -1)
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
	summary="${execs:-?} runs in ${secs} s (${speed:-?} exec/s), ${cov:-no coverage line}, peak RSS ${rss:-?} MB"
	if ((rc == 0)) && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|deadly signal|^fuzz: ' "$tlog"; then
		echo "ok $n - $t: $summary"
	else
		failed=$((failed + 1))
		echo "not ok $n - $t: exit $rc, $summary (log: $tlog)"
		grep -m1 -E 'ERROR: |runtime error:|^fuzz: |deadly signal' "$tlog" | sed 's/^/#   /'
		grep -E 'Test unit written to' "$tlog" | sed 's/^/#   /'
		diag "$tlog" 40
	fi
done
exit $((failed > 0))
