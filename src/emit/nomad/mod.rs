//! `nomad/<service>.nomad.hcl`: one Nomad job per nomad service, applied by
//! Terraform (`nomad_job` reads the file) when Salt's orchestrate run reaches
//! the service's stage.
//!
//! Shape: `job "<service>"` → `group "<service>"` (count, constraints,
//! network ports, volumes) → `task "<service>"` (docker driver, env, volume
//! mounts, Vault, secret templates, resources, Consul services with checks).
//!
//! Conventions:
//!
//! - Placement: Nomad client names (`node.unique.name`, the agent's `name`,
//!   by default the machine's host name) are the spec's host names (which are
//!   also the Salt minion IDs). `on` becomes a constraint on them; a local-disk
//!   volume adds a constraint to its disk's host.
//! - Local-disk volumes are Nomad host volumes named `<service>-<volume>`
//!   ([`host_volume_name`]); the Nomad client on the disk's host must declare
//!   `host_volume "<service>-<volume>"` with a folder on that disk (Salt
//!   creates the folder and the client configuration).
//! - `CephFS` volumes are host volumes too, `<service>-<volume>`: every Nomad
//!   client mounts `CephFS` at `/mnt/cephfs` (Salt, before the first job) and
//!   declares the volume's folder there, so any client can run the job — no
//!   CSI plugin, nothing to register, and the folders are the ones the
//!   backups read.
//! - CPU: `cpu` in MHz = cores × the clock of the slowest candidate client
//!   ([`resources::reference_clock`]), rounded up. With `numa`, `cores =
//!   ceil(cpu)` instead, plus `numa { affinity = "require" }` when the stack's
//!   `nomad_edition = enterprise` (Nomad CE refuses the block: W0312; Nomad
//!   picks the NUMA node itself, it cannot be told node N).
//! - Memory in MiB (Nomad's "MB"), rounded up; `memory_max` likewise.
//! - Secrets: `vault { role = "eos-<service>" }` (workload identity; the role
//!   and its policy are written by the Terraform emitter) and one
//!   `template` per secret rendering `secrets/<secret>.env` into the task's
//!   environment (see [`vault`]).
//! - `meta { eosc_stack = "<stack>" }` marks the job as this stack's (for
//!   `eosc diff`, which reports such jobs when the stack drops them).
//! - Consul: a service `<service>-<port>` per port; the health port's service
//!   carries the check (http with the path, else tcp) with `check_restart`
//!   after the health grace.
//!
//! The jobspecs are written with [`super::hcl_doc`]; every spec string goes
//! through [`Value::string`] (escaped by [`super::hcl::escape`]). Nomad interpolates
//! `${…}` at run time in task fields (env, args, image…) when the name is one
//! of its variables; the jobspec carries the spec's text exactly, and that
//! run-time interpolation applies to it as Nomad documents.

pub(crate) mod resources;
pub(crate) mod vault;

use std::borrow::Cow;

use super::hcl_doc::{Block, Body, Value};
use super::terraform::vault_role_name;
use super::topology::{self, consul_service_name};
use super::{header, Artifacts, EmitError, Input};
use crate::ast::{EnvVar, HealthDecl, PortDecl, PortProtocol, Runtime};
use crate::model::{HostId, Service, ServiceId, Stack, VolumeStorage};

/// Where the jobspec of a service is written, relative to the output folder.
pub(crate) fn jobspec_path(service: &str) -> String {
    ["nomad/", service, ".nomad.hcl"].concat()
}

/// The Nomad client `host_volume` a local-disk volume of a nomad service uses.
pub(crate) fn host_volume_name(service: &str, volume: &str) -> String {
    format!("{service}-{volume}")
}

/// The job `meta` key naming the stack a job belongs to: `eosc diff` reports
/// a job carrying it that the stack no longer declares, and never a job
/// without it (someone else's).
pub const STACK_META_KEY: &str = "eosc_stack";

