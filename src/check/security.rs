//! Security rules: no plaintext secrets in `env` (E0501), and `file` sources
//! that stay inside the spec's folder (E0502), exist (E0503) and add up to a
//! bounded build (E0002). Never quotes a
//! value that might be a secret.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::files::{FileStatus, SourceFiles};
use crate::model::Stack;

/// Bytes of `file` sources one build may write in all (each `file` block
/// writes its own copy): a spec of a few kilobytes naming one large file a
/// thousand times must not write gigabytes.
const MAX_FILE_SOURCES_TOTAL: u64 = 256 << 20;

fn sources_over_limit(span: crate::span::Span) -> Diagnostic {
    Diagnostic::new(
        Code::E0002,
        span,
        format!(
            "the `file` sources of the stack add up to more than {} MiB",
            MAX_FILE_SOURCES_TOTAL >> 20
        ),
    )
    .with_primary_label("this one crosses the limit")
    .with_help("`file` blocks carry configuration files, each written into the build; keep data out of them (a volume holds data)")
}

pub(super) fn check(stack: &Stack, files: &SourceFiles, diags: &mut Diagnostics) {
    let (mut written, mut over) = (0u64, false);
    for service in &stack.services {
        for var in &service.decl.env {
            if let Some(word) = crate::diag::redact::secret_word(&var.key.value) {
                diags.push(
                    Diagnostic::new(
                        Code::E0501,
                        var.key.span,
                        format!("`{}` looks like a secret but is set in plain `env` of `{}`", var.key.value, service.name()),
                    )
                    .with_primary_label(format!("name contains {word}"))
                    .with_label(var.value.span, "this value would be written into Salt states and job files in clear (not shown)")
                    .with_help(format!(
                        "store it in Vault and map it: secret \"NAME\" {{ path = \"kv/data/{}\"  env = {{ {} = \"key\" }} }}",
                        service.name(),
                        var.key.value
                    )),
                );
            }
        }
        for file in service.decl.files() {
            let source = &file.source;
            match files.status(&source.value) {
                Some(FileStatus::Found(bytes)) => {
                    if std::str::from_utf8(bytes).is_err() {
                        diags.push(
                            Diagnostic::new(Code::E0503, source.span, format!("file source `{}` is not UTF-8 text", source.value))
                                .with_primary_label("binary, or text in another encoding")
                                .with_help("a `file` block carries a text configuration file into a Salt state; convert it to UTF-8, or ship a binary file in a package or a volume"),
                        );
                    }
                    written = written.saturating_add(bytes.len() as u64);
                    if written > MAX_FILE_SOURCES_TOTAL && !over {
                        over = true;
                        diags.push(sources_over_limit(source.span));
                    }
                }
                Some(FileStatus::Escapes) => diags.push(
                    Diagnostic::new(Code::E0502, source.span, "file source is outside the spec's folder")
                        .with_primary_label("absolute, or resolves (through `..` or a symlink) outside the folder")
                        .with_help("keep config files next to the spec and name them relative to its folder, e.g. \"files/app.conf\""),
                ),
                Some(FileStatus::Missing) | None => diags.push(
                    Diagnostic::new(Code::E0503, source.span, format!("file source `{}` does not exist", source.value))
                        .with_primary_label("not found relative to the spec's folder")
                        .with_help("create the file, or fix the path (it is relative to the folder of the spec)"),
                ),
                Some(FileStatus::Unreadable(why)) => diags.push(
                    Diagnostic::new(Code::E0503, source.span, format!("file source `{}` cannot be read: {why}", source.value))
                        .with_primary_label("unreadable")
                        .with_help("the source must be a readable regular file"),
                ),
            }
        }
    }
}
