//! Shared by the fuzz targets: the full in-memory build with HCL re-parsing, and
//! the generator of syntactically valid stacks for structured fuzzing.
#![allow(dead_code)]

use arbitrary::Arbitrary;
use eosc::model::files::{FileStatus, SourceFiles};

/// The marker that starts another file of the stack in a fuzz input:
/// `\n//@ PATH\n`. What comes before the first marker is the root,
/// `stack.eos`; so `include` and `module` reach files held in memory.
pub const FILE_MARKER: &str = "\n//@ ";

/// A byte of a fuzz input that stands for [`WIDE`] spaces (the first four
/// times), so that short inputs reach columns past 65,535: miette could not
/// draw them, and the renderer must show such lines in part.
pub const WIDE_MARKER: char = '\u{1}';
pub const WIDE: usize = 70_000;

/// A byte of a fuzz input that stands for a secret `env` entry: wherever the
/// fuzzer puts it, in good syntax or bad, its value ([`CANARY`]) must not
/// appear in any rendering.
pub const SECRET_MARKER: char = '\u{2}';
pub const CANARY: &str = "fuzz-canary-3f9a";
pub const SECRET_ENTRY: &str = " DB_PASSWORD = \"fuzz-canary-3f9a\" ";

/// Whether `data` holds the canary other than through [`SECRET_MARKER`]
/// (then a rendering may show it legitimately).
pub fn writes_canary_itself(data: &[u8]) -> bool {
    data.windows(CANARY.len()).any(|w| w == CANARY.as_bytes())
}

/// A fuzz input as a stack: the root file and the other files in memory.
pub fn stack_of(data: &[u8]) -> (eosc::driver::SourceFile, eosc::diag::Diagnostics, eosc::compose::files::MemoryFiles) {
    let (source, diags) = eosc::driver::decode(std::path::Path::new("stack.eos"), data.to_vec());
    let text = source
        .text
        .replacen(WIDE_MARKER, &" ".repeat(WIDE), 4)
        .replace(SECRET_MARKER, SECRET_ENTRY);
    let mut parts = text.split(FILE_MARKER);
    let root = parts.next().unwrap_or_default().to_string();
    let mut files = eosc::compose::files::MemoryFiles::new();
    for part in parts {
        let (path, text) = part.split_once('\n').unwrap_or((part, ""));
        files.files.insert(path.to_string(), text.to_string());
    }
    (eosc::driver::SourceFile::new("stack.eos", root), diags, files)
}

/// Every `file` source found, with a small text.
pub fn found_files(stack: &eosc::model::Stack) -> SourceFiles {
    let mut files = SourceFiles::default();
    for service in &stack.services {
        for file in service.decl.files() {
            files.files.insert(file.source.value.to_string(), FileStatus::Found(b"k = v\n".as_slice().into()));
        }
    }
    files
}

/// Check (the base and every environment) and emit; every `.tf` and `.hcl`
/// artifact must parse with hcl-rs.
pub fn build_and_reparse(data: &[u8]) {
    let (source, diags, stack_files) = stack_of(data);
    let checked = eosc::driver::check_stack(source, diags, &stack_files, eosc::driver::Environments::All, found_files)
        .expect("every environment");
    let Some(result) = eosc::driver::emit_artifacts(&checked, &eosc::emit::Templates::builtin()) else { return };
    let Ok(artifacts) = result else { return };
    for (path, text) in &artifacts.files {
        if path.ends_with(".tf") || path.ends_with(".hcl") {
            if let Err(error) = hcl::parse(text) {
                panic!("{path} does not parse: {error}\n{text}");
            }
        }
    }
}

const NAMES: [&str; 8] = ["vault", "consul", "nomad", "docker", "app", "db", "web", "cephfs"];
const CAPABILITIES: [&str; 10] = ["consul", "vault", "nomad", "docker", "cephfs", "caddy", "nginx", "authentik", "boundary", "wazuh"];

#[derive(Debug, Arbitrary)]
pub struct GenStack {
    budget: u8,
    hosts: Vec<GenHost>,
    services: Vec<GenService>,
    routes: Vec<GenRoute>,
    backup: bool,
}

#[derive(Debug, Arbitrary)]
pub struct GenHost {
    memory_gib: u8,
    cpus: u8,
    numa: bool,
    disks: u8,
}

