//! `salt/orch/shutdown.sls`: the stages in reverse, highest first. In each
//! stage the nomad jobs are stopped with `nomad job stop` on the ops host (the
//! job stays registered; the next bootstrap's `terraform apply` starts it),
//! baremetal services and docker containers (their `eos-<service>` units)
//! with `service.stop` on their hosts; a gate `stage-k.stopped` must pass before the
//! stage below begins. Ceph stops gently: `CephFS`
//! unmounted on its clients, `noout` set ([`ceph_pause`]). The salt master
//! itself is left running.

use serde_json::json;

use super::layout::Layout;
use super::orchestrate::{call_on, ops_command, services_of_stage, Affected};
use super::paths;
use super::shell;
use super::sls::{Sls, Step};
use super::units;
use crate::ast::Runtime;
use crate::emit::topology;
use crate::emit::Input;
use crate::model::ServiceId;

pub(super) fn shutdown(input: &Input<'_>, layout: &Layout) -> Sls {
    let mut sls = Sls::new(paths::SHUTDOWN_SLS);
    stop_stages(&mut sls, input, layout, "stage", None);
    sls
}

/// Stops the services of every stage, highest first, each stage after the
/// one above has stopped (`WORD-k.stopped`); with `only` just those,
/// skipping stages without one. Returns the last gate.
pub(super) fn stop_stages(
    sls: &mut Sls,
    input: &Input<'_>,
    layout: &Layout,
    word: &str,
    only: Option<&Affected>,
) -> Option<Step> {
    let mut gate: Option<Step> = None;
    for stage in (0..=layout.max_stage()).rev() {
        let services = services_of_stage(layout, only, stage);
        if only.is_some() && services.is_empty() {
            continue;
        }
        let prefix = format!("{word}-{stage}");
        gate = Some(stop_stage(
            sls,
            input,
            layout,
            &prefix,
            services,
            gate.as_slice(),
        ));
    }
    gate
}

/// Stops `services` (one stage's) after `after`; returns the gate
/// `PREFIX.stopped` that passes once all are stopped.
fn stop_stage(
    sls: &mut Sls,
    input: &Input<'_>,
    layout: &Layout,
    prefix: &str,
    services: &[ServiceId],
    after: &[Step],
) -> Step {
    let steps: Vec<Step> = services
        .iter()
        .map(|&id| {
            let before = ceph_pause(sls, input, layout, prefix, id, after);
            let after = before.as_ref().map_or(after, std::slice::from_ref);
            stop(sls, input, layout, prefix, id, after)
        })
        .collect();
    let id = format!("{prefix}.stopped");
    sls.nop(id.clone(), &steps);
    Step::new("test", id)
}

/// Before Ceph stops: `CephFS` unmounted on every client (a kernel client
/// whose cluster is gone blocks on I/O and cannot unmount), then `ceph osd
/// set noout`, so the monitors do not mark the stopping OSDs out and start
/// rebalancing the whole cluster. `orch.bootstrap` unsets it once `CephFS` is
/// healthy again. `None` for any other service.
fn ceph_pause(
    sls: &mut Sls,
    input: &Input<'_>,
    layout: &Layout,
    prefix: &str,
    id: ServiceId,
    after: &[Step],
) -> Option<Step> {
    let cephfs = layout.cephfs.as_ref().filter(|c| c.provider == id)?;
    let stack = input.stack;
    let name = stack.service(id).name();
    let unmount = call_on(
        sls,
        stack,
        format!("{prefix}.{name}.unmount-cephfs"),
        (&cephfs.hosts, "mount.unmount"),
        json!({ "name": paths::CEPHFS_MOUNT }),
        Vec::new(),
        after,
    );
    let hosts = topology::hosts_of(stack, id);
    Some(call_on(
        sls,
        stack,
        format!("{prefix}.{name}.noout"),
        (&hosts[..1.min(hosts.len())], "cmd.run"),
        json!({ "cmd": "ceph osd set noout" }),
        Vec::new(),
        &[unmount],
    ))
}

fn stop(
    sls: &mut Sls,
    input: &Input<'_>,
    layout: &Layout,
    prefix: &str,
    id: ServiceId,
    after: &[Step],
) -> Step {
    let stack = input.stack;
    let service = stack.service(id);
    let state = [prefix, ".", service.name(), ".stop"].concat();
    let unit = match service.decl.runtime.value {
        Runtime::Nomad => {
            let command = shell::join([
                "nomad",
                "job",
                "stop",
                &format!("-address={}", layout.nomad_cli_address()),
                service.name(),
            ]);
            return ops_command(sls, layout, stack, state, &command, after);
        }
        Runtime::Baremetal => units::units(service.decl.package()).start,
        Runtime::Docker => super::docker::unit(service.name()),
    };
    call_on(
        sls,
        stack,
        state,
        (&topology::hosts_of(stack, id), "service.stop"),
        json!({ "name": unit }),
        Vec::new(),
        after,
    )
}
