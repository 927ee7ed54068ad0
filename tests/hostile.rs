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
fn misspelt_names_among_thousands_of_services_each_get_their_suggestion() {
    // Enough services that resolution runs in two halves on two threads:
    // a misspelling in either half is reported once, with its suggestion.
    let mut text = String::from("stack \"s\" { domain = \"example.com\" }\n");
    let mut expected = Vec::new();
    for i in 0..4_000 {
        let after = if i % 100 == 99 {
            expected.push(format!("did you mean `app-{:05}`?", i - 1));
            format!("after = [app-{:05}q]", i - 1)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "service \"app-{i:05}\" {{ runtime = nomad image = \"x\" memory = 64MiB cpu = 0.1 {after} }}\n"
        ));
    }
    let checked = common::check_text(&text);
    let helps: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "E0201")
        .map(|d| d.help.as_ref().map(ToString::to_string).unwrap_or_default())
        .collect();
    assert_eq!(helps, expected);
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

/// A stack of one 64 GiB host with a 1 TB disk and `services`.
fn on_one_host(services: &str) -> String {
    format!(
        "stack \"s\" {{\n  domain = \"example.com\"\n}}\nhost \"h\" {{\n  address = \"10.0.0.1\"\n  memory = 64GiB\n  cpus = 16\n  disk \"d\" {{\n    kind = ssd\n    size = 1TB\n  }}\n}}\n{services}"
    )
}

fn baremetal(name: &str, memory: &str, cpu: &str, volume: &str) -> String {
    format!("service \"{name}\" {{\n  runtime = baremetal\n  on = [h]\n  memory = {memory}\n  cpu = {cpu}\n{volume}}}\n")
}

fn volume(size: &str) -> String {
    format!("  volume \"v\" {{\n    disk = h.d\n    size = {size}\n    path = \"/srv/v\"\n  }}\n")
}

#[test]
fn budget_sums_that_overflow_are_over_budget_not_wrapped() {
    let cases = [
        // two services of 8 EiB: the sum wraps to 0 in 64 bits
        (
            baremetal("a", "8192PiB", "1", "") + &baremetal("b", "8192PiB", "1", ""),
            "E0301",
        ),
        (baremetal("a", "18446744073709551615B", "1", ""), "E0301"),
        (
            baremetal("a", "1GiB", "18446744073709551.615", "") + &baremetal("b", "1GiB", "1", ""),
            "E0302",
        ),
        (
            baremetal("a", "1GiB", "1", &volume("8192PiB"))
                + &baremetal("b", "1GiB", "1", &volume("8192PiB")),
            "E0305",
        ),
    ];
    for (services, code) in cases {
        let checked = common::check_text(&on_one_host(&services));
        assert!(
            codes(&checked).contains(&code),
            "{code}: {}",
            common::human(&checked)
        );
    }
}

