//! The `service` block with its `port`, `health`, `volume`, `secret` and `file`
//! blocks, and the rules that tie attributes to the runtime.

use super::host::positive_size;
use super::reader::BlockReader;
use super::value::{Cores, DurationMs, EnvEntries, Size, StringMap};
use super::{check_range, in_range, name_label, no_label, unique_names, validate};
use crate::ast::{
    BackupDecl, BackupHook, Capability, EnvVar, FileDecl, HealthCheck, HealthDecl, IoClass,
    PortDecl, PortProtocol, Reference, Runtime, SecretDecl, ServiceDecl, ServiceExtras,
    VolumeBackend, VolumeDecl, VolumePlacement,
};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::span::{Span, Spanned};
use crate::syntax::{Block, LabelValue};
use compact_str::CompactString;
use smallvec::SmallVec;

pub(super) fn lower(block: &Block, diags: &mut Diagnostics) -> ServiceDecl {
    let mut r = BlockReader::new(block, diags);
    let name = name_label(&mut r, block);
    let runtime = r.required::<Runtime>("runtime");
    let provides = r
        .or_default::<Vec<Spanned<Capability>>>("provides", Vec::new())
        .value;
    let on: Option<Box<[Reference]>> = r
        .optional::<Vec<Spanned<Reference>>>("on")
        .map(|list| list.value.into_iter().map(|s| s.value).collect());
    let written_package = r.optional_valid::<CompactString>("package", |p| validate::package(p));
    let (package, package_version) = match written_package {
        Some(written) => {
            let (name, version) = validate::split_package(&written.value);
            (
                Some(Spanned::new(CompactString::from(name), written.span)),
                version.map(|v| Spanned::new(CompactString::from(v), written.span)),
            )
        }
        None => (None, None),
    };
    let image = r.optional_valid::<CompactString>("image", |i| {
        validate::plain_text(i, "an image reference")
    });
    let command =
        r.optional_valid::<CompactString>("command", |c| validate::single_line(c, "a command"));
    let args = r
        .or_default::<Vec<Spanned<CompactString>>>("args", Vec::new())
        .value;
    let count = r.or_default::<u64>("count", 1);
    let memory = r.required_valid::<Size>("memory", |s| positive_size(*s));
    let memory = Spanned::new(memory.value.0, memory.span);
    let memory_max = r
        .optional::<Size>("memory_max")
        .map(|m| Spanned::new(m.value.0, m.span));
    let cpu = r.required_valid::<Cores>("cpu", |c| {
        if c.0 == 0 {
            Err("cpu must be more than 0".into())
        } else {
            Ok(())
        }
    });
    let cpu = Spanned::new(cpu.value.0, cpu.span);
    let numa = r.optional_valid::<u64>("numa", |n| in_range(*n, "a NUMA node id", 0, 1023));
    let after: Box<[Reference]> = r
        .or_default::<Vec<Spanned<Reference>>>("after", Vec::new())
        .value
        .into_iter()
        .map(|s| s.value)
        .collect();
    let entries = r
        .or_default::<EnvEntries>("env", EnvEntries::default())
        .value;
    let env = env_vars(StringMap(entries.plain), r.diags);
    let connections = entries.connections;
    for connection in &connections {
        super::check_value(r.diags, &connection.key, |k| validate::env_key(k), None);
    }
    let ports: Vec<PortDecl> = r.blocks("port").map(|b| port(b, r.diags)).collect();
    let health_block = r.single_block("health");
    let health = health_block.map(|b| Box::new(health(b, r.diags)));
    let volumes: Vec<VolumeDecl> = r.blocks("volume").map(|b| volume(b, r.diags)).collect();
    let secrets: Vec<SecretDecl> = r.blocks("secret").map(|b| secret(b, r.diags)).collect();
    let files: Vec<FileDecl> = r.blocks("file").map(|b| file(b, r.diags)).collect();
    let runtime_attrs = RuntimeAttributes {
        has_on: r.is_set("on"),
        has_image: image.is_some(),
        package_set: r.raw("package").map(|a| a.name.span),
        command_set: r.raw("command").map(|a| a.name.span),
        args_set: r.raw("args").map(|a| a.name.span),
        count_set: r.raw("count").map(|a| a.name.span),
        // From the block: beside `port` (E0107), the declaration keeps
        // the port check only.
        health_command: health_block
            .and_then(|b| b.attributes().find(|a| a.name.name == "command"))
            .map(|a| a.value.span),
    };
    r.finish();

    let extras = ServiceExtras {
        provides: provides.into(),
        on,
        package,
        package_version,
        command,
        args: args.into(),
        numa,
        files: files.into(),
    };
    let service = ServiceDecl {
        name,
        head: block.head(),
        runtime,
        image,
        count,
        memory,
        memory_max,
        cpu,
        after,
        env: env.into(),
        connections: connections.into(),
        ports: ports.into(),
        health,
        volumes: volumes.into(),
        secrets: secrets.into(),
        extras: extras.boxed(),
    };
    if block.attributes().any(|a| a.name.name == "runtime") {
        check_runtime_rules(&service, &runtime_attrs, diags);
    }
    check_service_rules(&service, diags);
    service
}

