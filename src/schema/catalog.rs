//! The schema as data: every block kind, where it may stand, and each of its
//! attributes with its type, default and meaning (docs/reference.md section 3
//! in a form a program can read). The readers in this module are the schema
//! that checks a stack; this catalog describes it to people — the language
//! server's hover and completion. `tests/catalog.rs` holds the two to one
//! list: for every block it asks the readers what they take.

use crate::ast::{
    Auth, BackupHook, Capability, DiskKind, IoClass, NomadEdition, PortProtocol, RouteProtocol,
    Runtime, VolumeBackend,
};

/// What kind of declaration a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefKind {
    Host,
    Service,
    /// `HOST.DISK`.
    Disk,
    /// `SERVICE.PORT` (a route's `to`, a connection).
    ServicePort,
    /// A port of the service the block is in (`health { port = http }`).
    OwnPort,
}

/// The values an attribute takes, as far as completion needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A list of these words.
    ListOf(&'static [&'static str]),
    /// A reference of this kind.
    Ref(RefKind),
    /// A list of references of this kind.
    Refs(RefKind),
    /// `true` or `false`.
    Bool,
    /// A map whose values may be connections (`SERVICE.PORT`).
    Env,
    /// Anything else: a string, a number, a quantity.
    Other,
}

/// One attribute of a block.
#[derive(Debug, Clone, Copy)]
pub struct AttributeDoc {
    pub name: &'static str,
    /// The type as the reference writes it (`size`, `list(ref(host))`).
    pub ty: &'static str,
    /// `required`, `none`, or the default value.
    pub default: &'static str,
    pub meaning: &'static str,
    pub values: Values,
}

/// One block kind in one place.
#[derive(Debug)]
pub struct BlockDoc {
    pub kind: &'static str,
    /// How its label is written (`"NAME"`, `INT`), or `None` for no label.
    pub label: Option<&'static str>,
    pub meaning: &'static str,
    pub attributes: &'static [AttributeDoc],
    pub blocks: &'static [&'static BlockDoc],
    /// Whether attributes the catalog does not list belong to it (a `module`
    /// block's arguments).
    pub open: bool,
}

impl BlockDoc {
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeDoc> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn block(&self, kind: &str) -> Option<&'static BlockDoc> {
        self.blocks.iter().copied().find(|b| b.kind == kind)
    }

    /// `kind "NAME"`, as the block's head is written.
    pub fn head(&self) -> String {
        match self.label {
            Some(label) => format!("{} {label}", self.kind),
            None => self.kind.to_string(),
        }
    }
}

const fn attr(
    name: &'static str,
    ty: &'static str,
    default: &'static str,
    meaning: &'static str,
    values: Values,
) -> AttributeDoc {
    AttributeDoc {
        name,
        ty,
        default,
        meaning,
        values,
    }
}

const BOOL: Values = Values::Bool;
const OTHER: Values = Values::Other;

pub static STACK_BACKUP: BlockDoc = BlockDoc {
    kind: "backup",
    label: None,
    meaning: "Where the volumes' restic backups go; required when any volume has a `backup` block (E0604).",
    attributes: &[
        attr("repository", "string (restic repository URL)", "required", "the restic repository every backup goes to", OTHER),
        attr("secret", "string (Vault KV path)", "required", "Vault path whose key `password` is the restic password", OTHER),
    ],
    blocks: &[],
    open: false,
};

pub static STACK: BlockDoc = BlockDoc {
    kind: "stack",
    label: Some("\"NAME\""),
    meaning: "The stack itself: exactly one, in the root file (E0108).",
    attributes: &[
        attr("domain", "string (DNS name)", "required", "base domain of the stack", OTHER),
        attr("acme_email", "string", "none", "Caddy's ACME account email", OTHER),
        attr("datacenter", "string", "\"dc1\"", "Nomad/Consul datacenter", OTHER),
        attr("memory_budget", "percent", "80%", "share of a host's (or NUMA node's) RAM that reservations may take", OTHER),
        attr("disk_budget", "percent", "90%", "share of a disk that volumes may take", OTHER),
        attr("ceph_replicas", "int ≥ 1", "1", "CephFS replication factor, for capacity", OTHER),
        attr("include", "list(string)", "[]", "the stack's other files, by path or glob pattern, relative to the root file's folder; only in the root file", OTHER),
        attr("nomad_edition", "enum{ce, enterprise}", "ce", "which Nomad runs the jobs: NUMA pinning of Nomad jobs needs `enterprise` (W0312)", Values::OneOf(NomadEdition::NAMES)),
    ],
    blocks: &[&STACK_BACKUP],
    open: false,
};

