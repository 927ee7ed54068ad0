//! Hostile input: each is a clean diagnostic, never a crash, a stack overflow or
//! a hang. (Timings are measured by the benchmarks, not asserted here.)

mod common;

use std::path::Path;

use eosc::driver;

fn codes(checked: &driver::Checked) -> Vec<&'static str> {
    checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

#[test]
fn ten_thousand_deep_nesting_is_e0002() {
    for open in ["[", "{", "x {"] {
        let text = format!("stack \"s\" {{ domain = {} }}", open.repeat(10_000));
        let checked = common::check_text(&text);
        assert_eq!(codes(&checked), ["E0002"], "{open}");
    }
}

#[test]
fn nesting_at_the_limit_still_parses() {
    // 1 (stack block) + 63 lists = 64 levels.
    let text = format!(
        "stack \"s\" {{ domain = {}{} }}",
        "[".repeat(63),
        "]".repeat(63)
    );
    let (_, diags) = eosc::syntax::parse(&text);
    assert!(diags.is_empty(), "{:?}", diags.into_vec());
}

#[test]
fn a_file_over_the_size_limit_is_e0002_without_being_parsed() {
    let bytes = vec![b' '; eosc::syntax::MAX_FILE_SIZE + 1];
    let (source, diags) = driver::decode(Path::new("big.eos"), bytes);
    let checked = driver::check_source(source, diags);
    assert_eq!(codes(&checked), ["E0002"]);
}

#[test]
fn a_file_over_the_size_limit_is_refused_when_read_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.eos");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(eosc::syntax::MAX_FILE_SIZE as u64 + 4096)
        .unwrap();
    let checked = driver::check_file(&path).unwrap();
    assert_eq!(codes(&checked), ["E0002"]);
}

#[test]
fn invalid_utf8_is_e0001_at_the_bad_byte() {
    let mut bytes = b"stack \"s\" { domain = \"ex".to_vec();
    bytes.extend([0xff, 0xfe]);
    bytes.extend(b"ample.com\" }");
    let (source, diags) = driver::decode(Path::new("bad.eos"), bytes);
    let checked = driver::check_source(source, diags);
    assert_eq!(common::positions(&checked), ["E0001 at 1:25"]);
}

#[test]
fn nul_bytes_are_syntax_errors() {
    for text in [
        "stack \"s\" {\0 domain = \"example.com\" }",
        "stack \"s\" { domain = \"exa\0mple.com\" }",
        "\0",
    ] {
        let checked = common::check_text(text);
        assert!(
            codes(&checked).contains(&"E0001"),
            "{text:?}: {:?}",
            codes(&checked)
        );
        assert!(common::human(&checked).contains("E0001"));
    }
}

#[test]
fn a_hundred_thousand_element_list_is_checked() {
    let items = vec!["\"--flag\""; 100_000].join(", ");
    let text = format!(
        "stack \"s\" {{ domain = \"example.com\" }}\n\
         host \"hv1\" {{ address = \"10.0.0.1\" memory = 8GiB cpus = 4 }}\n\
         service \"nomad\" {{ runtime = baremetal provides = [nomad] on = [hv1] memory = 1GiB cpu = 1 }}\n\
         service \"a\" {{ runtime = nomad image = \"a:1\" args = [{items}] memory = 1GiB cpu = 1 }}\n"
    );
    let checked = common::check_text(&text);
    assert!(
        !checked.diagnostics.has_errors(),
        "{:?}",
        common::positions(&checked)
    );
}

#[test]
fn a_hundred_thousand_wrong_elements_report_each_once() {
    let items = vec!["1"; 100_000].join(", ");
    let text = format!(
        "stack \"s\" {{ domain = \"example.com\" }}\nservice \"a\" {{ runtime = nomad image = \"a:1\" memory = 1GiB cpu = 1 after = [{items}] }}\n"
    );
    let checked = common::check_text(&text);
    assert_eq!(checked.diagnostics.len(), 100_000);
}

#[test]
fn long_lines_and_wide_unicode_are_fine() {
    let long = "é😀".repeat(200_000);
    let text = format!("stack \"s\" {{ domain = \"example.com\" acme_email = \"{long}\" }}");
    let checked = common::check_text(&text);
    assert_eq!(codes(&checked), ["E0107"]);
}

#[test]
fn unterminated_constructs_at_end_of_file() {
    for text in [
        "stack \"s\" {",
        "stack \"s",
        "/* open",
        "stack \"s\" { domain = [",
        "stack \"s\" { domain = \"\\u{12",
    ] {
        let checked = common::check_text(text);
        assert!(
            codes(&checked).contains(&"E0001"),
            "{text:?}: {:?}",
            codes(&checked)
        );
        let _ = common::human(&checked);
    }
}

#[test]
fn twenty_thousand_blocks_are_checked() {
    let mut text = String::from("stack \"s\" { domain = \"example.com\" }\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "host \"h{i}\" {{ address = \"10.0.{}.{}\" memory = 8GiB cpus = 4 }}\n",
            i / 250,
            i % 250 + 1
        ));
    }
    let checked = common::check_text(&text);
    assert!(
        checked.diagnostics.is_empty(),
        "{:?}",
        common::positions(&checked)
    );
    assert_eq!(checked.stack.unwrap().hosts.len(), 20_000);
}

#[test]
fn many_syntax_errors_are_each_reported_once() {
    let text = "service \"a\" { memory = }\n".repeat(5_000);
    let checked = common::check_text(&text);
    let syntax = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "E0001")
        .count();
    assert_eq!(syntax, 5_000);
}
