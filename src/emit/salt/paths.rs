//! Where things live on the hosts and in the build: the conventions that the
//! generated states, scripts and units share (and that the Nomad jobspecs must
//! follow for volumes, see [`volume_dir`]).
//!
//! - Volume data of a local disk: `<disk mount>/eos/<service>/<volume>`; the
//!   disk itself must already be mounted at its `mount` (provisioning, not
//!   Salt: the spec does not name block devices). `osd` volumes are Ceph's raw
//!   devices, prepared by `ceph-volume`: their data folder is their `path`.
//! - `CephFS`: kernel-mounted at `/mnt/cephfs` on every client; a cephfs volume
//!   is `/mnt/cephfs/eos/<service>/<volume>`.
//! - Generated scripts: `/usr/local/lib/eos/…`; runtime files (secrets fetched
//!   from Vault): `/run/eos/<service>/` (tmpfs, root only).
//! - Vault access from a host: the token in `/etc/eos/vault-token` (written by
//!   the operator or a Vault Agent sink; never by eosc), the stack's internal
//!   CA bundle `/etc/eos/ca.pem` (optional for the secrets scripts; Caddy and
//!   Terraform need it when a port is `https`).
//! - The build output is deployed to `/srv/eos` on the ops host (the salt
//!   master): `/srv/eos/salt` is the master's file root, `/srv/eos/terraform`
//!   the Terraform working directory.

use crate::ast::IoClass;
use crate::model::{ServiceId, Stack, VolumeStorage};

pub(super) const CEPHFS_MOUNT: &str = "/mnt/cephfs";
pub(super) const LIB_DIR: &str = "/usr/local/lib/eos";
pub(super) const RUN_DIR: &str = "/run/eos";
pub(super) const VAULT_TOKEN_FILE: &str = "/etc/eos/vault-token";
pub(super) const VAULT_CA_FILE: &str = crate::emit::topology::INTERNAL_CA_FILE;
pub(super) const SYSTEMD_DIR: &str = "/etc/systemd/system";
pub(crate) const TERRAFORM_DIR: &str = "/srv/eos/terraform";
/// Where the ops host keeps the build (`TERRAFORM_DIR` is inside it).
pub(crate) const BUILD_DIR: &str = "/srv/eos";

/// The folder on the host that holds a volume's data.
pub(super) fn volume_dir(stack: &Stack, service: ServiceId, index: usize) -> String {
    let svc = stack.service(service);
    let volume = &svc.decl.volumes[index];
    match svc.volumes[index] {
        VolumeStorage::Disk(_) if volume.io.value == IoClass::Osd => volume.path.value.to_string(),
        VolumeStorage::Disk(disk) => {
            let mount = stack.disk(disk).mount.value.trim_end_matches('/');
            format!("{mount}/eos/{}/{}", svc.name(), volume.name.value)
        }
        VolumeStorage::Cephfs => format!("{CEPHFS_MOUNT}/eos/{}/{}", svc.name(), volume.name.value),
    }
}

/// The mount point that must be mounted before a volume's folder is used: the
/// disk's `mount`, or the `CephFS` mount. `None` for `osd` volumes.
pub(super) fn volume_mount_point(
    stack: &Stack,
    service: ServiceId,
    index: usize,
) -> Option<String> {
    let svc = stack.service(service);
    match svc.volumes[index] {
        VolumeStorage::Disk(_) if svc.decl.volumes[index].io.value == IoClass::Osd => None,
        VolumeStorage::Disk(disk) => Some(stack.disk(disk).mount.value.to_string()),
        VolumeStorage::Cephfs => Some(CEPHFS_MOUNT.to_string()),
    }
}

/// A file name part unique per (service, volume): names never contain `_`.
pub(super) fn volume_key(service: &str, volume: &str) -> String {
    [service, "_", volume].concat()
}

/// The SLS of a baremetal/docker service.
pub(crate) fn service_sls(service: &str) -> String {
    ["eos.", service].concat()
}

/// Per-host and shared SLS names. Service SLS are `eos.<name>` and names have
/// no `.` or `_`, so none of these can collide with a service's file.
pub(super) fn backup_sls(host: &str) -> String {
    format!("eos.backup.{host}")
}

pub(super) fn nomad_client_sls(host: &str) -> String {
    format!("eos.nomad_client.{host}")
}

pub(super) const CEPHFS_SLS: &str = "eos.cephfs_mount";
pub(super) const BOOTSTRAP_SLS: &str = "orch.bootstrap";
pub(super) const SHUTDOWN_SLS: &str = "orch.shutdown";

pub(super) fn restart_sls(service: &str) -> String {
    format!("orch.restart.{service}")
}

pub(super) fn restore_sls(service: &str) -> String {
    format!("orch.restore.{service}")
}
