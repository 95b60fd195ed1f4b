#!/usr/bin/env bash
# Side-by-side benchmark: the same scenarios against a reference binary (A, Debian's nginx with
# the lua module loaded as run.sh does) and Tycho (B), interleaved A B A B so that a burst of
# noise on the shared machine does not hit one binary only. Builds nothing.
#
#   bench/compare.sh [scenario...]          # default: http_hello_static idle_rss_static
#   BENCH_RUNS=5 COMPARE_PASSES=2 bench/compare.sh http_hello_static
#
# Environment (all optional; run.sh's BENCH_* variables pass through):
#   COMPARE_A=/usr/sbin/nginx     reference binary
#   COMPARE_B=build/tycho         binary under test (relative to the repository root)
#   COMPARE_PASSES=2              passes per binary (A B A B ... ), each BENCH_RUNS runs
#   COMPARE_OUT=<temp dir>        where the per-pass result files are kept
#   COMPARE_FLOOR=<path>          also run this binary (F, normally build/bench/floor_server) on
#                                 the wrk scenarios, A B F A B F, and print F/A: the lowest CPU
#                                 ratio any server could reach there (README, "The kernel's share")
#
# stdout: the merged per-binary result lines, then a markdown table with B/A ratios of the
# medians (summarize.sh's two-file mode), the same ratios pass by pass, and a short headline
# of the issue's metrics.
# Nothing here judges the numbers: no timing is asserted anywhere.
set -u
set -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)

A=${COMPARE_A:-/usr/sbin/nginx}
B=${COMPARE_B:-$ROOT/build/tycho}
PASSES=${COMPARE_PASSES:-2}
F=${COMPARE_FLOOR:-}
OUT=${COMPARE_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/bench-compare-XXXXXX")}

die() { printf 'compare.sh: %s\n' "$*" >&2; exit 2; }

[ -x "$A" ] || die "reference binary not executable: $A"
[ -x "$B" ] || die "binary under test not executable: $B (build it: cmake --build build --target tycho)"
[ -z "$F" ] || [ -x "$F" ] || die "floor binary not executable: $F (cmake --build build --target floor_server)"
mkdir -p "$OUT"

if [ $# -eq 0 ]; then
    set -- http_hello_static idle_rss_static
fi
for s in "$@"; do
    [ -f "$BENCH_DIR/scenarios/$s.conf" ] || die "unknown scenario: $s"
done

# Scenarios without Lua need no lua_package_path line, and a server without a Lua runtime
# would reject it: omit it unless a scenario uses Lua (or the caller chose a path).
uses_lua=0
for s in "$@"; do
    grep -q '_by_lua' "$BENCH_DIR/scenarios/$s.conf" && uses_lua=1
done
if [ "$uses_lua" = 0 ] && [ -z "${BENCH_LUA_PACKAGE_PATH+x}" ]; then
    export BENCH_LUA_PACKAGE_PATH=""
fi

printf '# A: %s (%s)\n' "$A" "$("$A" -v 2>&1 </dev/null | head -n1)" >&2
printf '# B: %s (%s)\n' "$B" "$("$B" -v 2>&1 </dev/null | head -n1)" >&2
printf '# scenarios: %s; passes: %s x BENCH_RUNS=%s; results in %s\n' \
    "$*" "$PASSES" "${BENCH_RUNS:-3}" "$OUT" >&2

# The floor server answers HTTP requests and nothing else: only the wrk scenarios suit it.
floor_scenarios=()
if [ -n "$F" ]; then
    for s in "$@"; do
        grep -Eq '^# bench-kind:[[:space:]]*wrk[[:space:]]*$' "$BENCH_DIR/scenarios/$s.conf" &&
            floor_scenarios+=("$s")
    done
    [ ${#floor_scenarios[@]} -gt 0 ] || F=""
fi
sides="A B"
[ -n "$F" ] && sides="A B F"

rc=0
for ((p = 1; p <= PASSES; p++)); do
    for side in $sides; do
        printf '# pass %d: %s\n' "$p" "$side" >&2
        case $side in
            A) "$BENCH_DIR/run.sh" "$A" "$@" >"$OUT/A$p.txt" || rc=1 ;;
            B) "$BENCH_DIR/run.sh" "$B" "$@" >"$OUT/B$p.txt" || rc=1 ;;
            F) "$BENCH_DIR/run.sh" "$F" "${floor_scenarios[@]}" >"$OUT/F$p.txt" || rc=1 ;;
        esac
    done
done

"$BENCH_DIR/summarize.sh" --merge --lines "$OUT"/A[0-9]*.txt >"$OUT/A.txt"
"$BENCH_DIR/summarize.sh" --merge --lines "$OUT"/B[0-9]*.txt >"$OUT/B.txt"

echo "## A: $A"
cat "$OUT/A.txt"
echo
echo "## B: $B"
cat "$OUT/B.txt"
echo
echo "## B/A (medians over all runs of all passes)"
"$BENCH_DIR/summarize.sh" "$OUT/A.txt" "$OUT/B.txt"
echo

field() { sed -n "s/^scenario=$1 metric=$2 value=\([^ ]*\).*/\1/p" "$3" | head -n1; }
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b != "") printf "%.2f", b / a; else print "-" }'
}

