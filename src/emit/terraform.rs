//! `terraform/main.tf`: the required providers, the Nomad and Vault provider
//! addresses, one `nomad_job` per nomad service reading its jobspec file, and
//! the Vault side of every service's secrets.
//!
//! Conventions other emitters and operators rely on:
//!
//! - Resource names: a service's name with `-` turned into `_`
//!   ([`job_resource_name`]): `nomad_job.clusterfuzz_bot`. Service names are
//!   `[a-z][a-z0-9-]*`, so the mapping is injective. Salt's orchestrate file
//!   applies a stage's jobs with `-target=nomad_job.<name>`.
//! - Vault: every service with `secret` blocks (any runtime) gets
//!   `vault_policy.<name>` named `eos-<service>` ([`vault_policy_name`]) that
//!   grants `read` on exactly its secret paths (as written: KV v2 paths carry
//!   their `data/` segment, e.g. `kv/data/app/db`).
//! - Nomad jobs log in to Vault with workload identity (the legacy token flow
//!   of `vault { policies }` is gone since Nomad 1.10): when a nomad service has
//!   secrets, this file also manages the JWT auth method at `jwt-nomad` (the
//!   path the Nomad agents' `vault { jwt_auth_backend_path }` names) that
//!   trusts Nomad's JWKS, and one role `eos-<service>` per such job, bound to its
//!   job ID and audience `vault.io` (the agents' `default_identity`), carrying
//!   its policy. The job's `nomad_job` resource `depends_on` that role, so a
//!   targeted apply of the job also creates its policy and role. An existing
//!   `jwt-nomad` mount (e.g. from `nomad setup vault`) must be imported first:
//!   `terraform import vault_jwt_auth_backend.nomad jwt-nomad`.
//! - Providers: `hashicorp/nomad` and `hashicorp/vault` are always required
//!   (so `terraform init` is the same for every stack); a `provider` block
//!   is written for each capability the stack has a provider with an address
//!   for, its address a variable (`nomad_address`, `vault_address`) whose
//!   default is the spec's, so a tunnel or a test can override it with
//!   `-var`. An https Vault is checked against `vault_ca_cert_file` (default
//!   the stack's internal CA, `/etc/eos/ca.pem`). Otherwise the provider reads
//!   `NOMAD_ADDR` / `VAULT_ADDR`. The Vault token comes from `VAULT_TOKEN` on
//!   the machine that runs Terraform, never from the spec.
//! - `memory_max` only limits a task when Nomad's scheduler has memory
//!   oversubscription enabled: with any such job, `nomad_scheduler_config.eos`
//!   enables it (the other settings Nomad's defaults) and those jobs depend on
//!   it, so a targeted apply sets it first.
//!
//! The file is written with the light HCL writer of `hcl_doc.rs`, block by
//! block, in the layout of hcl-rs's formatter plus the `=` alignment of
//! `terraform fmt` (`hcl_reference.rs` holds that reference for the tests).

use super::hcl_doc::{Block, Body, Value};
use super::nomad;
use super::topology::{provider_endpoint, INTERNAL_CA_FILE};
use super::{header, Artifacts, EmitError, Input, Pieces};
use crate::ast::{Capability, Runtime, SecretDecl};
use crate::model::Service;

pub(super) const PATH: &str = "terraform/main.tf";

pub(crate) const REQUIRED_VERSION: &str = ">= 1.5.0";
pub(crate) const NOMAD_PROVIDER_VERSION: &str = "~> 2.5";
pub(crate) const VAULT_PROVIDER_VERSION: &str = ">= 4.0, < 6.0";
/// Where the JWT auth method for Nomad workload identities is mounted in Vault;
/// the Nomad agents' `vault { jwt_auth_backend_path }` must name the same.
pub(crate) const JWT_AUTH_PATH: &str = "jwt-nomad";
/// The audience of the workload identities Nomad issues for Vault
/// (`vault { default_identity { aud } }` in the agent configuration).
pub(crate) const VAULT_AUDIENCE: &str = "vault.io";
/// The Terraform name of the JWT auth method resource.
const JWT_BACKEND_RESOURCE: &str = "nomad";
/// The Terraform name of the Nomad scheduler configuration.
const SCHEDULER_CONFIG_RESOURCE: &str = "eos";
/// Variables holding the provider addresses (defaults from the spec), so that
/// a test or an operator behind a tunnel can point Terraform elsewhere.
pub(crate) const NOMAD_ADDRESS_VAR: &str = "nomad_address";
pub(crate) const VAULT_ADDRESS_VAR: &str = "vault_address";
pub(crate) const VAULT_CA_VAR: &str = "vault_ca_cert_file";

