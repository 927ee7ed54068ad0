#!/usr/bin/env bash
# Runs every fuzz target for a bounded time from the seed corpus (CI). A crash
# fails the run; libFuzzer prints the reproducer (and its bytes, base64) in the
# log and leaves it in fuzz/artifacts/TARGET/.
#   FUZZ_SECONDS per target (default 60).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-60}"
if ! command -v cargo-fuzz >/dev/null; then
  cargo install --locked cargo-fuzz
fi
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
find ../specs ../tests seeds -name '*.eos' -exec cp {} "$seeds/" \;
cargo fuzz build -s none
for target in $(cargo fuzz list); do
  mkdir -p "corpus/$target"
  echo "== fuzz $target for ${seconds}s"
  cargo fuzz run -s none "$target" "corpus/$target" "$seeds" -- \
    -dict=eos.dict -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
