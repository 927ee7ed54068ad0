//! Name resolution: every reference of the spec to the id it names. Unknown names
//! are E0201 with a "did you mean"; a route to a missing port is E0404.

use std::cell::Cell;
use std::sync::OnceLock;

use foldhash::fast::RandomState;

use crate::timings::phase;

use super::{DiskId, HostId, PortId, Route, Service, ServiceId, Stack, VolumeStorage};
// `resolve_route_target` also resolves connections: both are `SERVICE.PORT`.
use crate::ast::{Reference, Runtime, ServiceDecl, Spec, VolumePlacement};
use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics, Suggester, SUGGESTION_BUDGET};

/// Resolves the spec. Returns `None` without a `stack` block; references that do
/// not resolve are reported and left out.
pub fn resolve(spec: Spec, diags: &mut Diagnostics) -> Option<Stack> {
    let (links, targets) = {
        let tables = phase("  name tables", || Tables::new(&spec));
        let (links, names) = phase("  references", || {
            resolve_services(&spec.services, &tables, diags)
        });
        let links = links.into_iter().flatten();
        let targets: Vec<Option<PortId>> = spec
            .routes
            .iter()
            .map(|decl| resolve_route_target(&decl.to, &names, diags))
            .collect();
        (links, targets)
    };
    // The name tables are gone: the declarations move into the model (never
    // copied: they hold every string of the spec).
    let services = phase("  model", || {
        exact(
            spec.services.len(),
            links.zip(spec.services).map(|(links, decl)| Service {
                decl,
                on: links.on.map(Into::into),
                after: links.after.into(),
                volumes: links.volumes.into(),
                health_port: links.health_port,
                connections: links.connections.into(),
            }),
        )
    });
    let routes = exact(
        targets.len(),
        targets
            .into_iter()
            .zip(spec.routes)
            .filter_map(|(target, decl)| {
                Some(Route {
                    decl,
                    target: target?,
                })
            }),
    );
    Some(Stack {
        settings: spec.stack?,
        hosts: spec.hosts,
        services,
        routes,
    })
}

/// The items of a list that resolve, in a vector the size of the list: the
/// model keeps them for the whole check, and most lists resolve whole (a
/// vector grown from empty holds room for four).
fn exact<T>(len: usize, items: impl Iterator<Item = T>) -> Vec<T> {
    let mut resolved = Vec::with_capacity(len);
    resolved.extend(items);
    resolved
}

/// Services from which the two halves are resolved on two threads.
const PARALLEL_FROM: usize = 2048;

/// The links of every service, in order (in one or two runs, one after the
/// other: joining them would copy megabytes that are read once), and the
/// names they were resolved with (the routes go on with what is left of
/// their "did you mean" budget).
///
/// The two halves of a large stack are resolved on two threads and their
/// diagnostics joined in order. The second half starts with the whole budget,
/// as if the first spent none of it, which it does when its names resolve.
/// When the first half did spend some (it looked for a suggestion), the second
/// half is resolved again after it, with what is left: the result is always
/// the one of a single run over every service.
fn resolve_services<'t, 's>(
    services: &'s [std::sync::Arc<ServiceDecl>],
    tables: &'t Tables<'s>,
    diags: &mut Diagnostics,
) -> ([Vec<Links>; 2], Names<'t, 's>) {
    if services.len() < PARALLEL_FROM {
        let (links, found, names) = resolve_with_new_names(services, tables);
        diags.extend(found);
        return ([links, Vec::new()], names);
    }
    let (first, second) = services.split_at(services.len() / 2);
    let ((links, first_diags, names), (later, second_diags, second_names)) = crate::parallel::both(
        || resolve_with_new_names(first, tables),
        || resolve_with_new_names(second, tables),
    );
    diags.extend(first_diags);
    if names.spent_nothing() {
        diags.extend(second_diags);
        return ([links, later], second_names);
    }
    let (later, second_diags) = resolve_run(second, &names);
    diags.extend(second_diags);
    ([links, later], names)
}

