#!/usr/bin/env bash
# scripts/bench-compose.sh — what several files and module instances cost
# (bench/RESULTS.md has the numbers).
#
# Generates the benchmark stack of N services (`eosc-bench gen N`), writes it
# again with scripts/compose-stack.py as
#   split    the root with `include = ["parts/*.eos"]` and FILES part files,
#   modules  every database (N/10 of them) an instance of a module file (one
#            per shape of database), and
#   expanded that modular stack written out by hand in one file,
# proves that each pair builds byte-identical artifacts (single = split,
# modules = expanded: LANGUAGE.md section 11; on a stack of at most
# --identity-services, default 2,000), and prints `eosc check` time
# (hyperfine mean, and CPU) and peak RSS for each, with the ratio to the
# single file it stands for.
#
# Usage: scripts/bench-compose.sh [--services N] [--files FILES] [--runs R]
#                                 [--identity-services M]
# Environment: BENCH_DIR (scratch folder, default /tmp/eosc-bench-compose).
# Tools: python3, hyperfine and /usr/bin/time (Debian `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/bench-lib.sh

SERVICES=100000
FILES=1000
RUNS=10
IDENTITY_SERVICES=2000
while [ $# -gt 0 ]; do
  case "$1" in
    --services) SERVICES=$2; shift 2 ;;
    --files) FILES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --identity-services) IDENTITY_SERVICES=$2; shift 2 ;;
    -h|--help) bench_help "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
bench_require python3 hyperfine /usr/bin/time

WORK=${BENCH_DIR:-/tmp/eosc-bench-compose}
bench_fresh_dir "$WORK"
cargo build --release --quiet --features bench-tools --bins
EOSC=$ROOT/target/release/eosc

# The four shapes of a stack of N services in $1.
shapes() {
  mkdir -p "$1/single"
  "$ROOT/target/release/eosc-bench" gen "$2" --seed 1 >"$1/single/stack.eos"
  python3 scripts/compose-stack.py split "$1/single/stack.eos" "$1/split" "$3"
  python3 scripts/compose-stack.py modules "$1/single/stack.eos" "$1/modules" >&2
  mkdir -p "$1/expanded" && mv "$1/modules/expanded/stack.eos" "$1/expanded/stack.eos"
  rmdir "$1/modules/expanded"
}

SHAPES="single split expanded modules"
# Byte-identity on a smaller stack: the build of 100,000 services writes tens
# of gigabytes (the Nomad client states of every host list every CephFS volume).
IDENTITY=$(( SERVICES < IDENTITY_SERVICES ? SERVICES : IDENTITY_SERVICES ))
shapes "$WORK/identity" "$IDENTITY" "$(( FILES < IDENTITY / 10 ? FILES : IDENTITY / 10 ))"
for shape in $SHAPES; do
  "$EOSC" build "$WORK/identity/$shape/stack.eos" -o "$WORK/identity/out-$shape" >/dev/null
done
diff -r "$WORK/identity/out-single" "$WORK/identity/out-split" >/dev/null ||
  { echo "split and single-file stacks build different artifacts" >&2; exit 1; }
diff -r "$WORK/identity/out-modules" "$WORK/identity/out-expanded" >/dev/null ||
  { echo "modular and written-out stacks build different artifacts" >&2; exit 1; }
echo "byte-identical at $IDENTITY services: split = single, modules = expanded" >&2
rm -rf "$WORK/identity"

shapes "$WORK" "$SERVICES" "$FILES"
for shape in $SHAPES; do
  "$EOSC" check --deny-warnings "$WORK/$shape/stack.eos" >/dev/null ||
    { echo "$shape: eosc check found problems (the stack should be clean)" >&2; exit 1; }
done

instances=$(grep -c '^module "' "$WORK/modules/stack.eos")
module_files=$(find "$WORK/modules/modules" -name '*.eos' | wc -l)
echo "| stack | files | instances | check ms (cpu ms) | ratio | peak RSS |"
echo "|---|---:|---:|---:|---:|---:|"
declare -A MEAN
for shape in $SHAPES; do
  hyperfine -N -w 2 -r "$RUNS" --export-json "$WORK/h-$shape.json" \
    "$EOSC check --format json $WORK/$shape/stack.eos" >/dev/null
  read -r mean cpu < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r["mean"]*1000, (r["user"]+r["system"])*1000)' "$WORK/h-$shape.json")
  MEAN[$shape]=$mean
  rss=$( { /usr/bin/time -f '%M' "$EOSC" check --format json "$WORK/$shape/stack.eos" >/dev/null; } 2>&1 | tail -1)
  case $shape in
    single) files=1; count=0; base=single ;;
    split) files=$((FILES + 1)); count=0; base=single ;;
    modules) files=$((module_files + 1)); count=$instances; base=expanded ;;
    expanded) files=1; count=0; base=expanded ;;
  esac
  ratio=$(python3 -c "print(f'{$mean / ${MEAN[$base]}:.2f}')")
  printf '| %s | %d | %d | %.0f (%.0f) | %s | %.0f MB |\n' "$shape" "$files" "$count" "$mean" "$cpu" "$ratio" "$(python3 -c "print($rss / 1024)")"
done
