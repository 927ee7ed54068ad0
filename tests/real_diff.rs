//! `eosc diff` against running agents: a Nomad dev agent (with the client
//! configuration eosc writes) and a Consul dev agent, built by
//! `scripts/build-consumers.sh`. The jobs of `specs/eos.eos` are registered
//! the way terraform-provider-nomad registers them (the agent parses the
//! jobspec, then `PUT /v1/jobs`), so the first comparison is the one right
//! after `terraform apply`. The machine has no Docker engine: allocations
//! cannot be placed, and `diff` must say so for every job — and nothing else.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::agents::{consumer, free_port, Consul, Nomad};
use serde_json::{json, Value};

fn spec() -> PathBuf {
    common::root().join("specs/eos.eos")
}

fn diff(nomad: &str, consul: &str, extra_env: &[(&str, &str)]) -> (Output, Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eosc"));
    command
        .arg("diff")
        .arg(spec())
        .args(["--format", "json", "--nomad", nomad, "--consul", consul])
        .env_remove("NOMAD_TOKEN")
        .env_remove("CONSUL_HTTP_TOKEN");
    for (k, v) in extra_env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "diff printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, value)
}

fn differences(value: &Value) -> Vec<(String, String, String)> {
    value["drift"]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["service"].as_str().unwrap().to_string(),
                d["kind"].as_str().unwrap().to_string(),
                d["running"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Parses a jobspec with the agent and registers the job, as the provider does.
fn register(nomad: &Nomad, jobspec: &str, change: impl FnOnce(&mut Value)) -> String {
    let request = json!({ "JobHCL": jobspec, "Canonicalize": true }).to_string();
    let (code, body) = nomad.call("POST", "jobs/parse", Some(&request));
    assert_eq!(code, 200, "parse: {body}");
    let mut job: Value = serde_json::from_str(&body).unwrap();
    change(&mut job);
    let request = json!({ "Job": job }).to_string();
    let (code, body) = nomad.call("PUT", "jobs", Some(&request));
    assert_eq!(code, 200, "register: {body}");
    job["ID"].as_str().unwrap().to_string()
}

fn agent_config(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn diff_finds_each_kind_of_drift_on_running_agents() {
    let (Some(nomad_bin), Some(consul_bin)) = (consumer("nomad"), consumer("consul")) else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let consul = Consul::start(&consul_bin, temp.path(), free_port());
    let consul_block = agent_config(
        temp.path(),
        "consul.hcl",
        &format!(
            "consul {{\n  address = \"{}\"\n}}\n",
            consul.address.trim_start_matches("http://")
        ),
    );
    let vault_block = agent_config(
        temp.path(),
        "vault.hcl",
        "vault {\n  enabled = true\n  address = \"http://127.0.0.1:8200\"\n  jwt_auth_backend_path = \"jwt-nomad\"\n  default_identity {\n    aud = [\"vault.io\"]\n    ttl = \"1h\"\n  }\n}\n",
    );
    let artifacts = common::build(&spec());
    // The client joins the stack's datacenter, so that placement fails for
    // the reason a real client without Docker would give.
    let datacenter = artifacts.files["nomad/postgres.nomad.hcl"]
        .lines()
        .find_map(|l| l.trim().strip_prefix("datacenters = [\""))
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let dc_block = agent_config(
        temp.path(),
        "datacenter.hcl",
        &format!("datacenter = \"{datacenter}\"\n"),
    );
    let nomad = Nomad::start(
        &nomad_bin,
        temp.path(),
        "eos-test",
        &[consul_block, vault_block, dc_block],
    );
    let jobspecs: Vec<(&String, &String)> = artifacts
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("nomad/"))
        .collect();
    assert!(jobspecs.len() >= 5, "eos.eos has jobs");
    for (_, text) in &jobspecs {
        register(&nomad, text, |_| {});
    }
    // A job of someone else (no eosc mark) is never reported.
    register(
        &nomad,
        &jobspecs[0].1.replace("eosc_stack", "owner"),
        |job| {
            job["ID"] = json!("not-ours");
            job["Name"] = json!("not-ours");
        },
    );

    // 1. Right after the apply: every job is compared and matches; each is
    //    reported unplaced (no Docker here), with the reason, and nothing else.
    let (output, value) = diff(&nomad.address, &consul.address, &[]);
    let found = differences(&value);
    assert_eq!(output.status.code(), Some(3), "{value:#}");
    assert_eq!(value["drift"]["jobs"], jobspecs.len());
    assert_eq!(found.len(), jobspecs.len(), "{found:#?}");
    for (service, kind, running) in &found {
        assert_eq!(kind, "unplaced", "{service}: {running}");
        assert!(running.contains("cannot be placed"), "{service}: {running}");
    }
    eprintln!("after apply: {found:#?}");

    // 2. Hand changes: a job purged, a count scaled, an image hot-fixed, and a
    //    retired job of the stack still running.
    let purged = "redis";
    let out = nomad.cli(&["job", "stop", "-purge", purged]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Nomad refuses to scale a job while its deployment runs (it never ends
    // here): fail it first, as an operator in an incident would.
    let (_, deployment) = nomad.call("GET", "job/minio/deployment", None);
    let deployment: Value = serde_json::from_str(&deployment).unwrap();
    if let Some(id) = deployment["ID"].as_str() {
        let out = nomad.cli(&["deployment", "fail", "-detach", id]);
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = nomad.cli(&["job", "scale", "-detach", "minio", "minio", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let postgres = &artifacts.files["nomad/postgres.nomad.hcl"];
    register(&nomad, postgres, |job| {
        job["TaskGroups"][0]["Tasks"][0]["Config"]["image"] = json!("postgres:16-hotfix");
    });
    register(&nomad, postgres, |job| {
        job["ID"] = json!("retired");
        job["Name"] = json!("retired");
    });
    // A bare-metal service's Consul registration with a failing check.
    let check = json!({
        "Name": "vault-api", "Port": 8200,
        "Check": { "Name": "vault-api-health", "TTL": "10m", "Status": "critical" }
    });
    let (code, body) = common::agents::http(
        "PUT",
        &format!("{}/v1/agent/service/register", consul.address),
        &[],
        Some(&check.to_string()),
    );
    assert_eq!(code, 200, "{body}");

    let (output, value) = diff(&nomad.address, &consul.address, &[]);
    assert_eq!(output.status.code(), Some(3));
    let found = differences(&value);
    let has = |service: &str, kind: &str| {
        found
            .iter()
            .find(|(s, k, _)| s == service && k == kind)
            .map_or_else(
                || panic!("no {kind} for {service}: {found:#?}"),
                |(_, _, r)| r.clone(),
            )
    };
    assert_eq!(has(purged, "missing_job"), "absent");
    assert_eq!(has("minio", "count"), "3");
    assert_eq!(has("postgres", "image"), "postgres:16-hotfix");
    assert_eq!(has("retired", "extra_job"), "status pending");
    assert!(has("vault", "failing_check").starts_with("critical on eos-test"));
    assert!(!found.iter().any(|(s, _, _)| s == "not-ours"), "{found:#?}");
    let fixes: Vec<&str> = value["drift"]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["fix"].as_str().unwrap())
        .collect();
    assert!(fixes.contains(&"terraform -chdir=/srv/eos/terraform apply -target=nomad_job.redis"));
    assert!(fixes.contains(&"nomad job run /srv/eos/nomad/postgres.nomad.hcl"));
    assert!(fixes.contains(&"nomad job stop -purge retired"));

    // The human table names each service and its fix.
    let human = Command::new(env!("CARGO_BIN_EXE_eosc"))
        .arg("diff")
        .arg(spec())
        .args(["--nomad", &nomad.address, "--consul", &consul.address])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert_eq!(human.status.code(), Some(3));
    assert!(text.contains("\npostgres\n"), "{text}");
    assert!(text.contains("postgres:16-hotfix"), "{text}");
    assert!(
        text.contains("fix: nomad job stop -purge retired"),
        "{text}"
    );
    eprintln!("{text}");
}

#[test]
fn diff_exits_2_when_an_agent_is_down_or_refuses_the_token() {
    let Some(nomad_bin) = consumer("nomad") else {
        return;
    };
    // Nothing listens there.
    let down = format!("http://127.0.0.1:{}", free_port());
    let (output, value) = diff(&down, &down, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(value["api_error"]
        .as_str()
        .unwrap()
        .contains("cannot reach Nomad"));

    // ACLs on: a token the agent does not know is refused, and never printed.
    let temp = tempfile::tempdir().unwrap();
    let acl = agent_config(temp.path(), "acl.hcl", "acl {\n  enabled = true\n}\n");
    let nomad = Nomad::start(&nomad_bin, temp.path(), "eos-test", &[acl]);
    let token = "6f1c2b9e-0d4a-4c55-9a1e-5b7d3c2f8e10";
    let (output, value) = diff(&nomad.address, &down, &[("NOMAD_TOKEN", token)]);
    assert_eq!(output.status.code(), Some(2), "{value:#}");
    let error = value["api_error"].as_str().unwrap();
    assert!(error.contains("refused"), "{error}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains(token), "the token is printed: {all}");
}
