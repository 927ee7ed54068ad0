//! `eosc fmt [--check] FILE…`: rewrite files in the canonical layout.

use std::io::Read;
use std::path::Path;

use super::output;
use super::{FmtArgs, Status};
use crate::driver::{self, Checked, SourceFile};

pub(super) fn run(args: &FmtArgs) -> Status {
    let mut status = Status::Success;
    let mut unparsable = Vec::new();
    let mut read_errors = Vec::new();
    for path in &args.files {
        let loaded = if path.as_os_str() == "-" {
            read_stdin().map(|text| {
                (
                    SourceFile::new("<stdin>", text),
                    crate::diag::Diagnostics::new(),
                )
            })
        } else {
            driver::read_source(path)
        };
        let (source, diags) = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                read_errors.push(driver::CheckError::Read(error));
                continue;
            }
        };
        if diags.has_errors() {
            unparsable.push(failed(source, diags));
            continue;
        }
        let formatted = match crate::fmt::format_source(&source.text) {
            Ok(formatted) => formatted,
            Err(diags) => {
                unparsable.push(failed(source, diags));
                continue;
            }
        };
        status = status.max(apply(path, &source.text, &formatted, args.check));
    }
    if !unparsable.is_empty() || !read_errors.is_empty() {
        let reported = output::report(&unparsable, &read_errors, args.format, false);
        status = status.max(reported);
    }
    status
}

fn failed(source: SourceFile, diagnostics: crate::diag::Diagnostics) -> Checked {
    Checked::failed(source, diagnostics)
}

fn read_stdin() -> Result<String, driver::ReadError> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map(|_| text)
        .map_err(|error| driver::ReadError {
            path: "<stdin>".into(),
            error,
        })
}

/// Writes (or, with `--check`, reports) one file's formatted text.
fn apply(path: &Path, original: &str, formatted: &str, check_only: bool) -> Status {
    if path.as_os_str() == "-" {
        if check_only {
            return if original == formatted {
                Status::Success
            } else {
                Status::SpecErrors
            };
        }
        output::stdout(formatted);
        return Status::Success;
    }
    if original == formatted {
        return Status::Success;
    }
    if check_only {
        output::stdout(&format!("{}: not formatted\n", path.display()));
        return Status::SpecErrors;
    }
    match write_atomically(path, formatted) {
        Ok(()) => {
            output::stderr(&format!("formatted {}\n", path.display()));
            Status::Success
        }
        Err(error) => {
            output::stderr(&format!(
                "error: cannot write {}: {error}\n",
                path.display()
            ));
            Status::UsageOrIo
        }
    }
}

/// Writes next to the file and renames over it, so a crash never leaves half a spec.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "spec".into(), |n| n.to_string_lossy().into_owned());
    let temporary = dir.join(format!(".{name}.eosc-fmt.tmp"));
    std::fs::write(&temporary, text)?;
    if let Ok(metadata) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&temporary, metadata.permissions());
    }
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}
