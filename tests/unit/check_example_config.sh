#!/bin/sh
# docs/iotp.conf.example is generated from the option table; fail when it is stale.
# usage: check_example_config.sh IOTPD EXAMPLE
set -eu
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$1" --print-example-config > "$tmp"
if ! diff -u "$2" "$tmp"; then
	echo "docs/iotp.conf.example is out of date: run 'build/iotpd --print-example-config > docs/iotp.conf.example'" >&2
	exit 1
fi
echo "1 passed, 0 failed"
