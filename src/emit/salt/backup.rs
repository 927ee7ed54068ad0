//! `salt/eos/backup/<host>.sls`: restic backups of the volumes whose data is
//! on that host (a local disk's host; for cephfs volumes the first `CephFS`
//! client). Per volume: a script `/usr/local/lib/eos/backup/<service>_<volume>`,
//! and `eos-backup-<service>_<volume>.service` (oneshot) with a `.timer`
//! (`OnCalendar=` the schedule, `Persistent=true`).
//!
//! The script reads the secret at `stack.backup.secret` from Vault at run
//! time (`password` becomes `RESTIC_PASSWORD`; other upper-case keys, such as
//! `AWS_ACCESS_KEY_ID` for an `s3:` repository, are exported as named), runs
//! the `pg_dump` hook (`pg_dumpall` into `<data>/eos-backup/pg_dumpall.sql`:
//! as Debian's `postgres` user for baremetal, `docker exec` for docker,
//! `nomad alloc exec` for nomad, with `POSTGRES_USER` from `env` or
//! `postgres`), initialises the repository if needed, backs the data folder up
//! tagged `eos:<service>/<volume>`, then `restic forget --prune` with the
//! volume's `keep_*`.

use serde_json::json;

use super::layout::Layout;
use super::paths::{self, LIB_DIR, SYSTEMD_DIR};
use super::secrets::{self, TOOLS};
use super::shell;
use super::sls::{req, Sls};
use crate::ast::{BackupDecl, BackupHook, Capability, Runtime};
use crate::emit::{topology, Artifacts, EmitError, Input};
use crate::model::{HostId, ServiceId, VolumeStorage};

pub(super) fn emit(
    input: &Input<'_>,
    layout: &Layout,
    out: &mut Artifacts,
) -> Result<(), EmitError> {
    for (host, volumes) in &layout.backups {
        host_sls(input, *host, volumes)?.write(input, out)?;
    }
    Ok(())
}

fn host_sls(
    input: &Input<'_>,
    host: HostId,
    volumes: &[(ServiceId, usize)],
) -> Result<Sls, EmitError> {
    let stack = input.stack;
    let host_name = &stack.host(host).name.value;
    let mut sls = Sls::new(paths::backup_sls(host_name));
    // Per-host IDs: the backup files of all hosts are one namespace in Salt.
    let (tools_id, reload_id) = (
        format!("eos_backup.{host_name}.tools"),
        format!("eos_backup.{host_name}.daemon-reload"),
    );
    let Some(settings) = &stack.settings.backup else {
        return Err(EmitError {
            artifact: sls.path(),
            message: "volumes have backups but the stack has no `backup` block".into(),
        });
    };
    let mut tools: Vec<&str> = vec!["restic"];
    tools.extend(TOOLS);
    sls.state(
        tools_id.clone(),
        "pkg.installed",
        vec![("pkgs", json!(tools))],
    );
    let mut unit_files = Vec::new();
    let mut timers = Vec::new();
    for &(id, index) in volumes {
        let service = stack.service(id).name();
        let volume = &stack.service(id).decl.volumes[index];
        let Some(backup) = &volume.backup else {
            continue;
        };
        let key = paths::volume_key(service, &volume.name.value);
        let prefix = format!("eos_backup.{service}.{}", volume.name.value);
        let script = script(
            input,
            host,
            id,
            index,
            &settings.repository.value,
            &settings.secret.value,
        );
        sls.state(
            format!("{prefix}.script"),
            "file.managed",
            vec![
                ("name", json!(format!("{LIB_DIR}/backup/{key}"))),
                ("contents", json!(script)),
                ("mode", json!("0700")),
                ("makedirs", json!(true)),
                ("require", json!([req("pkg", &tools_id)])),
            ],
        );
        let timer = timer_unit(input, service, &volume.name.value, backup).map_err(|message| {
            EmitError {
                artifact: sls.path(),
                message,
            }
        })?;
        let what = format!("{service}/{}", volume.name.value);
        for (suffix, contents) in [
            ("service", service_unit(input, &what, &key)),
            ("timer", timer),
        ] {
            let state = format!("{prefix}.{suffix}-unit");
            sls.state(
                state.clone(),
                "file.managed",
                vec![
                    (
                        "name",
                        json!(format!("{SYSTEMD_DIR}/eos-backup-{key}.{suffix}")),
                    ),
                    ("contents", json!(contents)),
                    ("mode", json!("0644")),
                    ("require", json!([req("file", &format!("{prefix}.script"))])),
                ],
            );
            unit_files.push(req("file", &state));
        }
        timers.push((
            format!("{prefix}.timer"),
            format!("eos-backup-{key}.timer"),
            format!("{prefix}.timer-unit"),
        ));
    }
    sls.state(
        reload_id.clone(),
        "cmd.run",
        vec![
            ("name", json!("systemctl daemon-reload")),
            ("onchanges", json!(unit_files)),
        ],
    );
    for (state, unit, file) in timers {
        sls.state(
            state,
            "service.running",
            vec![
                ("name", json!(unit)),
                ("enable", json!(true)),
                ("require", json!([req("cmd", &reload_id)])),
                ("watch", json!([req("file", &file)])),
            ],
        );
    }
    Ok(sls)
}

