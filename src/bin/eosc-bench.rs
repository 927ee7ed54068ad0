//! `eosc-bench gen N [--seed S] [--json]`: a realistic, valid synthetic stack of
//! N application services for benchmarking (see `scripts/bench.sh` and
//! `benches/pipeline.rs`).
//!
//! The stack has a core layer on bare metal (consul, vault, docker, cephfs with
//! one osd volume on its own disk per host, nomad, caddy, nginx, boundary) plus Authentik on
//! Nomad, then N services grouped in "apps" of ten in four dependency layers
//! (stores → APIs → apps → frontends/workers). Hosts: ceil(N/20), at least six,
//! of 96–200 GiB with two NUMA nodes and four disks each.
//!
//! The generator keeps the books as it goes (host memory/CPU, NUMA nodes, disks,
//! ports per host, listen ports) and then replays the Nomad packer of LANGUAGE.md
//! section 5 (first-fit-decreasing by memory onto the client with the most free
//! budget) to prove that what it printed fits; it exits non-zero when it does not.
//! The same seed always gives the same bytes.
//!
//! `--json` prints the same stack as JSON (bytes, thousandths of a core) for the
//! peer tools in `bench/` (Jsonnet, Nickel).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::ExitCode;

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;
const GB: u64 = 1_000_000_000;
const DOMAIN: &str = "bench.example.com";
/// `memory_budget` and `disk_budget`, in percent.
const MEMORY_BUDGET: u64 = 80;
const DISK_BUDGET: u64 = 90;
const RESERVED: u64 = 2 * GIB;
const CEPH_REPLICAS: u64 = 3;
/// Hosts 0 and 1 are the edge (caddy, nginx); 0..3 run Vault.
const EDGE_HOSTS: usize = 2;
const VAULT_HOSTS: usize = 3;

// --- a small deterministic generator (splitmix64) ----------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

// --- the model ---------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Runtime {
    Baremetal,
    Docker,
    Nomad,
}

impl Runtime {
    fn name(self) -> &'static str {
        match self {
            Runtime::Baremetal => "baremetal",
            Runtime::Docker => "docker",
            Runtime::Nomad => "nomad",
        }
    }
}

struct Disk {
    name: &'static str,
    /// As written (decimal units, as sold).
    text: &'static str,
    bytes: u64,
    kind: &'static str,
    used: u64,
    /// A write-heavy io class (fsync/wal/osd) already on the disk.
    write_heavy: bool,
    /// Declared `encrypted = true` (Vault's storage: W0311 otherwise).
    encrypted: bool,
}

struct Host {
    name: String,
    address: String,
    memory: u64,
    cpus: u64,
    cpu_mhz: u64,
    numa: [(u64, u64, u64); 2], // (first cpu, last cpu, memory)
    disks: Vec<Disk>,
    // Books.
    memory_used: u64,
    cpu_used: u64,
    numa_memory: [u64; 2],
    numa_cpu: [u64; 2],
    next_port: u64,
}

impl Host {
    fn budget(&self) -> u64 {
        self.memory * MEMORY_BUDGET / 100
    }
    fn disk(&mut self, name: &str) -> &mut Disk {
        self.disks
            .iter_mut()
            .find(|d| d.name == name)
            .expect("known disk")
    }
    fn port(&mut self) -> u64 {
        let p = self.next_port;
        self.next_port += 1;
        p
    }
}

struct Port {
    name: &'static str,
    number: u64,
    protocol: &'static str,
    is_static: bool,
}

enum Check {
    Http {
        port: &'static str,
        path: &'static str,
    },
    Tcp {
        port: &'static str,
    },
    Command(String),
}

struct Health {
    check: Check,
    interval: Option<&'static str>,
    timeout: Option<&'static str>,
    grace: Option<&'static str>,
}

struct Backup {
    schedule: &'static str,
    keep_daily: Option<u64>,
    hook_pg_dump: bool,
}

