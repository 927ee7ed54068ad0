//! `salt/eos/proxy/{caddy,nginx}.sls`: install the built Caddyfile and
//! nginx.conf (copied into the build as `salt/eos/files/proxy/…`) on the
//! provider's hosts, checked by the proxy itself before it replaces the live
//! file (`check_cmd`), and reload the proxy when it changed. Applied after the
//! last stage by `orch.bootstrap` (routes add no dependency edges).

use serde_json::json;

use super::layout::{Layout, Proxy};
use super::sls::{req, Sls};
use super::units;
use crate::ast::Capability;
use crate::emit::{Artifacts, EmitError, Input};

/// The config a proxy provider's package finds when it is installed, so that
/// it starts without a site: Debian's caddy and nginx packages start their
/// service at once with a default site on port 80, and the second one then
/// fails to bind (`bind() to 0.0.0.0:80 failed`), failing stage 0. Written
/// only when no config is there (`replace: false`): the generated one
/// replaces it after the last stage, and a highstate never puts it back.
/// Salt installs packages with `--force-confold`, so dpkg keeps this file.
pub(super) fn seed_config(capability: Capability) -> Option<(&'static str, &'static str)> {
    match capability {
        Capability::Caddy => Some((
            "/etc/caddy/Caddyfile",
            "# Written by eosc before the caddy package is installed: no site yet, so\n\
             # the package's default site does not take port 80. The generated\n\
             # Caddyfile (eos.proxy.caddy) replaces it after the last stage.\n\
             {\n\tadmin localhost:2019\n}\n",
        )),
        Capability::Nginx => Some((
            "/etc/nginx/nginx.conf",
            "# Written by eosc before the nginx package is installed: no server yet, so\n\
             # the package's default site does not take port 80. The generated\n\
             # nginx.conf (eos.proxy.nginx) replaces it after the last stage.\n\
             events {\n}\n",
        )),
        _ => None,
    }
}

pub(super) fn emit(
    input: &Input<'_>,
    layout: &Layout,
    out: &mut Artifacts,
) -> Result<(), EmitError> {
    for proxy in &layout.proxies {
        let Some(config) = out.files.get(proxy.artifact).cloned() else {
            continue;
        };
        let file_name = proxy.target.rsplit('/').next().unwrap_or(proxy.kind);
        out.add(format!("salt/eos/files/proxy/{file_name}"), config);
        sls(input, proxy, file_name).write(input, out)?;
    }
    Ok(())
}

fn sls(input: &Input<'_>, proxy: &Proxy, file_name: &str) -> Sls {
    let mut sls = Sls::new(proxy.sls());
    let prefix = format!("eos_proxy.{}", proxy.kind);
    let unit = units::units(input.stack.service(proxy.service).decl.package()).start;
    let mut config_require = Vec::new();
    // Salt appends the path of the candidate file to `check_cmd`.
    let check = if proxy.kind == "nginx" {
        sls.state(
            format!("{prefix}.stream"),
            "pkg.installed",
            vec![("name", json!("libnginx-mod-stream"))],
        );
        config_require.push(req("pkg", &format!("{prefix}.stream")));
        "nginx -t -q -c"
    } else {
        "caddy validate --adapter caddyfile --config"
    };
    let mut args = vec![
        ("name", json!(proxy.target)),
        (
            "source",
            json!(format!("salt://eos/files/proxy/{file_name}")),
        ),
        ("mode", json!("0644")),
        ("makedirs", json!(true)),
        ("check_cmd", json!(check)),
    ];
    if !config_require.is_empty() {
        args.push(("require", json!(config_require)));
    }
    sls.state(format!("{prefix}.config"), "file.managed", args);
    sls.state(
        format!("{prefix}.reload"),
        "service.running",
        vec![
            ("name", json!(unit)),
            ("enable", json!(true)),
            ("reload", json!(true)),
            ("watch", json!([req("file", &format!("{prefix}.config"))])),
        ],
    );
    sls
}