# The same ratio per pass (pass p's B median over pass p's A median): how far one side-by-side
# run can stray from the pooled figure on this machine.
if [ "$PASSES" -gt 1 ]; then
    echo "## B/A per pass"
    header="| scenario | metric |"
    rule="|---|---|"
    for ((p = 1; p <= PASSES; p++)); do
        header="$header pass $p |"
        rule="$rule---:|"
    done
    echo "$header"
    echo "$rule"
    while read -r s m; do
        row="| $s | $m |"
        for ((p = 1; p <= PASSES; p++)); do
            row="$row $(ratio "$(field "$s" "$m" "$OUT/A$p.txt")" "$(field "$s" "$m" "$OUT/B$p.txt")") |"
        done
        echo "$row"
    done < <(sed -n 's/^scenario=\([^ ]*\) metric=\([^ ]*\) .*/\1 \2/p' "$OUT/B.txt" | grep -v ' error$')
    echo
fi

# The floor: the CPU per request of a server that does nothing but the system calls, against
# A's and B's. F/A is the lowest B/A any server could show in that scenario on this machine.
if [ -n "$F" ]; then
    "$BENCH_DIR/summarize.sh" --merge --lines "$OUT"/F[0-9]*.txt >"$OUT/F.txt"
    echo "## Against the floor (F: $F)"
    echo "| scenario | metric | A median | B median | F median | B/A | F/A (lowest possible B/A) |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    for s in "${floor_scenarios[@]}"; do
        for m in worker_cpu_us_per_req worker_user_us_per_req worker_sys_us_per_req; do
            a=$(field "$s" "$m" "$OUT/A.txt")
            b=$(field "$s" "$m" "$OUT/B.txt")
            f=$(field "$s" "$m" "$OUT/F.txt")
            [ -n "$a$b$f" ] || continue
            echo "| $s | $m | ${a:--} | ${b:--} | ${f:--} | $(ratio "$a" "$b") | $(ratio "$a" "$f") |"
        done
    done
    if [ "$PASSES" -gt 1 ]; then
        echo
        echo "F/A of worker_cpu_us_per_req per pass:"
        for s in "${floor_scenarios[@]}"; do
            row="$s:"
            for ((p = 1; p <= PASSES; p++)); do
                row="$row $(ratio "$(field "$s" worker_cpu_us_per_req "$OUT/A$p.txt")" \
                                 "$(field "$s" worker_cpu_us_per_req "$OUT/F$p.txt")")"
            done
            echo "$row"
        done
    fi
    echo
fi

# Headline: the issue's metrics (requests/s and p99 of http_hello_static, idle RSS).
echo "## Headline"
for m in "http_hello_static requests_per_sec" "http_hello_static latency_p99_ms" \
         "idle_rss_static worker_rss_idle_kb"; do
    set -- $m
    a=$(field "$1" "$2" "$OUT/A.txt")
    b=$(field "$1" "$2" "$OUT/B.txt")
    [ -n "$a$b" ] || continue
    printf '%s %s: A=%s B=%s B/A=%s\n' "$1" "$2" "${a:--}" "${b:--}" "$(ratio "$a" "$b")"
done
# Failed scenarios show up as metric=error lines in the per-pass files.
if grep -h 'metric=error' "$OUT"/[ABF][0-9]*.txt >&2; then
    rc=1
fi
exit $rc
