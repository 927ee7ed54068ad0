//! The waits of `orch.bootstrap`: after a stage is applied, every health
//! check of its services must pass before the next stage starts.
//!
//! - HTTP (`port` + `path`), baremetal/docker: `http.wait_for_successful_query`
//!   from the master on each host's address, a 2xx status required (as Consul
//!   and Nomad count a check passing); TLS is not verified (a liveness probe).
//!   `/v1/status/leader` must also name a leader: Consul answers 200 with
//!   `""` while it has none.
//! - TCP (`port` alone): from the master, `cmd.run` of a bash `/dev/tcp` probe
//!   under `timeout`, retried; a UDP port cannot be probed and is noted only.
//! - `command`: `salt.function cmd.run` on the service's hosts (inside the
//!   container for docker: `docker exec <name> sh -c …`), retried.
//! - nomad: Consul's `/v1/health/service/<service>-<port>?passing=true` on the
//!   consul provider must list an instance; without Consul, Nomad's job
//!   summary must show a running allocation.
//!
//! Time allowed: [`HealthWait`] — `grace` + 10 × `interval`, probing every
//! `interval`, each probe bounded by `timeout`; the cold-start estimate of
//! `plan.json` counts the same seconds.

use serde_json::json;

use super::layout::Layout;
use super::shell;
use super::sls::{Arg, Sls, Step};
use crate::ast::{HealthDecl, PortProtocol, Runtime};
use crate::emit::topology::{self, consul_service_name, host_port};
use crate::emit::Input;
use crate::model::health_wait::HealthWait;
use crate::model::ServiceId;

/// Adds the waits of one service; each requires `after`.
pub(super) fn add_waits(
    sls: &mut Sls,
    input: &Input<'_>,
    layout: &Layout,
    prefix: &str,
    id: ServiceId,
    after: &[Step],
) -> Vec<Step> {
    let service = input.stack.service(id);
    let Some(health) = &service.decl.health else {
        return Vec::new();
    };
    let prefix = [prefix, ".", service.name(), ".health"].concat();
    if service.decl.runtime.value == Runtime::Nomad {
        return nomad_wait(sls, input, layout, &prefix, id, health, after)
            .into_iter()
            .collect();
    }
    if let Some(command) = health.command() {
        return vec![command_wait(
            sls,
            input,
            &prefix,
            id,
            &command.value,
            health,
            after,
        )];
    }
    let Some(port) = service.health_port.map(|i| &service.decl.ports[i]) else {
        return Vec::new();
    };
    let timing = HealthWait::of(health);
    let mut steps = Vec::new();
    for host in topology::hosts_of(input.stack, id) {
        let address = &input.stack.host(host).address.value;
        let state = [prefix.as_str(), ".", &input.stack.host(host).name.value].concat();
        let step = match (health.path(), port.protocol.value) {
            (_, PortProtocol::Udp) => {
                let name = format!(
                    "UDP port {} of {} cannot be probed",
                    port.number.value,
                    service.name()
                );
                sls.state(
                    state.clone(),
                    "test.succeed_without_changes",
                    [("name", Arg::from(name)), ("require", after.into())],
                );
                Step::new("test", state)
            }
            (Some(path), protocol) => {
                let scheme = if protocol == PortProtocol::Https {
                    "https"
                } else {
                    "http"
                };
                let url = format!(
                    "{scheme}://{}{}",
                    host_port(address, port.number.value),
                    path.value
                );
                http_wait(sls, state, &url, leader_match(&path.value), &timing, after)
            }
            (None, _) => tcp_wait(sls, state, address, port.number.value, &timing, after),
        };
        steps.push(step);
    }
    steps
}

/// Consul's (and Nomad's) `/v1/status/leader` answers 200 with `""` while
/// there is no leader: the gate waits for a non-empty address.
fn leader_match(path: &str) -> Option<(&'static str, &'static str)> {
    let endpoint = path.split('?').next().unwrap_or(path);
    (endpoint.trim_end_matches('/') == "/v1/status/leader").then_some(("\"[^\"]+\"", "pcre"))
}

