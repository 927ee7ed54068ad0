//! `include` (LANGUAGE.md section 10): the root's list of paths and patterns,
//! made into the stack's other files, in a fixed order.

use compact_str::CompactString;
use std::collections::HashSet;

use super::files::{normalize, FileError, FileSet, MAX_FILES};
use super::glob::{is_pattern, Pattern};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::span::Spanned;

/// The root-relative paths of the included files, in `include` order (a
/// pattern's files in path order), each once, the root itself left out.
pub(super) fn included_files(
    include: &[Spanned<CompactString>],
    root: &str,
    files: &dyn FileSet,
    diags: &mut Diagnostics,
) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::from([root.to_string()]);
    let mut found = Vec::new();
    for item in include {
        let Some(path) = normalize("", &item.value) else {
            diags.push(escapes(item, "leaves the root file's folder"));
            continue;
        };
        let matched = if is_pattern(&path) {
            match files.glob(&Pattern::new(&path), MAX_FILES) {
                Ok(matched) if matched.is_empty() => {
                    diags.push(
                        Diagnostic::new(Code::E0503, item.span, format!("the pattern `{}` matches no file", item.value))
                            .with_primary_label("matches nothing")
                            .with_help("patterns are relative to the root file's folder: `*` and `?` within a folder name, `**` for any number of folders"),
                    );
                    continue;
                }
                Ok(matched) => matched,
                Err(error) => {
                    diags.push(file_error(item, &error));
                    continue;
                }
            }
        } else {
            vec![path]
        };
        for path in matched {
            if seen.insert(path.clone()) {
                found.push(path);
            }
        }
        if found.len() > MAX_FILES {
            diags.push(file_error(item, &FileError::TooMany));
            found.truncate(MAX_FILES);
            break;
        }
    }
    found
}

pub(super) fn escapes(item: &Spanned<CompactString>, why: &str) -> Diagnostic {
    Diagnostic::new(Code::E0502, item.span, format!("`{}` {why}", item.value))
        .with_primary_label("outside the stack's folder")
        .with_help("every file of a stack lies in the root file's folder or below it")
}

/// The diagnostic of a file that could not be had.
pub(super) fn file_error(item: &Spanned<CompactString>, error: &FileError) -> Diagnostic {
    match error {
        FileError::Escapes => escapes(
            item,
            "leads out of the root file's folder (through a symlink)",
        ),
        FileError::Missing => {
            Diagnostic::new(Code::E0503, item.span, format!("no file `{}`", item.value))
                .with_primary_label("not found")
                .with_help("paths are relative to the folder of the file that names them")
        }
        FileError::TooMany => Diagnostic::new(
            Code::E0002,
            item.span,
            format!("more than {MAX_FILES} files"),
        )
        .with_primary_label("too many files")
        .with_help("a stack is at most 10,000 files; include fewer, larger files"),
        FileError::Unreadable(why) => Diagnostic::new(
            Code::E0503,
            item.span,
            format!("`{}` cannot be read: {why}", item.value),
        )
        .with_primary_label("unreadable"),
    }
}
