//! The plan: stages, placements, and budget use per host, NUMA node and disk —
//! what an operator looks at before buying RAM.

use serde::Serialize;

use crate::ast::{IoClass, Runtime};
use crate::check::Analysis;
use std::collections::BTreeMap;

use crate::model::{DiskId, ServiceId, Stack, VolumeStorage};
use crate::units::{bytes, cores};

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub stack: String,
    pub stages: Vec<Stage>,
    pub services: Vec<ServicePlacement>,
    pub hosts: Vec<HostUse>,
    pub cephfs: Option<Capacity>,
    /// `None` when the dependency graph has a cycle.
    pub cold_start: Option<super::cold_start::ColdStart>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub stage: usize,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServicePlacement {
    pub service: String,
    pub runtime: Runtime,
    pub stage: Option<usize>,
    /// One entry per instance (a host twice when two allocations share it).
    pub hosts: Vec<String>,
}

/// Used against a budget and the whole.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Capacity {
    pub used: u64,
    pub budget: u64,
    pub capacity: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostUse {
    pub host: String,
    /// Bytes; `used` includes the OS reservation.
    pub memory: Capacity,
    /// Thousandths of a core.
    pub cpu: Capacity,
    pub services: Vec<String>,
    pub numa: Vec<NumaUse>,
    pub disks: Vec<DiskUse>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NumaUse {
    pub node: u64,
    pub memory: Capacity,
    pub cpu: Capacity,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiskUse {
    pub disk: String,
    pub kind: crate::ast::DiskKind,
    pub size: Capacity,
    pub volumes: Vec<VolumeUse>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeUse {
    pub service: String,
    pub volume: String,
    pub size: u64,
    pub io: IoClass,
}

impl Plan {
    pub fn build(stack: &Stack, analysis: &Analysis) -> Self {
        let stages = analysis.stages.as_ref();
        let mut stage_list: Vec<Stage> = Vec::new();
        if let Some(stages) = stages {
            let last = stages.iter().copied().max().unwrap_or(0);
            stage_list = (0..=last)
                .map(|stage| Stage {
                    stage,
                    services: Vec::new(),
                })
                .collect();
            for id in stack.service_ids() {
                stage_list[stages[id.0]]
                    .services
                    .push(stack.service(id).name().to_string());
            }
            stage_list.retain(|s| !s.services.is_empty());
        }
        let by_host = analysis.placement.by_host(stack.hosts.len());
        let mut hosts_of: Vec<Vec<String>> = vec![Vec::new(); stack.services.len()];
        for instance in &analysis.placement.instances {
            hosts_of[instance.service.0].push(stack.host(instance.host).name.value.to_string());
        }
        let services = stack
            .service_ids()
            .map(|id| ServicePlacement {
                service: stack.service(id).name().to_string(),
                runtime: stack.service(id).decl.runtime.value,
                stage: stages.map(|s| s[id.0]),
                hosts: std::mem::take(&mut hosts_of[id.0]),
            })
            .collect();
        let mut volumes = volumes_by_disk(stack);
        let hosts = stack
            .host_ids()
            .map(|h| host_use(stack, h, &by_host[h.0], &mut volumes))
            .collect();
        Plan {
            stack: stack.settings.name.value.to_string(),
            stages: stage_list,
            services,
            hosts,
            cephfs: cephfs_use(stack, analysis),
            cold_start: super::cold_start::ColdStart::compute(stack, analysis),
        }
    }
}

/// The volumes on each local disk, in declaration order.
fn volumes_by_disk(stack: &Stack) -> BTreeMap<DiskId, Vec<VolumeUse>> {
    let mut map: BTreeMap<DiskId, Vec<VolumeUse>> = BTreeMap::new();
    for service in &stack.services {
        for (volume, storage) in service.decl.volumes.iter().zip(&service.volumes) {
            if let VolumeStorage::Disk(disk) = storage {
                map.entry(*disk).or_default().push(VolumeUse {
                    service: service.name().to_string(),
                    volume: volume.name.value.to_string(),
                    size: volume.size.value,
                    io: volume.io.value,
                });
            }
        }
    }
    map
}

fn host_use(
    stack: &Stack,
    host: crate::model::HostId,
    placed: &[ServiceId],
    volumes_by_disk: &mut BTreeMap<DiskId, Vec<VolumeUse>>,
) -> HostUse {
    let decl = stack.host(host);
    let budget = stack.settings.memory_budget.value;
    let memory_used = crate::model::total(
        std::iter::once(decl.reserved.value)
            .chain(placed.iter().map(|&s| stack.service(s).decl.memory.value)),
    );
    let cpu_used = crate::model::total(placed.iter().map(|&s| stack.service(s).decl.cpu.value));
    let mut names: Vec<String> = placed
        .iter()
        .map(|&s| stack.service(s).name().to_string())
        .collect();
    names.dedup();
    let numa = decl
        .numa
        .iter()
        .map(|node| {
            let pinned: Vec<ServiceId> = placed
                .iter()
                .copied()
                .filter(|&s| {
                    stack
                        .service(s)
                        .decl
                        .numa()
                        .is_some_and(|n| n.value == node.id.value)
                })
                .collect();
            NumaUse {
                node: node.id.value,
                memory: Capacity {
                    used: crate::model::total(
                        pinned.iter().map(|&s| stack.service(s).decl.memory.value),
                    ),
                    budget: budget.of(node.memory.value),
                    capacity: node.memory.value,
                },
                cpu: Capacity {
                    used: crate::model::total(
                        pinned.iter().map(|&s| stack.service(s).decl.cpu.value),
                    ),
                    budget: node.cpus.value.len() * 1000,
                    capacity: node.cpus.value.len() * 1000,
                },
                services: pinned
                    .iter()
                    .map(|&s| stack.service(s).name().to_string())
                    .collect(),
            }
        })
        .collect();
    let disks = decl
        .disks
        .iter()
        .enumerate()
        .map(|(index, disk)| {
            let volumes = volumes_by_disk
                .remove(&DiskId { host, index })
                .unwrap_or_default();
            DiskUse {
                disk: disk.name.value.to_string(),
                kind: disk.kind.value,
                size: Capacity {
                    used: crate::model::total(volumes.iter().map(|v| v.size)),
                    budget: stack.settings.disk_budget.value.of(disk.size.value),
                    capacity: disk.size.value,
                },
                volumes,
            }
        })
        .collect();
    HostUse {
        host: decl.name.value.to_string(),
        memory: Capacity {
            used: memory_used,
            budget: budget.of(decl.memory.value),
            capacity: decl.memory.value,
        },
        cpu: Capacity {
            used: cpu_used,
            budget: decl.cpus.value * 1000,
            capacity: decl.cpus.value * 1000,
        },
        services: names,
        numa,
        disks,
    }
}

fn cephfs_use(stack: &Stack, analysis: &Analysis) -> Option<Capacity> {
    let provider = analysis.graph.provider(crate::ast::Capability::Cephfs)?;
    let raw: u64 = stack
        .service(provider)
        .decl
        .volumes
        .iter()
        .filter(|v| v.io.value == IoClass::Osd)
        .map(|v| v.size.value)
        .fold(0, u64::saturating_add);
    let capacity = raw / stack.settings.ceph_replicas.value.max(1);
    let used = stack
        .services
        .iter()
        .flat_map(|s| s.decl.volumes.iter().zip(&s.volumes))
        .filter(|(_, storage)| **storage == VolumeStorage::Cephfs)
        .map(|(v, _)| v.size.value)
        .fold(0, u64::saturating_add);
    Some(Capacity {
        used,
        budget: capacity,
        capacity: raw,
    })
}

/// A usage bar: filled to `used`, with `│` where the budget ends.
fn bar(capacity: Capacity, width: usize) -> String {
    let scale = |n: u64| -> usize {
        if capacity.capacity == 0 {
            0
        } else {
            ((u128::from(n) * width as u128) / u128::from(capacity.capacity)).min(width as u128)
                as usize
        }
    };
    let filled = scale(capacity.used);
    let budget_at = scale(capacity.budget);
    (0..width)
        .map(
            |i| match (i < filled, i == budget_at && budget_at < width) {
                (_, true) => '│',
                (true, false) => '█',
                (false, false) => '░',
            },
        )
        .collect()
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".into();
    }
    format!("{}%", u128::from(part) * 100 / u128::from(whole))
}

fn row(label: &str, capacity: Capacity, amount: fn(u64) -> String, over: bool) -> String {
    format!(
        "  {label:<14} {} {:>10} / {:>10} budget / {:>10}  {:>4}{}\n",
        bar(capacity, 24),
        amount(capacity.used),
        amount(capacity.budget),
        amount(capacity.capacity),
        percent(capacity.used, capacity.budget),
        if over { "  OVER BUDGET" } else { "" }
    )
}

fn milli_cores(milli: u64) -> String {
    cores(milli)
}

impl Plan {
    /// The plan as text: stages, then per host memory, CPU, NUMA nodes and disks.
    pub fn render(&self) -> String {
        let mut out = format!(
            "stack {}\n\nstages (bootstrap order; shutdown runs them in reverse)\n",
            self.stack
        );
        if self.stages.is_empty() {
            out.push_str("  none: the dependency graph has a cycle\n");
        }
        for stage in &self.stages {
            out.push_str(&format!(
                "  {:>3}  {}\n",
                stage.stage,
                stage.services.join(", ")
            ));
        }
        out.push_str("\nplacement\n");
        for service in &self.services {
            let hosts = if service.hosts.is_empty() {
                "(not placed)".to_string()
            } else {
                service.hosts.join(", ")
            };
            out.push_str(&format!(
                "  {:<24} {:<10} {hosts}\n",
                service.service,
                service.runtime.as_str()
            ));
        }
        for host in &self.hosts {
            out.push_str(&format!(
                "\nhost {}  ({})\n",
                host.host,
                host.services.join(", ")
            ));
            out.push_str(&row(
                "memory",
                host.memory,
                bytes,
                host.memory.used > host.memory.budget,
            ));
            out.push_str(&row(
                "cpu (cores)",
                host.cpu,
                milli_cores,
                host.cpu.used > host.cpu.budget,
            ));
            for node in &host.numa {
                out.push_str(&row(
                    &format!("numa {} memory", node.node),
                    node.memory,
                    bytes,
                    node.memory.used > node.memory.budget,
                ));
                out.push_str(&row(
                    &format!("numa {} cpu", node.node),
                    node.cpu,
                    milli_cores,
                    node.cpu.used > node.cpu.budget,
                ));
            }
            for disk in &host.disks {
                out.push_str(&row(
                    &format!("{} ({})", disk.disk, disk.kind.as_str()),
                    disk.size,
                    bytes,
                    disk.size.used > disk.size.budget,
                ));
            }
        }
        if let Some(ceph) = self.cephfs {
            out.push_str("\ncephfs (budget = osd capacity / replicas)\n");
            out.push_str(&row("volumes", ceph, bytes, ceph.used > ceph.budget));
        }
        if let Some(cold_start) = &self.cold_start {
            out.push_str(&cold_start.render());
        }
        out
    }
}
