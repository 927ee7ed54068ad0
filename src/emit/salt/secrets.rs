//! `secret` blocks of baremetal and docker services: values are read from
//! Vault on the host, never written into an artifact.
//!
//! Each such service gets a generated script
//! `/usr/local/lib/eos/<service>/vault-secrets` holding only Vault paths,
//! keys and variable names. It logs in with the host's token file
//! (`/etc/eos/vault-token`) and reads KV v2 (`.data.data`) or v1 (`.data`).
//!
//! - baremetal: a drop-in `eos-secrets.conf` runs `vault-secrets env-file` as
//!   `ExecStartPre=+` (as root, at every start: rotated secrets are picked up
//!   by a restart) writing `/run/eos/<service>/secrets.env` (tmpfs, mode 0600),
//!   loaded by `EnvironmentFile=-`. Values are written double-quoted with
//!   `"`, `\`, `` ` `` and `$` escaped, as systemd reads them.
//! - docker: the same, in the container's unit (`docker.rs`): the env file is
//!   loaded into the unit's environment and `docker run -e VAR` copies each
//!   variable from there into the container. No value passes through Salt.
//!   (Docker keeps container environments in its own config, visible to
//!   `docker inspect`, as for any container env.)
//!
//! Why not `vault.read_secret` slots: that needs Salt's Vault extension
//! configured on every minion and would put the values into Salt's state
//! returns; the script only needs curl and jq.

use serde_json::json;

use super::paths::{LIB_DIR, RUN_DIR, SYSTEMD_DIR, VAULT_CA_FILE, VAULT_TOKEN_FILE};
use super::shell;
use super::sls::{req, Sls};
use crate::ast::{Capability, EnvVar};
use crate::emit::topology;
use crate::emit::Input;
use crate::model::ServiceId;

/// Packages the generated Vault scripts run.
pub(super) const TOOLS: [&str; 2] = ["curl", "jq"];

/// One variable to set from Vault.
struct Entry<'a> {
    var: &'a str,
    path: &'a str,
    key: &'a str,
}

fn entries<'a>(input: &Input<'a>, id: ServiceId) -> Vec<Entry<'a>> {
    let decl = &input.stack.service(id).decl;
    decl.secrets
        .iter()
        .flat_map(|secret| {
            secret.env.iter().map(move |EnvVar { key, value }| Entry {
                var: &key.value,
                path: &secret.path.value,
                key: &value.value,
            })
        })
        .collect()
}

pub(super) fn has_secrets(input: &Input<'_>, id: ServiceId) -> bool {
    !input.stack.service(id).decl.secrets.is_empty()
}

/// `/usr/local/lib/eos/<service>/vault-secrets`.
pub(super) fn script_path(service: &str) -> String {
    format!("{LIB_DIR}/{service}/vault-secrets")
}

/// `/run/eos/<service>/secrets.env`.
pub(super) fn env_file(service: &str) -> String {
    format!("{RUN_DIR}/{service}/secrets.env")
}

/// The shell prelude that finds Vault and defines `vault_data PATH`, printing
/// the secret's data as a JSON object.
pub(super) fn vault_functions(input: &Input<'_>) -> String {
    let addr = match topology::provider_endpoint(input.stack, input.analysis, Capability::Vault) {
        Some(endpoint) => format!(
            "${{VAULT_ADDR:-{}}}",
            shell::quote(&endpoint.url(input.stack))
        ),
        None => "${VAULT_ADDR:?set VAULT_ADDR: the stack declares no vault provider}".to_string(),
    };
    format!(
        r#"set -eu
VAULT_ADDR={addr}
token_file=${{VAULT_TOKEN_FILE:-{token}}}
cacert=
if [ -r {ca} ]; then cacert={ca}; fi

# vault_data PATH: the data of a KV secret as JSON (v2 `.data.data`, v1 `.data`).
# The token goes to curl on stdin, never on a command line.
vault_data() {{
    printf 'X-Vault-Token: %s\n' "$(cat "$token_file")" |
        curl -fsS --header @- ${{cacert:+--cacert "$cacert"}} "$VAULT_ADDR/v1/$1" |
        jq -e 'if (.data.data | type) == "object" then .data.data else .data end'
}}
"#,
        token = shell::quote(VAULT_TOKEN_FILE),
        ca = shell::quote(VAULT_CA_FILE),
    )
}

