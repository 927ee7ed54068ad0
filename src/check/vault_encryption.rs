//! W0311: Vault's storage on a disk that is not encrypted. Vault seals what
//! it writes, but its storage still holds the metadata, the audit trail it
//! may keep beside it and whatever an operator copies there; a stolen disk
//! or a disk sent back under warranty should be unreadable. LANGUAGE.md
//! section 3: `disk { encrypted = true }` declares the filesystem at `mount`
//! encrypted (LUKS or similar, set up outside eosc).

use crate::ast::{Capability, VolumePlacement};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{DependencyGraph, Stack, VolumeStorage};

pub(super) fn check(stack: &Stack, graph: &DependencyGraph, diags: &mut Diagnostics) {
    let Some(vault) = graph.provider(Capability::Vault) else {
        return;
    };
    let service = stack.service(vault);
    for (index, volume) in service.decl.volumes.iter().enumerate() {
        let (VolumeStorage::Disk(disk_id), VolumePlacement::Disk(reference)) =
            (service.volumes[index], &volume.placement)
        else {
            continue;
        };
        let disk = stack.disk(disk_id);
        if disk.encrypted.value {
            continue;
        }
        let host = &stack.host(disk_id.host).name.value;
        diags.push(
            Diagnostic::new(
                Code::W0311,
                reference.span,
                format!(
                    "volume `{}` of Vault (`{}`) is on disk `{host}.{}`, which is not encrypted",
                    volume.name.value,
                    service.name(),
                    disk.name.value
                ),
            )
            .with_primary_label("Vault's storage")
            .with_label(disk.head, "no `encrypted = true`")
            .with_help(
                "put Vault's storage on an encrypted filesystem (LUKS) and declare it with \
                 `encrypted = true` in the disk block",
            ),
        );
    }
}
