//! `caddy/Caddyfile`: one site per http route host, `reverse_proxy` to the
//! target (baremetal/docker: its hosts' addresses; nomad: Consul DNS SRV), and
//! Authentik `forward_auth` where a route asks for it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::templates::{caddy_token, CADDYFILE};
use super::topology::{self, consul_service_name, host_port, CONSUL_DNS_PORT};
use super::{Artifacts, EmitError, Input};
use crate::ast::{Auth, Capability, PortProtocol, RouteProtocol, Runtime};
use crate::model::{PortId, Stack};

pub(super) const PATH: &str = "caddy/Caddyfile";

/// The headers Authentik's outpost sets, as its Caddy integration documents.
const AUTHENTIK_HEADERS: [&str; 12] = [
    "X-Authentik-Username",
    "X-Authentik-Groups",
    "X-Authentik-Entitlements",
    "X-Authentik-Email",
    "X-Authentik-Name",
    "X-Authentik-Uid",
    "X-Authentik-Jwt",
    "X-Authentik-Meta-Jwks",
    "X-Authentik-Meta-Outpost",
    "X-Authentik-Meta-Provider",
    "X-Authentik-Meta-App",
    "X-Authentik-Meta-Version",
];

#[derive(Serialize)]
struct View {
    source: String,
    email: Option<minijinja::Value>,
    ca_file: &'static str,
    sites: Vec<Site>,
}

#[derive(Serialize)]
struct Site {
    host: String,
    /// `*.example.com`: its certificate needs the ACME DNS challenge.
    wildcard: bool,
    routes: Vec<SiteRoute>,
}

#[derive(Serialize)]
struct SiteRoute {
    name: String,
    target: String,
    matcher: Option<String>,
    /// Caddyfile tokens ([`caddy_token`]).
    paths: Vec<minijinja::Value>,
    proxies: Vec<Proxy>,
}

#[derive(Serialize, Clone)]
struct Proxy {
    directive: &'static str,
    path: Option<&'static str>,
    scheme: &'static str,
    #[serde(rename = "static")]
    addresses: Vec<String>,
    srv: Option<String>,
    resolvers: Vec<String>,
    tls: bool,
    options: Vec<(&'static str, Vec<String>)>,
}

pub(super) fn emit(input: &Input<'_>, out: &mut Artifacts) -> Result<(), EmitError> {
    let stack = input.stack;
    let has_http = stack
        .routes
        .iter()
        .any(|r| r.decl.protocol.value == RouteProtocol::Http);
    if !has_http {
        return Ok(());
    }
    let resolvers = consul_resolvers(input);
    let mut sites: BTreeMap<String, Vec<(String, SiteRoute)>> = BTreeMap::new();
    for route in stack
        .routes
        .iter()
        .filter(|r| r.decl.protocol.value == RouteProtocol::Http)
    {
        let decl = &route.decl;
        let Some(host) = &decl.host else { continue };
        let mut proxies = Vec::new();
        if decl.auth.value == Auth::Authentik {
            // The checks guarantee a provider with an http port (E0203); never
            // drop the authentication silently if that ever fails.
            let authentik = authentik_upstream(input, &resolvers).ok_or_else(|| EmitError {
                artifact: PATH.into(),
                message: format!(
                    "route `{}` needs Authentik, which has no http port",
                    decl.name.value
                ),
            })?;
            {
                let outpost = Proxy {
                    directive: "reverse_proxy",
                    path: Some("/outpost.goauthentik.io/*"),
                    ..authentik.clone()
                };
                let headers = AUTHENTIK_HEADERS.iter().map(|h| (*h).to_string()).collect();
                let forward = Proxy {
                    directive: "forward_auth",
                    options: vec![
                        (
                            "uri",
                            vec!["/outpost.goauthentik.io/auth/caddy".to_string()],
                        ),
                        ("copy_headers", headers),
                        ("trusted_proxies", vec!["private_ranges".to_string()]),
                    ],
                    ..authentik
                };
                proxies.push(outpost);
                proxies.push(forward);
            }
        }
        proxies.push(upstream(input, route.target, &resolvers));
        let path = decl.path.value.trim_end_matches('/');
        let (matcher, paths) = if path.is_empty() {
            (None, Vec::new())
        } else {
            (
                Some(format!("route-{}", decl.name.value)),
                vec![caddy_token(path), caddy_token(&format!("{path}/*"))],
            )
        };
        let target = format!(
            "{}.{}",
            stack.service(route.target.service).name(),
            stack.port(route.target).name.value
        );
        let site_route = SiteRoute {
            name: decl.name.value.to_string(),
            target,
            matcher,
            paths,
            proxies,
        };
        sites
            .entry(host.value.to_string())
            .or_default()
            .push((path.to_string(), site_route));
    }
    let sites = sites
        .into_iter()
        .map(|(host, mut routes)| {
            // Longest path first (Caddy orders `handle` blocks itself; this is for readers).
            routes.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.name.cmp(&b.1.name)));
            Site {
                wildcard: host.starts_with("*."),
                host,
                routes: routes.into_iter().map(|(_, r)| r).collect(),
            }
        })
        .collect();
    let view = View {
        source: input.source_name.to_string(),
        email: stack
            .settings
            .acme_email
            .as_ref()
            .map(|e| caddy_token(&e.value)),
        ca_file: topology::INTERNAL_CA_FILE,
        sites,
    };
    out.add(PATH, input.templates.render(CADDYFILE, PATH, view)?);
    Ok(())
}