/// jq: the value of `$key` as text, an error when the key is absent.
const JQ_VALUE: &str = r#".[$key] | if . == null then error("Vault secret has no key " + $key) else . end | if type == "string" then . else tojson end"#;

/// jq: `$var="value"` for a systemd `EnvironmentFile`.
const JQ_ENV_LINE: &str = r#" | "\($var)=\"" + gsub("(?<c>[\"\\\\`$])"; "\\\(.c)") + "\"""#;

/// The `vault-secrets` script of a service.
pub(super) fn script(input: &Input<'_>, id: ServiceId) -> String {
    let service = input.stack.service(id).name();
    let entries = entries(input, id);
    let mut text = String::from("#!/bin/sh\n");
    text.push_str(&crate::emit::header("#", input.source_name));
    text.push_str(&format!(
        "# Reads the secrets of service {service} from Vault: this file holds Vault paths and keys, never a value.\n\
         #   vault-secrets env-file FILE   write them all as a systemd EnvironmentFile (mode 0600)\n"
    ));
    text.push_str(&vault_functions(input));
    text.push_str("\nenv_file() {\n    umask 077\n    mkdir -p \"$(dirname \"$1\")\"\n    tmp=\"$1.tmp\"\n    : > \"$tmp\"\n");
    for entry in &entries {
        text.push_str(&format!(
            "    vault_data {path} | jq -er --arg var {var} --arg key {key} {program} >> \"$tmp\"\n",
            path = shell::quote(entry.path),
            var = shell::quote(entry.var),
            key = shell::quote(entry.key),
            program = shell::quote(&format!("{JQ_VALUE}{JQ_ENV_LINE}")),
        ));
    }
    text.push_str(
        "    mv \"$tmp\" \"$1\"\n}\n\n\
         case ${1:-} in\n    env-file) env_file \"$2\" ;;\n    \
         *) echo \"usage: vault-secrets env-file FILE\" >&2; exit 2 ;;\nesac\n",
    );
    text
}

/// The states shared by both runtimes: the tools and the script.
pub(super) fn add_script(sls: &mut Sls, input: &Input<'_>, id: ServiceId) {
    let service = input.stack.service(id).name();
    sls.state(
        format!("eos-{service}.secrets.tools"),
        "pkg.installed",
        vec![("pkgs", json!(TOOLS))],
    );
    sls.state(
        format!("eos-{service}.secrets.script"),
        "file.managed",
        vec![
            ("name", json!(script_path(service))),
            ("contents", json!(script(input, id))),
            ("mode", json!("0700")),
            ("makedirs", json!(true)),
            (
                "require",
                json!([req("pkg", &format!("eos-{service}.secrets.tools"))]),
            ),
        ],
    );
}

/// The `[Service]` lines that fetch the secrets before each start and load
/// them: the baremetal drop-in's, and the docker unit's.
pub(super) fn service_lines(service: &str) -> String {
    let env = env_file(service);
    format!(
        "ExecStartPre=+{} env-file {env}\nEnvironmentFile=-{env}\n",
        script_path(service)
    )
}

/// The drop-in of a baremetal unit that fetches the secrets before each start.
pub(super) fn dropin(service: &str, header: &str) -> String {
    format!("{header}[Service]\n{}", service_lines(service))
}

/// `/etc/systemd/system/<unit>.d/eos-secrets.conf`.
pub(super) fn dropin_path(unit: &str) -> String {
    format!("{SYSTEMD_DIR}/{unit}.d/eos-secrets.conf")
}

/// The variables a service's secrets set, in declaration order.
pub(super) fn variables<'a>(input: &Input<'a>, id: ServiceId) -> impl Iterator<Item = &'a str> {
    entries(input, id).into_iter().map(|entry| entry.var)
}
