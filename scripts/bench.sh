#!/usr/bin/env bash
# scripts/bench.sh — speed as a measured feature (bench/RESULTS.md has the numbers).
#
# Builds eosc in release mode, generates stacks of N services with
# `eosc-bench gen N`, and prints one table row per N: spec size, `eosc check` and
# `eosc build` time (median wall clock, and CPU = user+sys), peak RSS, the floor
# (read the spec and write the same output files with nothing else done: `tar x`
# of a tarball of eosc's output into a fresh folder), build/floor, RSS/spec size,
# and the scaling exponent log(t2/t1)/log(N2/N1) between consecutive sizes.
# Then the side-by-side: the same stack (`eosc-bench gen N --json`) through
# bench/nomad-jobs.jsonnet (jrsonnet and/or Debian's C++ jsonnet) and
# bench/nomad-jobs.ncl (nickel), which validate it and write a Nomad job JSON per
# nomad service, timed the same way, with the ratio eosc build / peer.
#
# Usage: scripts/bench.sh [--sizes "100 1000 10000 100000"] [--runs R]
#                         [--timeout SECONDS] [--peer-timeout SECONDS]
#                         [--memory GIB] [--peer-memory GIB] [--no-peers]
#                         [--no-install] [--seed S]
# Environment: BENCH_DIR (scratch folder, default /tmp/eosc-bench).
#
# Every single run is bounded by `timeout` and its address space by --memory
# (eosc, default 16 GiB) or --peer-memory (peers, default 8 GiB: Nickel needs
# ~10 GB at N=10,000), so that the machine stays usable; a run over either is
# reported as such, and a peer that fails at one size is not run at larger ones.
# Tools: /usr/bin/time (Debian `time`) is required; hyperfine, jsonnet
# (Debian), jrsonnet and nickel (cargo) are used when present.
# Without --no-install, the Debian packages `time`, `hyperfine` and `jsonnet` are
# installed when missing (apt-get, as root); jrsonnet and nickel-lang-cli are
# slow to compile and are only installed by hand:
#   cargo install --locked jrsonnet --version 0.5.0-pre98
#   cargo install --locked nickel-lang-cli --no-default-features --features format
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/bench-lib.sh

SIZES="100 1000 10000 100000"
RUNS=5
TIMEOUT=300
PEER_TIMEOUT=300
PEER_MEMORY=8
MEMORY=16
PEERS=1
INSTALL=1
SEED=1
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --peer-timeout) PEER_TIMEOUT=$2; shift 2 ;;
    --peer-memory) PEER_MEMORY=$2; shift 2 ;;
    --memory) MEMORY=$2; shift 2 ;;
    --no-peers) PEERS=0; shift ;;
    --no-install) INSTALL=0; shift ;;
    --seed) SEED=$2; shift 2 ;;
    -h|--help) bench_help "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

WORK=${BENCH_DIR:-/tmp/eosc-bench}
mkdir -p "$WORK"
log() { printf '%s\n' "$*" >&2; }

# --- tools --------------------------------------------------------------------------
apt_install() {
  [ "$INSTALL" = 1 ] || return 0
  command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] || return 0
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  log "installing ${missing[*]} (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; } ||
    log "could not install ${missing[*]}"
}
apt_install time hyperfine
[ "$PEERS" = 1 ] && apt_install jsonnet
[ -x /usr/bin/time ] || { log "/usr/bin/time is required (Debian package: time)"; exit 2; }
export PATH="$PATH:$HOME/.cargo/bin"
HYPERFINE=$(command -v hyperfine || true)

log "building eosc (release)"
cargo build --release --quiet --features bench-tools --bin eosc --bin eosc-bench
EOSC=$ROOT/target/release/eosc
GEN=$ROOT/target/release/eosc-bench
# From here on, nothing may take more than --memory of address space.
ulimit -v $((MEMORY * 1024 * 1024))

