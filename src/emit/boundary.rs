//! `terraform/boundary/main.tf` (LANGUAGE.md section 8): with a `boundary`
//! provider, the Boundary side of break-glass access — a Terraform root of its
//! own, so that the stage applies of `terraform/main.tf` never need Boundary
//! or its credentials. Applied by an operator once Boundary runs
//! (docs/bootstrap.md), authenticated as the provider reads it (`BOUNDARY_TOKEN`
//! after `boundary authenticate`, or a recovery KMS block in an override file).
//!
//! - An org scope `eos-<stack>` and a project `control-plane` in it.
//! - A static host catalog; a static host per host that a target runs on, its
//!   address the spec's; a static host set per target service (its `on`).
//! - One TCP target per `admin` port of a baremetal or docker service, and per
//!   http route with `auth = authentik` to such a service (the route's
//!   backend port), so operators reach the control plane and every protected
//!   application when Authentik is down. Nomad services have no fixed host
//!   and port (dynamic ports, any client): they get no target.
//! - Break glass: a password auth method `break-glass` in the org, one account
//!   `break-glass` with no password in any file — set it out of band with
//!   `boundary accounts set-password` — its user, and a role in the project
//!   granting that user everything there.
//!
//! Resource names: a target is `<service>_<port>` with `-` as `_`; hosts and
//! host sets are named after the host and the service.

use super::hcl_doc::{Block, Body, Value};
use super::{header, Artifacts, EmitError, Input};
use crate::ast::{Auth, Capability, PortProtocol, RouteProtocol, Runtime};
use crate::model::{HostId, PortId, ServiceId, Stack};

pub(super) const PATH: &str = "terraform/boundary/main.tf";
pub(crate) const BOUNDARY_PROVIDER_VERSION: &str = ">= 1.1.0, < 2.0.0";
const ADDRESS_VAR: &str = "boundary_address";

// The signature of every emitter of a chain (`emit::Emitter`); this one has
// nothing that can fail.
#[allow(clippy::unnecessary_wraps)]
pub(super) fn emit(input: &Input<'_>, out: &mut Artifacts) -> Result<(), EmitError> {
    let stack = input.stack;
    let Some(provider) = input.analysis.graph.provider(Capability::Boundary) else {
        return Ok(());
    };
    let Some(address) = api_url(stack, provider) else {
        return Ok(());
    };
    let targets = targets(input);
    let mut body = Body::default();
    body.add_block(settings_block());
    body.add_block(
        Block::builder("variable")
            .add_label(ADDRESS_VAR)
            .add_attribute(
                "description",
                Value::string("Boundary's API, as the spec places it; override it to reach Boundary through a tunnel."),
            )
            .add_attribute("type", Value::expression("string"))
            .add_attribute("default", Value::string(&address))
            .build(),
    );
    body.add_block(
        Block::builder("provider")
            .add_label("boundary")
            .add_attribute("addr", Value::expression(format!("var.{ADDRESS_VAR}")))
            .build(),
    );
    for block in scopes(stack) {
        body.add_block(block);
    }
    body.add_block(
        resource("boundary_host_catalog_static", "eos")
            .add_attribute("name", Value::string("eos"))
            .add_attribute("scope_id", Value::expression("boundary_scope.project.id"))
            .build(),
    );
    for host in hosts_of_targets(stack, &targets) {
        let decl = stack.host(host);
        body.add_block(
            resource("boundary_host_static", &resource_name(&decl.name.value))
                .add_attribute("name", Value::string(&decl.name.value))
                .add_attribute(
                    "host_catalog_id",
                    Value::expression("boundary_host_catalog_static.eos.id"),
                )
                .add_attribute("address", Value::string(&decl.address.value))
                .build(),
        );
    }
    let mut services: Vec<ServiceId> = targets.iter().map(|t| t.service).collect();
    services.sort_by_key(|s| s.0);
    services.dedup();
    for &id in &services {
        body.add_block(host_set_block(stack, id));
    }
    for target in &targets {
        body.add_block(target_block(stack, target));
    }
    for block in break_glass() {
        body.add_block(block);
    }
    let mut text = header("#", input.source_name);
    text.push('\n');
    body.write_to(&mut text);
    out.add(PATH, text);
    Ok(())
}