pub static NUMA: BlockDoc = BlockDoc {
    kind: "numa",
    label: Some("INT"),
    meaning: "A NUMA node of the host: ids unique, CPU ranges disjoint and inside `0..cpus-1`, node memory adding up to at most the host's.",
    attributes: &[
        attr("cpus", "range", "required", "the node's logical CPUs, `first..last`", OTHER),
        attr("memory", "size", "required", "the node's RAM", OTHER),
    ],
    blocks: &[],
    open: false,
};

pub static DISK: BlockDoc = BlockDoc {
    kind: "disk",
    label: Some("\"NAME\""),
    meaning: "A disk of the host that volumes are placed on.",
    attributes: &[
        attr("size", "size", "required", "the disk's capacity", OTHER),
        attr("kind", "enum{ssd, nvme, hdd}", "required", "the medium: fsync and wal volumes on hdd are W0309", Values::OneOf(DiskKind::NAMES)),
        attr("mount", "string", "\"/srv/NAME\"", "where the disk's filesystem is mounted", OTHER),
        attr("encrypted", "bool", "false", "the filesystem at `mount` is encrypted (set up outside eosc); Vault's data belongs on one (W0311)", BOOL),
    ],
    blocks: &[],
    open: false,
};

pub static HOST: BlockDoc = BlockDoc {
    kind: "host",
    label: Some("\"NAME\""),
    meaning: "A machine of the stack; its NAME is its Salt minion ID.",
    attributes: &[
        attr(
            "address",
            "string (IP or DNS name)",
            "required",
            "how services and proxies reach it",
            OTHER,
        ),
        attr("memory", "size", "required", "installed RAM", OTHER),
        attr("cpus", "int", "required", "logical CPUs", OTHER),
        attr(
            "cpu_mhz",
            "frequency",
            "2000MHz",
            "clock per CPU, to turn cores into Nomad MHz",
            OTHER,
        ),
        attr(
            "reserved",
            "size",
            "2GiB",
            "RAM kept for the OS, counted in the budget",
            OTHER,
        ),
    ],
    blocks: &[&NUMA, &DISK],
    open: false,
};

pub static PORT: BlockDoc = BlockDoc {
    kind: "port",
    label: Some("\"NAME\""),
    meaning: "A port the service listens on. baremetal/docker: on each of its hosts; nomad: `number` is the container port, the host port is dynamic unless `static = true`.",
    attributes: &[
        attr("number", "int 1..65535", "required", "the port number", OTHER),
        attr("protocol", "enum{http, https, tcp, udp}", "http", "what it speaks", Values::OneOf(PortProtocol::NAMES)),
        attr("static", "bool", "false", "nomad: the host port is `number` rather than dynamic", BOOL),
        attr("admin", "bool", "false", "a control-plane port that operators reach through Boundary, never through a public route", BOOL),
    ],
    blocks: &[],
    open: false,
};

pub static HEALTH: BlockDoc = BlockDoc {
    kind: "health",
    label: None,
    meaning: "How to tell the service is healthy: exactly one of `port` or `command`. `port` with `path` is an HTTP check, `port` alone a TCP check.",
    attributes: &[
        attr("port", "ref(port of this service)", "none", "the port checked", Values::Ref(RefKind::OwnPort)),
        attr("path", "string", "none", "HTTP path checked on `port`", OTHER),
        attr("command", "string", "none", "a command that exits 0 when healthy (baremetal/docker only)", OTHER),
        attr("interval", "duration", "10s", "time between checks", OTHER),
        attr("timeout", "duration", "2s", "how long one check may take", OTHER),
        attr("grace", "duration", "30s", "time after a start before checks count", OTHER),
    ],
    blocks: &[],
    open: false,
};

