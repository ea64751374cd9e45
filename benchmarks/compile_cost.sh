#!/usr/bin/env bash
# compile_cost.sh: what it costs to compile a translation unit that uses nuq (issue "nuq as a
# library: compile cost").
#
#   benchmarks/compile_cost.sh [--full]
#
# Probes: compiles benchmarks/compile_probes/floor.cpp (only <nlohmann/json.hpp> and
# <xsimd/xsimd.hpp>, an empty main: what any nuq user pays anyway), then every other
# benchmarks/compile_probes/*.cpp, one at a time, each twice, under GNU `time -v`, with the
# flags a Release user of nuq::nuq gets: $CXX (g++) -std=gnu++20 $OPT (-O2) -DNDEBUG
# -I<root>/include, plus -DNUQ_SIMD_DISPATCH=1 (what linking the compiled nuq::nuq adds) or,
# for a probe named *_header_only.cpp, -DNUQ_HEADER_ONLY (what nuq::nuq adds when built with
# NUQ_HEADER_ONLY=ON). xtensor, xsimd, nlohmann_json and yaml-cpp are in /usr/include.
# $CXXFLAGS, if set, is appended. Prints one row per probe: seconds (the faster of the two
# runs), the ratio to floor's seconds, peak RSS in MB (the higher of the two runs), the
# probe's limit, and ok or OVER. A probe states its limit in its first comment line:
#
#   // limit: 1.5x floor, 400 MB
#
# A probe without such a line has no limit ("-"). The last line counts the probes over their
# limits.
#
# --full: then also configures ${BUILD:-<root>/build-compile-cost} with
# -DCMAKE_BUILD_TYPE=Release -DNUQ_MEASURE_TU=ON (scripts/tu_cost.sh as the compiler
# launcher), cleans it, builds everything with -j${JOBS:-2}, and reports the total wall time,
# the five TUs with the largest peak memory, the five slowest (from <build>/tu_cost.log) and
# whether any exceeded 1500 MB. Under -j2 each TU shares the machine with another, so its
# seconds are longer than alone; the peak memory is its own.
#
# MB are 10^6 bytes. Exit status: 0 when every probe compiled (and, with --full, the build
# succeeded), whether or not a probe is over its limit: this is a measurement, not a test;
# 1 when a probe failed to compile or the build failed; 2 bad usage.
# On a shared machine, run it under `nice` if others need the cores, and compare ratios to
# floor rather than seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
probes_dir="$here/compile_probes"

full=0
for arg in "$@"; do
    case $arg in
        --full) full=1 ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "compile_cost.sh: unknown argument '$arg' (--full, --help)" >&2; exit 2 ;;
    esac
done

if [[ ! -x /usr/bin/time ]]; then
    echo "compile_cost.sh: needs GNU time at /usr/bin/time (Debian: apt-get install time)" >&2
    exit 2
fi

cxx=${CXX:-g++}
opt=${OPT:--O2}
read -r -a extra <<<"${CXXFLAGS:-}"
base_flags=(-std=gnu++20 "$opt" -DNDEBUG "-I$root/include" "${extra[@]}")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/compile_cost.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# measure SRC FLAGS...: compiles SRC once; sets $sec (wall seconds) and $mb (peak RSS, MB).
# Returns the compiler's status; its diagnostics are in $tmp/err.txt.
measure() {
    local src=$1
    shift
    local rc=0
    /usr/bin/time -v -o "$tmp/time.txt" "$cxx" "$@" -c "$src" -o "$tmp/probe.o" \
        >"$tmp/err.txt" 2>&1 || rc=$?
    # "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.34", "Maximum resident set size
    # (kbytes): 123456"
    sec=$(awk -F': ' '/Elapsed \(wall clock\)/ {
            n = split($2, p, ":"); s = 0
            for (i = 1; i <= n; i++) s = s * 60 + p[i]
            printf "%.2f", s }' "$tmp/time.txt")
    mb=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 * 1024 / 1e6 }' \
        "$tmp/time.txt")
    return "$rc"
}

# limit_of FILE: sets $lim_ratio and $lim_mb from the first comment line, or empties them.
limit_of() {
    local first
    first=$(sed -n '/^[[:space:]]*\/\//{p;q;}' "$1")
    lim_ratio='' lim_mb=''
    local re='^[[:space:]]*//[[:space:]]*limit:[[:space:]]*([0-9]*\.?[0-9]+)[[:space:]]*x[[:space:]]+floor[[:space:]]*,[[:space:]]*([0-9]*\.?[0-9]+)[[:space:]]*MB'
    if [[ $first =~ $re ]]; then
        lim_ratio=${BASH_REMATCH[1]}
        lim_mb=${BASH_REMATCH[2]}
    elif [[ $first =~ limit: ]]; then
        echo "compile_cost.sh: $(basename "$1"): cannot read the limit in '$first'" \
            "(expected '// limit: <ratio>x floor, <MB> MB')" >&2
    fi
}

floor_src="$probes_dir/floor.cpp"
if [[ ! -f $floor_src ]]; then
    echo "compile_cost.sh: $floor_src is missing" >&2
    exit 2