enum Storage {
    Disk(usize, &'static str),
    Cephfs,
}

struct Volume {
    name: String,
    storage: Storage,
    size: u64,
    /// As written.
    size_text: String,
    path: String,
    io: &'static str,
    backup: Option<Backup>,
}

struct Secret {
    name: &'static str,
    path: String,
    env: Vec<(&'static str, &'static str)>,
}

struct Service {
    name: String,
    runtime: Runtime,
    provides: Vec<&'static str>,
    on: Option<Vec<usize>>,
    package: Option<&'static str>,
    image: Option<String>,
    command: Option<&'static str>,
    args: Vec<&'static str>,
    count: u64,
    memory: u64,
    memory_max: Option<u64>,
    /// Thousandths of a core.
    cpu: u64,
    numa: Option<usize>,
    after: Vec<usize>,
    env: Vec<(&'static str, String)>,
    ports: Vec<Port>,
    health: Option<Health>,
    volumes: Vec<Volume>,
    secrets: Vec<Secret>,
}

impl Service {
    fn new(name: impl Into<String>, runtime: Runtime, memory: u64, cpu: u64) -> Self {
        Self {
            name: name.into(),
            runtime,
            provides: Vec::new(),
            on: None,
            package: None,
            image: None,
            command: None,
            args: Vec::new(),
            count: 1,
            memory,
            memory_max: None,
            cpu,
            numa: None,
            after: Vec::new(),
            env: Vec::new(),
            ports: Vec::new(),
            health: None,
            volumes: Vec::new(),
            secrets: Vec::new(),
        }
    }
    fn port(&mut self, name: &'static str, number: u64, protocol: &'static str) {
        self.ports.push(Port {
            name,
            number,
            protocol,
            is_static: false,
        });
    }
    fn http_check(&mut self, port: &'static str, path: &'static str) {
        self.health = Some(Health {
            check: Check::Http { port, path },
            interval: None,
            timeout: None,
            grace: None,
        });
    }
    fn tcp_check(&mut self, port: &'static str) {
        self.health = Some(Health {
            check: Check::Tcp { port },
            interval: None,
            timeout: None,
            grace: None,
        });
    }
    fn command_check(&mut self, command: impl Into<String>) {
        self.health = Some(Health {
            check: Check::Command(command.into()),
            interval: None,
            timeout: None,
            grace: None,
        });
    }
}

struct Route {
    name: String,
    protocol: &'static str,
    host: Option<String>,
    path: Option<&'static str>,
    listen: Option<u64>,
    to: (usize, &'static str),
    auth: bool,
}

struct Stack {
    hosts: Vec<Host>,
    services: Vec<Service>,
    routes: Vec<Route>,
}

// --- generation --------------------------------------------------------------------

const HOST_TYPES: [(u64, u64, u64); 4] = [
    // (GiB, cpus, MHz)
    (96, 32, 2100),
    (128, 40, 2300),
    (192, 48, 2600),
    (200, 56, 2400),
];

const TEAMS: [&str; 24] = [
    "billing",
    "search",
    "ledger",
    "catalog",
    "identity",
    "media",
    "payments",
    "orders",
    "inventory",
    "reports",
    "notify",
    "geo",
    "pricing",
    "reviews",
    "chat",
    "feed",
    "ads",
    "etl",
    "ml",
    "tickets",
    "shipping",
    "wiki",
    "crm",
    "audit",
];

const SCHEDULES: [&str; 4] = ["daily", "*-*-* 02:00:00", "weekly", "*-*-* 04:30:00"];

fn gib_text(bytes: u64) -> String {
    if bytes % GIB == 0 {
        format!("{}GiB", bytes / GIB)
    } else {
        format!("{}MiB", bytes / MIB)
    }
}

fn cpu_text(milli: u64) -> String {
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        let t = format!("{}.{:03}", milli / 1000, milli % 1000);
        t.trim_end_matches('0').to_string()
    }
}

fn hosts(count: usize, rng: &mut Rng) -> Vec<Host> {
    (0..count)
        .map(|i| {
            let (gib, cpus, mhz) = rng.pick(&HOST_TYPES);
            let n = i as u64 + 11;
            let half = cpus / 2;
            Host {
                name: format!("hv{}", i + 1),
                address: format!("10.{}.{}.{}", 1 + (n >> 16), (n >> 8) & 255, n & 255),
                memory: gib * GIB,
                cpus,
                cpu_mhz: mhz,
                numa: [
                    (0, half - 1, gib / 2 * GIB),
                    (half, cpus - 1, gib / 2 * GIB),
                ],
                disks: vec![
                    Disk {
                        name: "nvme0",
                        text: "960GB",
                        bytes: 960 * GB,
                        kind: "nvme",
                        used: 0,
                        write_heavy: false,
                        encrypted: false,
                    },
                    Disk {
                        name: "nvme1",
                        text: "1.92TB",
                        bytes: 1920 * GB,
                        kind: "nvme",
                        used: 0,
                        write_heavy: false,
                        encrypted: false,
                    },
                    Disk {
                        name: "ssd0",
                        text: "3.84TB",
                        bytes: 3840 * GB,
                        kind: "ssd",
                        used: 0,
                        write_heavy: false,
                        encrypted: false,
                    },
                    Disk {
                        name: "sda",
                        text: "8TB",
                        bytes: 8000 * GB,
                        kind: "hdd",
                        used: 0,
                        write_heavy: false,
                        encrypted: false,
                    },
                ],
                memory_used: RESERVED,
                cpu_used: 0,
                numa_memory: [0; 2],
                numa_cpu: [0; 2],
                next_port: 10_000,
            }
        })
        .collect()
}

struct Generator {
    rng: Rng,
    stack: Stack,
    /// Round-robin cursor over the hosts that take application pieces.
    cursor: usize,
    /// Next public tcp/udp port on the nginx hosts.
    next_listen: u64,
    /// Σ cephfs volume sizes, for E0310.
    cephfs_used: u64,
    cephfs_capacity: u64,
    authentik: usize,
}

impl Generator {
    fn add(&mut self, service: Service) -> usize {
        // Baremetal/docker services are booked on their hosts now; nomad later.
        if service.runtime != Runtime::Nomad {
            for &h in service.on.iter().flatten() {
                let host = &mut self.stack.hosts[h];
                host.memory_used += service.memory;
                host.cpu_used += service.cpu;
                if let Some(node) = service.numa {
                    host.numa_memory[node] += service.memory;
                    host.numa_cpu[node] += service.cpu;
                }
            }
        }
        for volume in &service.volumes {
            match volume.storage {
                Storage::Disk(h, disk) => {
                    let disk = self.stack.hosts[h].disk(disk);
                    disk.used += volume.size;
                    if matches!(volume.io, "fsync" | "wal" | "osd") {
                        disk.write_heavy = true;
                    }
                }
                Storage::Cephfs => self.cephfs_used += volume.size,
            }
        }
        self.stack.services.push(service);
        self.stack.services.len() - 1
    }

    fn all_hosts(&self) -> Vec<usize> {
        (0..self.stack.hosts.len()).collect()
    }

