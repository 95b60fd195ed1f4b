#!/usr/bin/env bash
# The optimized build: Tycho built with a profile of its own hot paths (GCC profile-guided
# optimization) into build-release/ (binary build-release/tycho). Three steps:
#   1. build-pgo-gen/: a binary that records its profile (TYCHO_PGO=generate);
#   2. training: bench/run.sh runs it on the HTTP and Lua scenarios of bench/ (needs wrk and
#      curl, which scripts/install-deps.sh installs), each ending with a graceful stop that
#      writes the profile;
#   3. build-release/: the binary built with that profile (TYCHO_PGO=use) and link-time
#      optimization (the profile then lays out and inlines across all of Tycho's objects).
# Same behaviour as build/tycho, less CPU per request (bench/README.md, "Optimized build").
# Extra args go to both cmake configurations.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)
profile=$root/build-pgo-gen/profile

rm -rf "$profile"
cmake -S . -B build-pgo-gen -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTYCHO_PGO=generate \
    -DTYCHO_PGO_DIR="$profile" "$@" >/dev/null
cmake --build build-pgo-gen -j"$jobs" --target tycho

echo "== training build-pgo-gen/tycho"
BENCH_RUNS=1 BENCH_WRK_DURATION=${PGO_WRK_DURATION:-3s} BENCH_PORT=${PGO_PORT:-18380} \
    bench/run.sh build-pgo-gen/tycho http_hello http_headers_args http_timer_request \
    http_hello_static coroutine_resume thread_spawn_wait sema_pingpong sleep0_yield shdict_ops \
    >build-pgo-gen/training.log 2>&1 || { tail -30 build-pgo-gen/training.log; exit 1; }
# (Not `find | grep -q`: grep quitting at the first name makes find fail under pipefail.)
if [ -z "$(find "$profile" -name '*.gcda' -print -quit)" ]; then
    echo "build-pgo.sh: the training wrote no profile into $profile" >&2
    exit 1
fi

cmake -S . -B build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTYCHO_PGO=use \
    -DTYCHO_PGO_DIR="$profile" -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON "$@" >/dev/null
# Every object again (the profile is not a dependency make knows of), and a profile for each:
# a missing one is a warning from GCC, which would leave that code unoptimized without a word.
cmake --build build-release -j"$jobs" --target tycho --clean-first 2>&1 | tee build-release/pgo-use.log
if grep -q 'profile count data file not found' build-release/pgo-use.log; then
    grep 'profile count data file not found' build-release/pgo-use.log >&2
    echo "build-pgo.sh: objects built without their profile (see above)" >&2
    exit 1
fi
echo "== built build-release/tycho with the profile of build-pgo-gen/training.log's runs"
