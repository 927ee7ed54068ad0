//! The Terraform and Nomad artifacts: every `terraform/*.tf` and
//! `nomad/*.nomad.hcl` file of every spec
//! parses with hcl-rs and with python-hcl2 (and with `terraform fmt` when it is
//! installed, which also checks the formatting); spec strings round-trip
//! exactly; the jobspec of a known service has the expected structure.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use hcl::eval::{Context, Evaluate};
use hcl::{Block, Body, Expression, Value};

/// Parses every file given on argv with python-hcl2 and prints
/// `{"path": parsed}` as JSON; on the first failure prints the file and the
/// error on stderr and exits 1.
const PY_HCL2: &str = r#"
import json, sys
try:
    import hcl2
except ImportError as e:
    sys.exit(f"python-hcl2 is not importable ({e}): run scripts/setup-validators.sh")
out = {}
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            out[path] = hcl2.loads(f.read())
    except Exception as e:
        sys.exit(f"{path}: {type(e).__name__}: {e}")
print(json.dumps(out))
"#;

/// The Terraform and Nomad artifacts (not user files that Salt installs,
/// whatever their extension).
fn is_hcl(path: &str) -> bool {
    let file = Path::new(path);
    let extension = |e: &str| file.extension().is_some_and(|x| x == e);
    (path.starts_with("terraform/") && extension("tf"))
        || (path.starts_with("nomad/") && extension("hcl"))
}

/// The Terraform and Nomad artifacts of a build.
fn hcl_files(artifacts: &eosc::emit::Artifacts) -> BTreeMap<String, String> {
    artifacts
        .files
        .iter()
        .filter(|(path, _)| is_hcl(path))
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect()
}

