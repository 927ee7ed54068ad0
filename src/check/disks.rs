//! Disks and storage (section 5): disk budgets (E0305), the I/O layout (W0307,
//! E0308, W0309) and `CephFS` capacity (E0310).

use std::collections::BTreeMap;

use crate::ast::{Capability, DiskKind, IoClass, VolumeDecl};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{DependencyGraph, DiskId, ServiceId, Stack, VolumeStorage};
use crate::units::bytes;

/// A volume, by its service and index in `decl.volumes`.
#[derive(Debug, Clone, Copy)]
struct VolumeRef {
    service: ServiceId,
    index: usize,
}

impl VolumeRef {
    fn decl(self, stack: &Stack) -> &VolumeDecl {
        &stack.service(self.service).decl.volumes[self.index]
    }

    fn describe(self, stack: &Stack) -> String {
        format!(
            "volume `{}` of `{}`",
            self.decl(stack).name.value,
            stack.service(self.service).name()
        )
    }

    /// The `disk = …` or `backend = …` reference, where a move is made.
    fn placement_span(self, stack: &Stack) -> crate::span::Span {
        match &self.decl(stack).placement {
            crate::ast::VolumePlacement::Disk(reference) => reference.span,
            crate::ast::VolumePlacement::Cephfs(span) => *span,
            crate::ast::VolumePlacement::Invalid => self.decl(stack).head,
        }
    }
}

pub(super) fn check(stack: &Stack, graph: &DependencyGraph, diags: &mut Diagnostics) {
    let mut on_disk: BTreeMap<DiskId, Vec<VolumeRef>> = BTreeMap::new();
    let mut on_cephfs = Vec::new();
    for service in stack.service_ids() {
        for (index, storage) in stack.service(service).volumes.iter().enumerate() {
            let volume = VolumeRef { service, index };
            match storage {
                VolumeStorage::Disk(disk) => on_disk.entry(*disk).or_default().push(volume),
                VolumeStorage::Cephfs => on_cephfs.push(volume),
            }
        }
    }
    for (&disk, volumes) in &on_disk {
        check_disk_budget(stack, disk, volumes, diags);
        check_io_layout(stack, disk, volumes, diags);
    }
    check_cephfs_capacity(stack, graph, &on_disk, &on_cephfs, diags);
}

fn check_disk_budget(stack: &Stack, disk: DiskId, volumes: &[VolumeRef], diags: &mut Diagnostics) {
    let decl = stack.disk(disk);
    let share = stack.settings.disk_budget.value;
    let budget = share.of(decl.size.value);
    let total = crate::model::total(volumes.iter().map(|v| v.decl(stack).size.value));
    if total <= budget {
        return;
    }
    let host = &stack.host(disk.host).name.value;
    let mut sorted = volumes.to_vec();
    sorted.sort_by_key(|v| std::cmp::Reverse(v.decl(stack).size.value));
    let mut diag = Diagnostic::new(
        Code::E0305,
        decl.size.span,
        format!(
            "disk `{host}.{}` is over its budget: volumes take {}, budget {}",
            decl.name.value,
            bytes(total),
            bytes(budget)
        ),
    )
    .with_primary_label(format!(
        "{} × {share} = {} budget",
        bytes(decl.size.value),
        bytes(budget)
    ));
    let mut table = String::new();
    for volume in &sorted {
        let size = volume.decl(stack).size;
        diag = diag.with_label(
            size.span,
            format!("{} takes {}", volume.describe(stack), bytes(size.value)),
        );
        table.push_str(&format!(
            "\n  {:<40} {:>10}",
            volume.describe(stack),
            bytes(size.value)
        ));
    }
    table.push_str(&format!(
        "\n  {:<40} {:>10}  of a {} budget: {} over",
        "total",
        bytes(total),
        bytes(budget),
        bytes(total - budget)
    ));
    diags.push(diag.with_help(format!("volumes on `{host}.{}`:{table}\nmove a volume to another disk, shrink it, or raise `disk_budget`", decl.name.value)));
}

