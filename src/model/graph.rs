//! The dependency graph of LANGUAGE.md section 4: services as nodes, an edge from
//! a service to each service it needs, each edge remembering why it exists.

use std::collections::BTreeMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use super::{ServiceId, Stack, VolumeStorage};
use crate::ast::{Capability, Runtime};
use crate::span::Span;

/// Why one service needs another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeKind {
    /// Listed in `after`.
    After,
    /// Runs on the provider of a runtime capability (`nomad` or `docker`).
    Runtime(Capability),
    /// Reads the named secret from the `vault` provider.
    Secret(String),
    /// Keeps the named volume on the `cephfs` provider.
    Cephfs(String),
    /// Its `env` entry of this name connects to a port of the service.
    Connection(String),
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

    /// The step in words: "`from` … `to`".
    pub fn describe(&self, from: &str, to: &str) -> String {
        // "from vault (vault)" says nothing twice: name the provider only when it
        // is not called like its capability.
        let provider = |capability: &str| {
            if to == capability {
                capability.to_string()
            } else {
                format!("{capability} (provided by {to})")
            }
        };
        match self {
            EdgeKind::After => format!("{from} starts after {to}"),
            EdgeKind::Runtime(Capability::Docker) => {
                format!("{from} runs in {}", provider("docker"))
            }
            EdgeKind::Runtime(capability) => {
                format!("{from} runs on {}", provider(capability.as_str()))
            }
            EdgeKind::Secret(name) => {
                format!("{from} reads secret `{name}` from {}", provider("vault"))
            }
            EdgeKind::Cephfs(name) => {
                format!("{from} keeps volume `{name}` on {}", provider("cephfs"))
            }
            EdgeKind::Connection(key) => format!("{from} connects to {to} (env `{key}`)"),
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

#[derive(Debug, Clone)]
pub struct DependencyGraph {
    /// Node `i` is `ServiceId(i)`.
    pub graph: DiGraph<ServiceId, Edge>,
    /// The provider of each capability: the first declared, when there are several.
    pub providers: BTreeMap<Capability, ServiceId>,
    /// Uses of capabilities through runtimes, secrets and cephfs volumes.
    pub uses: Vec<CapabilityUse>,
}

impl DependencyGraph {
    pub fn build(stack: &Stack) -> Self {
        let mut providers = BTreeMap::new();
        for id in stack.service_ids() {
            for capability in &stack.service(id).decl.provides {
                providers.entry(capability.value).or_insert(id);
            }
        }
        let mut graph = DiGraph::with_capacity(stack.services.len(), stack.services.len() * 2);
        for id in stack.service_ids() {
            graph.add_node(id);
        }
        let mut uses = Vec::new();
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
                let key = &service.decl.connections[connection.decl].key.value;
                graph.add_edge(
                    node(id),
                    node(connection.port.service),
                    Edge {
                        kind: EdgeKind::Connection(key.clone()),
                        span: connection.span,
                    },
                );
            }
            uses.extend(capability_uses(stack, id));
        }
        for usage in &uses {
            if let Some(&provider) = providers.get(&usage.capability) {
                let edge = Edge {
                    kind: usage.kind.clone(),
                    span: usage.span,
                };
                graph.add_edge(node(usage.service), node(provider), edge);
            }
        }
        Self {
            graph,
            providers,
            uses,
        }
    }

    pub fn provider(&self, capability: Capability) -> Option<ServiceId> {
        self.providers.get(&capability).copied()
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

/// The capabilities a service needs from providers (section 4, rules 2–4).
fn capability_uses(stack: &Stack, id: ServiceId) -> Vec<CapabilityUse> {
    let service = stack.service(id);
    let decl = &service.decl;
    let mut uses = Vec::new();
    let runtime_capability = match decl.runtime.value {
        Runtime::Nomad => Some(Capability::Nomad),
        Runtime::Docker => Some(Capability::Docker),
        Runtime::Baremetal => None,
    };
    if let Some(capability) = runtime_capability {
        uses.push(CapabilityUse {
            service: id,
            capability,
            kind: EdgeKind::Runtime(capability),
            span: decl.runtime.span,
        });
    }
    for secret in &decl.secrets {
        uses.push(CapabilityUse {
            service: id,
            capability: Capability::Vault,
            kind: EdgeKind::Secret(secret.name.value.clone()),
            span: secret.head,
        });
    }
    for (volume, storage) in decl.volumes.iter().zip(&service.volumes) {
        if *storage == VolumeStorage::Cephfs {
            let span = match &volume.placement {
                crate::ast::VolumePlacement::Cephfs(span) => *span,
                _ => volume.head,
            };
            uses.push(CapabilityUse {
                service: id,
                capability: Capability::Cephfs,
                kind: EdgeKind::Cephfs(volume.name.value.clone()),
                span,
            });
        }
    }
    uses
}