fn service_unit(input: &Input<'_>, what: &str, key: &str) -> String {
    format!(
        "{}[Unit]\nDescription=eos: restic backup of volume {what}\nWants=network-online.target\n\
         After=network-online.target\n\n[Service]\nType=oneshot\nExecStart={LIB_DIR}/backup/{key}\n",
        crate::emit::header("#", input.source_name)
    )
}

/// The timer; the schedule must be a plain systemd calendar expression (no
/// `%` specifiers, quotes or line continuations reach the unit file).
fn timer_unit(
    input: &Input<'_>,
    service: &str,
    volume: &str,
    backup: &BackupDecl,
) -> Result<String, String> {
    let schedule = backup.schedule.value.trim();
    let calendar_chars = |c: char| c.is_ascii_alphanumeric() || " *-:/.,~+".contains(c);
    if schedule.is_empty() || !schedule.chars().all(calendar_chars) {
        return Err(format!(
            "the backup schedule of volume `{volume}` of `{service}` is not a systemd calendar expression: {:?}",
            backup.schedule.value
        ));
    }
    Ok(format!(
        "{}[Unit]\nDescription=eos: schedule of the restic backup of volume {service}/{volume}\n\n\
         [Timer]\nOnCalendar={schedule}\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n",
        crate::emit::header("#", input.source_name)
    ))
}

/// The backup script of one volume.
fn script(
    input: &Input<'_>,
    host: HostId,
    id: ServiceId,
    index: usize,
    repository: &str,
    secret: &str,
) -> String {
    let stack = input.stack;
    let service = stack.service(id);
    let volume = &service.decl.volumes[index];
    let Some(backup) = &volume.backup else {
        return String::new();
    };
    let data = paths::volume_dir(stack, id, index);
    let tag = format!("eos:{}/{}", service.name(), volume.name.value);
    let restic_host = match service.volumes[index] {
        VolumeStorage::Disk(_) => stack.host(host).name.value.clone(),
        VolumeStorage::Cephfs => "cephfs".to_string(),
    };
    let mut text = String::from("#!/bin/sh\n");
    text.push_str(&crate::emit::header("#", input.source_name));
    text.push_str(&format!(
        "# restic backup of volume {}/{} ({data}). The restic password is read from Vault at run time.\n",
        service.name(),
        volume.name.value
    ));
    text.push_str(&secrets::vault_functions(input));
    text.push_str(&format!(
        r#"
secret=$(vault_data {secret})
RESTIC_PASSWORD=$(printf '%s' "$secret" | jq -jer '.password | if type == "string" then . else tojson end')
export RESTIC_PASSWORD
eval "$(printf '%s' "$secret" | jq -r 'to_entries[] | select(.key | test("^[A-Z][A-Z0-9_]*$")) | "export \(.key)=\(.value | if type == "string" then . else tojson end | @sh)"')"
RESTIC_REPOSITORY={repository}
export RESTIC_REPOSITORY
data={data}
"#,
        secret = shell::quote(secret),
        repository = shell::quote(repository),
        data = shell::quote(&data),
    ));
    if backup.hook.value == BackupHook::PgDump {
        text.push_str(&format!(
            "\n# pg_dump hook: a consistent dump next to the data, backed up with it.\nmkdir -p \"$data/eos-backup\"\n\
             {} > \"$data/eos-backup/pg_dumpall.sql.tmp\"\n\
             mv \"$data/eos-backup/pg_dumpall.sql.tmp\" \"$data/eos-backup/pg_dumpall.sql\"\n",
            dump_command(input, id)
        ));
    }
    let keep = [
        ("--keep-daily", backup.keep_daily.value),
        ("--keep-weekly", backup.keep_weekly.value),
        ("--keep-monthly", backup.keep_monthly.value),
    ]
    .iter()
    .map(|(flag, n)| format!("{flag} {n}"))
    .collect::<Vec<_>>()
    .join(" ");
    text.push_str(&format!(
        "\nrestic cat config >/dev/null 2>&1 || restic init\n\
         restic backup --host {host} --tag {tag} \"$data\"\n\
         restic forget --host {host} --tag {tag} --group-by host,tags {keep} --prune\n",
        host = shell::quote(&restic_host),
        tag = shell::quote(&tag),
    ));
    text
}

/// `pg_dumpall` for the service's runtime.
fn dump_command(input: &Input<'_>, id: ServiceId) -> String {
    let stack = input.stack;
    let decl = &stack.service(id).decl;
    let user = decl
        .env
        .iter()
        .find(|v| v.key.value == "POSTGRES_USER")
        .map_or("postgres", |v| v.value.value.as_str());
    match decl.runtime.value {
        Runtime::Baremetal => "runuser -u postgres -- pg_dumpall".to_string(),
        Runtime::Docker => shell::join([
            "docker",
            "exec",
            decl.name.value.as_str(),
            "pg_dumpall",
            "-U",
            user,
        ]),
        Runtime::Nomad => {
            let address = topology::provider_endpoint(stack, input.analysis, Capability::Nomad)
                .map_or_else(|| "http://127.0.0.1:4646".to_string(), |e| e.url(stack));
            let address = format!("-address={address}");
            shell::join([
                "nomad",
                "alloc",
                "exec",
                &address,
                "-t=false",
                "-job",
                decl.name.value.as_str(),
                "pg_dumpall",
                "-U",
                user,
            ])
        }
    }
}
