//! The typed declarations: what the spec says, checked against the schema of
//! LANGUAGE.md section 3, names still unresolved. Defaults are filled in; a default
//! carries the span of its block's head.
//!
//! When the schema phase reports errors, missing or invalid values hold a neutral
//! placeholder so that name resolution can still run; later phases only run on
//! a spec whose front end is clean.

mod relocate;
mod types;

pub use types::*;

use std::sync::Arc;

use compact_str::CompactString;

use crate::span::{Span, Spanned};
use crate::syntax::IdentPath;

/// A name written as a block label.
pub type Name = Spanned<CompactString>;

/// `a`, `a.b`: a reference to another declaration, resolved by `crate::model`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reference {
    pub path: IdentPath,
    pub span: Span,
}

impl Reference {
    pub fn to_text(&self) -> String {
        let parts: Vec<&str> = self.path.iter().map(|ident| ident.name.as_str()).collect();
        parts.join(".")
    }
}

/// The declarations of a stack. Each top-level block's is behind a shared
/// pointer: it is large, and is moved from the lowering into the model (so
/// it is written once, and the vectors hold pointers); and the language
/// server keeps a block's declaration from one check to the next
/// (`crate::compose::BlockMemo`).
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub stack: Option<StackDecl>,
    pub hosts: Vec<Arc<HostDecl>>,
    pub services: Vec<Arc<ServiceDecl>>,
    pub routes: Vec<Arc<RouteDecl>>,
}

#[derive(Debug, Clone)]
pub struct StackDecl {
    pub name: Name,
    pub head: Span,
    pub domain: Spanned<CompactString>,
    pub acme_email: Option<Spanned<CompactString>>,
    pub datacenter: Spanned<CompactString>,
    pub memory_budget: Spanned<Percent>,
    pub disk_budget: Spanned<Percent>,
    pub ceph_replicas: Spanned<u64>,
    pub nomad_edition: Spanned<NomadEdition>,
    /// The other files of the stack (LANGUAGE.md section 10), as written.
    pub include: Vec<Spanned<CompactString>>,
    pub backup: Option<StackBackupDecl>,
}

#[derive(Debug, Clone)]
pub struct StackBackupDecl {
    pub head: Span,
    pub repository: Spanned<CompactString>,
    pub secret: Spanned<CompactString>,
}

#[derive(Debug, Clone)]
pub struct HostDecl {
    pub name: Name,
    pub head: Span,
    pub address: Spanned<CompactString>,
    pub memory: Spanned<Bytes>,
    pub cpus: Spanned<u64>,
    pub cpu_mhz: Spanned<Megahertz>,
    pub reserved: Spanned<Bytes>,
    pub numa: Vec<NumaDecl>,
    pub disks: Vec<DiskDecl>,
}

#[derive(Debug, Clone)]
pub struct NumaDecl {
    pub id: Spanned<u64>,
    pub head: Span,
    pub cpus: Spanned<CpuRange>,
    pub memory: Spanned<Bytes>,
}

#[derive(Debug, Clone)]
pub struct DiskDecl {
    pub name: Name,
    pub head: Span,
    pub size: Spanned<Bytes>,
    pub kind: Spanned<DiskKind>,
    pub mount: Spanned<CompactString>,
    /// The filesystem at `mount` is encrypted (set up outside eosc).
    pub encrypted: Spanned<bool>,
}

#[derive(Debug, Clone)]
pub struct ServiceDecl {
    // Lists are boxed slices (16 bytes, not a Vec's 24, and no spare room):
    // a declaration is never changed once lowered.
    pub name: Name,
    pub head: Span,
    pub runtime: Spanned<Runtime>,
    pub image: Option<Spanned<CompactString>>,
    pub count: Spanned<u64>,
    pub memory: Spanned<Bytes>,
    pub memory_max: Option<Spanned<Bytes>>,
    pub cpu: Spanned<MilliCpu>,
    pub after: Box<[Reference]>,
    pub env: Box<[EnvVar]>,
    /// The `env` entries whose value is a connection (`SVC.PORT`, LANGUAGE.md
    /// section 3), in the order written.
    pub connections: Box<[ConnectionDecl]>,
    pub ports: Box<[PortDecl]>,
    /// Boxed: most of a service's size when inline, and many services have none.
    pub health: Option<Box<HealthDecl>>,
    pub volumes: Box<[VolumeDecl]>,
    pub secrets: Box<[SecretDecl]>,
    /// What few services write, out of line (`None` when none of it is
    /// written): inline, it took a declaration, shared in an `Arc`, from 320
    /// to 448 bytes of the allocator's size classes, a sixth of the memory
    /// of a check of 100,000 services. Read through the accessors below.
    pub extras: Option<Box<ServiceExtras>>,
}

/// The attributes and blocks of a service that most services do not write.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceExtras {
    pub provides: Box<[Spanned<Capability>]>,
    /// `None` when `on` is not written.
    pub on: Option<Box<[Reference]>>,
    /// The Debian package's name as written.
    pub package: Option<Spanned<CompactString>>,
    /// The version `package = "NAME=VERSION"` pins, as apt writes it.
    pub package_version: Option<Spanned<CompactString>>,
    pub command: Option<Spanned<CompactString>>,
    pub args: Box<[Spanned<CompactString>]>,
    pub numa: Option<Spanned<u64>>,
    pub files: Box<[FileDecl]>,
}

impl ServiceExtras {
    /// Whether nothing is written: then a service keeps no extras at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `Some` boxed unless [`ServiceExtras::is_empty`].
    pub fn boxed(self) -> Option<Box<Self>> {
        (!self.is_empty()).then(|| Box::new(self))
    }
}