/// The Terraform resource name of a service's `nomad_job` (and of its
/// `vault_policy` and `vault_jwt_auth_backend_role`): `-` becomes `_`.
pub(crate) fn job_resource_name(service: &str) -> String {
    service.replace('-', "_")
}

/// The name of a service's Vault policy (and of the JWT role of a nomad job).
pub(crate) fn vault_policy_name(service: &str) -> String {
    format!("eos-{service}")
}

/// The Vault JWT role a nomad job logs in with.
pub(crate) fn vault_role_name(service: &str) -> String {
    vault_policy_name(service)
}

pub(super) fn emit(input: &Input<'_>, out: &mut Artifacts) -> Result<(), EmitError> {
    let stack = input.stack;
    let mut main = MainTf::new(&header("#", input.source_name));
    main.add(settings_block());
    let nomad_url =
        provider_endpoint(stack, input.analysis, Capability::Nomad).map(|e| e.url(stack));
    let vault_url =
        provider_endpoint(stack, input.analysis, Capability::Vault).map(|e| e.url(stack));
    if let Some(url) = &nomad_url {
        main.add(variable_block(
            NOMAD_ADDRESS_VAR,
            "Nomad's API, as the spec places it; override it to reach Nomad through a tunnel.",
            url,
        ));
    }
    if let Some(url) = &vault_url {
        main.add(variable_block(
            VAULT_ADDRESS_VAR,
            "Vault's API, as the spec places it; override it to reach Vault through a tunnel.",
            url,
        ));
        if url.starts_with("https:") {
            main.add(variable_block(
                VAULT_CA_VAR,
                "The CA bundle Vault's certificate is checked against (empty: the system's).",
                INTERNAL_CA_FILE,
            ));
        }
    }
    if nomad_url.is_some() {
        main.add(provider_block("nomad", NOMAD_ADDRESS_VAR, None));
    }
    if let Some(url) = &vault_url {
        let ca = url.starts_with("https:").then_some(VAULT_CA_VAR);
        main.add(provider_block("vault", VAULT_ADDRESS_VAR, ca));
    }
    let oversubscribed = super::topology::services_with_runtime(stack, Runtime::Nomad)
        .any(|id| stack.service(id).decl.memory_max.is_some());
    if oversubscribed {
        main.add(scheduler_config_block());
    }
    let with_secrets: Vec<&Service> = stack
        .service_ids()
        .map(|id| stack.service(id))
        .filter(|s| !s.decl.secrets.is_empty())
        .collect();
    for service in &with_secrets {
        main.add(policy_block(service)?);
    }
    let nomad_with_secrets: Vec<&&Service> = with_secrets
        .iter()
        .filter(|s| s.decl.runtime.value == Runtime::Nomad)
        .collect();
    if !nomad_with_secrets.is_empty() {
        nomad_url.ok_or_else(|| {
            error("the stack has nomad jobs with secrets but no Nomad provider with an address (for Vault to verify workload identities)")
        })?;
        main.add(jwt_backend_block());
        for service in nomad_with_secrets {
            main.add(jwt_role_block(service.name()));
        }
    }
    for id in super::topology::services_with_runtime(stack, Runtime::Nomad) {
        main.add(job_block(stack.service(id), oversubscribed));
    }
    out.add_pieces(PATH, main.text);
    Ok(())
}

fn error(message: &str) -> EmitError {
    EmitError {
        artifact: PATH.into(),
        message: message.into(),
    }
}

