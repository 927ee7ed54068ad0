//! The Nomad artifacts handed to a running Nomad (a dev agent on loopback,
//! `scripts/build-consumers.sh` builds it): for every example stack and a
//! generated 200-service stack, the agent starts with the Nomad client
//! configuration eosc writes for one of the stack's hosts (`reserved`, host
//! volumes); every jobspec is parsed and validated by the agent's API (the
//! route terraform-provider-nomad takes), planned with `nomad job plan`,
//! registered, and planned again with no change — the build is idempotent.
//!
//! Test-only changes, and only these: the agent listens on loopback ports
//! picked free, its `vault` block points at a Vault dev server, and the host
//! volume folders are moved under the test's temp folder (the generated ones
//! are under `/srv` and `/mnt/cephfs`). The machine has no Docker engine, so
//! allocations are not expected to run: the plan says which cannot be placed
//! and why, and the test prints it.

mod common;

#[path = "../src/bin/eosc-bench.rs"]
#[allow(dead_code, unreachable_pub)]
mod stackgen;

use std::path::{Path, PathBuf};

use common::agents::{consumer, Nomad, Vault};
use serde_json::{json, Value};

/// The contents of the `…config` state of `salt/eos/nomad_client/<host>.sls`.
fn client_config(artifacts: &eosc::emit::Artifacts, host: &str) -> Option<String> {
    let sls = artifacts
        .files
        .get(&format!("salt/eos/nomad_client/{host}.sls"))?;
    let at = sls.find(".config\":")?;
    let line = sls[at..]
        .lines()
        .find_map(|l| l.trim().strip_prefix("- \"contents\": "))?;
    serde_json::from_str(line).ok()
}

/// The client host whose configuration declares the most host volumes (so
/// that the most jobs find theirs), with that configuration, its folders
/// moved under `dir`.
fn busiest_client(artifacts: &eosc::emit::Artifacts, dir: &Path) -> Option<(String, String)> {
    let mut best: Option<(String, String)> = None;
    for path in artifacts.files.keys() {
        let Some(host) = path
            .strip_prefix("salt/eos/nomad_client/")
            .and_then(|p| p.strip_suffix(".sls"))
        else {
            continue;
        };
        let config = client_config(artifacts, host)
            .unwrap_or_else(|| panic!("{path}: no client configuration state to read"));
        let count = config.matches("host_volume").count();
        if best
            .as_ref()
            .is_none_or(|(_, c)| c.matches("host_volume").count() < count)
        {
            best = Some((host.to_string(), config));
        }
    }
    let (host, config) = best?;
    let root = dir.join("volumes");
    let moved = config.replace("\"/", &format!("\"{}/", root.display()));
    for line in moved.lines() {
        if let Some(path) = line.trim().strip_prefix("path      = \"") {
            std::fs::create_dir_all(path.trim_end_matches('"')).unwrap();
        }
    }
    Some((host, moved))
}

/// The agent's `vault` block, as the stack's own Nomad configuration has it
/// (workload identity for the `jwt-nomad` auth method), pointed at `vault`.
fn vault_block(vault: &str) -> String {
    format!(
        "vault {{\n  enabled = true\n  address = \"{vault}\"\n  jwt_auth_backend_path = \"jwt-nomad\"\n\
         \n  default_identity {{\n    aud = [\"vault.io\"]\n    ttl = \"1h\"\n  }}\n}}\n"
    )
}

struct Outcome {
    jobs: usize,
    unplaced: Vec<String>,
}