/// Bytes of memory: some that fit a 64 GiB host, some near the 64-bit limit.
fn amount() -> impl proptest::strategy::Strategy<Value = u64> {
    use proptest::prelude::*;
    prop_oneof![
        1u64..(40u64 << 30),
        (u64::MAX - (40u64 << 30))..=u64::MAX,
        Just(1u64 << 63)
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Near the 64-bit limit a host is over its memory budget exactly when
    /// the true (unbounded) sum is.
    #[test]
    fn memory_near_the_limit_is_summed_exactly(a in amount(), b in amount()) {
        let services = baremetal("a", &format!("{a}B"), "1", "") + &baremetal("b", &format!("{b}B"), "1", "");
        let checked = common::check_text(&on_one_host(&services));
        // 64 GiB at the default 80% budget, less the default 2 GiB reserve
        let budget: u128 = (64u128 << 30) * 80 / 100;
        let over = u128::from(a) + u128::from(b) + (2u128 << 30) > budget;
        proptest::prop_assert_eq!(codes(&checked).contains(&"E0301"), over);
    }
}

#[test]
fn a_fifo_given_as_the_spec_is_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("stack.eos");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_eosc"))
        .args(["check", fifo.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("eosc check blocked on a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn control_and_direction_characters_in_a_message_are_escaped() {
    // A file source whose name turns the rest of the line around (U+202E).
    let text = "stack \"s\" {\n  domain = \"example.com\"\n}\nhost \"h\" {\n  address = \"10.0.0.1\"\n  memory = 8GiB\n  cpus = 4\n}\nservice \"a\" {\n  runtime = baremetal\n  on = [h]\n  memory = 1GiB\n  cpu = 1\n  file \"/etc/a\" {\n    source = \"x\\u{202E}fdp.exe\"\n  }\n}\n";
    let checked = common::check_text(text);
    assert!(
        codes(&checked).contains(&"E0503"),
        "{}",
        common::human(&checked)
    );
    let shown = common::human(&checked);
    let messages: String = shown
        .lines()
        .filter(|l| l.contains('×') || l.contains("help"))
        .collect();
    assert!(
        !messages.contains('\u{202E}') && !messages.contains('\u{1b}'),
        "{shown}"
    );
    assert!(messages.contains("\\u{202E}"), "{shown}");
}

#[test]
fn a_long_cycle_is_shown_by_its_ends() {
    let mut text = on_one_host("");
    for i in 0..1000 {
        text.push_str(&format!(
            "service \"s{i}\" {{\n  runtime = baremetal\n  on = [h]\n  memory = 1MiB\n  cpu = 0.001\n  after = [s{}]\n}}\n",
            (i + 1) % 1000
        ));
    }
    let checked = common::check_text(&text);
    let cycle = checked
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "E0202")
        .expect("a cycle");
    assert!(
        cycle
            .message
            .starts_with("dependency cycle: s0 → s1 → s2 → s3 → s4 → s5 → … 989 more … → s995"),
        "{}",
        cycle.message
    );
    assert!(cycle.message.ends_with("s999 → s0"), "{}", cycle.message);
    assert_eq!(cycle.secondary.len(), 11);
    assert!(
        cycle.help.as_deref().unwrap().contains("… 988 more …"),
        "{:?}",
        cycle.help
    );
}

#[test]
fn a_knot_of_thirty_thousand_services_is_one_diagnostic_not_a_stack_overflow() {
    // Runs on a test thread (2 MiB of stack): a search that recurses once per
    // service on the cycle cannot finish.
    let n = 30_000;
    let mut text = on_one_host("");
    for i in 0..n {
        text.push_str(&format!(
            "service \"s{i}\" {{\n  runtime = baremetal\n  on = [h]\n  memory = 1MiB\n  cpu = 0.001\n  after = [s{}]\n}}\n",
            (i + 1) % n
        ));
    }
    let checked = common::check_text(&text);
    let cycles = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "E0202")
        .count();
    assert_eq!(cycles, 1);
}

#[test]
fn one_large_file_named_many_ways_is_read_once_and_bounded_in_all() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("files")).unwrap();
    std::fs::write(dir.path().join("files/big.conf"), vec![b'x'; 16 << 20]).unwrap();
    let mut text = on_one_host("");
    text.push_str(
        "service \"a\" {\n  runtime = baremetal\n  on = [h]\n  memory = 1GiB\n  cpu = 1\n",
    );
    for i in 0..20 {
        // `files/big.conf`, `./files/big.conf`, `files/./big.conf`, `files/../files/big.conf`, …
        let spelling = match i % 4 {
            0 => "files/big.conf".to_string(),
            1 => format!("./{}files/big.conf", "./".repeat(i)),
            2 => format!("files/{}big.conf", "./".repeat(i)),
            _ => format!("files/{}big.conf", "../files/".repeat(i % 5 + 1)),
        };
        text.push_str(&format!(
            "  file \"/etc/a/{i}.conf\" {{\n    source = \"{spelling}\"\n  }}\n"
        ));
    }
    text.push_str("}\n");
    let path = dir.path().join("stack.eos");
    std::fs::write(&path, &text).unwrap();
    let checked = driver::check_file(&path).unwrap();
    // 20 copies of 16 MiB is 320 MiB: over the 256 MiB a build may write.
    let over: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "E0002")
        .collect();
    assert_eq!(over.len(), 1, "{}", common::human(&checked));
    // Every spelling shares one read.
    let shared: Vec<*const u8> = checked
        .files
        .files
        .values()
        .filter_map(|status| match status {
            eosc::model::files::FileStatus::Found(bytes) => Some(bytes.as_ptr()),
            _ => None,
        })
        .collect();
    assert!(
        shared.len() > 1 && shared.iter().all(|p| *p == shared[0]),
        "{}",
        shared.len()
    );
}

#[test]
fn a_byte_order_mark_at_the_start_is_not_an_error() {
    let text = on_one_host("");
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(text.as_bytes());
    let (source, diags) = driver::decode(Path::new("bom.eos"), bytes);
    let checked = driver::check_source(source, diags);
    assert!(
        checked.diagnostics.is_empty(),
        "{}",
        common::human(&checked)
    );
}

#[test]
fn a_binary_file_source_is_a_diagnostic_of_check_not_a_build_failure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blob.bin"), [0u8, 0xFF, 0xFE, 0x80]).unwrap();
    let text = on_one_host("service \"a\" {\n  runtime = baremetal\n  on = [h]\n  memory = 1GiB\n  cpu = 1\n  file \"/etc/a.bin\" {\n    source = \"blob.bin\"\n  }\n}\n");
    let path = dir.path().join("stack.eos");
    std::fs::write(&path, text).unwrap();
    let checked = driver::check_file(&path).unwrap();
    let found: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(found, ["file source `blob.bin` is not UTF-8 text"]);
}