/// Consecutive health check failures before Nomad restarts the task.
const CHECK_RESTART_LIMIT: u64 = 3;
/// Nomad's attribute for the client name, written for Nomad to interpolate.
const NODE_NAME: &str = "${node.unique.name}";

/// What every jobspec needs, computed once (see [`super::shared`], which
/// hands out the jobs).
pub(super) struct Jobs {
    /// The reference clock of a job that may run on every client.
    all_clients_clock: u64,
    /// The first lines of every jobspec.
    head: String,
}

impl Jobs {
    pub(super) fn new(input: &Input<'_>) -> Self {
        let stack = input.stack;
        let clients = &input.analysis.placement.nomad_clients;
        Self {
            all_clients_clock: resources::reference_clock(
                clients.iter().map(|&h| stack.host(h).cpu_mhz.value),
            ),
            head: format!("{}\n", header("#", input.source_name)),
        }
    }

    /// The services that get a jobspec, in order.
    pub(super) fn services<'s>(input: &Input<'s>) -> impl Iterator<Item = ServiceId> + 's {
        topology::services_with_runtime(input.stack, Runtime::Nomad)
    }

    /// Writes the jobspec of service `id`.
    pub(super) fn write(
        &self,
        input: &Input<'_>,
        id: ServiceId,
        out: &mut Artifacts,
    ) -> Result<(), EmitError> {
        let path = jobspec_path(input.stack.service(id).name());
        let fail = |message: String| EmitError {
            artifact: path.clone(),
            message,
        };
        let (body, comments) = job(input, id, self.all_clients_clock).map_err(fail)?;
        let text = body.write(&self.head, &comments).map_err(fail)?;
        out.add(path, text);
        Ok(())
    }
}

/// Comment lines to put before the first line equal to the key.
type Comments = Vec<(String, Vec<String>)>;

/// The job of one nomad service, and the comments that explain it.
/// `all_clients_clock` is the reference clock of a job that may run on every
/// client (computed once for all jobs).
fn job(
    input: &Input<'_>,
    id: ServiceId,
    all_clients_clock: u64,
) -> Result<(Body, Comments), String> {
    let stack = input.stack;
    let service = stack.service(id);
    let name = service.name();
    let mut comments = Comments::new();
    let mut group = Block::builder("group")
        .add_label(name)
        .add_attribute("count", Value::number(service.decl.count.value));
    for constraint in constraints(stack, service) {
        group = group.add_block(constraint);
    }
    if !service.decl.ports.is_empty() {
        let mut network = Block::builder("network");
        for port in &service.decl.ports {
            network = network.add_block(network_port(port));
        }
        group = group.add_block(network.build());
    }
    for (volume, storage) in service.decl.volumes.iter().zip(&service.volumes) {
        let label = volume.name.value.as_str();
        let block = Block::builder("volume").add_label(label);
        let (block, note) = match storage {
            VolumeStorage::Disk(disk) => {
                let source = host_volume_name(name, label);
                let host = &stack.host(disk.host).name.value;
                let block = block
                    .add_attribute("type", Value::string("host"))
                    .add_attribute("source", Value::string(&source))
                    .add_attribute("read_only", Value::bool(false));
                let note = format!(
                    "Host volume `{source}`: declared by the Nomad client on {host} (disk {}).",
                    stack.disk(*disk).name.value
                );
                (block, note)
            }
            VolumeStorage::Cephfs => {
                let source = host_volume_name(name, label);
                let block = block
                    .add_attribute("type", Value::string("host"))
                    .add_attribute("source", Value::string(&source))
                    .add_attribute("read_only", Value::bool(false));
                let note = format!(
                    "Host volume `{source}` on CephFS: declared by every Nomad client over its CephFS mount."
                );
                (block, note)
            }
        };
        comments.push((["volume \"", label, "\" {"].concat(), vec![note]));
        group = group.add_block(block.build());
    }
    let (task, task_comments) = task(input, id, all_clients_clock)?;
    comments.extend(task_comments);
    group = group.add_block(task);
    let job = Block::builder("job")
        .add_label(name)
        .add_attribute(
            "datacenters",
            Value::strings([stack.settings.datacenter.value.as_str()]),
        )
        .add_attribute("type", Value::string("service"))
        .add_block(
            Block::builder("meta")
                .add_attribute(STACK_META_KEY, Value::string(&stack.settings.name.value))
                .build(),
        )
        .add_block(group.build())
        .build();
    let mut body = Body::default();
    body.add_block(job);
    Ok((body, comments))
}