/// `http(s)://host:port` of the provider's port named `api`, else its first
/// http(s) port, on its first host.
fn api_url(stack: &Stack, provider: ServiceId) -> Option<String> {
    let service = stack.service(provider);
    let host = *service.on.as_ref()?.first()?;
    let ports = &service.decl.ports;
    let port = ports.iter().find(|p| p.name.value == "api").or_else(|| {
        ports
            .iter()
            .find(|p| matches!(p.protocol.value, PortProtocol::Http | PortProtocol::Https))
    })?;
    let scheme = if port.protocol.value == PortProtocol::Https {
        "https"
    } else {
        "http"
    };
    Some(format!(
        "{scheme}://{}",
        super::topology::host_port(&stack.host(host).address.value, port.number.value)
    ))
}

/// A target: a port of a service, and why it is one.
struct Target {
    service: ServiceId,
    port: usize,
    why: String,
}

/// The `admin` ports, then the backends of Authentik-protected routes, each
/// port once, of services with fixed hosts (baremetal, docker).
fn targets(input: &Input<'_>) -> Vec<Target> {
    let stack = input.stack;
    let fixed = |id: ServiceId| stack.service(id).decl.runtime.value != Runtime::Nomad;
    let mut targets: Vec<Target> = Vec::new();
    for id in stack.service_ids().filter(|&id| fixed(id)) {
        for (index, port) in stack.service(id).decl.ports.iter().enumerate() {
            if port.admin.value {
                targets.push(Target {
                    service: id,
                    port: index,
                    why: format!(
                        "admin port {} of {}",
                        port.name.value,
                        stack.service(id).name()
                    ),
                });
            }
        }
    }
    for route in &stack.routes {
        let decl = &route.decl;
        let PortId { service, index } = route.target;
        let protected =
            decl.auth.value == Auth::Authentik && decl.protocol.value == RouteProtocol::Http;
        let known = targets
            .iter()
            .any(|t| t.service == service && t.port == index);
        if protected && fixed(service) && !known {
            targets.push(Target {
                service,
                port: index,
                why: format!(
                    "the backend of route {} ({}), behind Authentik",
                    decl.name.value,
                    decl.host.as_ref().map_or("", |h| h.value.as_str())
                ),
            });
        }
    }
    targets
}

/// The hosts the targets run on, in declaration order.
fn hosts_of_targets(stack: &Stack, targets: &[Target]) -> Vec<HostId> {
    let mut hosts: Vec<HostId> = targets
        .iter()
        .flat_map(|t| stack.service(t.service).on.clone().unwrap_or_default())
        .collect();
    hosts.sort_by_key(|h| h.0);
    hosts.dedup();
    hosts
}

fn resource(kind: &str, name: &str) -> super::hcl_doc::BlockBuilder {
    Block::builder("resource").add_label(kind).add_label(name)
}

/// Terraform names, as `terraform/main.tf` names its resources.
fn resource_name(name: &str) -> String {
    super::terraform::job_resource_name(name)
}

fn settings_block() -> Block {
    Block::builder("terraform")
        .add_attribute(
            "required_version",
            Value::string(super::terraform::REQUIRED_VERSION),
        )
        .add_block(
            Block::builder("required_providers")
                .add_attribute(
                    "boundary",
                    Value::object([
                        ("source", Value::string("hashicorp/boundary")),
                        ("version", Value::string(BOUNDARY_PROVIDER_VERSION)),
                    ]),
                )
                .build(),
        )
        .build()
}

