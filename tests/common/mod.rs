//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod agents;
pub mod lsp_stack;

use std::path::{Path, PathBuf};

use eosc::diag::render::{self, HumanStyle, JsonReport};
use eosc::driver::{self, Checked, SourceFile};
use eosc::syntax::Document;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Checks a file as `eosc check` does, naming it by its file name only so that
/// snapshots do not depend on where the repository is.
pub fn check_fixture(path: &Path) -> Checked {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let bytes = std::fs::read(path).unwrap();
    let (source, diags) = driver::decode(Path::new(&name), bytes);
    // `file` sources, included and module files are found next to the
    // fixture, not in the working directory.
    let folder = path.parent().unwrap().to_path_buf();
    let files = driver::DiskFiles::new(folder);
    driver::check_stack(source, diags, &files, driver::Environments::All, |stack| {
        driver::probe_files(path, stack)
    })
    .unwrap()
}

pub fn check_text(text: &str) -> Checked {
    driver::check_source(
        SourceFile::new("test.eos", text),
        eosc::diag::Diagnostics::new(),
    )
}

/// Every diagnostic rendered as miette renders it, without colour, 100 wide.
pub fn human(checked: &Checked) -> String {
    let style = HumanStyle {
        color: false,
        width: 100,
    };
    let mut out = String::new();
    let shown = checked.shown_sources();
    for d in checked.diagnostics.iter() {
        out.push_str(&render::human(d, &shown, style));
    }
    out
}

pub fn json(checked: &Checked) -> String {
    let mut report = JsonReport::new();
    report.add(&checked.sources, checked.diagnostics.iter());
    report.to_json()
}

/// `CODE at LINE:COLUMN` for each diagnostic, in order.
pub fn positions(checked: &Checked) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(&json(checked)).unwrap();
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} at {}:{}",
                d["code"].as_str().unwrap(),
                d["line"],
                d["column"]
            )
        })
        .collect()
}

/// The `// expect: CODE at LINE:COLUMN` lines of a fixture.
pub fn expectations(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("// expect: "))
        .map(|rest| rest.trim().to_string())
        .collect()
}

/// The document without spans or comments: what it means.
pub fn meaning(document: &Document) -> String {
    document.structure()
}

/// All `.eos` files below a folder of the repository, sorted.
pub fn eos_files(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eos"))
        .collect();
    files.sort();
    files
}

/// The `.eos` files below `dir`, at any depth, added to `out`.
pub fn eos_files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    files_below(dir, "eos", out);
}

/// The files named `*.EXTENSION` below `dir`, at any depth, added to `out`.
pub fn files_below(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_below(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}

/// Every `.eos` file under `specs`, `tests` and `docs`, at any depth, with its
/// text (files that are not UTF-8 are left out), sorted by path.
pub fn repository_eos_files() -> Vec<(PathBuf, String)> {
    let mut paths = Vec::new();
    for dir in ["specs", "tests", "docs"] {
        eos_files_below(&root().join(dir), &mut paths);
    }
    paths.sort();
    assert!(paths.len() > 60, "found only {} .eos files", paths.len());
    paths
        .into_iter()
        .filter_map(|path| {
            let text = String::from_utf8(std::fs::read(&path).unwrap()).ok()?;
            Some((path, text))
        })
        .collect()
}

/// The path of an external validator, or a test failure that says how to get
/// it. Only with `EOSC_SKIP_VALIDATORS=1` set explicitly does a missing
/// validator give `None` (and a printed notice), so nothing passes by skipping.
pub fn validator(name: &str, package: &str) -> Option<PathBuf> {
    find_tool(
        name,
        &cache_dir("EOSC_VENV", "venv").join("bin"),
        &format!("run scripts/setup-validators.sh (it provides {package})"),
    )
}

/// `$VAR`, else `~/.cache/eosc/NAME`: where the setup scripts install.
pub fn cache_dir(var: &str, name: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
                .join(".cache/eosc")
                .join(name)
        },
        PathBuf::from,
    )
}

