//! `eosc fmt`: canonical output (snapshots), idempotence, meaning preserved and
//! comments kept, over every spec, fixture and formatter input in the repository.

mod common;

use std::path::PathBuf;

use eosc::fmt::format_source;

/// Every parseable spec in the repository.
fn all_specs() -> Vec<PathBuf> {
    let mut files = common::eos_files("specs");
    files.extend(common::eos_files("tests/ui"));
    files.extend(common::eos_files("tests/fmt"));
    files
        .into_iter()
        .filter(|path| format_source(&std::fs::read_to_string(path).unwrap()).is_ok())
        .collect()
}

#[test]
fn formatter_inputs_match_their_snapshots() {
    insta::glob!("fmt/*.eos", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        insta::assert_snapshot!(format_source(&text).unwrap());
    });
}

#[test]
fn formatting_is_idempotent() {
    let files = all_specs();
    assert!(files.len() >= 10, "too few specs found: {files:?}");
    for path in files {
        let once = format_source(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let twice = format_source(&once).unwrap();
        assert_eq!(once, twice, "{} is not stable under fmt", path.display());
    }
}

#[test]
fn formatting_keeps_the_meaning() {
    for path in all_specs() {
        let text = std::fs::read_to_string(&path).unwrap();
        let formatted = format_source(&text).unwrap();
        let before = eosc::syntax::parse(&text).0;
        let after = eosc::syntax::parse(&formatted).0;
        assert_eq!(
            common::meaning(&before),
            common::meaning(&after),
            "{}",
            path.display()
        );
    }
}

#[test]
fn formatting_keeps_every_comment() {
    for path in all_specs() {
        let text = std::fs::read_to_string(&path).unwrap();
        let formatted = format_source(&text).unwrap();
        let comments = |t: &str| -> Vec<String> {
            let mut c: Vec<String> = eosc::syntax::parse(t)
                .0
                .comments
                .into_iter()
                .map(|c| c.text)
                .collect();
            c.sort();
            c
        };
        assert_eq!(comments(&text), comments(&formatted), "{}", path.display());
    }
}

#[test]
fn example_specs_are_already_formatted() {
    for path in common::eos_files("specs") {
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            format_source(&text).unwrap(),
            text,
            "run `eosc fmt {}`",
            path.display()
        );
    }
}

#[test]
fn files_that_do_not_parse_are_not_formatted() {
    let errors = format_source("stack \"s\" { domain = }").unwrap_err();
    assert_eq!(errors.iter().next().unwrap().code.as_str(), "E0001");
}

#[test]
fn a_comment_inside_an_attribute_adds_no_blank_line() {
    // Found by the fmt fuzz target: the comment was counted as where the
    // attribute ended, so the next attribute seemed to follow a blank line.
    let text = "host \"hv1\" {\n  address = \"10.0.0.11\"\n  memory\n// note\n = 96GiB\n  cpus    = 32\n}\n";
    let once = format_source(text).unwrap();
    assert_eq!(format_source(&once).unwrap(), once);
    assert!(!once.contains("\n\n  cpus"), "{once}");
}