/// Every jobspec of a build, through the agent.
fn jobs_through_nomad(
    name: &str,
    nomad: &Nomad,
    artifacts: &eosc::emit::Artifacts,
    dir: &Path,
) -> Outcome {
    let mut outcome = Outcome {
        jobs: 0,
        unplaced: Vec::new(),
    };
    for (path, text) in artifacts
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("nomad/"))
    {
        let what = format!("{name}: {path}");
        // 1. The agent parses the HCL (POST /v1/jobs/parse), as the
        //    Terraform provider does.
        let request = json!({ "JobHCL": text, "Canonicalize": true }).to_string();
        let (code, body) = nomad.call("POST", "jobs/parse", Some(&request));
        assert_eq!(
            code, 200,
            "{what}: the agent does not parse it: {body}\n{text}"
        );
        let job: Value = serde_json::from_str(&body).unwrap();
        let id = job["ID"].as_str().unwrap().to_string();
        // 2. The agent validates it (PUT /v1/validate/job): an answer from
        //    the agent, not the CLI's offline fallback.
        let request = json!({ "Job": job }).to_string();
        let (code, body) = nomad.call("PUT", "validate/job", Some(&request));
        assert_eq!(code, 200, "{what}: validate: {body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert!(
            answer["Error"].as_str().unwrap_or("").is_empty()
                && answer["ValidationErrors"]
                    .as_array()
                    .is_none_or(Vec::is_empty),
            "{what}: Nomad refuses it: {answer}"
        );
        // 3. `nomad job plan` against the agent: 0 or 1 (changes), 255 is an error.
        let file = dir.join(path.replace('/', "_"));
        std::fs::write(&file, text).unwrap();
        let plan = nomad.cli(&["job", "plan", file.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&plan.stdout);
        assert!(
            matches!(plan.status.code(), Some(0 | 1)) && stdout.contains(&format!("Job: \"{id}\"")),
            "{what}: nomad job plan: {:?}\n{stdout}\n{}",
            plan.status,
            String::from_utf8_lossy(&plan.stderr)
        );
        if stdout.contains("Failed to place") {
            // Nomad lists the reasons as `* Constraint "…": N nodes excluded`.
            let why: Vec<&str> = stdout
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("* "))
                .collect();
            outcome.unplaced.push(format!("{id}: {}", why.join("; ")));
        }
        // 4. Registered (PUT /v1/jobs, what `terraform apply` does), then
        //    planned again: no difference, so a second apply changes nothing.
        let request = json!({ "Job": job }).to_string();
        let (code, body) = nomad.call("PUT", "jobs", Some(&request));
        assert_eq!(code, 200, "{what}: register: {body}");
        let (code, body) = nomad.call("GET", &format!("job/{id}"), None);
        assert_eq!(code, 200, "{what}: not registered: {body}");
        let request = json!({ "Job": job, "Diff": true }).to_string();
        let (code, body) = nomad.call("PUT", &format!("job/{id}/plan"), Some(&request));
        assert_eq!(code, 200, "{what}: plan after register: {body}");
        let plan: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            plan["Diff"]["Type"], "None",
            "{what}: registering twice changes the job: {plan}"
        );
        outcome.jobs += 1;
    }
    outcome
}

fn check_stack(name: &str, spec: &Path, vault_address: &str) -> Option<Outcome> {
    let nomad_bin = consumer("nomad")?;
    let artifacts = common::build(spec);
    if !artifacts.files.keys().any(|p| p.starts_with("nomad/")) {
        return None;
    }
    let temp = tempfile::tempdir().unwrap();
    let mut configs: Vec<PathBuf> = Vec::new();
    let vault = temp.path().join("vault.hcl");
    std::fs::write(&vault, vault_block(vault_address)).unwrap();
    configs.push(vault.clone());
    let node = match busiest_client(&artifacts, temp.path()) {
        Some((host, config)) => {
            let file = temp.path().join("eos-client.hcl");
            std::fs::write(&file, config).unwrap();
            configs.push(file);
            host
        }
        None => "eos-test".to_string(),
    };
    let nomad = Nomad::start(&nomad_bin, temp.path(), &node, &configs);
    // The generated client configuration took: the agent reports its
    // reserved capacity and host volumes.
    let (_, nodes) = nomad.call("GET", "nodes", None);
    let nodes: Value = serde_json::from_str(&nodes).unwrap();
    let (_, node_json) = nomad.call(
        "GET",
        &format!("node/{}", nodes[0]["ID"].as_str().unwrap()),
        None,
    );
    let node_json: Value = serde_json::from_str(&node_json).unwrap();
    assert_eq!(node_json["Name"], node);
    if configs.len() > 1 {
        let reserved = &node_json["ReservedResources"]["Memory"]["MemoryMB"];
        assert!(
            reserved.as_u64().is_some_and(|m| m > 0),
            "{name}: reserved memory not applied: {node_json}"
        );
        assert!(
            node_json["HostVolumes"]
                .as_object()
                .is_some_and(|v| !v.is_empty()),
            "{name}: host volumes not declared"
        );
    }
    Some(jobs_through_nomad(name, &nomad, &artifacts, temp.path()))
}

