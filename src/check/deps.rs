//! The dependency rules of section 4: providers (E0203, E0205, W0206), cycles
//! (E0202) and bootstrap inversions (E0204).

use std::collections::{BTreeMap, HashMap, VecDeque};

use petgraph::algo::kosaraju_scc;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::ast::{Capability, Runtime};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::graph::Edge;
use crate::model::{DependencyGraph, ServiceId, Stack};

/// `acyclic`: the graph's topological sort ([`DependencyGraph::stages`])
/// found no cycle, so there is none to report.
pub(super) fn check(
    stack: &Stack,
    graph: &DependencyGraph,
    acyclic: bool,
    diags: &mut Diagnostics,
) {
    check_duplicate_providers(stack, diags);
    check_missing_providers(stack, graph, diags);
    check_core_providers_on_bare_metal(stack, diags);
    if !acyclic {
        check_cycles(stack, graph, diags);
    }
    check_bootstrap_inversions(stack, graph, diags);
}

/// E0205: a capability has one provider.
fn check_duplicate_providers(stack: &Stack, diags: &mut Diagnostics) {
    let mut first: BTreeMap<Capability, (ServiceId, crate::span::Span)> = BTreeMap::default();
    for id in stack.service_ids() {
        for capability in stack.service(id).decl.provides() {
            match first.get(&capability.value) {
                None => {
                    first.insert(capability.value, (id, capability.span));
                }
                Some(&(other, span)) => diags.push(
                    Diagnostic::new(
                        Code::E0205,
                        capability.span,
                        format!(
                            "`{}` is provided by both `{}` and `{}`",
                            capability.value,
                            stack.service(other).name(),
                            stack.service(id).name()
                        ),
                    )
                    .with_primary_label("second provider")
                    .with_label(span, "first provider")
                    .with_help(
                        "a capability has exactly one provider: remove it from one `provides`",
                    ),
                ),
            }
        }
    }
}

/// E0203: every capability in use has a provider — through runtimes, secrets and
/// cephfs volumes (graph edges), and through routes and backups (no edges).
fn check_missing_providers(stack: &Stack, graph: &DependencyGraph, diags: &mut Diagnostics) {
    // When each capability a service can use has its provider, no
    // service's uses need reading.
    let some_unprovided = crate::model::graph::USABLE_CAPABILITIES
        .iter()
        .any(|&c| graph.provider(c).is_none());
    for id in stack.service_ids().filter(|_| some_unprovided) {
        for usage in crate::model::graph::capability_uses(stack, id) {
            if graph.provider(usage.capability).is_none() {
                let what = usage.kind.describe(&stack.service(id).decl, "…");
                diags.push(missing_provider(usage.capability, usage.span, &what));
            }
        }
    }
    for route in &stack.routes {
        let decl = &route.decl;
        let proxy = match decl.protocol.value {
            crate::ast::RouteProtocol::Http => Capability::Caddy,
            _ => Capability::Nginx,
        };
        if graph.provider(proxy).is_none() {
            let what = format!(
                "{} route `{}` is served by {proxy}",
                decl.protocol.value, decl.name.value
            );
            diags.push(missing_provider(proxy, decl.head, &what));
        }
        if decl.auth.value == crate::ast::Auth::Authentik {
            check_authentik_reachable(stack, graph, decl, diags);
        }
        let to_nomad = stack.service(route.target.service).decl.runtime.value == Runtime::Nomad;
        if proxy == Capability::Caddy && to_nomad && graph.provider(Capability::Consul).is_none() {
            let what = format!(
                "Caddy finds the nomad job `{}` through Consul DNS",
                stack.service(route.target.service).name()
            );
            diags.push(missing_provider(Capability::Consul, decl.to.span, &what));
        }
    }
    if let Some(backup) = first_backup(stack) {
        if graph.provider(Capability::Vault).is_none() {
            diags.push(missing_provider(
                Capability::Vault,
                backup,
                "backups read the restic password from Vault",
            ));
        }
    }
}

/// Forward auth needs the Authentik provider and an http port to send it to.
fn check_authentik_reachable(
    stack: &Stack,
    graph: &DependencyGraph,
    route: &crate::ast::RouteDecl,
    diags: &mut Diagnostics,
) {
    let what = format!(
        "route `{}` asks Authentik to authenticate",
        route.name.value
    );
    let Some(provider) = graph.provider(Capability::Authentik) else {
        diags.push(missing_provider(
            Capability::Authentik,
            route.auth.span,
            &what,
        ));
        return;
    };
    let service = stack.service(provider);
    let has_http = service.decl.ports.iter().any(|p| {
        matches!(
            p.protocol.value,
            crate::ast::PortProtocol::Http | crate::ast::PortProtocol::Https
        )
    });
    if !has_http {
        diags.push(
            Diagnostic::new(
                Code::E0203,
                route.auth.span,
                format!("`{}` provides authentik but has no http port for forward auth", service.name()),
            )
            .with_primary_label(what)
            .with_label(service.decl.head, "no http or https port")
            .with_help("declare the outpost's port on the authentik provider: port \"http\" { number = 9000 }"),
        );
    }
}

