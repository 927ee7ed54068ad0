#!/usr/bin/env bash
# The language server's benchmark (issue 16): generates a stack of N services
# (default 10,000) in one file with eosc-bench, then times edit → diagnostics
# over E edits (default 1,000) and reads resident memory every 100 edits
# (src/bin/eosc-lsp-bench.rs). Results go in bench/RESULTS.md by hand.
#   scripts/bench-lsp.sh [N] [E]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
edits="${2:-1000}"
cargo build --release --quiet --features bench-tools --bin eosc-bench --bin eosc-lsp-bench
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
target/release/eosc-bench gen "$n" >"$dir/stack.eos"
target/release/eosc-lsp-bench "$dir/stack.eos" --edits "$edits"
