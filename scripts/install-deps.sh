#!/usr/bin/env bash
# Installs every Debian 12 package Tycho needs to build, test and benchmark. Idempotent.
# Runs apt-get as root (through sudo when not root).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

PACKAGES=(
    # build (libclang-rt-14-dev: the libFuzzer and sanitizer runtimes, only "recommended" by clang)
    build-essential cmake pkg-config clang libclang-rt-14-dev
    # runtime libraries (DESIGN.md §2)
    libluajit2-5.1-dev libuv1-dev node-llhttp libpcre2-dev libssl-dev lua-cjson
    # tests and benchmarks
    libgtest-dev libgmock-dev libbenchmark-dev python3 curl wrk redis-server procps
    # OpenResty libraries Debian packages, run unchanged by specs (tests/spec/lua/libraries.t)
    lua-nginx-string lua-nginx-cookie
    # reference for side-by-side benchmarks only (never a runtime dependency)
    nginx libnginx-mod-http-lua lua-resty-core
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update
    # nginx's package starts a system nginx on port 80; we only want its binary.
    if [ ! -e /usr/sbin/policy-rc.d ] && [ -d /usr/sbin ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod +x /usr/sbin/policy-rc.d
        trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    $SUDO apt-get install -y "${missing[@]}"
fi
