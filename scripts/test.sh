#!/usr/bin/env bash
# The test command of README.md: installs the validators the tests run the
# generated artifacts through (nginx, caddy, graphviz, Salt and python-hcl2 in a
# cached virtualenv, with pytest-lsp for the language server's client tests)
# and the VS Code extension's npm packages (scripts/setup-editors.sh), builds
# the running systems they are handed to (Nomad, a Vault-API server, Consul:
# scripts/build-consumers.sh, cached after the first run), then runs every
# test. CI (.ci/run) calls exactly this.
#
# EOSC_SKIP_VALIDATORS=1 skips the installs; tests that need a missing
# validator or consumer then say so and skip that check. Without it, a
# missing one fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${EOSC_SKIP_VALIDATORS:-0}" != 1 ]; then
  scripts/setup-validators.sh
  scripts/setup-editors.sh
  eval "$(scripts/build-consumers.sh --print-env)"
fi
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

cargo test --locked --all-targets "$@"
