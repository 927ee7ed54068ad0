//! The binary as a user runs it: exit codes, streams and output of each
//! subcommand (LANGUAGE.md section 7).

mod common;

use std::process::{Command, Output};

fn eosc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eosc"))
        .args(args)
        .current_dir(common::root())
        .env_remove("NO_COLOR")
        .env("COLUMNS", "100")
        .output()
        .expect("eosc runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn check_of_a_clean_spec_exits_0_and_prints_nothing() {
    let output = eosc(&["check", "specs/eos.eos"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output), "");
}

#[test]
fn check_of_every_example_spec_is_clean() {
    for path in common::eos_files("specs") {
        let output = eosc(&["check", "--deny-warnings", path.to_str().unwrap()]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            stderr(&output)
        );
    }
}

#[test]
fn check_with_errors_exits_1_and_renders_them_without_colour_off_a_terminal() {
    let output = eosc(&["check", "tests/ui/E0102_unknown_attribute.eos"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("E0102"), "{err}");
    assert!(err.contains("did you mean `memory`?"), "{err}");
    assert!(err.ends_with("1 error, 0 warnings\n"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "colour codes off a terminal: {err:?}"
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn json_output_is_one_object_on_stdout_with_the_documented_shape() {
    let output = eosc(&[
        "check",
        "--format",
        "json",
        "tests/ui/E0105_duplicate_name.eos",
        "specs/minimal.eos",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&output)).expect("one JSON object");
    assert_eq!(report["errors"], 2);
    assert_eq!(report["warnings"], 0);
    let first = &report["diagnostics"][0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = [
        "code",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "help",
        "labels",
        "environment",
    ];
    expected.sort_unstable();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort_unstable();
    assert_eq!(keys_sorted, expected);
    assert_eq!(first["code"], "E0105");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], "tests/ui/E0105_duplicate_name.eos");
    assert_eq!(first["labels"][0]["message"], "first defined here");
    assert_eq!(
        first["labels"][0]["file"],
        "tests/ui/E0105_duplicate_name.eos"
    );
    assert!(first["environment"].is_null());
    assert_eq!(stderr(&output), "");
}

#[test]
fn json_output_of_a_clean_spec() {
    let output = eosc(&["check", "--format", "json", "specs/eos.eos"]);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        report,
        serde_json::json!({"errors": 0, "warnings": 0, "diagnostics": []})
    );
}

#[test]
fn a_missing_file_is_exit_2() {
    let output = eosc(&["check", "no/such/file.eos"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read no/such/file.eos"));
}

#[test]
fn usage_errors_are_exit_2() {
    assert_eq!(eosc(&["check"]).status.code(), Some(2));
    assert_eq!(eosc(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        eosc(&["check", "--format", "yaml", "specs/eos.eos"])
            .status
            .code(),
        Some(2)
    );
    let help = eosc(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("check"));
}

#[test]
fn explain_prints_the_explanation_of_every_code() {
    for code in eosc::diag::Code::ALL {
        let output = eosc(&["explain", code.as_str()]);
        assert_eq!(output.status.code(), Some(0));
        let text = stdout(&output);
        assert!(text.starts_with(&format!("# {code}")), "{code}: {text}");
        for section in ["## Why it matters", "## Example", "## How to fix"] {
            assert!(text.contains(section), "{code} lacks {section}");
        }
    }
    let lower = eosc(&["explain", "e0204"]);
    assert_eq!(lower.status.code(), Some(0));
}

#[test]
fn explain_of_an_unknown_code_suggests_one() {
    let output = eosc(&["explain", "E0240"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("did you mean E0204?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn fmt_check_names_unformatted_files_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let messy = dir.path().join("messy.eos");
    std::fs::copy(common::root().join("tests/fmt/layout.eos"), &messy).unwrap();
    let clean = common::root().join("specs/minimal.eos");
    let output = eosc(&[
        "fmt",
        "--check",
        messy.to_str().unwrap(),
        clean.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        format!("{}: not formatted\n", messy.display())
    );
    let unchanged = std::fs::read_to_string(&messy).unwrap();
    assert_eq!(
        unchanged,
        std::fs::read_to_string(common::root().join("tests/fmt/layout.eos")).unwrap()
    );
}

#[test]
fn fmt_rewrites_in_place_and_then_check_passes() {
    let dir = tempfile::tempdir().unwrap();
    let messy = dir.path().join("messy.eos");
    std::fs::copy(common::root().join("tests/fmt/layout.eos"), &messy).unwrap();
    let path = messy.to_str().unwrap();
    let before = eosc(&["check", "--format", "json", path]);
    let output = eosc(&["fmt", path]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(eosc(&["fmt", "--check", path]).status.code(), Some(0));
    // Same findings before and after (positions move, codes do not).
    let after = eosc(&["check", "--format", "json", path]);
    let codes = |o: &Output| -> Vec<String> {
        let report: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap();
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].to_string())
            .collect()
    };
    assert_eq!(codes(&before), codes(&after));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left behind");
}

#[test]
fn fmt_of_a_file_with_syntax_errors_changes_nothing_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.eos");
    std::fs::write(&broken, "stack \"s\" { domain = }\n").unwrap();
    let output = eosc(&["fmt", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("E0001"));
    assert_eq!(
        std::fs::read_to_string(&broken).unwrap(),
        "stack \"s\" { domain = }\n"
    );
}

#[test]
fn fmt_reads_stdin_with_a_dash() {
    let output = common::run_with_stdin(
        Command::new(env!("CARGO_BIN_EXE_eosc")).args(["fmt", "-"]),
        b"stack \"s\" { domain = \"example.com\" }",
    );
    assert_eq!(
        stdout(&output),
        "stack \"s\" {\n  domain = \"example.com\"\n}\n"
    );
}

#[test]
fn secret_values_are_never_printed() {
    let output = eosc(&["check", "tests/ui/E0501_plaintext_secret_in_env.eos"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("E0501"));
    for secret in [
        "hunter2",
        "c2VjcmV0LWxmcy1qd3Q",
        "ghr_4f9a1c",
        "AKIA4EXAMPLE",
    ] {
        assert!(!err.contains(secret), "{secret} printed:\n{err}");
    }
    let json = eosc(&[
        "check",
        "--format",
        "json",
        "tests/ui/E0501_plaintext_secret_in_env.eos",
    ]);
    assert!(!stdout(&json).contains("hunter2"));
}

#[test]
fn an_error_past_column_65535_is_shown_in_part_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let head = "stack \"s\" {\n  domain = \"example.com\"\n}\nhost \"h\" {\n  address = \"10.0.0.1\"\n  memory = 8GiB\n  cpus = 4\n}\n";
    let wide = " ".repeat(70_000);
    let cases = [
        // one label far out on a long line
        (format!("{head}{wide}servce \"a\" {{}}\n"), "wide.eos:9:70001"),
        // two labels on one long line, too far apart to show together
        (
            format!("{head}service \"a\" {{ runtime = baremetal  on = [h]  memory = 1GiB  cpu = 1  port \"p\" {{ number = 80 }}{wide} port \"p\" {{ number = 81 }} }}\n"),
            "first defined here",
        ),
    ];
    for (text, expected) in cases {
        let path = dir.path().join("wide.eos");
        std::fs::write(&path, text).unwrap();
        for command in ["check", "plan", "graph"] {
            let output = eosc(&[command, path.to_str().unwrap()]);
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{command}: {err}");
            assert!(err.contains(expected), "{command}: {err}");
            assert!(
                err.lines().all(|l| l.chars().count() < 400),
                "{command}: a line too wide"
            );
        }
    }
}

#[test]
fn a_human_sees_the_first_hundred_of_a_code_and_a_count_json_sees_all() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("stack \"s\" {\n  domain = \"example.com\"\n}\n");
    for i in 0..150 {
        text.push_str(&format!("servce \"a{i}\" {{}}\n"));
    }
    let path = dir.path().join("many.eos");
    std::fs::write(&path, text).unwrap();
    let human = eosc(&["check", path.to_str().unwrap()]);
    let err = stderr(&human);
    assert_eq!(
        err.matches("unknown block kind `servce`").count(),
        100,
        "{err}"
    );
    assert!(err.contains("E0101: 50 more not shown"), "{err}");
    assert!(err.ends_with("150 errors, 0 warnings\n"), "{err}");
    let json = eosc(&["check", "--format", "json", path.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["diagnostics"].as_array().unwrap().len(), 150);
}

/// Only the language server keeps the allocator's default of giving freed
/// memory back (`src/main.rs`); every other command runs once and exits.
#[test]
fn only_the_language_server_keeps_running() {
    use clap::Parser;
    let cases: [(&[&str], bool); 5] = [
        (&["eosc", "lsp"], true),
        (&["eosc", "lsp", "--stdio"], true),
        (&["eosc", "check", "stack.eos"], false),
        (&["eosc", "build", "stack.eos"], false),
        (&["eosc", "fmt", "stack.eos"], false),
    ];
    for (args, keeps_running) in cases {
        let cli = eosc::cli::Cli::try_parse_from(args).expect("the command line parses");
        assert_eq!(cli.command.keeps_running(), keeps_running, "{args:?}");
    }
}

/// Huge pages per command, read from `/proc` (Linux, on the architectures
/// whose `read` system call number the test knows).
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod huge_pages {
    use std::process::Command;

    /// Whether transparent huge pages are allowed for the process of `status`
    /// (the `THP_enabled` line of `/proc/PID/status`).
    fn huge_pages_allowed(status: &str) -> bool {
        let line = status
            .lines()
            .find(|line| line.starts_with("THP_enabled:"))
            .expect("the kernel reports THP_enabled in /proc/PID/status (Linux 5.0 and later)");
        line.ends_with('1')
    }

    /// Starts eosc with `args` and `environment`, waits until one of its
    /// threads reads its standard input (the command line is read and the
    /// allocator set up by then), and tells whether huge pages are allowed for it.
    fn huge_pages_allowed_while_waiting(args: &[&str], environment: &[(&str, &str)]) -> bool {
        use std::process::Stdio;
        use std::time::{Duration, Instant};
        // The number of `read` in /proc/PID/task/TID/syscall, then its first
        // argument: file descriptor 0.
        const READ: &str = if cfg!(target_arch = "x86_64") {
            "0"
        } else {
            "63"
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_eosc"));
        command
            .args(args)
            .env_remove("MIMALLOC_ALLOW_THP")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in environment {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("eosc starts");
        let process = std::path::PathBuf::from(format!("/proc/{}", child.id()));
        let reading_standard_input = || {
            let Ok(tasks) = std::fs::read_dir(process.join("task")) else {
                return false;
            };
            tasks.flatten().any(|task| {
                std::fs::read_to_string(task.path().join("syscall")).is_ok_and(|call| {
                    let mut words = call.split_whitespace();
                    words.next() == Some(READ) && words.next() == Some("0x0")
                })
            })
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !reading_standard_input() {
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("eosc {args:?} never read its standard input (/proc/PID/task/*/syscall)");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let status = std::fs::read_to_string(process.join("status")).expect("/proc/PID/status");
        let _ = child.kill();
        let _ = child.wait();
        huge_pages_allowed(&status)
    }

    /// One-shot commands turn huge pages off (src/main.rs says why); the
    /// language server and an operator's `MIMALLOC_ALLOW_THP` keep what the
    /// process inherited.
    #[test]
    fn one_shot_commands_use_small_pages_unless_the_operator_says_otherwise() {
        let inherited = huge_pages_allowed(&std::fs::read_to_string("/proc/self/status").unwrap());
        assert!(!huge_pages_allowed_while_waiting(&["fmt", "-"], &[]));
        for name in ["MIMALLOC_ALLOW_THP", "mimalloc_allow_thp"] {
            assert_eq!(
                huge_pages_allowed_while_waiting(&["fmt", "-"], &[(name, "1")]),
                inherited,
                "{name}"
            );
        }
        assert_eq!(huge_pages_allowed_while_waiting(&["lsp"], &[]), inherited);
    }
}
