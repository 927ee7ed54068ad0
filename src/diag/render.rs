//! Rendering diagnostics for people (miette) and for tools (JSON). The library
//! produces diagnostic data; only the CLI decides where rendered text goes.

use std::sync::OnceLock;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use super::{Diagnostic, Severity};
use crate::source::SourceMap;
use crate::span::Span;

/// How human output looks.
#[derive(Debug, Clone, Copy)]
pub struct HumanStyle {
    pub color: bool,
    pub width: usize,
}

/// The files of a stack as diagnostics show them: secret values masked. Each
/// file's masked text is made the first time a diagnostic shows it.
pub struct ShownSources<'s> {
    sources: &'s SourceMap,
    secret_spans: &'s [Span],
    shown: Vec<OnceLock<Shown>>,
}

/// One entry's text as shown, and where its lines start (breaking lines as
/// miette does: `\n`, `\r\n` and a lone `\r`).
struct Shown {
    text: String,
    line_starts: Vec<usize>,
}

impl Shown {
    fn new(text: String) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        for (i, &byte) in bytes.iter().enumerate() {
            let lone_cr = byte == b'\r' && bytes.get(i + 1) != Some(&b'\n');
            if byte == b'\n' || lone_cr {
                line_starts.push(i + 1);
            }
        }
        Self { text, line_starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset) - 1
    }

    /// The lines a span and its context can reach, with a line to spare on
    /// each side: (first line, byte range). Rendering reads only these, so a
    /// diagnostic near the end of a large file costs as little as one near
    /// its start.
    fn window(
        &self,
        start: usize,
        end: usize,
        before: usize,
        after: usize,
    ) -> (usize, usize, usize) {
        let first = self.line_of(start).saturating_sub(before + 1);
        let last = self.line_of(end) + after + 2;
        let from = self.line_starts[first];
        let to = self
            .line_starts
            .get(last)
            .copied()
            .unwrap_or(self.text.len());
        (first, from, to)
    }
}

impl<'s> ShownSources<'s> {
    /// `secret_spans` are stack offsets, sorted or not.
    pub fn new(sources: &'s SourceMap, secret_spans: &'s [Span]) -> Self {
        let shown = sources.entries().iter().map(|_| OnceLock::new()).collect();
        Self {
            sources,
            secret_spans,
            shown,
        }
    }

    fn shown(&self, index: usize) -> &Shown {
        self.shown[index].get_or_init(|| {
            let entry = &self.sources.entries()[index];
            let local: Vec<Span> = self
                .secret_spans
                .iter()
                .filter(|s| s.start >= entry.base && s.end <= entry.end())
                .map(|s| entry.local(*s))
                .collect();
            Shown::new(super::redact::mask(&entry.text, &local))
        })
    }
}

impl SourceCode for ShownSources<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let (start, end) = (span.offset(), span.offset() + span.len());
        let index = self
            .sources
            .entry_index_at(start, end)
            .ok_or(MietteError::OutOfBounds)?;
        let entry = &self.sources.entries()[index];
        let shown = self.shown(index);
        let (local_start, local_end) = (start - entry.base, end - entry.base);
        let (first_line, from, to) = shown.window(
            local_start,
            local_end,
            context_lines_before,
            context_lines_after,
        );
        let window = &shown.text[from..to];
        let local = SourceSpan::new((local_start - from).into(), span.len());
        let contents = window.read_span(&local, context_lines_before, context_lines_after)?;
        let at = contents.span();
        Ok(Box::new(MietteSpanContents::new_named(
            entry.name(),
            contents.data(),
            SourceSpan::new((at.offset() + from + entry.base).into(), at.len()),
            contents.line() + first_line,
            contents.column(),
            contents.line_count() + first_line,
        )))
    }
}

/// One diagnostic as miette renders it: header, source excerpts (one per file
/// its labels are in), labels, help.
pub fn human(diagnostic: &Diagnostic, sources: &ShownSources<'_>, style: HumanStyle) -> String {
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
    let message = match &diagnostic.environment {
        Some(environment) => format!("{} (environment `{environment}`)", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    let mut report = MietteDiagnostic::new(message)
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
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let mut out = String::new();
    if handler
        .render_report(&mut out, &WithSource(&report, sources))
        .is_err()
    {
        out = format!("{}: {}\n", diagnostic.code, diagnostic.message);
    }
    out
}

/// A diagnostic with the stack's files as its source (miette's `Report` would
/// want to own them).
struct WithSource<'r>(&'r MietteDiagnostic, &'r ShownSources<'r>);

impl std::fmt::Debug for WithSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}

impl std::fmt::Display for WithSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.0, f)
    }
}

impl std::error::Error for WithSource<'_> {}

impl miette::Diagnostic for WithSource<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.0.severity()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.help()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.0.labels()
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.1)
    }
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
    /// The environment it was found in (LANGUAGE.md section 12), or null.
    pub environment: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct JsonLabel {
    pub message: String,
    /// The file the label is in (labels may point into another file).
    pub file: String,
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

    /// Adds the diagnostics of one stack, whose spans point into `sources`.
    pub fn add<'a>(
        &mut self,
        sources: &SourceMap,
        diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    ) {
        for d in diagnostics {
            match d.severity() {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Advice => {}
            }
            let (file, start, end) = locate(sources, d.primary.span);
            self.diagnostics.push(JsonDiagnostic {
                code: d.code.as_str(),
                severity: d.severity().as_str(),
                message: d.message.clone(),
                file,
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                help: d.help.clone(),
                labels: d
                    .secondary
                    .iter()
                    .map(|label| {
                        let (file, at, _) = locate(sources, label.span);
                        JsonLabel {
                            message: label.message.clone(),
                            file,
                            line: at.line,
                            column: at.column,
                        }
                    })
                    .collect(),
                environment: d.environment.clone(),
            });
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("diagnostics serialize")
    }
}

/// The file a span is in, and its start and end as lines and columns.
pub fn locate(
    sources: &SourceMap,
    span: Span,
) -> (String, crate::span::LineColumn, crate::span::LineColumn) {
    match sources.entry_at(span.start) {
        Some(entry) => (
            entry.name(),
            entry.line_column(span.start),
            entry.line_column(span.end.min(entry.end())),
        ),
        None => {
            let first = crate::span::LineColumn { line: 1, column: 1 };
            (String::new(), first, first)
        }
    }
}

impl Default for JsonReport {
    fn default() -> Self {
        Self::new()
    }
}