/// `name` in `installed` (the folder a setup script fills) or on PATH; else
/// a panic saying `how` to install it, or `None` with a notice when
/// `EOSC_SKIP_VALIDATORS=1` asks to skip.
pub fn find_tool(name: &str, installed: &Path, how: &str) -> Option<PathBuf> {
    let found = std::iter::once(installed.to_path_buf())
        .chain(
            std::env::var_os("PATH")
                .iter()
                .flat_map(std::env::split_paths),
        )
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    if found.is_some() {
        return found;
    }
    if std::env::var("EOSC_SKIP_VALIDATORS").as_deref() == Ok("1") {
        eprintln!("SKIPPED: `{name}` is not installed and EOSC_SKIP_VALIDATORS=1");
        return None;
    }
    panic!(
        "`{name}` is not installed: {how}, or set EOSC_SKIP_VALIDATORS=1 to skip this check explicitly"
    );
}

/// Checks and builds a spec in memory; panics on diagnostics errors.
pub fn build(path: &Path) -> eosc::emit::Artifacts<'static> {
    let checked = driver::check_file(path).unwrap();
    assert!(!checked.diagnostics.has_errors(), "{}", human(&checked));
    driver::emit_artifacts(&checked, &eosc::emit::Templates::builtin())
        .expect("no errors")
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `command` with `input` on its standard input; stdout and stderr are
/// captured.
pub fn run_with_stdin(command: &mut std::process::Command, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// A spec string literal for `value` (the language's own escaping).
pub fn eos_string(value: &str) -> String {
    format!("\"{}\"", eosc::syntax::escape(value))
}

/// A private CA and a server certificate it signed for `127.0.0.1`,
/// `127.0.0.11`–`15` and `localhost`, made with openssl in `dir`: (ca.pem, cert.pem, key.pem). The
/// tests put it where the artifacts name the stack's internal CA
/// (`/etc/eos/ca.pem`): a test-only change of certificates.
#[allow(dead_code)]
pub fn test_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let openssl = validator("openssl", "Debian openssl").expect("openssl");
    let (ca_key, ca) = (dir.join("ca-key.pem"), dir.join("ca.pem"));
    let (key, csr, cert) = (
        dir.join("key.pem"),
        dir.join("req.csr"),
        dir.join("cert.pem"),
    );
    let ext = dir.join("san.ext");
    // The loopback addresses the real-systems tests give the example hosts.
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1,IP:127.0.0.11,IP:127.0.0.12,IP:127.0.0.13,IP:127.0.0.14,IP:127.0.0.15,DNS:localhost\n",
    )
    .unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        let output = std::process::Command::new(&openssl)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let os = |s: &str| std::ffi::OsString::from(s);
    run(&[
        &os("req"),
        &os("-x509"),
        &os("-newkey"),
        &os("ec"),
        &os("-pkeyopt"),
        &os("ec_paramgen_curve:P-256"),
        &os("-nodes"),
        &os("-days"),
        &os("2"),
        &os("-subj"),
        &os("/CN=eos test CA"),
        &os("-keyout"),
        ca_key.as_os_str(),
        &os("-out"),
        ca.as_os_str(),
    ]);
    run(&[
        &os("req"),
        &os("-newkey"),
        &os("ec"),
        &os("-pkeyopt"),
        &os("ec_paramgen_curve:P-256"),
        &os("-nodes"),
        &os("-subj"),
        &os("/CN=localhost"),
        &os("-keyout"),
        key.as_os_str(),
        &os("-out"),
        csr.as_os_str(),
    ]);
    run(&[
        &os("x509"),
        &os("-req"),
        &os("-in"),
        csr.as_os_str(),
        &os("-CA"),
        ca.as_os_str(),
        &os("-CAkey"),
        ca_key.as_os_str(),
        &os("-CAcreateserial"),
        &os("-days"),
        &os("2"),
        &os("-extfile"),
        ext.as_os_str(),
        &os("-out"),
        cert.as_os_str(),
    ]);
    (ca, cert, key)
}
