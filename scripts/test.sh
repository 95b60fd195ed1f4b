#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs dependencies, builds with -Werror,
# runs unit tests, specs and integration tests (CTest), then builds the libFuzzer targets with
# clang and runs each for FUZZ_SECONDS (default 60) seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTYCHO_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
export TYCHO_LUA_FUZZ_SECONDS=${TYCHO_LUA_FUZZ_SECONDS:-60}  # issue 3: fuzz a Lua handler for 60 s
(cd build && ctest --output-on-failure -j"$jobs" --timeout 600)

# The shared-dictionary engine and the cross-worker semaphores are shared between worker
# threads: their stress tests run under ThreadSanitizer too.
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTYCHO_SANITIZE=thread >/dev/null
cmake --build build-tsan -j"$jobs" --target unit_shdict unit_event
for t in unit_shdict unit_event; do
    echo "== $t under ThreadSanitizer"
    TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/$t
done

fuzz_seconds=${FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then
    CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DTYCHO_FUZZ=ON >/dev/null
    cmake --build build-fuzz -j"$jobs" --target conf_fuzzer http_fuzzer
    for f in conf_fuzzer http_fuzzer; do
        corpus=build-fuzz/corpus-$f
        mkdir -p "$corpus"
        cp -f fuzz/seeds/$f/* "$corpus"/ 2>/dev/null || true
        echo "== fuzzing $f for ${fuzz_seconds}s"
        build-fuzz/fuzz/$f -max_total_time="$fuzz_seconds" -print_final_stats=1 "$corpus" \
            2>build-fuzz/$f.log || { tail -50 build-fuzz/$f.log; exit 1; }
        grep -E '^stat::number_of_executed_units' build-fuzz/$f.log || true
    done
fi
# The optimized build (profile-guided and link-time optimized, bench/README.md): it must keep
# building, and its binary must pass every spec, as build/tycho does (about a minute).
echo "== scripts/build-pgo.sh"
PGO_WRK_DURATION=2s scripts/build-pgo.sh -DTYCHO_WERROR=ON
build-release/tycho -V
python3 tests/spec/run_spec.py --binary build-release/tycho tests/spec/http/*.t \
    tests/spec/lua/*.t tests/spec/tycho/*.t
echo "== all tests passed"
