//! systemd for baremetal services: which unit(s) a package runs, and the
//! resource limits the spec gives them.
//!
//! The unit is the package name, except for Debian packages whose daemon unit
//! is named otherwise: `docker.io` runs `docker`, `postgresql-N` runs
//! `postgresql@N-main`, and `ceph` runs its daemons from templates under
//! `ceph.target`.
//!
//! Limits: every baremetal service gets a slice `eos_<name>.slice` (dashes
//! become `_`, since `-` means nesting in slice names) holding the service's
//! budget as a whole — `MemoryLow` = `memory`, `MemoryMax` = `memory_max` or else
//! `memory` (Nomad's meaning: without `memory_max` the reservation is the
//! limit), `CPUQuota` = `cpu` × 100% — and each unit a drop-in
//! `/etc/systemd/system/<unit>.d/eos-limits.conf` putting it in that slice with
//! the same limits, plus `NUMAPolicy=bind`, `NUMAMask=N` and `CPUAffinity=` the
//! node's CPUs for `numa = N`. A node's CPU range may differ between hosts, so
//! drop-ins come in variants, one per distinct range, each naming its hosts.

use super::sls::{Arg, Sls, Step};
use crate::ast::CpuRange;
use crate::model::{HostId, ServiceId, Stack};

/// `Environment=` lines setting `env` exactly as written.
pub(super) fn environment_lines(env: &[crate::ast::EnvVar]) -> String {
    let mut text = String::new();
    for var in env {
        text.push_str("Environment=");
        text.push_str(&systemd_word(
            &[&var.key.value, "=", &var.value.value].concat(),
        ));
        text.push('\n');
    }
    text
}

/// What a path is handed to by [`hand_to_unit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Handover {
    /// `chown USER:GROUP`: a data folder the service writes.
    Owner,
    /// `chgrp GROUP`: a config file the service reads but others may not.
    Group,
}

/// State `id` (`cmd.run`, after `require`): `path` handed to the user and
/// group `unit` runs as — `User=` and `Group=` as systemd reports them once
/// the package is installed, the group defaulting to the user's primary
/// group. The spec does not name users: the package's unit knows them. A
/// unit without `User=` runs as root and keeps root's path. Idempotent
/// (`unless` the path already has that owner); only `path` itself changes.
pub(super) fn hand_to_unit(
    sls: &mut Sls,
    id: String,
    (unit, path): (&str, &str),
    handover: Handover,
    require: &Step,
) -> Step {
    let unit = super::shell::quote(unit);
    let path = super::shell::quote(path);
    let who = format!(
        "u=$(systemctl show -P User {unit}); g=$(systemctl show -P Group {unit}); \
         if [ -z \"$g\" ] && [ -n \"$u\" ]; then g=$(id -gn \"$u\"); fi"
    );
    let (change, current, wanted) = match handover {
        Handover::Owner => ("chown \"$u:$g\"", "%U:%G", "$u:$g"),
        Handover::Group => ("chgrp \"$g\"", "%G", "$g"),
    };
    let set = if handover == Handover::Owner {
        "$u"
    } else {
        "$g"
    };
    sls.state(
        id.clone(),
        "cmd.run",
        [
            (
                "name",
                Arg::from(format!(
                    "{who}; if [ -n \"{set}\" ]; then {change} {path}; fi"
                )),
            ),
            (
                "unless",
                Arg::from(format!(
                    "{who}; [ -z \"{set}\" ] || [ \"$(stat -c {current} {path})\" = \"{wanted}\" ]"
                )),
            ),
            ("require", Arg::from(std::slice::from_ref(require))),
        ],
    );
    Step::new("cmd", id)
}

/// State `id`: `systemctl daemon-reload` when any of `unit_files` changed.
pub(super) fn daemon_reload(sls: &mut Sls, id: String, unit_files: &[Step]) -> Step {
    sls.state(
        id.clone(),
        "cmd.run",
        [
            ("name", Arg::from("systemctl daemon-reload")),
            ("onchanges", unit_files.into()),
        ],
    );
    Step::new("cmd", id)
}

/// How systemd runs a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Units {
    /// What `service.running` starts and enables.
    pub(super) start: String,
    /// Unit files that get the limits drop-in (`docker.service`, `ceph-osd@.service`).
    pub(super) dropins: Vec<String>,
}

pub(super) fn units(package: &str) -> Units {
    let single = |unit: &str| Units {
        start: unit.to_string(),
        dropins: vec![format!("{unit}.service")],
    };
    if package == "docker.io" {
        return single("docker");
    }
    if package == "ceph" {
        return Units {
            start: "ceph.target".into(),
            dropins: ["mon", "mgr", "mds", "osd"]
                .iter()
                .map(|d| format!("ceph-{d}@.service"))
                .collect(),
        };
    }
    match package.strip_prefix("postgresql-") {
        Some(version) if !version.is_empty() && version.chars().all(|c| c.is_ascii_digit()) => {
            single(&format!("postgresql@{version}-main"))
        }
        _ => single(package),
    }
}