/// Writes the files below `dir`; returns their paths in the same order.
fn write_all(dir: &Path, files: &BTreeMap<String, String>) -> Vec<PathBuf> {
    files
        .iter()
        .map(|(rel, text)| {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

/// python-hcl2's parse of each file, keyed by path; `None` when the validator
/// is skipped explicitly (`EOSC_SKIP_VALIDATORS=1`).
fn python_hcl2(paths: &[PathBuf]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let python = common::validator("python", "python-hcl2")?;
    let output = Command::new(python)
        .arg("-c")
        .arg(PY_HCL2)
        .args(paths)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "python-hcl2 rejected an artifact: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    Some(json.as_object().unwrap().clone())
}

/// `terraform`, when installed (it is optional: not on CI machines).
fn terraform() -> Option<PathBuf> {
    let found = Command::new("sh")
        .args(["-c", "command -v terraform"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(PathBuf::from(
        String::from_utf8_lossy(&found.stdout).trim().to_string(),
    ))
}

/// `terraform fmt -` of a text: exit status and formatted output.
fn terraform_fmt(terraform: &Path, config: &Path, text: &str) -> (bool, String, String) {
    let output = common::run_with_stdin(
        Command::new(terraform)
            .args(["fmt", "-no-color", "-"])
            .env("TF_CLI_CONFIG_FILE", config)
            .env("CHECKPOINT_DISABLE", "1"),
        text.as_bytes(),
    );
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_hcl_artifact_parses_with_three_parsers() {
    let tmp = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    let mut texts = BTreeMap::new();
    let started = Instant::now();
    for spec in common::eos_files("specs") {
        let name = spec.file_stem().unwrap().to_string_lossy().into_owned();
        let files = hcl_files(&common::build(&spec));
        assert!(
            files.contains_key("terraform/main.tf"),
            "{name}: no terraform/main.tf"
        );
        for (path, text) in &files {
            if let Err(e) = hcl::parse(text) {
                panic!("{name}: hcl-rs rejects {path}: {e}\n{text}");
            }
        }
        for (path, text) in write_all(&tmp.path().join(&name), &files)
            .into_iter()
            .zip(files.values())
        {
            texts.insert(
                path.clone(),
                (format!("{name}: {}", path.display()), text.clone()),
            );
            all.push(path);
        }
    }
    eprintln!("built and parsed with hcl-rs in {:?}", started.elapsed());

    let started = Instant::now();
    if let Some(parsed) = python_hcl2(&all) {
        assert_eq!(parsed.len(), all.len());
        eprintln!(
            "python-hcl2 parsed {} files in {:?}",
            all.len(),
            started.elapsed()
        );
    }

    let Some(terraform) = terraform() else {
        eprintln!("NOTICE: `terraform` is not on PATH: skipping the `terraform fmt` parse and formatting checks");
        return;
    };
    let started = Instant::now();
    let config = tmp.path().join("terraformrc");
    std::fs::write(&config, "").unwrap();
    for path in &all {
        let (label, text) = &texts[path];
        let (ok, formatted, stderr) = terraform_fmt(&terraform, &config, text);
        assert!(ok, "terraform fmt rejects {label}:\n{stderr}\n{text}");
        // Nomad jobspecs: `terraform fmt` unwraps "${x}" into x, which is not
        // the same thing to Nomad; everything else must already be formatted.
        let expected = if path.extension().is_some_and(|e| e == "tf") {
            text.clone()
        } else {
            text.replace("\"${node.unique.name}\"", "node.unique.name")
        };
        assert_eq!(
            formatted, expected,
            "{label} is not as `terraform fmt` formats it"
        );
    }
    eprintln!(
        "terraform fmt checked {} files in {:?}",
        all.len(),
        started.elapsed()
    );
}

#[test]
fn builds_are_byte_identical() {
    let spec = common::root().join("specs/eos.eos");
    assert_eq!(
        hcl_files(&common::build(&spec)),
        hcl_files(&common::build(&spec))
    );
}

// --- round trip of hostile strings --------------------------------------------------

/// Values a spec may hold in each field (the schema restricts images to
/// text without whitespace, quotes or backslashes, and commands to one line).
// No `${`: Nomad interpolates it in a task's config and env at run time and
// has no escape, so the schema refuses it (E0107, tests/ui); `%{`, `$$` and
// `%%{` are HCL's alone and must come through escaped.
const IMAGE: &str = "registry.example/app:1.0-$(x}-%{if}-$$(y}-%%{z}-é😀";
const COMMAND: &str = r#"sh "-c" 'x' $(HOME} %{ if x } $$(y} %%{ z } back\slash \n é ☃"#;
const ARGS: [&str; 10] = [
    "a \"quoted\" arg",
    "$(x}",
    "%{ if true }x%{ endif }",
    "$$(",
    "a$$(b}c",
    "back\\slash\\\\",
    "line\nbreak\ttab\rcr",
    "unicode é 😀 ☃ \u{7f} \u{1}",
    "$(",
    "",
];
const ENV: [(&str, &str); 7] = [
    ("PLAIN", "x"),
    ("QUOTES", "\"q\" 'q'"),
    ("INTERP", "$(var.secret} and %{ if x }y%{ endif }"),
    ("ESCAPED", "$$(x} %%{y} $$$(z}"),
    ("BACKSLASH", "C:\\path\\ \\\" \\n"),
    ("CONTROL", "a\nb\tc\u{1b}d"),
    ("UNICODE", "é 😀 ☃ \u{2028}"),
];

fn round_trip_spec() -> String {
    let args: Vec<String> = ARGS.iter().map(|a| common::eos_string(a)).collect();
    let env: Vec<String> = ENV
        .iter()
        .map(|(k, v)| format!("    {k} = {}", common::eos_string(v)))
        .collect();
    format!(
        r#"stack "rt" {{
  domain = "rt.example.org"
}}

host "h1" {{
  address = "10.0.0.1"
  memory  = 16GiB
  cpus    = 8
}}

service "nomad" {{
  runtime  = baremetal
  provides = [nomad]
  on       = [h1]
  memory   = 1GiB
  cpu      = 1
  port "http" {{ number = 4646 }}
}}

service "vault" {{
  runtime  = baremetal
  provides = [vault]
  on       = [h1]
  memory   = 1GiB
  cpu      = 1
  port "api" {{ number = 8200  protocol = https }}
}}

service "app" {{
  runtime = nomad
  image   = {image}
  command = {command}
  args    = [{args}]
  memory  = 256MiB
  cpu     = 0.5
  env     = {{
{env}
  }}
  secret "db" {{
    path = "kv/data/rt/app"
    env  = {{ DB_PASSWORD = "password" }}
  }}
}}
"#,
        image = common::eos_string(IMAGE),
        command = common::eos_string(COMMAND),
        args = args.join(", "),
        env = env.join("\n"),
    )
}

fn build_text(dir: &Path, text: &str) -> eosc::emit::Artifacts<'static> {
    let path = dir.join("rt.eos");
    std::fs::write(&path, text).unwrap();
    common::build(&path)
}

fn body_block<'a>(body: &'a Body, ident: &str) -> &'a Block {
    body.blocks()
        .find(|b| b.identifier() == ident)
        .unwrap_or_else(|| panic!("no block `{ident}`"))
}

fn blocks<'a>(body: &'a Body, ident: &str) -> Vec<&'a Block> {
    body.blocks().filter(|b| b.identifier() == ident).collect()
}

