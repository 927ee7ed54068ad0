//! The `host` block with its `numa` nodes and `disk`s.

use super::reader::BlockReader;
use super::value::{FrequencyMhz, Size};
use super::{check_range, in_range, name_label, unique_names, validate};
use crate::ast::{Bytes, CpuRange, DiskDecl, DiskKind, HostDecl, NumaDecl};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::span::Spanned;
use crate::syntax::{Block, LabelValue};
use compact_str::CompactString;

const GIB: u64 = 1 << 30;

pub(super) fn lower(block: &Block, diags: &mut Diagnostics) -> HostDecl {
    let mut r = BlockReader::new(block, diags);
    let name = name_label(&mut r, block);
    let address = r.required_valid::<CompactString>("address", |a| validate::address(a));
    let memory = bytes(r.required_valid::<Size>("memory", |s| positive_size(*s)));
    let cpus = r.required_valid::<u64>("cpus", |n| in_range(*n, "cpus", 1, 65_536));
    let cpu_mhz = r.or_default("cpu_mhz", FrequencyMhz(2000));
    let cpu_mhz = Spanned::new(cpu_mhz.value.0, cpu_mhz.span);
    let reserved = bytes(r.or_default("reserved", Size(2 * GIB)));
    let numa: Vec<NumaDecl> = r.blocks("numa").map(|b| numa(b, r.diags)).collect();
    let disks: Vec<DiskDecl> = r.blocks("disk").map(|b| disk(b, r.diags)).collect();
    r.finish();

    check_range(diags, &cpu_mhz, "cpu_mhz", 1, 1_000_000);
    unique_names(disks.iter().map(|d| &d.name), "disk", diags);
    check_numa_layout(&numa, &memory, &cpus, diags);
    HostDecl {
        name,
        head: block.head(),
        address,
        memory,
        cpus,
        cpu_mhz,
        reserved,
        numa,
        disks,
    }
}

fn bytes(size: Spanned<Size>) -> Spanned<Bytes> {
    Spanned::new(size.value.0, size.span)
}

pub(super) fn positive_size(size: Size) -> Result<(), String> {
    if size.0 == 0 {
        Err("a size must be more than 0".into())
    } else {
        Ok(())
    }
}

fn numa(block: &Block, diags: &mut Diagnostics) -> NumaDecl {
    let mut r = BlockReader::new(block, diags);
    let id = numa_id(block, r.diags);
    let cpus = r.required::<CpuRange>("cpus");
    let memory = bytes(r.required_valid::<Size>("memory", |s| positive_size(*s)));
    r.finish();
    NumaDecl {
        id,
        head: block.head(),
        cpus,
        memory,
    }
}

fn numa_id(block: &Block, diags: &mut Diagnostics) -> Spanned<u64> {
    match &block.label {
        Some(label) => match &label.value {
            LabelValue::Integer(text) => match text.parse::<u64>() {
                Ok(id) if id < 1024 => Spanned::new(id, label.span),
                _ => {
                    diags.push(
                        Diagnostic::new(Code::E0107, label.span, "NUMA node id must be below 1024")
                            .with_primary_label("out of range"),
                    );
                    Spanned::new(0, label.span)
                }
            },
            LabelValue::String(_) => {
                diags.push(
                    Diagnostic::new(Code::E0103, label.span, "a NUMA node id is an integer")
                        .with_primary_label("a string")
                        .with_help("write `numa 0 { … }`"),
                );
                Spanned::new(0, label.span)
            }
        },
        None => {
            diags.push(
                Diagnostic::new(Code::E0104, block.kind.span, "`numa` block has no node id")
                    .with_primary_label("needs a node id")
                    .with_help("write `numa 0 { cpus = 0..15  memory = 48GiB }`"),
            );
            Spanned::new(0, block.kind.span)
        }
    }
}

/// Node ids unique, CPU ranges disjoint and inside the host, memory adding up.
fn check_numa_layout(
    nodes: &[NumaDecl],
    memory: &Spanned<Bytes>,
    cpus: &Spanned<u64>,
    diags: &mut Diagnostics,
) {
    for (i, node) in nodes.iter().enumerate() {
        if let Some(first) = nodes[..i].iter().find(|n| n.id.value == node.id.value) {
            diags.push(
                Diagnostic::new(
                    Code::E0105,
                    node.id.span,
                    format!("NUMA node {} is defined twice", node.id.value),
                )
                .with_primary_label("defined again here")
                .with_label(first.id.span, "first defined here"),
            );
        }
        if let Some(other) = nodes[..i]
            .iter()
            .find(|n| n.cpus.value.overlaps(node.cpus.value))
        {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    node.cpus.span,
                    format!(
                        "NUMA node {} shares CPUs with node {}",
                        node.id.value, other.id.value
                    ),
                )
                .with_primary_label("overlaps")
                .with_label(other.cpus.span, "this range")
                .with_help("each logical CPU belongs to exactly one NUMA node"),
            );
        }
        if cpus.value > 0 && node.cpus.value.last >= cpus.value {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    node.cpus.span,
                    format!(
                        "CPU {} is outside the host's CPUs 0..{}",
                        node.cpus.value.last,
                        cpus.value - 1
                    ),
                )
                .with_primary_label("outside the host")
                .with_label(cpus.span, format!("the host has {} CPUs", cpus.value)),
            );
        }
    }
    let total: u128 = nodes.iter().map(|n| u128::from(n.memory.value)).sum();
    if memory.value > 0 && total > u128::from(memory.value) {
        let mut diag = Diagnostic::new(
            Code::E0107,
            memory.span,
            "NUMA node memory adds up to more than the host's memory",
        )
        .with_primary_label(format!(
            "the host has {}",
            crate::units::bytes(memory.value)
        ));
        for node in nodes {
            diag = diag.with_label(node.memory.span, format!("node {}", node.id.value));
        }
        diags.push(diag.with_help("node memory must add up to at most `memory`"));
    }
}

fn disk(block: &Block, diags: &mut Diagnostics) -> DiskDecl {
    let mut r = BlockReader::new(block, diags);
    let name = name_label(&mut r, block);
    let size = bytes(r.required_valid::<Size>("size", |s| positive_size(*s)));
    let kind = r.required::<DiskKind>("kind");
    let default_mount = format!("/srv/{}", name.value);
    let mount = r
        .optional_valid::<CompactString>("mount", |m| validate::absolute_path(m))
        .unwrap_or_else(|| Spanned::new(default_mount.into(), block.head()));
    let encrypted = r.or_default("encrypted", false);
    r.finish();
    DiskDecl {
        name,
        head: block.head(),
        size,
        kind,
        mount,
        encrypted,
    }
}
