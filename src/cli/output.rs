//! Writing results: diagnostics to stderr (human) or stdout (JSON), never
//! panicking on a closed pipe.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use super::{DiagnosticFormat, Status};
use crate::diag::render::{self, HumanStyle, JsonReport};
use crate::diag::sarif::SarifLog;
use crate::diag::{Code, Severity};
use crate::driver::{CheckError, Checked};

/// Prints to stdout; a closed pipe is not an error worth a panic.
pub(super) fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Writes a document to stdout as it is made, then a newline; a closed pipe
/// is not an error worth a panic.
pub(super) fn write_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if write(&mut out).is_ok() {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}

pub(super) fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Colour only on a terminal and when `NO_COLOR` is unset (<https://no-color.org>).
/// Width: `COLUMNS` if set, else the terminal's width, else 100.
pub(super) fn human_style() -> HumanStyle {
    let terminal = std::io::stderr().is_terminal();
    let color = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok());
    let from_terminal = || {
        terminal_size::terminal_size_of(std::io::stderr())
            .map(|(terminal_size::Width(w), _)| usize::from(w))
    };
    let width = from_env
        .or_else(from_terminal)
        .filter(|&w| w >= 40)
        .unwrap_or(100);
    HumanStyle { color, width }
}

/// Diagnostics of one code a human sees, as a terminal holds them: past
/// these, a count (rustc stops at a limit too). JSON and SARIF have them all.
pub(super) const SHOWN_PER_CODE: usize = 100;

/// Prints the diagnostics of checked files and read errors; returns the status.
pub(super) fn report(
    checked: &[Checked],
    read_errors: &[CheckError],
    format: DiagnosticFormat,
    deny_warnings: bool,
) -> Status {
    let errors: usize = checked
        .iter()
        .map(|c| c.diagnostics.count(Severity::Error))
        .sum();
    let warnings: usize = checked
        .iter()
        .map(|c| c.diagnostics.count(Severity::Warning))
        .sum();
    match format {
        DiagnosticFormat::Human => {
            let style = human_style();
            let mut shown_of_code: BTreeMap<Code, usize> = BTreeMap::new();
            for file in checked.iter().filter(|file| !file.diagnostics.is_empty()) {
                let shown = file.shown_sources();
                for diagnostic in file.diagnostics.iter() {
                    let count = shown_of_code.entry(diagnostic.code).or_default();
                    *count += 1;
                    if *count <= SHOWN_PER_CODE {
                        stderr(&render::human(diagnostic, &shown, style));
                    }
                }
            }
            for (code, count) in shown_of_code.iter().filter(|(_, &n)| n > SHOWN_PER_CODE) {
                stderr(&format!(
                    "{code}: {} more not shown (the first {SHOWN_PER_CODE} are; `--format json` lists every diagnostic)\n",
                    count - SHOWN_PER_CODE
                ));
            }
            for error in read_errors {
                stderr(&format!("error: {error}\n"));
            }
            if errors + warnings > 0 {
                stderr(&format!("{}\n", render::summary(errors, warnings)));
            }
        }
        DiagnosticFormat::Sarif => {
            let mut log = SarifLog::new();
            for file in checked {
                log.add(&file.sources, file.diagnostics.iter());
            }
            write_stdout(|out| log.write_to(out));
            for error in read_errors {
                stderr(&format!("error: {error}\n"));
            }
        }
        DiagnosticFormat::Json => {
            let mut report = JsonReport::new();
            for file in checked {
                report.add(&file.sources, file.diagnostics.iter());
            }
            write_stdout(|out| report.write_to(out));
            for error in read_errors {
                stderr(&format!("error: {error}\n"));
            }
        }
    }
    status(errors, warnings, !read_errors.is_empty(), deny_warnings)
}

/// Lets go of a large result without freeing it. The process exits right after
/// the command, and freeing the syntax tree and model of a large stack piece by
/// piece took a tenth of `eosc check`'s time; the operating system takes the
/// memory back at once.
pub(super) fn release<T>(value: T) {
    std::mem::forget(value);
}

pub(super) fn status(
    errors: usize,
    warnings: usize,
    io_failed: bool,
    deny_warnings: bool,
) -> Status {
    if io_failed {
        Status::UsageOrIo
    } else if errors > 0 || (deny_warnings && warnings > 0) {
        Status::SpecErrors
    } else {
        Status::Success
    }
}
