//! `salt/eos/<service>.sls` for a docker service: the container runs as a
//! systemd unit `eos-<service>.service` wrapping `docker run`, written and
//! started by Salt's core `file` and `service` states.
//!
//! Why a unit and not `docker_container.running`: that state lives in the
//! saltext-dockermod extension and the `docker` Python library, which a
//! minion installed from the `salt` package lacks; and when it recreates a
//! container it reports the old and new environment — secrets included — in
//! the state's `changes`, which go to the master's job cache. The unit needs
//! only systemd and the Docker CLI, gives docker services the same slice,
//! secrets and restart handling as baremetal ones, and its file holds no
//! secret value.
//!
//! The unit: `ExecStartPre` removes a leftover container of the same name;
//! with secrets, `vault-secrets env-file` (as root, at every start) writes
//! `/run/eos/<service>/secrets.env`, loaded by `EnvironmentFile=-`; plain
//! `env` is set with `Environment=`. `docker run` passes every variable by
//! name (`-e NAME`), so the Docker CLI copies it from its own environment:
//! no value is on its command line. Then the memory reservation and limit
//! (`memory_max`, else `memory`), `--cpus`, `--cpuset-cpus`/`--cpuset-mems`
//! for `numa`, the volumes' folders bound at their paths (`--mount`, so a
//! `:` in a path cannot split it), the ports published on their numbers, the
//! image, and `command` then `args`, each one word (the image's CMD).
//! `Restart=on-failure`: a container stopped by `orch.shutdown`
//! (`systemctl stop`) stays down until `orch.bootstrap` starts it in order.

use serde_json::json;

use super::sls::{req, Sls, Step};
use super::{paths, secrets, units, volumes};
use crate::ast::PortProtocol;
use crate::emit::topology;
use crate::emit::{Artifacts, EmitError, Input};
use crate::model::ServiceId;

/// The Docker CLI as Debian's `docker.io` installs it.
const DOCKER: &str = "/usr/bin/docker";

/// The systemd unit (without `.service`) that runs a docker service.
pub(super) fn unit(service: &str) -> String {
    format!("eos-{service}")
}

pub(super) fn emit(input: &Input<'_>, out: &mut Artifacts, id: ServiceId) -> Result<(), EmitError> {
    let stack = input.stack;
    let name = stack.service(id).name();
    let prefix = format!("eos-{name}");
    let mut sls = Sls::new(paths::service_sls(name));
    let mut watch = Vec::new();
    if secrets::has_secrets(input, id) {
        secrets::add_script(&mut sls, input, id);
        watch.push(req("file", &format!("{prefix}.secrets.script")));
    }
    for index in volumes::managed(stack, id) {
        let folder = volumes::add_folder(&mut sls, stack, &prefix, id, index);
        watch.push(req("file", &folder));
    }
    let header = crate::emit::header("#", input.source_name);
    let slice = format!("{prefix}.slice");
    sls.state(
        slice.clone(),
        "file.managed",
        vec![
            (
                "name",
                json!(format!("{}/{}", paths::SYSTEMD_DIR, units::slice(name))),
            ),
            ("contents", json!(units::slice_unit(stack, id, &header))),
            ("mode", json!("0644")),
            ("makedirs", json!(true)),
        ],
    );
    let mut unit_files = vec![slice];
    let variants = units::numa_variants(stack, id, &topology::hosts_of(stack, id));
    for (cpus, hosts) in &variants {
        let mut args = vec![
            (
                "name",
                json!(format!("{}/{}.service", paths::SYSTEMD_DIR, unit(name))),
            ),
            ("contents", json!(unit_file(input, id, *cpus, &header))),
            ("mode", json!("0644")),
            ("makedirs", json!(true)),
        ];
        let state = if variants.len() == 1 {
            format!("{prefix}.unit")
        } else {
            let names: Vec<&str> = hosts
                .iter()
                .map(|&h| stack.host(h).name.value.as_str())
                .collect();
            args.push((
                "onlyif",
                json!([{ "fun": "match.list", "tgt": names.join(",") }]),
            ));
            format!("{prefix}.unit.{}", names[0])
        };
        sls.state(state.clone(), "file.managed", args);
        unit_files.push(state);
    }
    let unit_steps: Vec<Step> = unit_files
        .iter()
        .map(|f| Step::new("file", f.clone()))
        .collect();
    let reload = units::daemon_reload(&mut sls, format!("{prefix}.daemon-reload"), &unit_steps);
    watch.extend(unit_files.iter().map(|f| req("file", f)));
    sls.state(
        format!("{prefix}.service"),
        "service.running",
        vec![
            ("name", json!(unit(name))),
            ("enable", json!(true)),
            ("require", json!([req("cmd", &reload.id)])),
            ("watch", json!(watch)),
        ],
    );
    sls.write(input, out)
}