fn expr<'a>(body: &'a Body, key: &str) -> &'a Expression {
    body.attributes()
        .find(|a| a.key() == key)
        .map_or_else(|| panic!("no attribute `{key}`"), hcl::Attribute::expr)
}

fn has_attr(body: &Body, key: &str) -> bool {
    body.attributes().any(|a| a.key() == key)
}

fn eval(body: &Body, key: &str) -> Value {
    expr(body, key)
        .evaluate(&Context::new())
        .unwrap_or_else(|e| panic!("`{key}` does not evaluate: {e}"))
}

fn eval_str(body: &Body, key: &str) -> String {
    match eval(body, key) {
        Value::String(s) => s,
        other => panic!("`{key}` is {other:?}, not a string"),
    }
}

fn eval_u64(body: &Body, key: &str) -> u64 {
    eval(body, key)
        .as_u64()
        .unwrap_or_else(|| panic!("`{key}` is not a number"))
}

fn eval_strings(body: &Body, key: &str) -> Vec<String> {
    match eval(body, key) {
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => s,
                other => panic!("`{key}` holds {other:?}"),
            })
            .collect(),
        other => panic!("`{key}` is {other:?}, not a list"),
    }
}

/// `job "<name>"` → `group "<name>"` → `task "<name>"` of a jobspec.
fn job_parts(text: &str) -> (Body, String) {
    let body: Body = hcl::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let name = body_block(&body, "job").labels()[0].as_str().to_string();
    (body, name)
}

/// Undoes the escapes of a python-hcl2 raw string lexeme (`"…"`).
fn unescape_lexeme(raw: &str) -> String {
    let inner = raw
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_else(|| panic!("not a quoted lexeme: {raw:?}"));
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(u @ ('u' | 'U')) => {
                let len = if u == 'u' { 4 } else { 8 };
                let hex: String = chars.by_ref().take(len).collect();
                let code = u32::from_str_radix(&hex, 16).unwrap();
                out.push(char::from_u32(code).unwrap());
            }
            other => panic!("unexpected escape \\{other:?} in {raw:?}"),
        }
    }
    out
}

