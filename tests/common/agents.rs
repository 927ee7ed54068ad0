//! The running systems the artifacts are handed to: a Nomad dev agent and a
//! Vault dev server on loopback, started by a test and stopped (by pid) when
//! dropped, on ports picked free. The binaries come from
//! `scripts/build-consumers.sh` (`$EOSC_CONSUMERS/bin`) or PATH; a missing
//! one fails the test with the command that builds it.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A consumer binary, or a panic saying how to get it (see
/// [`super::find_tool`]).
pub fn consumer(name: &str) -> Option<PathBuf> {
    super::find_tool(
        name,
        &super::cache_dir("EOSC_CONSUMERS", "consumers").join("bin"),
        "run scripts/build-consumers.sh (it builds Nomad, Consul and the Vault-API server from \
         their Go modules into ~/.cache/eosc/consumers/bin)",
    )
}

/// A free TCP port on 127.0.0.1 (free when asked; the agent binds it next),
/// never one this test process was given before: the kernel may hand a
/// released port out again, and an agent given the same port for two of its
/// listeners fails to start ("address already in use").
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// `curl` with a timeout: (status code, body). The body of a failed request
/// is returned too.
pub fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, String) {
    let mut command = Command::new("curl");
    command.args([
        "-sS",
        "--max-time",
        "30",
        "-X",
        method,
        "-w",
        "\n%{http_code}",
    ]);
    for (name, value) in headers {
        command.arg("-H").arg(format!("{name}: {value}"));
    }
    if body.is_some() {
        command.args(["--data-binary", "@-"]);
    }
    command.arg(url);
    let output = match body {
        Some(body) => super::run_with_stdin(&mut command, body.as_bytes()),
        None => command.output().expect("curl (apt-get install curl)"),
    };
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

/// Polls `ready` every 200 ms until it holds or `limit` passes.
pub fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool, log: &Path) {
    let started = Instant::now();
    while started.elapsed() < limit {
        if ready() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "{what} did not come up within {limit:?}; its log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// A process that is killed when dropped.
pub struct Running {
    child: Child,
    pub log: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(mut command: Command, log: &Path) -> Running {
    let file = std::fs::File::create(log).unwrap();
    command
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file);
    Running {
        child: command
            .spawn()
            .unwrap_or_else(|e| panic!("{command:?}: {e}")),
        log: log.to_path_buf(),
    }
}

/// A Vault dev server (root token `root`), in memory.
pub struct Vault {
    pub address: String,
    pub token: &'static str,
    _process: Running,
}

impl Vault {
    pub fn start(binary: &Path, dir: &Path) -> Self {
        let port = free_port();
        let address = format!("http://127.0.0.1:{port}");
        let mut command = Command::new(binary);
        command
            .args(["server", "-dev", "-dev-root-token-id=root"])
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            .env("HOME", dir)
            .env_remove("VAULT_ADDR");
        let process = spawn(command, &dir.join("vault.log"));
        let health = format!("{address}/v1/sys/health");
        wait_until(
            "vault server -dev",
            Duration::from_secs(60),
            || http("GET", &health, &[], None).0 == 200,
            &process.log,
        );
        Self {
            address,
            token: "root",
            _process: process,
        }
    }

    /// A request with the root token.
    pub fn call(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        http(
            method,
            &format!("{}/v1/{path}", self.address),
            &[("X-Vault-Token", self.token)],
            body,
        )
    }
}

/// A Nomad dev agent (server and client in one) named `node`, with extra
/// agent configuration files.
pub struct Nomad {
    pub address: String,
    binary: PathBuf,
    _process: Running,
}

impl Nomad {
    pub fn start(binary: &Path, dir: &Path, node: &str, configs: &[PathBuf]) -> Self {
        let (http_port, rpc, serf) = (free_port(), free_port(), free_port());
        let data = dir.join("nomad-data");
        std::fs::create_dir_all(&data).unwrap();
        let base = dir.join("nomad-agent.hcl");
        std::fs::write(
            &base,
            format!(
                "name = \"{node}\"\ndata_dir = \"{}\"\nbind_addr = \"127.0.0.1\"\n\
                 ports {{\n  http = {http_port}\n  rpc = {rpc}\n  serf = {serf}\n}}\n\
                 advertise {{\n  http = \"127.0.0.1\"\n  rpc = \"127.0.0.1\"\n  serf = \"127.0.0.1\"\n}}\n\
                 client {{\n  network_interface = \"lo\"\n  options {{\n    \"fingerprint.denylist\" = \"env_aws,env_gce,env_azure,env_digitalocean\"\n  }}\n}}\n",
                data.display()
            ),
        )
        .unwrap();
        let mut command = Command::new(binary);
        command
            .args(["agent", "-dev"])
            .arg(format!("-config={}", base.display()));
        for config in configs {
            command.arg(format!("-config={}", config.display()));
        }
        // No cloud to fingerprint on loopback; and Nomad's AWS fingerprinter
        // refuses to start when AWS_CA_BUNDLE is set, as on some machines.
        command
            .env_remove("NOMAD_ADDR")
            .env_remove("AWS_CA_BUNDLE")
            .env("HOME", dir);
        let process = spawn(command, &dir.join("nomad.log"));
        let address = format!("http://127.0.0.1:{http_port}");
        let nodes = format!("{address}/v1/nodes");
        wait_until(
            "nomad agent -dev",
            Duration::from_secs(90),
            || {
                let (code, body) = http("GET", &nodes, &[], None);
                // 403: the agent answers, with ACLs on (a test's refused-token case).
                (code == 200 && body.contains("\"Status\":\"ready\"")) || code == 403
            },
            &process.log,
        );
        Self {
            address,
            binary: binary.to_path_buf(),
            _process: process,
        }
    }

    /// The `nomad` CLI against this agent.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(&self.binary)
            .args(args)
            .env("NOMAD_ADDR", &self.address)
            .output()
            .unwrap()
    }

    /// An API request.
    pub fn call(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        http(method, &format!("{}/v1/{path}", self.address), &[], body)
    }
}

/// What [`vault_apply`] wrote.
#[derive(Debug)]
pub struct Applied {
    pub policies: usize,
    pub roles: usize,
}

/// Applies the Vault resources of a `main.tf` through Vault's API, field for
/// field as terraform-provider-vault sends them (its `vault_policy`,
/// `vault_jwt_auth_backend` and `vault_jwt_auth_backend_role` resources):
/// the stand-in for `terraform apply`, whose providers cannot be built here.
/// `var.nomad_address` is `nomad`. Every write must succeed.
pub fn vault_apply(vault: &Vault, main_tf: &hcl::Body, nomad: &str) -> Applied {
    use hcl::eval::{Context, Evaluate};
    let mut context = Context::new();
    context.declare_var("var", hcl::value!({ nomad_address = (nomad) }));
    let resources: Vec<&hcl::Block> = main_tf
        .blocks()
        .filter(|b| b.identifier() == "resource")
        .collect();
    let of = |kind: &str| -> Vec<&hcl::Block> {
        resources
            .iter()
            .copied()
            .filter(|b| b.labels()[0].as_str() == kind)
            .collect()
    };
    let eval = |context: &Context, block: &hcl::Block, key: &str| -> Option<hcl::Value> {
        block.body().attributes().find(|a| a.key() == key).map(|a| {
            a.expr()
                .evaluate(context)
                .unwrap_or_else(|e| panic!("{key}: {e}"))
        })
    };
    let json = |value: hcl::Value| serde_json::to_value(value).unwrap();
    let mut policies = serde_json::Map::new();
    for block in of("vault_policy") {
        let name = json(eval(&context, block, "name").unwrap());
        let policy = json(eval(&context, block, "policy").unwrap());
        let path = format!("sys/policies/acl/{}", name.as_str().unwrap());
        let (code, body) = vault.call(
            "PUT",
            &path,
            Some(&serde_json::json!({ "policy": policy }).to_string()),
        );
        assert!(code == 204 || code == 200, "{path}: {code} {body}");
        policies.insert(
            block.labels()[1].as_str().to_string(),
            serde_json::json!({ "name": name }),
        );
    }
    context.declare_var(
        "vault_policy",
        serde_json::from_value::<hcl::Value>(policies.clone().into()).unwrap(),
    );
    let mut backends = serde_json::Map::new();
    for block in of("vault_jwt_auth_backend") {
        let path = json(eval(&context, block, "path").unwrap());
        let path = path.as_str().unwrap().to_string();
        let kind = json(eval(&context, block, "type").unwrap());
        let (code, body) = vault.call(
            "POST",
            &format!("sys/auth/{path}"),
            Some(&serde_json::json!({ "type": kind }).to_string()),
        );
        assert!(code == 204 || code == 200, "enable {path}: {code} {body}");
        let mut config = serde_json::Map::new();
        for key in [
            "jwks_url",
            "jwt_supported_algs",
            "bound_issuer",
            "oidc_discovery_url",
        ] {
            if let Some(value) = eval(&context, block, key) {
                config.insert(key.into(), json(value));
            }
        }
        let (code, body) = vault.call(
            "POST",
            &format!("auth/{path}/config"),
            Some(&serde_json::Value::Object(config).to_string()),
        );
        assert!(
            code == 204 || code == 200,
            "configure {path} (Vault fetches the JWKS): {code} {body}"
        );
        backends.insert(
            block.labels()[1].as_str().to_string(),
            serde_json::json!({ "path": path }),
        );
    }
    context.declare_var(
        "vault_jwt_auth_backend",
        serde_json::from_value::<hcl::Value>(backends.into()).unwrap(),
    );
    let mut roles = 0;
    for block in of("vault_jwt_auth_backend_role") {
        let backend = json(eval(&context, block, "backend").unwrap());
        let name = json(eval(&context, block, "role_name").unwrap());
        let mut fields = serde_json::Map::new();
        for attribute in block.body().attributes() {
            let key = attribute.key();
            if matches!(key, "backend" | "role_name") {
                continue;
            }
            fields.insert(key.into(), json(eval(&context, block, key).unwrap()));
        }
        let path = format!(
            "auth/{}/role/{}",
            backend.as_str().unwrap(),
            name.as_str().unwrap()
        );
        let (code, body) = vault.call(
            "POST",
            &path,
            Some(&serde_json::Value::Object(fields).to_string()),
        );
        assert!(code == 204 || code == 200, "{path}: {code} {body}");
        roles += 1;
    }
    Applied {
        policies: policies.len(),
        roles,
    }
}

/// A Consul dev agent: HTTP on a free port, DNS on `dns_port`.
pub struct Consul {
    pub address: String,
    _process: Running,
}

impl Consul {
    pub fn start(binary: &Path, dir: &Path, dns_port: u16) -> Self {
        let http_port = free_port();
        let mut command = Command::new(binary);
        command
            .args([
                "agent",
                "-dev",
                "-bind=127.0.0.1",
                "-client=127.0.0.1",
                "-node=eos-test",
            ])
            .arg(format!("-http-port={http_port}"))
            .arg(format!("-dns-port={dns_port}"))
            .arg(format!("-serf-lan-port={}", free_port()))
            .arg(format!("-serf-wan-port={}", free_port()))
            .arg(format!("-server-port={}", free_port()))
            .arg(format!("-grpc-port={}", free_port()))
            .arg(format!("-data-dir={}", dir.join("consul-data").display()))
            .env_remove("CONSUL_HTTP_ADDR");
        let process = spawn(command, &dir.join("consul.log"));
        let address = format!("http://127.0.0.1:{http_port}");
        let leader = format!("{address}/v1/status/leader");
        wait_until(
            "consul agent -dev",
            Duration::from_secs(60),
            || {
                let (code, body) = http("GET", &leader, &[], None);
                code == 200 && body.len() > 2
            },
            &process.log,
        );
        Self {
            address,
            _process: process,
        }
    }

    /// Registers a service instance with the local agent.
    pub fn register(&self, name: &str, address: &str, port: u16) {
        let body =
            serde_json::json!({ "Name": name, "Address": address, "Port": port }).to_string();
        let (code, text) = http(
            "PUT",
            &format!("{}/v1/agent/service/register", self.address),
            &[],
            Some(&body),
        );
        assert_eq!(code, 200, "register {name}: {text}");
    }
}

/// Starts a process (for proxies and upstreams the tests run), killed when
/// dropped; its output goes to `log`.
pub fn start(command: Command, log: &Path) -> Running {
    spawn(command, log)
}

/// An HTTP/1.1 upstream on `address` answering every request with 200 and
/// `upstream NAME PATH` (the request path), until the test ends.
pub fn http_upstream(address: &str, name: &'static str) {
    let listener = TcpListener::bind(address).unwrap_or_else(|e| panic!("bind {address}: {e}"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve_one(stream, name));
        }
    });
}

fn serve_one(mut stream: std::net::TcpStream, name: &str) {
    use std::io::{BufRead, BufReader, Write};
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = first.split_whitespace().nth(1).unwrap_or("?");
    let body = format!("upstream {name} {path}\n");
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}
