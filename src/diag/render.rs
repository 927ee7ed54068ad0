//! Rendering diagnostics for people (miette) and for tools (JSON). The library
//! produces diagnostic data; only the CLI decides where rendered text goes.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use serde::Serialize;

use super::{Diagnostic, Severity};
use crate::span::LineIndex;

/// How human output looks.
#[derive(Debug, Clone, Copy)]
pub struct HumanStyle {
    pub color: bool,
    pub width: usize,
}

/// One diagnostic as miette renders it: header, source excerpt, labels, help.
pub fn human(diagnostic: &Diagnostic, file: &str, text: &str, style: HumanStyle) -> String {
    let mut labels = Vec::with_capacity(diagnostic.secondary.len() + 1);
    let primary = &diagnostic.primary;
    labels.push(LabeledSpan::new_primary_with_span(
        non_empty(&primary.message),
        (primary.span.start, primary.span.len()),
    ));
    for label in &diagnostic.secondary {
        labels.push(LabeledSpan::new_with_span(
            non_empty(&label.message),
            (label.span.start, label.span.len()),
        ));
    }
    let mut report = MietteDiagnostic::new(diagnostic.message.clone())
        .with_code(diagnostic.code.as_str())
        .with_severity(match diagnostic.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Advice => miette::Severity::Advice,
        })
        .with_labels(labels);
    if let Some(help) = &diagnostic.help {
        report = report.with_help(help.clone());
    }
    let report =
        miette::Report::new(report).with_source_code(NamedSource::new(file, text.to_string()));
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{}: {}\n", diagnostic.code, diagnostic.message);
    }
    out
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

/// The closing summary line of human output.
pub fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// The JSON document of `--format json` (LANGUAGE.md section 7).
#[derive(Debug, Serialize)]
pub struct JsonReport {
    pub errors: usize,
    pub warnings: usize,
    pub diagnostics: Vec<JsonDiagnostic>,
}

#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub help: Option<String>,
    /// The secondary labels; the primary location is `line`/`column`.
    pub labels: Vec<JsonLabel>,
}

#[derive(Debug, Serialize)]
pub struct JsonLabel {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl JsonReport {
    pub fn new() -> Self {
        Self {
            errors: 0,
            warnings: 0,
            diagnostics: Vec::new(),
        }
    }

    /// Adds the diagnostics of one file.
    pub fn add<'a>(
        &mut self,
        file: &str,
        text: &str,
        diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    ) {
        let index = LineIndex::new(text);
        for d in diagnostics {
            match d.severity() {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Advice => {}
            }
            let start = index.line_column(text, d.primary.span.start);
            let end = index.line_column(text, d.primary.span.end);
            self.diagnostics.push(JsonDiagnostic {
                code: d.code.as_str(),
                severity: d.severity().as_str(),
                message: d.message.clone(),
                file: file.to_string(),
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                help: d.help.clone(),
                labels: d
                    .secondary
                    .iter()
                    .map(|label| {
                        let at = index.line_column(text, label.span.start);
                        JsonLabel {
                            message: label.message.clone(),
                            line: at.line,
                            column: at.column,
                        }
                    })
                    .collect(),
            });
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("diagnostics serialize")
    }
}

impl Default for JsonReport {
    fn default() -> Self {
        Self::new()
    }
}
