//! `salt/eos/<service>.sls` for a baremetal service, in apply order: volume
//! folders bind-mounted onto their paths, for a proxy provider a site-less
//! config (`proxy::seed_config`), the package, the volume folders handed to
//! the unit's user, its config files (the restricted ones to the unit's
//! group), the slice, limits, `env` (`Environment=`), `ExecStart` (boundary)
//! and secrets drop-ins (`units.rs`, `secrets.rs`), a `systemctl
//! daemon-reload` when a unit file changed, and the service running,
//! enabled, restarted when any of these change.
//!
//! State IDs are `eos-<service>.<what>`: service names have no `.`, so IDs of
//! two services never meet.

use serde_json::{json, Value};

use super::sls::{req, Sls, Step};
use super::{files, paths, proxy, secrets, units, volumes};
use crate::emit::topology;
use crate::emit::{Artifacts, EmitError, Input};
use crate::model::ServiceId;

pub(super) fn emit(input: &Input<'_>, out: &mut Artifacts, id: ServiceId) -> Result<(), EmitError> {
    let stack = input.stack;
    let service = stack.service(id);
    let name = service.name();
    let prefix = format!("eos-{name}");
    let mut sls = Sls::new(paths::service_sls(name));
    let mut watch: Vec<Value> = Vec::new();

    let mounts: Vec<String> = volumes::managed(stack, id)
        .into_iter()
        .map(|index| volumes::add_bind_mount(&mut sls, stack, &prefix, id, index))
        .collect();
    let pkg = format!("{prefix}.pkg");
    let mut pkg_args = vec![("name", json!(service.decl.package()))];
    if let Some(version) = service.decl.package_version() {
        // apt's own form: Salt installs `NAME=VERSION` (and downgrades to it).
        pkg_args.push(("version", json!(version.value)));
    }
    let mut before_pkg: Vec<Value> = mounts.iter().map(|m| req("mount", m)).collect();
    for (path, contents) in service
        .decl
        .provides()
        .iter()
        .filter_map(|c| proxy::seed_config(c.value))
    {
        let seed = format!("{prefix}.seed-config");
        sls.state(
            seed.clone(),
            "file.managed",
            vec![
                ("name", json!(path)),
                ("contents", json!(contents)),
                ("mode", json!("0644")),
                ("makedirs", json!(true)),
                ("replace", json!(false)),
            ],
        );
        before_pkg.push(req("file", &seed));
    }
    if !before_pkg.is_empty() {
        pkg_args.push(("require", json!(before_pkg)));
    }
    sls.state(pkg.clone(), "pkg.installed", pkg_args);
    for owner in owner_states(&mut sls, input, id, &pkg) {
        watch.push(req("cmd", &owner));
    }
    watch.extend(mounts.iter().map(|m| req("mount", m)));

    watch.extend(files::add(&mut sls, input, out, id, &pkg)?);
    let unit_files = add_unit_files(&mut sls, input, id, &pkg);
    watch.extend(unit_files.iter().map(|f| req("file", f)));

    let unit_steps: Vec<Step> = unit_files
        .iter()
        .map(|f| Step::new("file", f.clone()))
        .collect();
    let reload = units::daemon_reload(&mut sls, format!("{prefix}.daemon-reload"), &unit_steps);
    sls.state(
        format!("{prefix}.service"),
        "service.running",
        vec![
            ("name", json!(units::units(service.decl.package()).start)),
            ("enable", json!(true)),
            ("require", json!([req("pkg", &pkg), req("cmd", &reload.id)])),
            ("watch", json!(watch)),
        ],
    );
    sls.write(input, out)
}

/// The service's `env` as the unit's `Environment=` (a drop-in
/// `eos-env.conf`): baremetal services get their plain variables from
/// systemd, exactly as written.
fn env_dropin(input: &Input<'_>, id: ServiceId, header: &str) -> String {
    format!(
        "{header}[Service]\n{}",
        units::environment_lines(&crate::emit::topology::plain_env(input.stack, id))
    )
}

/// Packages whose unit starts the daemon with a fixed config file the spec
/// does not write: `HashiCorp`'s `boundary` runs `boundary server
/// -config=/etc/boundary.d/boundary.hcl`, so a controller or worker whose
/// config is `/etc/boundary.d/controller.hcl` would start on the package's
/// example. The drop-in points `ExecStart` at the service's own `.hcl` file
/// under `/etc/boundary.d` (its first one).
fn exec_override(input: &Input<'_>, id: ServiceId, header: &str) -> Option<(String, String)> {
    let decl = &input.stack.service(id).decl;
    if decl.package() != "boundary" {
        return None;
    }
    let config = decl
        .files()
        .iter()
        .map(|f| f.path.value.as_str())
        .find(|p| {
            p.starts_with("/etc/boundary.d/")
                && std::path::Path::new(p)
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("hcl"))
        })?;
    let exec = units::systemd_word(&format!("-config={config}"));
    Some((
        "boundary.service".into(),
        format!("{header}[Service]\nExecStart=\nExecStart=/usr/bin/boundary server {exec}\n"),
    ))
}