    fn core(&mut self) {
        let all = self.all_hosts();
        let edge: Vec<usize> = (0..EDGE_HOSTS).collect();
        let vault_hosts: Vec<usize> = (0..VAULT_HOSTS).collect();

        let mut consul = Service::new("consul", Runtime::Baremetal, GIB, 1000);
        consul.provides.push("consul");
        consul.on = Some(all.clone());
        consul.port("http", 8500, "http");
        consul.port("server", 8300, "tcp");
        consul.port("serf-lan", 8301, "tcp");
        consul.http_check("http", "/v1/status/leader");
        let consul = self.add(consul);

        let mut vault = Service::new("vault", Runtime::Baremetal, 2 * GIB, 1000);
        vault.provides.push("vault");
        vault.on = Some(vault_hosts.clone());
        vault.after.push(consul);
        vault.numa = Some(0);
        vault.port("api", 8200, "https");
        vault.http_check("api", "/v1/sys/health");
        for &h in &vault_hosts {
            self.stack.hosts[h].disk("nvme0").encrypted = true;
            vault.volumes.push(Volume {
                name: format!("data-{}", self.stack.hosts[h].name),
                storage: Storage::Disk(h, "nvme0"),
                size: 20 * GIB,
                size_text: "20GiB".into(),
                path: format!("/var/lib/vault/{}", self.stack.hosts[h].name),
                io: "fsync",
                backup: Some(Backup {
                    schedule: "daily",
                    keep_daily: Some(14),
                    hook_pg_dump: false,
                }),
            });
        }
        let vault = self.add(vault);

        let mut docker = Service::new("docker", Runtime::Baremetal, 512 * MIB, 500);
        docker.provides.push("docker");
        docker.package = Some("docker.io");
        docker.on = Some(all.clone());
        docker.command_check("docker info");
        let docker = self.add(docker);

        let mut cephfs = Service::new("cephfs", Runtime::Baremetal, 4 * GIB, 2000);
        cephfs.provides.push("cephfs");
        cephfs.package = Some("ceph");
        cephfs.on = Some(all.clone());
        cephfs.port("mon", 3300, "tcp");
        cephfs.port("mon-v1", 6789, "tcp");
        cephfs.command_check("ceph fs status benchfs");
        if let Some(h) = cephfs.health.as_mut() {
            h.timeout = Some("10s");
            h.grace = Some("5m");
        }
        let osd = 3400 * GB;
        for (n, &h) in all.iter().enumerate() {
            cephfs.volumes.push(Volume {
                name: format!("osd-{}", self.stack.hosts[h].name),
                storage: Storage::Disk(h, "ssd0"),
                size: osd,
                size_text: "3.4TB".into(),
                path: format!("/var/lib/ceph/osd/ceph-{n}"),
                io: "osd",
                backup: None,
            });
        }
        self.cephfs_capacity = osd * all.len() as u64 / CEPH_REPLICAS;
        let cephfs = self.add(cephfs);

        let mut nomad = Service::new("nomad", Runtime::Baremetal, 2 * GIB, 1000);
        nomad.provides.push("nomad");
        nomad.on = Some(all);
        nomad.after = vec![consul, docker, cephfs, vault];
        nomad.port("http", 4646, "http");
        nomad.port("rpc", 4647, "tcp");
        nomad.port("serf", 4648, "tcp");
        nomad.http_check("http", "/v1/agent/health");
        self.add(nomad);

        let mut caddy = Service::new("caddy", Runtime::Baremetal, GIB, 1000);
        caddy.provides.push("caddy");
        caddy.on = Some(edge.clone());
        caddy.port("http", 80, "http");
        caddy.port("https", 443, "https");
        caddy.command_check("curl -fsS http://127.0.0.1:2019/config/");
        self.add(caddy);

        let mut nginx = Service::new("nginx", Runtime::Baremetal, 512 * MIB, 500);
        nginx.provides.push("nginx");
        nginx.on = Some(edge);
        nginx.command_check("systemctl is-active --quiet nginx");
        self.add(nginx);

        // The way in when Authentik is down (W0408 otherwise).
        let mut boundary = Service::new("boundary", Runtime::Baremetal, 512 * MIB, 500);
        boundary.provides.push("boundary");
        boundary.on = Some(vec![0]);
        boundary.port("api", 9200, "http");
        boundary.command_check("systemctl is-active --quiet boundary");
        self.add(boundary);

        let mut authentik = Service::new("authentik", Runtime::Nomad, 2 * GIB, 1000);
        authentik.provides.push("authentik");
        authentik.image = Some("ghcr.io/goauthentik/server:2024.10.4".into());
        authentik.args = vec!["server"];
        authentik.count = 2;
        authentik.env.push(("AUTHENTIK_LOG_LEVEL", "info".into()));
        authentik.port("http", 9000, "http");
        authentik.http_check("http", "/-/health/live/");
        authentik.secrets.push(Secret {
            name: "app",
            path: "kv/data/authentik/app".into(),
            env: vec![
                ("AUTHENTIK_SECRET_KEY", "secret_key"),
                ("AUTHENTIK_POSTGRESQL__PASSWORD", "db_password"),
            ],
        });
        authentik
            .volumes
            .push(self.cephfs_volume("media", 20 * GIB, "/media"));
        self.authentik = self.add(authentik);
        self.stack.routes.push(Route {
            name: "auth".into(),
            protocol: "http",
            host: Some(format!("auth.{DOMAIN}")),
            path: None,
            listen: None,
            to: (self.authentik, "http"),
            auth: false,
        });
    }

    fn backup(&mut self, pg: bool) -> Backup {
        Backup {
            schedule: self.rng.pick(&SCHEDULES),
            keep_daily: if self.rng.chance(30) { Some(14) } else { None },
            hook_pg_dump: pg,
        }
    }

    fn cephfs_volume(&mut self, name: &str, size: u64, path: &str) -> Volume {
        let backup = Some(self.backup(false));
        Volume {
            name: name.into(),
            storage: Storage::Cephfs,
            size,
            size_text: gib_text(size),
            path: path.into(),
            io: "general",
            backup,
        }
    }

    /// A non-edge host with room for `memory`/`cpu` (and a free wal disk when
    /// asked), round-robin from the cursor.
    fn app_host(&mut self, memory: u64, cpu: u64, wal: bool) -> Option<usize> {
        let hosts = &self.stack.hosts;
        let first = if wal { VAULT_HOSTS } else { EDGE_HOSTS };
        let span = hosts.len() - first;
        for step in 0..span {
            let h = first + (self.cursor + step) % span;
            let host = &hosts[h];
            // Keep fixed placements to half the budget: Nomad fills the rest.
            let fits = host.memory_used + memory <= host.budget() / 2
                && host.cpu_used + cpu <= host.cpus * 1000 / 2;
            let disk_ok = !wal || !host.disks[0].write_heavy;
            if fits && disk_ok {
                self.cursor = (h - first + 1) % span;
                return Some(h);
            }
        }
        None
    }

    fn image(&mut self, team: &str, role: &str) -> String {
        format!(
            "registry.{DOMAIN}/{team}/{role}:{}.{}.{}",
            1 + self.rng.below(4),
            self.rng.below(20),
            self.rng.below(10)
        )
    }

