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
//!   with an address is written for each capability the stack has a provider
//!   with an address for. Otherwise the provider reads `NOMAD_ADDR` /
//!   `VAULT_ADDR`. The Vault token comes from `VAULT_TOKEN` on the machine that
//!   runs Terraform, never from the spec.
//!
//! This module also holds [`render`], the HCL formatting shared with the Nomad
//! emitter: hcl-rs's formatter plus the `=` alignment `terraform fmt` applies.

use hcl::expr::{Expression, FuncCall, ObjectKey, TemplateExpr, Traversal, Variable};
use hcl::format::{Format, Formatter};
use hcl::{Block, Body, Identifier};

use super::hcl::{string, strings};
use super::nomad;
use super::topology::provider_endpoint;
use super::{header, Artifacts, EmitError, Input};
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
    main.add(settings_block())?;
    if let Some(endpoint) = provider_endpoint(stack, input.analysis, Capability::Nomad) {
        main.add(provider_block("nomad", &endpoint.url(stack)))?;
    }
    if let Some(endpoint) = provider_endpoint(stack, input.analysis, Capability::Vault) {
        main.add(provider_block("vault", &endpoint.url(stack)))?;
    }
    let with_secrets: Vec<&Service> = stack
        .service_ids()
        .map(|id| stack.service(id))
        .filter(|s| !s.decl.secrets.is_empty())
        .collect();
    for service in &with_secrets {
        main.add(policy_block(service)?)?;
    }
    let nomad_with_secrets: Vec<&&Service> = with_secrets
        .iter()
        .filter(|s| s.decl.runtime.value == Runtime::Nomad)
        .collect();
    if !nomad_with_secrets.is_empty() {
        let nomad = provider_endpoint(stack, input.analysis, Capability::Nomad).ok_or_else(|| {
            error("the stack has nomad jobs with secrets but no Nomad provider with an address (for Vault to verify workload identities)")
        })?;
        main.add(jwt_backend_block(&nomad.url(stack)))?;
        for service in nomad_with_secrets {
            main.add(jwt_role_block(service.name()))?;
        }
    }
    for id in super::topology::services_with_runtime(stack, Runtime::Nomad) {
        main.add(job_block(stack.service(id)))?;
    }
    out.add(PATH, main.text);
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
        object([("source", string(source)), ("version", string(version))])
    };
    Block::builder("terraform")
        .add_attribute(("required_version", string(REQUIRED_VERSION)))
        .add_block(
            Block::builder("required_providers")
                .add_attribute(("nomad", provider("hashicorp/nomad", NOMAD_PROVIDER_VERSION)))
                .add_attribute(("vault", provider("hashicorp/vault", VAULT_PROVIDER_VERSION)))
                .build(),
        )
        .build()
}

fn provider_block(name: &str, address: &str) -> Block {
    Block::builder("provider")
        .add_label(name)
        .add_attribute(("address", string(address)))
        .build()
}

