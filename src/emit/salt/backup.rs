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
//!
//! Per volume also its restore script, run by `orch.restore.<service>` (see
//! [`restore_script`]), and its restore drill (LANGUAGE.md section 8), scheduled by the
//! backup's `verify`: `/usr/local/lib/eos/restore-drill/<service>_<volume>`
//! with `eos-restore-drill-<service>_<volume>.service` and `.timer`. It runs
//! `restic check`, restores the volume's latest snapshot into a scratch
//! folder (`$EOS_DRILL_DIR`, default `/var/tmp`; removed afterwards) and
//! fails the unit — which monitoring sees as a failed unit — when either
//! fails or the snapshot does not hold the volume's folder (or, with the
//! `pg_dump` hook, a dump).

use std::borrow::Cow;
use std::fmt::Write as _;

use super::layout::Layout;
use super::paths::{self, LIB_DIR, SYSTEMD_DIR};
use super::secrets::{self, TOOLS};
use super::shell;
use super::sls::{Arg, Sls, Step};
use super::units;
use crate::ast::{BackupHook, Runtime};
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
        let what = format!("{service}/{}", volume.name.value);
        let prefix = format!("eos_backup.{service}.{}", volume.name.value);
        let jobs = [
            Job {
                prefix: prefix.clone(),
                name: format!("backup/{key}"),
                unit: format!("eos-backup-{key}"),
                about: format!("restic backup of volume {what}"),
                schedule: &backup.schedule.value,
                script: script(input, &shared, host, id, index),
            },
            Job {
                prefix: format!("{prefix}.drill"),
                name: format!("restore-drill/{key}"),
                unit: format!("eos-restore-drill-{key}"),
                about: format!("restore drill of volume {what}"),
                schedule: &backup.verify.value,
                script: drill_script(input, &shared, host, id, index),
            },
        ];
        for job in jobs {
            add_job(
                &mut sls,
                &shared.header,
                &tools,
                job,
                &mut unit_files,
                &mut timers,
            )?;
        }
        // Run by orch.restore.<service>, not scheduled.
        sls.state(
            format!("{prefix}.restore.script"),
            "file.managed",
            [
                ("name", Arg::from(restore_script_path(&key))),
                (
                    "contents",
                    restore_script(input, &shared, host, id, index).into(),
                ),
                ("mode", "0700".into()),
                ("makedirs", true.into()),
                ("require", tools.as_slice().into()),
            ],
        );
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

/// One scheduled script of a volume: its backup, or its restore drill.
struct Job<'a> {
    /// The prefix of its state IDs.
    prefix: String,
    /// The script's path below `LIB_DIR`.
    name: String,
    /// The systemd unit's name, without `.service` / `.timer`.
    unit: String,
    /// What it does, for the units' descriptions and errors.
    about: String,
    /// Its `OnCalendar=`.
    schedule: &'a str,
    script: String,
}

/// The script, its oneshot service and its timer (files), adding the unit
/// files' states to `unit_files` and the timer to `timers`.
fn add_job(
    sls: &mut Sls,
    header: &str,
    tools: &[Step],
    job: Job<'_>,
    unit_files: &mut Vec<Step>,
    timers: &mut Vec<(String, String, [Step; 1])>,
) -> Result<(), EmitError> {
    let script_step = [Step::new("file", format!("{}.script", job.prefix))];
    let script_path = format!("{LIB_DIR}/{}", job.name);
    sls.state(
        script_step[0].id.clone(),
        "file.managed",
        [
            ("name", Arg::from(script_path.clone())),
            ("contents", job.script.into()),
            ("mode", "0700".into()),
            ("makedirs", true.into()),
            ("require", tools.into()),
        ],
    );
    let timer = timer_unit(header, &job.about, job.schedule).map_err(|message| EmitError {
        artifact: sls.path(),
        message,
    })?;
    for (suffix, contents) in [
        ("service", service_unit(header, &job.about, &script_path)),
        ("timer", timer),
    ] {
        let state = format!("{}.{suffix}-unit", job.prefix);
        sls.state(
            state.clone(),
            "file.managed",
            [
                (
                    "name",
                    Arg::from(format!("{SYSTEMD_DIR}/{}.{suffix}", job.unit)),
                ),
                ("contents", contents.into()),
                ("mode", "0644".into()),
                ("require", script_step.as_slice().into()),
            ],
        );
        unit_files.push(Step::new("file", state));
    }
    timers.push((
        format!("{}.timer", job.prefix),
        format!("{}.timer", job.unit),
        [Step::new("file", format!("{}.timer-unit", job.prefix))],
    ));
    Ok(())
}

fn service_unit(header: &str, about: &str, script: &str) -> String {
    format!(
        "{header}[Unit]\nDescription=eos: {about}\nWants=network-online.target\n\
         After=network-online.target\n\n[Service]\nType=oneshot\nExecStart={script}\n"
    )
}