# --- measuring ----------------------------------------------------------------------
# measure NAME PREPARE COMMAND: runs COMMAND $RUNS times (PREPARE before each,
# untimed), each bounded by $LIMIT seconds. Sets WALL and CPU (median seconds,
# "timeout" or "fail") and RSS (peak KiB over the runs).
LIMIT=$TIMEOUT
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "fail"; else if (NR%2) print a[(NR+1)/2]; else printf "%.6f\n", (a[NR/2]+a[NR/2+1])/2}'; }
measure() {
  local name=$1 prepare=$2; shift 2
  local out="$WORK/time.$name" runs=$RUNS i status
  : >"$out"
  WALL=fail CPU=fail RSS=0 WHY=""
  for ((i = 0; i < runs; i++)); do
    sh -c "$prepare"
    status=0
    /usr/bin/time -o "$out.one" -f '%e %U %S %M' timeout -k 5 "$LIMIT" "$@" >"$WORK/stdout.$name" 2>"$WORK/stderr.$name" || status=$?
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
      WALL=timeout CPU=timeout RSS=$(tail -1 "$out.one" | awk '{print $4 + 0}')
      return
    fi
    if [ "$status" != 0 ]; then
      WHY="exit $status"
      grep -qiE 'memory allocation|out of memory|cannot allocate|bad_alloc' "$WORK/stderr.$name" && WHY="out of memory" WALL=oom CPU=oom
      log "$name failed ($WHY): $(tail -3 "$WORK/stderr.$name")"
      return
    fi
    tail -1 "$out.one" >>"$out"
    # One run over 20 s is enough: the spread is far below the differences.
    # hyperfine (below) only adds its runs to commands under 2 s.
    if [ "$i" = 0 ] && awk '{exit !($1 > 20)}' "$out.one"; then runs=1; fi
  done
  if [ -n "$HYPERFINE" ] && [ "$runs" -gt 1 ] && awk '{exit !($1 < 2)}' "$out.one"; then
    # hyperfine for the wall clock (more runs, warm-up, no shell), /usr/bin/time for CPU and RSS.
    # With -N hyperfine splits PREPARE into words itself: `a && b` would run `a` with
    # `&&` and `b` as arguments, so PREPARE goes through sh.
    # Commands under 0.2 s get at least 20 runs: this VM's noise is milliseconds.
    local hf_runs=$runs
    if awk '{exit !($1 < 0.2)}' "$out.one" && [ "$hf_runs" -lt 20 ]; then hf_runs=20; fi
    if "$HYPERFINE" -N --warmup 1 --runs "$hf_runs" --prepare "sh -c \"$prepare\"" \
      --export-json "$WORK/hf.$name.json" -- "$(printf '%q ' timeout -k 5 "$LIMIT" "$@")" >/dev/null 2>&1; then
      WALL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$WORK/hf.$name.json" 2>/dev/null || echo fail)
    else
      log "$name: hyperfine failed; wall clock from /usr/bin/time (10 ms resolution)"
    fi
  fi
  [ "$WALL" != fail ] || WALL=$(awk '{print $1}' "$out" | median)
  CPU=$(awk '{print $2 + $3}' "$out" | median)
  RSS=$(awk 'BEGIN {m = 0} {if ($4 > m) m = $4} END {print m}' "$out")
}

ms() { case "$1" in timeout) echo ">${LIMIT}s" ;; oom) echo "out of memory" ;; fail) echo fail ;; *) awk -v t="$1" 'BEGIN {if (t < 10) printf "%.1f", t * 1000; else printf "%.0f", t * 1000}' ;; esac; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-"}'; }
exponent() { awk -v t1="$1" -v t2="$2" -v n1="$3" -v n2="$4" 'BEGIN {if (t1 + 0 > 0 && t2 + 0 > 0) printf "%.2f", log(t2 / t1) / log(n2 / n1); else print "-"}'; }
# mb KIB STATUS: a peak RSS; "≥" when the run was stopped before its end.
mb() { awk -v k="$1" -v s="$2" 'BEGIN {printf "%s%.1f MB", (s == "timeout" || s == "oom") ? "≥" : "", k * 1024 / 1e6}'; }
num() { case "$1" in timeout|fail|oom) echo 0 ;; *) echo "$1" ;; esac; }

