//! `eosc lsp` driven by a real LSP client (issue 16): the pytest-lsp suite
//! of `tests/lsp/` — a client speaking LSP 3.17 over the server's
//! stdin/stdout, declaring Neovim's capabilities — run against the eosc this
//! test suite built. It exercises every feature on the fixture stacks of
//! `tests/lsp/fixtures/` and on `specs/`: diagnostics as the user types,
//! hover, definition, references, rename, completion, formatting, code
//! actions, the outline, and garbage mid-typing.
//!
//! The client lives in the validators' venv (`scripts/setup-validators.sh`
//! installs pytest-lsp there). A missing venv or pytest-lsp fails this test
//! with the command that installs it, unless `EOSC_SKIP_VALIDATORS=1` asks
//! to skip it explicitly.
//!
//! To run the suite alone, with pytest's own output:
//! `cargo build && ~/.cache/eosc/venv/bin/python -m pytest tests/lsp -q`.

mod common;

use std::path::PathBuf;
use std::process::Command;

/// The venv's python, when pytest-lsp can be imported from it; `None` (with
/// a notice) when it cannot and `EOSC_SKIP_VALIDATORS=1` is set; else a
/// failure that says how to install it.
fn pytest_lsp_python() -> Option<PathBuf> {
    let python = common::validator("python", "pytest-lsp")?;
    let import = Command::new(&python)
        .args(["-c", "import pytest, pytest_lsp, pygls, lsprotocol"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    if import.status.success() {
        return Some(python);
    }
    if std::env::var("EOSC_SKIP_VALIDATORS").as_deref() == Ok("1") {
        eprintln!(
            "SKIPPED: pytest-lsp is not installed in {} and EOSC_SKIP_VALIDATORS=1",
            python.display()
        );
        return None;
    }
    panic!(
        "pytest-lsp is not importable from {}: run scripts/setup-validators.sh (it installs \
         pytest, pytest-lsp and their dependencies into the venv), or set \
         EOSC_SKIP_VALIDATORS=1 to skip this check explicitly\n{}",
        python.display(),
        String::from_utf8_lossy(&import.stderr)
    );
}

#[test]
fn language_server_passes_the_pytest_lsp_suite() {
    let Some(python) = pytest_lsp_python() else {
        return;
    };
    let output = Command::new(&python)
        .args(["-m", "pytest", "tests/lsp", "-q", "-p", "no:cacheprovider"])
        .current_dir(common::root())
        .env("EOSC_BIN", env!("CARGO_BIN_EXE_eosc"))
        // Nothing written into the source tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = stdout
        .lines()
        .rev()
        .find(|line| {
            line.contains(" passed") || line.contains(" failed") || line.contains(" error")
        })
        .unwrap_or("(no summary)");
    eprintln!("pytest tests/lsp: {summary}");
    assert!(
        output.status.success(),
        "the LSP client tests failed (exit {:?}): {summary}\n\n{stdout}\n{stderr}",
        output.status.code()
    );
    assert!(
        summary.contains(" passed"),
        "pytest ran no LSP test: {summary}\n\n{stdout}\n{stderr}"
    );
}