impl ServiceDecl {
    /// The Debian package's name: as written, or the service's name.
    pub fn package(&self) -> &str {
        self.package_written()
            .map_or(&self.name.value, |p| &p.value)
    }

    /// The Debian package's name as written (see [`ServiceDecl::package`]).
    pub fn package_written(&self) -> Option<&Spanned<CompactString>> {
        self.extras.as_ref()?.package.as_ref()
    }

    /// The version `package = "NAME=VERSION"` pins, as apt writes it.
    pub fn package_version(&self) -> Option<&Spanned<CompactString>> {
        self.extras.as_ref()?.package_version.as_ref()
    }

    pub fn provides(&self) -> &[Spanned<Capability>] {
        self.extras.as_ref().map_or(&[], |e| &e.provides)
    }

    /// The hosts of `on`; `None` when `on` is not written.
    pub fn on(&self) -> Option<&[Reference]> {
        self.extras.as_ref()?.on.as_deref()
    }

    pub fn command(&self) -> Option<&Spanned<CompactString>> {
        self.extras.as_ref()?.command.as_ref()
    }

    pub fn args(&self) -> &[Spanned<CompactString>] {
        self.extras.as_ref().map_or(&[], |e| &e.args)
    }

    pub fn numa(&self) -> Option<Spanned<u64>> {
        self.extras.as_ref()?.numa
    }

    pub fn files(&self) -> &[FileDecl] {
        self.extras.as_ref().map_or(&[], |e| &e.files)
    }
}

/// One `KEY = "value"` of an `env` map.
#[derive(Debug, Clone)]
pub struct EnvVar {
    pub key: Spanned<CompactString>,
    pub value: Spanned<CompactString>,
}

/// `KEY = SVC.PORT` (or `SVC.PORT.address`, `SVC.PORT.port`) in `env`.
#[derive(Debug, Clone)]
pub struct ConnectionDecl {
    pub key: Spanned<CompactString>,
    /// `SVC.PORT`, without the part.
    pub target: Reference,
    pub part: ConnectionPart,
}

/// Which part of a connection an `env` value holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionPart {
    /// `ADDRESS:PORT`.
    Both,
    Address,
    Port,
}

#[derive(Debug, Clone)]
pub struct PortDecl {
    pub name: Name,
    pub head: Span,
    pub number: Spanned<u64>,
    pub protocol: Spanned<PortProtocol>,
    pub is_static: Spanned<bool>,
    /// A control-plane port: reached through Boundary, never a public route.
    pub admin: Spanned<bool>,
}

#[derive(Debug, Clone)]
pub struct HealthDecl {
    pub head: Span,
    pub check: HealthCheck,
    pub interval: Spanned<Millis>,
    pub timeout: Spanned<Millis>,
    pub grace: Spanned<Millis>,
}

/// What a `health` block checks: `port` (with `path`, over HTTP) or
/// `command`, never both (E0107; then the port check is kept, to be
/// resolved, and a `path` without `port` is dropped). As three optional
/// fields, a health block took 192 bytes of the allocator's size classes,
/// not 160.
#[derive(Debug, Clone)]
pub enum HealthCheck {
    Port {
        port: Reference,
        path: Option<Spanned<CompactString>>,
    },
    Command(Spanned<CompactString>),
    /// Neither was written (E0104).
    Missing,
}

impl HealthDecl {
    pub fn port(&self) -> Option<&Reference> {
        match &self.check {
            HealthCheck::Port { port, .. } => Some(port),
            _ => None,
        }
    }

    /// The HTTP path of a port check.
    pub fn path(&self) -> Option<&Spanned<CompactString>> {
        match &self.check {
            HealthCheck::Port { path, .. } => path.as_ref(),
            _ => None,
        }
    }

    pub fn command(&self) -> Option<&Spanned<CompactString>> {
        match &self.check {
            HealthCheck::Command(command) => Some(command),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct VolumeDecl {
    pub name: Name,
    pub head: Span,
    pub placement: VolumePlacement,
    pub size: Spanned<Bytes>,
    pub path: Spanned<CompactString>,
    pub io: Spanned<IoClass>,
    pub backup: Option<BackupDecl>,
}

#[derive(Debug, Clone)]
pub enum VolumePlacement {
    /// `disk = host.disk`
    Disk(Reference),
    /// `backend = cephfs`
    Cephfs(Span),
    /// Neither or both were written (already reported).
    Invalid,
}

#[derive(Debug, Clone)]
pub struct BackupDecl {
    pub head: Span,
    pub schedule: Spanned<CompactString>,
    pub keep_daily: Spanned<u64>,
    pub keep_weekly: Spanned<u64>,
    pub keep_monthly: Spanned<u64>,
    pub hook: Spanned<BackupHook>,
    /// When the restore drill runs (systemd `OnCalendar`).
    pub verify: Spanned<CompactString>,
}

#[derive(Debug, Clone)]
pub struct SecretDecl {
    pub name: Name,
    pub head: Span,
    pub path: Spanned<CompactString>,
    pub env: Vec<EnvVar>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileDecl {
    /// The label: where the file goes on the host.
    pub path: Spanned<CompactString>,
    pub head: Span,
    pub source: Spanned<CompactString>,
    pub mode: Spanned<CompactString>,
}

#[derive(Debug, Clone)]
pub struct RouteDecl {
    pub name: Name,
    pub head: Span,
    pub protocol: Spanned<RouteProtocol>,
    pub host: Option<Spanned<CompactString>>,
    pub path: Spanned<CompactString>,
    pub listen: Option<Spanned<u64>>,
    pub to: Reference,
    pub auth: Spanned<Auth>,
}
