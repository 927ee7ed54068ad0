//! `salt/orch/bootstrap.sls`, run on the master with
//! `salt-run state.orchestrate orch.bootstrap`: the stages of LANGUAGE.md
//! section 4 in order. Stage k:
//!
//! 1. steps that must precede its services: `CephFS` mounted on its clients
//!    (the stage after the cephfs provider's), the Nomad client
//!    configurations (`eos.nomad_client.<host>`: reserved capacity, host
//!    volumes and their folders; the first stage with a nomad job);
//! 2. `terraform apply` on the ops host, targeted to the stage's nomad jobs
//!    (`nomad_job.<name>`) and the Vault policies of its services with secrets
//!    (`vault_policy.<name>`; `-` becomes `_` in resource names);
//! 3. `salt.state` of each baremetal/docker service on its hosts, each
//!    requiring one barrier `stage-k.ready` (`test.nop`) that requires steps 1–2
//!    — so the file grows with services + hosts, not services × hosts;
//! 4. the waits of `health.rs`;
//! 5. a gate `stage-k.done` (`test.nop`) requiring all of the above, which
//!    every step of stage k+1 requires.
//!
//! The cephfs provider is applied one host at a time (`batch: 1`: a
//! `ceph.conf` change restarts each host's daemons, never all at once), and
//! `ceph osd unset noout` (set by `orch.shutdown`) follows its health wait.
//!
//! After the last stage: the proxy configs, the backup timers, and the Wazuh
//! agents (`wazuh_agent.rs`).
//!
//! The salt master's own service (`layout.rs`) is not applied here: a change
//! to its config would restart the master in the middle of the run. It is
//! in `top.sls` like every service, for highstate.
//!
//! The ops host (`layout.rs`) is the salt master's minion; it holds the
//! build at `/srv/eos` and runs `terraform` (`init` once, first).
//! IDs are `stage-<k>.<service>.<what>`: names have no `.`.

use serde_json::json;

use super::health;
use super::layout::{self, Layout};
use super::paths::{self, TERRAFORM_DIR};
use super::shell;
use super::sls::{Arg, Sls, Step};
use crate::emit::topology;
use crate::emit::Input;
use crate::model::{HostId, ServiceId, Stack};

/// The `tgt` of a list target: host names joined by `,`.
pub(super) fn targets(stack: &Stack, hosts: &[HostId]) -> String {
    hosts
        .iter()
        .map(|&h| stack.host(h).name.value.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// A `salt.state` step applying `sls_name` on `hosts`.
fn apply(
    sls: &mut Sls,
    stack: &Stack,
    id: String,
    hosts: &[HostId],
    sls_name: &str,
    after: &[Step],
) -> Step {
    apply_with(sls, stack, id, hosts, sls_name, after, false)
}

/// [`apply`], one host at a time when `one_by_one`.
fn apply_with(
    sls: &mut Sls,
    stack: &Stack,
    id: String,
    hosts: &[HostId],
    sls_name: &str,
    after: &[Step],
    one_by_one: bool,
) -> Step {
    let mut args: Vec<(&str, Arg)> = vec![
        ("tgt", targets(stack, hosts).into()),
        ("tgt_type", "list".into()),
        ("sls", Arg::Texts(vec![sls_name.into()])),
    ];
    if one_by_one {
        args.push(("batch", "1".into()));
    }
    if !after.is_empty() {
        args.push(("require", after.into()));
    }
    sls.state(id.clone(), "salt.state", args);
    Step::new("salt", id)
}

/// A `salt.function` step calling `function` on `hosts` with `kwarg`, then
/// `extra` arguments, after `after`. Arguments go as keywords: Salt reads a
/// positional `KEY=value` as a keyword, so a command such as `VAULT_ADDR=…
/// vault status` would never run.
pub(super) fn call_on(
    sls: &mut Sls,
    stack: &Stack,
    id: String,
    (hosts, function): (&[HostId], &str),
    kwarg: serde_json::Value,
    extra: Vec<(&'static str, Arg<'static>)>,
    after: &[Step],
) -> Step {
    let mut args: Vec<(&str, Arg)> = vec![
        ("name", function.into()),
        ("tgt", targets(stack, hosts).into()),
        ("tgt_type", "list".into()),
        ("expect_minions", true.into()),
        ("kwarg", Arg::Json(kwarg)),
    ];
    args.extend(extra);
    if !after.is_empty() {
        args.push(("require", after.into()));
    }
    sls.state(id.clone(), "salt.function", args);
    Step::new("salt", id)
}

/// A `salt.function` step running `command` with `cmd.run` on the ops host.
pub(super) fn ops_command(
    sls: &mut Sls,
    layout: &Layout,
    stack: &Stack,
    id: String,
    command: &str,
    after: &[Step],
) -> Step {
    call_on(
        sls,
        stack,
        id,
        (&[layout.ops_host], "cmd.run"),
        json!({ "cmd": command }),
        Vec::new(),
        after,
    )
}

/// `nomad_job.<name>`-style Terraform addresses, named as the Terraform
/// emitter names them.
pub(super) fn resource(kind: &str, service: &str) -> String {
    format!(
        "{kind}.{}",
        crate::emit::terraform::job_resource_name(service)
    )
}

/// One service and everything that depends on it, directly or through
/// others: what its restart and restore files stop and start again.
pub(super) struct Affected {
    /// All of them, by ascending `ServiceId`.
    ids: Vec<ServiceId>,
    /// Per stage, those the orchestration stops and starts (not the salt
    /// master), by ascending `ServiceId`.
    by_stage: Vec<Vec<ServiceId>>,
}

impl Affected {
    pub(super) fn new(mut ids: Vec<ServiceId>, layout: &Layout) -> Self {
        ids.sort_unstable();
        let by_stage = super::layout::split_by_stage(
            ids.iter().copied(),
            &layout.stages,
            layout.max_stage() + 1,
            layout.controller,
        );
        Self { ids, by_stage }
    }

    fn contains(&self, id: ServiceId) -> bool {
        self.ids.binary_search(&id).is_ok()
    }

    /// Those of `stage` the orchestration stops and starts.
    pub(super) fn in_stage(&self, stage: usize) -> &[ServiceId] {
        &self.by_stage[stage]
    }
}

/// The services of `stage` an orchestration stops or starts: those of `only`
/// when given, all of them otherwise (never the salt master running it).
pub(super) fn services_of_stage<'a>(
    layout: &'a Layout,
    only: Option<&'a Affected>,
    stage: usize,
) -> &'a [ServiceId] {
    only.map_or_else(
        || layout.services_in_stage(stage),
        |only| only.in_stage(stage),
    )
}

