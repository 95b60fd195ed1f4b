#!/usr/bin/env bash
# Installs dependencies, builds, and starts Tycho in the foreground on http://127.0.0.1:8080
# serving examples/ (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mkdir -p examples/logs
exec build/tycho -p "$PWD/examples/" -c conf/nginx.conf -g "daemon off;"
