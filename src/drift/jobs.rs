//! Comparing a job the spec declares with the job Nomad runs.
//!
//! Both sides are Nomad's own JSON: the expected job is the jobspec eosc
//! writes, parsed and canonicalized by the Nomad being compared
//! (`PUT /v1/jobs/parse`, the `parse-job` capability of the `read` policy), so
//! units, defaults and ordering are Nomad's and nothing is converted twice.
//! What is compared, per task group: the count, the constraints (job, group
//! and task level), the network ports, the volumes and their mounts, and per
//! task the driver with its image and the resources. Nomad adds constraints
//! of its own when it registers a job (Vault, Consul and Nomad versions, the
//! kernel, CNI plugins: `nomad/job_endpoint_hooks.go`); those are not drift.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Difference, Kind};

/// One comparable facet of a job, rendered for people.
type Facets = BTreeMap<(String, Kind), String>;

/// The differences between the expected and the running job (both present).
pub fn compare(service: &str, expected: &Value, running: &Value) -> Vec<(Kind, String, String)> {
    let (want, have) = (facets(expected), facets(running));
    let mut out = Vec::new();
    for (key, spec) in &want {
        let actual = have.get(key).map_or("absent", String::as_str);
        if actual != spec {
            out.push((key.1, label(service, &key.0, spec), actual.to_string()));
        }
    }
    for (key, actual) in &have {
        if !want.contains_key(key) {
            out.push((key.1, label(service, &key.0, "absent"), actual.clone()));
        }
    }
    out
}

/// A facet's spec text, naming the group when it is not the job's only one.
fn label(service: &str, group: &str, text: &str) -> String {
    if group == service {
        text.to_string()
    } else {
        format!("group {group}: {text}")
    }
}

fn facets(job: &Value) -> Facets {
    let mut out = Facets::new();
    let job_constraints = constraints(&job["Constraints"]);
    for group in array(&job["TaskGroups"]) {
        let name = text(&group["Name"]).to_string();
        out.insert(
            (name.clone(), Kind::Count),
            group["Count"].as_u64().unwrap_or(0).to_string(),
        );
        let mut all = job_constraints.clone();
        all.extend(constraints(&group["Constraints"]));
        let tasks = array(&group["Tasks"]);
        let many = tasks.len() > 1;
        let (mut images, mut resources, mut mounts) = (Vec::new(), Vec::new(), Vec::new());
        for task in tasks {
            let prefix = if many {
                format!("{}: ", text(&task["Name"]))
            } else {
                String::new()
            };
            all.extend(constraints(&task["Constraints"]));
            images.push(format!("{prefix}{}", image(task)));
            resources.push(format!("{prefix}{}", task_resources(&task["Resources"])));
            for mount in array(&task["VolumeMounts"]) {
                mounts.push(format!(
                    "{prefix}{} at {}{}",
                    text(&mount["Volume"]),
                    text(&mount["Destination"]),
                    read_only(mount)
                ));
            }
        }
        all.sort();
        all.dedup();
        out.insert((name.clone(), Kind::Constraints), joined(&all));
        out.insert((name.clone(), Kind::Image), images.join("; "));
        out.insert((name.clone(), Kind::Resources), resources.join("; "));
        out.insert((name.clone(), Kind::Ports), ports(&group["Networks"]));
        let mut volumes: Vec<String> = match group["Volumes"].as_object() {
            Some(map) => map
                .iter()
                .map(|(key, v)| {
                    format!(
                        "{key}: {} {}{}",
                        text(&v["Type"]),
                        text(&v["Source"]),
                        read_only(v)
                    )
                })
                .collect(),
            None => Vec::new(),
        };
        volumes.extend(mounts);
        volumes.sort();
        out.insert((name, Kind::Volumes), joined(&volumes));
    }
    out
}

/// An array of a Nomad or Consul answer, or none.
pub(super) fn array(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

fn read_only(volume: &Value) -> &'static str {
    if volume["ReadOnly"].as_bool() == Some(true) {
        " (read-only)"
    } else {
        ""
    }
}

fn joined(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join("; ")
    }
}

fn image(task: &Value) -> String {
    let driver = text(&task["Driver"]);
    match task["Config"]["image"].as_str() {
        Some(image) if driver == "docker" => image.to_string(),
        Some(image) => format!("{driver} {image}"),
        None => format!("{driver} driver"),
    }
}

