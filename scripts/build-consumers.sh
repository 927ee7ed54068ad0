#!/usr/bin/env bash
# Builds the running systems that the real-systems tests hand eosc's artifacts
# to -- Nomad, Consul, a Vault-API server, Terraform and (where a module
# version is served) the hashicorp/nomad, hashicorp/vault and
# hashicorp/boundary Terraform providers -- from their Go modules, pinned by
# version, once.  Each result lands in a cache with a stamp naming its module
# version and build recipe; a later run finds the stamps and takes well under
# a second.
#
#   scripts/build-consumers.sh              build what is missing; print a
#                                           summary (stdout) of the tools
#   scripts/build-consumers.sh --print-env  build what is missing; print only
#                                           `export` lines on stdout:
#                                             eval "$(scripts/build-consumers.sh --print-env)"
#
#   EOSC_CONSUMERS   cache folder (default: $HOME/.cache/eosc/consumers), with
#                    bin/, mirror/ (a Terraform provider filesystem mirror),
#                    terraformrc (a CLI config using that mirror), stamps/, logs/
#   EOSC_BUILD_TOFU=1                  build OpenTofu as bin/terraform even
#                                      when a terraform binary is installed
#   EOSC_NOMAD_PROVIDER_VERSION / _RELEASE, EOSC_VAULT_PROVIDER_VERSION /
#   _RELEASE, EOSC_BOUNDARY_PROVIDER_VERSION / _RELEASE
#                    a served module version (e.g. a v1.4.21-0.<date>-<hash>
#                    pseudo-version) of that provider and the release number
#                    it is (e.g. 2.5.0), to build it into the mirror; no
#                    served version was found, so none is built by default
#
# Build logs go to stderr and to $EOSC_CONSUMERS/logs/.  Nothing here is a
# dependency of eosc and nothing of it is committed: these are local test
# consumers only (Nomad >= 1.7 is BUSL-1.1).  Routes, versions, licences and
# timings: docs/consumers.md.  Rebuild one tool: remove its stamp
# ($EOSC_CONSUMERS/stamps/NAME) or bump its pin below.
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

print_env=0
while [ "$#" -gt 0 ]; do
    case "$1" in
        --print-env) print_env=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done

CACHE="${EOSC_CONSUMERS:-${HOME:?HOME is not set}/.cache/eosc/consumers}"
BIN="$CACHE/bin"
MIRROR="$CACHE/mirror"
STAMPS="$CACHE/stamps"
LOGS="$CACHE/logs"
TFRC="$CACHE/terraformrc"

export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN=local
export CHECKPOINT_DISABLE=1 # no update checks from the built tools
LDFLAGS="-s -w"