/// The unit file for the hosts whose NUMA node has the CPUs `cpus`.
fn unit_file(
    input: &Input<'_>,
    id: ServiceId,
    cpus: Option<crate::ast::CpuRange>,
    header: &str,
) -> String {
    let stack = input.stack;
    let service = stack.service(id);
    let decl = &service.decl;
    let name = service.name();
    let mut text = format!(
        "{header}[Unit]\nDescription=eos service {name} (docker container)\n\
         Requires=docker.service\nAfter=docker.service network-online.target\n\
         Wants=network-online.target\n\n[Service]\nSlice={}\n",
        units::slice(name)
    );
    let mut run: Vec<String> = [DOCKER, "run", "--rm", "--name", name]
        .iter()
        .map(|w| (*w).to_string())
        .collect();
    let env = crate::emit::topology::plain_env(input.stack, id);
    text.push_str(&units::environment_lines(&env));
    if secrets::has_secrets(input, id) {
        text.push_str(&secrets::service_lines(name));
    }
    let names = env
        .iter()
        .map(|v| v.key.value.as_str())
        .chain(secrets::variables(input, id));
    for var in names {
        run.extend(["-e".to_string(), var.to_string()]);
    }
    let limit = decl
        .memory_max
        .as_ref()
        .map_or(decl.memory.value, |m| m.value);
    run.extend([
        // Docker's systemd cgroup driver puts the container into the
        // service's slice, so the slice's limits hold for the container.
        format!("--cgroup-parent={}", units::slice(name)),
        format!("--memory-reservation={}", decl.memory.value),
        format!("--memory={limit}"),
        format!("--cpus={}", cpus_flag(decl.cpu.value)),
    ]);
    if let (Some(node), Some(cpus)) = (decl.numa(), cpus) {
        run.push(format!("--cpuset-cpus={}-{}", cpus.first, cpus.last));
        run.push(format!("--cpuset-mems={}", node.value));
    }
    for index in 0..decl.volumes.len() {
        run.push("--mount".into());
        let source = format!("source={}", paths::volume_dir(stack, id, index));
        let target = format!("target={}", decl.volumes[index].path.value);
        run.push(format!(
            "type=bind,{},{}",
            csv_field(&source),
            csv_field(&target)
        ));
    }
    for port in &decl.ports {
        let n = port.number.value;
        run.push("-p".into());
        run.push(if port.protocol.value == PortProtocol::Udp {
            format!("{n}:{n}/udp")
        } else {
            format!("{n}:{n}")
        });
    }
    run.push(
        decl.image
            .as_ref()
            .map_or(String::new(), |i| i.value.to_string()),
    );
    run.extend(decl.command().iter().map(|c| c.value.to_string()));
    run.extend(decl.args().iter().map(|a| a.value.to_string()));
    text.push_str(&format!(
        "ExecStartPre=-{DOCKER} rm -f {name}\nExecStart={}\nExecStop={DOCKER} stop -t 30 {name}\n\
         Restart=on-failure\nRestartSec=5s\nTimeoutStartSec=15min\n\n[Install]\nWantedBy=multi-user.target\n",
        run.iter().map(|w| units::systemd_word(w)).collect::<Vec<_>>().join(" ")
    ));
    text
}

/// `--cpus` for thousandths of a core: 500 → `0.5`, 2000 → `2`.
fn cpus_flag(milli: u64) -> String {
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{}.{:03}", milli / 1000, milli % 1000)
            .trim_end_matches('0')
            .to_string()
    }
}

/// A field of `--mount`'s comma-separated list: quoted (CSV) when it holds a
/// `,` or `"`.
fn csv_field(value: &str) -> String {
    if value.contains([',', '"']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_and_mount_fields() {
        assert_eq!(cpus_flag(500), "0.5");
        assert_eq!(cpus_flag(2000), "2");
        assert_eq!(cpus_flag(1250), "1.25");
        assert_eq!(csv_field("/srv/a"), "/srv/a");
        // Docker reads `--mount` as one CSV record (Go's encoding/csv): a
        // field with `,` or `"` is quoted whole, quotes doubled.
        assert_eq!(csv_field("source=/srv/a,b"), "\"source=/srv/a,b\"");
        assert_eq!(csv_field("source=/srv/\"x\""), "\"source=/srv/\"\"x\"\"\"");
        assert_eq!(csv_field("source=/srv/My Data"), "source=/srv/My Data");
    }
}
