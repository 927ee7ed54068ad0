//! Routes (E0401–E0403, E0406, E0407, E0409): what Caddy and nginx will be
//! asked to serve, checked before either sees a config.

use std::collections::BTreeMap;

use crate::ast::{Auth, Capability, PortProtocol, RouteProtocol, Runtime};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{DependencyGraph, Stack};
use crate::span::Span;

pub(super) fn check(stack: &Stack, graph: &DependencyGraph, diags: &mut Diagnostics) {
    let authentik = graph.provider(Capability::Authentik);
    check_http_routes_unique(stack, diags);
    check_listen_ports(stack, diags);
    for route in &stack.routes {
        let decl = &route.decl;
        let port = stack.port(route.target);
        let target = stack.service(route.target.service);
        if decl.auth.value == Auth::Authentik && decl.protocol.value != RouteProtocol::Http {
            diags.push(
                Diagnostic::new(Code::E0403, decl.auth.span, format!("`auth` on a {} route", decl.protocol.value))
                    .with_primary_label("Authentik forward auth is HTTP only")
                    .with_label(decl.protocol.span, format!("protocol is {}", decl.protocol.value))
                    .with_help("remove `auth`, or authenticate in the service itself (Boundary for tcp access)"),
            );
        }
        if decl.auth.value == Auth::Authentik && Some(route.target.service) == authentik {
            diags.push(
                Diagnostic::new(
                    Code::E0409,
                    decl.auth.span,
                    format!(
                        "route `{}` asks Authentik to authenticate the way to Authentik",
                        decl.name.value
                    ),
                )
                .with_primary_label("a forward-auth loop: the login page itself needs a login")
                .with_label(
                    decl.to.span,
                    format!("`{}` provides authentik", target.name()),
                )
                .with_help(
                    "remove `auth` from the route to Authentik: it authenticates its own pages",
                ),
            );
        }
        let matches = match decl.protocol.value {
            RouteProtocol::Http => matches!(
                port.protocol.value,
                PortProtocol::Http | PortProtocol::Https
            ),
            RouteProtocol::Tcp => port.protocol.value == PortProtocol::Tcp,
            RouteProtocol::Udp => port.protocol.value == PortProtocol::Udp,
        };
        if !matches {
            diags.push(
                Diagnostic::new(
                    Code::E0407,
                    decl.to.span,
                    format!("{} route to {} port `{}.{}`", decl.protocol.value, port.protocol.value, target.name(), port.name.value),
                )
                .with_primary_label(format!("a {} port", port.protocol.value))
                .with_label(port.protocol.span, format!("protocol {}", port.protocol.value))
                .with_help("http routes go to http or https ports, tcp routes to tcp ports, udp routes to udp ports"),
            );
        }
        let streamed = decl.protocol.value != RouteProtocol::Http;
        if streamed && target.decl.runtime.value == Runtime::Nomad && !port.is_static.value {
            diags.push(
                Diagnostic::new(
                    Code::E0406,
                    decl.to.span,
                    format!(
                        "{} route to `{}.{}`, a dynamic Nomad port",
                        decl.protocol.value,
                        target.name(),
                        port.name.value
                    ),
                )
                .with_primary_label("nginx needs a fixed port to proxy to")
                .with_label(port.head, "not static")
                .with_help("set `static = true` on the port, so the host port is its number"),
            );
        }
    }
}

/// E0401: one http route per host and path.
fn check_http_routes_unique(stack: &Stack, diags: &mut Diagnostics) {
    // DNS names are case-insensitive, and a trailing dot names the same host.
    let mut seen: BTreeMap<(String, &str), Span> = BTreeMap::new();
    for route in &stack.routes {
        let decl = &route.decl;
        let Some(host) = decl
            .host
            .as_ref()
            .filter(|_| decl.protocol.value == RouteProtocol::Http)
        else {
            continue;
        };
        // `/app` and `/app/` are one Caddy matcher (`path /app /app/*`).
        let path = decl.path.value.as_str();
        let key = (
            host.value.trim_end_matches('.').to_ascii_lowercase(),
            path.trim_end_matches('/'),
        );
        if let Some(&first) = seen.get(&key) {
            diags.push(
                Diagnostic::new(Code::E0401, decl.head, format!("two http routes for {}{path}", host.value))
                    .with_primary_label("this route")
                    .with_label(first, "the first route for it")
                    .with_help("Caddy can send a host and path to one place only: remove one route or change its `path`"),
            );
        } else {
            seen.insert(key, decl.head);
        }
    }
}

/// E0402: each tcp/udp listen port once per protocol, and not Caddy's 80/443.
fn check_listen_ports(stack: &Stack, diags: &mut Diagnostics) {
    let mut seen: BTreeMap<(u64, RouteProtocol), Span> = BTreeMap::new();
    for route in &stack.routes {
        let decl = &route.decl;
        let Some(listen) = decl.listen else { continue };
        if decl.protocol.value == RouteProtocol::Http {
            continue;
        }
        if decl.protocol.value == RouteProtocol::Tcp && matches!(listen.value, 80 | 443) {
            diags.push(
                Diagnostic::new(
                    Code::E0402,
                    listen.span,
                    format!("tcp port {} belongs to Caddy", listen.value),
                )
                .with_primary_label("Caddy listens here for http routes")
                .with_help("choose another public port for this tcp route"),
            );
            continue;
        }
        match seen.get(&(listen.value, decl.protocol.value)) {
            Some(&first) => diags.push(
                Diagnostic::new(
                    Code::E0402,
                    listen.span,
                    format!(
                        "{} port {} is used by two routes",
                        decl.protocol.value, listen.value
                    ),
                )
                .with_primary_label("listened on again here")
                .with_label(first, "first route on this port")
                .with_help(
                    "nginx can forward a port to one upstream: give one route another `listen`",
                ),
            ),
            None => {
                seen.insert((listen.value, decl.protocol.value), listen.span);
            }
        }
    }
}
