//! `salt/eos/<service>.sls` for a docker service: `docker_container.running`
//! (saltext.dockermod) with the image, command and args, environment (plain
//! `env` plus secrets read from Vault at apply time, see `secrets.rs`), the
//! volumes' folders bound at their paths, the ports published on the host,
//! the memory reservation and limit (`memory_max`, else `memory`),
//! `nano_cpus`, `cpuset_cpus`/`cpuset_mems` for `numa`, and restart policy
//! `unless-stopped` (a container stopped by `orch.shutdown` stays down until
//! `orch.bootstrap` starts it in order).
//!
//! `command` and `args` are passed as one string of `sh`-quoted words, which
//! docker-py splits with `shlex` back into exactly the spec's words (a list
//! would let Salt read an item starting with `__slot__:` as a call).

use serde_json::{json, Map, Value};

use super::sls::{req, Sls};
use super::{paths, secrets, shell, units, volumes};
use crate::ast::PortProtocol;
use crate::emit::topology;
use crate::emit::{Artifacts, EmitError, Input};
use crate::model::ServiceId;

pub(super) fn emit(input: &Input<'_>, out: &mut Artifacts, id: ServiceId) -> Result<(), EmitError> {
    let stack = input.stack;
    let name = stack.service(id).name();
    let prefix = format!("eos-{name}");
    let mut sls = Sls::new(paths::service_sls(name));
    let mut require = Vec::new();
    if secrets::has_secrets(input, id) {
        secrets::add_script(&mut sls, input, id);
        require.push(req("file", &format!("{prefix}.secrets.script")));
    }
    for index in volumes::managed(stack, id) {
        let folder = volumes::add_folder(&mut sls, stack, &prefix, id, index);
        require.push(req("file", &folder));
    }
    let environment = environment(&mut sls, input, id);
    let base = container_args(input, id, environment, &require);
    let variants = units::numa_variants(stack, id, &topology::hosts_of(stack, id));
    let numa = stack.service(id).decl.numa.map(|n| n.value);
    for (cpus, hosts) in &variants {
        let mut args = base.clone();
        if let (Some(node), Some(cpus)) = (numa, cpus) {
            args.push((
                "cpuset_cpus",
                json!(format!("{}-{}", cpus.first, cpus.last)),
            ));
            args.push(("cpuset_mems", json!(node.to_string())));
        }
        let state = if variants.len() == 1 {
            format!("{prefix}.container")
        } else {
            let names: Vec<&str> = hosts
                .iter()
                .map(|&h| stack.host(h).name.value.as_str())
                .collect();
            args.push((
                "onlyif",
                json!([{ "fun": "match.list", "tgt": names.join(",") }]),
            ));
            format!("{prefix}.container.{}", names[0])
        };
        sls.state(state, "docker_container.running", args);
    }
    sls.write(input, out)
}

/// `env` in declaration order, then the secrets' variables.
fn environment(sls: &mut Sls, input: &Input<'_>, id: ServiceId) -> Value {
    let mut env = Map::new();
    for var in &input.stack.service(id).decl.env {
        env.insert(var.key.value.clone(), json!(var.value.value));
    }
    for (var, value) in secrets::docker_env(sls, input, id) {
        env.insert(var, value);
    }
    Value::Object(env)
}

fn container_args(
    input: &Input<'_>,
    id: ServiceId,
    environment: Value,
    require: &[Value],
) -> Vec<(&'static str, Value)> {
    let stack = input.stack;
    let decl = &stack.service(id).decl;
    let mut args = vec![
        ("name", json!(decl.name.value)),
        (
            "image",
            json!(decl.image.as_ref().map_or("", |i| i.value.as_str())),
        ),
    ];
    let words: Vec<&str> = decl
        .command
        .iter()
        .map(|c| c.value.as_str())
        .chain(decl.args.iter().map(|a| a.value.as_str()))
        .collect();
    if !words.is_empty() {
        args.push(("command", json!(shell::join(words))));
    }
    if environment.as_object().is_some_and(|e| !e.is_empty()) {
        args.push(("environment", environment));
    }
    if !decl.volumes.is_empty() {
        args.push(("binds", volumes::docker_binds(stack, id)));
    }
    if !decl.ports.is_empty() {
        args.push(("port_bindings", json!(port_bindings(input, id))));
    }
    let limit = decl
        .memory_max
        .as_ref()
        .map_or(decl.memory.value, |m| m.value);
    args.extend([
        ("mem_reservation", json!(decl.memory.value)),
        ("mem_limit", json!(limit)),
        ("nano_cpus", json!(decl.cpu.value * 1_000_000)),
        ("restart_policy", json!("unless-stopped")),
    ]);
    if !require.is_empty() {
        args.push(("require", json!(require)));
    }
    args
}

/// `HOST:CONTAINER[/udp]`: each port published on its own number.
fn port_bindings(input: &Input<'_>, id: ServiceId) -> Vec<String> {
    input
        .stack
        .service(id)
        .decl
        .ports
        .iter()
        .map(|p| {
            let n = p.number.value;
            if p.protocol.value == PortProtocol::Udp {
                format!("{n}:{n}/udp")
            } else {
                format!("{n}:{n}")
            }
        })
        .collect()
}