fn first_backup(stack: &Stack) -> Option<crate::span::Span> {
    stack
        .services
        .iter()
        .flat_map(|s| &s.decl.volumes)
        .find_map(|v| v.backup.as_ref().map(|b| b.head))
}

fn missing_provider(capability: Capability, span: crate::span::Span, what: &str) -> Diagnostic {
    let what = what.trim_end_matches(" (provided by …)");
    Diagnostic::new(
        Code::E0203,
        span,
        format!("nothing provides `{capability}`"),
    )
    .with_primary_label(what.to_string())
    .with_help(format!(
        "add `provides = [{capability}]` to the service that runs {capability}, or declare one"
    ))
}

/// W0206: the services everything else bootstraps from belong on bare metal.
fn check_core_providers_on_bare_metal(stack: &Stack, diags: &mut Diagnostics) {
    const CORE: [Capability; 4] = [
        Capability::Vault,
        Capability::Cephfs,
        Capability::Consul,
        Capability::Nomad,
    ];
    for id in stack.service_ids() {
        let decl = &stack.service(id).decl;
        if decl.runtime.value == Runtime::Baremetal {
            continue;
        }
        for capability in decl.provides().iter().filter(|c| CORE.contains(&c.value)) {
            diags.push(
                Diagnostic::new(
                    Code::W0206,
                    capability.span,
                    format!("`{}` provides {} but runs on {}", decl.name.value, capability.value, decl.runtime.value),
                )
                .with_primary_label(format!("core capability `{}`", capability.value))
                .with_label(decl.runtime.span, format!("runtime is {}", decl.runtime.value))
                .with_help("run vault, cephfs, consul and nomad with runtime = baremetal: the orchestrator and its secrets and storage must not depend on the orchestrator"),
            );
        }
    }
}

/// E0202: one diagnostic per strongly connected component that holds a cycle,
/// naming one concrete cycle through it in order. Run only when the
/// topological sort found a cycle: the components cost twice its time (13 ms
/// at 100,000 services), for nothing on a stack without one. Kosaraju's
/// algorithm, not Tarjan's: petgraph's `tarjan_scc` recurses once per
/// service on a path, and a knot of 100,000 services overflowed the stack.
fn check_cycles(stack: &Stack, graph: &DependencyGraph, diags: &mut Diagnostics) {
    let g = &graph.graph;
    let mut components: Vec<Vec<NodeIndex>> = kosaraju_scc(g)
        .into_iter()
        .filter(|c| c.len() > 1 || g.find_edge(c[0], c[0]).is_some())
        .collect();
    for component in &mut components {
        component.sort();
    }
    components.sort();
    for component in components {
        let cycle = find_cycle(graph, &component);
        diags.push(cycle_diagnostic(stack, &cycle, component.len()));
    }
}

/// The shortest cycle through the component's first service, as edges.
fn find_cycle<'g>(
    graph: &'g DependencyGraph,
    component: &[NodeIndex],
) -> Vec<(NodeIndex, NodeIndex, &'g Edge)> {
    let g = &graph.graph;
    let start = component[0];
    let inside = |n: NodeIndex| component.binary_search(&n).is_ok();
    let mut previous: std::collections::HashMap<
        NodeIndex,
        (NodeIndex, petgraph::graph::EdgeIndex),
    > = HashMap::default();
    let mut queue = VecDeque::from([start]);
    while let Some(current) = queue.pop_front() {
        let mut edges: Vec<_> = g.edges(current).filter(|e| inside(e.target())).collect();
        edges.sort_by_key(|e| (e.weight().span, e.target()));
        for edge in edges {
            let target = edge.target();
            if target == start {
                let mut path = vec![(current, target, edge.weight())];
                let mut at = current;
                while at != start {
                    let (from, via) = previous[&at];
                    path.push((from, at, &g[via]));
                    at = from;
                }
                path.reverse();
                return path;
            }
            if !previous.contains_key(&target) && target != start {
                previous.insert(target, (current, edge.id()));
                queue.push_back(target);
            }
        }
    }
    unreachable!("a strongly connected component with an edge has a cycle")
}

/// Steps of a cycle shown in full; a longer one is shown by its first and
/// last, so that one diagnostic stays readable (and cheap to render) however
/// many services the cycle goes through.
const SHOWN_STEPS: usize = 12;

/// `items`, or their first and last halves of [`SHOWN_STEPS`] around "… N more …".
fn elided(items: &[String]) -> Vec<String> {
    if items.len() <= SHOWN_STEPS + 1 {
        return items.to_vec();
    }
    let half = SHOWN_STEPS / 2;
    let mut shown = items[..half].to_vec();
    shown.push(format!("… {} more …", items.len() - 2 * half));
    shown.extend_from_slice(&items[items.len() - half..]);
    shown
}

