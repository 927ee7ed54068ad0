//! `salt/orch/shutdown.sls`: the stages in reverse, highest first. In each
//! stage the nomad jobs are stopped with `nomad job stop` on the ops host (the
//! job stays registered; the next bootstrap's `terraform apply` starts it),
//! baremetal services with `service.stop` and docker containers with
//! `docker.stop` on their hosts; a gate `stage-k.stopped` must pass before the
//! stage below begins. The salt master itself is left running.

use serde_json::{json, Value};

use super::health::Step;
use super::layout::Layout;
use super::orchestrate::{ops_command, services_in_stage, targets};
use super::paths;
use super::shell;
use super::sls::Sls;
use super::units;
use crate::ast::{Capability, Runtime};
use crate::emit::topology;
use crate::emit::Input;
use crate::model::ServiceId;

pub(super) fn shutdown(input: &Input<'_>, layout: &Layout) -> Sls {
    let mut sls = Sls::new(paths::SHUTDOWN_SLS);
    let mut gate: Option<Step> = None;
    for stage in (0..=layout.max_stage()).rev() {
        let after: Vec<Value> = gate.iter().map(Step::requisite).collect();
        let prefix = format!("stage-{stage}");
        let steps: Vec<Step> = services_in_stage(input, layout, stage)
            .into_iter()
            .map(|id| stop(&mut sls, input, layout, &prefix, id, &after))
            .collect();
        let id = format!("{prefix}.stopped");
        let require: Vec<Value> = steps.iter().map(Step::requisite).collect();
        sls.state(
            id.clone(),
            "test.nop",
            if require.is_empty() {
                vec![]
            } else {
                vec![("require", json!(require))]
            },
        );
        gate = Some(Step::new("test", id));
    }
    sls
}

fn stop(
    sls: &mut Sls,
    input: &Input<'_>,
    layout: &Layout,
    prefix: &str,
    id: ServiceId,
    after: &[Value],
) -> Step {
    let stack = input.stack;
    let service = stack.service(id);
    let state = format!("{prefix}.{}.stop", service.name());
    let (function, arg) = match service.decl.runtime.value {
        Runtime::Nomad => {
            let address = topology::provider_endpoint(stack, input.analysis, Capability::Nomad)
                .map_or_else(|| "http://127.0.0.1:4646".to_string(), |e| e.url(stack));
            let command = shell::join([
                "nomad",
                "job",
                "stop",
                &format!("-address={address}"),
                service.name(),
            ]);
            return ops_command(sls, layout, stack, state, &command, after);
        }
        Runtime::Baremetal => (
            "service.stop",
            units::units(&service.decl.package.value).start,
        ),
        Runtime::Docker => ("docker.stop", service.name().to_string()),
    };
    let mut args = vec![
        ("name", json!(function)),
        ("tgt", json!(targets(stack, &topology::hosts_of(stack, id)))),
        ("tgt_type", json!("list")),
        ("expect_minions", json!(true)),
        ("arg", json!([arg])),
    ];
    if !after.is_empty() {
        args.push(("require", json!(after)));
    }
    sls.state(state.clone(), "salt.function", args);
    Step::new("salt", state)
}