/// `vault_policy.<service>`: read on exactly the service's secret paths.
fn policy_block(service: &Service) -> Result<Block, EmitError> {
    let name = service.name();
    let text = policy_text(&service.decl.secrets)
        .map_err(|message| error(&format!("service `{name}`: {message}")))?;
    Ok(Block::builder("resource")
        .add_label("vault_policy")
        .add_label(job_resource_name(name))
        .add_attribute(("name", string(&vault_policy_name(name))))
        .add_attribute(("policy", string(&text)))
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

fn jwt_backend_block(nomad_url: &str) -> Block {
    Block::builder("resource")
        .add_label("vault_jwt_auth_backend")
        .add_label(JWT_BACKEND_RESOURCE)
        .add_attribute(("path", string(JWT_AUTH_PATH)))
        .add_attribute(("type", string("jwt")))
        .add_attribute((
            "jwks_url",
            string(&format!("{nomad_url}/.well-known/jwks.json")),
        ))
        .add_attribute(("jwt_supported_algs", strings(["RS256", "EdDSA"])))
        .build()
}

/// The JWT role of one nomad job: only that job's identity may use it, and it
/// carries only that job's policy.
fn jwt_role_block(service: &str) -> Block {
    let resource = job_resource_name(service);
    let claims = ["nomad_namespace", "nomad_job_id", "nomad_task"];
    Block::builder("resource")
        .add_label("vault_jwt_auth_backend_role")
        .add_label(resource.as_str())
        .add_attribute((
            "backend",
            traversal(&["vault_jwt_auth_backend", JWT_BACKEND_RESOURCE, "path"]),
        ))
        .add_attribute(("role_name", string(&vault_role_name(service))))
        .add_attribute(("role_type", string("jwt")))
        .add_attribute(("bound_audiences", strings([VAULT_AUDIENCE])))
        .add_attribute((
            "bound_claims",
            object([
                ("nomad_namespace", string("default")),
                ("nomad_job_id", string(service)),
            ]),
        ))
        .add_attribute(("user_claim", string("/nomad_job_id")))
        .add_attribute(("user_claim_json_pointer", Expression::Bool(true)))
        .add_attribute((
            "claim_mappings",
            object(claims.map(|claim| (claim, string(claim)))),
        ))
        .add_attribute(("token_type", string("service")))
        .add_attribute((
            "token_policies",
            Expression::Array(vec![traversal(&["vault_policy", &resource, "name"])]),
        ))
        .add_attribute(("token_period", Expression::from(1800)))
        .add_attribute(("token_explicit_max_ttl", Expression::from(0)))
        .build()
}

fn job_block(service: &Service) -> Block {
    let name = service.name();
    let resource = job_resource_name(name);
    // Emitter-written: `${path.module}` is Terraform's, the file name a
    // validated service name.
    let file = FuncCall::builder("file")
        .arg(TemplateExpr::QuotedString(format!(
            "${{path.module}}/../{}",
            nomad::jobspec_path(name)
        )))
        .build();
    let mut block = Block::builder("resource")
        .add_label("nomad_job")
        .add_label(resource.as_str())
        .add_attribute(("jobspec", file));
    if !service.decl.secrets.is_empty() {
        block = block.add_attribute((
            "depends_on",
            Expression::Array(vec![traversal(&["vault_jwt_auth_backend_role", &resource])]),
        ));
    }
    block.build()
}

/// `a.b.c` as an expression (every part an identifier written by the emitter).
fn traversal(parts: &[&str]) -> Expression {
    let (root, rest) = parts.split_first().expect("a traversal has a root");
    let mut builder = Traversal::builder(Variable::unchecked(*root));
    for part in rest {
        builder = builder.attr(Identifier::unchecked(*part));
    }
    Expression::from(builder.build())
}

/// `{ key = value … }` with identifier keys, in the order given.
fn object<'a>(items: impl IntoIterator<Item = (&'a str, Expression)>) -> Expression {
    Expression::Object(
        items
            .into_iter()
            .map(|(key, value)| (ObjectKey::Identifier(Identifier::unchecked(key)), value))
            .collect(),
    )
}

/// An HCL body as the artifacts are written: hcl-rs's layout with one-line
/// arrays and `=` aligned as `terraform fmt` aligns it.
///
/// `hcl_text` writes it in one pass; for a construct it does not cover, the
/// reference path (hcl-rs's formatter, then the alignment pass) writes it.
fn body_text(body: &Body) -> Result<String, String> {
    match super::hcl_text::format(body) {
        Some(text) => Ok(text),
        None => {
            debug_assert!(false, "an emitter built HCL that hcl_text does not cover");
            body_text_with_hcl_rs(body)
        }
    }
}

/// `header` (comment lines), then the body as [`body_text`] writes it by the
/// reference path (the tests compare `hcl_text` with it).
#[cfg(test)]
pub(super) fn render_with_hcl_rs(header: &str, body: &Body) -> Result<String, String> {
    let mut out = String::from(header);
    out.push('\n');
    out.push_str(&body_text_with_hcl_rs(body)?);
    Ok(out)
}

fn body_text_with_hcl_rs(body: &Body) -> Result<String, String> {
    let mut formatter = Formatter::builder().compact_arrays(true).build_vec();
    let text = body
        .format_string(&mut formatter)
        .map_err(|e| format!("formatting HCL failed: {e}"))?;
    Ok(align_assignments(&text))
}

