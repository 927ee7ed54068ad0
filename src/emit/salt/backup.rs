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

use std::borrow::Cow;
use std::fmt::Write as _;

use super::layout::Layout;
use super::paths::{self, LIB_DIR, SYSTEMD_DIR};
use super::secrets::{self, TOOLS};
use super::shell;
use super::sls::{Arg, Sls, Step};
use super::units;
use crate::ast::{BackupDecl, BackupHook, Runtime};
use crate::emit::{Artifacts, EmitError, Input};
use crate::model::{HostId, ServiceId, VolumeStorage};

pub(super) fn emit(
    input: &Input<'_>,
    layout: &Layout,
    out: &mut Artifacts,
) -> Result<(), EmitError> {
    for (host, volumes) in &layout.backups {
        host_sls(input, layout, *host, volumes)?.write(input, out)?;
    }
    Ok(())
}

fn host_sls(
    input: &Input<'_>,
    layout: &Layout,
    host: HostId,
    volumes: &[(ServiceId, usize)],
) -> Result<Sls, EmitError> {
    let stack = input.stack;
    let host_name = &stack.host(host).name.value;
    let mut sls = Sls::new(paths::backup_sls(host_name));
    // Per-host IDs: the backup files of all hosts are one namespace in Salt.
    let tools = [Step::new("pkg", format!("eos_backup.{host_name}.tools"))];
    let reload = [Step::new(
        "cmd",
        format!("eos_backup.{host_name}.daemon-reload"),
    )];
    let Some(settings) = &stack.settings.backup else {
        return Err(EmitError {
            artifact: sls.path(),
            message: "volumes have backups but the stack has no `backup` block".into(),
        });
    };
    let packages = std::iter::once("restic").chain(TOOLS).map(Cow::Borrowed);
    sls.state(
        tools[0].id.clone(),
        "pkg.installed",
        [("pkgs", Arg::Texts(packages.collect()))],
    );
    // The same for every volume of the file.
    let shared = ScriptParts {
        header: crate::emit::header("#", input.source_name),
        vault: secrets::vault_functions(input),
        secret: shell::quote(&settings.secret.value),
        repository: shell::quote(&settings.repository.value),
        nomad_address: layout.nomad_cli_address(),
    };
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
        let script_step = [Step::new("file", format!("{prefix}.script"))];
        sls.state(
            script_step[0].id.clone(),
            "file.managed",
            [
                ("name", Arg::from(format!("{LIB_DIR}/backup/{key}"))),
                ("contents", script(input, &shared, host, id, index).into()),
                ("mode", "0700".into()),
                ("makedirs", true.into()),
                ("require", tools.as_slice().into()),
            ],
        );
        let timer =
            timer_unit(&shared.header, service, &volume.name.value, backup).map_err(|message| {
                EmitError {
                    artifact: sls.path(),
                    message,
                }
            })?;
        let what = format!("{service}/{}", volume.name.value);
        for (suffix, contents) in [
            ("service", service_unit(&shared.header, &what, &key)),
            ("timer", timer),
        ] {
            let state = format!("{prefix}.{suffix}-unit");
            sls.state(
                state.clone(),
                "file.managed",
                [
                    (
                        "name",
                        Arg::from(format!("{SYSTEMD_DIR}/eos-backup-{key}.{suffix}")),
                    ),
                    ("contents", contents.into()),
                    ("mode", "0644".into()),
                    ("require", script_step.as_slice().into()),
                ],
            );
            unit_files.push(Step::new("file", state));
        }
        timers.push((
            format!("{prefix}.timer"),
            format!("eos-backup-{key}.timer"),
            [Step::new("file", format!("{prefix}.timer-unit"))],
        ));
    }
    units::daemon_reload(&mut sls, reload[0].id.clone(), &unit_files);
    for (state, unit, file) in &timers {
        sls.state(
            state.clone(),
            "service.running",
            [
                ("name", Arg::from(unit.as_str())),
                ("enable", true.into()),
                ("require", reload.as_slice().into()),
                ("watch", file.as_slice().into()),
            ],
        );
    }
    Ok(sls)
}

