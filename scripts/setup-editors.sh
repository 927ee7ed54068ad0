#!/usr/bin/env bash
# Installs what the editor packages and their tests need: Node.js and npm
# (Debian's nodejs and npm, only when `node` or `npm` is missing), and the npm
# packages of editors/vscode from its package-lock.json (`npm ci`) when
# node_modules is missing or was installed from another package-lock.json
# (the stamp node_modules/.eosc-package-lock.json is a copy of the lock file
# it was installed from). Idempotent; the second run does nothing.
# tests/editor_grammar.rs needs it (it fails without, unless
# EOSC_SKIP_VALIDATORS=1).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup-editors] %s\n' "$*" >&2; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    SUDO=()
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo -n)
    fi
    log "apt-get install nodejs npm"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

vscode=editors/vscode
stamp="$vscode/node_modules/.eosc-package-lock.json"
if [ -d "$vscode/node_modules" ] && cmp -s "$vscode/package-lock.json" "$stamp"; then
    log "$vscode/node_modules is up to date"
else
    log "npm ci in $vscode"
    (cd "$vscode" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$vscode/package-lock.json" "$stamp"
fi
log "node $(node --version); $vscode/node_modules is installed"
