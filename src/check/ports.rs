//! E0405: two things bind one port on one host. Bindings are the ports of
//! baremetal and docker services on their hosts, nginx's route ports and Caddy's
//! 80/443 on the proxies' hosts, and static Nomad ports on every client the
//! job may be placed on — Nomad cannot see ports taken outside Nomad.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::ast::{Capability, PortProtocol, RouteProtocol, Runtime};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::graph::Providers;
use crate::model::{HostId, Placement, ServiceId, Stack};
use crate::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

/// A port on a host.
type Bound = (Transport, u64, HostId);

/// Two bindings of one port and the hosts where they clash.
type Clash = (Binding, Binding, Vec<HostId>);

/// One thing bound to a port on a host. Names are looked up only for a
/// clash: a large stack has a binding for every static port on every
/// candidate client.
#[derive(Debug, Clone, Copy)]
struct Binding {
    /// The service (or proxy) that binds the port.
    owner: ServiceId,
    what: Binder,
    span: Span,
    /// Fixed bindings are certain; a Nomad static port only may land here.
    fixed: bool,
}

/// What of its owner a binding is.
#[derive(Debug, Clone, Copy)]
enum Binder {
    /// A port the owner declares (index into its `decl.ports`); `nomad`
    /// for a static Nomad port.
    Port { index: usize, nomad: bool },
    /// nginx listening for a route (index into `stack.routes`).
    Route(usize),
    /// Caddy's 80 and 443 for the http routes.
    Caddy,
}

impl Binding {
    /// The binder in words, for the diagnostic.
    fn who(&self, stack: &Stack) -> String {
        let owner = stack.service(self.owner);
        match self.what {
            Binder::Port { index, nomad } => {
                let port = &owner.decl.ports[index].name.value;
                if nomad {
                    format!("`{}.{port}` (static nomad port)", owner.name())
                } else {
                    format!("`{}.{port}`", owner.name())
                }
            }
            Binder::Route(index) => {
                let route = &stack.routes[index].decl.name.value;
                format!("{} (route `{route}`)", owner.name())
            }
            Binder::Caddy => format!("{} (http routes)", owner.name()),
        }
    }
}

pub(super) fn check(
    stack: &Stack,
    providers: &Providers,
    placement: &Placement,
    diags: &mut Diagnostics,
) {
    let mut bindings: Vec<(Bound, Binding)> = Vec::new();
    collect_service_ports(stack, placement, &mut bindings);
    collect_proxy_ports(stack, providers, &mut bindings);
    // Grouped by port and host, each group in the order collected (a stable
    // sort): one flat list, where a map of lists held room for four bindings
    // on every port of every host.
    bindings.sort_by_key(|(bound, _)| *bound);
    // One diagnostic per pair of binders and port, listing the hosts.
    let mut clashes: BTreeMap<(Span, Span, Transport, u64), Clash> = BTreeMap::new();
    for group in bindings.chunk_by(|a, b| a.0 == b.0) {
        let (transport, port, host) = &group[0].0;
        let Some(first_fixed) = group.iter().position(|(_, b)| b.fixed) else {
            continue;
        };
        let first = &group[first_fixed].1;
        for (i, (_, other)) in group.iter().enumerate() {
            if i == first_fixed {
                continue;
            }
            clashes
                .entry((first.span, other.span, *transport, *port))
                .or_insert_with(|| (*first, *other, Vec::new()))
                .2
                .push(*host);
        }
    }
    for ((_, _, transport, port), (first, second, hosts)) in clashes {
        let names: Vec<&str> = hosts
            .iter()
            .map(|h| stack.host(*h).name.value.as_str())
            .collect();
        let where_ = if names.len() == 1 {
            format!("host `{}`", names[0])
        } else {
            format!("hosts {}", names.join(", "))
        };
        let (first_who, second_who) = (first.who(stack), second.who(stack));
        let help = if first.owner == second.owner {
            format!(
                "`{}` declares port {port} twice: give one of the ports another number",
                stack.service(first.owner).name()
            )
        } else if second.fixed {
            "give one of them another port number, or run them on different hosts".to_string()
        } else {
            "Nomad does not know ports taken outside Nomad: exclude these hosts with `on`, or use another port".to_string()
        };
        diags.push(
            Diagnostic::new(
                Code::E0405,
                second.span,
                format!(
                    "{} port {port} is bound twice on {where_}: by {} and by {}",
                    transport.name(),
                    first_who,
                    second_who
                ),
            )
            .with_primary_label(format!("{second_who} binds {port}"))
            .with_label(first.span, format!("{first_who} binds {port}"))
            .with_help(help),
        );
    }
}