fn http_wait(
    sls: &mut Sls,
    state: String,
    url: &str,
    matching: Option<(&str, &str)>,
    timing: &HealthWait,
    after: &[Step],
) -> Step {
    let mut args: Vec<(&str, Arg)> = vec![
        ("name", url.into()),
        ("status", "^2[0-9][0-9]$".into()),
        ("status_type", "pcre".into()),
    ];
    if let Some((pattern, kind)) = matching {
        args.push(("match", pattern.into()));
        args.push(("match_type", kind.into()));
    }
    args.extend([
        ("verify_ssl", false.into()),
        ("wait_for", timing.deadline.into()),
        ("request_interval", timing.interval.into()),
        ("require", after.into()),
    ]);
    sls.state(state.clone(), "http.wait_for_successful_query", args);
    Step::new("http", state)
}

fn retry(timing: &HealthWait) -> Arg<'static> {
    Arg::Json(json!({ "attempts": timing.attempts, "interval": timing.interval, "until": true }))
}

fn tcp_wait(
    sls: &mut Sls,
    state: String,
    address: &str,
    port: u64,
    timing: &HealthWait,
    after: &[Step],
) -> Step {
    let probe = format!("exec 3<>/dev/tcp/{address}/{port}");
    let timeout = timing.timeout.to_string();
    sls.state(
        state.clone(),
        "cmd.run",
        [
            (
                "name",
                shell::join(["timeout", &timeout, "bash", "-c", &probe]).into(),
            ),
            ("retry", retry(timing)),
            ("require", after.into()),
        ],
    );
    Step::new("cmd", state)
}

fn command_wait(
    sls: &mut Sls,
    input: &Input<'_>,
    prefix: &str,
    id: ServiceId,
    command: &str,
    health: &HealthDecl,
    after: &[Step],
) -> Step {
    let stack = input.stack;
    let service = stack.service(id);
    let timing = HealthWait::of(health);
    let command = if service.decl.runtime.value == Runtime::Docker {
        shell::join(["docker", "exec", service.name(), "sh", "-c", command])
    } else {
        command.to_string()
    };
    super::orchestrate::call_on(
        sls,
        stack,
        prefix.to_string(),
        (&topology::hosts_of(stack, id), "cmd.run"),
        json!({ "cmd": command, "python_shell": true, "timeout": timing.timeout }),
        vec![("retry", retry(&timing))],
        after,
    )
}

fn nomad_wait(
    sls: &mut Sls,
    input: &Input<'_>,
    layout: &Layout,
    prefix: &str,
    id: ServiceId,
    health: &HealthDecl,
    after: &[Step],
) -> Option<Step> {
    let stack = input.stack;
    let service = stack.service(id);
    let timing = HealthWait::of(health);
    if let Some(consul) = &layout.consul_url {
        let port = service.health_port.map(|i| &service.decl.ports[i])?;
        let name = consul_service_name(service.name(), &port.name.value);
        let url = format!("{consul}/v1/health/service/{name}?passing=true");
        return Some(http_wait(
            sls,
            prefix.to_string(),
            &url,
            Some(("\"ServiceName\"", "string")),
            &timing,
            after,
        ));
    }
    let nomad = layout.nomad_url.as_ref()?;
    let url = format!("{nomad}/v1/job/{}/summary", service.name());
    Some(http_wait(
        sls,
        prefix.to_string(),
        &url,
        Some(("\"Running\":\\s*[1-9]", "pcre")),
        &timing,
        after,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leader_endpoint_needs_a_leader() {
        let (pattern, kind) = leader_match("/v1/status/leader").unwrap();
        assert_eq!(kind, "pcre");
        assert_eq!(pattern, "\"[^\"]+\"");
        assert!(leader_match("/v1/status/leader?stale").is_some());
        assert!(leader_match("/v1/agent/health").is_none());
    }
}