/// Which runtime-specific attributes were written, and where.
struct RuntimeAttributes {
    has_on: bool,
    has_image: bool,
    package_set: Option<Span>,
    command_set: Option<Span>,
    args_set: Option<Span>,
    count_set: Option<Span>,
    /// The value of `health { command = … }`.
    health_command: Option<Span>,
}

fn check_runtime_rules(s: &ServiceDecl, attrs: &RuntimeAttributes, diags: &mut Diagnostics) {
    let runtime = s.runtime.value;
    let needs_host = matches!(runtime, Runtime::Baremetal | Runtime::Docker);
    if needs_host && !attrs.has_on {
        diags.push(missing(
            s,
            "on",
            &format!("a {runtime} service is installed on the hosts listed in `on`"),
            "on = [host-name]",
        ));
    }
    if runtime != Runtime::Baremetal && !attrs.has_image {
        diags.push(missing(
            s,
            "image",
            &format!("a {runtime} service runs a container image"),
            "image = \"registry/name:1.2.3\"",
        ));
    }
    let mut not_for = |span: Option<Span>, attribute: &str, allowed: &str| {
        if let Some(span) = span {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    span,
                    format!("`{attribute}` does not apply to a {runtime} service"),
                )
                .with_primary_label(format!("only for {allowed} services"))
                .with_label(s.runtime.span, format!("runtime is {runtime}"))
                .with_help(format!("remove `{attribute}`, or change the runtime")),
            );
        }
    };
    match runtime {
        Runtime::Baremetal => {
            not_for(attrs.command_set, "command", "docker and nomad");
            not_for(attrs.args_set, "args", "docker and nomad");
            not_for(attrs.count_set, "count", "nomad");
        }
        Runtime::Docker => {
            not_for(attrs.package_set, "package", "baremetal");
            not_for(attrs.count_set, "count", "nomad");
        }
        Runtime::Nomad => not_for(attrs.package_set, "package", "baremetal"),
    }
    if runtime == Runtime::Baremetal {
        if let Some(image) = &s.image {
            diags.push(
                Diagnostic::new(Code::E0107, image.span, "`image` does not apply to a baremetal service")
                    .with_primary_label("only for docker and nomad services")
                    .with_label(s.runtime.span, "runtime is baremetal")
                    .with_help("a baremetal service is the apt `package`; use runtime = docker or nomad to run an image"),
            );
        }
    }
    check_runtime_blocks(s, attrs, diags);
}

fn check_runtime_blocks(s: &ServiceDecl, attrs: &RuntimeAttributes, diags: &mut Diagnostics) {
    let runtime = s.runtime.value;
    if runtime != Runtime::Nomad {
        for port in s.ports.iter().filter(|p| p.is_static.value) {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    port.is_static.span,
                    "`static` applies to nomad ports only",
                )
                .with_primary_label("not a nomad service")
                .with_help(format!(
                    "a {runtime} service always listens on its port number; remove `static`"
                )),
            );
        }
    }
    if runtime == Runtime::Nomad {
        if let Some(command) = attrs.health_command {
            diags.push(
                Diagnostic::new(Code::E0107, command, "command health checks are for baremetal and docker services")
                    .with_primary_label("not available for nomad services")
                    .with_help("give the service a port and check it: health { port = http  path = \"/health\" }"),
            );
        }
    }
    if runtime != Runtime::Baremetal {
        for file in s.files() {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    file.head,
                    "`file` blocks are for baremetal services",
                )
                .with_primary_label(format!("this is a {runtime} service"))
                .with_help("bake the file into the image, or pass it as an environment variable"),
            );
        }
    }
    if runtime == Runtime::Nomad {
        check_nomad_interpolation(s, diags);
    }
    if runtime == Runtime::Docker {
        for volume in s.volumes.iter().filter(|v| v.path.value.contains(':')) {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    volume.path.span,
                    "a docker volume path cannot contain `:`",
                )
                .with_primary_label("Docker reads `:` as the separator of a bind's fields")
                .with_help("choose a path without `:` (a bind is `host:container:options`)"),
            );
        }
    }
    let local_volume = s
        .volumes
        .iter()
        .find(|v| matches!(v.placement, VolumePlacement::Disk(_)));
    if let (Runtime::Nomad, Some(volume)) = (runtime, local_volume) {
        if s.count.value > 1 {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    s.count.span,
                    format!("`count = {}` with a volume on a local disk", s.count.value),
                )
                .with_primary_label("more than one allocation")
                .with_label(volume.head, "this volume pins every allocation to one host")
                .with_help("use count = 1, or put the volume on `backend = cephfs`"),
            );
        }
    }
}