/// `main.tf`, written block by block as the blocks are built (the hcl-rs tree
/// of a whole large stack took tens of megabytes): top-level blocks are
/// separated by a blank line, as in the body they would make.
struct MainTf {
    text: String,
    empty: bool,
}

impl MainTf {
    fn new(header: &str) -> Self {
        let mut text = String::from(header);
        text.push('\n');
        Self { text, empty: true }
    }

    fn add(&mut self, block: Block) -> Result<(), EmitError> {
        let body = Body::builder().add_block(block).build();
        let block_text = body_text(&body).map_err(|message| error(&message))?;
        if !self.empty {
            self.text.push('\n');
        }
        self.text.push_str(&block_text);
        self.empty = false;
        Ok(())
    }
}

/// Aligns the `=` of consecutive one-line attributes as `terraform fmt`
/// (hclwrite) does: a line takes part when its first `=` outside strings
/// follows something and what comes after it opens no bracket it does not
/// close; any other line (blank, block header, `}`, the first line of a
/// multi-line value, a comment) ends the run.
pub(crate) fn align_assignments(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let marks: Vec<Option<usize>> = lines.iter().map(|line| assignment(line)).collect();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut i = 0;
    while i < lines.len() {
        let Some(_) = marks[i] else {
            out.push_str(lines[i]);
            if i + 1 < lines.len() {
                out.push('\n');
            }
            i += 1;
            continue;
        };
        let end = (i..lines.len())
            .find(|&j| marks[j].is_none())
            .unwrap_or(lines.len());
        let width = |j: usize| lines[j][..marks[j].unwrap_or(0)].trim_end().chars().count();
        let column = (i..end).map(width).max().unwrap_or(0);
        for j in i..end {
            let at = marks[j].unwrap_or(0);
            let lead = lines[j][..at].trim_end();
            out.push_str(lead);
            out.push_str(&" ".repeat(column - width(j) + 1));
            out.push('=');
            out.push(' ');
            out.push_str(lines[j][at + 1..].trim_start());
            if j + 1 < lines.len() {
                out.push('\n');
            }
        }
        i = end;
    }
    out
}

/// The byte offset of the `=` that `terraform fmt` aligns on this line, if any.
fn assignment(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
        return None;
    }
    let bytes = line.as_bytes();
    let start = line.len() - trimmed.len();
    let (mut in_string, mut escaped) = (false, false);
    let mut equals = None;
    let mut depth = 0i32;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' | b'(' if equals.is_some() => depth += 1,
            b'}' | b']' | b')' if equals.is_some() => depth -= 1,
            b'=' if equals.is_none() => {
                let next = bytes.get(i + 1).copied();
                let previous = bytes[i - 1];
                let operator = matches!(next, Some(b'=' | b'>'))
                    || matches!(previous, b'!' | b'<' | b'>' | b'=');
                if i == start || operator {
                    return None;
                }
                equals = Some(i);
            }
            _ => {}
        }
    }
    equals.filter(|_| depth == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_are_identifiers() {
        assert_eq!(job_resource_name("clusterfuzz-bot"), "clusterfuzz_bot");
        assert_eq!(vault_policy_name("app"), "eos-app");
        assert!(Identifier::new(job_resource_name("x-1-y")).is_ok());
    }

    fn secret(path: &str) -> SecretDecl {
        let text = |t: &str| crate::span::Spanned::new(t.to_string(), crate::span::Span::default());
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

    #[test]
    fn alignment_follows_hclwrite() {
        let text = "a {\n  x = 1\n  long_name = \"a = b\"\n  obj = {\n    k = 1\n    kk = [1, 2]\n  }\n\n  y = \"}\"\n  zz = file(\"x\")\n}\n";
        let want = "a {\n  x         = 1\n  long_name = \"a = b\"\n  obj = {\n    k  = 1\n    kk = [1, 2]\n  }\n\n  y  = \"}\"\n  zz = file(\"x\")\n}\n";
        assert_eq!(align_assignments(text), want);
        // Escaped quotes do not end a string.
        assert_eq!(
            align_assignments("a = \"\\\"{\"\nbbb = 2\n"),
            "a   = \"\\\"{\"\nbbb = 2\n"
        );
        // Idempotent.
        assert_eq!(align_assignments(want), want);
    }
}
