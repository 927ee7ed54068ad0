//! Salt: the single point of control. Emits, under `salt/` (the file root,
//! deployed to `/srv/eos/salt` on the master):
//!
//! - `top.sls` — every host to its SLS (`top.rs`, decided in `layout.rs`);
//! - `eos/<service>.sls` — each baremetal (`baremetal.rs`) and docker
//!   (`docker.rs`) service, with `eos/files/<service>/…` copies of its `file`
//!   sources (`files.rs`), volume folders (`volumes.rs`), systemd limits
//!   (`units.rs`) and Vault secrets (`secrets.rs`);
//! - `eos/cephfs_mount.sls` and `eos/volumes/<host>.sls` — `CephFS` on its
//!   clients and the folders of nomad jobs' local volumes (`volumes.rs`);
//! - `eos/backup/<host>.sls` — restic timers (`backup.rs`);
//! - `eos/proxy/{caddy,nginx}.sls` — the built proxy configs (`proxy.rs`;
//!   needs the caddy and nginx emitters to run first);
//! - `orch/bootstrap.sls` and `orch/shutdown.sls` — the stages in order and in
//!   reverse (`orchestrate.rs`, `health.rs`, `shutdown.rs`).
//!
//! Every file starts with `#!yaml` (Salt's Jinja pass off: `{{ }}` in a spec
//! value stays text) and is YAML from `yaml::to_string` (every string
//! double-quoted); `sls.rs` also refuses spec values that Salt would run as
//! `__slot__:` calls. Shell text built from spec values quotes every word
//! (`shell.rs`). Host-side paths and conventions are in `paths.rs`.

mod backup;
mod baremetal;
mod docker;
mod files;
mod health;
mod layout;
mod nomad_client;
mod orchestrate;
pub(crate) mod paths;
mod proxy;
mod restart;
mod restore;
mod secrets;
pub(crate) mod shell;
mod shutdown;
mod sls;
mod top;
mod units;
mod volumes;
mod wazuh_agent;

use super::{Artifacts, EmitError, Input};
use crate::ast::Runtime;
use crate::model::ServiceId;
use layout::Layout;

/// The services with a state file of their own (baremetal and docker), in
/// order: [`service_states`] writes each (`super::shared` hands them out).
pub(super) fn services<'s>(input: &Input<'s>) -> impl Iterator<Item = ServiceId> + 's {
    layout::salted_services(input.stack)
}

/// `eos/<service>.sls` (and the copies of its files) of a baremetal or docker
/// service; it needs nothing from the rest of the Salt tree.
pub(super) fn service_states(
    input: &Input<'_>,
    id: ServiceId,
    out: &mut Artifacts,
) -> Result<(), EmitError> {
    match input.stack.service(id).decl.runtime.value {
        Runtime::Docker => docker::emit(input, out, id),
        _ => baremetal::emit(input, out, id),
    }
}

/// Everything else under `salt/`: the files about hosts and the whole stack.
pub(super) fn emit(input: &Input<'_>, out: &mut Artifacts) -> Result<(), EmitError> {
    let stack = input.stack;
    let layout = Layout::new(input, out)?;
    if layout.cephfs.is_some() {
        volumes::cephfs_mount_sls(stack).write(input, out)?;
    }
    for &host in &layout.nomad_clients {
        volumes::nomad_client_sls(input, host, &layout.nomad_client_volumes[host.0])
            .write(input, out)?;
    }
    backup::emit(input, &layout, out)?;
    proxy::emit(input, &layout, out)?;
    if let Some(agents) = &layout.wazuh {
        wazuh_agent::emit(input, agents, out)?;
    }
    top::emit(input, &layout, out);
    orchestrate::bootstrap(input, &layout).write(input, out)?;
    shutdown::shutdown(input, &layout).write(input, out)?;
    restart::emit(input, &layout, out)?;
    restore::emit(input, &layout, out)?;
    Ok(())
}
