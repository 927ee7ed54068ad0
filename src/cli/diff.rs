//! `eosc diff FILE`: the spec against what Nomad and Consul run
//! (see [`crate::drift`]). Exit 0 in sync, 3 drift, 1 spec errors, 2 usage or
//! an API that cannot be reached or refuses the token.

use super::output;
use super::{DiagnosticFormat, DiffArgs, Status};
use crate::ast::{Capability, Runtime};
use crate::diag::render::JsonReport;
use crate::drift::api::{Api, ApiError, Product, Settings};
use crate::drift::{self, Expected};
use crate::driver::{self, Checked};
use crate::emit::topology::consul_service_name;

pub(super) fn run(args: &DiffArgs, deny_warnings: bool) -> Status {
    let checked = match driver::check_path(
        &args.file,
        super::environments(args.environment.as_deref(), driver::Environments::Base),
    ) {
        Ok(checked) => checked,
        Err(error) => return output::report(&[], &[error], args.format, deny_warnings),
    };
    let human = args.format != DiagnosticFormat::Json;
    let spec_status = if human {
        output::report(
            std::slice::from_ref(&checked),
            &[],
            args.format,
            deny_warnings,
        )
    } else {
        Status::Success
    };
    let mut report = JsonReport::new();
    report.add(&checked.sources, checked.diagnostics.iter());
    let spec_status = if human {
        spec_status
    } else {
        output::status(report.errors, report.warnings, false, deny_warnings)
    };
    let result = if spec_status == Status::Success {
        expected(&checked).and_then(|expected| compare(args, &checked, &expected))
    } else {
        Err(ApiError(String::new()))
    };
    let drift = match (spec_status, result) {
        (Status::Success, Ok(drift)) => Some(drift),
        (Status::Success, Err(error)) => {
            output::stderr(&format!("error: {error}\n"));
            if !human {
                print_json(&report, None, Some(&error.0));
            }
            return Status::UsageOrIo;
        }
        _ => None,
    };
    let status = match &drift {
        Some(d) if d.differences.is_empty() => Status::Success,
        Some(_) => Status::Drift,
        None => spec_status,
    };
    if human {
        if let Some(drift) = &drift {
            output::stdout(&drift::report::human(drift));
        }
    } else {
        print_json(&report, drift.as_ref(), None);
    }
    status
}

fn print_json(report: &JsonReport, drift: Option<&drift::Drift>, error: Option<&str>) {
    let mut value = serde_json::to_value(report).expect("report serializes");
    value["drift"] = serde_json::to_value(drift).expect("drift serializes");
    value["in_sync"] = serde_json::json!(drift.map(|d| d.differences.is_empty()));
    value["api_error"] = serde_json::json!(error);
    output::stdout(&format!(
        "{}\n",
        serde_json::to_string_pretty(&value).expect("json")
    ));
}

/// What the spec declares: its jobspecs, and the Consul names of the
/// services Salt runs.
fn expected(checked: &Checked) -> Result<Expected, ApiError> {
    let stack = checked
        .stack
        .as_ref()
        .expect("a checked spec without errors has a stack");
    let artifacts = driver::emit_jobspecs(checked)
        .expect("a spec without errors emits")
        .map_err(|e| ApiError(e.to_string()))?;
    let mut jobs = Vec::new();
    let mut salted = Vec::new();
    for id in stack.service_ids() {
        let service = stack.service(id);
        let name = service.name().to_string();
        if service.decl.runtime.value == Runtime::Nomad {
            let path = crate::emit::jobspec_path(&name);
            let text = artifacts.files.get(&path).cloned().unwrap_or_default();
            jobs.push((name, text));
        } else if !service.decl.ports.is_empty() {
            let hosts = service
                .on
                .iter()
                .flatten()
                .map(|&h| stack.host(h).name.value.clone())
                .collect();
            let names = service
                .decl
                .ports
                .iter()
                .map(|p| consul_service_name(&name, &p.name.value))
                .collect();
            salted.push((name, hosts, names));
        }
    }
    Ok(Expected {
        stack: stack.settings.name.value.clone(),
        jobs,
        salted,
    })
}

fn compare(
    args: &DiffArgs,
    checked: &Checked,
    expected: &Expected,
) -> Result<drift::Drift, ApiError> {
    let env = |name: &str| std::env::var(name).ok();
    let nomad = Api::new(
        Product::Nomad,
        Settings::nomad(args.nomad.as_deref(), &env)?,
    )?;
    let has_consul = checked
        .analysis
        .as_ref()
        .is_some_and(|a| a.graph.provider(Capability::Consul).is_some());
    let consul = if has_consul || args.consul.is_some() || env("CONSUL_HTTP_ADDR").is_some() {
        Some(Api::new(
            Product::Consul,
            Settings::consul(args.consul.as_deref(), &env)?,
        )?)
    } else {
        None
    };
    drift::compare(expected, &nomad, consul.as_ref())
}
