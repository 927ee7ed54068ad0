//! `eosc check --format sarif` against the official SARIF 2.1.0 JSON schema
//! (validated by Python's `jsonschema` from the validators' venv), and against
//! `--format json` of the same files: one result per diagnostic, at the same
//! place, and one rule per code carrying its `eosc explain` text.

mod common;

use std::path::PathBuf;
use std::process::Command;

use eosc::diag::Code;
use serde_json::Value;

/// Failing fixtures with errors, warnings, secondary labels and a syntax error.
const FIXTURES: [&str; 6] = [
    "tests/ui/E0001_missing_comma.eos",
    "tests/ui/E0102_unknown_attribute.eos",
    "tests/ui/E0202_dependency_cycle.eos",
    "tests/ui/E0301_host_memory_over_budget.eos",
    "tests/ui/W0603_image_without_pinned_tag.eos",
    "tests/ui/E0405_same_port_on_host.eos",
];

/// Where the official schema is looked for, after `EOSC_SARIF_SCHEMA`:
/// in the repository, then in the shared data folder of the project.
const SCHEMA_PLACES: [&str; 2] = [
    "tests/data/sarif-schema-2.1.0.json",
    "/work/shared/data/sarif-schema-2.1.0.json",
];

/// Validates with the schema's own draft; prints one error per line.
const VALIDATE: &str = r"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
log = json.load(sys.stdin)
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = sorted(cls(schema).iter_errors(log), key=lambda e: list(e.absolute_path))
for e in errors:
    print('/'.join(map(str, e.absolute_path)) + ': ' + e.message)
sys.exit(1 if errors else 0)
";