pub(super) fn bootstrap(input: &Input<'_>, layout: &Layout) -> Sls {
    let stack = input.stack;
    let mut sls = Sls::new(paths::BOOTSTRAP_SLS);
    let needs_terraform = stack
        .service_ids()
        .any(|id| !stack.service(id).decl.secrets.is_empty())
        || layout::nomad_services(stack).next().is_some();
    let init = needs_terraform.then(|| {
        let command = shell::join([
            "terraform",
            &format!("-chdir={TERRAFORM_DIR}"),
            "init",
            "-input=false",
        ]);
        ops_command(
            &mut sls,
            layout,
            stack,
            "bootstrap.terraform-init".into(),
            &command,
            &[],
        )
    });
    let mut gate: Option<Step> = None;
    for stage in 0..=layout.max_stage() {
        gate = Some(stage_steps(
            &mut sls,
            input,
            layout,
            &Scope::WHOLE_STACK,
            stage,
            gate.as_slice(),
            init.as_ref(),
        ));
    }
    let after = gate.as_slice();
    let mut last = after.to_vec();
    if let Some(cephfs) = layout
        .cephfs
        .as_ref()
        .filter(|c| c.provider_stage == layout.max_stage())
    {
        last = vec![apply(
            &mut sls,
            stack,
            "final.cephfs-mount".into(),
            &cephfs.hosts,
            paths::CEPHFS_SLS,
            after,
        )];
    }
    for proxy in &layout.proxies {
        apply(
            &mut sls,
            stack,
            format!("final.proxy.{}", proxy.kind),
            &proxy.hosts,
            &proxy.sls(),
            &last,
        );
    }
    for (host, _) in &layout.backups {
        let name = &stack.host(*host).name.value;
        apply(
            &mut sls,
            stack,
            format!("final.backup.{name}"),
            &[*host],
            &paths::backup_sls(name),
            &last,
        );
    }
    // The agents enroll with a running manager: after its stage.
    if let Some(agents) = layout.wazuh.as_ref().filter(|a| !a.hosts.is_empty()) {
        apply(
            &mut sls,
            stack,
            "final.wazuh-agent".into(),
            &agents.hosts,
            super::wazuh_agent::SLS,
            &last,
        );
    }
    sls
}

/// Which services a run of [`stage_steps`] starts, and how its IDs begin.
pub(super) struct Scope<'a> {
    /// `stage` (the bootstrap) or `start` (a restart).
    pub(super) word: &'a str,
    /// The services to start; `None`: all of them, with the once-only
    /// preparations (Nomad client configurations).
    pub(super) only: Option<&'a Affected>,
}

impl Scope<'_> {
    const WHOLE_STACK: Scope<'static> = Scope {
        word: "stage",
        only: None,
    };

    pub(super) fn has(&self, id: ServiceId) -> bool {
        self.only.is_none_or(|only| only.contains(id))
    }
}

