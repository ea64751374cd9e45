#!/bin/sh
# tu_cost.sh: compiler launcher that records each translation unit's compile time and peak
# memory. POSIX sh; needs GNU time at /usr/bin/time.
#
#   scripts/tu_cost.sh LOGFILE COMPILER ARGS...
#
# Runs COMPILER ARGS... under `/usr/bin/time -f '%e %M'` (its report goes to a temporary
# file, so the compiler's stdout and stderr pass through untouched), then appends one line
#
#   <peak RSS in MB> <wall seconds> <object file>
#
# to LOGFILE and exits with the compiler's exit status. MB are 10^6 bytes. The object file is
# the argument of -o, made relative to LOGFILE's directory when it lies under it (absolute
# otherwise; "-" when there is no -o). Lines are appended with one short write each, which
# O_APPEND keeps whole under parallel builds (make -j, ninja).
#
# CMake: -DNUQ_MEASURE_TU=ON sets CMAKE_CXX_COMPILER_LAUNCHER to "<this>;<build>/tu_cost.log".

if [ "$#" -lt 2 ]; then
    echo "usage: $0 LOGFILE COMPILER ARGS..." >&2
    exit 2
fi
log=$1
shift

# The object file: the argument after -o, or what follows -o in one word.
obj=-
prev=
for arg in "$@"; do
    if [ "$prev" = "-o" ]; then
        obj=$arg
        break
    fi
    case $arg in
        -o) ;;
        -o*) obj=${arg#-o}; break ;;
    esac
    prev=$arg
done
if [ "$obj" != "-" ]; then
    case $obj in
        /*) ;;
        *) obj=$PWD/$obj ;;
    esac
    logdir=$(cd "$(dirname "$log")" 2>/dev/null && pwd) || logdir=
    case $obj in
        "$logdir"/*) [ -n "$logdir" ] && obj=${obj#"$logdir"/} ;;
    esac
fi

report=$(mktemp "${TMPDIR:-/tmp}/tu_cost.XXXXXX") || exit 2
trap 'rm -f "$report"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

/usr/bin/time -o "$report" -f '%e %M' "$@"
status=$?

# GNU time writes "Command exited with non-zero status N" (or "...terminated by signal N")
# before the formatted line: the figures are on the last line.
line=$(tail -n 1 "$report")
case $line in
    [0-9]*)
        # shellcheck disable=SC2086 # split the two figures
        set -- $line
        mb=$(awk -v kib="$2" 'BEGIN { printf "%.0f", kib * 1024 / 1e6 }')
        printf '%s %s %s\n' "$mb" "$1" "$obj" >>"$log" ;;
    *)
        echo "tu_cost.sh: no figures from /usr/bin/time for $obj" >&2 ;;
esac
exit "$status"
