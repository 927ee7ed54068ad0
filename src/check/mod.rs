//! The semantic checks of LANGUAGE.md sections 4–6, one pass per file. Each pass
//! reads the resolved stack (and what was derived from it once: the dependency
//! graph and the placement) and reports every problem it finds, in a fixed order.

mod budget;
mod deps;
mod disks;
mod network;
mod operations;
mod ports;
mod security;

use crate::diag::Diagnostics;
use crate::model::files::SourceFiles;
use crate::model::{DependencyGraph, Placement, Stack};

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
    let graph = DependencyGraph::build(stack);
    deps::check(stack, &graph, diags);
    let stages = graph.stages();
    let placement = Placement::compute(stack, &graph);
    budget::check(stack, &placement, diags);
    disks::check(stack, &graph, diags);
    network::check(stack, &graph, diags);
    ports::check(stack, &graph, &placement, diags);
    security::check(stack, files, diags);
    operations::check(stack, &graph, diags);
    diags.sort();
    Analysis {
        graph,
        stages,
        placement,
    }
}