/// The timer; the schedule is checked again (as the spec's checks did) so
/// that no `%` specifier, quote or line continuation reaches the unit file.
fn timer_unit(header: &str, about: &str, schedule: &str) -> Result<String, String> {
    let schedule = schedule.trim();
    if let Err(message) = crate::schema::validate::schedule(schedule) {
        return Err(format!("the schedule of the {about}: {message}"));
    }
    Ok(format!(
        "{header}[Unit]\nDescription=eos: schedule of the {about}\n\n\
         [Timer]\nOnCalendar={schedule}\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n"
    ))
}

/// What identifies a volume's snapshots in the repository.
struct Snapshots {
    /// The volume's folder on the host.
    data: String,
    /// restic's `--host`: the disk's host, or `cephfs` for a `CephFS` volume
    /// (whichever client backs it up).
    host: String,
    /// restic's `--tag`: `eos:<service>/<volume>`.
    tag: String,
    /// `<service>/<volume>`, for messages.
    what: String,
    /// The backup has the `pg_dump` hook.
    pg_dump: bool,
}

fn snapshots(input: &Input<'_>, host: HostId, id: ServiceId, index: usize) -> Snapshots {
    let stack = input.stack;
    let service = stack.service(id);
    let volume = &service.decl.volumes[index];
    let what = format!("{}/{}", service.name(), volume.name.value);
    Snapshots {
        data: paths::volume_dir(stack, id, index),
        host: match service.volumes[index] {
            VolumeStorage::Disk(_) => stack.host(host).name.value.to_string(),
            VolumeStorage::Cephfs => "cephfs".into(),
        },
        tag: format!("eos:{what}"),
        pg_dump: volume
            .backup
            .as_ref()
            .is_some_and(|b| b.hook.value == BackupHook::PgDump),
        what,
    }
}

/// The start of a backup or drill script: the restic password and any other
/// upper-case keys of the secret from Vault, the repository, and `data`.
fn prelude(shared: &ScriptParts<'_>, about: &str, data: &str) -> String {
    let mut text = String::with_capacity(2048);
    text.push_str("#!/bin/sh\n");
    text.push_str(&shared.header);
    let _ = writeln!(
        text,
        "# {about} ({data}). The restic password is read from Vault at run time."
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
        data = shell::quote(data),
    );
    text
}

/// The backup script of one volume.
fn script(
    input: &Input<'_>,
    shared: &ScriptParts<'_>,
    host: HostId,
    id: ServiceId,
    index: usize,
) -> String {
    let Some(backup) = &input.stack.service(id).decl.volumes[index].backup else {
        return String::new();
    };
    let found = snapshots(input, host, id, index);
    let about = format!("restic backup of volume {}", found.what);
    let mut text = prelude(shared, &about, &found.data);
    if found.pg_dump {
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
        host = shell::quote(&found.host),
        tag = shell::quote(&found.tag),
        daily = backup.keep_daily.value,
        weekly = backup.keep_weekly.value,
        monthly = backup.keep_monthly.value,
    );
    text
}

/// The restore drill of one volume: `restic check` of the repository, then
/// the volume's latest snapshot restored into a scratch folder (removed
/// afterwards), which must hold the volume's folder (and, with the
/// `pg_dump` hook, a dump that is not empty). Any failure fails the unit.
fn drill_script(
    input: &Input<'_>,
    shared: &ScriptParts<'_>,
    host: HostId,
    id: ServiceId,
    index: usize,
) -> String {
    let found = snapshots(input, host, id, index);
    let what = &found.what;
    let mut text = prelude(
        shared,
        &format!("restore drill of volume {what}"),
        &found.data,
    );
    let _ = write!(
        text,
        "what={what}\n\
         fail() {{ printf 'restore drill of %s: %s\\n' \"$what\" \"$1\" >&2; exit 1; }}\n\
         scratch=$(mktemp -d \"${{EOS_DRILL_DIR:-/var/tmp}}/eos-restore-drill.XXXXXX\")\n\
         trap 'rm -rf \"$scratch\"' EXIT\n\n\
         restic check || fail 'restic check found a problem in the repository'\n\
         restic restore latest --verify --host {host} --tag {tag} --target \"$scratch\" || fail 'the latest snapshot did not restore'\n\
         # restic restores a snapshot under the absolute paths it backed up.\n\
         [ -d \"$scratch$data\" ] || fail \"the latest snapshot does not hold $data\"\n",
        what = shell::quote(what),
        host = shell::quote(&found.host),
        tag = shell::quote(&found.tag),
    );
    if found.pg_dump {
        text.push_str(
            "[ -s \"$scratch$data/eos-backup/pg_dumpall.sql\" ] || fail 'the snapshot holds no pg_dumpall.sql'\n",
        );
    }
    text.push_str(
        "printf 'restore drill of %s: repository checked, latest snapshot restored (%s files)\\n' \\\n    \"$what\" \"$(find \"$scratch\" -type f | wc -l)\"\n",
    );
    text
}

/// Where the restore script of a volume is installed.
pub(super) fn restore_script_path(key: &str) -> String {
    format!("{LIB_DIR}/restore/{key}")
}

