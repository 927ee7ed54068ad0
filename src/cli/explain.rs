//! `eosc explain CODE`: the long explanation of a diagnostic code.

use super::output;
use super::{ExplainArgs, Status};
use crate::diag::{did_you_mean, Code};

pub(super) fn run(args: &ExplainArgs) -> Status {
    if let Some(code) = Code::parse(&args.code) {
        output::stdout(code.explanation());
        return Status::Success;
    }
    let known = Code::ALL.iter().map(|c| c.as_str());
    let hint = match did_you_mean(&args.code.to_ascii_uppercase(), known) {
        Some(close) => format!(" (did you mean {close}?)"),
        None => String::new(),
    };
    output::stderr(&format!(
        "error: `{}` is not a diagnostic code{hint}; codes look like E0204 or W0601\n",
        args.code
    ));
    Status::UsageOrIo
}