/// The slice of a service: `eos_boundary_db.slice`.
pub(super) fn slice(service: &str) -> String {
    format!("eos_{}.slice", service.replace('-', "_"))
}

/// `CPUQuota=` for thousandths of a core: 500 → `50%`, 1500 → `150%`, 5 → `0.5%`.
pub(super) fn cpu_quota(milli: u64) -> String {
    if milli % 10 == 0 {
        format!("{}%", milli / 10)
    } else {
        format!("{}.{}%", milli / 10, milli % 10)
    }
}

/// The budget lines shared by the slice and the drop-ins.
fn budget_lines(stack: &Stack, id: ServiceId) -> String {
    let decl = &stack.service(id).decl;
    let max = decl
        .memory_max
        .as_ref()
        .map_or(decl.memory.value, |m| m.value);
    format!(
        "MemoryLow={}\nMemoryMax={max}\nCPUQuota={}\n",
        decl.memory.value,
        cpu_quota(decl.cpu.value)
    )
}

/// The slice unit file.
pub(super) fn slice_unit(stack: &Stack, id: ServiceId, header: &str) -> String {
    format!(
        "{header}[Unit]\nDescription=Resource budget of service {}\n\n[Slice]\n{}",
        stack.service(id).name(),
        budget_lines(stack, id)
    )
}

/// One drop-in for the hosts whose NUMA node has the CPUs `cpus`.
pub(super) fn limits_dropin(
    stack: &Stack,
    id: ServiceId,
    cpus: Option<CpuRange>,
    header: &str,
) -> String {
    let service = stack.service(id);
    let mut text = format!(
        "{header}[Service]\nSlice={}\n{}",
        slice(service.name()),
        budget_lines(stack, id)
    );
    if let (Some(node), Some(cpus)) = (service.decl.numa(), cpus) {
        text.push_str(&format!(
            "NUMAPolicy=bind\nNUMAMask={}\nCPUAffinity={}-{}\n",
            node.value, cpus.first, cpus.last
        ));
    }
    text
}

/// The CPUs of the service's NUMA node on each of its hosts, grouped: one
/// entry per distinct range with its hosts, in host order. Without `numa`,
/// one entry with every host and no range.
pub(super) fn numa_variants(
    stack: &Stack,
    id: ServiceId,
    hosts: &[HostId],
) -> Vec<(Option<CpuRange>, Vec<HostId>)> {
    let mut variants: Vec<(Option<CpuRange>, Vec<HostId>)> = Vec::new();
    let node = stack.service(id).decl.numa().map(|n| n.value);
    for &host in hosts {
        let cpus = node.and_then(|n| {
            stack
                .host(host)
                .numa
                .iter()
                .find(|d| d.id.value == n)
                .map(|d| d.cpus.value)
        });
        match variants.iter_mut().find(|(c, _)| *c == cpus) {
            Some((_, list)) => list.push(host),
            None => variants.push((cpus, vec![host])),
        }
    }
    variants
}

/// One word of a systemd command line or assignment, exactly `value` after
/// systemd's unquoting: bare when it has nothing systemd reads specially,
/// else double-quoted with C escapes; `%` (specifiers) and `$` (variable
/// expansion) doubled either way.
pub(super) fn systemd_word(value: &str) -> String {
    if value == ";" {
        // A lone `;` separates commands, quoted or not.
        return "\\;".into();
    }
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@+,".contains(c));
    if plain {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '%' => out.push_str("%%"),
            '$' => out.push_str("$$"),
            c if c.is_control() => {
                // `\xNN` is one byte to systemd: a char's UTF-8 bytes each.
                let mut bytes = [0u8; 4];
                for byte in c.encode_utf8(&mut bytes).bytes() {
                    out.push_str(&format!("\\x{byte:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemd_words_round_trip_specials() {
        assert_eq!(systemd_word("/usr/bin/docker"), "/usr/bin/docker");
        assert_eq!(systemd_word("a b"), "\"a b\"");
        assert_eq!(systemd_word("50%"), "\"50%%\"");
        assert_eq!(systemd_word("$HOME"), "\"$$HOME\"");
        assert_eq!(systemd_word("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
        assert_eq!(systemd_word(""), "\"\"");
        assert_eq!(systemd_word(";"), "\\;");
        assert_eq!(systemd_word("a\u{85}"), "\"a\\xc2\\x85\"");
    }

    #[test]
    fn debian_packages_map_to_their_units() {
        assert_eq!(units("vault").start, "vault");
        assert_eq!(units("vault").dropins, ["vault.service"]);
        assert_eq!(units("docker.io").dropins, ["docker.service"]);
        assert_eq!(units("postgresql-16").start, "postgresql@16-main");
        assert_eq!(units("postgresql-common").start, "postgresql-common");
        assert_eq!(units("ceph").start, "ceph.target");
        assert_eq!(units("ceph").dropins.len(), 4);
    }

    #[test]
    fn quotas_and_slices() {
        assert_eq!(cpu_quota(500), "50%");
        assert_eq!(cpu_quota(2000), "200%");
        assert_eq!(cpu_quota(1), "0.1%");
        assert_eq!(slice("boundary-db"), "eos_boundary_db.slice");
    }
}