    /// One app of up to ten services, `first` = index of its first service.
    fn app(&mut self, app: usize, size: usize, previous_apis: &[usize]) {
        let team = TEAMS[app % TEAMS.len()];
        let legacy_wanted = self.rng.chance(20);
        // A legacy app runs its store, cache and one API outside Nomad on one host.
        let legacy_host = if legacy_wanted {
            self.app_host(12 * GIB, 5000, true)
        } else {
            None
        };
        let mut ids: Vec<usize> = Vec::with_capacity(size);
        for pos in 0..size {
            let name = format!(
                "{team}-{}-{app}",
                ["db", "cache", "api", "grpc", "svc", "app", "gateway", "bff", "web", "worker"]
                    [pos]
            );
            let id = match pos {
                0 => self.store(name, legacy_host),
                1 => self.cache(name, team, legacy_host),
                2..=4 => {
                    let deps: Vec<usize> = ids.iter().copied().take(2).collect();
                    self.api(name, team, pos, legacy_host.filter(|_| pos == 2), &deps)
                }
                _ => {
                    let layer_deps: &[usize] = match pos {
                        5..=7 => &ids[2..5.min(ids.len())],
                        _ => &ids[5..8.min(ids.len())],
                    };
                    let mut deps = vec![self.rng.pick(layer_deps)];
                    if self.rng.chance(40) {
                        let other = self.rng.pick(layer_deps);
                        if !deps.contains(&other) {
                            deps.push(other);
                        }
                    }
                    // Cross-app dependency: an API of an earlier app.
                    if pos == 6 && !previous_apis.is_empty() && self.rng.chance(50) {
                        deps.push(self.rng.pick(previous_apis));
                    }
                    self.frontend(name, team, pos, deps)
                }
            };
            ids.push(id);
        }
    }

    fn store(&mut self, name: String, legacy_host: Option<usize>) -> usize {
        let (memory, cpu) = self
            .rng
            .pick(&[(4 * GIB, 2000), (8 * GIB, 2000), (16 * GIB, 4000)]);
        let wal_size = [50, 100, 200, 400][self.rng.below(4) as usize] * GIB;
        let backup = Some(self.backup(true));
        let mut s;
        let local = match legacy_host {
            Some(h) => Some(h),
            None if self.rng.chance(60) => self.app_host(memory, cpu, true),
            None => None,
        };
        if let Some(h) = legacy_host {
            s = Service::new(name, Runtime::Baremetal, memory, cpu);
            s.package = Some("postgresql-16");
            s.on = Some(vec![h]);
            let port = self.stack.hosts[h].port();
            s.port("pg", port, "tcp");
        } else {
            s = Service::new(name, Runtime::Nomad, memory, cpu);
            s.image = Some("postgres:16.4".into());
            s.memory_max = Some(memory + memory / 4);
            s.env.push(("POSTGRES_USER", "postgres".into()));
            s.env
                .push(("PGDATA", "/var/lib/postgresql/data/pgdata".into()));
            if let Some(h) = local {
                // Pinned by its volume: a static port is safe, and so is NUMA.
                let port = self.stack.hosts[h].port();
                s.ports.push(Port {
                    name: "pg",
                    number: port,
                    protocol: "tcp",
                    is_static: true,
                });
            } else {
                s.port("pg", 5432, "tcp");
            }
        }
        s.tcp_check("pg");
        s.secrets.push(Secret {
            name: "superuser",
            path: format!("kv/data/{}/superuser", s.name),
            env: vec![("POSTGRES_PASSWORD", "password")],
        });
        match local {
            Some(h) => {
                let host = &self.stack.hosts[h];
                let node = usize::from(host.numa_memory[1] < host.numa_memory[0]);
                let node_budget = host.numa[node].2 * MEMORY_BUDGET / 100;
                let node_cpus = (host.numa[node].1 - host.numa[node].0 + 1) * 1000;
                // Nomad CE cannot pin a job to a NUMA node (W0312): only a
                // database outside Nomad is pinned.
                if s.runtime != Runtime::Nomad
                    && host.numa_memory[node] + memory <= node_budget / 2
                    && host.numa_cpu[node] + cpu <= node_cpus / 2
                {
                    s.numa = Some(node);
                    let host = &mut self.stack.hosts[h];
                    host.numa_memory[node] += memory;
                    host.numa_cpu[node] += cpu;
                }
                if s.runtime == Runtime::Nomad {
                    // Booked now, so later fixed placements leave it room.
                    let host = &mut self.stack.hosts[h];
                    host.memory_used += memory;
                    host.cpu_used += cpu;
                }
                s.volumes.push(Volume {
                    name: "data".into(),
                    storage: Storage::Disk(h, "nvme0"),
                    size: wal_size,
                    size_text: gib_text(wal_size),
                    path: "/var/lib/postgresql/data".into(),
                    io: "wal",
                    backup,
                });
            }
            None => {
                let mut v = self.cephfs_volume("data", wal_size / 4, "/var/lib/postgresql/data");
                if let Some(b) = v.backup.as_mut() {
                    b.hook_pg_dump = true;
                }
                s.volumes.push(v);
            }
        }
        self.add(s)
    }

    fn cache(&mut self, name: String, team: &str, legacy_host: Option<usize>) -> usize {
        let memory = self.rng.pick(&[GIB, 2 * GIB, 4 * GIB]);
        let mut s;
        if let Some(h) = legacy_host {
            s = Service::new(name, Runtime::Docker, memory, 500);
            s.on = Some(vec![h]);
            let port = self.stack.hosts[h].port();
            s.port("redis", port, "tcp");
        } else {
            s = Service::new(name, Runtime::Nomad, memory, 500);
            s.port("redis", 6379, "tcp");
            s.count = 1 + self.rng.below(2);
        }
        s.image = Some(format!(
            "redis:7.{}.{}",
            2 + self.rng.below(3),
            self.rng.below(5)
        ));
        s.memory_max = Some(memory * 2);
        s.env.push(("REDIS_TEAM", team.into()));
        s.tcp_check("redis");
        self.add(s)
    }

