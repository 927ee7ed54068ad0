//! `nginx/nginx.conf`: a complete configuration for the nginx provider whose
//! `stream {}` block forwards each tcp/udp route.

use serde::Serialize;

use super::templates::NGINX_CONF;
use super::topology::{self, host_port};
use super::{Artifacts, EmitError, Input};
use crate::ast::{RouteProtocol, Runtime};

pub(super) const PATH: &str = "nginx/nginx.conf";
/// Debian's `libnginx-mod-stream`.
const STREAM_MODULE: &str = "/usr/lib/nginx/modules/ngx_stream_module.so";
const ERROR_LOG: &str = "/var/log/nginx/error.log";

#[derive(Serialize)]
struct View {
    source: String,
    module: &'static str,
    error_log: &'static str,
    routes: Vec<StreamRoute>,
}

#[derive(Serialize)]
struct StreamRoute {
    name: String,
    target: String,
    upstream: String,
    listen: u64,
    udp: bool,
    servers: Vec<String>,
}

pub(super) fn emit(input: &Input<'_>, out: &mut Artifacts) -> Result<(), EmitError> {
    let stack = input.stack;
    let mut routes = Vec::new();
    for route in &stack.routes {
        let decl = &route.decl;
        let (Some(listen), false) = (decl.listen, decl.protocol.value == RouteProtocol::Http)
        else {
            continue;
        };
        let service = stack.service(route.target.service);
        let port = stack.port(route.target);
        // A nomad port here is static (E0406): the job listens on its number on
        // whichever candidate client runs it; nginx skips the others.
        let hosts = if service.decl.runtime.value == Runtime::Nomad {
            topology::nomad_candidates(stack, input.analysis, route.target.service)
        } else {
            topology::hosts_of(stack, route.target.service)
        };
        routes.push(StreamRoute {
            name: decl.name.value.to_string(),
            target: format!("{}.{}", service.name(), port.name.value),
            upstream: format!("route-{}", decl.name.value),
            listen: listen.value,
            udp: decl.protocol.value == RouteProtocol::Udp,
            servers: hosts
                .iter()
                .map(|&h| host_port(&stack.host(h).address.value, port.number.value))
                .collect(),
        });
    }
    if routes.is_empty() {
        return Ok(());
    }
    let view = View {
        source: input.source_name.to_string(),
        module: STREAM_MODULE,
        error_log: ERROR_LOG,
        routes,
    };
    out.add(PATH, input.templates.render(NGINX_CONF, PATH, view)?);
    Ok(())
}