/// Where Caddy asks Consul's DNS for SRV records. A Caddy on bare metal on hosts
/// that all run Consul asks the agent on its own host, as Consul recommends (it
/// lives and dies with the host, and the Caddyfile stays the same size however
/// many hosts there are); otherwise, Consul's DNS on every host of the consul
/// provider.
fn consul_resolvers(input: &Input<'_>) -> Vec<String> {
    let stack = input.stack;
    let graph = &input.analysis.graph;
    let Some(consul) = graph.provider(Capability::Consul) else {
        return Vec::new();
    };
    let consul_hosts = topology::hosts_of(stack, consul);
    let local_agent = graph.provider(Capability::Caddy).is_some_and(|caddy| {
        let hosts = topology::hosts_of(stack, caddy);
        stack.service(caddy).decl.runtime.value == Runtime::Baremetal
            && !hosts.is_empty()
            && hosts.iter().all(|h| consul_hosts.contains(h))
    });
    if local_agent {
        return vec![host_port("127.0.0.1", CONSUL_DNS_PORT)];
    }
    consul_hosts
        .into_iter()
        .map(|h| host_port(&stack.host(h).address.value, CONSUL_DNS_PORT))
        .collect()
}

/// How Caddy reaches a port: the hosts of a baremetal/docker service, or the
/// Consul service of a nomad job.
fn upstream(input: &Input<'_>, target: PortId, resolvers: &[String]) -> Proxy {
    let stack: &Stack = input.stack;
    let service = stack.service(target.service);
    let port = stack.port(target);
    let tls = port.protocol.value == PortProtocol::Https;
    let scheme = if tls { "https" } else { "http" };
    let mut proxy = Proxy {
        directive: "reverse_proxy",
        path: None,
        scheme,
        addresses: Vec::new(),
        srv: None,
        resolvers: Vec::new(),
        tls,
        options: Vec::new(),
    };
    if service.decl.runtime.value == Runtime::Nomad {
        proxy.srv = Some(format!(
            "{}.service.consul",
            consul_service_name(service.name(), &port.name.value)
        ));
        proxy.resolvers = resolvers.to_vec();
    } else {
        proxy.addresses = topology::hosts_of(stack, target.service)
            .into_iter()
            .map(|h| host_port(&stack.host(h).address.value, port.number.value))
            .collect();
    }
    proxy
}

/// Authentik's outpost: the first http port of the authentik provider.
fn authentik_upstream(input: &Input<'_>, resolvers: &[String]) -> Option<Proxy> {
    let stack = input.stack;
    let provider = input.analysis.graph.provider(Capability::Authentik)?;
    let service = stack.service(provider);
    let index = service
        .decl
        .ports
        .iter()
        .position(|p| matches!(p.protocol.value, PortProtocol::Http | PortProtocol::Https))?;
    Some(upstream(
        input,
        PortId {
            service: provider,
            index,
        },
        resolvers,
    ))
}