#[test]
fn hostile_spec_strings_round_trip_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let artifacts = build_text(tmp.path(), &round_trip_spec());
    let text = &artifacts.files["nomad/app.nomad.hcl"];

    // hcl-rs: parse and evaluate.
    let (body, name) = job_parts(text);
    assert_eq!(name, "app");
    let job = body_block(&body, "job").body();
    let group = body_block(job, "group").body();
    let task = body_block(group, "task").body();
    let config = body_block(task, "config").body();
    assert_eq!(eval_str(config, "image"), IMAGE);
    assert_eq!(eval_str(config, "command"), COMMAND);
    assert_eq!(eval_strings(config, "args"), ARGS);
    let env = body_block(task, "env").body();
    for (key, value) in ENV {
        assert_eq!(eval_str(env, key), value, "env {key}");
    }
    let env_keys: Vec<&str> = env.attributes().map(hcl::Attribute::key).collect();
    assert_eq!(env_keys, ENV.map(|(k, _)| k), "env order");

    // terraform (HashiCorp's parser), when installed: the files parse.
    let files = hcl_files(&artifacts);
    match terraform() {
        Some(terraform) => {
            let config = tmp.path().join("terraformrc");
            std::fs::write(&config, "").unwrap();
            for (path, text) in &files {
                let (ok, _, stderr) = terraform_fmt(&terraform, &config, text);
                assert!(ok, "terraform fmt rejects {path}:\n{stderr}\n{text}");
            }
        }
        None => eprintln!(
            "NOTICE: `terraform` is not on PATH: skipping its parse of the round-trip artifacts"
        ),
    }

    // python-hcl2: raw lexemes, unescaped.
    let paths = write_all(tmp.path(), &files);
    let Some(parsed) = python_hcl2(&paths) else {
        return;
    };
    let job_path = tmp.path().join("nomad/app.nomad.hcl");
    let doc = &parsed[job_path.to_str().unwrap()];
    let task = &doc["job"][0]["\"app\""]["group"][0]["\"app\""]["task"][0]["\"app\""];
    let config = &task["config"][0];
    let raw = |v: &serde_json::Value| unescape_lexeme(v.as_str().unwrap());
    assert_eq!(raw(&config["image"]), IMAGE);
    assert_eq!(raw(&config["command"]), COMMAND);
    let args: Vec<String> = config["args"].as_array().unwrap().iter().map(raw).collect();
    assert_eq!(args, ARGS);
    for (key, value) in ENV {
        assert_eq!(raw(&task["env"][0][key]), value, "python env {key}");
    }
}

#[test]
fn template_syntax_in_a_vault_path_is_refused() {
    // A Vault path lands in consul-template, policies and shell commands: the
    // schema refuses anything but plain path segments (E0107).
    let spec = round_trip_spec().replace("kv/data/rt/app", "kv/data/rt}}{{.Data}}");
    let checked = common::check_text(&spec);
    let codes: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, ["E0107"], "{}", common::human(&checked));
    assert!(eosc::driver::emit_artifacts(&checked, &eosc::emit::Templates::builtin()).is_none());
}

// --- structure of a known jobspec ---------------------------------------------------

