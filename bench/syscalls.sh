#!/usr/bin/env bash
# bench/syscalls.sh: what the kernel does for iotpd per verified flow (system
# calls, futex calls, context switches, CPU), counted by `perf stat` while
# wrk runs bench/flow.lua: the half of iotpd's cost that bench/instructions.sh
# cannot see. Counts move far less than timings between runs on a shared
# machine; still, compare two builds in interleaved runs (bench/RESULTS.md).
#
#   bash bench/syscalls.sh [SECONDS]        # default 4
#   IOTPD=/tmp/old/iotpd bash bench/syscalls.sh
#
# Prints one line: flows, then per flow: all system calls, futex, epoll_wait,
# epoll_ctl, write, getrandom, fcntl, context switches, and iotpd's CPU in µs.
# Needs perf (apt-get install -y linux-perf), wrk and root (or a
# perf_event_paranoid that lets you trace a process you started).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
SECS=${1:-4}
IOTPD=${IOTPD:-$HERE/../build/iotpd}
bench_require syscalls.sh "linux-perf wrk" perf wrk

TMP=$(mktemp -d /tmp/iotp-syscalls.XXXXXX)
PID=""
cleanup() {
	if [ -n "$PID" ] && kill "$PID" 2>/dev/null; then wait "$PID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

IOTP_POW_IP_SESSIONS=0 "$IOTPD" --dev --config "$HERE/lifted.conf" --listen 127.0.0.1:0 \
	--data "$TMP/data" >"$TMP/out" 2>"$TMP/err" &
PID=$!
URL=$(iotpd_url "$TMP/out" "$PID")
[ -n "$URL" ] || { cat "$TMP/err" >&2; echo "syscalls.sh: iotpd did not start" >&2; exit 1; }

EVENTS=raw_syscalls:sys_enter
for s in futex epoll_wait epoll_ctl write getrandom fcntl; do
	EVENTS="$EVENTS,syscalls:sys_enter_$s"
done
perf stat -e "$EVENTS,context-switches,task-clock" -p "$PID" -o "$TMP/stat" -- sleep "$SECS" &
STAT=$!
wrk -t2 -c32 -d"${SECS}s" --timeout 10s -s "$HERE/flow.lua" "$URL" >"$TMP/wrk.txt"
wait "$STAT"
FLOWS=$(sed -n 's/^flows: \([0-9]*\),.*/\1/p' "$TMP/wrk.txt")
[ "${FLOWS:-0}" -gt 0 ] || { cat "$TMP/wrk.txt" >&2; echo "syscalls.sh: no verified flow" >&2; exit 1; }
awk -v f="$FLOWS" '
/sys_enter|context-switches|task-clock/ {
	gsub(",", "", $1)
	name = $2 == "msec" ? $3 : $2
	sub("syscalls:sys_enter_", "", name); sub("raw_syscalls:sys_enter", "syscalls", name)
	if (name == "task-clock") { name = "cpu_us"; $1 = $1 * 1000 }
	line = line sprintf("  %s %.2f", name, $1 / f)
}
END { printf "flows %d, per flow:%s\n", f, line }' "$TMP/stat"
