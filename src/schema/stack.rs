//! The `stack` block: the stack's name, domain, budgets and backup repository.

use super::reader::BlockReader;
use super::validate;
use super::value::PercentValue;
use super::{check_range, name_label, no_label};
use crate::ast::{NomadEdition, Percent, StackBackupDecl, StackDecl};
use crate::diag::Diagnostics;
use crate::span::Spanned;
use crate::syntax::Block;
use compact_str::CompactString;

pub(super) fn lower(block: &Block, diags: &mut Diagnostics) -> StackDecl {
    let mut r = BlockReader::new(block, diags);
    let name = name_label(&mut r, block);
    let domain = r
        .required_valid::<CompactString>("domain", |d| validate::site_name(d, false))
        .map(|d| CompactString::from(validate::without_root_dot(&d)));
    let acme_email = r.optional_valid::<CompactString>("acme_email", |e| validate::email(e));
    let datacenter = r
        .optional_valid::<CompactString>("datacenter", |d| validate::name(d))
        .unwrap_or_else(|| Spanned::new("dc1".into(), block.head()));
    let memory_budget = budget(&mut r, "memory_budget", 80);
    let disk_budget = budget(&mut r, "disk_budget", 90);
    let ceph_replicas = r.or_default::<u64>("ceph_replicas", 1);
    let nomad_edition = r.or_default::<NomadEdition>("nomad_edition", NomadEdition::Ce);
    let include = r.or_default::<Vec<Spanned<CompactString>>>("include", Vec::new());
    let backup = r.single_block("backup").map(|b| backup(b, r.diags));
    r.finish();
    check_range(diags, &ceph_replicas, "ceph_replicas", 1, 16);
    StackDecl {
        name,
        head: block.head(),
        domain,
        acme_email,
        datacenter,
        memory_budget,
        disk_budget,
        ceph_replicas,
        nomad_edition,
        include: include.value,
        backup,
    }
}

fn budget(
    r: &mut BlockReader<'_, '_>,
    name: &'static str,
    default_percent: u64,
) -> Spanned<Percent> {
    let rule = |p: &PercentValue| {
        if p.0 == 0 || p.0 > Percent::WHOLE {
            Err(format!(
                "a budget must be more than 0% and at most 100%, not {}",
                Percent(p.0)
            ))
        } else {
            Ok(())
        }
    };
    match r.optional_valid::<PercentValue>(name, rule) {
        Some(value) => Spanned::new(Percent(value.value.0), value.span),
        None => Spanned::new(Percent::from_percent(default_percent), r.head()),
    }
}

fn backup(block: &Block, diags: &mut Diagnostics) -> StackBackupDecl {
    let mut r = BlockReader::new(block, diags);
    no_label(&mut r, block);
    // Any one line: the backup scripts shell-quote it (`local:/mnt/My Backups`).
    let repository = r.required_valid::<CompactString>("repository", |t| {
        validate::single_line(t, "a restic repository")
    });
    let secret = r.required_valid::<CompactString>("secret", |t| validate::vault_path(t));
    r.finish();
    StackBackupDecl {
        head: block.head(),
        repository,
        secret,
    }
}