#[derive(Debug, Arbitrary)]
pub struct GenService {
    runtime: u8,
    provides: Vec<u8>,
    on: Vec<u8>,
    after: Vec<u8>,
    memory_mib: u16,
    cpu_tenths: u8,
    count: u8,
    numa: Option<u8>,
    image: String,
    env: Vec<(u8, String)>,
    args: Vec<String>,
    command: Option<String>,
    ports: Vec<(u16, u8, bool)>,
    health: Option<(bool, String)>,
    volumes: Vec<GenVolume>,
    secrets: Vec<(String, u8)>,
}

#[derive(Debug, Arbitrary)]
pub struct GenVolume {
    host: u8,
    disk: u8,
    cephfs: bool,
    size_gib: u8,
    io: u8,
    backup: bool,
}

#[derive(Debug, Arbitrary)]
pub struct GenRoute {
    protocol: u8,
    target: u8,
    port: u8,
    listen: u16,
    auth: bool,
    path: u8,
}

fn quote(text: &str) -> String {
    format!("\"{}\"", eosc::syntax::escape(text))
}

fn pick<T: Copy>(items: &[T], i: u8) -> T {
    items[usize::from(i) % items.len()]
}

impl GenStack {
    fn host_count(&self) -> usize {
        self.hosts.len().clamp(1, 5)
    }

    pub fn render(&self) -> String {
        let mut out = format!(
            "stack \"fuzz\" {{\n  domain = \"example.com\"\n  acme_email = \"ops@example.com\"\n  memory_budget = {}%\n",
            u32::from(self.budget % 100) + 1
        );
        if self.backup {
            out.push_str("  backup {\n    repository = \"s3:https://s3.example.com/restic\"\n    secret = \"kv/data/restic\"\n  }\n");
        }
        out.push_str("}\n");
        for i in 0..self.host_count() {
            let host = self.hosts.get(i);
            let memory = host.map_or(64, |h| u32::from(h.memory_gib % 250) + 4);
            let cpus = host.map_or(8, |h| u32::from(h.cpus % 64) + 2);
            out.push_str(&format!("host \"h{i}\" {{\n  address = \"10.0.0.{}\"\n  memory = {memory}GiB\n  cpus = {cpus}\n", i + 1));
            if host.is_some_and(|h| h.numa) {
                let half = cpus / 2;
                out.push_str(&format!("  numa 0 {{ cpus = 0..{} memory = {}GiB }}\n", half - 1, memory / 2));
                out.push_str(&format!("  numa 1 {{ cpus = {half}..{} memory = {}GiB }}\n", cpus - 1, memory / 2));
            }
            for d in 0..host.map_or(1, |h| h.disks % 4 + 1) {
                out.push_str(&format!("  disk \"d{d}\" {{ size = 2TB kind = {} }}\n", pick(&["ssd", "nvme", "hdd"], d)));
            }
            out.push_str("}\n");
        }
        let count = self.services.len().min(NAMES.len());
        for (i, service) in self.services.iter().take(count).enumerate() {
            out.push_str(&self.render_service(i, service, count));
        }
        for (i, route) in self.routes.iter().take(6).enumerate() {
            out.push_str(&render_route(i, route, count));
        }
        out
    }

