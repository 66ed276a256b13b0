#!/usr/bin/env bash
# A private PostgreSQL server for the tests: Debian's postgresql binaries, its
# own data directory, a free loopback port, run as the postgres user (the
# server refuses to run as root), stopped afterwards.
#
# usage: scripts/pg.sh start DIR   initdb's DIR/data if need be, starts the server,
#                                  prints its URL (also written to DIR/url); started
#                                  again on the same DIR, it takes the same port
#        scripts/pg.sh stop DIR    stops it (the data stays until DIR is removed)
#        scripts/pg.sh url DIR     prints the URL of a started server
#
# The server trusts local connections (it listens on 127.0.0.1 only) and runs
# with fsync off: it holds test data, nothing to keep after a power cut.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
	echo "usage: scripts/pg.sh start|stop|url DIR" >&2
	exit 2
fi

bin=${PG_BIN:-}
if [ -z "$bin" ]; then
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
	echo "pg.sh: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin;" \
		"run scripts/install-deps.sh (it installs Debian's postgresql)" >&2
	exit 1
fi

# Runs a command as the user that owns the server: postgres when we are root.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

case "$cmd" in
start)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
		chmod 0755 "$dir"
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
			--no-sync >"$dir/initdb.log" 2>&1 || {
			cat "$dir/initdb.log" >&2
			exit 1
		}
	fi
	if [ -f "$dir/port" ]; then
		port=$(cat "$dir/port")
	else
		port=$(free_port)
		echo "$port" >"$dir/port"
	fi
	# max_connections: every iotpd of the e2e suite keeps a pool (store_pool_size).
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500 -c shared_buffers=64MB" \
		start >/dev/null || {
		tail -n 30 "$dir/server.log" >&2
		exit 1
	}
	url="postgresql://postgres@127.0.0.1:$port/postgres"
	echo "$url" >"$dir/url"
	echo "$url"
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	fi
	;;
url)
	cat "$dir/url"
	;;
*)
	echo "usage: scripts/pg.sh start|stop|url DIR" >&2
	exit 2
	;;
esac
