#!/usr/bin/env bash
# bench/instructions.sh: the user-space instructions iotpd spends on a fixed
# load, counted by valgrind's callgrind: a measure that a shared machine's
# noise does not move, for A/B comparisons of a change (bench/RESULTS.md).
#
#   bash bench/instructions.sh [refusals|flows|codes] [N]
#     refusals  N POST /v1/sessions for one number, refused after the first ten
#               (default limits), as bench/refuse.lua sends (default N 3000)
#     flows     N verified flows with bench/lifted.conf, as bench/flow.lua runs
#               them (default N 500)
#     codes     N codes sent through a real Kannel (bench/kannel-up.mjs), as
#               bench/delivery.mjs's burst sends them: each POST .../code, its
#               hand-over to Kannel and Kannel's two delivery reports; the
#               sessions are made before the count (default N 500)
#
# Prints the instructions per request or flow, then the 30 functions with the
# most instructions, callees included. IOTPD picks the binary (default
# build/iotpd); KEEP=1 keeps the callgrind file for callgrind_annotate.
# Needs valgrind (apt-get install -y valgrind) and node. Counts only: valgrind
# runs iotpd ~50x slower and one thread at a time, so it says nothing of time,
# locks or the kernel. It counts `rep stosb` byte by byte: libmicrohttpd
# clearing its 16 KiB connection pool shows as ~24,500 instructions a request.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
KIND=${1:-refusals}
case "$KIND" in
refusals) N=${2:-3000}; CONF=() ;;
flows) N=${2:-500}; CONF=(--config "$HERE/lifted.conf") ;;
codes) N=${2:-500}; CONF=() ;;
*) echo "usage: bash bench/instructions.sh [refusals|flows|codes] [N]" >&2; exit 1 ;;
esac
IOTPD=${IOTPD:-$HERE/../build/iotpd}
bench_require instructions.sh "valgrind nodejs" valgrind callgrind_control callgrind_annotate node

TMP=$(mktemp -d /tmp/iotp-instructions.XXXXXX)
PID=""
KANNEL_PID=""
cleanup() {
	if [ -n "$PID" ] && kill "$PID" 2>/dev/null; then wait "$PID" 2>/dev/null || true; fi
	if [ -n "$KANNEL_PID" ] && kill "$KANNEL_PID" 2>/dev/null; then wait "$KANNEL_PID" 2>/dev/null || true; fi
	if [ "${KEEP:-0}" = 1 ]; then echo "kept: $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

if [ "$KIND" = codes ]; then
	command -v bearerbox >/dev/null || { echo "instructions.sh: codes needs Kannel (apt-get install -y kannel)" >&2; exit 1; }
	node "$HERE/kannel-up.mjs" "$TMP" >"$TMP/kannel.out" 2>&1 &
	KANNEL_PID=$!
	for _ in $(seq 300); do [ -e "$TMP/ready" ] && break; kill -0 "$KANNEL_PID" 2>/dev/null || break; sleep 0.1; done
	[ -e "$TMP/ready" ] || { cat "$TMP/kannel.out" >&2; echo "instructions.sh: Kannel did not start" >&2; exit 1; }
	CONF=(--config "$TMP/iotpd.conf")
	METRICS=(--metrics-token bench-metrics-token-0)
fi

IOTP_POW_IP_SESSIONS=0 valgrind --tool=callgrind --instr-atstart=no \
	--callgrind-out-file="$TMP/callgrind.out" "$IOTPD" --dev "${CONF[@]}" \
	--listen 127.0.0.1:0 --data "$TMP/data" >"$TMP/out" 2>"$TMP/err" &
PID=$!
URL=$(iotpd_url "$TMP/out" "$PID" 600 0.1)
[ -n "$URL" ] || { cat "$TMP/err" >&2; echo "instructions.sh: iotpd did not start" >&2; exit 1; }

# A warm-up outside the count (first numbers, caches, prepared statements).
# Codes need their sessions first, made outside the count too.
if [ "$KIND" = codes ]; then
	node "$HERE/load.mjs" --url "$URL" --kind sessions --n 50 --base 7480000000 --ids "$TMP/warm.json" >/dev/null
	node "$HERE/load.mjs" --url "$URL" --kind codes --ids "$TMP/warm.json" "${METRICS[@]}" >/dev/null
	node "$HERE/load.mjs" --url "$URL" --kind sessions --n "$N" --base 7481000000 --ids "$TMP/ids.json" >/dev/null
	LOAD=(--kind codes --ids "$TMP/ids.json" "${METRICS[@]}")
else
	node "$HERE/load.mjs" --url "$URL" --kind "$KIND" --n 50 --base 7480000000 >/dev/null
	LOAD=(--kind "$KIND" --n "$N" --base 7481000000)
fi
callgrind_control -i on "$PID" >/dev/null 2>&1
node "$HERE/load.mjs" --url "$URL" "${LOAD[@]}"
callgrind_control -i off "$PID" >/dev/null 2>&1
kill "$PID"
wait "$PID" 2>/dev/null || true
PID=""

TOTAL=$(awk '/^totals:/ { s += $2 } END { print s + 0 }' "$TMP"/callgrind.out*)
[ "$TOTAL" -gt 0 ] || { echo "instructions.sh: callgrind counted nothing" >&2; exit 1; }
echo "$KIND: $TOTAL instructions for $N, $((TOTAL / N)) each"
callgrind_annotate --inclusive=yes "$TMP"/callgrind.out* 2>/dev/null |
	awk '/^ *[0-9,]+ \(/ && !/PROGRAM TOTALS/' | head -30
