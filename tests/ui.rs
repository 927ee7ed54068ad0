//! Failing specs: every fixture in `tests/ui/` states the diagnostics it must
//! produce (`// expect: CODE at LINE:COLUMN`, in order), and its human and JSON
//! renderings are snapshots.

mod common;

use eosc::diag::Code;

#[test]
fn fixtures_produce_exactly_their_expected_diagnostics() {
    insta::glob!("ui/*.eos", |path| {
        let checked = common::check_fixture(path);
        let expected = common::expectations(checked.root_text());
        assert!(
            !expected.is_empty(),
            "{} states no expectation",
            path.display()
        );
        assert_eq!(common::positions(&checked), expected, "{}", path.display());
        insta::assert_snapshot!("human", common::human(&checked));
        insta::assert_snapshot!("json", common::json(&checked));
    });
}

#[test]
fn every_front_end_code_has_a_fixture() {
    let fixtures: Vec<String> = common::eos_files("tests/ui")
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let front_end = Code::ALL
        .iter()
        .filter(|c| c.as_str() < "E0200" || *c == &Code::E0201);
    for code in front_end {
        let needle = format!("// expect: {code} at");
        assert!(
            fixtures.iter().any(|f| f.contains(&needle)),
            "no fixture in tests/ui expects {code}"
        );
    }
}

#[test]
fn every_error_carries_a_code_span_and_message() {
    for path in common::eos_files("tests/ui") {
        let checked = common::check_fixture(&path);
        for d in checked.diagnostics.iter() {
            assert!(!d.message.is_empty());
            assert!(
                d.primary.span.end() <= checked.root_text().len(),
                "{}: span past the end",
                path.display()
            );
        }
    }
}
