#!/usr/bin/env bash
# Installs what is missing, builds, and runs iotpd in dev mode on
# http://127.0.0.1:8080 (API key 'dev', messages in the dev inbox).
# Extra arguments go to iotpd, e.g. scripts/dev.sh --listen 127.0.0.1:9000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
exec build/iotpd --dev "$@"
