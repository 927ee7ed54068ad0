//! Facts the emitters share about where things are reachable: service
//! addresses, provider API endpoints, Consul service names, Nomad candidates.

use crate::ast::{Capability, PortDecl, PortProtocol, Runtime};
use crate::check::Analysis;
use crate::model::{HostId, ServiceId, Stack};

/// Default API ports when a provider declares none.
pub const DEFAULT_NOMAD_PORT: u64 = 4646;
pub const DEFAULT_VAULT_PORT: u64 = 8200;
pub const DEFAULT_CONSUL_PORT: u64 = 8500;
/// The CA bundle of the stack's internal TLS certificates (Vault's, an https
/// upstream's such as the Wazuh dashboard): placed on every host by the
/// operator, as the Vault token is. Trusted by Caddy for https upstreams, by
/// Terraform's Vault provider and by every Vault client eosc writes.
pub const INTERNAL_CA_FILE: &str = "/etc/eos/ca.pem";
/// Consul's DNS interface, which Caddy asks for SRV records of Nomad services.
pub const CONSUL_DNS_PORT: u64 = 8600;

/// The Consul service name of a port: `<service>-<port>`.
pub fn consul_service_name(service: &str, port: &str) -> String {
    [service, "-", port].concat()
}

/// `http` or `https`, for a port used as an HTTP endpoint.
pub fn scheme(port: &PortDecl) -> &'static str {
    if port.protocol.value == PortProtocol::Https {
        "https"
    } else {
        "http"
    }
}

/// `address:port`, bracketing IPv6 addresses.
pub fn host_port(address: &str, port: u64) -> String {
    if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}

/// The hosts a baremetal/docker service runs on, in `on` order.
pub fn hosts_of(stack: &Stack, id: ServiceId) -> Vec<HostId> {
    stack.service(id).on.as_deref().unwrap_or_default().to_vec()
}

/// The Nomad clients a nomad job may be placed on: the nomad provider's hosts,
/// narrowed by the job's `on` and the host of a local volume.
pub fn nomad_candidates(stack: &Stack, analysis: &Analysis, id: ServiceId) -> Vec<HostId> {
    analysis.placement.candidates_for(stack, id).into_owned()
}

/// An HTTP API endpoint of a provider: its first http/https port (or the
/// default), on its first host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: &'static str,
    pub host: HostId,
    pub port: u64,
}

impl Endpoint {
    pub fn url(&self, stack: &Stack) -> String {
        format!(
            "{}://{}",
            self.scheme,
            host_port(&stack.host(self.host).address.value, self.port)
        )
    }
}

pub fn provider_endpoint(
    stack: &Stack,
    analysis: &Analysis,
    capability: Capability,
) -> Option<Endpoint> {
    let provider = analysis.graph.provider(capability)?;
    let service = stack.service(provider);
    let host = *service.on.as_ref()?.first()?;
    let default_port = match capability {
        Capability::Vault => DEFAULT_VAULT_PORT,
        Capability::Consul => DEFAULT_CONSUL_PORT,
        _ => DEFAULT_NOMAD_PORT,
    };
    let api = service
        .decl
        .ports
        .iter()
        .find(|p| matches!(p.protocol.value, PortProtocol::Http | PortProtocol::Https));
    Some(match api {
        Some(port) => Endpoint {
            scheme: scheme(port),
            host,
            port: port.number.value,
        },
        None => Endpoint {
            scheme: if capability == Capability::Vault {
                "https"
            } else {
                "http"
            },
            host,
            port: default_port,
        },
    })
}

/// The services of a runtime in declaration order.
pub fn services_with_runtime(
    stack: &Stack,
    runtime: Runtime,
) -> impl Iterator<Item = ServiceId> + '_ {
    stack
        .service_ids()
        .filter(move |&id| stack.service(id).decl.runtime.value == runtime)
}

/// What an `env` connection (LANGUAGE.md section 3) holds at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionValue {
    /// Known when the spec is built: the target's first host in `on`.
    Literal(String),
    /// Looked up in Consul when the service starts: the target is a nomad
    /// service, registered as `service` (a Nomad template renders it).
    Consul {
        service: String,
        part: crate::ast::ConnectionPart,
    },
}

/// The connections of a service's `env`, key by key, in the order written.
pub fn connections(
    stack: &Stack,
    id: ServiceId,
) -> Vec<(&crate::ast::ConnectionDecl, ConnectionValue)> {
    use crate::ast::{ConnectionPart, Runtime};
    let service = stack.service(id);
    service
        .connections
        .iter()
        .map(|connection| {
            let decl = &service.decl.connections[connection.decl];
            let target = stack.service(connection.port.service);
            let port = &target.decl.ports[connection.port.index];
            let value = if target.decl.runtime.value == Runtime::Nomad {
                ConnectionValue::Consul {
                    service: consul_service_name(target.name(), &port.name.value),
                    part: decl.part,
                }
            } else {
                let address = hosts_of(stack, connection.port.service)
                    .first()
                    .map_or("", |&host| stack.host(host).address.value.as_str());
                ConnectionValue::Literal(match decl.part {
                    ConnectionPart::Both => host_port(address, port.number.value),
                    ConnectionPart::Address => address.to_string(),
                    ConnectionPart::Port => port.number.value.to_string(),
                })
            };
            (decl, value)
        })
        .collect()
}

/// A service's plain environment: `env` as written, then the connections
/// whose values are known when the spec is built.
pub fn plain_env(stack: &Stack, id: ServiceId) -> Vec<crate::ast::EnvVar> {
    let mut env = stack.service(id).decl.env.to_vec();
    for (connection, value) in connections(stack, id) {
        if let ConnectionValue::Literal(text) = value {
            env.push(crate::ast::EnvVar {
                key: connection.key.clone(),
                value: crate::span::Spanned::new(text.into(), connection.key.span),
            });
        }
    }
    env
}
