//! `salt/orch/restart/<service>.sls` (LANGUAGE.md section 8), run on the
//! master with `salt-run state.orchestrate orch.restart.<service>`: restarts
//! one service without pulling the dependency chain out from under its
//! dependents. What depends on it, directly or through others, is stopped
//! first, highest stage first (`stop-<k>.…`, as `orch.shutdown` stops them);
//! then the service and its dependents start again stage by stage as
//! `orch.bootstrap` starts them (`start-<k>.…`: their states applied or their
//! Nomad jobs applied by Terraform, each stage's health waits passing before
//! the next). The salt master, which runs the orchestration, is neither
//! restarted nor stopped by it (it has no restart file).
//!
//! A file lists the service and its transitive dependents only: their sum
//! over the stack grows with how many services depend on each other, which
//! for a stack in layers is a small multiple of its size.

use std::collections::HashSet;

use super::layout::Layout;
use super::orchestrate::{stage_steps, Affected, Scope};
use super::paths;
use super::shutdown::stop_stages;
use super::sls::Sls;
use crate::emit::{Artifacts, EmitError, Input};
use crate::model::ServiceId;

pub(super) fn emit(
    input: &Input<'_>,
    layout: &Layout,
    out: &mut Artifacts,
) -> Result<(), EmitError> {
    for id in input.stack.service_ids() {
        if layout.controller == Some(id) {
            continue;
        }
        restart(input, layout, id).write(input, out)?;
    }
    Ok(())
}

/// `id` and everything that depends on it: found by walking the graph from
/// `id`, so each file costs what it lists, not the size of the stack.
pub(super) fn affected(input: &Input<'_>, layout: &Layout, id: ServiceId) -> Affected {
    let graph = &input.analysis.graph;
    let mut seen = HashSet::from([id]);
    let mut queue = vec![id];
    while let Some(current) = queue.pop() {
        for dependent in graph.dependents(current) {
            if seen.insert(dependent) {
                queue.push(dependent);
            }
        }
    }
    Affected::new(seen.into_iter().collect(), layout)
}

fn restart(input: &Input<'_>, layout: &Layout, id: ServiceId) -> Sls {
    let mut sls = Sls::new(paths::restart_sls(input.stack.service(id).name()));
    let affected = affected(input, layout, id);
    let mut gate = stop_stages(&mut sls, input, layout, "stop", Some(&affected));
    let scope = Scope {
        word: "start",
        only: Some(&affected),
    };
    for stage in 0..=layout.max_stage() {
        if !affected.in_stage(stage).is_empty() {
            gate = Some(stage_steps(
                &mut sls,
                input,
                layout,
                &scope,
                stage,
                gate.as_slice(),
                None,
            ));
        }
    }
    sls
}