# --- eosc ---------------------------------------------------------------------------
NPROC=$(nproc)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
TABLE=$WORK/table.md
{
  echo "machine: $NPROC cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); load average at start $LOAD; $(date -u '+%Y-%m-%d %H:%M UTC'); eosc $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+dirty'); runs $RUNS (median), timeout ${TIMEOUT}s"
  echo
  echo "| N | spec | check ms (cpu) | build ms (cpu) | floor ms (cpu) | build/floor | files | RSS check | RSS build | RSS/spec | exp check | exp build |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$TABLE"

declare -A CHECK BUILD BUILD_CPU FLOOR SPEC RSSB RSSC
PREV=""
for n in $SIZES; do
  spec=$WORK/stack-$n.eos
  [ -s "$spec" ] && [ "$spec" -nt "$GEN" ] || "$GEN" gen "$n" --seed "$SEED" >"$spec"
  bytes=$(stat -c %s "$spec")
  SPEC[$n]=$bytes
  log "N=$n: spec $((bytes / 1024)) KiB"

  LIMIT=$TIMEOUT
  measure "check-$n" "true" "$EOSC" check "$spec"
  CHECK[$n]=$WALL; check_cpu=$CPU; RSSC[$n]=$RSS
  if [ -s "$WORK/stdout.check-$n" ] || grep -q 'error\[' "$WORK/stderr.check-$n" 2>/dev/null; then
    log "N=$n: eosc check printed diagnostics (the stack should be clean):"; head -20 "$WORK/stderr.check-$n" >&2
  fi

  out=$WORK/out-$n
  # `sync` after the untimed clean-up: the deletion's journal and discards must
  # not be billed to the timed run (the disk here is mounted with `discard`).
  measure "build-$n" "rm -rf '$out' && sync" "$EOSC" build "$spec" -o "$out"
  BUILD[$n]=$WALL; BUILD_CPU[$n]=$CPU; RSSB[$n]=$RSS
  # (hyperfine's last run may have been the one cut by the timeout: make sure
  # the output is there for the floor.)
  case ${BUILD[$n]} in timeout|oom|fail) ;; *) [ -d "$out" ] || "$EOSC" build "$spec" -o "$out" 2>/dev/null || true ;; esac
  files=-
  [ -d "$out" ] && files=$(find "$out" -type f | wc -l)

  # The floor: the same output bytes and files, with nothing else done.
  if [ -d "$out" ]; then
    tar -C "$out" -cf "$WORK/out-$n.tar" .
    floor_dir=$WORK/floor-$n
    measure "floor-$n" "rm -rf '$floor_dir' && mkdir -p '$floor_dir' && sync" sh -c 'cat "$1" >/dev/null && tar -xf "$2" -C "$3"' floor "$spec" "$WORK/out-$n.tar" "$floor_dir"
    FLOOR[$n]=$WALL; floor_cpu=$CPU
    rm -rf "$floor_dir" "$WORK/out-$n.tar"
  else
    FLOOR[$n]=fail; floor_cpu=fail
  fi

  exp_check=- exp_build=-
  if [ -n "$PREV" ]; then
    exp_check=$(exponent "$(num "${CHECK[$PREV]}")" "$(num "${CHECK[$n]}")" "$PREV" "$n")
    exp_build=$(exponent "$(num "${BUILD[$PREV]}")" "$(num "${BUILD[$n]}")" "$PREV" "$n")
  fi
  printf '| %s | %s | %s (%s) | %s (%s) | %s (%s) | %s | %s | %s | %s | %s | %s | %s |\n' \
    "$n" "$(awk -v b="$bytes" 'BEGIN {printf "%.2f MB", b / 1e6}')" \
    "$(ms "${CHECK[$n]}")" "$(ms "$check_cpu")" "$(ms "${BUILD[$n]}")" "$(ms "${BUILD_CPU[$n]}")" \
    "$(ms "${FLOOR[$n]}")" "$(ms "$floor_cpu")" "$(ratio "$(num "${BUILD[$n]}")" "$(num "${FLOOR[$n]}")")" "$files" \
    "$(mb "${RSSC[$n]}" "${CHECK[$n]}")" "$(mb "${RSSB[$n]}" "${BUILD[$n]}")" \
    "$(ratio "$((RSSB[$n] * 1024))" "$bytes")" "$exp_check" "$exp_build" >>"$TABLE"
  rm -rf "$out"
  PREV=$n
