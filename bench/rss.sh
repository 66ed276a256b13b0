#!/usr/bin/env bash
# bench/rss.sh: iotpd's memory after creating 1,000,000 sessions.
#
# Starts iotpd --dev on a fresh data dir (loopback only), creates TOTAL sessions with
# wrk and bench/create.lua (POST /v1/sessions only, each for its own number), and
# reports VmRSS and VmHWM from /proc/PID/status before and after, the session count
# from `iotpctl stats`, and the size of the data dir. The target is VmRSS <= 64 MB.
#
# Environment:
#   TOTAL        sessions to create (default 1000000)
#   THREADS      wrk threads (default 2)
#   CONNECTIONS  wrk connections (default 32)
#   IOTPD        the server binary (default build/iotpd)
#   IOTPCTL      the admin tool (default: iotpctl beside IOTPD)
#   MAX_SECONDS  give up after this long (default 900)
#   KEEP         set to 1 to keep the temporary directory (data dir, logs)
#
# Exits non-zero only when something failed to run; a missed target is reported.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
TOTAL=${TOTAL:-1000000}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
IOTPD=${IOTPD:-$HERE/../build/iotpd}
IOTPCTL=${IOTPCTL:-$(dirname "$IOTPD")/iotpctl}
MAX_SECONDS=${MAX_SECONDS:-900}
TARGET_KB=$((64 * 1024))

die() { echo "rss.sh: $*" >&2; exit 1; }

for tool in wrk awk; do command -v "$tool" >/dev/null || die "$tool is missing"; done
[ -x "$IOTPD" ] || die "no server binary at $IOTPD (set IOTPD)"
[ -x "$IOTPCTL" ] || die "no iotpctl at $IOTPCTL (set IOTPCTL)"

TMP=$(mktemp -d /tmp/iotp-rss.XXXXXX)
IOTPD_PID=""
WRK_PID=""
cleanup() {
	if [ -n "$WRK_PID" ] && kill -0 "$WRK_PID" 2>/dev/null; then
		kill -INT "$WRK_PID" 2>/dev/null || true
		wait "$WRK_PID" 2>/dev/null || true
	fi
	if [ -n "$IOTPD_PID" ] && kill -0 "$IOTPD_PID" 2>/dev/null; then
		kill -TERM "$IOTPD_PID" 2>/dev/null || true
		wait "$IOTPD_PID" 2>/dev/null || true
	fi
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

mem() { # mem PID FIELD -> kB
	awk -v f="$2:" '$1 == f { print $2 }' /proc/"$1"/status
}

DATA="$TMP/iotp-data"
mkdir -p "$DATA" "$TMP/done"
: >"$TMP/iotpd.out"
# Limits and fraud measures lifted for one address on sequential numbers:
# bench/lifted.conf says why.
"$IOTPD" --dev --config "$HERE/lifted.conf" \
	--listen 127.0.0.1:0 --data "$DATA" >"$TMP/iotpd.out" 2>"$TMP/iotpd.err" &
IOTPD_PID=$!
URL=$(iotpd_url "$TMP/iotpd.out" "$IOTPD_PID")
[ -n "$URL" ] || { cat "$TMP/iotpd.err" >&2; die "iotpd did not start"; }

RSS0=$(mem "$IOTPD_PID" VmRSS)
HWM0=$(mem "$IOTPD_PID" VmHWM)
echo "== iotpd $URL, pid $IOTPD_PID, data $DATA"
echo "before: VmRSS $RSS0 kB, VmHWM $HWM0 kB"
echo "creating $TOTAL sessions: wrk -t$THREADS -c$CONNECTIONS -s bench/create.lua"

START=$(date +%s)
IOTP_BENCH_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNECTIONS" -d"${MAX_SECONDS}s" --timeout 10s \
	-s "$HERE/create.lua" "$URL" -- "$TOTAL" "$TMP/done" >"$TMP/wrk.txt" 2>&1 &
WRK_PID=$!
last=$START
while :; do
	n=$(find "$TMP/done" -name 'done.*' | wc -l)
	[ "$n" -ge "$THREADS" ] && break
	kill -0 "$WRK_PID" 2>/dev/null || break
	now=$(date +%s)
	if [ $((now - last)) -ge 10 ]; then
		echo "  $((now - START)) s: VmRSS $(mem "$IOTPD_PID" VmRSS) kB"
		last=$now
	fi
	sleep 0.2
done
if kill -0 "$WRK_PID" 2>/dev/null; then kill -INT "$WRK_PID"; fi
wait "$WRK_PID" || die "wrk failed: $(cat "$TMP/wrk.txt")"
WRK_PID=""
ELAPSED=$(($(date +%s) - START))
cat "$TMP/wrk.txt"
[ "$(find "$TMP/done" -name 'done.*' | wc -l)" -ge "$THREADS" ] ||
	echo "note: wrk stopped before every thread made its share (MAX_SECONDS=$MAX_SECONDS)"

RSS1=$(mem "$IOTPD_PID" VmRSS)
HWM1=$(mem "$IOTPD_PID" VmHWM)
sleep 2
RSS2=$(mem "$IOTPD_PID" VmRSS)
STATS=$("$IOTPCTL" --data "$DATA" stats) || die "iotpctl stats failed"
SESSIONS=$(echo "$STATS" | awk '$1 == "sessions" { print $2 }')
DB_KB=$(du -sk "$DATA" | awk '{ print $1 }')

kill -TERM "$IOTPD_PID"
wait "$IOTPD_PID" || echo "note: iotpd exited with status $? on SIGTERM"
IOTPD_PID=""

echo
echo "================================ summary ================================"
echo "sessions in the store (iotpctl stats): $SESSIONS, created in ${ELAPSED} s"
printf 'before:              VmRSS %8d kB   VmHWM %8d kB\n' "$RSS0" "$HWM0"
printf 'after:               VmRSS %8d kB   VmHWM %8d kB\n' "$RSS1" "$HWM1"
printf 'after 2 s idle:      VmRSS %8d kB\n' "$RSS2"
printf 'data dir:            %d kB\n' "$DB_KB"
awk -v r="$RSS1" -v h="$HWM1" -v t="$TARGET_KB" -v n="${SESSIONS:-0}" -v want="$TOTAL" 'BEGIN {
	verdict = n < want ? "NOT MEASURED (only " n " of " want " sessions were created)" : (r <= t ? "met" : "MISSED")
	printf "target VmRSS <= %d kB (64 MB) after %d sessions: %s (VmRSS %.1f MB, VmHWM %.1f MB)\n",
		t, want, verdict, r / 1024, h / 1024
}'
