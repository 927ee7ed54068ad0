//! `salt/orch/shutdown.sls`: the stages in reverse, highest first. In each
//! stage the nomad jobs are stopped with `nomad job stop` on the ops host (the
//! job stays registered; the next bootstrap's `terraform apply` starts it),
//! baremetal services with `service.stop` and docker containers with
//! `docker.stop` on their hosts; a gate `stage-k.stopped` must pass before the
//! stage below begins. The salt master itself is left running.

use super::layout::Layout;
use super::orchestrate::{ops_command, services_in_stage, targets};
use super::paths;
use super::shell;
use super::sls::{Arg, Sls, Step};
use super::units;
use crate::ast::Runtime;
use crate::emit::topology;
use crate::emit::Input;
use crate::model::ServiceId;

pub(super) fn shutdown(input: &Input<'_>, layout: &Layout) -> Sls {
    let mut sls = Sls::new(paths::SHUTDOWN_SLS);
    let mut gate: Option<Step> = None;
    for stage in (0..=layout.max_stage()).rev() {
        let prefix = format!("stage-{stage}");
        let steps: Vec<Step> = services_in_stage(input, layout, stage)
            .into_iter()
            .map(|id| stop(&mut sls, input, layout, &prefix, id, gate.as_slice()))
            .collect();
        let id = format!("{prefix}.stopped");
        sls.nop(id.clone(), &steps);
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
    after: &[Step],
) -> Step {
    let stack = input.stack;
    let service = stack.service(id);
    let state = [prefix, ".", service.name(), ".stop"].concat();
    let (function, arg) = match service.decl.runtime.value {
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
        Runtime::Baremetal => (
            "service.stop",
            units::units(&service.decl.package.value).start,
        ),
        Runtime::Docker => ("docker.stop", service.name().to_string()),
    };
    let mut args: Vec<(&str, Arg)> = vec![
        ("name", function.into()),
        ("tgt", targets(stack, &topology::hosts_of(stack, id)).into()),
        ("tgt_type", "list".into()),
        ("expect_minions", true.into()),
        ("arg", Arg::Texts(vec![arg.into()])),
    ];
    if !after.is_empty() {
        args.push(("require", after.into()));
    }
    sls.state(state.clone(), "salt.function", args);
    Step::new("salt", state)
}