fn cycle_diagnostic(
    stack: &Stack,
    cycle: &[(NodeIndex, NodeIndex, &Edge)],
    component_size: usize,
) -> Diagnostic {
    let name = |n: NodeIndex| stack.service(ServiceId(n.index())).name().to_string();
    let decl = |n: NodeIndex| &*stack.service(ServiceId(n.index())).decl;
    let mut names: Vec<String> = cycle.iter().map(|(from, _, _)| name(*from)).collect();
    names.push(name(cycle[0].0));
    let (first_from, first_to, first_edge) = cycle[0];
    let mut diag = Diagnostic::new(
        Code::E0202,
        first_edge.span,
        format!("dependency cycle: {}", elided(&names).join(" → ")),
    )
    .with_primary_label(first_edge.kind.describe(decl(first_from), &name(first_to)));
    for &(from, to, edge) in cycle.iter().take(SHOWN_STEPS).skip(1) {
        diag = diag.with_label(edge.span, edge.kind.describe(decl(from), &name(to)));
    }
    let steps: Vec<String> = cycle
        .iter()
        .map(|(f, t, e)| e.kind.describe(decl(*f), &name(*t)))
        .collect();
    let steps = elided(&steps);
    let mut help = format!(
        "no service on a cycle can ever start first ({}); remove one of these dependencies",
        steps.join("; ")
    );
    if component_size > cycle.len() {
        help.push_str(&format!(
            ". {component_size} services are tangled in this knot in all; the cycle shown is one of them"
        ));
    }
    diag.with_help(help)
}

/// E0204: a baremetal or docker service that depends on a nomad service. One
/// diagnostic per direct step from the base layer onto Nomad (every transitive
/// inversion goes through one), with the services it also blocks.
fn check_bootstrap_inversions(stack: &Stack, graph: &DependencyGraph, diags: &mut Diagnostics) {
    let g = &graph.graph;
    let runtime = |n: NodeIndex| stack.service(ServiceId(n.index())).decl.runtime.value;
    // Read once per service, in order: an edge's two ends are anywhere in
    // the stack, and following their declarations for every edge was most
    // of this check at 100,000 services.
    let on_nomad: Vec<bool> = stack
        .services
        .iter()
        .map(|s| s.decl.runtime.value == Runtime::Nomad)
        .collect();
    let mut steps: Vec<_> = g
        .edge_references()
        .filter(|e| !on_nomad[e.source().index()] && on_nomad[e.target().index()])
        .collect();
    steps.sort_by_key(|e| (e.weight().span, e.source(), e.target()));
    for step in steps {
        let (from, to) = (step.source(), step.target());
        let blocked = blocked_base_services(stack, graph, from);
        let name = |n: NodeIndex| stack.service(ServiceId(n.index())).name().to_string();
        let mut path = vec![format!("{} ({})", name(from), runtime(from))];
        path.push(format!("{} (nomad)", name(to)));
        let diag = Diagnostic::new(
            Code::E0204,
            step.weight().span,
            format!("bootstrap inversion: {}", path.join(" → ")),
        )
        .with_primary_label(
            step.weight()
                .kind
                .describe(&stack.service(ServiceId(from.index())).decl, &name(to)),
        )
        .with_label(
            stack.service(ServiceId(to.index())).decl.runtime.span,
            format!("{} is scheduled by Nomad", name(to)),
        );
        let mut help = format!(
            "{} is set up by Salt before Nomad schedules anything, so it cannot wait for a Nomad job: run {} as baremetal or docker, or drop the dependency",
            name(from),
            name(to)
        );
        if !blocked.is_empty() {
            let listed: Vec<String> = blocked.iter().take(8).map(|n| name(*n)).collect();
            let more = blocked.len().saturating_sub(listed.len());
            help.push_str(&format!(
                ". Also blocked through {}: {}{}",
                name(from),
                listed.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        diags.push(diag.with_help(help));
    }
}

/// Baremetal/docker services that depend on `start` through other
/// baremetal/docker services, nearest first.
fn blocked_base_services(
    stack: &Stack,
    graph: &DependencyGraph,
    start: NodeIndex,
) -> Vec<NodeIndex> {
    let g = &graph.graph;
    let mut seen = std::collections::HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    let mut found = Vec::new();
    while let Some(current) = queue.pop_front() {
        let mut dependents: Vec<NodeIndex> = g
            .edges_directed(current, petgraph::Direction::Incoming)
            .map(|e| e.source())
            .filter(|&n| stack.service(ServiceId(n.index())).decl.runtime.value != Runtime::Nomad)
            .collect();
        dependents.sort();
        for n in dependents {
            if seen.insert(n) {
                found.push(n);
                queue.push_back(n);
            }
        }
    }
    found
}
