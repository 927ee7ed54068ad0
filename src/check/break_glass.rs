//! W0408: a route behind Authentik's forward auth, and no `boundary`
//! provider. When Authentik is down (or is what is being repaired), every
//! such route refuses everyone; Boundary (LANGUAGE.md section 8: a target per
//! `admin` port and per protected route) is the way in that does not depend
//! on it.

use crate::ast::{Auth, Capability, RouteProtocol};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{DependencyGraph, Stack};

pub(super) fn check(stack: &Stack, graph: &DependencyGraph, diags: &mut Diagnostics) {
    if graph.provider(Capability::Boundary).is_some() {
        return;
    }
    for route in &stack.routes {
        let decl = &route.decl;
        // On a tcp/udp route `auth` is E0403 already.
        if decl.auth.value != Auth::Authentik || decl.protocol.value != RouteProtocol::Http {
            continue;
        }
        diags.push(
            Diagnostic::new(
                Code::W0408,
                decl.auth.span,
                format!(
                    "route `{}` is behind Authentik and the stack has no Boundary: no way in when Authentik is down",
                    decl.name.value
                ),
            )
            .with_primary_label("only Authentik lets anyone through")
            .with_help(
                "add a service with `provides = [boundary]`, so that operators reach this route's backend \
                 through Boundary when Authentik cannot log them in",
            ),
        );
    }
}