fn settings_block() -> Block {
    let provider = |source: &str, version: &str| {
        Value::object([
            ("source", Value::string(source)),
            ("version", Value::string(version)),
        ])
    };
    Block::builder("terraform")
        .add_attribute("required_version", Value::string(REQUIRED_VERSION))
        .add_block(
            Block::builder("required_providers")
                .add_attribute("nomad", provider("hashicorp/nomad", NOMAD_PROVIDER_VERSION))
                .add_attribute("vault", provider("hashicorp/vault", VAULT_PROVIDER_VERSION))
                .build(),
        )
        .build()
}

fn variable_block(name: &str, description: &str, default: &str) -> Block {
    Block::builder("variable")
        .add_label(name)
        .add_attribute("description", Value::string(description))
        .add_attribute("type", Value::expression("string"))
        .add_attribute("default", Value::string(default))
        .build()
}

fn provider_block(name: &str, address_var: &str, ca_var: Option<&str>) -> Block {
    let mut block = Block::builder("provider")
        .add_label(name)
        .add_attribute("address", Value::expression(format!("var.{address_var}")));
    if let Some(ca) = ca_var {
        block = block.add_attribute("ca_cert_file", Value::expression(format!("var.{ca}")));
    }
    block.build()
}

/// Nomad ignores `memory_max` unless memory oversubscription is enabled in
/// its scheduler configuration. The other settings are Nomad's defaults,
/// written out so that a plan after apply shows no change.
fn scheduler_config_block() -> Block {
    Block::builder("resource")
        .add_label("nomad_scheduler_config")
        .add_label(SCHEDULER_CONFIG_RESOURCE)
        .add_attribute("scheduler_algorithm", Value::string("binpack"))
        .add_attribute("memory_oversubscription_enabled", Value::bool(true))
        .add_attribute(
            "preemption_config",
            Value::object([
                ("batch_scheduler_enabled", Value::bool(false)),
                ("service_scheduler_enabled", Value::bool(false)),
                ("sysbatch_scheduler_enabled", Value::bool(false)),
                ("system_scheduler_enabled", Value::bool(true)),
            ]),
        )
        .build()
}

/// `vault_policy.<service>`: read on exactly the service's secret paths.
fn policy_block(service: &Service) -> Result<Block, EmitError> {
    let name = service.name();
    let text = policy_text(&service.decl.secrets)
        .map_err(|message| error(&format!("service `{name}`: {message}")))?;
    Ok(Block::builder("resource")
        .add_label("vault_policy")
        .add_label(&job_resource_name(name))
        .add_attribute("name", Value::string(&vault_policy_name(name)))
        .add_attribute("policy", Value::string(&text))
        .build())
}