done

# --- the side-by-side ---------------------------------------------------------------
PEER_TABLE=$WORK/peers.md
: >"$PEER_TABLE"
if [ "$PEERS" = 1 ]; then
  declare -A DEAD
  JRSONNET=$(command -v jrsonnet || true)
  JSONNET=$(command -v jsonnet || true)
  NICKEL=$(command -v nickel || true)
  {
    echo
    echo "Side-by-side: the same stack as JSON → validation + one Nomad job JSON per nomad service."
    version() { if [ -n "$1" ]; then "$1" --version 2>/dev/null | head -1; else echo "not installed"; fi; }
    echo "Peers: jrsonnet: $(version "$JRSONNET"); jsonnet: $(version "$JSONNET"); nickel: $(version "$NICKEL"). Timeout ${PEER_TIMEOUT}s per run."
    echo
    echo "| N | eosc build ms | peer | peer ms (cpu) | peer RSS | eosc/peer |"
    echo "|---:|---:|---|---:|---:|---:|"
  } >>"$PEER_TABLE"
  # eosc's build cell and the ratio, whatever became of eosc's run.
  eosc_cell() { local LIMIT=$TIMEOUT; ms "${BUILD[$1]}"; }
  eosc_ratio() {
    case ${BUILD[$1]} in
      timeout) awk -v a="$TIMEOUT" -v b="$2" 'BEGIN {printf ">%.1f", a / b}' ;;
      *) ratio "$(num "${BUILD[$1]}")" "$2" ;;
    esac
  }
  LIMIT=$PEER_TIMEOUT
  for n in $SIZES; do
    json=$WORK/stack-$n.json
    [ -s "$json" ] && [ "$json" -nt "$GEN" ] || "$GEN" gen "$n" --seed "$SEED" --json >"$json"
    printf '(import "%s") (import "%s")\n' "$ROOT/bench/nomad-jobs.ncl" "$json" >"$WORK/main-$n.ncl"
    jout=$WORK/peer-out-$n
    for peer in jrsonnet jsonnet nickel; do
      case $peer in
        jrsonnet) bin=$JRSONNET ;; jsonnet) bin=$JSONNET ;; nickel) bin=$NICKEL ;;
      esac
      [ -n "$bin" ] || continue
      if [ -n "${DEAD[$peer]:-}" ]; then
        printf '| %s | %s | %s | skipped (timed out or failed at a smaller N) | - | - |\n' "$n" "$(eosc_cell "$n")" "$peer" >>"$PEER_TABLE"
        continue
      fi
      capped=(sh -c 'ulimit -v "$1"; shift; exec "$@"' capped "$((PEER_MEMORY * 1024 * 1024))")
      case $peer in
        jrsonnet|jsonnet)
          measure "$peer-$n" "rm -rf '$jout' && mkdir -p '$jout/nomad'" \
            "${capped[@]}" "$bin" -m "$jout/nomad" --tla-code-file "stack=$json" "$ROOT/bench/nomad-jobs.jsonnet" ;;
        nickel)
          measure "$peer-$n" "rm -rf '$jout' && mkdir -p '$jout'" \
            "${capped[@]}" "$bin" export --format json -o "$jout/jobs.json" "$WORK/main-$n.ncl" ;;
      esac
      case $WALL in
        oom) WALL=fail ;;
      esac
      case $WALL in
        timeout)
          DEAD[$peer]=1
          printf '| %s | %s | %s | timeout (>%ss) | - | <%s |\n' "$n" "$(eosc_cell "$n")" "$peer" "$PEER_TIMEOUT" \
            "$(ratio "$(num "${BUILD[$n]}")" "$PEER_TIMEOUT")" >>"$PEER_TABLE" ;;
        fail)
          DEAD[$peer]=1
          [ "$WHY" = "out of memory" ] && WHY="out of memory (>${PEER_MEMORY} GiB)"
          printf '| %s | %s | %s | failed: %s | - | - |\n' "$n" "$(eosc_cell "$n")" "$peer" "$WHY" >>"$PEER_TABLE" ;;
        *)
          printf '| %s | %s | %s | %s (%s) | %s | %s |\n' "$n" "$(eosc_cell "$n")" "$peer" \
            "$(ms "$WALL")" "$(ms "$CPU")" "$(awk -v k="$RSS" 'BEGIN {printf "%.1f MB", k * 1024 / 1e6}')" \
            "$(eosc_ratio "$n" "$WALL")" >>"$PEER_TABLE" ;;
      esac
      rm -rf "$jout"
    done
  done
  [ -n "$JRSONNET$JSONNET" ] || echo "No Jsonnet implementation installed." >>"$PEER_TABLE"
  [ -n "$NICKEL" ] || echo "Nickel is not installed (cargo install --locked nickel-lang-cli --no-default-features --features format)." >>"$PEER_TABLE"
