#!/usr/bin/env bash
# Runs a test program against PostgreSQL: the server IOTP_TEST_PG names (a
# libpq URI; scripts/test.sh starts one for the whole run), or else a private
# one started here with scripts/pg.sh and stopped afterwards.
# usage: with_pg.sh PROGRAM [ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export IOTP_TEST_BACKEND=postgres
if [ -n "${IOTP_TEST_PG:-}" ]; then
	exec "$@"
fi
dir=$(mktemp -d /tmp/iotp-unit-pg.XXXXXX)
trap '"$root/scripts/pg.sh" stop "$dir" || true; rm -rf "$dir"' EXIT
IOTP_TEST_PG=$("$root/scripts/pg.sh" start "$dir")
export IOTP_TEST_PG
"$@"
