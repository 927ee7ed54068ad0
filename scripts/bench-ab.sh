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
# (with min and max), user and system CPU, and the peak RSS range; then, for
# each binary after the first, the paired difference: its wall clock minus
# the first's in the same round (median and quartiles) and in how many
# rounds it was the faster. A drift of the machine moves both runs of a
# round alike, so a change of a few percent shows there when the medians,
# hour against hour, cannot show it. A binary that fails on SPEC stops the
# script.
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
  # The wall clock from bash's microsecond clock (/usr/bin/time's %e has
  # 10 ms steps); CPU times and peak RSS from /usr/bin/time.
  local start=$EPOCHREALTIME
  if ! /usr/bin/time -f "%U %S %M" -o "$scratch/time" "$1" check "$spec" >/dev/null 2>"$scratch/stderr"; then
    echo "bench-ab: $1 check $spec failed:" >&2
    cat "$scratch/stderr" >&2
    exit 1
  fi
  local end=$EPOCHREALTIME
  echo "$(python3 -c "print(f'{$end - $start:.6f}')") $(cat "$scratch/time")" >>"$2"
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
print(f"| {sys.argv[2]} | {name} | {median(wall):.3f} s ({min(wall):.3f}–{max(wall):.3f}) "
      f"| {median(user):.2f} s | {median(system):.2f} s "
      f"| {min(rss) / 1024:.0f}–{max(rss) / 1024:.0f} MB |")
PY
  done
done

# Paired: each binary against the first, round by round. The machine's
# drift moves both runs of a round alike, so the differences are steadier
# than the medians above.
[ $# -ge 2 ] || exit 0
echo
echo "| eosc | regime | wall minus the first's, same round: median (quartiles) | faster in |"
echo "|---|---|---:|---:|"
for i in $(seq 2 $#); do
  for regime in idle b2b; do
    python3 - "$scratch/1.$regime" "$scratch/$i.$regime" "${!i}" "$regime" <<'PY'
import statistics, sys
first, other = ([float(line.split()[0]) for line in open(path) if line.strip()]
                for path in sys.argv[1:3])
differences = sorted(b - a for a, b in zip(first, other))
low, middle, high = statistics.quantiles(differences, n=4) if len(differences) > 1 else differences * 3
name = {"idle": "after idle", "b2b": "back to back"}[sys.argv[4]]
faster = sum(d < 0 for d in differences)
print(f"| {sys.argv[3]} | {name} | {1000 * statistics.median(differences):+.1f} ms "
      f"({1000 * low:+.1f} … {1000 * high:+.1f}) | {faster} of {len(differences)} rounds |")
PY
  done
done
