//! W0312: Nomad CE refuses `numa { affinity = "require" }` ("numa scheduling
//! requires Nomad Enterprise"), so for a stack on Nomad CE the jobspecs leave
//! NUMA out and the allocation is not pinned: the budget check's NUMA
//! arithmetic does not hold for it at run time.

use crate::ast::{NomadEdition, Runtime};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Stack;

pub(super) fn check(stack: &Stack, diags: &mut Diagnostics) {
    if stack.settings.nomad_edition.value == NomadEdition::Enterprise {
        return;
    }
    for service in &stack.services {
        let decl = &service.decl;
        let Some(numa) = decl.numa() else { continue };
        if decl.runtime.value != Runtime::Nomad {
            continue;
        }
        diags.push(
            Diagnostic::new(
                Code::W0312,
                numa.span,
                format!(
                    "`numa = {}` on nomad service `{}`: Nomad CE cannot pin it",
                    numa.value,
                    service.name()
                ),
            )
            .with_primary_label("NUMA-aware scheduling is a Nomad Enterprise feature")
            .with_help(
                "the job gets whole `cores` but no NUMA node; set `nomad_edition = enterprise` in the stack if Nomad is Enterprise, or run the service on bare metal to pin it",
            ),
        );
    }
}
