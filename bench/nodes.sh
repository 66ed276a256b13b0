#!/usr/bin/env bash
# bench/nodes.sh: the full verification flow (bench/flow.lua) against
#   1. one iotpd on SQLite,
#   2. one iotpd on PostgreSQL,
#   3. two iotpd nodes on one PostgreSQL,
# in one run, each behind the same nginx reverse proxy (round robin over the
# nodes), so the three differ only in the store and the node count. Prints
# flows/s, CPU per part (iotpd, PostgreSQL, nginx), and what PostgreSQL did per
# verified flow (commits, rows written), the inputs of the capacity estimate in
# bench/RESULTS.md.
#
# The PostgreSQL server is a private one (scripts/pg.sh: loopback, fsync off,
# synchronous_commit off — as SQLite's default synchronous=normal, a power cut
# may lose the last commits, not corrupt). The dev inbox is per node: with two
# nodes a poll may reach the node that did not send the SMS; flow.lua polls
# again, and round robin brings it to the other node.
#
# Environment: DURATION (s, default 10), THREADS (2), CONNECTIONS (32),
# IOTPD (build/iotpd), KEEP=1 keeps the temporary directory.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
IOTPD=${IOTPD:-$ROOT/build/iotpd}
SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

die() { echo "nodes.sh: $*" >&2; exit 1; }
for tool in wrk nginx node curl awk psql; do
	command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh; apt-get install -y wrk nginx-light)"
done
[ -x "$IOTPD" ] || die "no server binary at $IOTPD (set IOTPD)"

TMP=$(mktemp -d /tmp/iotp-nodes.XXXXXX)
chmod 0755 "$TMP"
PIDS=()
NGINX_PID=""
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null || true
	"$ROOT/scripts/pg.sh" stop "$TMP/pg" >/dev/null 2>&1 || true
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# CPU ticks (user+system) of a list of pids, summed.
ticks() {
	local t=0 p v
	for p in "$@"; do
		v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$p"/stat 2>/dev/null || echo 0)
		t=$((t + v))
	done
	echo "$t"
}
pg_pids() { pgrep -P "$(head -n 1 "$TMP/pg/data/postmaster.pid")" | tr '\n' ' '; head -n 1 "$TMP/pg/data/postmaster.pid"; }

# Limits and fraud measures lifted for one address on sequential numbers:
# bench/lifted.conf says why.

PG=$("$ROOT/scripts/pg.sh" start "$TMP/pg")

