#!/usr/bin/env bash
# Installs what the editor packages and their tests need: Node.js and npm
# (Debian's nodejs and npm, only when `node` or `npm` is missing), the npm
# packages of editors/vscode from its package-lock.json (`npm ci`) when
# node_modules is missing or was installed from another package-lock.json
# (the stamp node_modules/.eosc-package-lock.json is a copy of the lock file
# it was installed from), and Neovim (Debian's neovim, only when `nvim` is
# missing). Idempotent; the second run does nothing.
# tests/editor_grammar.rs and tests/editor_neovim.rs need it (they fail
# without, unless EOSC_SKIP_VALIDATORS=1).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup-editors] %s\n' "$*" >&2; }

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
fi
apt_updated=
# apt-get install "$@" (Debian packages), after one `apt-get update` per run.
apt_install() {
    log "apt-get install $*"
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "$apt_updated" ]; then
        "${SUDO[@]}" apt-get update -qq
        apt_updated=1
    fi
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
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

# tests/editor_neovim.rs runs the Neovim configuration of docs/editors.md.
if ! command -v nvim >/dev/null 2>&1; then
    apt_install neovim
fi
log "node $(node --version); $vscode/node_modules is installed; $(nvim --version | sed -n 1p)"
