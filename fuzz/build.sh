#!/usr/bin/env bash
# OSS-Fuzz / ClusterFuzz build script: builds every fuzz target the way OSS-Fuzz
# does and copies each, with its seed corpus (zip) and the dictionary, to $OUT.
# Locally: OUT=/tmp/fuzz-out fuzz/build.sh
set -euo pipefail
cd "$(dirname "$0")"
: "${OUT:?set OUT to the output folder}"
mkdir -p "$OUT"

cargo fuzz build -O ${FUZZ_SANITIZER:+-s "$FUZZ_SANITIZER"}

targets=$(cargo fuzz list)
release=target/x86_64-unknown-linux-gnu/release
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
# Seeds: every example spec and every test fixture.
find ../specs ../tests seeds -name '*.eos' -exec cp {} "$corpus/" \;
for target in $targets; do
  cp "$release/$target" "$OUT/"
  cp eos.dict "$OUT/$target.dict"
  (cd "$corpus" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
done
echo "built: $targets"