# start_node NAME STORE: an iotpd, its pid appended to PIDS, its port in NODE_PORT.
start_node() {
	local name=$1 store=$2 out="$TMP/$1.out" url=""
	IOTP_STORE="$store" IOTP_SECRET="$SECRET" IOTP_NODE_NAME="$name" \
		"$IOTPD" --dev --config "$HERE/lifted.conf" --listen 127.0.0.1:0 --data "$TMP/$name" \
		>"$out" 2>"$TMP/$name.err" &
	PIDS+=($!)
	for _ in $(seq 200); do
		url=$(sed -n 's/^.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$out" || true)
		[ -n "$url" ] && break
		sleep 0.05
	done
	[ -n "$url" ] || { cat "$TMP/$name.err" >&2; die "iotpd $name did not start"; }
	NODE_PORT=$url
}

# proxy PORT...: nginx on a free port (PROXY_PORT), round robin over the iotpd ports.
proxy() {
	local dir="$TMP/nginx" port
	[ -n "$NGINX_PID" ] && { kill -QUIT "$NGINX_PID"; sleep 0.3; }
	rm -rf "$dir"
	mkdir -p "$dir/logs" "$dir/tmp"
	port=$(free_port)
	{
		echo "worker_processes 1; pid logs/nginx.pid; error_log logs/error.log warn; daemon on;"
		echo "events { worker_connections 4096; }"
		echo "http { access_log off; client_body_temp_path tmp/body; proxy_temp_path tmp/proxy;"
		echo "  fastcgi_temp_path tmp/f; uwsgi_temp_path tmp/u; scgi_temp_path tmp/s; keepalive_requests 1000000;"
		echo "  upstream iotp {"
		for p in "$@"; do echo "    server 127.0.0.1:$p;"; done
		echo "    keepalive 64; }"
		echo "  server { listen 127.0.0.1:$port; location / { proxy_pass http://iotp;"
		echo "    proxy_http_version 1.1; proxy_set_header Connection \"\"; } } }"
	} >"$dir/nginx.conf"
	nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" || die "nginx did not start"
	for _ in $(seq 50); do [ -s "$dir/logs/nginx.pid" ] && break; sleep 0.05; done
	NGINX_PID=$(cat "$dir/logs/nginx.pid")
	PROXY_PORT=$port
}

pg_counters() {
	psql -Atq -c "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = 'postgres'" "$PG"
}

# run LABEL PIDS...: wrk with flow.lua through the proxy; one summary line.
HZ=$(getconf CLK_TCK)
run() {
	local label=$1 port=$2 base=$3
	shift 3
	local nginx_pids iotpd_pids=("$@") before_i before_p before_n c0 c1 t0 t1 flows rps
	nginx_pids=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
	sleep 0.5
	before_i=$(ticks "${iotpd_pids[@]}")
	before_p=$(ticks $(pg_pids))
	before_n=$(ticks $nginx_pids)
	c0=$(pg_counters)
	t0=$(date +%s.%N)
	# Lock waits: how many of the server's sessions wait on a lock, sampled.
	(while :; do
		psql -Atq -c "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity WHERE backend_type = 'client backend'" "$PG" 2>/dev/null || true
		psql -Atq -c "SELECT wait_event || ' ' || left(regexp_replace(query, '\s+', ' ', 'g'), 60) FROM pg_stat_activity WHERE wait_event_type = 'Lock'" "$PG" >>"$TMP/lockq-$label.txt" 2>/dev/null || true
		sleep 0.2
	done) >"$TMP/locks-$label.txt" &
	local sampler=$!
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$HERE/flow.lua" \
		"http://127.0.0.1:$port" -- "$base" >"$TMP/wrk-$label.txt" 2>&1 || die "wrk failed ($label)"
	t1=$(date +%s.%N)
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	c1=$(pg_counters)
	local di dp dn
	di=$(($(ticks "${iotpd_pids[@]}") - before_i))
	dp=$(($(ticks $(pg_pids)) - before_p))
	dn=$(($(ticks $nginx_pids) - before_n))
	flows=$(sed -n 's/^flows: [0-9]*, flows\/s: \([0-9.]*\).*/\1/p' "$TMP/wrk-$label.txt")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk-$label.txt")
	[ -n "$flows" ] || { cat "$TMP/wrk-$label.txt"; die "no flows/s ($label)"; }
	awk -v l="$label" -v f="$flows" -v r="$rps" -v di="$di" -v dp="$dp" -v dn="$dn" -v hz="$HZ" \
		-v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" -v c0="$c0" -v c1="$c1" 'BEGIN {
		split(c0, a, "|"); split(c1, b, "|")
		n = f * s
		printf "%-22s %8.0f flows/s %8.0f req/s   CPU: iotpd %4.0f%%  postgres %4.0f%%  nginx %4.0f%%", \
			l, f, r, 100 * di / hz / s, 100 * dp / hz / s, 100 * dn / hz / s
		if (b[1] - a[1] > 100)
			printf "   per flow: %.1f transactions, %.1f rows written", (b[1] - a[1]) / n, (b[2] - a[2]) / n
	}' | tee -a "$TMP/summary.txt"
	# (the sampler's own session is active, never waiting on a lock)
	awk -F'|' 'NF == 2 { s++; l += $1; a += $2 - 1 } END {
		if (s && a) printf "   lock waits: %.2f of %.1f active sessions on average (%d samples)", l / s, a / s, s
		printf "\n" }' "$TMP/locks-$label.txt" | tee -a "$TMP/summary.txt"
}

echo "== machine: $(nproc) cores; wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s each; nginx (1 worker) in front of every case"
: >"$TMP/summary.txt"

start_node lite "sqlite:$TMP/lite/iotp.db"
proxy "$NODE_PORT"
run "1 node, SQLite" "$PROXY_PORT" 7400000000 "${PIDS[-1]}"
kill -TERM "${PIDS[-1]}"; wait "${PIDS[-1]}" || true; unset 'PIDS[-1]'

psql -q -c "CREATE SCHEMA one; CREATE SCHEMA two" "$PG"
start_node pg1 "$PG?options=-csearch_path%3Done"
proxy "$NODE_PORT"
run "1 node, PostgreSQL" "$PROXY_PORT" 7410000000 "${PIDS[-1]}"
kill -TERM "${PIDS[-1]}"; wait "${PIDS[-1]}" || true; unset 'PIDS[-1]'

start_node pga "$PG?options=-csearch_path%3Dtwo"
a=$NODE_PORT
start_node pgb "$PG?options=-csearch_path%3Dtwo"
proxy "$a" "$NODE_PORT"
run "2 nodes, PostgreSQL" "$PROXY_PORT" 7420000000 "${PIDS[-2]}" "${PIDS[-1]}"

echo
echo "================================ summary ================================"
cat "$TMP/summary.txt"