/// Nomad replaces `${…}` in a task's env, image, args and command with its runtime
/// variables when the task starts, and has no escape for it: a spec value
/// holding `${` would change meaning, so it is refused.
fn check_nomad_interpolation(s: &ServiceDecl, diags: &mut Diagnostics) {
    let values = s
        .env
        .iter()
        .map(|e| (&e.value, "an `env` value"))
        .chain(s.args().iter().map(|a| (a, "an argument")))
        .chain(s.command().into_iter().map(|c| (c, "the command")))
        .chain(s.image.iter().map(|i| (i, "the image")));
    for (value, what) in values {
        if value.value.contains("${") {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    value.span,
                    format!("{what} of a nomad service contains `${{`"),
                )
                .with_primary_label("Nomad interpolates `${…}` here when the task starts")
                .with_help("Nomad has no escape for `${`: write the value without it (e.g. `$VAR` for the container's shell)"),
            );
        }
    }
}

/// Nomad refuses tasks with less memory than this.
const NOMAD_MIN_MEMORY: u64 = 10 << 20;

fn check_service_rules(s: &ServiceDecl, diags: &mut Diagnostics) {
    if s.runtime.value == Runtime::Nomad && s.memory.value > 0 && s.memory.value < NOMAD_MIN_MEMORY
    {
        diags.push(
            Diagnostic::new(
                Code::E0107,
                s.memory.span,
                "Nomad tasks need at least 10 MiB of memory",
            )
            .with_primary_label(format!(
                "{} is below Nomad's minimum",
                crate::units::bytes(s.memory.value)
            ))
            .with_help("reserve at least 10MiB"),
        );
    }
    check_range(diags, &s.count, "count", 1, 10_000);
    if let Some(max) = &s.memory_max {
        if max.value < s.memory.value {
            diags.push(
                Diagnostic::new(Code::E0107, max.span, "`memory_max` is below `memory`")
                    .with_primary_label(format!("memory_max is {}", crate::units::bytes(max.value)))
                    .with_label(s.memory.span, format!("memory is {}", crate::units::bytes(s.memory.value)))
                    .with_help("memory_max is the hard limit above the reservation: make it at least `memory`"),
            );
        }
    }
    unique_names(s.ports.iter().map(|p| &p.name), "port", diags);
    unique_names(s.volumes.iter().map(|v| &v.name), "volume", diags);
    unique_names(s.secrets.iter().map(|v| &v.name), "secret", diags);
    unique_names(s.files().iter().map(|f| &f.path), "file", diags);
    let provides: SmallVec<[(&str, Span); 4]> = s
        .provides()
        .iter()
        .map(|c| (c.value.as_str(), c.span))
        .collect();
    listed_once(&provides, "provides", diags);
    let on: SmallVec<[(Path<'_>, Span); 4]> = s.on().into_iter().flatten().map(Path::of).collect();
    listed_once(&on, "on", diags);
    let after: SmallVec<[(Path<'_>, Span); 8]> = s.after.iter().map(Path::of).collect();
    listed_once(&after, "after", diags);
}

/// E0107 for an item written twice in one list attribute.
fn listed_once<T: Eq + std::hash::Hash + std::fmt::Display>(
    items: &[(T, Span)],
    attribute: &str,
    diags: &mut Diagnostics,
) {
    let keys: SmallVec<[&T; 8]> = items.iter().map(|(item, _)| item).collect();
    for (again, first) in super::repeats::repeats(&keys) {
        let (item, span) = &items[again];
        diags.push(
            Diagnostic::new(
                Code::E0107,
                *span,
                format!("`{item}` is listed twice in `{attribute}`"),
            )
            .with_primary_label("listed again")
            .with_label(items[first].1, "first listed here")
            .with_help("remove the repetition"),
        );
    }
}

/// A reference's path, equal to another when the names are (wherever written).
struct Path<'r>(&'r Reference);

impl<'r> Path<'r> {
    fn of(reference: &'r Reference) -> (Self, Span) {
        (Path(reference), reference.span)
    }

    fn names(&self) -> impl Iterator<Item = &'r str> {
        self.0.path.iter().map(|ident| ident.name.as_str())
    }
}

impl PartialEq for Path<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.names().eq(other.names())
    }
}

