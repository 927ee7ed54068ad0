//! Security rules: no plaintext secrets in `env` (E0501), and `file` sources
//! that stay inside the spec's folder (E0502) and exist (E0503). Never quotes a
//! value that might be a secret.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::files::{FileStatus, SourceFiles};
use crate::model::Stack;

pub(super) fn check(stack: &Stack, files: &SourceFiles, diags: &mut Diagnostics) {
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
        for file in &service.decl.files {
            let source = &file.source;
            match files.status(&source.value) {
                Some(FileStatus::Found(_)) => {}
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