fi

# --- targets ------------------------------------------------------------------------
TARGETS=$WORK/targets.md
{
  echo
  echo "Targets (wall clock medians):"
  verdict() { if awk -v v="$2" -v l="$3" 'BEGIN {exit !(v + 0 > 0 && v + 0 <= l + 0)}'; then echo "- [met]  $1"; else echo "- [MISS] $1"; fi; }
  for n in $SIZES; do
    case $n in
      10000) verdict "eosc check N=10000 under 150 ms: $(ms "${CHECK[$n]}") ms" "$(num "${CHECK[$n]}")" 0.150 ;;
      100000) verdict "eosc check N=100000 under 2 s: $(ms "${CHECK[$n]}") ms" "$(num "${CHECK[$n]}")" 2 ;;
    esac
  done
  for n in $SIZES; do
    verdict "N=$n build within 2x the floor: $(ratio "$(num "${BUILD[$n]}")" "$(num "${FLOOR[$n]}")")x" "$(ratio "$(num "${BUILD[$n]}")" "$(num "${FLOOR[$n]}")")" 2
    # Below 10,000 services the process's fixed ~6 MB dominates a spec of < 1 MB.
    [ "$n" -lt 10000 ] ||
      verdict "N=$n peak RSS under 20x the spec: $(ratio "$((RSSB[$n] * 1024))" "${SPEC[$n]}")x" "$(ratio "$((RSSB[$n] * 1024))" "${SPEC[$n]}")" 20
  done
  PREV=""
  for n in $SIZES; do
    if [ -n "$PREV" ] && [ "$PREV" -ge 1000 ]; then
      verdict "check scaling exponent $PREV→$n ≤ 1.1: $(exponent "$(num "${CHECK[$PREV]}")" "$(num "${CHECK[$n]}")" "$PREV" "$n")" "$(exponent "$(num "${CHECK[$PREV]}")" "$(num "${CHECK[$n]}")" "$PREV" "$n")" 1.1
      verdict "build scaling exponent $PREV→$n ≤ 1.1: $(exponent "$(num "${BUILD[$PREV]}")" "$(num "${BUILD[$n]}")" "$PREV" "$n")" "$(exponent "$(num "${BUILD[$PREV]}")" "$(num "${BUILD[$n]}")" "$PREV" "$n")" 1.1
    fi
    PREV=$n
  done
  if [ -s "$PEER_TABLE" ]; then
    slower=$(awk -F'|' 'NR > 6 && $7 ~ /[0-9]/ && ($7 ~ />/ || $7 + 0 >= 1) {gsub(/ /, "", $7); printf "%s N=%s (%sx); ", $4, $2, $7}' "$PEER_TABLE" | sed 's/  */ /g')
    if [ -z "$slower" ]; then echo "- [met]  faster than every peer at every N measured"; else echo "- [MISS] not faster than: $slower"; fi
  fi
  echo
  echo "(exponents are computed from 1,000 up: below that, process start-up dominates)"
} >"$TARGETS"

cat "$TABLE" "$PEER_TABLE" "$TARGETS"
