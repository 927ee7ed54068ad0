//! `eosc diff`: the spec against what Nomad and Consul run (LANGUAGE.md
//! section 7). A phase of its own after the checks: it reads the Nomad
//! jobspecs the emitter writes, never the output folder, so it compares the
//! spec as it is now.
//!
//! - Jobs: every job of the spec ([`jobs`] compares one); a job Nomad runs
//!   with the stack's `meta { eosc_stack }` mark that the spec no longer has
//!   is extra; jobs without the mark are someone else's and never reported.
//! - Consul: each `<service>-<port>` service of a running job must be in the
//!   catalog with every check passing; a bare-metal or docker service's
//!   `<service>-<port>`, when Consul has it (eosc does not register them), must
//!   pass too.
//! - [`report`] prints a table grouped by service, or one JSON object.
//!
//! Services are compared on 8 threads; the result is in spec order whatever
//! the threads do.

pub mod api;
pub mod jobs;
pub mod report;

use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use serde_json::{json, Value};

use crate::emit::shell_line;
use api::{Api, ApiError};

/// What differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    MissingJob,
    ExtraJob,
    StoppedJob,
    Count,
    Image,
    Resources,
    Constraints,
    Ports,
    Volumes,
    Allocations,
    Unplaced,
    MissingService,
    FailingCheck,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Self::MissingJob => "missing job",
            Self::ExtraJob => "extra job",
            Self::StoppedJob => "stopped job",
            Self::Count => "count",
            Self::Image => "image",
            Self::Resources => "resources",
            Self::Constraints => "constraints",
            Self::Ports => "ports",
            Self::Volumes => "volumes",
            Self::Allocations => "allocations",
            Self::Unplaced => "unplaced",
            Self::MissingService => "consul service",
            Self::FailingCheck => "consul check",
        }
    }
}

/// One difference between the spec and what runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub service: String,
    pub kind: Kind,
    pub spec: String,
    pub running: String,
    /// The command that reconciles it (or, for allocations, shows why).
    pub fix: String,
}

impl Difference {
    pub fn new(service: &str, kind: Kind, spec: String, running: String, fix: String) -> Self {
        Self {
            service: service.to_string(),
            kind,
            spec,
            running,
            fix,
        }
    }
}

/// What the spec declares, as `diff` needs it.
pub struct Expected {
    pub stack: String,
    /// `(service, jobspec)` of every nomad service, in spec order.
    pub jobs: Vec<(String, String)>,
    /// The bare-metal and docker services with ports.
    pub salted: Vec<Salted>,
}

/// A service Salt runs, as far as Consul may see it.
pub struct Salted {
    pub service: String,
    /// Its hosts (`on`), for the `salt -L` that re-applies it.
    pub hosts: Vec<String>,
    /// `<service>-<port>` for each port.
    pub consul_names: Vec<String>,
}

/// The outcome of a comparison.
#[derive(Debug, Serialize)]
pub struct Drift {
    pub stack: String,
    pub nomad: String,
    pub consul: Option<String>,
    pub jobs: usize,
    pub consul_services: usize,
    pub differences: Vec<Difference>,
}

/// What one service's comparison found.
#[derive(Default)]
struct Found {
    differences: Vec<Difference>,
    consul_services: usize,
}

const THREADS: usize = 8;

/// Compares `expected` with the APIs.
pub fn compare(expected: &Expected, nomad: &Api, consul: Option<&Api>) -> Result<Drift, ApiError> {
    let salted_offset = expected.jobs.len();
    let total = salted_offset + expected.salted.len();
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<Found, ApiError>>> = Vec::new();
    results.resize_with(total, || None);
    let slots = std::sync::Mutex::new(results);
    std::thread::scope(|scope| {
        for _ in 0..THREADS.min(total.max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let found = if i < salted_offset {
                    let (service, jobspec) = &expected.jobs[i];
                    job(service, jobspec, nomad, consul)
                } else {
                    salted(&expected.salted[i - salted_offset], consul)
                };
                slots.lock().expect("no thread panics holding it")[i] = Some(found);
            });
        }
    });
    let mut drift = Drift {
        stack: expected.stack.clone(),
        nomad: nomad.address().to_string(),
        consul: consul.map(|c| c.address().to_string()),
        jobs: expected.jobs.len(),
        consul_services: 0,
        differences: Vec::new(),
    };
    for found in slots.into_inner().expect("no thread panicked") {
        let found = found.expect("every slot is filled")?;
        drift.differences.extend(found.differences);
        drift.consul_services += found.consul_services;
    }
    drift.differences.extend(extra_jobs(expected, nomad)?);
    Ok(drift)
}

/// Jobs marked as this stack's that the spec does not declare.
fn extra_jobs(expected: &Expected, nomad: &Api) -> Result<Vec<Difference>, ApiError> {
    let listed = list(nomad.get("jobs?meta=true")?);
    let declared: std::collections::HashSet<&str> =
        expected.jobs.iter().map(|(s, _)| s.as_str()).collect();
    let mut out = Vec::new();
    for job in &listed {
        let id = job["ID"].as_str().unwrap_or("");
        let mark = job["Meta"][crate::emit::STACK_META_KEY].as_str();
        if mark == Some(expected.stack.as_str()) && !declared.contains(id) {
            out.push(Difference::new(
                id,
                Kind::ExtraJob,
                "not in the spec".to_string(),
                format!("status {}", job["Status"].as_str().unwrap_or("unknown")),
                shell_line(["nomad", "job", "stop", "-purge", id]),
            ));
        }
    }
    out.sort_by(|a, b| a.service.cmp(&b.service));
    Ok(out)
}