pub static VOLUME_BACKUP: BlockDoc = BlockDoc {
    kind: "backup",
    label: None,
    meaning: "A restic backup of the volume, with a restore drill on `verify`.",
    attributes: &[
        attr(
            "schedule",
            "string (systemd OnCalendar)",
            "required",
            "when the backup runs, e.g. \"daily\" or \"*-*-* 02:00\"",
            OTHER,
        ),
        attr("keep_daily", "int", "7", "daily snapshots kept", OTHER),
        attr("keep_weekly", "int", "4", "weekly snapshots kept", OTHER),
        attr("keep_monthly", "int", "6", "monthly snapshots kept", OTHER),
        attr(
            "hook",
            "enum{none, pg_dump}",
            "none",
            "pg_dump: back up a dump of the PostgreSQL cluster, not its files",
            Values::OneOf(BackupHook::NAMES),
        ),
        attr(
            "verify",
            "string (systemd OnCalendar)",
            "\"weekly\"",
            "when the restore drill of the volume's backups runs",
            OTHER,
        ),
    ],
    blocks: &[],
    open: false,
};

pub static VOLUME: BlockDoc = BlockDoc {
    kind: "volume",
    label: Some("\"NAME\""),
    meaning: "Persistent storage: on a host's disk (`disk`) or on CephFS (`backend = cephfs`), exactly one.",
    attributes: &[
        attr("disk", "ref(host.disk)", "none", "the disk it lives on; a baremetal/docker service must list that host in `on`", Values::Ref(RefKind::Disk)),
        attr("backend", "enum{cephfs}", "none", "shared storage instead of a local disk", Values::OneOf(VolumeBackend::NAMES)),
        attr("size", "size", "required", "space reserved on the disk", OTHER),
        attr("path", "string (absolute, no `..`)", "required", "where the service sees it", OTHER),
        attr("io", "enum{fsync, wal, osd, bulk, general}", "general", "the write pattern: fsync = small synchronous writes (Vault), wal = write-ahead log (PostgreSQL), osd = a Ceph OSD's device, bulk = large objects (MinIO)", Values::OneOf(IoClass::NAMES)),
    ],
    blocks: &[&VOLUME_BACKUP],
    open: false,
};

pub static SECRET: BlockDoc = BlockDoc {
    kind: "secret",
    label: Some("\"NAME\""),
    meaning: "Environment variables read from Vault when the service starts.",
    attributes: &[
        attr(
            "path",
            "string (Vault KV path)",
            "required",
            "the secret's path",
            OTHER,
        ),
        attr(
            "env",
            "map(string)",
            "required",
            "ENV_VAR = \"key in the secret\"",
            OTHER,
        ),
    ],
    blocks: &[],
    open: false,
};

pub static FILE: BlockDoc = BlockDoc {
    kind: "file",
    label: Some("\"PATH\""),
    meaning: "A config file of a baremetal service, installed at PATH.",
    attributes: &[
        attr("source", "string", "required", "the file's source, relative to the folder of the spec file it is written in, inside the root's folder", OTHER),
        attr("mode", "string", "\"0644\"", "its permissions", OTHER),
    ],
    blocks: &[],
    open: false,
};

pub static SERVICE: BlockDoc = BlockDoc {
    kind: "service",
    label: Some("\"NAME\""),
    meaning: "Something that runs: an apt package under systemd (baremetal), a container outside Nomad (docker) or a Nomad job (nomad).",
    attributes: &[
        attr("runtime", "enum{baremetal, docker, nomad}", "required", "baremetal: apt package + systemd, by Salt; docker: a container outside Nomad, by Salt; nomad: a Nomad job, applied by Terraform", Values::OneOf(Runtime::NAMES)),
        attr("provides", "list(enum{consul, vault, nomad, docker, cephfs, caddy, nginx, authentik, boundary, wazuh})", "[]", "shared capabilities this service is the one provider of", Values::ListOf(Capability::NAMES)),
        attr("on", "list(ref(host))", "required for baremetal/docker", "hosts it is installed on; for nomad, a placement constraint", Values::Refs(RefKind::Host)),
        attr("package", "string", "NAME", "apt package (baremetal), optionally pinned as `name=version`", OTHER),
        attr("image", "string", "required for docker/nomad", "container image reference", OTHER),
        attr("command", "string", "none", "container command (docker/nomad)", OTHER),
        attr("args", "list(string)", "[]", "container args", OTHER),
        attr("count", "int ≥ 1", "1", "Nomad allocations (nomad only)", OTHER),
        attr("memory", "size", "required", "RAM reserved per instance", OTHER),
        attr("memory_max", "size ≥ memory", "none", "hard limit (systemd `MemoryMax` / Nomad `memory_max`)", OTHER),
        attr("cpu", "number > 0", "required", "CPU cores reserved per instance (fractions allowed)", OTHER),
        attr("numa", "int", "none", "pin to this NUMA node on every host it runs on", OTHER),
        attr("after", "list(ref(service))", "[]", "explicit dependencies: start after these are healthy", Values::Refs(RefKind::Service)),
        attr("env", "map(string or connection)", "{}", "plain environment variables (never secrets, E0501); a value `SERVICE.PORT` (`.address`, `.port`) is a connection", Values::Env),
    ],
    blocks: &[&PORT, &HEALTH, &VOLUME, &SECRET, &FILE],
    open: false,
};