/// The links and diagnostics of `run`, with names of a whole budget.
fn resolve_with_new_names<'t, 's>(
    run: &'s [std::sync::Arc<ServiceDecl>],
    tables: &'t Tables<'s>,
) -> (Vec<Links>, Diagnostics, Names<'t, 's>) {
    let names = Names::new(tables);
    let (links, diags) = resolve_run(run, &names);
    (links, diags, names)
}

/// The links and diagnostics of each service of `run`, in order.
fn resolve_run(
    run: &[std::sync::Arc<ServiceDecl>],
    names: &Names<'_, '_>,
) -> (Vec<Links>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let links = run
        .iter()
        .map(|decl| resolve_service(decl, names, &mut diags))
        .collect();
    (links, diags)
}

/// What resolution learns of a service: [`Service`] without its declaration.
struct Links {
    on: Option<Vec<HostId>>,
    after: Vec<(ServiceId, crate::span::Span)>,
    volumes: Vec<VolumeStorage>,
    health_port: Option<usize>,
    connections: Vec<super::Connection>,
}

/// A name table (its order is never read).
type FastMap<K, V> = std::collections::HashMap<K, V, RandomState>;

/// Name tables; the first declaration of a duplicated name wins (E0105 is
/// reported by the schema phase). Shared by the threads that resolve.
struct Tables<'s> {
    hosts: FastMap<&'s str, HostId>,
    services: FastMap<&'s str, ServiceId>,
    spec: &'s Spec,
    /// Made on the first unknown name, and shared by all of them.
    host_suggester: OnceLock<Suggester<'s>>,
    service_suggester: OnceLock<Suggester<'s>>,
}

impl<'s> Tables<'s> {
    fn new(spec: &'s Spec) -> Self {
        let mut hosts = FastMap::with_capacity_and_hasher(spec.hosts.len(), RandomState::default());
        for (i, host) in spec.hosts.iter().enumerate() {
            hosts.entry(host.name.value.as_str()).or_insert(HostId(i));
        }
        let mut services =
            FastMap::with_capacity_and_hasher(spec.services.len(), RandomState::default());
        for (i, service) in spec.services.iter().enumerate() {
            services
                .entry(service.name.value.as_str())
                .or_insert(ServiceId(i));
        }
        Self {
            hosts,
            services,
            spec,
            host_suggester: OnceLock::new(),
            service_suggester: OnceLock::new(),
        }
    }
}

/// What one thread resolves with: the tables, and what is left of the "did
/// you mean" budget for hosts and for services.
struct Names<'t, 's> {
    tables: &'t Tables<'s>,
    spec: &'s Spec,
    host_budget: Cell<usize>,
    service_budget: Cell<usize>,
}

impl<'t, 's> Names<'t, 's> {
    /// With the whole budget.
    fn new(tables: &'t Tables<'s>) -> Self {
        Self {
            tables,
            spec: tables.spec,
            host_budget: Cell::new(SUGGESTION_BUDGET),
            service_budget: Cell::new(SUGGESTION_BUDGET),
        }
    }

    /// Whether no suggestion has been looked for: the budget is whole.
    fn spent_nothing(&self) -> bool {
        self.host_budget.get() == SUGGESTION_BUDGET
            && self.service_budget.get() == SUGGESTION_BUDGET
    }

