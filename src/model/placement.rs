//! Where every instance runs (LANGUAGE.md section 5): baremetal and docker
//! services on each host of `on`; nomad allocations packed first-fit-decreasing by
//! memory onto the Nomad client with the most free memory budget.

use std::borrow::Cow;

use std::collections::HashSet;

use super::by_free::{packing_order, ByFree};
use super::graph::Providers;
use super::{HostId, ServiceId, Stack, VolumeStorage};
use crate::ast::{Capability, Runtime};

/// One running instance of a service on a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    pub service: ServiceId,
    pub host: HostId,
}

/// An allocation that found no host, with the hosts it could have gone to.
#[derive(Debug, Clone)]
pub struct PlacementFailure {
    pub service: ServiceId,
    /// 0-based allocation index.
    pub allocation: u64,
    pub reason: FailureReason,
}

#[derive(Debug, Clone)]
pub enum FailureReason {
    /// No Nomad client satisfies the service's constraints.
    NoCandidate(Vec<Excluded>),
    /// Candidates exist, none has room: each with its free memory (bytes,
    /// negative when already over budget).
    NoRoom(Vec<(HostId, i128)>),
}

/// A Nomad client ruled out for an allocation, and why.
#[derive(Debug, Clone)]
pub struct Excluded {
    pub host: HostId,
    pub why: String,
}

#[derive(Debug, Clone, Default)]
pub struct Placement {
    /// In a fixed order: baremetal/docker by service then host; then nomad
    /// allocations in packing order.
    pub instances: Vec<Instance>,
    pub failures: Vec<PlacementFailure>,
    /// The hosts Nomad schedules on.
    pub nomad_clients: Vec<HostId>,
    /// Per host (index = `HostId`): its place in `nomad_clients`, if a client.
    client_rank: Vec<Option<usize>>,
}

impl Placement {
    pub fn compute(stack: &Stack, providers: &Providers) -> Self {
        let mut placement = Placement::default();
        let mut free: Vec<i128> = stack
            .hosts
            .iter()
            .map(|h| {
                i128::from(stack.settings.memory_budget.value.of(h.memory.value))
                    - i128::from(h.reserved.value)
            })
            .collect();
        for id in stack.service_ids() {
            let service = stack.service(id);
            if service.decl.runtime.value == Runtime::Nomad {
                continue;
            }
            for &host in service.on.iter().flatten() {
                placement.instances.push(Instance { service: id, host });
                free[host.0] -= i128::from(service.decl.memory.value);
            }
        }
        placement.nomad_clients = providers
            .get(Capability::Nomad)
            .and_then(|nomad| stack.service(nomad).on.as_deref())
            .unwrap_or_default()
            .to_vec();
        placement.client_rank = vec![None; stack.hosts.len()];
        for (rank, client) in placement.nomad_clients.iter().enumerate() {
            placement.client_rank[client.0].get_or_insert(rank);
        }
        placement.pack_nomad(stack, &mut free);
        placement
    }

    fn pack_nomad(&mut self, stack: &Stack, free: &mut [i128]) {
        // Largest first; ties in declaration order, so packing is deterministic.
        // What the packer needs of each service is read here, in declaration
        // order: once sorted, the allocations visit the services in no order
        // at all, and following each one's declaration was most of the time.
        // Room for one allocation per service, which most have: grown by
        // doubling, the list would be copied on the way, several megabytes.
        let mut allocations: Vec<Allocation> = Vec::with_capacity(stack.services.len());
        allocations.extend(
            stack
                .service_ids()
                .filter(|&id| stack.service(id).decl.runtime.value == Runtime::Nomad)
                .flat_map(|id| {
                    let memory = std::cmp::Reverse(stack.service(id).decl.memory.value);
                    let anywhere = goes_anywhere(stack, id);
                    (0..stack.service(id).decl.count.value).map(move |n| Allocation {
                        memory,
                        service: id,
                        index: n,
                        goes_anywhere: anywhere,
                    })
                }),
        );
        // They are listed by service and allocation: sorted by memory alone,
        // stably, they are in `Allocation` order (most services share a few
        // sizes, which a stable sort by one word is quickest at).
        allocations.sort_by_key(|allocation| allocation.memory);
        debug_assert!(allocations.is_sorted());
        let mut clients = Clients::new(&self.nomad_clients, free);
        self.instances.reserve_exact(allocations.len());
        for allocation in allocations {
            let (id, memory) = (allocation.service, i128::from(allocation.memory.0));
            if allocation.goes_anywhere {
                if let Some(host) = clients.take_most_free(memory) {
                    self.instances.push(Instance { service: id, host });
                    continue;
                }
            }
            self.place(stack, &mut clients, id, allocation.index);
        }
        free.copy_from_slice(&clients.free);
    }

