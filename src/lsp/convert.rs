//! A check's diagnostics as LSP diagnostics, file by file: the primary span
//! is the range, labels become related information (they may point into
//! another file of the stack), the help and the environment go into the
//! message, and the code links to its explanation. Secret values are masked
//! in every message, as in the CLI's renderings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Range, Url,
};

use crate::diag::render::{mask_values, secret_values};
use crate::diag::{Diagnostic, Severity};
use crate::driver::Checked;
use crate::source::SourceMap;
use crate::span::Span;

use super::text::Lines;

/// The line starts of each file of a stack, made once per conversion.
pub struct FileLines<'c> {
    sources: &'c SourceMap,
    lines: Vec<Option<Lines>>,
}

impl<'c> FileLines<'c> {
    pub fn new(sources: &'c SourceMap) -> Self {
        Self {
            sources,
            lines: (0..sources.entries().len()).map(|_| None).collect(),
        }
    }

    /// The file a stack span is in and its range there (an instance's span
    /// is shown in its module file).
    pub fn locate(&mut self, span: Span) -> Option<(&'c Path, Range)> {
        let index = self.sources.entry_index_at(span.start(), span.start())?;
        let entry = &self.sources.entries()[index];
        let local = entry.local(span);
        let lines = self.lines[index].get_or_insert_with(|| Lines::new(&entry.text));
        Some((&entry.path, lines.range(&entry.text, local)))
    }
}

/// Where `eosc explain` texts are written for editors to open (the code's
/// link): one markdown file per code, per eosc version.
pub struct Explanations {
    folder: Option<PathBuf>,
}

impl Explanations {
    /// Under `$XDG_CACHE_HOME/eosc` (or `~/.cache/eosc`); none when neither
    /// is set.
    pub fn in_cache() -> Self {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")));
        Self {
            folder: base.map(|base| {
                base.join("eosc")
                    .join("explain")
                    .join(env!("CARGO_PKG_VERSION"))
            }),
        }
    }

    pub fn none() -> Self {
        Self { folder: None }
    }

    /// The link to `code`'s explanation, writing the file the first time.
    fn link(&self, code: crate::diag::Code) -> Option<Url> {
        let folder = self.folder.as_ref()?;
        let path = folder.join(format!("{}.md", code.as_str()));
        if !path.is_file() {
            std::fs::create_dir_all(folder).ok()?;
            let text = format!(
                "# {}: {}\n\n{}",
                code.as_str(),
                code.title(),
                code.explanation()
            );
            // Written aside and renamed: an editor never opens half a file.
            let partial = folder.join(format!(".{}.{}.md", code.as_str(), std::process::id()));
            std::fs::write(&partial, text).ok()?;
            std::fs::rename(&partial, &path).ok()?;
        }
        Url::from_file_path(&path).ok()
    }
}

/// The diagnostics of a check, by the file they are shown in.
pub fn by_file(
    checked: &Checked,
    explanations: &Explanations,
) -> BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>> {
    let mut files: BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
    if checked.diagnostics.is_empty() {
        return files;
    }
    let secrets = secret_values(&checked.sources, &checked.secret_spans);
    let mut lines = FileLines::new(&checked.sources);
    let mut explained = BTreeMap::new();
    for diagnostic in checked.diagnostics.iter() {
        let Some((path, range)) = lines.locate(diagnostic.primary.span) else {
            continue;
        };
        let path = path.to_path_buf();
        let link = explained
            .entry(diagnostic.code)
            .or_insert_with(|| explanations.link(diagnostic.code))
            .clone();
        let converted = convert(diagnostic, range, &mut lines, &secrets, link);
        files.entry(path).or_default().push(converted);
    }
    files
}

/// One diagnostic at `range` of its file.
fn convert(
    diagnostic: &Diagnostic,
    range: Range,
    lines: &mut FileLines<'_>,
    secrets: &[String],
    link: Option<Url>,
) -> lsp_types::Diagnostic {
    let mut message = String::new();
    if let Some(environment) = &diagnostic.environment {
        message.push_str(&format!("in environment `{environment}`: "));
    }
    message.push_str(&mask_values(&diagnostic.message, secrets));
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(&mask_values(help, secrets));
    }
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .secondary
        .iter()
        .filter_map(|label| {
            let (path, range) = lines.locate(label.span)?;
            Some(DiagnosticRelatedInformation {
                location: Location::new(super::uri::uri_of(path)?, range),
                message: mask_values(&label.message, secrets).into_owned(),
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range,
        severity: Some(match diagnostic.severity() {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Advice => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(diagnostic.code.as_str().to_string())),
        code_description: link.map(|href| CodeDescription { href }),
        source: Some("eosc".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}