/// The parts of the backup scripts of one file that do not depend on the
/// volume.
struct ScriptParts<'a> {
    /// The generated-by comment line.
    header: String,
    /// The shell prelude defining `vault_data`.
    vault: String,
    /// The Vault path of the restic secret, shell-quoted.
    secret: String,
    /// The restic repository, shell-quoted.
    repository: String,
    /// The Nomad CLI's `-address`, for the `pg_dump` hook of nomad jobs.
    nomad_address: &'a str,
}

fn service_unit(header: &str, what: &str, key: &str) -> String {
    format!(
        "{header}[Unit]\nDescription=eos: restic backup of volume {what}\nWants=network-online.target\n\
         After=network-online.target\n\n[Service]\nType=oneshot\nExecStart={LIB_DIR}/backup/{key}\n"
    )
}

/// The timer; the schedule is checked again (as the spec's checks did) so
/// that no `%` specifier, quote or line continuation reaches the unit file.
fn timer_unit(
    header: &str,
    service: &str,
    volume: &str,
    backup: &BackupDecl,
) -> Result<String, String> {
    let schedule = backup.schedule.value.trim();
    if let Err(message) = crate::schema::validate::schedule(schedule) {
        return Err(format!(
            "the backup schedule of volume `{volume}` of `{service}`: {message}"
        ));
    }
    Ok(format!(
        "{header}[Unit]\nDescription=eos: schedule of the restic backup of volume {service}/{volume}\n\n\
         [Timer]\nOnCalendar={schedule}\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n"
    ))
}

/// The backup script of one volume.
fn script(
    input: &Input<'_>,
    shared: &ScriptParts<'_>,
    host: HostId,
    id: ServiceId,
    index: usize,
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
        VolumeStorage::Disk(_) => stack.host(host).name.value.as_str(),
        VolumeStorage::Cephfs => "cephfs",
    };
    let mut text = String::with_capacity(2048);
    text.push_str("#!/bin/sh\n");
    text.push_str(&shared.header);
    let _ = writeln!(
        text,
        "# restic backup of volume {}/{} ({data}). The restic password is read from Vault at run time.",
        service.name(),
        volume.name.value
    );
    text.push_str(&shared.vault);
    let _ = write!(
        text,
        r#"
secret=$(vault_data {secret})
RESTIC_PASSWORD=$(printf '%s' "$secret" | jq -jer '.password | if type == "string" then . else tojson end')
export RESTIC_PASSWORD
eval "$(printf '%s' "$secret" | jq -r 'to_entries[] | select(.key | test("^[A-Z][A-Z0-9_]*$")) | "export \(.key)=\(.value | if type == "string" then . else tojson end | @sh)"')"
RESTIC_REPOSITORY={repository}
export RESTIC_REPOSITORY
data={data}
"#,
        secret = shared.secret,
        repository = shared.repository,
        data = shell::quote(&data),
    );
    if backup.hook.value == BackupHook::PgDump {
        let _ = write!(
            text,
            "\n# pg_dump hook: a consistent dump next to the data, backed up with it.\nmkdir -p \"$data/eos-backup\"\n\
             {} > \"$data/eos-backup/pg_dumpall.sql.tmp\"\n\
             mv \"$data/eos-backup/pg_dumpall.sql.tmp\" \"$data/eos-backup/pg_dumpall.sql\"\n",
            dump_command(input, id, shared.nomad_address)
        );
    }
    let _ = write!(
        text,
        "\nrestic cat config >/dev/null 2>&1 || restic init\n\
         restic backup --host {host} --tag {tag} \"$data\"\n\
         restic forget --host {host} --tag {tag} --group-by host,tags \
         --keep-daily {daily} --keep-weekly {weekly} --keep-monthly {monthly} --prune\n",
        host = shell::quote(restic_host),
        tag = shell::quote(&tag),
        daily = backup.keep_daily.value,
        weekly = backup.keep_weekly.value,
        monthly = backup.keep_monthly.value,
    );
    text
}

/// `pg_dumpall` for the service's runtime.
fn dump_command(input: &Input<'_>, id: ServiceId, nomad_address: &str) -> String {
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
            let address = format!("-address={nomad_address}");
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