fn eosc(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_eosc"))
        .args(args)
        .current_dir(common::root())
        .output()
        .expect("eosc runs");
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

/// `Err(errors)` when the log does not match the schema; `None` when the
/// validator is missing and skipping was asked for.
fn validate(log: &str) -> Option<Result<(), String>> {
    let python = common::validator("python", "python with jsonschema")?;
    let schema = schema()?;
    let output = common::run_with_stdin(
        Command::new(&python).arg("-c").arg(VALIDATE).arg(&schema),
        log.as_bytes(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("No module named 'jsonschema'") {
        if std::env::var("EOSC_SKIP_VALIDATORS").as_deref() == Ok("1") {
            eprintln!("SKIPPED: {} has no jsonschema", python.display());
            return None;
        }
        panic!(
            "{} has no jsonschema module: run scripts/setup-validators.sh",
            python.display()
        );
    }
    match output.status.code() {
        Some(0) => Some(Ok(())),
        Some(1) if stderr.is_empty() => Some(Err(String::from_utf8_lossy(&output.stdout).into())),
        _ => panic!("the validator failed: {stderr}"),
    }
}

/// The schema file, or `None` (with a notice) when it is missing and
/// `EOSC_SKIP_VALIDATORS=1` is set.
fn schema() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = std::env::var_os("EOSC_SARIF_SCHEMA")
        .map(PathBuf::from)
        .into_iter()
        .chain(SCHEMA_PLACES.iter().map(|p| common::root().join(p)))
        .collect();
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Some(found.clone());
    }
    if std::env::var("EOSC_SKIP_VALIDATORS").as_deref() == Ok("1") {
        eprintln!("SKIPPED: no SARIF schema in {candidates:?}");
        return None;
    }
    panic!(
        "the SARIF 2.1.0 schema is in none of {candidates:?}: set EOSC_SARIF_SCHEMA to its path, \
         or EOSC_SKIP_VALIDATORS=1 to skip this check explicitly"
    );
}

#[test]
fn sarif_of_failing_fixtures_matches_the_schema_and_the_json_report() {
    let mut args = vec!["check", "--format", "sarif"];
    args.extend(FIXTURES);
    let (status, sarif_text) = eosc(&args);
    assert_eq!(status, Some(1), "errors in the fixtures: exit code 1");
    let mut args = vec!["check", "--format", "json"];
    args.extend(FIXTURES);
    let (_, json_text) = eosc(&args);

    if let Some(result) = validate(&sarif_text) {
        result.unwrap_or_else(|errors| panic!("not valid SARIF 2.1.0:\n{errors}"));
    }

    let sarif: Value = serde_json::from_str(&sarif_text).unwrap();
    let report: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["tool"]["driver"]["name"], "eosc");

    // A rule per code, in registry order, with the explanation as help.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Code::ALL.len());
    for (rule, code) in rules.iter().zip(Code::ALL) {
        assert_eq!(rule["id"], code.as_str());
        assert_eq!(rule["help"]["text"], code.explanation(), "{code}");
        assert_eq!(rule["shortDescription"]["text"], code.title(), "{code}");
        assert_eq!(
            rule["defaultConfiguration"]["level"],
            level(code.severity().as_str()),
            "{code}"
        );
    }

    // A result per diagnostic, in the same order as the JSON report.
    let results = run["results"].as_array().unwrap();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(results.len(), diagnostics.len());
    let total = report["errors"].as_u64().unwrap() + report["warnings"].as_u64().unwrap();
    assert_eq!(results.len() as u64, total);
    assert!(
        results.iter().any(|r| r["level"] == "warning")
            && results.iter().any(|r| r["level"] == "error"),
        "the fixtures should give errors and warnings"
    );
    for (result, diagnostic) in results.iter().zip(diagnostics) {
        let code = diagnostic["code"].as_str().unwrap();
        assert_eq!(result["ruleId"], code);
        let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], code);
        assert_eq!(
            result["level"],
            level(diagnostic["severity"].as_str().unwrap())
        );
        let message = result["message"]["text"].as_str().unwrap();
        assert!(
            message.starts_with(diagnostic["message"].as_str().unwrap()),
            "{message}"
        );
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], diagnostic["file"]);
        let region = &location["region"];
        assert_eq!(region["startLine"], diagnostic["line"], "{code}");
        assert_eq!(region["startColumn"], diagnostic["column"], "{code}");
        assert_eq!(region["endLine"], diagnostic["end_line"], "{code}");
        assert_eq!(region["endColumn"], diagnostic["end_column"], "{code}");
        let labels = diagnostic["labels"].as_array().unwrap();
        let related = result["relatedLocations"].as_array().map_or(0, Vec::len);
        assert_eq!(related, labels.len(), "{code}: related locations");
        for (place, label) in result["relatedLocations"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(labels)
        {
            let region = &place["physicalLocation"]["region"];
            assert_eq!(region["startLine"], label["line"]);
            assert_eq!(region["startColumn"], label["column"]);
            assert_eq!(place["message"]["text"], label["message"]);
        }
    }
    for fixture in FIXTURES {
        assert!(
            results.iter().any(
                |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == fixture
            ),
            "no result for {fixture}"
        );
    }
}

#[test]
fn sarif_of_a_clean_spec_has_rules_and_no_results() {
    let (status, text) = eosc(&["check", "--format", "sarif", "specs/minimal.eos"]);
    assert_eq!(status, Some(0));
    if let Some(result) = validate(&text) {
        result.unwrap_or_else(|errors| panic!("not valid SARIF 2.1.0:\n{errors}"));
    }
    let sarif: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(sarif["runs"][0]["results"], Value::Array(Vec::new()));
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        Code::ALL.len()
    );
}

/// The validator is not vacuous: a log that breaks the schema is refused.
#[test]
fn the_schema_check_refuses_invalid_sarif() {
    let (_, text) = eosc(&[
        "check",
        "--format",
        "sarif",
        "tests/ui/E0102_unknown_attribute.eos",
    ]);
    let mut log: Value = serde_json::from_str(&text).unwrap();
    log["runs"][0]["results"][0]["level"] = Value::from("fatal");
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    let Some(result) = validate(&log.to_string()) else {
        return;
    };
    let errors = result.expect_err("an invalid level and line 0 must be refused");
    assert!(errors.contains("level"), "{errors}");
    assert!(errors.contains("startLine"), "{errors}");
}

/// SARIF's `level` for a severity of the JSON report.
fn level(severity: &str) -> &'static str {
    match severity {
        "error" => "error",
        "warning" => "warning",
        _ => "note",
    }
}
