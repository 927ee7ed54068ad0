//! The `route` block: public http routes (Caddy) and tcp/udp routes (nginx).

use super::reader::BlockReader;
use super::{in_range, name_label, validate};
use crate::ast::{Auth, Reference, RouteDecl, RouteProtocol};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::span::Spanned;
use crate::syntax::Block;
use compact_str::CompactString;

pub(super) fn lower(block: &Block, diags: &mut Diagnostics) -> RouteDecl {
    let mut r = BlockReader::new(block, diags);
    let name = name_label(&mut r, block);
    let protocol = r.or_default("protocol", RouteProtocol::Http);
    // A trailing root dot and Caddy's `/*` are spellings of the same route:
    // dropped here, so E0401 sees `a.example.com.` and `a.example.com` as one.
    let host = r
        .optional_valid::<CompactString>("host", |h| validate::site_name(h, true))
        .map(|h| h.map(|h| CompactString::from(validate::without_root_dot(&h))));
    let path = r
        .optional_valid::<CompactString>("path", |p| validate::url_path(p))
        .map_or_else(
            || Spanned::new("/".into(), block.head()),
            |p| p.map(|p| CompactString::from(validate::route_prefix(&p))),
        );
    let listen = r.optional_valid::<u64>("listen", |n| in_range(*n, "a listen port", 1, 65_535));
    let to = r.required::<Reference>("to");
    let auth = r.or_default("auth", Auth::None);
    let written = Written {
        host: r.is_set("host"),
        path: r.raw("path").map(|a| a.name.span),
        listen: r.raw("listen").map(|a| a.name.span),
    };
    r.finish();
    let route = RouteDecl {
        name,
        head: block.head(),
        protocol,
        host,
        path,
        listen,
        to: to.value,
        auth,
    };
    check_protocol_rules(&route, &written, diags);
    route
}

struct Written {
    host: bool,
    path: Option<crate::span::Span>,
    listen: Option<crate::span::Span>,
}

fn check_protocol_rules(route: &RouteDecl, written: &Written, diags: &mut Diagnostics) {
    let protocol = route.protocol.value;
    let misplaced = |span, attribute: &str, allowed: &str| {
        Diagnostic::new(
            Code::E0107,
            span,
            format!("`{attribute}` does not apply to a {protocol} route"),
        )
        .with_primary_label(format!("only for {allowed} routes"))
        .with_help(format!("remove `{attribute}`"))
    };
    if protocol == RouteProtocol::Http {
        if !written.host {
            diags.push(
                Diagnostic::new(
                    Code::E0104,
                    route.head,
                    "http route is missing required attribute `host`",
                )
                .with_primary_label("needs `host`")
                .with_help("add `host = \"app.example.com\"`: the public name Caddy serves"),
            );
        }
        if let Some(span) = written.listen {
            diags.push(misplaced(span, "listen", "tcp and udp").with_help(
                "http routes are served by Caddy on 80/443; remove `listen`, or use protocol = tcp",
            ));
        }
    } else {
        if route.listen.is_none() && written.listen.is_none() {
            diags.push(
                Diagnostic::new(
                    Code::E0104,
                    route.head,
                    format!("{protocol} route is missing required attribute `listen`"),
                )
                .with_primary_label("needs `listen`")
                .with_help("add `listen = PORT`: the public port on the nginx hosts"),
            );
        }
        if let Some(host) = &route.host {
            diags.push(misplaced(host.span, "host", "http"));
        }
        if let Some(span) = written.path {
            diags.push(misplaced(span, "path", "http"));
        }
    }
}