fn check_io_layout(stack: &Stack, disk: DiskId, volumes: &[VolumeRef], diags: &mut Diagnostics) {
    let decl = stack.disk(disk);
    let host = &stack.host(disk.host).name.value;
    let disk_name = format!("{host}.{}", decl.name.value);
    let io = |v: &VolumeRef| v.decl(stack).io.value;
    for osd in volumes.iter().filter(|v| io(v) == IoClass::Osd) {
        if volumes.len() > 1 {
            let mut diag = Diagnostic::new(
                Code::E0308,
                osd.placement_span(stack),
                format!(
                    "{} is a Ceph OSD but shares disk `{disk_name}`",
                    osd.describe(stack)
                ),
            )
            .with_primary_label("an OSD needs the whole disk");
            for other in volumes
                .iter()
                .filter(|o| o.service != osd.service || o.index != osd.index)
            {
                diag = diag.with_label(
                    other.placement_span(stack),
                    format!("{} is also on `{disk_name}`", other.describe(stack)),
                );
            }
            diags.push(diag.with_help(
                "give the OSD a disk of its own: Ceph assumes it owns the device's I/O",
            ));
        }
    }
    let heavy: Vec<&VolumeRef> = volumes
        .iter()
        .filter(|v| matches!(io(v), IoClass::Fsync | IoClass::Wal | IoClass::Osd))
        .collect();
    if heavy.len() >= 2 && !heavy.iter().any(|v| io(v) == IoClass::Osd) {
        let (first, second) = (heavy[0], heavy[1]);
        let mut diag = Diagnostic::new(
            Code::W0307,
            second.decl(stack).io.span,
            format!(
                "write-heavy volumes share disk `{disk_name}`: {}",
                heavy
                    .iter()
                    .map(|v| format!("{} ({})", v.describe(stack), io(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_primary_label(format!("{} here", io(second)))
        .with_label(
            first.decl(stack).io.span,
            format!("{} on the same disk", io(first)),
        );
        for other in &heavy[2..] {
            diag = diag.with_label(other.decl(stack).io.span, format!("{} too", io(other)));
        }
        diags.push(diag.with_help("synchronous writes queue behind each other: fsync latency of one becomes the commit latency of the other. Put each on its own disk"));
    }
    if decl.kind.value == DiskKind::Hdd {
        for volume in volumes
            .iter()
            .filter(|v| matches!(io(v), IoClass::Fsync | IoClass::Wal))
        {
            diags.push(
                Diagnostic::new(
                    Code::W0309,
                    volume.decl(stack).io.span,
                    format!(
                        "{} ({}) is on a spinning disk, `{disk_name}`",
                        volume.describe(stack),
                        io(volume)
                    ),
                )
                .with_primary_label(format!("{} on hdd", io(volume)))
                .with_label(decl.kind.span, "kind = hdd")
                .with_help(
                    "every fsync waits for a seek; put fsync and wal volumes on ssd or nvme",
                ),
            );
        }
    }
}

fn check_cephfs_capacity(
    stack: &Stack,
    graph: &DependencyGraph,
    on_disk: &BTreeMap<DiskId, Vec<VolumeRef>>,
    on_cephfs: &[VolumeRef],
    diags: &mut Diagnostics,
) {
    let Some(provider) = graph.provider(Capability::Cephfs) else {
        return;
    };
    if on_cephfs.is_empty() {
        return;
    }
    let raw = crate::model::total(
        on_disk
            .values()
            .flatten()
            .filter(|v| v.service == provider && v.decl(stack).io.value == IoClass::Osd)
            .map(|v| v.decl(stack).size.value),
    );
    let replicas = stack.settings.ceph_replicas.value.max(1);
    let capacity = raw / replicas;
    let used = crate::model::total(on_cephfs.iter().map(|v| v.decl(stack).size.value));
    if used <= capacity {
        return;
    }
    let ceph = stack.service(provider);
    let span = ceph
        .decl
        .provides()
        .iter()
        .find(|c| c.value == Capability::Cephfs)
        .map_or(ceph.decl.head, |c| c.span);
    let mut diag = Diagnostic::new(
        Code::E0310,
        span,
        format!(
            "CephFS volumes need {}, CephFS holds {}",
            bytes(used),
            bytes(capacity)
        ),
    )
    .with_primary_label(format!(
        "{} of osd volumes / {replicas} replicas = {}",
        bytes(raw),
        bytes(capacity)
    ));
    let mut sorted = on_cephfs.to_vec();
    sorted.sort_by_key(|v| std::cmp::Reverse(v.decl(stack).size.value));
    for volume in sorted.iter().take(6) {
        diag = diag.with_label(
            volume.decl(stack).size.span,
            format!(
                "{} takes {}",
                volume.describe(stack),
                bytes(volume.decl(stack).size.value)
            ),
        );
    }
    diags.push(diag.with_help(format!(
        "{} over: add osd volumes to `{}`, shrink CephFS volumes, or lower `ceph_replicas`",
        bytes(used - capacity),
        ceph.name()
    )));
}
