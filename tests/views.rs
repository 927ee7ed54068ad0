//! `eosc plan` and `eosc graph`: the plan of the example stack (snapshot), and
//! graph output accepted by Graphviz itself.

mod common;

use std::process::Command;

use eosc::views::graph::GraphView;
use eosc::views::plan::Plan;

fn eos_spec() -> eosc::driver::Checked {
    let checked = eosc::driver::check_file(&common::root().join("specs/eos.eos")).unwrap();
    assert!(
        checked.diagnostics.is_empty(),
        "{}",
        common::human(&checked)
    );
    checked
}

#[test]
fn the_plan_of_the_example_stack() {
    let checked = eos_spec();
    let plan = Plan::build(
        checked.stack.as_ref().unwrap(),
        checked.analysis.as_ref().unwrap(),
    );
    insta::assert_snapshot!("eos_plan", plan.render());
    insta::assert_json_snapshot!("eos_plan_json", plan);
}

#[test]
fn plan_json_carries_the_plan_and_the_diagnostics() {
    let output = Command::new(env!("CARGO_BIN_EXE_eosc"))
        .args(["plan", "--format", "json", "specs/eos.eos"])
        .current_dir(common::root())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["errors"], 0);
    assert!(value["plan"]["stages"].as_array().unwrap().len() >= 3);
    assert!(value["plan"]["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["memory"]["used"].as_u64() <= h["memory"]["budget"].as_u64()));
}

#[test]
fn plan_of_a_spec_with_errors_exits_1_without_a_plan() {
    let output = Command::new(env!("CARGO_BIN_EXE_eosc"))
        .args(["plan", "tests/ui/E0102_unknown_attribute.eos"])
        .current_dir(common::root())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
}

#[test]
fn graphviz_accepts_the_dot_output_of_every_example() {
    let Some(dot) = common::validator("dot", "graphviz") else {
        return;
    };
    for path in common::eos_files("specs") {
        let checked = eosc::driver::check_file(&path).unwrap();
        let view = GraphView::build(
            checked.stack.as_ref().unwrap(),
            checked.analysis.as_ref().unwrap(),
        );
        let output =
            common::run_with_stdin(Command::new(&dot).arg("-Tsvg"), view.to_dot().as_bytes());
        assert!(
            output.status.success(),
            "{}: dot rejected the graph: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("<svg"));
        assert!(
            output.stderr.is_empty(),
            "dot warned: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn graph_json_and_mermaid_describe_the_same_graph() {
    let checked = eos_spec();
    let view = GraphView::build(
        checked.stack.as_ref().unwrap(),
        checked.analysis.as_ref().unwrap(),
    );
    let json: serde_json::Value = serde_json::from_str(&view.to_json()).unwrap();
    let nodes = json["nodes"].as_array().unwrap();
    let stage_of = |name: &str| {
        nodes.iter().find(|n| n["name"] == name).unwrap()["stage"]
            .as_u64()
            .unwrap()
    };
    for edge in json["edges"].as_array().unwrap() {
        assert!(stage_of(edge["from"].as_str().unwrap()) > stage_of(edge["to"].as_str().unwrap()));
    }
    let mermaid = view.to_mermaid();
    assert!(mermaid.starts_with("flowchart BT\n"));
    assert_eq!(
        mermaid.matches(" -->|").count() + mermaid.matches(" -.->|").count(),
        json["edges"].as_array().unwrap().len()
    );
    insta::assert_snapshot!("eos_graph_dot", view.to_dot());
}

#[test]
fn graph_of_a_cyclic_spec_still_prints_without_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("cycle.eos");
    std::fs::write(
        &spec,
        "stack \"s\" { domain = \"example.com\" }\n\
         host \"h\" { address = \"10.0.0.1\" memory = 8GiB cpus = 4 }\n\
         service \"a\" { runtime = baremetal on = [h] memory = 1GiB cpu = 1 after = [b] health { command = \"true\" } }\n\
         service \"b\" { runtime = baremetal on = [h] memory = 1GiB cpu = 1 after = [a] health { command = \"true\" } }\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_eosc"))
        .args(["graph", spec.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("E0202"));
    let dot = String::from_utf8(output.stdout).unwrap();
    assert!(dot.starts_with("digraph"));
    assert!(dot.contains("\"a\" -> \"b\""));
    assert!(!dot.contains("rank=same"));
}
