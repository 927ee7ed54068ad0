//! The resolved stack: the typed declarations with every reference turned into an
//! id (E0201 for names that do not exist). Checks and emitters read this.
//!
//! A model element keeps its declaration (`decl`) and adds what resolution
//! learned, so that fields are not copied from one layer to the next.

mod by_free;
pub mod files;
pub mod graph;
pub mod health_wait;
pub mod placement;
mod resolve;

pub use graph::DependencyGraph;
pub use placement::Placement;
pub use resolve::resolve;

use std::sync::Arc;

use crate::ast::{HostDecl, RouteDecl, ServiceDecl, StackDecl};
use crate::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct HostId(pub usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct ServiceId(pub usize);

/// A disk of a host: `host.disk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DiskId {
    pub host: HostId,
    pub index: usize,
}

/// A port of a service: `service.port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortId {
    pub service: ServiceId,
    pub index: usize,
}

#[derive(Debug, Clone)]
pub struct Stack {
    pub settings: StackDecl,
    pub hosts: Vec<Arc<HostDecl>>,
    pub services: Vec<Service>,
    pub routes: Vec<Route>,
}

impl Stack {
    pub fn host(&self, id: HostId) -> &HostDecl {
        &self.hosts[id.0]
    }

    pub fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.0]
    }

    pub fn disk(&self, id: DiskId) -> &crate::ast::DiskDecl {
        &self.hosts[id.host.0].disks[id.index]
    }

    pub fn port(&self, id: PortId) -> &crate::ast::PortDecl {
        &self.services[id.service.0].decl.ports[id.index]
    }

    pub fn host_ids(&self) -> impl Iterator<Item = HostId> {
        (0..self.hosts.len()).map(HostId)
    }

    pub fn service_ids(&self) -> impl Iterator<Item = ServiceId> {
        (0..self.services.len()).map(ServiceId)
    }
}

#[derive(Debug, Clone)]
pub struct Service {
    // Lists are boxed slices, as in the declaration: never changed once resolved.
    /// Boxed, as in [`crate::ast::Spec`]: moved here, never copied.
    pub decl: Arc<ServiceDecl>,
    /// Hosts of `on`, in the order written; `None` when `on` is absent.
    pub on: Option<Box<[HostId]>>,
    /// Services of `after`, with the span of each reference.
    pub after: Box<[(ServiceId, Span)]>,
    /// Where each volume (same order as `decl.volumes`) lives.
    pub volumes: Box<[VolumeStorage]>,
    /// The port `health.port` names (index into `decl.ports`).
    pub health_port: Option<usize>,
    /// The connections of `env` (same order as `decl.connections`), resolved;
    /// those naming no port are left out (reported).
    pub connections: Box<[Connection]>,
}

/// An `env` value holding where another service's port is reached.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Index into `decl.connections`.
    pub decl: usize,
    pub port: PortId,
    pub span: Span,
}

impl Service {
    pub fn name(&self) -> &str {
        &self.decl.name.value
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeStorage {
    Disk(DiskId),
    Cephfs,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub decl: Arc<RouteDecl>,
    pub target: PortId,
}

/// A total of budget amounts (bytes, thousandths of a core): saturating, so
/// that a sum too large for 64 bits is over every budget rather than wrapping
/// round to a small one.
pub fn total(amounts: impl IntoIterator<Item = u64>) -> u64 {
    amounts.into_iter().fold(0, u64::saturating_add)
}
