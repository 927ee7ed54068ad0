#!/usr/bin/env bash
# The test command of README.md: installs what the tests need, then runs them all.
# CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x scripts/setup-validators.sh ] && [ "${EOSC_SKIP_VALIDATORS:-0}" != 1 ]; then
  # Puts nginx, caddy, graphviz and the Python validators (Salt, python-hcl2)
  # in place and prints the environment the tests read.
  eval "$(scripts/setup-validators.sh --print-env)"
fi

cargo test --locked --all-targets "$@"