# ------------------------------------------------------------------ pins ----
# Nomad: the release the stack targets.  Its go.mod replaces nomad/api with
# ./api, a nested module the module zip does not hold; api is pinned to a
# served pseudo-version two weeks after the tag (the tag's own commit,
# v0.0.0-20260311091027-173ab08a0210, is refused by the module proxy).
# Tags as in Nomad's release build, without `ui` (its assets are generated,
# not in the module).
NOMAD_MODULE=github.com/hashicorp/nomad
NOMAD_VERSION=v1.11.3
NOMAD_API_VERSION=v0.0.0-20260324203407-b27b0c2e019a
NOMAD_TAGS="hashicorpmetrics codegen_generated release"
# Consul 1.14.11 (MPL-2.0): from 1.15 on Consul needs its envoyextensions and
# troubleshoot modules, which the module proxy does not serve whole (and
# whose licence is BUSL-1.1 from 1.17 on).  DNS, catalog and health checks,
# which the tests use, are the same.
CONSUL_MODULE=github.com/hashicorp/consul
CONSUL_VERSION=v1.14.11
# Vault 1.14.1 (MPL-2.0, the last MPL Vault): OpenBao's module is not served.
# Its go.mod points vault/api and vault/sdk at ./api and ./sdk; the published
# api v1.9.2 (its requirement) is used, and the sdk at the v1.14.1 release
# commit, as a pseudo-version (the go.mod's older sdk pseudo-version and the
# newer tagged sdk v0.9.2 do not match the in-tree sdk; v0.9.2 panics at
# start: "defines a CreateOperation but no ExistenceCheck").
VAULT_MODULE=github.com/hashicorp/vault
VAULT_VERSION=v1.14.1
VAULT_SDK_VERSION=v0.9.2-0.20230721171514-bf23fe8636b0
# Terraform: the machine's own binary when there is one; else OpenTofu.
TOFU_MODULE=github.com/opentofu/opentofu
TOFU_VERSION=v1.12.6
# Terraform providers: module version and the release number it is.  Their
# v2+ tags lack the /vN module suffix, so only pseudo-versions exist, and the
# module proxy refused every one tried (docs/consumers.md).
NOMAD_PROVIDER_MODULE=github.com/hashicorp/terraform-provider-nomad
NOMAD_PROVIDER_VERSION="${EOSC_NOMAD_PROVIDER_VERSION:-}"
NOMAD_PROVIDER_RELEASE="${EOSC_NOMAD_PROVIDER_RELEASE:-}"
VAULT_PROVIDER_MODULE=github.com/hashicorp/terraform-provider-vault
VAULT_PROVIDER_VERSION="${EOSC_VAULT_PROVIDER_VERSION:-}"
VAULT_PROVIDER_RELEASE="${EOSC_VAULT_PROVIDER_RELEASE:-}"
BOUNDARY_PROVIDER_MODULE=github.com/hashicorp/terraform-provider-boundary
BOUNDARY_PROVIDER_VERSION="${EOSC_BOUNDARY_PROVIDER_VERSION:-}"
BOUNDARY_PROVIDER_RELEASE="${EOSC_BOUNDARY_PROVIDER_RELEASE:-}"

# ------------------------------------------------------------- helpers ----
log() { printf '[build-consumers] %s\n' "$*" >&2; }

command -v go >/dev/null 2>&1 || {
    log "go is not installed (the polyglot machine has Go 1.26)"
    exit 1
}
mkdir -p "$BIN" "$MIRROR" "$STAMPS" "$LOGS"

# One run at a time per cache (tests may call --print-env in parallel).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.lock"
    flock 9
fi

