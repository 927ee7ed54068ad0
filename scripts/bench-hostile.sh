#!/usr/bin/env bash
# scripts/bench-hostile.sh — the classes of hostile input of issue 18 stay linear
# and small (bench/RESULTS.md has the numbers).
#
# For each class of scripts/hostile-specs.py (unknown references, warnings,
# syntax errors, a dependency knot, a complete dependency graph) and each size N,
# generates the spec and runs `eosc check` in every format (human, json, sarif),
# printing one row per run: spec size, wall time (median of --runs), peak RSS,
# RSS / spec size, the bytes written, and the scaling exponent
# log(t2/t1) / log(N2/N1) of the time against the previous size of that class and
# format. The complete graph grows as N^2 in spec size, so it gets its own sizes
# and its exponent is given against the spec's size instead.
#
# Usage: scripts/bench-hostile.sh [--sizes "1000 10000 100000"]
#                                 [--complete-sizes "100 300 1000"] [--runs R]
#                                 [--classes "unknown warnings syntax knot complete"]
# Environment: BENCH_DIR (scratch folder, default /tmp/eosc-bench-hostile).
# Tools: python3, /usr/bin/time (Debian `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

SIZES="1000 10000 100000"
COMPLETE_SIZES="100 300 1000"
RUNS=3
CLASSES="unknown warnings syntax knot complete"
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --complete-sizes) COMPLETE_SIZES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --classes) CLASSES=$2; shift 2 ;;
    -h|--help) bench_help "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
bench_require python3 /usr/bin/time
WORK=${BENCH_DIR:-/tmp/eosc-bench-hostile}
mkdir -p "$WORK"
echo "building eosc (release)" >&2
cargo build --release --quiet --bin eosc
EOSC=${CARGO_TARGET_DIR:-$PWD/target}/release/eosc
# Nothing may take more than 16 GiB of address space, or 300 s.
ulimit -v $((16 * 1024 * 1024))

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run SPEC FORMAT: sets WALL (median s), RSS (peak KiB), BYTES (stdout+stderr).
run() {
  local spec=$1 format=$2 i
  : >"$WORK/times"
  for ((i = 0; i < RUNS; i++)); do
    # check exits 1 on errors: only a timeout or a crash (>= 2) is a failure.
    local status=0
    /usr/bin/time -o "$WORK/one" -f '%e %M' timeout -k 5 300 \
      "$EOSC" check --format "$format" "$spec" >"$WORK/out" 2>&1 || status=$?
    if [ "$status" -ge 2 ]; then
      WALL="exit $status" RSS=0 BYTES=0
      tail -3 "$WORK/out" >&2
      return
    fi
    tail -1 "$WORK/one" >>"$WORK/times"
  done
  WALL=$(awk '{print $1}' "$WORK/times" | median)
  RSS=$(awk 'BEGIN {m = 0} {if ($2 > m) m = $2} END {print m}' "$WORK/times")
  BYTES=$(wc -c <"$WORK/out")
}

printf '| class | N | spec | format | check | peak RSS | RSS/spec | output | exponent |\n'
printf '|---|---:|---:|---|---:|---:|---:|---:|---:|\n'
for class in $CLASSES; do
  sizes=$SIZES
  [ "$class" = complete ] && sizes=$COMPLETE_SIZES
  declare -A last_wall=() last_x=()
  for n in $sizes; do
    spec="$WORK/$class-$n.eos"
    python3 scripts/hostile-specs.py "$class" "$n" >"$spec"
    size=$(wc -c <"$spec")
    # The knot and the others grow with N; the complete graph's spec with N^2.
    x=$n
    [ "$class" = complete ] && x=$size
    for format in human json sarif; do
      run "$spec" "$format"
      exponent=-
      if [ -n "${last_wall[$format]:-}" ]; then
        exponent=$(awk -v t1="${last_wall[$format]}" -v t2="$WALL" -v n1="${last_x[$format]}" -v n2="$x" \
          'BEGIN {if (t1 > 0.02 && t2 > 0) printf "%.2f", log(t2 / t1) / log(n2 / n1); else print "-"}')
      fi
      last_wall[$format]=$WALL last_x[$format]=$x
      awk -v c="$class" -v n="$n" -v s="$size" -v f="$format" -v t="$WALL" -v r="$RSS" -v b="$BYTES" -v e="$exponent" \
        'BEGIN {printf "| %s | %d | %.1f MB | %s | %s s | %.1f MB | %.1f× | %.0f KB | %s |\n",
                c, n, s / 1e6, f, t, r / 1024, r * 1024 / s, b / 1e3, e}'
    done
  done
  unset last_wall last_x
done
