//! The dependency graph of LANGUAGE.md section 4: services as nodes, an edge from
//! a service to each service it needs, each edge remembering why it exists.

use std::collections::BTreeMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use super::{ServiceId, Stack, VolumeStorage};
use crate::ast::{Capability, Runtime, ServiceDecl};
use crate::span::Span;

/// Why one service needs another. A secret, volume or connection is named by
/// its index in the dependent service's declaration (`secrets`, `volumes`,
/// `connections`): an edge is small, and a large stack has hundreds of
/// thousands of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// Listed in `after`.
    After,
    /// Runs on the provider of a runtime capability (`nomad` or `docker`).
    Runtime(Capability),
    /// Reads this secret from the `vault` provider.
    Secret(u32),
    /// Keeps this volume on the `cephfs` provider.
    Cephfs(u32),
    /// This `env` connection goes to a port of the service.
    Connection(u32),
}

impl EdgeKind {
    /// A short name of the kind, for graph output.
    pub fn label(&self) -> &'static str {
        match self {
            EdgeKind::After => "after",
            EdgeKind::Runtime(Capability::Docker) => "docker",
            EdgeKind::Runtime(_) => "nomad",
            EdgeKind::Secret(_) => "secret",
            EdgeKind::Cephfs(_) => "cephfs",
            EdgeKind::Connection(_) => "connection",
        }
    }

    /// The secret, volume or `env` key of the dependent `from` this edge is
    /// for ("" for the other kinds).
    fn item(self, from: &ServiceDecl) -> &str {
        let name = match self {
            EdgeKind::Secret(i) => from.secrets.get(i as usize).map(|s| &s.name),
            EdgeKind::Cephfs(i) => from.volumes.get(i as usize).map(|v| &v.name),
            EdgeKind::Connection(i) => from.connections.get(i as usize).map(|c| &c.key),
            EdgeKind::After | EdgeKind::Runtime(_) => None,
        };
        name.map_or("", |name| name.value.as_str())
    }

    /// The step in words: "`from` … `to`", where `from` is the dependent
    /// service's declaration.
    pub fn describe(&self, from: &ServiceDecl, to: &str) -> String {
        // "from vault (vault)" says nothing twice: name the provider only when it
        // is not called like its capability.
        let provider = |capability: &str| {
            if to == capability {
                capability.to_string()
            } else {
                format!("{capability} (provided by {to})")
            }
        };
        let from_name = &from.name.value;
        match *self {
            EdgeKind::After => format!("{from_name} starts after {to}"),
            EdgeKind::Runtime(Capability::Docker) => {
                format!("{from_name} runs in {}", provider("docker"))
            }
            EdgeKind::Runtime(capability) => {
                format!("{from_name} runs on {}", provider(capability.as_str()))
            }
            EdgeKind::Secret(_) => format!(
                "{from_name} reads secret `{}` from {}",
                self.item(from),
                provider("vault")
            ),
            EdgeKind::Cephfs(_) => format!(
                "{from_name} keeps volume `{}` on {}",
                self.item(from),
                provider("cephfs")
            ),
            EdgeKind::Connection(_) => {
                format!("{from_name} connects to {to} (env `{}`)", self.item(from))
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub kind: EdgeKind,
    /// Where the dependency is written in the dependent service.
    pub span: Span,
}

/// A capability that a service uses, whether or not anyone provides it.
#[derive(Debug, Clone)]
pub struct CapabilityUse {
    pub service: ServiceId,
    pub capability: Capability,
    pub kind: EdgeKind,
    pub span: Span,
}

/// The provider of each capability: the first declared, when there are
/// several. Found before the graph (a pass over `provides`), so that the
/// packer, which needs only the Nomad provider, does not wait for the graph.
#[derive(Debug, Clone, Default)]
pub struct Providers(BTreeMap<Capability, ServiceId>);

impl Providers {
    pub fn of(stack: &Stack) -> Self {
        let mut providers = BTreeMap::new();
        for id in stack.service_ids() {
            for capability in stack.service(id).decl.provides() {
                providers.entry(capability.value).or_insert(id);
            }
        }
        Self(providers)
    }

    pub fn get(&self, capability: Capability) -> Option<ServiceId> {
        self.0.get(&capability).copied()
    }
}

#[derive(Debug, Clone)]
pub struct DependencyGraph {
    /// Node `i` is `ServiceId(i)`.
    pub graph: DiGraph<ServiceId, Edge>,
    pub providers: Providers,
}

impl DependencyGraph {
    /// The graph of `stack`, whose providers [`Providers::of`] found.
    pub fn build(stack: &Stack, providers: Providers) -> Self {
        // Sized exactly: at 100,000 services, growing by doubling would leave
        // megabytes unused for the rest of the check. The capability uses are
        // counted, then added a service at a time, never listed all at once:
        // that list took 5 MB for a moment, which the allocator did not hand
        // out again before the check ended.
        let provided = |usage: &CapabilityUse| providers.get(usage.capability).is_some();
        let edges: usize = stack
            .service_ids()
            .map(|id| {
                let service = stack.service(id);
                service.after.len()
                    + service.connections.len()
                    + capability_uses(stack, id).filter(provided).count()
            })
            .sum();
        let mut graph = DiGraph::with_capacity(stack.services.len(), edges);
        for id in stack.service_ids() {
            graph.add_node(id);
        }
        for id in stack.service_ids() {
            let service = stack.service(id);
            for &(target, span) in &service.after {
                graph.add_edge(
                    node(id),
                    node(target),
                    Edge {
                        kind: EdgeKind::After,
                        span,
                    },
                );
            }
            // A service naming its own port adds no dependency; several
            // connections to one service are one edge (the first).
            let mut connected = Vec::new();
            for connection in service.connections.iter().filter(|c| c.port.service != id) {
                if connected.contains(&connection.port.service) {
                    continue;
                }
                connected.push(connection.port.service);
                graph.add_edge(
                    node(id),
                    node(connection.port.service),
                    Edge {
                        kind: EdgeKind::Connection(index_u32(connection.decl)),
                        span: connection.span,
                    },
                );
            }
        }
        for id in stack.service_ids() {
            for usage in capability_uses(stack, id) {
                if let Some(provider) = providers.get(usage.capability) {
                    let edge = Edge {
                        kind: usage.kind,
                        span: usage.span,
                    };
                    graph.add_edge(node(usage.service), node(provider), edge);
                }
            }
        }
        debug_assert!(graph.edge_count() <= edges);
        Self { graph, providers }
    }

    pub fn provider(&self, capability: Capability) -> Option<ServiceId> {
        self.providers.get(capability)
    }

    /// The services that need `id` directly, in declaration order.
    pub fn dependents(&self, id: ServiceId) -> Vec<ServiceId> {
        let mut dependents: Vec<ServiceId> = self
            .graph
            .neighbors_directed(node(id), petgraph::Direction::Incoming)
            .map(|n| self.graph[n])
            .collect();
        dependents.sort_by_key(|d| d.0);
        dependents.dedup();
        dependents
    }

    /// The services `id` needs, with the edges, in declaration order.
    pub fn dependencies(&self, id: ServiceId) -> Vec<(ServiceId, &Edge)> {
        let mut deps: Vec<(ServiceId, &Edge)> = self
            .graph
            .edges(node(id))
            .map(|e| (self.graph[e.target()], e.weight()))
            .collect();
        deps.sort_by_key(|(target, edge)| (edge.span, *target));
        deps
    }

    /// The bootstrap stage of every service (index = `ServiceId`), or `None`
    /// when the graph has a cycle: 0 without dependencies, else one more than the
    /// highest stage among its dependencies.
    pub fn stages(&self) -> Option<Vec<usize>> {
        let order = petgraph::algo::toposort(&self.graph, None).ok()?;
        let mut stages = vec![0; self.graph.node_count()];
        // Topological order puts dependents first; walk it backwards.
        for index in order.into_iter().rev() {
            let stage = self
                .graph
                .neighbors(index)
                .map(|dep| stages[dep.index()] + 1)
                .max()
                .unwrap_or(0);
            stages[index.index()] = stage;
        }
        Some(stages)
    }
}

pub(crate) fn node(id: ServiceId) -> NodeIndex {
    NodeIndex::new(id.0)
}

/// Every capability [`capability_uses`] can yield: keep the two in step.
pub const USABLE_CAPABILITIES: [Capability; 4] = [
    Capability::Nomad,
    Capability::Docker,
    Capability::Vault,
    Capability::Cephfs,
];

/// A service's uses of capabilities through runtimes, secrets and cephfs
/// volumes (each one of [`USABLE_CAPABILITIES`]), in that order. An
/// iterator: the graph counts the uses before it adds them, and nothing
/// keeps them in a list.
pub fn capability_uses(stack: &Stack, id: ServiceId) -> impl Iterator<Item = CapabilityUse> + '_ {
    let service = stack.service(id);
    let decl = &service.decl;
    let runtime = match decl.runtime.value {
        Runtime::Nomad => Some(Capability::Nomad),
        Runtime::Docker => Some(Capability::Docker),
        Runtime::Baremetal => None,
    };
    let runtime = runtime.map(move |capability| CapabilityUse {
        service: id,
        capability,
        kind: EdgeKind::Runtime(capability),
        span: decl.runtime.span,
    });
    let secrets = decl
        .secrets
        .iter()
        .enumerate()
        .map(move |(index, secret)| CapabilityUse {
            service: id,
            capability: Capability::Vault,
            kind: EdgeKind::Secret(index_u32(index)),
            span: secret.head,
        });
    let cephfs = decl
        .volumes
        .iter()
        .zip(&service.volumes)
        .enumerate()
        .filter(|(_, (_, storage))| **storage == VolumeStorage::Cephfs)
        .map(move |(index, (volume, _))| CapabilityUse {
            service: id,
            capability: Capability::Cephfs,
            kind: EdgeKind::Cephfs(index_u32(index)),
            span: match &volume.placement {
                crate::ast::VolumePlacement::Cephfs(span) => *span,
                _ => volume.head,
            },
        });
    runtime.into_iter().chain(secrets).chain(cephfs)
}

/// An item's index in a declaration's list, as an edge holds it (a list is
/// far shorter than `u32::MAX`: the file size limit sees to that).
fn index_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stacks of the examples in `specs/`: between them, services on
    /// every runtime, with secrets and with cephfs volumes.
    fn example_stacks() -> Vec<Stack> {
        [
            "eos.eos",
            "ceph-bootstrap.eos",
            "platform.eos",
            "proxies.eos",
        ]
        .iter()
        .map(|name| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("specs")
                .join(name);
            let checked = crate::driver::check_file(&path).expect("readable");
            checked.stack.expect("the example resolves")
        })
        .collect()
    }

    #[test]
    fn each_use_of_a_provided_capability_is_one_edge_to_its_provider() {
        let mut seen = [0; 3];
        for stack in example_stacks() {
            let graph = DependencyGraph::build(&stack, Providers::of(&stack));
            for id in stack.service_ids() {
                let mut expected: Vec<(EdgeKind, ServiceId)> = Vec::new();
                for usage in capability_uses(&stack, id) {
                    seen[match usage.kind {
                        EdgeKind::Secret(_) => 0,
                        EdgeKind::Cephfs(_) => 1,
                        _ => 2,
                    }] += 1;
                    expected.extend(graph.provider(usage.capability).map(|p| (usage.kind, p)));
                }
                let mut to_providers: Vec<(EdgeKind, ServiceId)> = graph
                    .graph
                    .edges(node(id))
                    .filter(|e| {
                        !matches!(e.weight().kind, EdgeKind::After | EdgeKind::Connection(_))
                    })
                    .map(|e| (e.weight().kind, graph.graph[e.target()]))
                    .collect();
                // petgraph lists a node's edges newest first.
                to_providers.reverse();
                assert_eq!(to_providers, expected, "{}", stack.service(id).name());
            }
        }
        assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
    }
}