/// The restore of one volume, run by `orch.restore.<service>` while the
/// service is stopped (`files`) and, with the `pg_dump` hook, once it is
/// healthy again (`load`).
///
/// `files`: the volume's folder is moved aside (`<data>.before-restore-<UTC
/// time>`, kept for the operator) and the latest snapshot restored in its
/// place; on failure the folder is put back. With `pg_dump` the dump is the
/// consistent copy: it is held beside the folder, the restored files are
/// moved aside too, and the server starts on an empty folder — a fresh
/// cluster (`initdb` for baremetal; the postgres image initialises an empty
/// data folder itself) — into which `load` feeds the dump with `psql`.
fn restore_script(
    input: &Input<'_>,
    shared: &ScriptParts<'_>,
    host: HostId,
    id: ServiceId,
    index: usize,
) -> String {
    let found = snapshots(input, host, id, index);
    let what = &found.what;
    let mut text = prelude(shared, &format!("restore of volume {what}"), &found.data);
    let _ = write!(
        text,
        "what={what}\n\
         held=\"$data.restore-dump.sql\"\n\
         fail() {{ printf 'restore of %s: %s\\n' \"$what\" \"$1\" >&2; exit 1; }}\n\n\
         case \"${{1:-}}\" in\n\
         files)\n\
         \x20   aside=\"$data.before-restore-$(date -u +%Y%m%dT%H%M%SZ)\"\n\
         \x20   if [ -e \"$data\" ]; then mv \"$data\" \"$aside\"; fi\n\
         \x20   # restic restores a snapshot under the absolute paths it backed up.\n\
         \x20   if ! restic restore latest --verify --host {host} --tag {tag} --target / || [ ! -d \"$data\" ]; then\n\
         \x20       rm -rf \"$data\"\n\
         \x20       if [ -e \"$aside\" ]; then mv \"$aside\" \"$data\"; fi\n\
         \x20       fail 'the latest snapshot did not restore; the folder is as it was'\n\
         \x20   fi\n",
        what = shell::quote(what),
        host = shell::quote(&found.host),
        tag = shell::quote(&found.tag),
    );
    if found.pg_dump {
        let _ = write!(
            text,
            "    # pg_dump hook: load the consistent dump into a fresh cluster.\n\
             \x20   [ -s \"$data/eos-backup/pg_dumpall.sql\" ] || fail 'the snapshot holds no pg_dumpall.sql'\n\
             \x20   mv \"$data/eos-backup/pg_dumpall.sql\" \"$held\"\n\
             \x20   mv \"$data\" \"$data.restored-files\"\n\
             \x20   mkdir -m 0700 \"$data\"\n\
             \x20   chown --reference=\"$data.restored-files\" \"$data\"\n{}",
            fresh_cluster(input, id)
        );
    }
    let _ = write!(
        text,
        "    printf 'restore of %s: latest snapshot restored into %s\\n' \"$what\" \"$data\"\n\
         \x20   ;;\n\
         load)\n\
         \x20   [ -f \"$held\" ] || exit 0\n\
         \x20   {} < \"$held\" || fail 'psql could not load the dump'\n\
         \x20   mv \"$held\" \"$held.loaded\"\n\
         \x20   printf 'restore of %s: dump loaded\\n' \"$what\"\n\
         \x20   ;;\n\
         *) fail \"usage: $0 files|load\" ;;\n\
         esac\n",
        psql_command(input, id, shared.nomad_address)
    );
    text
}

/// For a baremetal `PostgreSQL`, `initdb` of the empty data folder (the newest
/// installed version's); containers initialise an empty folder themselves.
fn fresh_cluster(input: &Input<'_>, id: ServiceId) -> &'static str {
    if input.stack.service(id).decl.runtime.value == Runtime::Baremetal {
        "    initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)\n\
         \x20   runuser -u postgres -- \"$initdb\" -D \"$data\" >/dev/null\n"
    } else {
        ""
    }
}

/// `psql` reading a `pg_dumpall` file on its standard input, for the
/// service's runtime (as [`dump_command`] runs `pg_dumpall`).
fn psql_command(input: &Input<'_>, id: ServiceId, nomad_address: &str) -> String {
    let decl = &input.stack.service(id).decl;
    let user = decl
        .env
        .iter()
        .find(|v| v.key.value == "POSTGRES_USER")
        .map_or("postgres", |v| v.value.value.as_str());
    let name = decl.name.value.as_str();
    match decl.runtime.value {
        Runtime::Baremetal => "runuser -u postgres -- psql -q -d postgres".to_string(),
        Runtime::Docker => shell::join([
            "docker", "exec", "-i", name, "psql", "-q", "-U", user, "-d", "postgres",
        ]),
        Runtime::Nomad => {
            let address = format!("-address={nomad_address}");
            shell::join([
                "nomad", "alloc", "exec", &address, "-i", "-t=false", "-job", name, "psql", "-q",
                "-U", user, "-d", "postgres",
            ])
        }
    }
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