fn task_resources(resources: &Value) -> String {
    let number = |key: &str| resources[key].as_u64().unwrap_or(0);
    let mut parts = Vec::new();
    if number("Cores") > 0 {
        parts.push(format!("cores {}", number("Cores")));
    } else {
        parts.push(format!("cpu {} MHz", number("CPU")));
    }
    parts.push(format!("memory {} MB", number("MemoryMB")));
    if number("MemoryMaxMB") > 0 {
        parts.push(format!("memory_max {} MB", number("MemoryMaxMB")));
    }
    parts.join(", ")
}

/// Constraints as `attribute operator value`, leaving out Nomad's own.
fn constraints(list: &Value) -> Vec<String> {
    array(list)
        .iter()
        .filter(|c| !implied_by_nomad(text(&c["LTarget"])))
        .map(|c| {
            let operand = match text(&c["Operand"]) {
                "" => "=",
                other => other,
            };
            format!("{} {operand} {}", text(&c["LTarget"]), text(&c["RTarget"]))
                .trim()
                .to_string()
        })
        .collect()
}

/// The constraint targets Nomad adds to a job it registers
/// (`nomad/job_endpoint_hooks.go`).
fn implied_by_nomad(target: &str) -> bool {
    let versioned = |prefix: &str| {
        target
            .strip_prefix(prefix)
            .is_some_and(|rest| rest == "version}" || rest.ends_with(".version}"))
    };
    versioned("${attr.vault.")
        || versioned("${attr.consul.")
        || target == "${attr.nomad.version}"
        || target == "${attr.nomad.service_discovery}"
        || target == "${attr.kernel.name}"
        || target.starts_with("${attr.plugins.cni.version.")
}

fn ports(networks: &Value) -> String {
    let mut out = Vec::new();
    for network in array(networks) {
        for (kind, key) in [("static", "ReservedPorts"), ("dynamic", "DynamicPorts")] {
            for port in array(&network[key]) {
                let mut line = format!("{} {kind}", text(&port["Label"]));
                if kind == "static" {
                    line.push_str(&format!(" {}", port["Value"].as_u64().unwrap_or(0)));
                }
                if let Some(to) = port["To"].as_i64().filter(|&t| t != 0) {
                    line.push_str(&format!(" to {to}"));
                }
                out.push(line);
            }
        }
    }
    out.sort();
    joined(&out)
}

/// The allocation differences of a running job: fewer running than the
/// count (and why, from the latest evaluation that could not place it), or
/// allocations whose deployment marked them unhealthy.
/// `evaluations` is called only when allocations are missing.
pub fn allocations<E>(
    service: &str,
    job: &Value,
    allocations: &[Value],
    evaluations: impl FnOnce() -> Result<Vec<Value>, E>,
) -> Result<Vec<Difference>, E> {
    let desired: u64 = array(&job["TaskGroups"])
        .iter()
        .map(|g| g["Count"].as_u64().unwrap_or(0))
        .sum();
    let live: Vec<&Value> = allocations
        .iter()
        .filter(|a| text(&a["DesiredStatus"]) == "run")
        .collect();
    let running = live
        .iter()
        .filter(|a| text(&a["ClientStatus"]) == "running")
        .count() as u64;
    let unhealthy = live
        .iter()
        .filter(|a| a["DeploymentStatus"]["Healthy"].as_bool() == Some(false))
        .count();
    let mut out = Vec::new();
    let inspect = crate::emit::shell_line(["nomad", "job", "status", service]);
    if running < desired {
        let mut states: BTreeMap<&str, usize> = BTreeMap::new();
        for alloc in &live {
            *states.entry(text(&alloc["ClientStatus"])).or_default() += 1;
        }
        let mut actual = format!("{running} of {desired} running");
        let other: Vec<String> = states
            .iter()
            .filter(|(s, _)| **s != "running")
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        if !other.is_empty() {
            actual.push_str(&format!(" ({})", other.join(", ")));
        }
        let (kind, actual) = match unplaced_reason(&evaluations()?) {
            Some(reason) => (
                Kind::Unplaced,
                format!("{actual}; cannot be placed: {reason}"),
            ),
            None => (Kind::Allocations, actual),
        };
        out.push(Difference::new(
            service,
            kind,
            "all running".to_string(),
            actual,
            inspect.clone(),
        ));
    }
    if unhealthy > 0 {
        out.push(Difference::new(
            service,
            Kind::Allocations,
            "healthy".to_string(),
            format!("{unhealthy} unhealthy"),
            inspect,
        ));
    }
    Ok(out)
}

