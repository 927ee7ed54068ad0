//! The semantic checks of LANGUAGE.md sections 4–6, one pass per file. Each pass
//! reads the resolved stack (and what was derived from it once: the dependency
//! graph and the placement) and reports every problem it finds, in a fixed order.

mod bind_mounts;
mod break_glass;
mod budget;
mod deps;
mod disks;
mod network;
mod nomad_edition;
mod operations;
mod ports;
mod security;
mod vault_encryption;

use crate::diag::Diagnostics;
use crate::model::files::SourceFiles;
use crate::model::graph::Providers;
use crate::model::{DependencyGraph, Placement, Stack};
use crate::parallel::joined;
use crate::timings::phase;

/// What the checks derived from the stack; `plan`, `graph` and the emitters use it.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub graph: DependencyGraph,
    /// Stage per service (index = `ServiceId`); `None` when there is a cycle.
    pub stages: Option<Vec<usize>>,
    pub placement: Placement,
}

/// Runs every check over a resolved stack.
pub fn run(stack: &Stack, files: &SourceFiles, diags: &mut Diagnostics) -> Analysis {
    // Three threads, on what is usually two cores: the packer and the checks
    // that read its result (they need the capabilities' providers, not the
    // graph, so they start at once; see `placed_checks`); the checks that
    // need neither; and the graph with the checks that read it. At 100,000
    // services they take about 65, 20 and 55 ms of CPU: the system shares the
    // two cores among them, where two fixed lists of checks left one core
    // idle for the difference.
    // Each check reports into its own list, and the lists are joined in one
    // fixed order: the result does not depend on which thread finishes first.
    let providers = Providers::of(stack);
    let (
        graph,
        placement,
        [budget, ports],
        [security, edition, mounts],
        [deps, disks, network, operations, encryption, glass],
        stages,
    ) = std::thread::scope(|scope| {
        let placed = scope.spawn(|| placed_checks(stack, &providers));
        let on_their_own = scope.spawn(|| {
            [
                report("  security", |d| security::check(stack, files, d)),
                report("  nomad edition", |d| nomad_edition::check(stack, d)),
                report("  bind mounts", |d| bind_mounts::check(stack, d)),
            ]
        });
        let graph = phase("  graph", || {
            DependencyGraph::build(stack, providers.clone())
        });
        let stages = phase("  stages", || graph.stages());
        let deps = report("  deps", |d| {
            deps::check(stack, &graph, stages.is_some(), d);
        });
        let on_graph = [
            deps,
            report("  disks", |d| disks::check(stack, &graph, d)),
            report("  network", |d| network::check(stack, &graph, d)),
            report("  operations", |d| operations::check(stack, &graph, d)),
            report("  encryption", |d| {
                vault_encryption::check(stack, &graph, d);
            }),
            report("  break glass", |d| break_glass::check(stack, &graph, d)),
        ];
        let (placement, placed) = joined(placed);
        (
            graph,
            placement,
            placed,
            joined(on_their_own),
            on_graph,
            stages,
        )
    });
    for report in [
        deps, budget, disks, network, ports, security, operations, edition, mounts, encryption,
        glass,
    ] {
        diags.extend(report);
    }
    diags.sort();
    Analysis {
        graph,
        stages,
        placement,
    }
}

/// The placement, then the two checks that read it. (Budget and ports on
/// two threads of their own took 3 ms less at 100,000 services, but the
/// fourth thread's heap took peak memory to 5× the spec's size.)
fn placed_checks(stack: &Stack, providers: &Providers) -> (Placement, [Diagnostics; 2]) {
    let placement = phase("  placement", || Placement::compute(stack, providers));
    let budget = report("  budget", |d| budget::check(stack, &placement, d));
    let ports = report("  ports", |d| {
        ports::check(stack, providers, &placement, d);
    });
    (placement, [budget, ports])
}

/// What one check reports, timed under `name` (`EOSC_TIMINGS`).
fn report(name: &str, check: impl FnOnce(&mut Diagnostics)) -> Diagnostics {
    let mut diags = Diagnostics::new();
    phase(name, || check(&mut diags));
    diags
}
