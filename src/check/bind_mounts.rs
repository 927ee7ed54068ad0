//! Bare-metal bind mounts (E0107): the folder of a volume of a bare-metal
//! service is bind-mounted onto the volume's `path` by Salt's `mount.mounted`,
//! which keeps the mount in `/etc/fstab`. Salt writes the mount point into
//! that line as it is (`salt/modules/mount.py`, `set_fstab`), so whitespace
//! there, or in the disk's `mount` the folder lies under, would split the
//! line — a broken fstab stops the host's boot. Everywhere else such paths
//! are escaped (docker's `--mount`, Nomad host volumes, the backup scripts).

use crate::ast::IoClass;
use crate::ast::Runtime;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Stack, VolumeStorage};

pub(super) fn check(stack: &Stack, diags: &mut Diagnostics) {
    for id in stack.service_ids() {
        let service = stack.service(id);
        if service.decl.runtime.value != Runtime::Baremetal {
            continue;
        }
        for (index, volume) in service.decl.volumes.iter().enumerate() {
            if volume.io.value == IoClass::Osd {
                continue;
            }
            let what = format!("volume `{}` of `{}`", volume.name.value, service.name());
            if breaks_fstab(&volume.path.value) {
                diags.push(refusal(volume.path.span, &what, "its `path`"));
            }
            if let VolumeStorage::Disk(disk) = service.volumes[index] {
                let mount = &stack.disk(disk).mount;
                if breaks_fstab(&mount.value) {
                    diags.push(
                        refusal(volume.path.span, &what, "the `mount` of its disk")
                            .with_label(mount.span, "the disk's mount"),
                    );
                }
            }
        }
    }
}

/// What Salt's fstab line cannot carry: whitespace, and `\`, which fstab
/// readers take as the start of an octal escape.
fn breaks_fstab(path: &str) -> bool {
    path.chars().any(|c| c.is_whitespace() || c == '\\')
}

fn refusal(span: crate::span::Span, what: &str, which: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0107,
        span,
        format!(
            "the bind mount of {what} cannot be written to /etc/fstab: {which} has whitespace or `\\`"
        ),
    )
    .with_primary_label("a bare-metal volume's bind mount")
    .with_help(
        "Salt's mount.mounted writes fstab lines without escaping; choose a path without \
         spaces for a bare-metal volume (docker and nomad volumes may have them)",
    )
}