impl Eq for Path<'_> {}

impl std::hash::Hash for Path<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for name in self.names() {
            name.hash(state);
        }
    }
}

/// As written: `a.b`.
impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_text())
    }
}

fn missing(s: &ServiceDecl, attribute: &str, why: &str, example: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0104,
        s.head,
        format!(
            "service `{}` is missing required attribute `{attribute}`",
            s.name.value
        ),
    )
    .with_primary_label(format!("needs `{attribute}`"))
    .with_label(s.runtime.span, why.to_string())
    .with_help(format!("add `{example}`"))
}

fn env_vars(map: StringMap, diags: &mut Diagnostics) -> Vec<EnvVar> {
    map.0
        .into_iter()
        .map(|(key, value)| {
            super::check_value(diags, &key, |k| validate::env_key(k), None);
            EnvVar { key, value }
        })
        .collect()
}

fn port(block: &Block, diags: &mut Diagnostics) -> PortDecl {
    let mut r = BlockReader::new(block, diags);
    let name = name_label(&mut r, block);
    let number = r.required_valid::<u64>("number", |n| in_range(*n, "a port number", 1, 65_535));
    let protocol = r.or_default("protocol", PortProtocol::Http);
    let is_static = r.or_default("static", false);
    let admin = r.or_default("admin", false);
    r.finish();
    PortDecl {
        name,
        head: block.head(),
        number,
        protocol,
        is_static,
        admin,
    }
}

fn health(block: &Block, diags: &mut Diagnostics) -> HealthDecl {
    let mut r = BlockReader::new(block, diags);
    no_label(&mut r, block);
    let port = r.optional::<Reference>("port").map(|p| p.value);
    let path = r.optional_valid::<CompactString>("path", |p| validate::health_path(p));
    let command =
        r.optional_valid::<CompactString>("command", |c| validate::single_line(c, "a command"));
    let interval = duration(&mut r, "interval", 10_000);
    let timeout = duration(&mut r, "timeout", 2_000);
    let grace = duration(&mut r, "grace", 30_000);
    let port_written = r.is_set("port");
    let command_written = r.is_set("command");
    r.finish();
    let head = block.head();
    match (port_written, command_written) {
        (false, false) => diags.push(
            Diagnostic::new(Code::E0104, head, "`health` needs `port` or `command`")
                .with_primary_label("no check defined")
                .with_help("write `port = NAME` (with `path` for HTTP) or `command = \"…\"`"),
        ),
        (true, true) => diags.push(
            Diagnostic::new(Code::E0107, head, "`health` has both `port` and `command`")
                .with_primary_label("choose one check")
                .with_help("keep either the port check or the command check"),
        ),
        _ => {}
    }
    if let (Some(path), false) = (&path, port_written) {
        diags.push(
            Diagnostic::new(
                Code::E0107,
                path.span,
                "`path` needs `port`: it makes the port check an HTTP check",
            )
            .with_primary_label("no port to query")
            .with_help("add `port = NAME`, or remove `path`"),
        );
    }
    let check = match (port, command) {
        (Some(port), _) => HealthCheck::Port { port, path },
        (None, Some(command)) => HealthCheck::Command(command),
        (None, None) => HealthCheck::Missing,
    };
    HealthDecl {
        head,
        check,
        interval,
        timeout,
        grace,
    }
}

fn duration(r: &mut BlockReader<'_, '_>, name: &'static str, default_ms: u64) -> Spanned<u64> {
    let rule = |d: &DurationMs| {
        if d.0 == 0 {
            Err(format!("`{name}` must be more than 0"))
        } else {
            Ok(())
        }
    };
    match r.optional_valid::<DurationMs>(name, rule) {
        Some(d) => Spanned::new(d.value.0, d.span),
        None => Spanned::new(default_ms, r.head()),
    }
}