#[test]
fn eos_postgres_jobspec_has_the_expected_structure() {
    let artifacts = common::build(&common::root().join("specs/eos.eos"));
    let (body, name) = job_parts(&artifacts.files["nomad/postgres.nomad.hcl"]);
    assert_eq!(name, "postgres");
    let job = body_block(&body, "job").body();
    assert_eq!(eval_strings(job, "datacenters"), ["eos1"]);
    assert_eq!(eval_str(job, "type"), "service");

    let group_block = body_block(job, "group");
    assert_eq!(group_block.labels()[0].as_str(), "postgres");
    let group = group_block.body();
    assert_eq!(eval_u64(group, "count"), 1);

    // `on = [hv2]` and the volume on hv2.nvme0 pin it to hv2 (once).
    let constraints = blocks(group, "constraint");
    assert_eq!(constraints.len(), 1);
    let constraint = constraints[0].body();
    assert_eq!(
        expr(constraint, "attribute").to_string(),
        "\"${node.unique.name}\""
    );
    assert_eq!(eval_str(constraint, "operator"), "=");
    assert_eq!(eval_str(constraint, "value"), "hv2");

    let network = body_block(group, "network").body();
    let ports = blocks(network, "port");
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0].labels()[0].as_str(), "pg");
    assert_eq!(eval_u64(ports[0].body(), "static"), 5432);
    assert_eq!(eval_u64(ports[0].body(), "to"), 5432);

    let volume_block = body_block(group, "volume");
    assert_eq!(volume_block.labels()[0].as_str(), "data");
    let volume = volume_block.body();
    assert_eq!(eval_str(volume, "type"), "host");
    assert_eq!(eval_str(volume, "source"), "postgres-data");

    let task_block = body_block(group, "task");
    assert_eq!(task_block.labels()[0].as_str(), "postgres");
    let task = task_block.body();
    assert_eq!(eval_str(task, "driver"), "docker");
    let config = body_block(task, "config").body();
    assert_eq!(eval_str(config, "image"), "postgres:16.4");
    assert_eq!(eval_strings(config, "ports"), ["pg"]);
    let env = body_block(task, "env").body();
    assert_eq!(eval_str(env, "POSTGRES_USER"), "postgres");
    let mount = body_block(task, "volume_mount").body();
    assert_eq!(eval_str(mount, "volume"), "data");
    assert_eq!(eval_str(mount, "destination"), "/var/lib/postgresql/data");

    // No numa on Nomad CE (W0312): 4 cores × 2100 MHz, memory 16GiB → 16384
    // MB, memory_max 20GiB, and no `numa` block (Nomad CE refuses it).
    let resources = body_block(task, "resources").body();
    assert_eq!(eval_u64(resources, "cpu"), 8400);
    assert_eq!(eval_u64(resources, "memory"), 16_384);
    assert_eq!(eval_u64(resources, "memory_max"), 20_480);
    assert!(blocks(resources, "numa").is_empty());

    let vault = body_block(task, "vault").body();
    assert_eq!(eval_str(vault, "role"), "eos-postgres");
    let templates = blocks(task, "template");
    assert_eq!(templates.len(), 1);
    let template = templates[0].body();
    assert_eq!(eval_str(template, "destination"), "secrets/superuser.env");
    assert_eq!(eval(template, "env"), Value::Bool(true));
    let data = eval_str(template, "data");
    assert!(
        data.starts_with("{{ with secret \"kv/data/postgres/superuser\" }}\nPOSTGRES_PASSWORD=\"{{ .Data.data.password |"),
        "{data}"
    );
    assert!(data.ends_with("}}\"\n{{ end }}\n"), "{data}");

    let services = blocks(task, "service");
    assert_eq!(services.len(), 1);
    let service = services[0].body();
    assert_eq!(eval_str(service, "name"), "postgres-pg");
    assert_eq!(eval_str(service, "port"), "pg");
    assert_eq!(eval_str(service, "provider"), "consul");
    let check = body_block(service, "check").body();
    assert_eq!(eval_str(check, "type"), "tcp");
    assert_eq!(eval_str(check, "interval"), "10s");
    assert_eq!(eval_str(check, "timeout"), "2s");
    assert_eq!(
        eval_str(body_block(check, "check_restart").body(), "grace"),
        "30s"
    );
}

#[test]
fn eos_cpu_mhz_http_checks_host_volumes_and_spread_constraints() {
    let artifacts = common::build(&common::root().join("specs/eos.eos"));
    let task_of = |service: &str| {
        let (body, _) = job_parts(&artifacts.files[&format!("nomad/{service}.nomad.hcl")]);
        body
    };

    // minio: on hv4 (2800 MHz): 4 cores → 11200 MHz; http check on `api` only.
    let body = task_of("minio");
    let group = body_block(body_block(&body, "job").body(), "group").body();
    let task = body_block(group, "task").body();
    let resources = body_block(task, "resources").body();
    assert_eq!(eval_u64(resources, "cpu"), 11_200);
    assert_eq!(eval_u64(resources, "memory_max"), 24_576);
    let network = body_block(group, "network").body();
    for port in blocks(network, "port") {
        assert!(!has_attr(port.body(), "static"), "dynamic host ports");
    }
    let services = blocks(task, "service");
    let names: Vec<String> = services
        .iter()
        .map(|s| eval_str(s.body(), "name"))
        .collect();
    assert_eq!(names, ["minio-api", "minio-console"]);
    let check = body_block(services[0].body(), "check").body();
    assert_eq!(eval_str(check, "type"), "http");
    assert_eq!(eval_str(check, "path"), "/minio/health/live");
    assert!(blocks(services[1].body(), "check").is_empty());

    // authentik: any client (slowest 2100 MHz) × 1 core; CephFS media as a
    // host volume that every client declares over its CephFS mount.
    let body = task_of("authentik");
    let group = body_block(body_block(&body, "job").body(), "group").body();
    assert_eq!(eval_u64(group, "count"), 2);
    assert!(blocks(group, "constraint").is_empty());
    let volume = body_block(group, "volume").body();
    assert_eq!(eval_str(volume, "type"), "host");
    assert_eq!(eval_str(volume, "source"), "authentik-media");
    assert!(!has_attr(volume, "access_mode"), "no CSI attributes");
    let task = body_block(group, "task").body();
    assert_eq!(eval_u64(body_block(task, "resources").body(), "cpu"), 2100);

    // clusterfuzz-bot: on = [hv4, hv5].
    let body = task_of("clusterfuzz-bot");
    let group = body_block(body_block(&body, "job").body(), "group").body();
    assert_eq!(eval_u64(group, "count"), 4);
    let constraint = body_block(group, "constraint").body();
    assert_eq!(eval_str(constraint, "operator"), "set_contains_any");
    assert_eq!(eval_str(constraint, "value"), "hv4,hv5");
    let task = body_block(group, "task").body();
    assert!(blocks(task, "vault").is_empty(), "no secrets, no vault");
}