/// `on` and the host of local-disk volumes as constraints on the client name.
fn constraints(stack: &Stack, service: &Service) -> Vec<Block> {
    let host_names = |hosts: &[HostId]| -> Vec<&str> {
        hosts
            .iter()
            .map(|&h| stack.host(h).name.value.as_str())
            .collect()
    };
    let mut sets: Vec<Vec<&str>> = Vec::new();
    if let Some(on) = &service.on {
        sets.push(host_names(on));
    }
    for storage in &service.volumes {
        if let VolumeStorage::Disk(disk) = storage {
            let pin = host_names(&[disk.host]);
            if !sets.contains(&pin) {
                sets.push(pin);
            }
        }
    }
    sets.into_iter()
        .filter(|hosts| !hosts.is_empty())
        .map(|hosts| {
            let (operator, value) = match hosts.as_slice() {
                [one] => ("=", (*one).to_string()),
                many => ("set_contains_any", many.join(",")),
            };
            Block::builder("constraint")
                .add_attribute("attribute", Value::template(NODE_NAME))
                .add_attribute("operator", Value::string(operator))
                .add_attribute("value", Value::string(&value))
                .build()
        })
        .collect()
}

/// `port "<name>" { static = N  to = N }`: the container listens on `number`;
/// the host port is dynamic unless the port is static.
fn network_port(port: &PortDecl) -> Block {
    let number = port.number.value;
    let mut block = Block::builder("port").add_label(port.name.value.as_str());
    if port.is_static.value {
        block = block.add_attribute("static", Value::number(number));
    }
    block.add_attribute("to", Value::number(number)).build()
}

