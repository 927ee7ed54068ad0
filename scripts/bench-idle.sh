#!/usr/bin/env bash
# scripts/bench-idle.sh — `eosc check` after the machine was idle, and right
# after another check (bench/RESULTS.md has the numbers and what they mean).
#
# On a virtual machine whose balloon driver reports free pages to the host
# (virtio-balloon free page reporting, WSL2's memory reclaim), the memory a
# process frees is given back to the host a few seconds later, and the next
# process to touch it waits for the host to supply it again. Most of a
# large check's memory is touched for the first time once (transparent huge
# pages, 2 MiB each), so its time depends on how long the machine was idle
# before it. eosc therefore turns huge pages off for every command but the
# language server (src/main.rs), unless MIMALLOC_ALLOW_THP is set.
#
# This script measures both regimes, with eosc's default (small pages) and
# with MIMALLOC_ALLOW_THP=1 (huge pages, as mimalloc asks for them): each
# round sleeps IDLE seconds and runs `eosc check` (after idle), then runs it
# again at once (back to back), once for each setting. It prints for each the
# median wall clock (with min and max), user and system CPU, and peak RSS,
# with the machine's transparent huge page mode and its free page reporting
# order (none: no reporting).
#
# Usage: scripts/bench-idle.sh [--services N] [--runs R] [--idle SECONDS] [SPEC]
#   SPEC defaults to the generated stack of N services (100,000).
# Environment: BENCH_DIR (scratch folder, default /tmp/eosc-bench-idle).
# Tools: python3 and /usr/bin/time (Debian `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/bench-lib.sh

SERVICES=100000
RUNS=6
IDLE=5
SPEC=
while [ $# -gt 0 ]; do
  case "$1" in
    --services) SERVICES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --idle) IDLE=$2; shift 2 ;;
    -h|--help) bench_help "$0"; exit 0 ;;
    -*) echo "unknown argument: $1" >&2; exit 2 ;;
    *) SPEC=$1; shift ;;
  esac
done
bench_require python3 /usr/bin/time

WORK=${BENCH_DIR:-/tmp/eosc-bench-idle}
bench_fresh_dir "$WORK"
cargo build --release --quiet --features bench-tools --bins
EOSC=$ROOT/target/release/eosc
if [ -z "$SPEC" ]; then
  SPEC=$WORK/stack.eos
  "$ROOT/target/release/eosc-bench" gen "$SERVICES" --seed 1 >"$SPEC"
fi
"$EOSC" check "$SPEC" >/dev/null 2>&1 || true

thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)
reporting=$(cat /sys/module/page_reporting/parameters/page_reporting_order 2>/dev/null || echo none)
echo "spec: $SPEC ($(stat -c %s "$SPEC") bytes); transparent huge pages: ${thp:-unknown}; free page reporting order: $reporting"

# One timed check; its line goes to the file named by $1, the rest of the
# arguments are environment settings for it.
timed() {
  local out=$1; shift
  env -u MIMALLOC_ALLOW_THP "$@" /usr/bin/time -a -o "$out" -f '%e %U %S %M' \
    "$EOSC" check "$SPEC" >/dev/null 2>&1 || true
}
for pages in small huge; do : >"$WORK/$pages-idle" && : >"$WORK/$pages-back"; done
for _ in $(seq "$RUNS"); do
  for pages in small huge; do
    setting=()
    [ "$pages" = huge ] && setting=(MIMALLOC_ALLOW_THP=1)
    sleep "$IDLE"
    timed "$WORK/$pages-idle" "${setting[@]}"
    timed "$WORK/$pages-back" "${setting[@]}"
  done
done

python3 - "$WORK" "$IDLE" <<'PY'
import statistics, sys
work, idle = sys.argv[1], sys.argv[2]
print("| eosc check | pages | wall median (min–max) | user | system | peak RSS |")
print("|---|---|---:|---:|---:|---:|")
for name, label in (("idle", f"after {idle} s idle"), ("back", "back to back")):
  for pages, how in (("small", "small (default)"), ("huge", "huge (MIMALLOC_ALLOW_THP=1)")):
    rows = [list(map(float, line.split())) for line in open(f"{work}/{pages}-{name}") if line.strip()]
    wall, user, system, rss = ([row[i] for row in rows] for i in range(4))
    print(f"| {label} | {how} | {statistics.median(wall):.2f} s ({min(wall):.2f}–{max(wall):.2f}) "
          f"| {statistics.median(user):.2f} s | {statistics.median(system):.2f} s "
          f"| {statistics.median(rss) / 1024:.0f} MB |")
PY