fn transport(protocol: PortProtocol) -> Transport {
    if protocol == PortProtocol::Udp {
        Transport::Udp
    } else {
        Transport::Tcp
    }
}

fn collect_service_ports(stack: &Stack, placement: &Placement, out: &mut Vec<(Bound, Binding)>) {
    for id in stack.service_ids() {
        let service = stack.service(id);
        let nomad = service.decl.runtime.value == Runtime::Nomad;
        // Dynamic Nomad ports bind nothing known in advance: only jobs with a
        // static port need their candidate clients.
        if nomad && !service.decl.ports.iter().any(|p| p.is_static.value) {
            continue;
        }
        let hosts: Cow<'_, [HostId]> = if nomad {
            placement.candidates_for(stack, id)
        } else {
            Cow::Borrowed(service.on.as_deref().unwrap_or_default())
        };
        for (index, port) in service.decl.ports.iter().enumerate() {
            if nomad && !port.is_static.value {
                continue;
            }
            for &host in hosts.iter() {
                out.push((
                    (transport(port.protocol.value), port.number.value, host),
                    Binding {
                        owner: id,
                        what: Binder::Port { index, nomad },
                        span: port.number.span,
                        fixed: !nomad,
                    },
                ));
            }
        }
    }
}

/// Whether a proxy declares the port itself (then it is counted as its port).
fn declares(service: &crate::model::Service, transport_: Transport, number: u64) -> bool {
    service
        .decl
        .ports
        .iter()
        .any(|p| p.number.value == number && transport(p.protocol.value) == transport_)
}

fn collect_proxy_ports(stack: &Stack, providers: &Providers, out: &mut Vec<(Bound, Binding)>) {
    let hosts_of = |capability| {
        providers.get(capability).map(|p| {
            let service = stack.service(p);
            (p, service, service.on.as_deref().unwrap_or_default())
        })
    };
    if let Some((nginx_id, nginx, hosts)) = hosts_of(Capability::Nginx) {
        // Listen ports that clash among routes or with Caddy are E0402 already.
        let mut listened = std::collections::BTreeSet::new();
        for (index, route) in stack.routes.iter().enumerate() {
            let Some(listen) = route.decl.listen else {
                continue;
            };
            let transport = match route.decl.protocol.value {
                RouteProtocol::Http => continue,
                RouteProtocol::Tcp => Transport::Tcp,
                RouteProtocol::Udp => Transport::Udp,
            };
            let caddys = transport == Transport::Tcp && matches!(listen.value, 80 | 443);
            if !listened.insert((transport, listen.value))
                || caddys
                || declares(nginx, transport, listen.value)
            {
                continue;
            }
            for &host in hosts {
                out.push((
                    (transport, listen.value, host),
                    Binding {
                        owner: nginx_id,
                        what: Binder::Route(index),
                        span: listen.span,
                        fixed: true,
                    },
                ));
            }
        }
    }
    let has_http = stack
        .routes
        .iter()
        .any(|r| r.decl.protocol.value == RouteProtocol::Http);
    if let (true, Some((caddy_id, caddy, hosts))) = (has_http, hosts_of(Capability::Caddy)) {
        let span = caddy
            .decl
            .provides()
            .iter()
            .find(|c| c.value == Capability::Caddy)
            .map_or(caddy.decl.head, |c| c.span);
        for port in [80, 443]
            .into_iter()
            .filter(|&p| !declares(caddy, Transport::Tcp, p))
        {
            for &host in hosts {
                out.push((
                    (Transport::Tcp, port, host),
                    Binding {
                        owner: caddy_id,
                        what: Binder::Caddy,
                        span,
                        fixed: true,
                    },
                ));
            }
        }
    }
}
