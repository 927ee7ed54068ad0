//! `eosc plan FILE`: stages, placements and budget use.

use super::output;
use super::{DiagnosticFormat, PlanArgs, Status};
use crate::diag::render::JsonReport;
use crate::driver;
use crate::views::plan::Plan;

pub(super) fn run(args: &PlanArgs, deny_warnings: bool) -> Status {
    let checked = match driver::check_path(
        &args.file,
        super::environments(args.environment.as_deref(), driver::Environments::Base),
    ) {
        Ok(checked) => checked,
        Err(error) => return output::report(&[], &[error], args.format, deny_warnings),
    };
    let plan = match (&checked.stack, &checked.analysis) {
        (Some(stack), Some(analysis)) => Some(Plan::build(stack, analysis)),
        _ => None,
    };
    match args.format {
        DiagnosticFormat::Human | DiagnosticFormat::Sarif => {
            let status = output::report(
                std::slice::from_ref(&checked),
                &[],
                args.format,
                deny_warnings,
            );
            if let Some(plan) = &plan {
                output::stdout(&plan.render());
            }
            status
        }
        DiagnosticFormat::Json => {
            let mut report = JsonReport::new();
            report.add(&checked.sources, checked.diagnostics.iter());
            let mut value = serde_json::to_value(&report).expect("report serializes");
            value["plan"] = serde_json::to_value(&plan).expect("plan serializes");
            output::stdout(&format!(
                "{}\n",
                serde_json::to_string_pretty(&value).expect("json")
            ));
            output::status(report.errors, report.warnings, false, deny_warnings)
        }
    }
}