#[test]
fn eos_main_tf_has_providers_jobs_and_policies() {
    let artifacts = common::build(&common::root().join("specs/eos.eos"));
    let body: Body = hcl::parse(&artifacts.files["terraform/main.tf"]).unwrap();
    let resources = |kind: &str| -> Vec<&Block> {
        blocks(&body, "resource")
            .into_iter()
            .filter(|b| b.labels()[0].as_str() == kind)
            .collect()
    };
    // Provider addresses are variables whose defaults are the spec's, so a
    // test or a tunnel can override them.
    let defaults: BTreeMap<&str, String> = blocks(&body, "variable")
        .into_iter()
        .map(|b| (b.labels()[0].as_str(), eval_str(b.body(), "default")))
        .collect();
    let providers: BTreeMap<&str, String> = blocks(&body, "provider")
        .into_iter()
        .map(|b| {
            (
                b.labels()[0].as_str(),
                expr(b.body(), "address").to_string(),
            )
        })
        .collect();
    assert_eq!(providers["nomad"], "var.nomad_address");
    assert_eq!(providers["vault"], "var.vault_address");
    assert_eq!(defaults["nomad_address"], "http://10.0.0.11:4646");
    assert_eq!(defaults["vault_address"], "https://10.0.0.11:8200");
    // An https Vault is checked against the stack's internal CA.
    let vault = blocks(&body, "provider")
        .into_iter()
        .find(|b| b.labels()[0].as_str() == "vault")
        .unwrap();
    assert_eq!(
        expr(vault.body(), "ca_cert_file").to_string(),
        "var.vault_ca_cert_file"
    );
    assert_eq!(defaults["vault_ca_cert_file"], "/etc/eos/ca.pem");
    // memory_max needs Nomad's memory oversubscription: the scheduler
    // configuration enables it, and the jobs with memory_max depend on it.
    let scheduler = resources("nomad_scheduler_config");
    assert_eq!(scheduler.len(), 1);
    assert_eq!(
        eval(scheduler[0].body(), "memory_oversubscription_enabled"),
        Value::Bool(true)
    );
    let postgres = resources("nomad_job")
        .into_iter()
        .find(|b| b.labels()[1].as_str() == "postgres")
        .unwrap();
    assert!(expr(postgres.body(), "depends_on")
        .to_string()
        .contains("nomad_scheduler_config.eos"));

    let jobs: Vec<&str> = resources("nomad_job")
        .iter()
        .map(|b| b.labels()[1].as_str())
        .collect();
    assert_eq!(
        jobs,
        [
            "postgres",
            "redis",
            "minio",
            "authentik",
            "authentik_worker",
            "clusterfuzz",
            "clusterfuzz_bot"
        ]
    );
    let bot = resources("nomad_job")[6].body();
    assert_eq!(
        expr(bot, "jobspec").to_string(),
        "file(\"${path.module}/../nomad/clusterfuzz-bot.nomad.hcl\")"
    );

    // A policy for every service with secrets, baremetal and docker included.
    let policies: BTreeMap<&str, (String, String)> = resources("vault_policy")
        .into_iter()
        .map(|b| {
            (
                b.labels()[1].as_str(),
                (eval_str(b.body(), "name"), eval_str(b.body(), "policy")),
            )
        })
        .collect();
    assert_eq!(policies.len(), 10);
    assert_eq!(
        policies["boundary"],
        (
            "eos-boundary".to_string(),
            "path \"kv/data/boundary/db\" {\n  capabilities = [\"read\"]\n}\n\npath \"kv/data/boundary/transit\" {\n  capabilities = [\"read\"]\n}\n".to_string()
        )
    );
    assert!(policies.contains_key("registry"));
    assert!(!policies.contains_key("redis"));
    let roles: Vec<&str> = resources("vault_jwt_auth_backend_role")
        .iter()
        .map(|b| b.labels()[1].as_str())
        .collect();
    assert_eq!(
        roles,
        [
            "postgres",
            "minio",
            "authentik",
            "authentik_worker",
            "clusterfuzz"
        ]
    );
}

