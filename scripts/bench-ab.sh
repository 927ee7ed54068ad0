#!/usr/bin/env bash
# scripts/bench-ab.sh — `eosc check` of one spec by several eosc binaries,
# interleaved, for comparing two builds on a machine whose speed drifts
# (bench/RESULTS.md has results made with it).
#
#   scripts/bench-ab.sh [--rounds N] [--idle SECONDS] SPEC EOSC [EOSC …]
#
# Each round runs every binary in turn: it sleeps IDLE seconds (default 5),
# checks SPEC ("after idle"), then checks it again at once ("back to back").
# Running the binaries in turn, round after round, spreads the machine's drift
# over all of them. It prints, per binary and regime, the median wall clock
# (with min and max), user and system CPU, and the peak RSS range. A binary
# that fails on SPEC stops the script.
#
# Make a binary to compare against with, e.g.:
#   git worktree add /tmp/eosc-old f723387 && (cd /tmp/eosc-old && cargo build --release)
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"

usage() { bench_help "$0"; exit "${1:-0}"; }

rounds=10
idle=5
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    -h|--help) usage ;;
    --*) echo "bench-ab: unknown option $1" >&2; usage 2 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || usage 2
spec=$1
shift
bench_require python3 /usr/bin/time

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

run() { # binary, file the measurement is appended to
  if ! /usr/bin/time -f "%e %U %S %M" -a -o "$2" "$1" check "$spec" >/dev/null 2>"$scratch/stderr"; then
    echo "bench-ab: $1 check $spec failed:" >&2
    cat "$scratch/stderr" >&2
    exit 1
  fi
}

for round in $(seq "$rounds"); do
  for i in $(seq $#); do
    binary=${!i}
    sleep "$idle"
    run "$binary" "$scratch/$i.idle"
    run "$binary" "$scratch/$i.b2b"
  done
  echo "round $round of $rounds done" >&2
done

echo "spec: $spec ($(wc -c <"$spec") bytes); $rounds rounds, ${idle} s idle"
echo "| eosc | regime | wall median (min–max) | user | system | peak RSS |"
echo "|---|---|---:|---:|---:|---:|"
for i in $(seq $#); do
  for regime in idle b2b; do
    python3 - "$scratch/$i.$regime" "${!i}" "$regime" <<'PY'
import statistics, sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
wall, user, system, rss = ([row[k] for row in rows] for k in range(4))
median = statistics.median
name = {"idle": "after idle", "b2b": "back to back"}[sys.argv[3]]
print(f"| {sys.argv[2]} | {name} | {median(wall):.3f} s ({min(wall):.2f}–{max(wall):.2f}) "
      f"| {median(user):.2f} s | {median(system):.2f} s "
      f"| {min(rss) / 1024:.0f}–{max(rss) / 1024:.0f} MB |")
PY
  done
done