fi
probes=("$floor_src")
for f in "$probes_dir"/*.cpp; do
    if [[ -f $f && $f != "$floor_src" ]]; then probes+=("$f"); fi
done

width=5
for f in "${probes[@]}"; do
    name=$(basename "$f" .cpp)
    if ((${#name} > width)); then width=${#name}; fi
done

echo "compile cost of one TU: $("$cxx" --version | head -n 1)"
echo "flags: ${base_flags[*]/#-I$root\//-I} + -DNUQ_SIMD_DISPATCH=1, or -DNUQ_HEADER_ONLY for *_header_only.cpp"
echo "seconds: the faster of 2 runs; peak MB (10^6 bytes): the higher of the 2; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
fmt="%-${width}s %8s %8s %8s  %-20s %s\n"
# shellcheck disable=SC2059
printf "$fmt" probe seconds "x floor" "peak MB" limit ""

floor_sec=
n_over=0 n_failed=0 n_limited=0
for f in "${probes[@]}"; do
    name=$(basename "$f" .cpp)
    if [[ $f == *_header_only.cpp ]]; then
        flags=("${base_flags[@]}" -DNUQ_HEADER_ONLY)
    else
        flags=("${base_flags[@]}" -DNUQ_SIMD_DISPATCH=1)
    fi
    limit_of "$f"
    best_sec='' peak_mb=0 failed=0
    for _ in 1 2; do
        if ! measure "$f" "${flags[@]}"; then
            failed=1
            break
        fi
        if [[ -z $best_sec ]] || awk -v a="$sec" -v b="$best_sec" 'BEGIN { exit !(a < b) }'; then
            best_sec=$sec
        fi
        if ((mb > peak_mb)); then peak_mb=$mb; fi
    done
    limit=-
    if [[ -n $lim_ratio ]]; then limit="${lim_ratio}x floor, ${lim_mb} MB"; fi
    if ((failed)); then
        # shellcheck disable=SC2059
        printf "$fmt" "$name" - - - "$limit" "FAILED to compile:"
        sed 's/^/    /' "$tmp/err.txt" | head -n 20
        n_failed=$((n_failed + 1))
        if [[ $f == "$floor_src" ]]; then
            echo "compile_cost.sh: the floor probe does not compile; no ratios" >&2
            exit 1
        fi
        continue
    fi
    if [[ -z $floor_sec ]]; then floor_sec=$best_sec; fi
    ratio=$(awk -v a="$best_sec" -v b="$floor_sec" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    verdict=
    if [[ -n $lim_ratio ]]; then
        n_limited=$((n_limited + 1))
        if awk -v r="$ratio" -v lr="$lim_ratio" -v m="$peak_mb" -v lm="$lim_mb" \
            'BEGIN { exit !(r > lr || m > lm) }'; then
            verdict=OVER
            n_over=$((n_over + 1))
        else
            verdict=ok
        fi
    fi
    # shellcheck disable=SC2059
    printf "$fmt" "$name" "$best_sec" "$ratio" "$peak_mb" "$limit" "$verdict"
done
summary="$n_over of $n_limited probes with a limit over it"
if ((n_failed)); then summary+="; $n_failed failed to compile"; fi
echo "$summary"
status=0
if ((n_failed)); then status=1; fi

if ((full)); then
    build=${BUILD:-$root/build-compile-cost}
    log="$build/tu_cost.log"
    echo
    echo "full build: $build (Release, NUQ_MEASURE_TU=ON, -j${JOBS:-2})"
    if ! cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNUQ_MEASURE_TU=ON \
        >"$tmp/configure.txt" 2>&1; then
        cat "$tmp/configure.txt" >&2
        echo "compile_cost.sh: configuring $build failed" >&2
        exit 1
    fi
    cmake --build "$build" --target clean >/dev/null
    rm -f "$log"
    start=$(date +%s.%N)
    build_rc=0
    cmake --build "$build" -j"${JOBS:-2}" >"$tmp/build.txt" 2>&1 || build_rc=$?
    end=$(date +%s.%N)
    if ((build_rc)); then
        tail -n 40 "$tmp/build.txt" >&2
        echo "compile_cost.sh: the build failed (status $build_rc); figures below are partial" >&2
        status=1
    fi
    if [[ ! -s $log ]]; then
        echo "compile_cost.sh: $log is empty: was the launcher set? (CMAKE_CXX_COMPILER_LAUNCHER)" >&2
        exit 1
    fi
    awk -v s="$start" -v e="$end" 'BEGIN { t = e - s; printf "total build wall time: %.1f s (%dm%04.1fs)\n", t, t / 60, t - 60 * int(t / 60) }'
    awk '{ n++; s += $2 } END { printf "%d TUs, %.1f s of compile wall time summed\n", n, s }' "$log"
    echo "largest peak memory (MB, seconds, object):"
    sort -k1,1nr "$log" | head -n 5 | sed 's/^/  /'
    echo "slowest (MB, seconds, object):"
    sort -k2,2gr "$log" | head -n 5 | sed 's/^/  /'
    awk '$1 > 1500 { n++ } END { if (n) printf "%d TUs over 1500 MB\n", n; else print "no TU over 1500 MB" }' "$log"
fi
exit "$status"