/// `terraform/boundary/main.tf` of `specs/eos.eos`: a TCP target per `admin`
/// port of a baremetal or docker service and per Authentik-protected route
/// to one (Nomad services have no fixed host and port: none), each on the
/// host set of its service's hosts; break glass through a password account
/// whose password is in no file.
#[test]
fn eos_boundary_targets_reach_admin_ports_and_protected_backends() {
    let artifacts = common::build(&common::root().join("specs/eos.eos"));
    let text = &artifacts.files["terraform/boundary/main.tf"];
    let body: Body = hcl::parse(text).unwrap();
    let resources = |kind: &str| -> Vec<&Block> {
        blocks(&body, "resource")
            .into_iter()
            .filter(|b| b.labels()[0].as_str() == kind)
            .collect()
    };
    let targets: Vec<(String, u64, String)> = resources("boundary_target")
        .iter()
        .map(|b| {
            (
                eval_str(b.body(), "name"),
                eval_u64(b.body(), "default_port"),
                expr(b.body(), "host_source_ids")
                    .to_string()
                    .split_whitespace()
                    .collect::<String>(),
            )
        })
        .collect();
    let expected = [
        ("vault-api", 8200, "vault"),
        ("consul-http", 8500, "consul"),
        ("boundary-db-pg", 5432, "boundary_db"),
        ("nomad-http", 4646, "nomad"),
        ("wazuh-dashboard-https", 5601, "wazuh_dashboard"),
    ];
    let expected: Vec<(String, u64, String)> = expected
        .iter()
        .map(|(name, port, set)| {
            (
                (*name).to_string(),
                *port,
                format!("[boundary_host_set_static.{set}.id]"),
            )
        })
        .collect();
    assert_eq!(targets, expected);
    for target in resources("boundary_target") {
        assert_eq!(eval_str(target.body(), "type"), "tcp");
    }
    // Every host a target runs on is a static host at the spec's address.
    let hosts: BTreeMap<String, String> = resources("boundary_host_static")
        .iter()
        .map(|b| (eval_str(b.body(), "name"), eval_str(b.body(), "address")))
        .collect();
    assert_eq!(hosts["hv3"], "10.0.0.13");
    assert_eq!(hosts.len(), 5);
    let accounts = resources("boundary_account_password");
    assert_eq!(accounts.len(), 1);
    assert!(
        !has_attr(accounts[0].body(), "password"),
        "no password in a file"
    );
    assert_eq!(eval_str(accounts[0].body(), "login_name"), "break-glass");
    let provider = blocks(&body, "provider");
    assert_eq!(
        expr(provider[0].body(), "addr").to_string(),
        "var.boundary_address"
    );
}