WORK=""
cleanup() {
    if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

GOVERSION_CACHED=""
goversion() {
    if [ -z "$GOVERSION_CACHED" ]; then GOVERSION_CACHED="$(go env GOVERSION)"; fi
    printf '%s' "$GOVERSION_CACHED"
}

# module_src MODULE VERSION: the read-only module folder in the module cache.
module_src() {
    local json dir
    if ! json="$(go mod download -json "$1@$2" 2>&1)"; then
        log "go mod download $1@$2 failed:"
        printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/  \1/p' |
            sed 's/\\n\\t/ -- /g' >&2
        return 1
    fi
    dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
    if [ -z "$dir" ] || [ ! -d "$dir" ]; then
        log "go mod download $1@$2 gave no folder"
        return 1
    fi
    printf '%s\n' "$dir"
}

# drop_local_replaces: a module zip holds no nested modules, so `replace X =>
# ./x` lines point nowhere; without them the go.mod's own requirement (the
# published submodule) is used.  Replaces naming other modules stay.
drop_local_replaces() {
    local old
    local -a olds
    # Read all of them first: `go mod edit` rewrites go.mod.
    mapfile -t olds < <(awk '
        /=>[[:space:]]*\.\.?\// {
            if ($1 == "replace") print $2; else print $1
        }' go.mod)
    for old in "${olds[@]}"; do
        go mod edit -dropreplace="$old" || return 1
    done
}

# Per-tool setup, run inside the writable copy of the module.
nomad_setup() {
    go mod edit -replace "$NOMAD_MODULE/api=$NOMAD_MODULE/api@$NOMAD_API_VERSION"
}
vault_setup() {
    go mod edit -require="$VAULT_MODULE/sdk@$VAULT_SDK_VERSION"
}

declare -a SUMMARY=()

# build_go NAME MODULE VERSION PACKAGE OUT SETUP TAGS PINS: `go build` of
# PACKAGE in a writable copy of MODULE@VERSION (local replaces dropped, then
# the function SETUP run), into OUT.  Skipped when OUT and a stamp matching
# this recipe exist.
build_go() {
    local name=$1 module=$2 version=$3 package=$4 out=$5 setup=$6 tags=$7 pins=$8
    local want stamp="$STAMPS/$name"
    want="$module@$version pkg=$package tags=[$tags] ldflags=[$LDFLAGS] $pins $(goversion)"
    if [ -n "$setup" ]; then
        want="$want setup=$(declare -f "$setup" | sha256sum | cut -c1-12)"
    fi
    if [ -x "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        SUMMARY+=("$name|$(cat "$stamp.version" 2>/dev/null || echo "$version")|$out|cached")
        return 0
    fi
    log "$name: building $module@$version (first run only; minutes on two cores)"
    local started src dir
    started=$(date +%s)
    src="$(module_src "$module" "$version")" || return 1
    if [ -z "$WORK" ]; then
        WORK="$(mktemp -d "${TMPDIR:-/tmp}/eosc-consumers.XXXXXX")" || return 1
    fi
    dir="$WORK/$name"
    # (callers use `build_go ... || ...`, where set -e is off: check each step)
    mkdir -p "$dir" "$(dirname "$out")" || return 1
    cp -r "$src/." "$dir/" || return 1
    chmod -R u+w "$dir" || return 1
    if ! (
        cd "$dir" &&
            drop_local_replaces &&
            { [ -z "$setup" ] || "$setup"; } &&
            go build -trimpath -tags "$tags" -ldflags "$LDFLAGS" -o "$out.new" "$package"
    ) 2>&1 | tee "$LOGS/$name.log" >&2; then
        rm -rf "$dir" "$out.new"
        log "$name: build failed; log: $LOGS/$name.log"
        return 1
    fi
    rm -rf "$dir"
    mv -f "$out.new" "$out" || return 1
    printf '%s' "$want" >"$stamp" || return 1
    local took=$(($(date +%s) - started))
    local ver
    ver="$("$out" version 2>/dev/null | head -n 1 || true)"
    printf '%s' "${ver:-$version}" >"$stamp.version"
    log "$name: built ${ver:-$version} in ${took}s"
    SUMMARY+=("$name|${ver:-$version}|$out|built in ${took}s")
}

# system_terraform: a terraform on PATH outside this cache's bin/.
system_terraform() {
    local d
    local -a dirs
    IFS=: read -r -a dirs <<<"${PATH:-}"
    for d in "${dirs[@]}"; do
        if [ -z "$d" ] || [ "$d" = "$BIN" ]; then continue; fi
        if [ -x "$d/terraform" ] && [ ! -d "$d/terraform" ]; then
            printf '%s\n' "$d/terraform"
            return 0
        fi
    done
    return 1
}

ensure_terraform() {
    local sys stamp="$STAMPS/terraform"
    sys="$(system_terraform || true)"
    if [ -n "$sys" ] && [ -z "${EOSC_BUILD_TOFU:-}" ]; then
        local want="system:$sys"
        if [ ! -L "$BIN/terraform" ] || [ "$(readlink "$BIN/terraform")" != "$sys" ] ||
            [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
            rm -f "$BIN/terraform"
            ln -s "$sys" "$BIN/terraform"
            printf '%s' "$want" >"$stamp"
            "$sys" version 2>/dev/null | head -n 1 >"$stamp.version" || true
        fi
        SUMMARY+=("terraform|$(cat "$stamp.version" 2>/dev/null)|$BIN/terraform -> $sys|system binary")
        return 0
    fi
    # A symlink left from a system terraform that is gone: build OpenTofu.
    if [ -L "$BIN/terraform" ]; then rm -f "$BIN/terraform"; fi
    build_go terraform "$TOFU_MODULE" "$TOFU_VERSION" ./cmd/tofu "$BIN/terraform" "" "" "opentofu"
}

PLATFORM="$(go env GOOS)_$(go env GOARCH)"

# build_provider TYPE MODULE VERSION RELEASE: the provider
# registry.terraform.io/hashicorp/TYPE at RELEASE into the filesystem mirror
# (unpacked layout), also under registry.opentofu.org for OpenTofu.  A
# provider that cannot be had is skipped with a note, not a failure.
build_provider() {
    local type=$1 module=$2 version=$3 release=$4
    if [ -z "$version" ] || [ -z "$release" ]; then
        SUMMARY+=("provider $type|-|-|skipped: no served module version (docs/consumers.md)")
        return 0
    fi
    local rel="hashicorp/$type/$release/$PLATFORM"
    local file="terraform-provider-${type}_v$release"
    local out="$MIRROR/registry.terraform.io/$rel/$file"
    if ! build_go "provider-$type" "$module" "$version" . "$out" "" "" "release=$release"; then
        log "provider $type: not built; Terraform runs that need it will fail at init"
        SUMMARY+=("provider $type|$release|-|FAILED (see $LOGS/provider-$type.log)")
        return 0
    fi
    mkdir -p "$MIRROR/registry.opentofu.org/$rel"
    ln -f "$out" "$MIRROR/registry.opentofu.org/$rel/$file" 2>/dev/null ||
        cp -f "$out" "$MIRROR/registry.opentofu.org/$rel/$file"
    # The stamp's version line is the release number, not `version` output.
    printf '%s' "$release ($module@$version)" >"$STAMPS/provider-$type.version"
}

write_terraformrc() {
    local tmp="$TFRC.new"
    cat >"$tmp" <<EOF
# Written by scripts/build-consumers.sh: hashicorp/* providers come only from
# the local filesystem mirror (no registry is reachable here).
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/*", "registry.opentofu.org/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*", "registry.opentofu.org/hashicorp/*"]
  }
}
EOF
    if [ -f "$TFRC" ] && cmp -s "$tmp" "$TFRC"; then rm -f "$tmp"; else mv -f "$tmp" "$TFRC"; fi
}

# --------------------------------------------------------------- build ----
failed=()
build_go nomad "$NOMAD_MODULE" "$NOMAD_VERSION" . "$BIN/nomad" nomad_setup "$NOMAD_TAGS" \
    "api=$NOMAD_API_VERSION" || failed+=(nomad)
build_go consul "$CONSUL_MODULE" "$CONSUL_VERSION" . "$BIN/consul" "" "" "" || failed+=(consul)
build_go vault "$VAULT_MODULE" "$VAULT_VERSION" . "$BIN/vault" vault_setup "" \
    "sdk=$VAULT_SDK_VERSION" || failed+=(vault)
ensure_terraform || failed+=(terraform)
build_provider nomad "$NOMAD_PROVIDER_MODULE" "$NOMAD_PROVIDER_VERSION" "$NOMAD_PROVIDER_RELEASE"
build_provider vault "$VAULT_PROVIDER_MODULE" "$VAULT_PROVIDER_VERSION" "$VAULT_PROVIDER_RELEASE"
build_provider boundary "$BOUNDARY_PROVIDER_MODULE" "$BOUNDARY_PROVIDER_VERSION" \
    "$BOUNDARY_PROVIDER_RELEASE"
write_terraformrc

for line in "${SUMMARY[@]}"; do
    IFS='|' read -r name ver path note <<<"$line"
    log "$(printf '%-16s %-34s %s  [%s]' "$name" "$ver" "$path" "$note")"
done

if [ "${#failed[@]}" -gt 0 ]; then
    log "not built: ${failed[*]}; logs in $LOGS"
    exit 1
fi

if [ "$print_env" -eq 1 ]; then
    echo "export PATH=\"$BIN:\$PATH\""
    echo "export TF_CLI_CONFIG_FILE=\"$TFRC\""
    echo "export EOSC_CONSUMERS=\"$CACHE\""
else
    for line in "${SUMMARY[@]}"; do
        IFS='|' read -r name ver path note <<<"$line"
        printf '%-16s %-34s %s\n' "$name" "$ver" "$path"
    done
    printf '%-16s %s\n' terraformrc "$TFRC"
fi
