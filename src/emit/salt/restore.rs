//! `salt/orch/restore/<service>.sls` (LANGUAGE.md section 8), for a service
//! with backed-up volumes, run on the master with `salt-run
//! state.orchestrate orch.restore.<service>`: the service and what depends on
//! it stop as for a restart (`stop-<k>.…`); each backed-up volume's restore
//! script (`eos.backup.<host>`, see `backup.rs`) restores the latest
//! snapshot in place on the volume's backup host, the folder as it was kept
//! beside it (`restore.<volume>`); then everything starts again stage by
//! stage with its health waits (`start-<k>.…`). A `pg_dump` volume's dump is
//! loaded once the service is healthy, before the next stage starts
//! (`restore.<volume>.load`).

use serde_json::json;

use super::backup::restore_script_path;
use super::layout::Layout;
use super::orchestrate::{call_on, stage_steps, Scope};
use super::paths;
use super::restart::affected;
use super::shutdown::stop_stages;
use super::sls::{Sls, Step};
use crate::ast::BackupHook;
use crate::emit::{Artifacts, EmitError, Input};
use crate::model::{HostId, ServiceId};

pub(super) fn emit(
    input: &Input<'_>,
    layout: &Layout,
    out: &mut Artifacts,
) -> Result<(), EmitError> {
    for id in input.stack.service_ids() {
        if layout.controller == Some(id) {
            continue;
        }
        let volumes = backed_up(layout, id);
        if !volumes.is_empty() {
            restore(input, layout, id, &volumes).write(input, out)?;
        }
    }
    Ok(())
}

/// The service's backed-up volumes with the host each is backed up on.
fn backed_up(layout: &Layout, id: ServiceId) -> Vec<(HostId, usize)> {
    let mut volumes: Vec<(HostId, usize)> = layout
        .backups
        .iter()
        .flat_map(|(host, list)| {
            list.iter()
                .filter(move |(service, _)| *service == id)
                .map(move |(_, index)| (*host, *index))
        })
        .collect();
    volumes.sort_by_key(|(_, index)| *index);
    volumes
}

fn restore(input: &Input<'_>, layout: &Layout, id: ServiceId, volumes: &[(HostId, usize)]) -> Sls {
    let stack = input.stack;
    let service = stack.service(id);
    let mut sls = Sls::new(paths::restore_sls(service.name()));
    let affected = affected(input, layout, id);
    let stopped = stop_stages(&mut sls, input, layout, "stop", Some(&affected));
    let run = |sls: &mut Sls, (host, index): (HostId, usize), phase: &str, after: &[Step]| {
        let volume = &service.decl.volumes[index].name.value;
        let key = paths::volume_key(service.name(), volume);
        let suffix = if phase == "files" { "" } else { ".load" };
        call_on(
            sls,
            stack,
            format!("restore.{volume}{suffix}"),
            (&[host], "cmd.run"),
            json!({ "cmd": format!("{} {phase}", restore_script_path(&key)) }),
            Vec::new(),
            after,
        )
    };
    let restored: Vec<Step> = volumes
        .iter()
        .map(|&volume| run(&mut sls, volume, "files", stopped.as_slice()))
        .collect();
    sls.nop("restore.done".to_string(), &restored);
    let mut gate = Step::new("test", "restore.done".to_string());
    let scope = Scope {
        word: "start",
        only: Some(&affected),
    };
    let own_stage = layout.stages[id.0];
    for stage in 0..=layout.max_stage() {
        if affected.in_stage(stage).is_empty() {
            continue;
        }
        gate = stage_steps(&mut sls, input, layout, &scope, stage, &[gate], None);
        if stage == own_stage {
            let loads: Vec<Step> = volumes
                .iter()
                .filter(|(_, index)| {
                    service.decl.volumes[*index]
                        .backup
                        .as_ref()
                        .is_some_and(|b| b.hook.value == BackupHook::PgDump)
                })
                .map(|&volume| run(&mut sls, volume, "load", std::slice::from_ref(&gate)))
                .collect();
            if !loads.is_empty() {
                sls.nop("restore.loaded".to_string(), &loads);
                gate = Step::new("test", "restore.loaded".to_string());
            }
        }
    }
    sls
}