    fn api(
        &mut self,
        name: String,
        team: &str,
        pos: usize,
        legacy_host: Option<usize>,
        deps: &[usize],
    ) -> usize {
        let (memory, cpu) = self
            .rng
            .pick(&[(512 * MIB, 250), (GIB, 500), (2 * GIB, 1000)]);
        let role = ["api", "grpc", "svc"][pos - 2];
        let mut s;
        if let Some(h) = legacy_host {
            s = Service::new(name, Runtime::Baremetal, memory, cpu);
            s.package = Some(
                ["openjdk-17-jre-headless", "python3-gunicorn", "nodejs"]
                    [self.rng.below(3) as usize],
            );
            s.on = Some(vec![h]);
            let (http, tcp) = (self.stack.hosts[h].port(), self.stack.hosts[h].port());
            s.port("http", http, "http");
            s.port("stream", tcp, "tcp");
            // Legacy APIs are reached by raw TCP through nginx too.
            let listen = self.next_listen;
            self.next_listen += 1;
            self.stack.routes.push(Route {
                name: format!("{}-stream", s.name),
                protocol: "tcp",
                host: None,
                path: None,
                listen: Some(listen),
                to: (self.stack.services.len(), "stream"),
                auth: false,
            });
        } else {
            s = Service::new(name, Runtime::Nomad, memory, cpu);
            s.image = Some(self.image(team, role));
            s.count = 1 + self.rng.below(3);
            s.port("http", 8080, "http");
            if pos == 3 {
                s.port("grpc", 9090, "tcp");
            }
            s.port("metrics", 9100, "http");
            if self.rng.chance(20) {
                s.command = Some("/usr/local/bin/serve");
                s.args = vec!["--listen", ":8080"];
            }
        }
        s.http_check("http", "/healthz");
        s.after = deps.to_vec();
        s.env.push(("LOG_LEVEL", "info".into()));
        for &d in deps {
            let dep = &self.stack.services[d];
            let port = dep.ports[0].name;
            let var = if dep.name.contains("-db-") {
                "DATABASE_HOST"
            } else {
                "CACHE_HOST"
            };
            s.env
                .push((var, format!("{}-{port}.service.consul", dep.name)));
        }
        if self.rng.chance(60) {
            s.secrets.push(Secret {
                name: "db",
                path: format!("kv/data/{}/db", s.name),
                env: vec![("DATABASE_PASSWORD", "password"), ("DATABASE_USER", "user")],
            });
        }
        if s.runtime == Runtime::Nomad && self.rng.chance(25) {
            let size = [5, 10, 20, 50][self.rng.below(4) as usize] * GIB;
            s.volumes
                .push(self.cephfs_volume("uploads", size, "/srv/uploads"));
        }
        if s.runtime == Runtime::Nomad && self.rng.chance(40) {
            s.memory_max = Some(s.memory * 2);
        }
        self.add(s)
    }