fn task(
    input: &Input<'_>,
    id: ServiceId,
    all_clients_clock: u64,
) -> Result<(Block, Comments), String> {
    let stack = input.stack;
    let service = stack.service(id);
    let decl = &service.decl;
    let name = service.name();
    let mut comments = Comments::new();
    let image = decl
        .image
        .as_ref()
        .ok_or_else(|| format!("nomad service `{name}` has no image"))?;
    let mut config = Block::builder("config").add_attribute("image", Value::string(&image.value));
    if let Some(command) = decl.command() {
        config = config.add_attribute("command", Value::string(&command.value));
    }
    if !decl.args().is_empty() {
        config = config.add_attribute(
            "args",
            Value::strings(decl.args().iter().map(|a| a.value.as_str())),
        );
    }
    if !decl.ports.is_empty() {
        config = config.add_attribute(
            "ports",
            Value::strings(decl.ports.iter().map(|p| p.name.value.as_str())),
        );
    }
    let mut task = Block::builder("task")
        .add_label(name)
        .add_attribute("driver", Value::string("docker"))
        .add_block(config.build());
    task = match env(&crate::emit::topology::plain_env(input.stack, id)) {
        Some(Env::Block(block)) => task.add_block(block),
        Some(Env::Object(object)) => task.add_attribute("env", object),
        None => task,
    };
    for volume in &decl.volumes {
        task = task.add_block(
            Block::builder("volume_mount")
                .add_attribute("volume", Value::string(&volume.name.value))
                .add_attribute("destination", Value::string(&volume.path.value))
                .add_attribute("read_only", Value::bool(false))
                .build(),
        );
    }
    if !decl.secrets.is_empty() {
        task = task.add_block(
            Block::builder("vault")
                .add_attribute("role", Value::string(&vault_role_name(name)))
                .build(),
        );
    }
    for secret in &decl.secrets {
        let data = vault::template_data(secret)?;
        task = task.add_block(
            Block::builder("template")
                .add_attribute("data", Value::string(&data))
                .add_attribute(
                    "destination",
                    Value::string(&["secrets/", &secret.name.value, ".env"].concat()),
                )
                .add_attribute("env", Value::bool(true))
                .build(),
        );
    }
    if let Some(data) = connections_template(input, id) {
        task = task.add_block(
            Block::builder("template")
                .add_attribute("data", Value::string(&data))
                .add_attribute("destination", Value::string(CONNECTIONS_ENV))
                .add_attribute("env", Value::bool(true))
                .build(),
        );
    }
    let (resources, numa) = resources(input, id, all_clients_clock)?;
    if numa && enterprise(input) {
        comments.push((
            "numa {".to_string(),
            vec![
                "NUMA-aware scheduling (`numa` with `cores`) needs Nomad Enterprise.".to_string(),
                "Nomad keeps the cores on one NUMA node; it cannot be told which node.".to_string(),
            ],
        ));
    } else if numa {
        comments.push((
            "resources {".to_string(),
            vec![
                "Whole cores for `numa`, on no particular NUMA node: Nomad CE refuses".to_string(),
                "`numa { affinity = \"require\" }` (W0312).".to_string(),
            ],
        ));
    }
    task = task.add_block(resources);
    for (index, port) in decl.ports.iter().enumerate() {
        let health = decl
            .health
            .as_deref()
            .filter(|_| service.health_port == Some(index));
        task = task.add_block(consul_service(name, port, health)?);
    }
    Ok((task.build(), comments))
}

/// How a task's environment is written.
enum Env {
    /// `env { KEY = "value" }`
    Block(Block),
    /// `env = { "KEY" = "value" }`, when a key is not a plain identifier
    /// (Nomad's documented form for such names).
    Object(Value),
}