/// The steps of one stage, for the services of `scope`; returns its gate.
pub(super) fn stage_steps(
    sls: &mut Sls,
    input: &Input<'_>,
    layout: &Layout,
    scope: &Scope<'_>,
    stage: usize,
    after: &[Step],
    init: Option<&Step>,
) -> Step {
    let stack = input.stack;
    let prefix = format!("{}-{stage}", scope.word);
    let mut before: Vec<Step> = Vec::new();
    if let Some(cephfs) = layout
        .cephfs
        .as_ref()
        .filter(|c| c.provider_stage + 1 == stage && scope.has(c.provider))
    {
        before.push(apply(
            sls,
            stack,
            format!("{prefix}.cephfs-mount"),
            &cephfs.hosts,
            paths::CEPHFS_SLS,
            after,
        ));
    }
    if stage == layout.nomad_client_stage && scope.only.is_none() {
        for &host in &layout.nomad_clients {
            let name = &stack.host(host).name.value;
            before.push(apply(
                sls,
                stack,
                format!("{prefix}.nomad-client.{name}"),
                &[host],
                &paths::nomad_client_sls(name),
                after,
            ));
        }
    }
    let services = services_of_stage(layout, scope.only, stage);
    let mut ready: Vec<Step> = after.to_vec();
    ready.extend(before.iter().cloned());
    let terraform = terraform_step(sls, input, layout, &prefix, services, &ready, init);
    let mut steps = before;
    if let Some(step) = terraform {
        ready.push(step.clone());
        steps.push(step);
    }
    // One barrier instead of every service requiring every preparation step:
    // with a volume step per host, the latter grows with hosts × services.
    if ready.len() > 1 {
        let barrier = format!("{prefix}.ready");
        sls.nop(barrier.clone(), &ready);
        ready = vec![Step::new("test", barrier)];
    }
    for &id in services {
        let name = stack.service(id).name();
        let applied = layout::is_salted(stack, id).then(|| {
            let hosts = topology::hosts_of(stack, id);
            apply_with(
                sls,
                stack,
                [prefix.as_str(), ".", name, ".apply"].concat(),
                &hosts,
                &paths::service_sls(name),
                &ready,
                // Ceph host by host: a `ceph.conf` change restarts each
                // host's daemons, never every mon and OSD at once.
                layout.cephfs.as_ref().is_some_and(|c| c.provider == id),
            )
        });
        let wait_after = applied
            .as_ref()
            .map_or(ready.as_slice(), std::slice::from_ref);
        let waits = health::add_waits(sls, input, layout, &prefix, id, wait_after);
        steps.extend(applied);
        if let Some(unset) = ceph_resume(sls, input, layout, &prefix, id, &waits) {
            steps.push(unset);
        }
        steps.extend(waits);
    }
    let gate = format!("{prefix}.done");
    sls.nop(gate.clone(), &steps);
    Step::new("test", gate)
}

/// After Ceph is healthy: `ceph osd unset noout`, which `orch.shutdown` set
/// so that stopping the cluster did not start a rebalance. Harmless when it
/// is not set (a first start).
fn ceph_resume(
    sls: &mut Sls,
    input: &Input<'_>,
    layout: &Layout,
    prefix: &str,
    id: ServiceId,
    healthy: &[Step],
) -> Option<Step> {
    layout.cephfs.as_ref().filter(|c| c.provider == id)?;
    let stack = input.stack;
    let hosts = topology::hosts_of(stack, id);
    let first = hosts.first()?;
    Some(call_on(
        sls,
        stack,
        [prefix, ".", stack.service(id).name(), ".unset-noout"].concat(),
        (std::slice::from_ref(first), "cmd.run"),
        json!({ "cmd": "ceph osd unset noout" }),
        Vec::new(),
        healthy,
    ))
}

/// `terraform apply` of the stage's nomad jobs and Vault policies, if any.
fn terraform_step(
    sls: &mut Sls,
    input: &Input<'_>,
    layout: &Layout,
    prefix: &str,
    services: &[ServiceId],
    after: &[Step],
    init: Option<&Step>,
) -> Option<Step> {
    let stack = input.stack;
    let mut targets = Vec::new();
    for &id in services {
        let service = stack.service(id);
        if !service.decl.secrets.is_empty() {
            targets.push(format!(
                "-target={}",
                resource("vault_policy", service.name())
            ));
        }
        if service.decl.runtime.value == crate::ast::Runtime::Nomad {
            targets.push(format!("-target={}", resource("nomad_job", service.name())));
        }
    }
    if targets.is_empty() {
        return None;
    }
    let chdir = format!("-chdir={TERRAFORM_DIR}");
    let mut words = vec![
        "terraform",
        chdir.as_str(),
        "apply",
        "-auto-approve",
        "-input=false",
    ];
    words.extend(targets.iter().map(String::as_str));
    let mut require = after.to_vec();
    require.extend(init.cloned());
    Some(ops_command(
        sls,
        layout,
        stack,
        format!("{prefix}.terraform"),
        &shell::join(words),
        &require,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_addresses_use_underscores() {
        assert_eq!(
            resource("nomad_job", "authentik-worker"),
            "nomad_job.authentik_worker"
        );
    }
}