pub static ROUTE: BlockDoc = BlockDoc {
    kind: "route",
    label: Some("\"NAME\""),
    meaning: "A public entry: http routes are served by the `caddy` provider, tcp/udp by the `nginx` provider's stream block.",
    attributes: &[
        attr("protocol", "enum{http, tcp, udp}", "http", "http: HTTPS with automatic certificates by Caddy; tcp/udp: nginx stream", Values::OneOf(RouteProtocol::NAMES)),
        attr("host", "string (DNS name)", "required for http", "public host name", OTHER),
        attr("path", "string", "\"/\"", "path prefix (http)", OTHER),
        attr("listen", "int 1..65535", "required for tcp/udp", "public port on the nginx provider's hosts", OTHER),
        attr("to", "ref(service.port)", "required", "target", Values::Ref(RefKind::ServicePort)),
        attr("auth", "enum{none, authentik}", "none", "http only: Authentik forward auth in Caddy", Values::OneOf(Auth::NAMES)),
    ],
    blocks: &[],
    open: false,
};

/// The types a `param` may have.
pub const PARAM_TYPES: &[&str] = &[
    "string", "int", "number", "bool", "size", "percent", "duration", "host", "disk", "service",
];

pub static PARAM: BlockDoc = BlockDoc {
    kind: "param",
    label: Some("\"NAME\""),
    meaning:
        "A parameter of the module file it is in; `param.NAME` stands for the instance's argument.",
    attributes: &[
        attr(
            "type",
            "string, int, number, bool, size, percent, duration, host, disk, service, or [T]",
            "required",
            "what an argument must be",
            Values::OneOf(PARAM_TYPES),
        ),
        attr(
            "default",
            "a value of `type`",
            "none (the argument is required)",
            "the value when an instance gives none",
            OTHER,
        ),
    ],
    blocks: &[],
    open: false,
};

pub static MODULE: BlockDoc = BlockDoc {
    kind: "module",
    label: Some("\"NAME\""),
    meaning: "An instance of a module file: its services and routes added as `NAME-SERVICE`, its params set by the other attributes.",
    attributes: &[attr("source", "string", "required", "the module file, relative to this file, inside the root's folder", OTHER)],
    blocks: &[],
    open: true,
};

/// The blocks an `env` may change (and add).
pub static ENV: BlockDoc = BlockDoc {
    kind: "env",
    label: Some("\"NAME\""),
    meaning: "Changes to the base stack for one environment (`eosc check --env NAME`): each block names a block of the base by kind and name and replaces its attributes one by one, or adds a new block.",
    attributes: &[],
    blocks: &[&STACK, &HOST, &SERVICE, &ROUTE, &MODULE],
    open: false,
};

/// Every top-level block kind.
pub static TOP_LEVEL: &[&BlockDoc] = &[&STACK, &HOST, &SERVICE, &ROUTE, &MODULE, &ENV, &PARAM];

/// Which top-level blocks a file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// The file with the `stack` block (or a file alone).
    Root,
    /// A file of the root's `include`.
    Included,
    /// A module file.
    Module,
}

impl FileRole {
    /// The top-level block kinds a file of this role may hold.
    pub fn top_level(self) -> Vec<&'static BlockDoc> {
        let allowed: &[&str] = match self {
            FileRole::Root => &["stack", "host", "service", "route", "module", "env"],
            FileRole::Included => &["host", "service", "route", "module", "env"],
            FileRole::Module => &["param", "service", "route"],
        };
        TOP_LEVEL
            .iter()
            .copied()
            .filter(|b| allowed.contains(&b.kind))
            .collect()
    }
}

/// The block at `path` (block kinds from the top level inward), if the
/// catalog knows it: `["service", "volume", "backup"]`.
pub fn block_at(path: &[&str]) -> Option<&'static BlockDoc> {
    let (first, rest) = path.split_first()?;
    let mut block = TOP_LEVEL.iter().copied().find(|b| b.kind == *first)?;
    for kind in rest {
        block = block.block(kind)?;
    }
    Some(block)
}