    fn sorted<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        let mut v: Vec<&str> = names.collect();
        v.sort_unstable();
        v
    }

    fn host(&self, reference: &Reference, diags: &mut Diagnostics) -> Option<HostId> {
        let [name] = reference.path.as_slice() else {
            diags.push(shape_error(reference, "a host name", "hv1"));
            return None;
        };
        let tables = self.tables;
        if let Some(&id) = tables.hosts.get(name.name.as_str()) {
            return Some(id);
        }
        let names = tables
            .host_suggester
            .get_or_init(|| Suggester::new(tables.hosts.keys().copied()));
        let close = names.suggest(&name.name, &self.host_budget);
        diags.push(unknown(
            &name.name,
            name.span,
            "host",
            None,
            names.names(),
            close,
        ));
        None
    }

    fn service(&self, reference: &Reference, diags: &mut Diagnostics) -> Option<ServiceId> {
        let [name] = reference.path.as_slice() else {
            diags.push(shape_error(reference, "a service name", "vault"));
            return None;
        };
        self.service_named(&name.name, name.span, diags)
    }

    fn service_named(
        &self,
        name: &str,
        span: crate::span::Span,
        diags: &mut Diagnostics,
    ) -> Option<ServiceId> {
        let tables = self.tables;
        if let Some(&id) = tables.services.get(name) {
            return Some(id);
        }
        let names = tables
            .service_suggester
            .get_or_init(|| Suggester::new(tables.services.keys().copied()));
        let close = names.suggest(name, &self.service_budget);
        diags.push(unknown(name, span, "service", None, names.names(), close));
        None
    }

    fn disk(&self, reference: &Reference, diags: &mut Diagnostics) -> Option<DiskId> {
        let [host_name, disk_name] = reference.path.as_slice() else {
            diags.push(shape_error(reference, "a disk as HOST.DISK", "hv1.nvme0"));
            return None;
        };
        let host_ref = Reference {
            path: std::iter::once(host_name.clone()).collect(),
            span: host_name.span,
        };
        let host = self.host(&host_ref, diags)?;
        let disks = &self.spec.hosts[host.0].disks;
        if let Some(index) = disks.iter().position(|d| d.name.value == disk_name.name) {
            return Some(DiskId { host, index });
        }
        let candidates = Self::sorted(disks.iter().map(|d| d.name.value.as_str()));
        let owner = format!("host `{}`", host_name.name);
        diags.push(
            unknown(
                &disk_name.name,
                disk_name.span,
                "disk",
                Some(&owner),
                &candidates,
                did_you_mean(&disk_name.name, candidates.iter().copied()),
            )
            .with_label(self.spec.hosts[host.0].head, "host declared here"),
        );
        None
    }
}

fn shape_error(reference: &Reference, expected: &str, example: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0103,
        reference.span,
        format!("expected {expected}, found `{}`", reference.to_text()),
    )
    .with_primary_label(format!("expected {expected}"))
    .with_help(format!("for example `{example}`"))
}

/// E0201 for `name`, unknown among `candidates` (sorted; `close` the one it
/// may be a misspelling of). `what` names the kind ("host"); `owner` the
/// declaration it was looked up in ("service `vault`").
fn unknown(
    name: &str,
    span: crate::span::Span,
    what: &str,
    owner: Option<&str>,
    candidates: &[&str],
    close: Option<&str>,
) -> Diagnostic {
    let help = match close {
        Some(close) => format!("did you mean `{close}`?"),
        None if candidates.is_empty() => format!("no {what} is declared"),
        None if candidates.len() <= 8 => format!("known: {}", candidates.join(", ")),
        None => format!("declare `{name}`, or check the spelling"),
    };
    let message = match owner {
        Some(owner) => format!("{owner} has no {what} `{name}`"),
        None => format!("unknown {what} `{name}`"),
    };
    let diag = Diagnostic::new(Code::E0201, span, message)
        .with_primary_label(format!("no {what} is named `{name}`"))
        .with_help(help);
    match close {
        Some(close) => diag.with_fix(span, close),
        None => diag,
    }
}