fn env(vars: &[EnvVar]) -> Option<Env> {
    if vars.is_empty() {
        return None;
    }
    let plain = |key: &str| {
        let mut chars = key.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if vars.iter().all(|v| plain(&v.key.value)) {
        let block = vars.iter().fold(Block::builder("env"), |block, var| {
            block.add_attribute(var.key.value.clone(), Value::string(&var.value.value))
        });
        Some(Env::Block(block.build()))
    } else {
        let entries = vars
            .iter()
            .map(|var| (var.key.value.as_str(), var.value.value.as_str()));
        Some(Env::Object(Value::string_object(entries)))
    }
}

/// Where a job's connections to Consul-registered services are rendered.
const CONNECTIONS_ENV: &str = "local/eos-connections.env";

/// The template of the connections whose targets are found in Consul: one
/// `KEY=value` line each, from the first healthy instance of the target's
/// Consul service. Nomad renders it before the task starts and restarts the
/// task when the answer changes (the template's default `change_mode`).
fn connections_template(input: &Input<'_>, id: ServiceId) -> Option<String> {
    use crate::ast::ConnectionPart;
    use crate::emit::topology::ConnectionValue;
    let mut data = String::new();
    for (decl, value) in crate::emit::topology::connections(input.stack, id) {
        let ConnectionValue::Consul { service, part } = value else {
            continue;
        };
        let shown = match part {
            ConnectionPart::Both => "{{ .Address }}:{{ .Port }}",
            ConnectionPart::Address => "{{ .Address }}",
            ConnectionPart::Port => "{{ .Port }}",
        };
        data.push_str(&format!(
            "{}={{{{ with service \"{service}\" }}}}{{{{ with index . 0 }}}}{shown}{{{{ end }}}}{{{{ end }}}}\n",
            decl.key.value
        ));
    }
    (!data.is_empty()).then_some(data)
}

/// The `resources` block, and whether it is NUMA-pinned.
fn resources(
    input: &Input<'_>,
    id: ServiceId,
    all_clients_clock: u64,
) -> Result<(Block, bool), String> {
    let stack = input.stack;
    let decl = &stack.service(id).decl;
    let memory = resources::memory_mb(decl.memory.value);
    if memory < resources::MIN_MEMORY_MB {
        return Err(format!(
            "memory of `{}` is {memory} MB; Nomad refuses tasks with less than {} MB",
            decl.name.value,
            resources::MIN_MEMORY_MB
        ));
    }
    let mut block = Block::builder("resources");
    let numa = decl.numa().is_some();
    if numa {
        block = block.add_attribute(
            "cores",
            Value::number(resources::whole_cores(decl.cpu.value)),
        );
    } else {
        let clock = match input.analysis.placement.candidates_for(stack, id) {
            Cow::Borrowed(_) => all_clients_clock,
            Cow::Owned(candidates) => {
                resources::reference_clock(candidates.iter().map(|&h| stack.host(h).cpu_mhz.value))
            }
        };
        block = block.add_attribute(
            "cpu",
            Value::number(resources::cpu_mhz(decl.cpu.value, clock)),
        );
    }
    block = block.add_attribute("memory", Value::number(memory));
    if let Some(max) = &decl.memory_max {
        block = block.add_attribute("memory_max", Value::number(resources::memory_mb(max.value)));
    }
    if numa && enterprise(input) {
        block = block.add_block(
            Block::builder("numa")
                .add_attribute("affinity", Value::string("require"))
                .build(),
        );
    }
    Ok((block.build(), numa))
}

/// Whether the stack's Nomad is Enterprise, the only edition that takes a
/// `numa` block.
fn enterprise(input: &Input<'_>) -> bool {
    input.stack.settings.nomad_edition.value == crate::ast::NomadEdition::Enterprise
}

/// `service { name = "<service>-<port>" … }`, with the check when `health`
/// is on this port.
fn consul_service(
    service: &str,
    port: &PortDecl,
    health: Option<&HealthDecl>,
) -> Result<Block, String> {
    let consul_name = consul_service_name(service, &port.name.value);
    let mut block = Block::builder("service")
        .add_attribute("name", Value::string(&consul_name))
        .add_attribute("port", Value::string(&port.name.value))
        .add_attribute("provider", Value::string("consul"));
    if let Some(health) = health {
        if port.protocol.value == PortProtocol::Udp {
            return Err(format!(
                "the health check of `{service}` is on udp port `{}`: Nomad checks only tcp and http",
                port.name.value
            ));
        }
        let mut check = Block::builder("check").add_attribute(
            "name",
            Value::string(&[consul_name.as_str(), "-health"].concat()),
        );
        match health.path() {
            Some(path) => {
                check = check
                    .add_attribute("type", Value::string("http"))
                    .add_attribute("path", Value::string(&path.value));
                if port.protocol.value == PortProtocol::Https {
                    // The check dials the allocation's address, which no
                    // certificate names.
                    check = check
                        .add_attribute("protocol", Value::string("https"))
                        .add_attribute("tls_skip_verify", Value::bool(true));
                }
            }
            None => check = check.add_attribute("type", Value::string("tcp")),
        }
        check = check
            .add_attribute(
                "interval",
                Value::string(&resources::duration(health.interval.value)),
            )
            .add_attribute(
                "timeout",
                Value::string(&resources::duration(health.timeout.value)),
            )
            .add_block(
                Block::builder("check_restart")
                    .add_attribute("limit", Value::number(CHECK_RESTART_LIMIT))
                    .add_attribute(
                        "grace",
                        Value::string(&resources::duration(health.grace.value)),
                    )
                    .add_attribute("ignore_warnings", Value::bool(false))
                    .build(),
            );
        block = block.add_block(check.build());
    }
    Ok(block.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{HealthCheck, Reference};
    use crate::span::{Span, Spanned};

    #[test]
    fn naming_conventions() {
        assert_eq!(jobspec_path("app"), "nomad/app.nomad.hcl");
        assert_eq!(host_volume_name("postgres", "data"), "postgres-data");
    }

    fn text(value: &str) -> Spanned<compact_str::CompactString> {
        Spanned::new(value.into(), Span::default())
    }

    fn format(block: Block) -> String {
        let mut body = Body::default();
        body.add_block(block);
        body.write("", &[]).unwrap()
    }

    /// The text of a block with single spaces (the aligned `=` aside).
    fn words(block: Block) -> String {
        let text = format(block);
        let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
        words.join(" ")
    }

    fn format_env(env: Env) -> String {
        let mut body = Body::default();
        match env {
            Env::Block(block) => body.add_block(block),
            Env::Object(object) => body.add_attribute("env", object),
        }
        body.write("", &[]).unwrap()
    }

    #[test]
    fn env_is_a_block_of_identifiers_or_an_object() {
        let var = |k: &str, v: &str| EnvVar {
            key: text(k),
            value: text(v),
        };
        assert!(env(&[]).is_none());
        let block = env(&[var("A_1", "x"), var("b", "${y}")]).unwrap();
        assert_eq!(
            format_env(block),
            "env {\n  A_1 = \"x\"\n  b   = \"\\u0024{y}\"\n}\n"
        );
        let object = env(&[var("A", "x"), var("discovery.type", "single-node")]).unwrap();
        assert_eq!(
            format_env(object),
            "env = {\n  \"A\"              = \"x\"\n  \"discovery.type\" = \"single-node\"\n}\n"
        );
    }

    fn port(protocol: PortProtocol) -> PortDecl {
        PortDecl {
            name: text("api"),
            head: Span::default(),
            number: Spanned::new(8443, Span::default()),
            protocol: Spanned::new(protocol, Span::default()),
            is_static: Spanned::new(false, Span::default()),
            admin: Spanned::new(false, Span::default()),
        }
    }

    fn health(path: Option<&str>) -> HealthDecl {
        HealthDecl {
            head: Span::default(),
            check: HealthCheck::Port {
                port: Reference::default(),
                path: path.map(text),
            },
            interval: Spanned::new(15_000, Span::default()),
            timeout: Spanned::new(1_500, Span::default()),
            grace: Spanned::new(300_000, Span::default()),
        }
    }

    #[test]
    fn checks_follow_the_health_block() {
        let https =
            consul_service("app", &port(PortProtocol::Https), Some(&health(Some("/h")))).unwrap();
        let text = words(https);
        for line in [
            "name = \"app-api\"",
            "name = \"app-api-health\"",
            "type = \"http\"",
            "path = \"/h\"",
            "protocol = \"https\"",
            "tls_skip_verify = true",
            "interval = \"15s\"",
            "timeout = \"1500ms\"",
            "grace = \"5m\"",
            "limit = 3",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        let tcp =
            words(consul_service("app", &port(PortProtocol::Tcp), Some(&health(None))).unwrap());
        assert!(
            tcp.contains("type = \"tcp\"") && !tcp.contains("path"),
            "{tcp}"
        );
        let plain = words(consul_service("app", &port(PortProtocol::Http), None).unwrap());
        assert!(!plain.contains("check"), "{plain}");
        let udp = consul_service("app", &port(PortProtocol::Udp), Some(&health(None)));
        assert!(udp.unwrap_err().contains("udp"));
    }

    #[test]
    fn node_name_is_written_for_nomad_to_interpolate() {
        let mut body = Body::default();
        body.add_attribute("attribute", Value::template(NODE_NAME));
        assert_eq!(
            body.write("", &[]).unwrap(),
            "attribute = \"${node.unique.name}\"\n"
        );
    }
}