    /// Places one allocation of `id` under its rules, or notes why it could not.
    fn place(&mut self, stack: &Stack, clients: &mut Clients, id: ServiceId, allocation: u64) {
        let ports = static_ports(stack, id);
        let memory = i128::from(stack.service(id).decl.memory.value);
        let rules = Rules::new(stack, id, &ports);
        match clients.best(&rules) {
            Some(host) if clients.free[host.0] >= memory => {
                clients.take(host, memory, &ports);
                self.instances.push(Instance { service: id, host });
            }
            Some(_) => {
                let candidates = clients.all_matching(&rules);
                let free = candidates.iter().map(|&h| (h, clients.free[h.0])).collect();
                self.failures.push(PlacementFailure {
                    service: id,
                    allocation,
                    reason: FailureReason::NoRoom(free),
                });
            }
            None => self.failures.push(PlacementFailure {
                service: id,
                allocation,
                reason: FailureReason::NoCandidate(clients.exclusions(&rules)),
            }),
        }
    }

    /// The Nomad clients a nomad job may be placed on, ignoring memory and
    /// ports: the clients narrowed by the job's `on` and the host of a local
    /// volume, in the order of `nomad_clients`. Borrowed when the job may run on
    /// every client; otherwise the cost is that of `on`, not of the clients.
    pub fn candidates_for(&self, stack: &Stack, id: ServiceId) -> Cow<'_, [HostId]> {
        let service = stack.service(id);
        let volume_host = service.volumes.iter().find_map(|v| match v {
            VolumeStorage::Disk(disk) => Some(disk.host),
            VolumeStorage::Cephfs => None,
        });
        let narrowed: Vec<HostId> = match (volume_host, &service.on) {
            (None, None) => return Cow::Borrowed(&self.nomad_clients),
            (Some(host), on) => on
                .as_ref()
                .is_none_or(|on| on.contains(&host))
                .then_some(host)
                .into_iter()
                .collect(),
            (None, Some(on)) => on.to_vec(),
        };
        let mut ranked: Vec<(usize, HostId)> = narrowed
            .into_iter()
            .filter_map(|host| Some((self.client_rank.get(host.0).copied().flatten()?, host)))
            .collect();
        ranked.sort_unstable();
        ranked.dedup();
        Cow::Owned(ranked.into_iter().map(|(_, host)| host).collect())
    }

    /// The services placed on each host (index = `HostId`), one entry per
    /// instance, in placement order.
    pub fn by_host(&self, host_count: usize) -> Vec<Vec<ServiceId>> {
        let mut hosts = vec![Vec::new(); host_count];
        for instance in &self.instances {
            hosts[instance.host.0].push(instance.service);
        }
        hosts
    }
}

/// One allocation to pack, in packing order (largest first, then
/// declaration order).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Allocation {
    memory: std::cmp::Reverse<u64>,
    service: ServiceId,
    /// 0-based, among the service's `count`.
    index: u64,
    /// No rule narrows where it may go: no `on`, no volume on a local disk,
    /// no NUMA node, no static port.
    goes_anywhere: bool,
}

fn goes_anywhere(stack: &Stack, id: ServiceId) -> bool {
    let service = stack.service(id);
    service.on.is_none()
        && service.decl.numa().is_none()
        && !service
            .volumes
            .iter()
            .any(|v| matches!(v, VolumeStorage::Disk(_)))
        && !service.decl.ports.iter().any(|p| p.is_static.value)
}

fn static_ports(stack: &Stack, id: ServiceId) -> Vec<u64> {
    let ports = &stack.service(id).decl.ports;
    ports
        .iter()
        .filter(|p| p.is_static.value)
        .map(|p| p.number.value)
        .collect()
}

/// The constraints one allocation places on its host.
struct Rules<'a> {
    stack: &'a Stack,
    on: Option<&'a [HostId]>,
    volume_hosts: Vec<HostId>,
    numa: Option<u64>,
    ports: &'a [u64],
}

impl<'a> Rules<'a> {
    fn new(stack: &'a Stack, id: ServiceId, ports: &'a [u64]) -> Self {
        let service = stack.service(id);
        let mut volume_hosts: Vec<HostId> = service
            .volumes
            .iter()
            .filter_map(|v| match v {
                VolumeStorage::Disk(disk) => Some(disk.host),
                VolumeStorage::Cephfs => None,
            })
            .collect();
        volume_hosts.sort_unstable();
        volume_hosts.dedup();
        Self {
            stack,
            on: service.on.as_deref(),
            volume_hosts,
            numa: service.decl.numa().map(|n| n.value),
            ports,
        }
    }

    /// A short list of hosts to consider, when the constraints name hosts.
    fn named_hosts(&self) -> Option<&[HostId]> {
        if self.volume_hosts.is_empty() {
            self.on
        } else {
            Some(&self.volume_hosts)
        }
    }

