//! `salt/eos/<service>.sls` for a baremetal service, in apply order: volume
//! folders bind-mounted onto their paths, the package, its config files, the
//! secrets script and drop-in, the slice and limits drop-ins (`units.rs`), a
//! `systemctl daemon-reload` when a unit file changed, and the service running,
//! enabled, restarted when any of these change.
//!
//! State IDs are `eos-<service>.<what>`: service names have no `.`, so IDs of
//! two services never meet.

use serde_json::{json, Value};

use super::sls::{req, Sls};
use super::{files, paths, secrets, units, volumes};
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
    let mut pkg_args = vec![("name", json!(service.decl.package.value))];
    if !mounts.is_empty() {
        pkg_args.push((
            "require",
            json!(mounts.iter().map(|m| req("mount", m)).collect::<Vec<_>>()),
        ));
    }
    sls.state(pkg.clone(), "pkg.installed", pkg_args);
    watch.extend(mounts.iter().map(|m| req("mount", m)));

    for file in files::add(&mut sls, input, out, id, &pkg)? {
        watch.push(req("file", &file));
    }
    let unit_files = add_unit_files(&mut sls, input, id, &pkg);
    watch.extend(unit_files.iter().map(|f| req("file", f)));

    let reload = format!("{prefix}.daemon-reload");
    sls.state(
        reload.clone(),
        "cmd.run",
        vec![
            ("name", json!("systemctl daemon-reload")),
            (
                "onchanges",
                json!(unit_files
                    .iter()
                    .map(|f| req("file", f))
                    .collect::<Vec<_>>()),
            ),
        ],
    );
    sls.state(
        format!("{prefix}.service"),
        "service.running",
        vec![
            (
                "name",
                json!(units::units(&service.decl.package.value).start),
            ),
            ("enable", json!(true)),
            ("require", json!([req("pkg", &pkg), req("cmd", &reload)])),
            ("watch", json!(watch)),
        ],
    );
    sls.write(input, out)
}

/// The slice, the limits drop-ins and the secrets script and drop-ins, all
/// after the package (whose maintainer scripts may start the service: a
/// secrets drop-in present then could fail the install). Returns their IDs.
fn add_unit_files(sls: &mut Sls, input: &Input<'_>, id: ServiceId, pkg: &str) -> Vec<String> {
    let stack = input.stack;
    let name = stack.service(id).name();
    let prefix = format!("eos-{name}");
    let header = crate::emit::header("#", input.source_name);
    let units = units::units(&stack.service(id).decl.package.value);
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