    fn frontend(&mut self, name: String, team: &str, pos: usize, deps: Vec<usize>) -> usize {
        let role = ["app", "gateway", "bff", "web", "worker"][pos - 5];
        let (memory, cpu) = match role {
            "app" => self
                .rng
                .pick(&[(GIB, 500), (2 * GIB, 1000), (4 * GIB, 1000)]),
            "worker" => self.rng.pick(&[(GIB, 500), (2 * GIB, 1000)]),
            "web" => self
                .rng
                .pick(&[(256 * MIB, 250), (512 * MIB, 250), (GIB, 500)]),
            _ => self.rng.pick(&[(512 * MIB, 250), (GIB, 500)]),
        };
        let mut s = Service::new(name, Runtime::Nomad, memory, cpu);
        s.image = Some(self.image(team, role));
        s.count = match role {
            "web" | "gateway" => 2 + self.rng.below(2),
            _ => 1 + self.rng.below(2),
        };
        s.after = deps;
        s.port("http", 8080, "http");
        s.http_check(
            "http",
            if role == "worker" {
                "/ready"
            } else {
                "/healthz"
            },
        );
        if let Some(h) = s.health.as_mut() {
            if role == "worker" {
                h.interval = Some("30s");
                h.timeout = Some("5s");
            }
        }
        let level: &str = self.rng.pick(&["info", "warn", "debug"]);
        s.env.push(("LOG_LEVEL", level.to_string()));
        s.env.push((
            "UPSTREAM",
            format!(
                "{}-http.service.consul",
                self.stack.services[s.after[0]].name
            ),
        ));
        if self.rng.chance(30) {
            s.secrets.push(Secret {
                name: "oidc",
                path: format!("kv/data/{}/oidc", s.name),
                env: vec![("OIDC_CLIENT_SECRET", "client_secret")],
            });
        }
        // Local volumes pin an allocation to a host: a few apps and workers.
        let local = match role {
            "app" if self.rng.chance(10) => Some((
                "nvme1",
                "general",
                [50, 100, 200][self.rng.below(3) as usize] * GIB,
            )),
            "worker" if self.rng.chance(10) => Some((
                "sda",
                "bulk",
                [500, 1000, 2000][self.rng.below(3) as usize] * GIB,
            )),
            _ => None,
        };
        if let Some((disk, io, size)) = local {
            if let Some(h) = self.app_host(memory, cpu, false) {
                let d = self.stack.hosts[h].disk(disk);
                if d.used + size <= d.bytes * DISK_BUDGET / 100 / 2 {
                    s.count = 1;
                    let host = &mut self.stack.hosts[h];
                    host.memory_used += memory;
                    host.cpu_used += cpu;
                    let backup = Some(self.backup(false));
                    s.volumes.push(Volume {
                        name: "data".into(),
                        storage: Storage::Disk(h, disk),
                        size,
                        size_text: gib_text(size),
                        path: "/data".into(),
                        io,
                        backup,
                    });
                }
            }
        } else if role == "worker" && self.rng.chance(30) {
            s.volumes
                .push(self.cephfs_volume("spool", 10 * GIB, "/var/spool/work"));
        }
        let id = self.stack.services.len();
        match role {
            "web" => self.stack.routes.push(Route {
                name: s.name.clone(),
                protocol: "http",
                host: Some(format!("{}.{DOMAIN}", s.name)),
                path: None,
                listen: None,
                to: (id, "http"),
                auth: self.rng.chance(30),
            }),
            "gateway" if self.rng.chance(50) => self.stack.routes.push(Route {
                name: format!("{}-api", s.name),
                protocol: "http",
                host: Some(format!("{}.{DOMAIN}", s.name)),
                path: Some(["/api/", "/v1/", "/v2/", "/graphql"][self.rng.below(4) as usize]),
                listen: None,
                to: (id, "http"),
                auth: false,
            }),
            _ => {}
        }
        self.add(s)
    }
}

// --- the proof: replay the Nomad packer and the budgets -----------------------------

fn verify(stack: &Stack) -> Result<(), String> {
    let mut free: Vec<i128> = stack
        .hosts
        .iter()
        .map(|h| i128::from(h.budget()) - i128::from(RESERVED))
        .collect();
    let mut cpu: Vec<u64> = vec![0; stack.hosts.len()];
    let mut numa: Vec<[(u64, u64); 2]> = vec![[(0, 0); 2]; stack.hosts.len()];
    for s in &stack.services {
        if s.runtime == Runtime::Nomad {
            continue;
        }
        for &h in s.on.iter().flatten() {
            free[h] -= i128::from(s.memory);
            cpu[h] += s.cpu;
            if let Some(n) = s.numa {
                numa[h][n].0 += s.memory;
                numa[h][n].1 += s.cpu;
            }
        }
    }
    let mut allocations: Vec<(usize, u64)> = stack
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| s.runtime == Runtime::Nomad)
        .flat_map(|(i, s)| (0..s.count).map(move |n| (i, n)))
        .collect();
    allocations.sort_by_key(|&(i, n)| (std::cmp::Reverse(stack.services[i].memory), i, n));
    let mut by_free: BTreeSet<(std::cmp::Reverse<i128>, usize)> = free
        .iter()
        .enumerate()
        .map(|(h, &f)| (std::cmp::Reverse(f), h))
        .collect();
    for (i, _) in allocations {
        let s = &stack.services[i];
        let pinned = s.volumes.iter().find_map(|v| match v.storage {
            Storage::Disk(h, _) => Some(h),
            Storage::Cephfs => None,
        });
        let h = match pinned {
            Some(h) => h,
            None => by_free
                .iter()
                .next()
                .map(|&(_, h)| h)
                .ok_or("no nomad client")?,
        };
        let memory = i128::from(s.memory);
        if free[h] < memory {
            return Err(format!(
                "`{}` does not fit on {}",
                s.name, stack.hosts[h].name
            ));
        }
        by_free.remove(&(std::cmp::Reverse(free[h]), h));
        free[h] -= memory;
        by_free.insert((std::cmp::Reverse(free[h]), h));
        cpu[h] += s.cpu;
        if let Some(n) = s.numa {
            numa[h][n].0 += s.memory;
            numa[h][n].1 += s.cpu;
        }
    }
    for (h, host) in stack.hosts.iter().enumerate() {
        if cpu[h] > host.cpus * 1000 {
            return Err(format!(
                "{}: {} of {} cpus",
                host.name,
                cpu_text(cpu[h]),
                host.cpus
            ));
        }
        for (n, node) in host.numa.iter().enumerate() {
            if numa[h][n].0 > node.2 * MEMORY_BUDGET / 100
                || numa[h][n].1 > (node.1 - node.0 + 1) * 1000
            {
                return Err(format!("{} NUMA node {n} over budget", host.name));
            }
        }
        for d in &host.disks {
            if d.used > d.bytes * DISK_BUDGET / 100 {
                return Err(format!("{}.{} over budget", host.name, d.name));
            }
        }
    }
    Ok(())
}

/// The most-used host after packing, for the report on stderr.
fn utilisation(stack: &Stack) -> String {
    let total_budget: u64 = stack.hosts.iter().map(|h| h.budget() - RESERVED).sum();
    let demand: u64 = stack
        .services
        .iter()
        .map(|s| {
            s.memory
                * if s.runtime == Runtime::Nomad {
                    s.count
                } else {
                    s.on.as_ref().map_or(0, Vec::len) as u64
                }
        })
        .sum();
    format!(
        "memory demand {} GiB of {} GiB budget ({}%)",
        demand / GIB,
        total_budget / GIB,
        demand * 100 / total_budget
    )
}

fn generate(n: usize, seed: u64) -> Result<Stack, String> {
    let host_count = n.div_ceil(20).max(6);
    let mut rng = Rng(seed ^ 0x00E0_5BE7_C4A1_0001);
    let hosts = hosts(host_count, &mut rng);
    let mut g = Generator {
        rng,
        stack: Stack {
            hosts,
            services: Vec::new(),
            routes: Vec::new(),
        },
        cursor: 0,
        next_listen: 20_000,
        cephfs_used: 0,
        cephfs_capacity: 0,
        authentik: 0,
    };
    g.core();
    let mut apis: Vec<usize> = Vec::new();
    let mut app = 0;
    let mut made = 0;
    while made < n {
        let size = (n - made).min(10);
        let first = g.stack.services.len();
        g.app(app, size, &apis);
        if size > 2 {
            apis.push(first + 2);
            if apis.len() > 50 {
                apis.remove(0);
            }
        }
        made += size;
        app += 1;
    }
    if g.next_listen > 65_535 {
        return Err("too many tcp routes".into());
    }
    if g.cephfs_used > g.cephfs_capacity {
        return Err("cephfs over capacity".into());
    }
    let _ = g.authentik;
    verify(&g.stack)?;
    Ok(g.stack)
}

// --- rendering: .eos ---------------------------------------------------------------

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render_eos(stack: &Stack, n: usize, seed: u64) -> String {
    let mut o = String::with_capacity(n * 900 + 4096);
    let _ = writeln!(
        o,
        "// Generated by `eosc-bench gen {n} --seed {seed}`: {} hosts, {} services, {} routes.",
        stack.hosts.len(),
        stack.services.len(),
        stack.routes.len()
    );
    let _ = writeln!(o, "// {}\n", utilisation(stack));
    let _ = writeln!(
        o,
        "stack \"bench\" {{\n  domain        = \"{DOMAIN}\"\n  acme_email    = \"ops@{DOMAIN}\"\n  datacenter    = \"bench1\"\n  memory_budget = {MEMORY_BUDGET}%\n  disk_budget   = {DISK_BUDGET}%\n  ceph_replicas = {CEPH_REPLICAS}\n\n  backup {{\n    repository = \"s3:https://backup.example.net/bench-restic\"\n    secret     = \"kv/data/restic\"\n  }}\n}}\n"
    );
    for h in &stack.hosts {
        let _ = writeln!(o, "host \"{}\" {{\n  address = \"{}\"\n  memory  = {}GiB\n  cpus    = {}\n  cpu_mhz = {}MHz\n", h.name, h.address, h.memory / GIB, h.cpus, h.cpu_mhz);
        for (i, node) in h.numa.iter().enumerate() {
            let _ = writeln!(
                o,
                "  numa {i} {{\n    cpus   = {}..{}\n    memory = {}GiB\n  }}\n",
                node.0,
                node.1,
                node.2 / GIB
            );
        }
        for d in &h.disks {
            let encrypted = if d.encrypted {
                "\n    encrypted = true"
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "  disk \"{}\" {{\n    size = {}\n    kind = {}{encrypted}\n  }}\n",
                d.name, d.text, d.kind
            );
        }
        o.truncate(o.len() - 1);
        o.push_str("}\n\n");
    }
    for s in &stack.services {
        render_service(&mut o, stack, s);
    }
    for r in &stack.routes {
        let _ = writeln!(o, "route \"{}\" {{", r.name);
        if r.protocol != "http" {
            let _ = writeln!(o, "  protocol = {}", r.protocol);
        }
        if let Some(host) = &r.host {
            let _ = writeln!(o, "  host = {}", quote(host));
        }
        if let Some(path) = r.path {
            let _ = writeln!(o, "  path = {}", quote(path));
        }
        if let Some(listen) = r.listen {
            let _ = writeln!(o, "  listen = {listen}");
        }
        let _ = writeln!(o, "  to = {}.{}", stack.services[r.to.0].name, r.to.1);
        if r.auth {
            o.push_str("  auth = authentik\n");
        }
        o.push_str("}\n\n");
    }
    o.truncate(o.len() - 1);
    o
}

fn render_service(o: &mut String, stack: &Stack, s: &Service) {
    let _ = writeln!(
        o,
        "service \"{}\" {{\n  runtime = {}",
        s.name,
        s.runtime.name()
    );
    if !s.provides.is_empty() {
        let _ = writeln!(o, "  provides = [{}]", s.provides.join(", "));
    }
    if let Some(package) = s.package {
        let _ = writeln!(o, "  package = {}", quote(package));
    }
    if let Some(on) = &s.on {
        let names: Vec<&str> = on.iter().map(|&h| stack.hosts[h].name.as_str()).collect();
        let _ = writeln!(o, "  on = [{}]", names.join(", "));
    }
    if let Some(image) = &s.image {
        let _ = writeln!(o, "  image = {}", quote(image));
    }
    if let Some(command) = s.command {
        let _ = writeln!(o, "  command = {}", quote(command));
    }
    if !s.args.is_empty() {
        let args: Vec<String> = s.args.iter().map(|a| quote(a)).collect();
        let _ = writeln!(o, "  args = [{}]", args.join(", "));
    }
    if s.count != 1 {
        let _ = writeln!(o, "  count = {}", s.count);
    }
    if !s.after.is_empty() {
        let names: Vec<&str> = s
            .after
            .iter()
            .map(|&d| stack.services[d].name.as_str())
            .collect();
        let _ = writeln!(o, "  after = [{}]", names.join(", "));
    }
    let _ = writeln!(o, "  memory = {}", gib_text(s.memory));
    if let Some(max) = s.memory_max {
        let _ = writeln!(o, "  memory_max = {}", gib_text(max));
    }
    let _ = writeln!(o, "  cpu = {}", cpu_text(s.cpu));
    if let Some(n) = s.numa {
        let _ = writeln!(o, "  numa = {n}");
    }
    if !s.env.is_empty() {
        o.push_str("  env = {\n");
        for (k, v) in &s.env {
            let _ = writeln!(o, "    {k} = {}", quote(v));
        }
        o.push_str("  }\n");
    }
    for p in &s.ports {
        let _ = write!(o, "\n  port \"{}\" {{\n    number = {}\n", p.name, p.number);
        if p.protocol != "http" {
            let _ = writeln!(o, "    protocol = {}", p.protocol);
        }
        if p.is_static {
            o.push_str("    static = true\n");
        }
        o.push_str("  }\n");
    }
    if let Some(h) = &s.health {
        o.push_str("\n  health {\n");
        match &h.check {
            Check::Http { port, path } => {
                let _ = writeln!(o, "    port = {port}\n    path = {}", quote(path));
            }
            Check::Tcp { port } => {
                let _ = writeln!(o, "    port = {port}");
            }
            Check::Command(c) => {
                let _ = writeln!(o, "    command = {}", quote(c));
            }
        }
        for (k, v) in [
            ("interval", h.interval),
            ("timeout", h.timeout),
            ("grace", h.grace),
        ] {
            if let Some(v) = v {
                let _ = writeln!(o, "    {k} = {v}");
            }
        }
        o.push_str("  }\n");
    }
    for sec in &s.secrets {
        let _ = write!(
            o,
            "\n  secret \"{}\" {{\n    path = {}\n    env  = {{\n",
            sec.name,
            quote(&sec.path)
        );
        for (k, v) in &sec.env {
            let _ = writeln!(o, "      {k} = {}", quote(v));
        }
        o.push_str("    }\n  }\n");
    }
    for v in &s.volumes {
        let _ = write!(o, "\n  volume \"{}\" {{\n", v.name);
        match v.storage {
            Storage::Disk(h, disk) => {
                let _ = writeln!(o, "    disk = {}.{disk}", stack.hosts[h].name);
            }
            Storage::Cephfs => o.push_str("    backend = cephfs\n"),
        }
        let _ = writeln!(
            o,
            "    size = {}\n    path = {}",
            v.size_text,
            quote(&v.path)
        );
        if v.io != "general" {
            let _ = writeln!(o, "    io   = {}", v.io);
        }
        if let Some(b) = &v.backup {
            let _ = writeln!(o, "\n    backup {{\n      schedule = {}", quote(b.schedule));
            if let Some(k) = b.keep_daily {
                let _ = writeln!(o, "      keep_daily = {k}");
            }
            if b.hook_pg_dump {
                o.push_str("      hook = pg_dump\n");
            }
            o.push_str("    }\n");
        }
        o.push_str("  }\n");
    }
    o.push_str("}\n\n");
}

// --- rendering: JSON for the peer tools --------------------------------------------

fn render_json(stack: &Stack) -> String {
    use serde_json::{json, Map, Value};
    let hosts: Vec<Value> = stack
        .hosts
        .iter()
        .map(|h| {
            json!({
                "name": h.name, "address": h.address, "memory": h.memory, "cpus": h.cpus,
                "cpu_mhz": h.cpu_mhz, "reserved": RESERVED,
                "numa": h.numa.iter().enumerate().map(|(i, n)| json!({"id": i, "cpus": [n.0, n.1], "memory": n.2})).collect::<Vec<_>>(),
                "disks": h.disks.iter().map(|d| json!({"name": d.name, "size": d.bytes, "kind": d.kind})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let services: Vec<Value> = stack
        .services
        .iter()
        .map(|s| {
            let mut m = Map::new();
            m.insert("name".into(), json!(s.name));
            m.insert("runtime".into(), json!(s.runtime.name()));
            m.insert("provides".into(), json!(s.provides));
            if let Some(on) = &s.on {
                m.insert("on".into(), json!(on.iter().map(|&h| &stack.hosts[h].name).collect::<Vec<_>>()));
            }
            if let Some(p) = s.package {
                m.insert("package".into(), json!(p));
            }
            if let Some(i) = &s.image {
                m.insert("image".into(), json!(i));
            }
            if let Some(c) = s.command {
                m.insert("command".into(), json!(c));
            }
            m.insert("args".into(), json!(s.args));
            m.insert("count".into(), json!(s.count));
            m.insert("memory".into(), json!(s.memory));
            if let Some(x) = s.memory_max {
                m.insert("memory_max".into(), json!(x));
            }
            m.insert("cpu".into(), json!(s.cpu));
            if let Some(n) = s.numa {
                m.insert("numa".into(), json!(n));
            }
            m.insert("after".into(), json!(s.after.iter().map(|&d| &stack.services[d].name).collect::<Vec<_>>()));
            m.insert("env".into(), Value::Object(s.env.iter().map(|(k, v)| ((*k).to_string(), json!(v))).collect()));
            m.insert(
                "ports".into(),
                json!(s.ports.iter().map(|p| json!({"name": p.name, "number": p.number, "protocol": p.protocol, "static": p.is_static})).collect::<Vec<_>>()),
            );
            if let Some(h) = &s.health {
                let mut hm = Map::new();
                match &h.check {
                    Check::Http { port, path } => {
                        hm.insert("port".into(), json!(port));
                        hm.insert("path".into(), json!(path));
                    }
                    Check::Tcp { port } => {
                        hm.insert("port".into(), json!(port));
                    }
                    Check::Command(c) => {
                        hm.insert("command".into(), json!(c));
                    }
                }
                let ms = |t: Option<&str>, default: u64| {
                    t.map_or(default, |t| {
                        let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
                        let n: u64 = num.parse().unwrap_or(0);
                        n * match unit {
                            "s" => 1000,
                            "m" => 60_000,
                            _ => 1,
                        }
                    })
                };
                hm.insert("interval_ms".into(), json!(ms(h.interval, 10_000)));
                hm.insert("timeout_ms".into(), json!(ms(h.timeout, 2_000)));
                hm.insert("grace_ms".into(), json!(ms(h.grace, 30_000)));
                m.insert("health".into(), Value::Object(hm));
            }
            m.insert(
                "secrets".into(),
                json!(s.secrets.iter().map(|x| json!({"name": x.name, "path": x.path, "env": x.env.iter().map(|(k, v)| ((*k).to_string(), json!(v))).collect::<Map<_, _>>()})).collect::<Vec<_>>()),
            );
            m.insert(
                "volumes".into(),
                json!(s
                    .volumes
                    .iter()
                    .map(|v| {
                        let mut vm = Map::new();
                        vm.insert("name".into(), json!(v.name));
                        match v.storage {
                            Storage::Disk(h, d) => {
                                vm.insert("disk".into(), json!(format!("{}.{d}", stack.hosts[h].name)));
                            }
                            Storage::Cephfs => {
                                vm.insert("backend".into(), json!("cephfs"));
                            }
                        }
                        vm.insert("size".into(), json!(v.size));
                        vm.insert("path".into(), json!(v.path));
                        vm.insert("io".into(), json!(v.io));
                        if let Some(b) = &v.backup {
                            vm.insert("backup".into(), json!({"schedule": b.schedule, "keep_daily": b.keep_daily.unwrap_or(7), "keep_weekly": 4, "keep_monthly": 6, "hook": if b.hook_pg_dump { "pg_dump" } else { "none" }}));
                        }
                        Value::Object(vm)
                    })
                    .collect::<Vec<_>>()),
            );
            Value::Object(m)
        })
        .collect();
    let routes: Vec<Value> = stack
        .routes
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("name".into(), json!(r.name));
            m.insert("protocol".into(), json!(r.protocol));
            if let Some(h) = &r.host {
                m.insert("host".into(), json!(h));
            }
            m.insert("path".into(), json!(r.path.unwrap_or("/")));
            if let Some(l) = r.listen {
                m.insert("listen".into(), json!(l));
            }
            m.insert(
                "to".into(),
                json!(format!("{}.{}", stack.services[r.to.0].name, r.to.1)),
            );
            m.insert(
                "auth".into(),
                json!(if r.auth { "authentik" } else { "none" }),
            );
            Value::Object(m)
        })
        .collect();
    let doc = json!({
        "stack": {
            "name": "bench", "domain": DOMAIN, "acme_email": format!("ops@{DOMAIN}"), "datacenter": "bench1",
            "memory_budget": MEMORY_BUDGET, "disk_budget": DISK_BUDGET, "ceph_replicas": CEPH_REPLICAS,
            "backup": {"repository": "s3:https://backup.example.net/bench-restic", "secret": "kv/data/restic"},
        },
        "hosts": hosts,
        "services": services,
        "routes": routes,
    });
    let mut text = serde_json::to_string(&doc).expect("JSON");
    text.push('\n');
    text
}

/// The spec text of a generated stack of `n` services.
pub(crate) fn spec_text(n: usize, seed: u64) -> Result<String, String> {
    generate(n, seed).map(|stack| render_eos(&stack, n, seed))
}

/// The same stack as JSON, for the peer tools.
pub(crate) fn json_text(n: usize, seed: u64) -> Result<String, String> {
    generate(n, seed).map(|stack| render_json(&stack))
}

// --- command line ------------------------------------------------------------------

const USAGE: &str = "usage: eosc-bench gen N [--seed S] [--json]\n\n  Prints a valid synthetic stack of N application services (deterministic per seed).\n  --json prints the same stack as JSON, for the peer tools in bench/.\n";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut n = None;
    let mut seed = 1u64;
    let mut json = false;
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("gen") => {}
        Some("-h" | "--help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seed" => match it.next().and_then(|s| s.parse().ok()) {
                Some(s) => seed = s,
                None => {
                    eprint!("--seed needs a number\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--json" => json = true,
            other => match other.replace('_', "").parse::<usize>() {
                Ok(v) if n.is_none() && v > 0 => n = Some(v),
                _ => {
                    eprint!("unexpected argument `{other}`\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
        }
    }
    let Some(n) = n else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    match if json {
        json_text(n, seed)
    } else {
        spec_text(n, seed)
    } {
        Ok(text) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            if out
                .write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .is_err()
            {
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("eosc-bench: generated stack does not fit: {e}");
            ExitCode::FAILURE
        }
    }
}