fn report(name: &str, outcome: &Outcome) {
    eprintln!(
        "{name}: {} jobs parsed, validated, planned and registered by Nomad; {} not placed on the \
         test machine (no Docker engine, one client)",
        outcome.jobs,
        outcome.unplaced.len()
    );
    for line in outcome.unplaced.iter().take(8) {
        eprintln!("  {line}");
    }
}
#[test]
fn nomad_accepts_plans_and_registers_every_example_job() {
    let mut checked = 0;
    let vault = "http://127.0.0.1:8200";
    for spec in common::eos_files("specs") {
        let name = spec.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(outcome) = check_stack(&name, &spec, vault) {
            report(&name, &outcome);
            checked += outcome.jobs;
        }
    }
    if consumer("nomad").is_some() {
        assert!(checked >= 7, "the examples have jobs: {checked} checked");
    }
}

#[test]
fn nomad_accepts_a_generated_200_service_stack() {
    let temp = tempfile::tempdir().unwrap();
    let spec = temp.path().join("gen200.eos");
    std::fs::write(&spec, stackgen::spec_text(200, 7).unwrap()).unwrap();
    if let Some(outcome) = check_stack("gen200.eos", &spec, "http://127.0.0.1:8200") {
        report("gen200.eos", &outcome);
        assert!(
            outcome.jobs >= 50,
            "a 200-service stack has many jobs: {}",
            outcome.jobs
        );
    }
}

/// Vault holds what `main.tf` declares: each `vault_policy` written through
/// Vault's API as the provider writes it, the JWT auth method at `jwt-nomad`
/// trusting the running Nomad's JWKS (Vault fetches it when configured), and
/// each `vault_jwt_auth_backend_role` with the provider's fields.
#[test]
fn vault_holds_the_policies_and_roles_of_main_tf() {
    let Some(vault_bin) = consumer("vault") else {
        return;
    };
    let Some(nomad_bin) = consumer("nomad") else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let vault = Vault::start(&vault_bin, temp.path());
    let block = temp.path().join("vault.hcl");
    std::fs::write(&block, vault_block(&vault.address)).unwrap();
    let nomad = Nomad::start(&nomad_bin, temp.path(), "eos-test", &[block]);
    let artifacts = common::build(&common::root().join("specs/eos.eos"));
    let main_tf: hcl::Body = hcl::parse(&artifacts.files["terraform/main.tf"]).unwrap();
    let applied = common::agents::vault_apply(&vault, &main_tf, &nomad.address);
    assert!(applied.policies >= 10 && applied.roles >= 5, "{applied:?}");
    // Read back: Vault stored each policy and role as main.tf has it.
    let (code, body) = vault.call("GET", "sys/policies/acl/eos-postgres", None);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("kv/data/postgres/superuser"), "{body}");
    let (code, body) = vault.call("GET", "auth/jwt-nomad/role/eos-postgres", None);
    assert_eq!(code, 200, "{body}");
    let role: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(role["data"]["bound_claims"]["nomad_job_id"], "postgres");
    assert_eq!(role["data"]["token_policies"], json!(["eos-postgres"]));
    assert_eq!(role["data"]["bound_audiences"], json!(["vault.io"]));
}
