//! `plan.json`: the data of `eosc plan`, for tools and for review in diffs.

use super::{Artifacts, EmitError, Input};
use crate::views::plan::Plan;

pub(super) fn emit(input: &Input<'_>, out: &mut Artifacts) -> Result<(), EmitError> {
    let plan = Plan::build(input.stack, input.analysis);
    let mut text = serde_json::to_string_pretty(&plan).map_err(|e| EmitError {
        artifact: "plan.json".into(),
        message: e.to_string(),
    })?;
    text.push('\n');
    out.add("plan.json", text);
    Ok(())
}