/// After the package: each volume's folder (bind-mounted on its `path`)
/// handed to the user and group of the package's unit, so a service that
/// does not run as root (e.g. `vault`) can write its data. Returns the IDs.
fn owner_states(sls: &mut Sls, input: &Input<'_>, id: ServiceId, pkg: &str) -> Vec<String> {
    let stack = input.stack;
    let service = stack.service(id);
    let unit = units::units(service.decl.package()).start;
    volumes::managed(stack, id)
        .into_iter()
        .map(|index| {
            let volume = &service.decl.volumes[index];
            units::hand_to_unit(
                sls,
                format!("eos-{}.volume.{}.owner", service.name(), volume.name.value),
                (&unit, &volume.path.value),
                units::Handover::Owner,
                &Step::new("pkg", pkg.to_string()),
            )
            .id
        })
        .collect()
}

/// The slice, the limits drop-ins and the secrets script and drop-ins, all
/// after the package (whose maintainer scripts may start the service: a
/// secrets drop-in present then could fail the install). Returns their IDs.
fn add_unit_files(sls: &mut Sls, input: &Input<'_>, id: ServiceId, pkg: &str) -> Vec<String> {
    let stack = input.stack;
    let name = stack.service(id).name();
    let prefix = format!("eos-{name}");
    let header = crate::emit::header("#", input.source_name);
    let units = units::units(stack.service(id).decl.package());
    let managed =
        |path: String, contents: String, require: Value, extra: Vec<(&'static str, Value)>| {
            let mut args = vec![
                ("name", json!(path)),
                ("contents", json!(contents)),
                ("mode", json!("0644")),
                ("makedirs", json!(true)),
                ("require", require),
            ];
            args.extend(extra);
            args
        };
    let after_pkg = || json!([req("pkg", pkg)]);
    let mut ids = Vec::new();

    let slice = format!("{prefix}.slice");
    let slice_path = format!("{}/{}", paths::SYSTEMD_DIR, units::slice(name));
    sls.state(
        slice.clone(),
        "file.managed",
        managed(
            slice_path,
            units::slice_unit(stack, id, &header),
            after_pkg(),
            vec![],
        ),
    );
    ids.push(slice);

    let variants = units::numa_variants(stack, id, &topology::hosts_of(stack, id));
    for unit in &units.dropins {
        for (cpus, hosts) in &variants {
            let path = format!("{}/{unit}.d/eos-limits.conf", paths::SYSTEMD_DIR);
            let contents = units::limits_dropin(stack, id, *cpus, &header);
            let (state, extra) = if variants.len() == 1 {
                (format!("{prefix}.limits.{unit}"), vec![])
            } else {
                // The node's CPUs differ between hosts: each variant applies
                // only on its own minions.
                let names: Vec<&str> = hosts
                    .iter()
                    .map(|&h| stack.host(h).name.value.as_str())
                    .collect();
                let onlyif = json!([{ "fun": "match.list", "tgt": names.join(",") }]);
                (
                    format!("{prefix}.limits.{unit}.{}", names[0]),
                    vec![("onlyif", onlyif)],
                )
            };
            sls.state(
                state.clone(),
                "file.managed",
                managed(path, contents, after_pkg(), extra),
            );
            ids.push(state);
        }
    }

    let decl = &stack.service(id).decl;
    if !decl.env.is_empty() || !decl.connections.is_empty() {
        for unit in &units.dropins {
            let state = format!("{prefix}.env.{unit}");
            sls.state(
                state.clone(),
                "file.managed",
                managed(
                    format!("{}/{unit}.d/eos-env.conf", paths::SYSTEMD_DIR),
                    env_dropin(input, id, &header),
                    after_pkg(),
                    vec![],
                ),
            );
            ids.push(state);
        }
    }

    if let Some((unit, contents)) = exec_override(input, id, &header) {
        let state = format!("{prefix}.exec");
        sls.state(
            state.clone(),
            "file.managed",
            managed(
                format!("{}/{unit}.d/eos-exec.conf", paths::SYSTEMD_DIR),
                contents,
                after_pkg(),
                vec![],
            ),
        );
        ids.push(state);
    }

    if secrets::has_secrets(input, id) {
        secrets::add_script(sls, input, id);
        ids.push(format!("{prefix}.secrets.script"));
        for unit in &units.dropins {
            let state = format!("{prefix}.secrets.{unit}");
            let require = json!([
                req("pkg", pkg),
                req("file", &format!("{prefix}.secrets.script"))
            ]);
            let args = managed(
                secrets::dropin_path(unit),
                secrets::dropin(name, &header),
                require,
                vec![],
            );
            sls.state(state.clone(), "file.managed", args);
            ids.push(state);
        }
    }
    ids
}
