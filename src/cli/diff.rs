//! `eosc diff FILE`: the spec against what Nomad and Consul run
//! (see [`crate::drift`]). Exit 0 in sync, 3 drift, 1 spec errors, 2 usage or
//! an API that cannot be reached or refuses the token.

use super::output;
use super::{DiagnosticFormat, DiffArgs, Status};
use crate::ast::{Capability, Runtime};
use crate::diag::render::JsonReport;
use crate::drift::api::{Api, ApiError, Product, Settings};
use crate::drift::{self, Expected, Salted};
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
    let json = args.format == DiagnosticFormat::Json;
    let mut report = JsonReport::new();
    let spec_status = if json {
        report.add(&checked.sources, checked.diagnostics.iter());
        output::status(report.errors, report.warnings, false, deny_warnings)
    } else {
        output::report(
            std::slice::from_ref(&checked),
            &[],
            args.format,
            deny_warnings,
        )
    };
    if spec_status != Status::Success {
        // Nothing is compared with a spec that has errors.
        if json {
            print_json(&report, None, None);
        }
        return spec_status;
    }
    let drift = match expected(&checked).and_then(|expected| compare(args, &checked, &expected)) {
        Ok(drift) => drift,
        Err(error) => {
            output::stderr(&format!("error: {error}\n"));
            if json {
                print_json(&report, None, Some(&error.0));
            }
            return Status::UsageOrIo;
        }
    };
    if json {
        print_json(&report, Some(&drift), None);
    } else {
        output::stdout(&drift::report::human(&drift));
    }
    if drift.differences.is_empty() {
        Status::Success
    } else {
        Status::Drift
    }
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
    let mut artifacts = driver::emit_jobspecs(checked)
        .expect("a spec without errors emits")
        .map_err(|e| ApiError(e.to_string()))?;
    let mut jobs = Vec::new();
    let mut salted = Vec::new();
    for id in stack.service_ids() {
        let service = stack.service(id);
        let name = service.name().to_string();
        if service.decl.runtime.value == Runtime::Nomad {
            let path = crate::emit::jobspec_path(&name);
            let text = artifacts.files.remove(&path).unwrap_or_default();
            jobs.push((name, text));
        } else if !service.decl.ports.is_empty() {
            let hosts = service
                .on
                .iter()
                .flatten()
                .map(|&h| stack.host(h).name.value.to_string())
                .collect();
            let names = service
                .decl
                .ports
                .iter()
                .map(|p| consul_service_name(&name, &p.name.value))
                .collect();
            salted.push(Salted {
                service: name,
                hosts,
                consul_names: names,
            });
        }
    }
    Ok(Expected {
        stack: stack.settings.name.value.to_string(),
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
