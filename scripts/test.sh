#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. unit tests (cmocka) built with gcc, -Wall -Wextra -Werror
#   2. the same build with clang (must compile warning-free too)
#   1b. the Debian package (debian/): dpkg-buildpackage, installed, its unit
#      checked by systemd-analyze verify, iotpd and iotpctl run from /usr/bin,
#      purged (scripts/package-test.sh)
#   3. unit tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   3b. the libFuzzer harnesses (tests/fuzz), built with clang in build-fuzz,
#      each run over its seed corpus for a fixed number of inputs
#   0. a private PostgreSQL server (scripts/pg.sh) for the whole run: the store's
#      conformance suite runs against SQLite and against it ('store-postgres')
#   4. end-to-end tests (node --test) against the real iotpd binary, then once
#      more against the ASan + UBSan build of it, then once more with every
#      iotpd keeping its state in PostgreSQL (tests/e2e/package.json's
#      packages, the Twilio and Supabase SDKs and an SMPP simulator among them,
#      installed by npm ci); they start real Kannel (bearerbox, smsbox),
#      Prometheus, an SMTP server and local HTTP and SMPP receivers on loopback
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== PostgreSQL for the store's tests (scripts/pg.sh, stopped at exit)"
pgdir=$(mktemp -d /tmp/iotp-test-pg.XXXXXX)
trap 'scripts/pg.sh stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"' EXIT
IOTP_TEST_PG=$(scripts/pg.sh start "$pgdir")
export IOTP_TEST_PG

echo "== gcc build and unit tests"
CC=gcc CXX=g++ scripts/build.sh build
meson test -C build --print-errorlogs

echo "== Debian package: built, installed, systemd-analyze verify, run, purged"
scripts/package-test.sh

echo "== clang build"
CC=clang CXX=clang++ scripts/build.sh build-clang

echo "== unit tests under ASan + UBSan"
CC=gcc CXX=g++ scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false \
	-Dbuildtype=debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --print-errorlogs --suite unit

echo "== fuzz harnesses (clang, libFuzzer, ASan + UBSan)"
scripts/fuzz.sh

echo "== end-to-end test packages (the official SDKs the compat tests drive, from npm)"
(cd tests/e2e && npm ci --no-audit --no-fund)

# A test that hangs fails after 5 minutes, naming itself, instead of holding
# the whole run until CI gives up: the longest test or file takes ~21 s under
# ASan. (A Node 20 deadlock in key generation hung one once: passkeys.test.mjs.)
E2E=(node --test --test-timeout=300000 tests/e2e/)

echo "== end-to-end tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	IOTPD="$PWD/build-asan/iotpd" "${E2E[@]}"

echo "== end-to-end tests"
IOTPD="$PWD/build/iotpd" "${E2E[@]}"

echo "== end-to-end tests, every iotpd on PostgreSQL (a schema each)"
IOTP_E2E_PG="$IOTP_TEST_PG" IOTPD="$PWD/build/iotpd" "${E2E[@]}"