fn resolve_service(decl: &ServiceDecl, names: &Names<'_, '_>, diags: &mut Diagnostics) -> Links {
    let on = decl
        .on()
        .map(|refs| exact(refs.len(), refs.iter().filter_map(|r| names.host(r, diags))));
    let after = exact(
        decl.after.len(),
        decl.after
            .iter()
            .filter_map(|r| names.service(r, diags).map(|id| (id, r.span))),
    );
    let volumes = decl
        .volumes
        .iter()
        .map(|volume| match &volume.placement {
            VolumePlacement::Disk(reference) => {
                names.disk(reference, diags).map(VolumeStorage::Disk)
            }
            VolumePlacement::Cephfs(_) => Some(VolumeStorage::Cephfs),
            VolumePlacement::Invalid => None,
        })
        .collect::<Vec<_>>();
    check_local_volumes_on_listed_hosts(decl, on.as_deref(), &volumes, names, diags);
    let health_port = decl.health.as_ref().and_then(|health| {
        let reference = health.port()?;
        let [name] = reference.path.as_slice() else {
            diags.push(shape_error(reference, "a port of this service", "http"));
            return None;
        };
        let found = decl.ports.iter().position(|p| p.name.value == name.name);
        if found.is_none() {
            let candidates = Names::sorted(decl.ports.iter().map(|p| p.name.value.as_str()));
            let owner = format!("service `{}`", decl.name.value);
            diags.push(unknown(
                &name.name,
                name.span,
                "port",
                Some(&owner),
                &candidates,
                did_you_mean(&name.name, candidates.iter().copied()),
            ));
        }
        if let Some(port) = found.map(|i| &decl.ports[i]) {
            check_health_port(port, health, diags);
        }
        found
    });
    let connections = exact(
        decl.connections.len(),
        decl.connections
            .iter()
            .enumerate()
            .filter_map(|(index, connection)| {
                let port = resolve_route_target(&connection.target, names, diags)?;
                Some(super::Connection {
                    decl: index,
                    port,
                    span: connection.target.span,
                })
            }),
    );
    Links {
        on,
        after,
        volumes: exact(volumes.len(), volumes.into_iter().flatten()),
        health_port,
        connections,
    }
}

/// A health check needs a port it can speak to: TCP (or HTTP over it); a
/// `path` makes it an HTTP check, so the port must be http or https.
fn check_health_port(
    port: &crate::ast::PortDecl,
    health: &crate::ast::HealthDecl,
    diags: &mut Diagnostics,
) {
    use crate::ast::PortProtocol;
    let protocol = port.protocol.value;
    let problem = match (protocol, health.path()) {
        (PortProtocol::Udp, _) => {
            Some("a UDP port cannot be health-checked (neither Consul nor Salt can probe it)")
        }
        (PortProtocol::Tcp, Some(_)) => Some("`path` makes an HTTP check, but the port is tcp"),
        _ => None,
    };
    if let Some(problem) = problem {
        let span = health.port().map_or(health.head, |r| r.span);
        diags.push(
            Diagnostic::new(Code::E0107, span, problem.to_string())
                .with_primary_label(format!("port `{}` is {protocol}", port.name.value))
                .with_label(port.protocol.span, format!("protocol {protocol}"))
                .with_help(
                    "check an http, https or tcp port, or use a `command` check (baremetal/docker)",
                ),
        );
    }
}

/// A baremetal or docker service must run on the host of each local volume.
fn check_local_volumes_on_listed_hosts(
    decl: &ServiceDecl,
    on: Option<&[HostId]>,
    volumes: &[Option<VolumeStorage>],
    names: &Names<'_, '_>,
    diags: &mut Diagnostics,
) {
    if decl.runtime.value == Runtime::Nomad {
        return;
    }
    let Some(on) = on else { return };
    for (volume, storage) in decl.volumes.iter().zip(volumes) {
        let Some(VolumeStorage::Disk(disk)) = storage else {
            continue;
        };
        if !on.contains(&disk.host) {
            let host = &names.spec.hosts[disk.host.0].name.value;
            let span = match &volume.placement {
                VolumePlacement::Disk(r) => r.span,
                _ => volume.head,
            };
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    span,
                    format!(
                        "volume `{}` is on host `{host}`, where service `{}` does not run",
                        volume.name.value, decl.name.value
                    ),
                )
                .with_primary_label(format!("a disk of `{host}`"))
                .with_label(
                    decl.on()
                        .map_or(decl.head, |refs| refs.first().map_or(decl.head, |r| r.span)),
                    "the service's hosts",
                )
                .with_help(format!(
                    "add `{host}` to `on`, or choose a disk of a host the service runs on"
                )),
            );
        }
    }
}

