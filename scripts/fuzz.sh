#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) with clang, ASan and UBSan in
# build-fuzz/, and runs them over their seed corpus.
#
# usage: scripts/fuzz.sh [--runs N | --time S] [TARGET...]
#   --runs N   (the default, N = 200000) each target runs N inputs from a fixed
#              seed, starting from the seed corpus alone: every run tries the
#              same inputs, so a failure in CI reproduces exactly. A cap of 60 s
#              per target keeps a slow machine from taking all afternoon (it
#              then stops early; what it tried was still the same sequence).
#   --time S   each target fuzzes for S seconds instead, keeping what it finds
#              in build-fuzz/corpus/TARGET for the next hunt
#   TARGET     e.g. form, dlr (default: every target)
#
# New inputs never go into the seed corpus in the repository. A crash, leak,
# sanitizer report or broken contract is saved to build-fuzz/artifacts/ and
# fails the script; add it to tests/fuzz/corpus/TARGET/ as a regression seed
# once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

limit=(-runs=200000 -seed=1 -max_total_time=60)
keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) limit=(-runs="$2" -seed=1 -max_total_time=60); shift 2 ;;
	--time) limit=(-max_total_time="$2"); keep=1; shift 2 ;;
	*) break ;;
	esac
done

if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null
fi
if ! out=$(meson compile -C build-fuzz 2>&1); then
	echo "$out" | tail -30
	echo "fuzz: the harnesses do not build" >&2
	exit 1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		t=${f#tests/fuzz/fuzz_}
		targets+=("${t%.c}")
	done
fi

mkdir -p build-fuzz/artifacts
failed=()
for t in "${targets[@]}"; do
	dict=()
	case "$t" in
	fields | jwt | dlr) dict=(-dict=tests/fuzz/json.dict) ;;
	esac
	if [ $keep = 1 ]; then
		found="build-fuzz/corpus/$t"
		mkdir -p "$found"
	else
		found=$(mktemp -d)
	fi
	log="build-fuzz/artifacts/$t.log"
	# The first directory gets what libFuzzer finds; the seeds are only read.
	if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		"build-fuzz/tests/fuzz/fuzz_$t" "${limit[@]}" "${dict[@]}" -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="build-fuzz/artifacts/$t-" \
		"$found" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
		echo "fuzz $t: ok ($(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" | tail -1))"
	else
		echo "fuzz $t: FAILED (build-fuzz/artifacts/$t-*, log $log)"
		grep -E 'contract broken|ERROR:|runtime error|SUMMARY' "$log" | head -5 || true
		failed+=("$t")
	fi
	if [ $keep = 0 ]; then
		rm -rf "$found"
	fi
done
if [ ${#failed[@]} -ne 0 ]; then
	echo "fuzz: ${failed[*]} failed; reproduce with build-fuzz/tests/fuzz/fuzz_TARGET ARTIFACT" >&2
	exit 1
fi