    /// Why `host` cannot take the allocation, if it cannot. (Asked of many
    /// clients for each allocation: the words are made only for a report,
    /// by [`Rules::describe`].)
    fn exclusion(&self, host: HostId, taken: &TakenPorts) -> Option<Exclusion> {
        if self.on.is_some_and(|on| !on.contains(&host)) {
            return Some(Exclusion::NotOn);
        }
        if let Some(&other) = self.volume_hosts.iter().find(|&&h| h != host) {
            return Some(Exclusion::VolumeOn(other));
        }
        if let Some(numa) = self.numa.filter(|&n| {
            !self
                .stack
                .host(host)
                .numa
                .iter()
                .any(|node| node.id.value == n)
        }) {
            return Some(Exclusion::NoNumaNode(numa));
        }
        if let Some(&port) = self.ports.iter().find(|&&p| taken.contains(&(host, p))) {
            return Some(Exclusion::PortTaken(port));
        }
        None
    }

    /// The words of an [`Exclusion`] of `host`.
    fn describe(&self, host: HostId, exclusion: Exclusion) -> String {
        let name = &self.stack.host(host).name.value;
        match exclusion {
            Exclusion::NotOn => format!("`{name}` is not in the service's `on`"),
            Exclusion::VolumeOn(other) => format!(
                "a volume of the service is on `{}`",
                self.stack.host(other).name.value
            ),
            Exclusion::NoNumaNode(numa) => format!("`{name}` has no NUMA node {numa}"),
            Exclusion::PortTaken(port) => {
                format!("static port {port} is already taken on `{name}`")
            }
        }
    }
}

/// Why a client cannot take an allocation.
#[derive(Debug, Clone, Copy)]
enum Exclusion {
    /// It is not one of the service's `on` hosts.
    NotOn,
    /// A volume of the service is on a disk of this other host.
    VolumeOn(HostId),
    /// It has no NUMA node of this number.
    NoNumaNode(u64),
    /// This static port is taken on it.
    PortTaken(u64),
}

/// The Nomad clients with their free memory budget, ordered for the packer.
struct Clients {
    is_client: Vec<bool>,
    hosts: Vec<HostId>,
    free: Vec<i128>,
    /// Clients by most free budget first, then host order.
    by_free: ByFree,
    /// Static ports handed out: Nomad never places two allocations that need the
    /// same static port on one client.
    taken: TakenPorts,
}

/// Static ports by client, asked only whether one is taken: a hash set
/// (nothing reads them in order).
type TakenPorts = HashSet<(HostId, u64), foldhash::fast::FixedState>;

impl Clients {
    fn new(clients: &[HostId], free: &[i128]) -> Self {
        let mut is_client = vec![false; free.len()];
        for &host in clients {
            is_client[host.0] = true;
        }
        let mut clients: Vec<HostId> = clients.to_vec();
        clients.sort_unstable();
        clients.dedup();
        let by_free = ByFree::new(&clients, free);
        Self {
            is_client,
            hosts: clients,
            free: free.to_vec(),
            by_free,
            taken: TakenPorts::default(),
        }
    }

    /// The allowed client with the most free budget (ties: first declared).
    fn best(&self, rules: &Rules<'_>) -> Option<HostId> {
        if let Some(named) = rules.named_hosts() {
            return named
                .iter()
                .copied()
                .filter(|&h| self.is_client[h.0] && rules.exclusion(h, &self.taken).is_none())
                .max_by_key(|&h| packing_order(self.free[h.0], h));
        }
        self.by_free
            .in_order()
            .find(|&h| rules.exclusion(h, &self.taken).is_none())
    }

    /// Takes `memory` from the client with the most free budget (ties: first
    /// declared), when it has that much: what [`Clients::best`] answers when
    /// no rule excludes a client.
    fn take_most_free(&mut self, memory: i128) -> Option<HostId> {
        let host = self.by_free.first()?;
        if self.free[host.0] < memory {
            return None;
        }
        self.take(host, memory, &[]);
        Some(host)
    }

    fn take(&mut self, host: HostId, memory: i128, ports: &[u64]) {
        self.free[host.0] -= memory;
        self.by_free.shrunk(host, self.free[host.0]);
        self.taken.extend(ports.iter().map(|&p| (host, p)));
    }

    fn all_matching(&self, rules: &Rules<'_>) -> Vec<HostId> {
        self.hosts
            .iter()
            .copied()
            .filter(|&h| rules.exclusion(h, &self.taken).is_none())
            .collect()
    }

    fn exclusions(&self, rules: &Rules<'_>) -> Vec<Excluded> {
        self.hosts
            .iter()
            .filter_map(|&host| {
                rules
                    .exclusion(host, &self.taken)
                    .map(|exclusion| Excluded {
                        host,
                        why: rules.describe(host, exclusion),
                    })
            })
            .collect()
    }
}