fn resolve_route_target(
    to: &Reference,
    names: &Names<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<PortId> {
    if to.path.is_empty() {
        return None; // `to` missing, already reported
    }
    let [service_name, port_name] = to.path.as_slice() else {
        diags.push(shape_error(to, "a port as SERVICE.PORT", "app.http"));
        return None;
    };
    let service = names.service_named(&service_name.name, service_name.span, diags)?;
    let decl = &names.spec.services[service.0];
    if let Some(index) = decl
        .ports
        .iter()
        .position(|p| p.name.value == port_name.name)
    {
        return Some(PortId { service, index });
    }
    let candidates = Names::sorted(decl.ports.iter().map(|p| p.name.value.as_str()));
    let close = did_you_mean(&port_name.name, candidates.iter().copied());
    let help = match close {
        Some(close) => format!("did you mean `{}.{close}`?", service_name.name),
        None if candidates.is_empty() => format!(
            "service `{}` declares no ports; add a `port` block",
            service_name.name
        ),
        None => format!("its ports: {}", candidates.join(", ")),
    };
    diags.push(
        Diagnostic::new(
            Code::E0404,
            port_name.span,
            format!(
                "service `{}` has no port `{}`",
                service_name.name, port_name.name
            ),
        )
        .with_primary_label("no such port")
        .with_help(help)
        .with_optional_fix(close.map(|close| (port_name.span, close.to_string()))),
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spec of `count` services, each of the first `misspelt` with an
    /// `after` naming a service that does not exist.
    fn spec_with_misspellings(count: usize, misspelt: usize) -> Spec {
        let mut text = String::from("stack \"s\" { domain = \"example.com\" }\n");
        for i in 0..count {
            let after = if i < misspelt {
                format!("after = [app-{:05}q]", (i + 1) % count)
            } else {
                String::new()
            };
            text.push_str(&format!(
                "service \"app-{i:05}\" {{ runtime = nomad image = \"x\" memory = 64MiB cpu = 0.1 {after} }}\n"
            ));
        }
        let (document, mut diags) = crate::syntax::parse(&text);
        let spec = crate::schema::lower(document, true, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        spec
    }

    /// The helps of every E0201, and the budget left for the routes.
    fn resolved(spec: &Spec, two_threads: bool) -> (Vec<String>, usize) {
        let tables = Tables::new(spec);
        let (diags, names) = if two_threads {
            let mut diags = Diagnostics::new();
            let (_, names) = resolve_services(&spec.services, &tables, &mut diags);
            (diags, names)
        } else {
            let (_, diags, names) = resolve_with_new_names(&spec.services, &tables);
            (diags, names)
        };
        let helps = diags
            .iter()
            .map(|d| d.help.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect();
        (helps, names.service_budget.get())
    }

    #[test]
    fn two_threads_suggest_what_one_run_suggests_until_the_budget_runs_out() {
        // No misspelling, a few, and so many in the first half that the budget
        // runs out there, before the second half.
        for misspelt in [0, 10, 1_500] {
            let spec = spec_with_misspellings(3_000, misspelt);
            assert!(spec.services.len() >= PARALLEL_FROM);
            let (helps, left) = resolved(&spec, true);
            assert_eq!((helps.clone(), left), resolved(&spec, false));
            assert_eq!(helps.len(), misspelt);
            let suggested = helps.iter().filter(|h| h.contains("did you mean")).count();
            if misspelt == 1_500 {
                assert!(suggested > 0 && suggested < misspelt, "{suggested}");
            } else {
                assert_eq!(suggested, misspelt);
            }
        }
    }
}
