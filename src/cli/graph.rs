//! `eosc graph FILE [--format dot|mermaid|json]`: the dependency graph.

use super::output;
use super::{DiagnosticFormat, GraphArgs, GraphFormat, Status};
use crate::driver;
use crate::views::graph::GraphView;

pub(super) fn run(args: &GraphArgs, deny_warnings: bool) -> Status {
    let checked = match driver::check_path(
        &args.file,
        super::environments(args.environment.as_deref(), driver::Environments::Base),
    ) {
        Ok(checked) => checked,
        Err(error) => return output::report(&[], &[error], DiagnosticFormat::Human, deny_warnings),
    };
    // The graph is shown even with budget errors: it is how one finds a cycle.
    let status = output::report(
        std::slice::from_ref(&checked),
        &[],
        DiagnosticFormat::Human,
        deny_warnings,
    );
    let (Some(stack), Some(analysis)) = (&checked.stack, &checked.analysis) else {
        return status;
    };
    let view = GraphView::build(stack, analysis);
    output::stdout(&match args.format {
        GraphFormat::Dot => view.to_dot(),
        GraphFormat::Mermaid => view.to_mermaid(),
        GraphFormat::Json => format!("{}\n", view.to_json()),
    });
    status
}