fn scopes(stack: &Stack) -> [Block; 2] {
    [
        resource("boundary_scope", "org")
            .add_attribute(
                "name",
                Value::string(&format!("eos-{}", stack.settings.name.value)),
            )
            .add_attribute("description", Value::string("The eos stack, from its spec"))
            .add_attribute("scope_id", Value::string("global"))
            .add_attribute("auto_create_admin_role", Value::bool(true))
            .add_attribute("auto_create_default_role", Value::bool(true))
            .build(),
        resource("boundary_scope", "project")
            .add_attribute("name", Value::string("control-plane"))
            .add_attribute(
                "description",
                Value::string("Admin ports and the backends of Authentik-protected routes"),
            )
            .add_attribute("scope_id", Value::expression("boundary_scope.org.id"))
            .add_attribute("auto_create_admin_role", Value::bool(true))
            .build(),
    ]
}

fn host_set_block(stack: &Stack, id: ServiceId) -> Block {
    let service = stack.service(id);
    let hosts: Vec<String> = service
        .on
        .clone()
        .unwrap_or_default()
        .iter()
        .map(|&h| {
            format!(
                "boundary_host_static.{}.id",
                resource_name(&stack.host(h).name.value)
            )
        })
        .collect();
    resource("boundary_host_set_static", &resource_name(service.name()))
        .add_attribute("name", Value::string(service.name()))
        .add_attribute(
            "host_catalog_id",
            Value::expression("boundary_host_catalog_static.eos.id"),
        )
        .add_attribute(
            "host_ids",
            Value::expression(format!("[{}]", hosts.join(", "))),
        )
        .build()
}

fn target_block(stack: &Stack, target: &Target) -> Block {
    let service = stack.service(target.service);
    let port = &service.decl.ports[target.port];
    let name = format!("{}-{}", service.name(), port.name.value);
    resource("boundary_target", &resource_name(&name))
        .add_attribute("name", Value::string(&name))
        .add_attribute("description", Value::string(&target.why))
        .add_attribute("type", Value::string("tcp"))
        .add_attribute("scope_id", Value::expression("boundary_scope.project.id"))
        .add_attribute("default_port", Value::number(port.number.value))
        .add_attribute(
            "host_source_ids",
            Value::expression(format!(
                "[boundary_host_set_static.{}.id]",
                resource_name(service.name())
            )),
        )
        .build()
}

/// The way in when Authentik is down: an account with no password in any
/// file (set it with `boundary accounts set-password`), and a role that
/// lets it use every target of the project.
fn break_glass() -> [Block; 4] {
    [
        resource("boundary_auth_method_password", "break_glass")
            .add_attribute("name", Value::string("break-glass"))
            .add_attribute(
                "description",
                Value::string("Logins that do not depend on Authentik"),
            )
            .add_attribute("scope_id", Value::expression("boundary_scope.org.id"))
            .build(),
        resource("boundary_account_password", "break_glass")
            .add_attribute(
                "auth_method_id",
                Value::expression("boundary_auth_method_password.break_glass.id"),
            )
            .add_attribute("login_name", Value::string("break-glass"))
            .add_attribute(
                "description",
                Value::string("No password here: set it with boundary accounts set-password"),
            )
            .build(),
        resource("boundary_user", "break_glass")
            .add_attribute("name", Value::string("break-glass"))
            .add_attribute("scope_id", Value::expression("boundary_scope.org.id"))
            .add_attribute(
                "account_ids",
                Value::expression("[boundary_account_password.break_glass.id]"),
            )
            .build(),
        resource("boundary_role", "break_glass")
            .add_attribute("name", Value::string("break-glass"))
            .add_attribute("scope_id", Value::expression("boundary_scope.project.id"))
            .add_attribute("grant_strings", Value::strings(["ids=*;type=*;actions=*"]))
            .add_attribute(
                "principal_ids",
                Value::expression("[boundary_user.break_glass.id]"),
            )
            .build(),
    ]
}