/// The Vault policy (HCL text) granting `read` on each secret path once, in
/// declaration order.
pub(crate) fn policy_text(secrets: &[SecretDecl]) -> Result<String, String> {
    let mut paths: Vec<&str> = Vec::new();
    for secret in secrets {
        let path = nomad::vault::checked_path(secret)?;
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    let stanzas: Vec<String> = paths
        .iter()
        .map(|path| format!("path \"{path}\" {{\n  capabilities = [\"read\"]\n}}\n"))
        .collect();
    Ok(stanzas.join("\n"))
}

fn jwt_backend_block() -> Block {
    Block::builder("resource")
        .add_label("vault_jwt_auth_backend")
        .add_label(JWT_BACKEND_RESOURCE)
        .add_attribute("path", Value::string(JWT_AUTH_PATH))
        .add_attribute("type", Value::string("jwt"))
        .add_attribute(
            "jwks_url",
            Value::expression(format!(
                "\"${{var.{NOMAD_ADDRESS_VAR}}}/.well-known/jwks.json\""
            )),
        )
        .add_attribute("jwt_supported_algs", Value::strings(["RS256", "EdDSA"]))
        .build()
}

/// The JWT role of one nomad job: only that job's identity may use it, and it
/// carries only that job's policy.
fn jwt_role_block(service: &str) -> Block {
    let resource = job_resource_name(service);
    let claims = ["nomad_namespace", "nomad_job_id", "nomad_task"];
    Block::builder("resource")
        .add_label("vault_jwt_auth_backend_role")
        .add_label(&resource)
        .add_attribute(
            "backend",
            traversal(&["vault_jwt_auth_backend", JWT_BACKEND_RESOURCE, "path"]),
        )
        .add_attribute("role_name", Value::string(&vault_role_name(service)))
        .add_attribute("role_type", Value::string("jwt"))
        .add_attribute("bound_audiences", Value::strings([VAULT_AUDIENCE]))
        .add_attribute(
            "bound_claims",
            Value::object([
                ("nomad_namespace", Value::string("default")),
                ("nomad_job_id", Value::string(service)),
            ]),
        )
        .add_attribute("user_claim", Value::string("/nomad_job_id"))
        .add_attribute("user_claim_json_pointer", Value::bool(true))
        .add_attribute(
            "claim_mappings",
            Value::object(claims.map(|claim| (claim, Value::string(claim)))),
        )
        .add_attribute("token_type", Value::string("service"))
        .add_attribute(
            "token_policies",
            Value::expression(format!("[vault_policy.{resource}.name]")),
        )
        .add_attribute("token_period", Value::number(1800))
        .add_attribute("token_explicit_max_ttl", Value::number(0))
        .build()
}

fn job_block(service: &Service, oversubscribed: bool) -> Block {
    let name = service.name();
    let resource = job_resource_name(name);
    // Emitter-written: `${path.module}` is Terraform's, the file name a
    // validated service name.
    let file = format!(
        "file(\"${{path.module}}/../{}\")",
        nomad::jobspec_path(name)
    );
    let mut block = Block::builder("resource")
        .add_label("nomad_job")
        .add_label(&resource)
        .add_attribute("jobspec", Value::expression(file));
    let mut needs = Vec::new();
    if !service.decl.secrets.is_empty() {
        needs.push(format!("vault_jwt_auth_backend_role.{resource}"));
    }
    if oversubscribed && service.decl.memory_max.is_some() {
        needs.push(format!(
            "nomad_scheduler_config.{SCHEDULER_CONFIG_RESOURCE}"
        ));
    }
    if !needs.is_empty() {
        block = block.add_attribute(
            "depends_on",
            Value::expression(format!("[{}]", needs.join(", "))),
        );
    }
    block.build()
}

/// `a.b.c` (every part an identifier written by the emitter).
fn traversal(parts: &[&str]) -> Value {
    Value::expression(parts.join("."))
}

/// `main.tf`, written block by block as the blocks are built: top-level
/// blocks are separated by a blank line, as in the body they would make.
struct MainTf {
    text: Pieces,
    empty: bool,
}

impl MainTf {
    fn new(header: &str) -> Self {
        let mut text = Pieces::default();
        let head = text.current();
        head.push_str(header);
        head.push('\n');
        Self { text, empty: true }
    }

    fn add(&mut self, block: Block) {
        let text = self.text.current();
        if !self.empty {
            text.push('\n');
        }
        let mut body = Body::default();
        body.add_block(block);
        body.write_to(text);
        self.empty = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_are_identifiers() {
        assert_eq!(job_resource_name("clusterfuzz-bot"), "clusterfuzz_bot");
        assert_eq!(vault_policy_name("app"), "eos-app");
        assert!(hcl::Identifier::new(job_resource_name("x-1-y")).is_ok());
    }

    fn secret(path: &str) -> SecretDecl {
        let text = |t: &str| crate::span::Spanned::new(t.into(), crate::span::Span::default());
        SecretDecl {
            name: text("s"),
            head: crate::span::Span::default(),
            path: text(path),
            env: Vec::new(),
        }
    }

    #[test]
    fn policies_read_each_path_once() {
        let text = policy_text(&[
            secret("kv/data/a"),
            secret("kv/data/b"),
            secret("kv/data/a"),
        ])
        .unwrap();
        assert_eq!(
            text,
            "path \"kv/data/a\" {\n  capabilities = [\"read\"]\n}\n\npath \"kv/data/b\" {\n  capabilities = [\"read\"]\n}\n"
        );
        assert!(policy_text(&[secret("kv/data/*")]).is_err());
        assert!(policy_text(&[secret("kv/data/x\" {")]).is_err());
    }
}