    fn render_service(&self, i: usize, s: &GenService, count: usize) -> String {
        let runtime = pick(&["baremetal", "docker", "nomad"], s.runtime);
        let mut out = format!("service \"{}\" {{\n  runtime = {runtime}\n", NAMES[i]);
        let provides: Vec<&str> = s.provides.iter().take(3).map(|&c| pick(&CAPABILITIES, c)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        if !provides.is_empty() {
            out.push_str(&format!("  provides = [{}]\n", provides.join(", ")));
        }
        let hosts = self.host_count();
        let on: std::collections::BTreeSet<usize> = s.on.iter().take(3).map(|&h| usize::from(h) % hosts).collect();
        if runtime != "nomad" || !on.is_empty() {
            let on: Vec<String> = if on.is_empty() { vec!["h0".into()] } else { on.iter().map(|h| format!("h{h}")).collect() };
            out.push_str(&format!("  on = [{}]\n", on.join(", ")));
        }
        if runtime != "baremetal" {
            out.push_str(&format!("  image = {}\n", quote(&format!("{}:1.0", s.image.chars().filter(|c| c.is_ascii_alphanumeric()).take(20).collect::<String>().to_lowercase() + "img"))));
            if let Some(command) = &s.command {
                out.push_str(&format!("  command = {}\n", quote(&command.replace(|c: char| c.is_control(), " ") )));
            }
            if !s.args.is_empty() {
                let args: Vec<String> = s.args.iter().take(4).map(|a| quote(a)).collect();
                out.push_str(&format!("  args = [{}]\n", args.join(", ")));
            }
        }
        if runtime == "nomad" {
            out.push_str(&format!("  count = {}\n", s.count % 3 + 1));
        }
        out.push_str(&format!("  memory = {}MiB\n  cpu = {}.{}\n", s.memory_mib % 8192 + 64, s.cpu_tenths / 10 % 4, s.cpu_tenths % 10));
        if let Some(node) = s.numa {
            out.push_str(&format!("  numa = {}\n", node % 2));
        }
        let after: std::collections::BTreeSet<usize> = s.after.iter().take(3).map(|&a| usize::from(a) % count).collect();
        if !after.is_empty() {
            let names: Vec<&str> = after.iter().map(|&a| NAMES[a]).collect();
            out.push_str(&format!("  after = [{}]\n", names.join(", ")));
        }
        if !s.env.is_empty() {
            let entries: Vec<String> = s.env.iter().take(4).enumerate().map(|(k, (n, v))| format!("{}_{k} = {}", pick(&["LOG", "MODE", "URL", "PATH_X"], *n), quote(v))).collect();
            out.push_str(&format!("  env = {{ {} }}\n", entries.join("  ")));
        }
        for (p, (number, protocol, is_static)) in s.ports.iter().take(3).enumerate() {
            let static_line = if runtime == "nomad" && *is_static { "static = true" } else { "" };
            out.push_str(&format!("  port \"p{p}\" {{ number = {} protocol = {} {static_line} }}\n", number % 60000 + 1024, pick(&["http", "https", "tcp", "udp"], *protocol)));
        }
        if let Some((use_port, path)) = &s.health {
            if *use_port && !s.ports.is_empty() {
                let path: String = path.chars().filter(|c| c.is_ascii_alphanumeric()).take(10).collect();
                out.push_str(&format!("  health {{ port = p0 path = \"/{path}\" }}\n"));
            } else if runtime != "nomad" {
                out.push_str("  health { command = \"true\" }\n");
            }
        }
        for (v, volume) in s.volumes.iter().take(3).enumerate() {
            let placement = if volume.cephfs {
                "backend = cephfs".to_string()
            } else {
                format!("disk = h{}.d{}", usize::from(volume.host) % hosts, volume.disk % 4)
            };
            let backup = if volume.backup { "backup { schedule = \"daily\" }" } else { "" };
            out.push_str(&format!(
                "  volume \"v{v}\" {{ {placement} size = {}GiB path = \"/data/v{v}\" io = {} {backup} }}\n",
                volume.size_gib % 200 + 1,
                pick(&["general", "fsync", "wal", "osd", "bulk"], volume.io)
            ));
        }
        for (k, (path, key)) in s.secrets.iter().take(2).enumerate() {
            let path: String = path.chars().filter(|c| c.is_ascii_alphanumeric()).take(12).collect();
            out.push_str(&format!("  secret \"s{k}\" {{ path = \"kv/data/{path}x\" env = {{ SECRET_{k} = \"{}\" }} }}\n", pick(&["password", "token", "key"], *key)));
        }
        out.push_str("}\n");
        out
    }
}

fn render_route(i: usize, r: &GenRoute, count: usize) -> String {
    if count == 0 {
        return String::new();
    }
    let protocol = pick(&["http", "tcp", "udp"], r.protocol);
    let target = format!("{}.p{}", NAMES[usize::from(r.target) % count], r.port % 3);
    let mut out = format!("route \"r{i}\" {{\n  protocol = {protocol}\n  to = {target}\n");
    if protocol == "http" {
        out.push_str(&format!("  host = \"r{i}.example.com\"\n  path = \"{}\"\n", pick(&["/", "/api", "/x/y"], r.path)));
        if r.auth {
            out.push_str("  auth = authentik\n");
        }
    } else {
        out.push_str(&format!("  listen = {}\n", r.listen % 60000 + 1));
    }
    out.push_str("}\n");
    out
}