/// One nomad service: its job, allocations and Consul services.
fn job(service: &str, jobspec: &str, nomad: &Api, consul: Option<&Api>) -> Result<Found, ApiError> {
    let parsed = nomad
        .put(
            "jobs/parse",
            &json!({ "JobHCL": jobspec, "Canonicalize": true }),
        )?
        .ok_or_else(|| {
            ApiError(format!(
                "Nomad at {} has no jobs/parse endpoint",
                nomad.address()
            ))
        })?;
    let id = parsed["ID"].as_str().unwrap_or(service).to_string();
    let path = encode(&id);
    let mut found = Found::default();
    let jobspec_file = [
        crate::emit::BUILD_DIR,
        "/",
        &crate::emit::jobspec_path(service),
    ]
    .concat();
    let run = shell_line(["nomad", "job", "run", &jobspec_file]);
    let Some(running) = nomad.get(&["job/", &path].concat())? else {
        found.differences.push(Difference::new(
            service,
            Kind::MissingJob,
            "registered".to_string(),
            "absent".to_string(),
            shell_line([
                "terraform",
                &["-chdir=", crate::emit::TERRAFORM_DIR].concat(),
                "apply",
                &[
                    "-target=nomad_job.",
                    &crate::emit::job_resource_name(service),
                ]
                .concat(),
            ]),
        ));
        return Ok(found);
    };
    if running["Stop"].as_bool() == Some(true) {
        found.differences.push(Difference::new(
            service,
            Kind::StoppedJob,
            "running".to_string(),
            format!(
                "stopped (status {})",
                running["Status"].as_str().unwrap_or("")
            ),
            run,
        ));
        return Ok(found);
    }
    for (kind, spec, actual) in jobs::compare(service, &parsed, &running) {
        found
            .differences
            .push(Difference::new(service, kind, spec, actual, run.clone()));
    }
    let allocations = list(nomad.get(&["job/", &path, "/allocations"].concat())?);
    // The evaluations tell why allocations are missing: read only then.
    let evaluations = || Ok(list(nomad.get(&["job/", &path, "/evaluations"].concat())?));
    found.differences.extend(jobs::allocations(
        service,
        &running,
        &allocations,
        evaluations,
    )?);
    if let Some(consul) = consul {
        // With no allocation running, its services cannot register: the
        // allocations difference already says so.
        let must_exist = allocations
            .iter()
            .any(|a| a["ClientStatus"].as_str() == Some("running"));
        let inspect = shell_line(["nomad", "job", "status", service]);
        for name in consul_names(&parsed) {
            found.consul_services += 1;
            found.differences.extend(consul_service(
                service, &name, consul, must_exist, &inspect,
            )?);
        }
    }
    Ok(found)
}

/// A bare-metal or docker service: its Consul services, when Consul has them.
fn salted(salted: &Salted, consul: Option<&Api>) -> Result<Found, ApiError> {
    let mut found = Found::default();
    let Some(consul) = consul else {
        return Ok(found);
    };
    let hosts = salted.hosts.join(",");
    let sls = crate::emit::service_sls(&salted.service);
    let fix = shell_line(["salt", "-L", &hosts, "state.apply", &sls]);
    for name in &salted.consul_names {
        found.consul_services += 1;
        found
            .differences
            .extend(consul_service(&salted.service, name, consul, false, &fix)?);
    }
    Ok(found)
}

/// The Consul services a parsed job registers (provider consul).
fn consul_names(job: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let services = |list: &Value, names: &mut Vec<String>| {
        for s in jobs::array(list) {
            if matches!(s["Provider"].as_str(), None | Some("" | "consul")) {
                if let Some(name) = s["Name"].as_str() {
                    names.push(name.to_string());
                }
            }
        }
    };
    for group in jobs::array(&job["TaskGroups"]) {
        services(&group["Services"], &mut names);
        for task in jobs::array(&group["Tasks"]) {
            services(&task["Services"], &mut names);
        }
    }
    names.sort();
    names.dedup();
    names
}

/// One Consul service: missing (when `must_exist`), or checks not passing.
fn consul_service(
    service: &str,
    name: &str,
    consul: &Api,
    must_exist: bool,
    fix: &str,
) -> Result<Vec<Difference>, ApiError> {
    let entries = list(consul.get(&["health/service/", &encode(name)].concat())?);
    if entries.is_empty() {
        return Ok(if must_exist {
            vec![Difference::new(
                service,
                Kind::MissingService,
                format!("{name} registered"),
                "absent from the catalog".to_string(),
                fix.to_string(),
            )]
        } else {
            Vec::new()
        });
    }
    let mut failing = Vec::new();
    for entry in &entries {
        let node = entry["Node"]["Node"].as_str().unwrap_or("?");
        for check in jobs::array(&entry["Checks"]) {
            let status = check["Status"].as_str().unwrap_or("unknown");
            if status != "passing" {
                let output = api::first_line(check["Output"].as_str().unwrap_or(""));
                failing.push(format!(
                    "{status} on {node}: {}{}",
                    api::first_line(check["Name"].as_str().unwrap_or("")),
                    if output.is_empty() {
                        String::new()
                    } else {
                        format!(" ({output})")
                    }
                ));
            }
        }
    }
    failing.sort();
    Ok(if failing.is_empty() {
        Vec::new()
    } else {
        vec![Difference::new(
            service,
            Kind::FailingCheck,
            format!("{name} passing"),
            failing.join("; "),
            fix.to_string(),
        )]
    })
}

/// The array an API answered, or none (404, or not an array).
fn list(answer: Option<Value>) -> Vec<Value> {
    match answer {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

/// A path segment, percent-encoded.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(encode("wiki-http"), "wiki-http");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