fn volume(block: &Block, diags: &mut Diagnostics) -> VolumeDecl {
    let mut r = BlockReader::new(block, diags);
    let name = name_label(&mut r, block);
    let disk = r.optional::<Reference>("disk");
    let backend = r.optional::<VolumeBackend>("backend");
    let size = r.required_valid::<Size>("size", |s| positive_size(*s));
    let path = r.required_valid::<CompactString>("path", |p| validate::absolute_path(p));
    let io = r.or_default("io", IoClass::General);
    let backup = r.single_block("backup").map(|b| backup(b, r.diags));
    let written = (r.is_set("disk"), r.is_set("backend"));
    r.finish();
    let head = block.head();
    let placement = match (disk, backend) {
        (Some(disk), None) => VolumePlacement::Disk(disk.value),
        (None, Some(backend)) => VolumePlacement::Cephfs(backend.span),
        _ => VolumePlacement::Invalid,
    };
    match written {
        (false, false) => diags.push(
            Diagnostic::new(Code::E0104, head, "volume needs `disk` or `backend`")
                .with_primary_label("no storage given")
                .with_help("write `disk = HOST.DISK` for a local disk or `backend = cephfs`"),
        ),
        (true, true) => diags.push(
            Diagnostic::new(Code::E0107, head, "volume has both `disk` and `backend`")
                .with_primary_label("choose one")
                .with_help("a volume is either on a local disk or on CephFS"),
        ),
        _ => {}
    }
    VolumeDecl {
        name,
        head,
        placement,
        size: Spanned::new(size.value.0, size.span),
        path,
        io,
        backup,
    }
}

fn backup(block: &Block, diags: &mut Diagnostics) -> BackupDecl {
    let mut r = BlockReader::new(block, diags);
    no_label(&mut r, block);
    let schedule = r.required_valid::<CompactString>("schedule", |s| validate::schedule(s));
    let keep_daily = r.or_default::<u64>("keep_daily", 7);
    let keep_weekly = r.or_default::<u64>("keep_weekly", 4);
    let keep_monthly = r.or_default::<u64>("keep_monthly", 6);
    let hook = r.or_default("hook", BackupHook::None);
    let verify = r
        .optional_valid::<CompactString>("verify", |s| validate::schedule(s))
        .unwrap_or_else(|| Spanned::new("weekly".into(), block.head()));
    r.finish();
    for keep in [&keep_daily, &keep_weekly, &keep_monthly] {
        check_range(diags, keep, "a retention count", 0, 10_000);
    }
    BackupDecl {
        head: block.head(),
        schedule,
        keep_daily,
        keep_weekly,
        keep_monthly,
        hook,
        verify,
    }
}

fn secret(block: &Block, diags: &mut Diagnostics) -> SecretDecl {
    let mut r = BlockReader::new(block, diags);
    let name = name_label(&mut r, block);
    let path = r.required_valid::<CompactString>("path", |p| validate::vault_path(p));
    let env = env_vars(r.required::<StringMap>("env").value, r.diags);
    r.finish();
    for var in &env {
        super::check_value(diags, &var.value, |k| validate::vault_key(k), None);
    }
    SecretDecl {
        name,
        head: block.head(),
        path,
        env,
    }
}

fn file(block: &Block, diags: &mut Diagnostics) -> FileDecl {
    let mut r = BlockReader::new(block, diags);
    let path = file_path_label(block, r.diags);
    let source =
        r.required_valid::<CompactString>("source", |s| validate::plain_text(s, "a file source"));
    let mode = r
        .optional_valid::<CompactString>("mode", |m| validate::file_mode(m))
        .unwrap_or_else(|| Spanned::new("0644".into(), block.head()));
    r.finish();
    FileDecl {
        path,
        head: block.head(),
        source,
        mode,
    }
}

fn file_path_label(block: &Block, diags: &mut Diagnostics) -> Spanned<CompactString> {
    let Some(label) = &block.label else {
        diags.push(
            Diagnostic::new(Code::E0104, block.kind.span, "`file` block has no path")
                .with_primary_label("needs the path on the host")
                .with_help("write `file \"/etc/app/app.conf\" { source = \"files/app.conf\" }`"),
        );
        return Spanned::new(CompactString::default(), block.kind.span);
    };
    let LabelValue::String(path) = &label.value else {
        diags.push(
            Diagnostic::new(
                Code::E0103,
                label.span,
                "a `file` label is the file's absolute path, a string",
            )
            .with_primary_label("a number"),
        );
        return Spanned::new(CompactString::default(), label.span);
    };
    let path = Spanned::new(CompactString::from(path.as_str()), label.span);
    super::check_value(diags, &path, |p| validate::absolute_path(p), None);
    path
}
