//! The waits of `orch.bootstrap`: after a stage is applied, every health
//! check of its services must pass before the next stage starts.
//!
//! - HTTP (`port` + `path`), baremetal/docker: `http.wait_for_successful_query`
//!   from the master on each host's address, a 2xx status required (as Consul
//!   and Nomad count a check passing); TLS is not verified (a liveness probe).
//! - TCP (`port` alone): from the master, `cmd.run` of a bash `/dev/tcp` probe
//!   under `timeout`, retried; a UDP port cannot be probed and is noted only.
//! - `command`: `salt.function cmd.run` on the service's hosts (inside the
//!   container for docker: `docker exec <name> sh -c …`), retried.
//! - nomad: Consul's `/v1/health/service/<service>-<port>?passing=true` on the
//!   consul provider must list an instance; without Consul, Nomad's job
//!   summary must show a running allocation.
//!
//! Time allowed: `grace` + 10 × `interval`, probing every `interval`; each
//! probe is bounded by `timeout`.

use serde_json::{json, Value};

use super::shell;
use super::sls::Sls;
use crate::ast::{Capability, HealthDecl, PortProtocol, Runtime};
use crate::emit::topology::{self, consul_service_name, host_port};
use crate::emit::Input;
use crate::model::ServiceId;

/// A state of the orchestrate file: its module (for requisites) and ID.
#[derive(Debug, Clone)]
pub(super) struct Step {
    pub(super) module: &'static str,
    pub(super) id: String,
}

impl Step {
    pub(super) fn new(module: &'static str, id: String) -> Self {
        Self { module, id }
    }

    pub(super) fn requisite(&self) -> Value {
        json!({ self.module: self.id })
    }
}

/// Whole seconds, rounded up, at least one.
pub(super) fn seconds(millis: u64) -> u64 {
    millis.div_ceil(1000).max(1)
}

struct Timing {
    interval: u64,
    timeout: u64,
    deadline: u64,
    attempts: u64,
}

fn timing(health: &HealthDecl) -> Timing {
    let interval = seconds(health.interval.value);
    let deadline = seconds(health.grace.value) + 10 * interval;
    Timing {
        interval,
        timeout: seconds(health.timeout.value),
        deadline,
        attempts: deadline.div_ceil(interval).max(1),
    }
}

/// Adds the waits of one service; each requires `after`.
pub(super) fn add_waits(
    sls: &mut Sls,
    input: &Input<'_>,
    prefix: &str,
    id: ServiceId,
    after: &[Value],
) -> Vec<Step> {
    let service = input.stack.service(id);
    let Some(health) = &service.decl.health else {
        return Vec::new();
    };
    let prefix = format!("{prefix}.{}.health", service.name());
    if service.decl.runtime.value == Runtime::Nomad {
        return nomad_wait(sls, input, &prefix, id, health, after)
            .into_iter()
            .collect();
    }
    if let Some(command) = &health.command {
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
    let timing = timing(health);
    let mut steps = Vec::new();
    for host in topology::hosts_of(input.stack, id) {
        let address = &input.stack.host(host).address.value;
        let state = format!("{prefix}.{}", input.stack.host(host).name.value);
        let step = match (&health.path, port.protocol.value) {
            (_, PortProtocol::Udp) => {
                sls.state(
                    state.clone(),
                    "test.succeed_without_changes",
                    vec![
                        (
                            "name",
                            json!(format!(
                                "UDP port {} of {} cannot be probed",
                                port.number.value,
                                service.name()
                            )),
                        ),
                        ("require", json!(after)),
                    ],
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
                http_wait(sls, state, &url, None, &timing, after)
            }
            (None, _) => tcp_wait(sls, state, address, port.number.value, &timing, after),
        };
        steps.push(step);
    }
    steps
}

fn http_wait(
    sls: &mut Sls,
    state: String,
    url: &str,
    matching: Option<(&str, &str)>,
    timing: &Timing,
    after: &[Value],
) -> Step {
    let mut args = vec![
        ("name", json!(url)),
        ("status", json!("^2[0-9][0-9]$")),
        ("status_type", json!("pcre")),
    ];
    if let Some((pattern, kind)) = matching {
        args.push(("match", json!(pattern)));
        args.push(("match_type", json!(kind)));
    }
    args.extend([
        ("verify_ssl", json!(false)),
        ("wait_for", json!(timing.deadline)),
        ("request_interval", json!(timing.interval)),
        ("require", json!(after)),
    ]);
    sls.state(state.clone(), "http.wait_for_successful_query", args);
    Step::new("http", state)
}

fn retry(timing: &Timing) -> Value {
    json!({ "attempts": timing.attempts, "interval": timing.interval, "until": true })
}

fn tcp_wait(
    sls: &mut Sls,
    state: String,
    address: &str,
    port: u64,
    timing: &Timing,
    after: &[Value],
) -> Step {
    let probe = format!("exec 3<>/dev/tcp/{address}/{port}");
    let timeout = timing.timeout.to_string();
    sls.state(
        state.clone(),
        "cmd.run",
        vec![
            (
                "name",
                json!(shell::join(["timeout", &timeout, "bash", "-c", &probe])),
            ),
            ("retry", retry(timing)),
            ("require", json!(after)),
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
    after: &[Value],
) -> Step {
    let stack = input.stack;
    let service = stack.service(id);
    let timing = timing(health);
    let command = if service.decl.runtime.value == Runtime::Docker {
        shell::join(["docker", "exec", service.name(), "sh", "-c", command])
    } else {
        command.to_string()
    };
    sls.state(
        prefix.to_string(),
        "salt.function",
        vec![
            ("name", json!("cmd.run")),
            (
                "tgt",
                json!(super::orchestrate::targets(
                    stack,
                    &topology::hosts_of(stack, id)
                )),
            ),
            ("tgt_type", json!("list")),
            ("expect_minions", json!(true)),
            ("arg", json!([command])),
            (
                "kwarg",
                json!({ "python_shell": true, "timeout": timing.timeout }),
            ),
            ("retry", retry(&timing)),
            ("require", json!(after)),
        ],
    );
    Step::new("salt", prefix.to_string())
}

fn nomad_wait(
    sls: &mut Sls,
    input: &Input<'_>,
    prefix: &str,
    id: ServiceId,
    health: &HealthDecl,
    after: &[Value],
) -> Option<Step> {
    let stack = input.stack;
    let service = stack.service(id);
    let timing = timing(health);
    if let Some(consul) = topology::provider_endpoint(stack, input.analysis, Capability::Consul) {
        let port = service.health_port.map(|i| &service.decl.ports[i])?;
        let name = consul_service_name(service.name(), &port.name.value);
        let url = format!(
            "{}/v1/health/service/{name}?passing=true",
            consul.url(stack)
        );
        return Some(http_wait(
            sls,
            prefix.to_string(),
            &url,
            Some(("\"ServiceName\"", "string")),
            &timing,
            after,
        ));
    }
    let nomad = topology::provider_endpoint(stack, input.analysis, Capability::Nomad)?;
    let url = format!("{}/v1/job/{}/summary", nomad.url(stack), service.name());
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
    fn seconds_round_up() {
        assert_eq!(seconds(0), 1);
        assert_eq!(seconds(1000), 1);
        assert_eq!(seconds(1500), 2);
        assert_eq!(seconds(300_000), 300);
    }
}