/// Why the latest evaluation that failed to place allocations failed.
fn unplaced_reason(evaluations: &[Value]) -> Option<String> {
    let latest = evaluations
        .iter()
        .filter(|e| {
            e["FailedTGAllocs"]
                .as_object()
                .is_some_and(|m| !m.is_empty())
        })
        .max_by_key(|e| e["CreateIndex"].as_u64().unwrap_or(0))?;
    let mut reasons = Vec::new();
    for metric in latest["FailedTGAllocs"].as_object()?.values() {
        let evaluated = metric["NodesEvaluated"].as_u64().unwrap_or(0);
        if evaluated == 0 {
            reasons.push("no client node in its datacenters".to_string());
        }
        for key in ["ConstraintFiltered", "ClassFiltered", "DimensionExhausted"] {
            if let Some(map) = metric[key].as_object() {
                for (what, count) in map {
                    let n = count.as_u64().unwrap_or(0);
                    reasons.push(format!(
                        "{n} node{} excluded by {what}",
                        if n == 1 { "" } else { "s" }
                    ));
                }
            }
        }
    }
    reasons.sort();
    reasons.dedup();
    Some(if reasons.is_empty() {
        "see the evaluation".to_string()
    } else {
        crate::diag::render::printable(&reasons.join(", ")).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[allow(clippy::needless_pass_by_value)]
    fn job(count: u64, image: &str, constraints: Value) -> Value {
        json!({
            "ID": "wiki",
            "Constraints": constraints,
            "TaskGroups": [{
                "Name": "wiki",
                "Count": count,
                "Networks": [{"DynamicPorts": [{"Label": "http", "Value": 0, "To": 8080}]}],
                "Volumes": {"data": {"Type": "host", "Source": "wiki-data", "ReadOnly": false}},
                "Tasks": [{
                    "Name": "wiki",
                    "Driver": "docker",
                    "Config": {"image": image},
                    "Resources": {"CPU": 2100, "MemoryMB": 512, "MemoryMaxMB": 0},
                    "VolumeMounts": [{"Volume": "data", "Destination": "/data"}],
                }],
            }],
        })
    }

    #[test]
    fn the_same_job_has_no_difference_and_nomads_constraints_are_not_drift() {
        let spec = job(2, "wiki:1.4", json!([]));
        let running = job(
            2,
            "wiki:1.4",
            json!([{"LTarget": "${attr.consul.version}", "RTarget": ">= 1.8.0", "Operand": "semver"},
                   {"LTarget": "${attr.vault.version}", "RTarget": ">= 0.6.1", "Operand": "semver"}]),
        );
        assert_eq!(compare("wiki", &spec, &running), vec![]);
    }

    #[test]
    fn count_image_and_a_constraint_added_by_hand_differ() {
        let spec = job(2, "wiki:1.4", json!([]));
        let running = job(
            1,
            "wiki:1.4-hotfix",
            json!([{"LTarget": "${meta.zone}", "RTarget": "b", "Operand": "="}]),
        );
        let found = compare("wiki", &spec, &running);
        assert_eq!(
            found,
            vec![
                (Kind::Count, "2".into(), "1".into()),
                (Kind::Image, "wiki:1.4".into(), "wiki:1.4-hotfix".into()),
                (Kind::Constraints, "none".into(), "${meta.zone} = b".into()),
            ]
        );
    }

    #[test]
    fn allocations_that_cannot_be_placed_say_why() {
        let spec = job(2, "wiki:1.4", json!([]));
        let evals = [json!({"CreateIndex": 7, "FailedTGAllocs": {"wiki": {
            "NodesEvaluated": 1, "ConstraintFiltered": {"missing drivers": 1}}}})];
        let found = allocations("wiki", &spec, &[], || Ok::<_, ()>(evals.to_vec())).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, Kind::Unplaced);
        assert_eq!(
            found[0].running,
            "0 of 2 running; cannot be placed: 1 node excluded by missing drivers"
        );
        let running = [
            json!({"DesiredStatus": "run", "ClientStatus": "running"}),
            json!({"DesiredStatus": "run", "ClientStatus": "running",
                   "DeploymentStatus": {"Healthy": false}}),
        ];
        let unread = || -> Result<Vec<Value>, ()> { panic!("evaluations read with all running") };
        let found = allocations("wiki", &spec, &running, unread).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].running, "1 unhealthy");
    }
}
