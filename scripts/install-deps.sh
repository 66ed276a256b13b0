#!/usr/bin/env bash
# Installs, from Debian 12's archive, whatever iotp needs and this machine lacks.
# usage: scripts/install-deps.sh [--bench]   (--bench adds wrk)
set -euo pipefail

# libclang-rt-14-dev: libFuzzer and the sanitizers' runtimes, only recommended by clang.
# libcbor-dev: WebAuthn's CBOR (passkeys' attestation objects and COSE keys).
# libpcre2-dev, libprotobuf-dev: a number's region and type (src/phone/phone_type.cc).
# postgresql, libpq-dev: the PostgreSQL store and the server its tests start (scripts/pg.sh).
# chromium: the browser tests (tests/e2e/web.test.mjs) drive Debian's own, headless,
# through playwright-core; fonts-noto-color-emoji draws the country picker's flags.
# libsystemd-dev: sd_notify readiness (optional); debhelper, dpkg-dev: the Debian
# package (scripts/package-test.sh); nginx-light, openssl: the TLS proxy test.
# faketime: tests/e2e/pressure.test.mjs runs iotpd at chosen hours of the day (its hourly profile).
pkgs=(gcc g++ clang libclang-rt-14-dev meson ninja-build pkg-config
      libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev
      libphonenumber-dev libicu-dev libprotobuf-dev libpcre2-dev libcmocka-dev sqlite3 curl libcurl4-openssl-dev libssl-dev
      libcbor-dev
      kannel kannel-extras python3-aiosmtpd prometheus postgresql libpq-dev
      chromium fonts-noto-color-emoji faketime
      libsystemd-dev debhelper dpkg-dev nginx-light openssl)
if [ "${1:-}" = "--bench" ]; then
	pkgs+=(wrk)
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if ! command -v node >/dev/null 2>&1; then
	# The end-to-end tests need Node 20 or later (node --test). Debian 12's own
	# nodejs is 18; never install Debian's npm beside a newer Node.
	echo "install-deps: node is missing; the end-to-end tests need Node.js >= 20" >&2
	missing+=(nodejs)
fi

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# --no-install-recommends: libphonenumber-dev would otherwise pull ~160 MiB of Boost.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
