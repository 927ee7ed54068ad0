//! A small stack of three files (a root including a hosts file and
//! `apps/*.eos`) that the language server's tests open: in-process
//! (`tests/lsp_server.rs`) and through Neovim (`tests/editor_neovim.rs`).

use std::path::{Path, PathBuf};

pub const ROOT: &str = r#"stack "demo" {
  domain  = "example.com"
  include = ["hosts.eos", "apps/*.eos"]
}
"#;

pub const HOSTS: &str = r#"host "hv1" {
  address = "10.0.0.1"
  memory  = 64GiB
  cpus    = 16
  disk "nvme0" {
    size = 1TB
    kind = nvme
  }
}
"#;

pub const APP: &str = r#"service "web" {
  runtime = baremetal
  on      = [hv1]
  memory  = 1GiB
  cpu     = 1
  port "http" { number = 8080 }
  health { port = http  path = "/" }
}

service "caddy" {
  runtime  = baremetal
  provides = [caddy]
  on       = [hv1]
  memory   = 256MiB
  cpu      = 0.5
  port "https" { number = 443 }
}

route "web" {
  host = "web.example.com"
  to   = web.http
}
"#;

/// The stack in `dir`, `apps/web.eos` holding `app`: the root, hosts and
/// app files' paths.
pub fn write(dir: &Path, app: &str) -> (PathBuf, PathBuf, PathBuf) {
    let root = dir.join("stack.eos");
    let hosts = dir.join("hosts.eos");
    let app_file = dir.join("apps/web.eos");
    std::fs::create_dir_all(app_file.parent().unwrap()).unwrap();
    std::fs::write(&root, ROOT).unwrap();
    std::fs::write(&hosts, HOSTS).unwrap();
    std::fs::write(&app_file, app).unwrap();
    (root, hosts, app_file)
}
