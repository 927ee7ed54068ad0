//! Rendering diagnostics for people (miette) and for tools (JSON). The library
//! produces diagnostic data; only the CLI decides where rendered text goes.

use std::borrow::Cow;
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
    shown: Vec<OnceLock<Shown<'s>>>,
    /// Each entry's token scan (`redact::lexical_secret_spans`), made once
    /// for both its shown text and the values masked in messages.
    lexical: Vec<OnceLock<Vec<Span>>>,
    /// The secret values of every file, to be masked in messages too.
    secret_values: OnceLock<Vec<String>>,
}

/// One entry's text as shown: where its lines start (breaking lines as
/// miette does: `\n`, `\r\n` and a lone `\r`) and where its secret values
/// stand. The text with them masked is made only for a part that shows one:
/// the lines a warning shows in a 50 MB stack seldom do, and copying the
/// stack cost more than the rest of the rendering.
struct Shown<'s> {
    text: &'s str,
    /// Local offsets, in no particular order.
    secrets: Vec<Span>,
    masked: OnceLock<String>,
    line_starts: Vec<usize>,
}

impl<'s> Shown<'s> {
    fn new(text: &'s str, secrets: Vec<Span>) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            let lone_cr = bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
            if bytes[i] == b'\n' || lone_cr {
                line_starts.push(i + 1);
            }
        }
        Self {
            text,
            secrets,
            masked: OnceLock::new(),
            line_starts,
        }
    }

    /// `text[from..to]` as shown: from the masked text when a secret value
    /// stands in it. (Masking keeps every offset and every char boundary of
    /// the text.)
    fn part(&self, from: usize, to: usize) -> &str {
        let shows_secret = self
            .secrets
            .iter()
            .any(|s| s.start() < to && s.end() > from);
        if shows_secret {
            let masked = self
                .masked
                .get_or_init(|| super::redact::mask(self.text, &self.secrets));
            &masked[from..to]
        } else {
            &self.text[from..to]
        }
    }

    /// The part of `from..to` to show: all of it, unless one of its lines is
    /// longer than [`LONG_LINE`]; then [`SHOWN_AROUND`] bytes either side of
    /// `start..end`.
    fn clip(&self, from: usize, to: usize, start: usize, end: usize) -> (usize, usize) {
        let (first, last) = (
            self.line_of(from),
            self.line_of(to.saturating_sub(1).max(from)),
        );
        let long = (first..=last).any(|line| self.line_length(line) > LONG_LINE);
        if !long {
            return (from, to);
        }
        let clip_from = floor_boundary(self.text, start.saturating_sub(SHOWN_AROUND).max(from));
        let clip_to = ceil_boundary(self.text, (end + SHOWN_AROUND).min(to));
        (clip_from, clip_to.max(clip_from))
    }

    /// 0-based column (in chars) of an offset.
    fn column_of(&self, offset: usize) -> usize {
        let begin = self.line_starts[self.line_of(offset)];
        let end = floor_boundary(self.text, offset);
        if begin > end {
            return 0;
        }
        self.part(begin, end).chars().count()
    }

    fn line_length(&self, line: usize) -> usize {
        let next = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        next - self.line_starts[line]
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
        let lexical = sources.entries().iter().map(|_| OnceLock::new()).collect();
        Self {
            sources,
            secret_spans,
            shown,
            lexical,
            secret_values: OnceLock::new(),
        }
    }

    fn lexical(&self, index: usize) -> &[Span] {
        self.lexical[index].get_or_init(|| {
            super::redact::lexical_secret_spans(&self.sources.entries()[index].text)
        })
    }

    fn shown(&self, index: usize) -> &Shown<'s> {
        self.shown[index].get_or_init(|| {
            let entry = &self.sources.entries()[index];
            let mut local: Vec<Span> = self
                .secret_spans
                .iter()
                .filter(|s| s.start() >= entry.base && s.end() <= entry.end())
                .map(|s| entry.local(*s))
                .collect();
            // What the parse found, and what the tokens show: a broken
            // file hides no secret from the second.
            local.extend_from_slice(self.lexical(index));
            Shown::new(&entry.text, local)
        })
    }
}

impl ShownSources<'_> {
    /// `text` (a message, a label, a help) with every secret value of the
    /// stack that it quotes masked, and made [`printable`].
    fn masked(&self, text: &str) -> String {
        let values = self.secret_values.get_or_init(|| {
            secret_values_with(self.sources, self.secret_spans, |index| {
                Cow::Borrowed(self.lexical(index))
            })
        });
        printable(&mask_values(text, values)).into_owned()
    }

    /// Whether these labels cannot be drawn in part of their lines: more than
    /// one label with one on a long line (miette draws each group of labels
    /// with the lines between them whole), or one label longer than the part
    /// of a long line that is shown.
    fn too_wide(&self, spans: impl Iterator<Item = Span>) -> bool {
        let spans: Vec<Span> = spans.collect();
        let on_long_line = |span: &Span| {
            let Some(index) = self.sources.entry_index_at(span.start(), span.end()) else {
                return false;
            };
            let entry = &self.sources.entries()[index];
            let shown = self.shown(index);
            [span.start(), span.end()].iter().any(|&offset| {
                let local = (offset - entry.base).min(shown.text.len());
                shown.line_length(shown.line_of(local)) > LONG_LINE
            })
        };
        match spans.as_slice() {
            [one] => one.len() > SHOWN_AROUND && on_long_line(one),
            many => many.iter().any(on_long_line),
        }
    }

    /// `  at FILE:LINE:COLUMN: label` for each label, primary first.
    fn places(&self, diagnostic: &Diagnostic) -> String {
        let labels = std::iter::once(&diagnostic.primary).chain(&diagnostic.secondary);
        let mut out = String::new();
        for label in labels {
            let Some(entry) = self.sources.entry_at(label.span.start()) else {
                continue;
            };
            let at = entry.line_column(label.span.start());
            out.push_str(&format!(
                "  at {}:{}:{}: {}\n",
                printable(&entry.name()),
                at.line,
                at.column,
                self.masked(&label.message)
            ));
        }
        out
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
        let (_, from, to) = shown.window(
            local_start,
            local_end,
            context_lines_before,
            context_lines_after,
        );
        let (from, to) = shown.clip(from, to, local_start, local_end);
        let first_line = shown.line_of(from);
        let window = shown.part(from, to);
        let local = SourceSpan::new((local_start - from).into(), span.len());
        let contents = window.read_span(&local, context_lines_before, context_lines_after)?;
        let at = contents.span();
        // The header's column (asked for with no context) is the true one;
        // a window's own columns start where the window does.
        let column = if context_lines_before == 0 && context_lines_after == 0 {
            shown.column_of(local_start)
        } else {
            contents.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            entry.name(),
            contents.data(),
            SourceSpan::new((at.offset() + from + entry.base).into(), at.len()),
            contents.line() + first_line,
            column,
            contents.line_count() + first_line,
        )))
    }
}

/// The secret values of every file of a stack (what `secret_spans` and a
/// token scan find), longest first, to be masked wherever a message quotes one.
pub fn secret_values(sources: &SourceMap, secret_spans: &[Span]) -> Vec<String> {
    secret_values_with(sources, secret_spans, |index| {
        Cow::Owned(super::redact::lexical_secret_spans(
            &sources.entries()[index].text,
        ))
    })
}

/// [`secret_values`], with the token scan of each entry (by index) from
/// `lexical`.
fn secret_values_with<'s>(
    sources: &'s SourceMap,
    secret_spans: &[Span],
    lexical: impl Fn(usize) -> Cow<'s, [Span]>,
) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    let entries = sources.entries().iter().enumerate();
    for (index, entry) in entries.filter(|(_, e)| e.instance.is_none()) {
        let scanned = lexical(index);
        let spans = secret_spans
            .iter()
            .filter(|s| s.start() >= entry.base && s.end() <= entry.end())
            .map(|s| entry.local(*s))
            .chain(scanned.iter().copied());
        for span in spans {
            let value = entry.text[span.start()..span.end()].trim_matches('"');
            if value.chars().count() >= MASKED_IN_MESSAGES_FROM {
                values.push(value.to_string());
            }
        }
    }
    values.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    values.dedup();
    values
}

/// `text` with each of `values` in it replaced by as many `*`.
pub fn mask_values<'t>(text: &'t str, values: &[String]) -> std::borrow::Cow<'t, str> {
    let mut text = std::borrow::Cow::Borrowed(text);
    for value in values {
        if text.contains(value.as_str()) {
            text = std::borrow::Cow::Owned(
                text.replace(value.as_str(), &"*".repeat(value.chars().count())),
            );
        }
    }
    text
}

/// Secret values shorter than this are masked in source lines only: in a
/// message, two letters are more likely a word than the secret.
const MASKED_IN_MESSAGES_FROM: usize = 3;

/// Lines longer than this are shown in part: [`SHOWN_AROUND`] bytes either
/// side of the span (miette cannot draw past column 65,535, and a screen
/// shows far less).
const LONG_LINE: usize = 1024;
const SHOWN_AROUND: usize = 120;

fn floor_boundary(text: &str, offset: usize) -> usize {
    crate::span::floor_char_boundary(text, offset)
}

fn ceil_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// One diagnostic as miette renders it: header, source excerpts (one per file
/// its labels are in), labels, help.
pub fn human(diagnostic: &Diagnostic, sources: &ShownSources<'_>, style: HumanStyle) -> String {
    let mut labels = Vec::with_capacity(diagnostic.secondary.len() + 1);
    let primary = &diagnostic.primary;
    labels.push(LabeledSpan::new_primary_with_span(
        non_empty(&sources.masked(&primary.message)),
        (primary.span.start(), primary.span.len()),
    ));
    for label in &diagnostic.secondary {
        labels.push(LabeledSpan::new_with_span(
            non_empty(&sources.masked(&label.message)),
            (label.span.start(), label.span.len()),
        ));
    }
    let message = match &diagnostic.environment {
        Some(environment) => format!("{} (environment `{environment}`)", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    let message = sources.masked(&message);
    let mut report = MietteDiagnostic::new(message)
        .with_code(diagnostic.code.as_str())
        .with_severity(match diagnostic.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Advice => miette::Severity::Advice,
        })
        .with_labels(labels);
    if let Some(help) = &diagnostic.help {
        report = report.with_help(sources.masked(help));
    }
    let handler = GraphicalReportHandler::new_themed(theme_for(style))
        .with_width(style.width)
        .with_links(false);
    let mut out = String::new();
    let spans = std::iter::once(primary.span).chain(diagnostic.secondary.iter().map(|l| l.span));
    if sources.too_wide(spans) {
        // Without its source lines, but with every place and label.
        let report = report.with_labels(Vec::<LabeledSpan>::new());
        let _ = GraphicalReportHandler::new_themed(theme_for(style))
            .with_width(style.width)
            .render_report(&mut out, &report);
        out.push_str(&sources.places(diagnostic));
    } else if handler
        .render_report(&mut out, &WithSource(&report, sources))
        .is_err()
    {
        out = format!("{}: {}\n", diagnostic.code, diagnostic.message);
    }
    out
}

/// `text` with control characters (but newlines) and the invisible
/// direction marks of Unicode (which can make a terminal show text in
/// another order than it is) written as `\u{…}`: a file name or a value
/// quoted in a message cannot rewrite what the terminal shows.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:04X}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn theme_for(style: HumanStyle) -> GraphicalTheme {
    if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    }
}

/// A diagnostic with the stack's files as its source (miette's `Report` would
/// want to own them).
struct WithSource<'r, 's>(&'r MietteDiagnostic, &'r ShownSources<'s>);

impl std::fmt::Debug for WithSource<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}

impl std::fmt::Display for WithSource<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.0, f)
    }
}

impl std::error::Error for WithSource<'_, '_> {}

impl miette::Diagnostic for WithSource<'_, '_> {
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

/// The JSON document of `--format json` (LANGUAGE.md section 7). It holds
/// only references to the diagnostics: each is turned into its JSON object as
/// it is written, so a run of many diagnostics costs no copy of them.
#[derive(Default)]
pub struct JsonReport<'a> {
    pub errors: usize,
    pub warnings: usize,
    /// Each stack's diagnostics, with the secret values its messages must not show.
    stacks: Vec<(&'a SourceMap, Vec<&'a Diagnostic>, Vec<String>)>,
}

#[derive(Debug, Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: &'static str,
    message: std::borrow::Cow<'a, str>,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    help: Option<std::borrow::Cow<'a, str>>,
    /// The secondary labels; the primary location is `line`/`column`.
    labels: Vec<JsonLabel<'a>>,
    /// The environment it was found in (LANGUAGE.md section 12), or null.
    environment: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct JsonLabel<'a> {
    message: std::borrow::Cow<'a, str>,
    /// The file the label is in (labels may point into another file).
    file: String,
    line: usize,
    column: usize,
}

impl<'a> JsonReport<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the diagnostics of one stack, whose spans point into `sources`.
    pub fn add(
        &mut self,
        sources: &'a SourceMap,
        diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    ) {
        let diagnostics: Vec<&Diagnostic> = diagnostics.into_iter().collect();
        for d in &diagnostics {
            match d.severity() {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Advice => {}
            }
        }
        let secrets = if diagnostics.is_empty() {
            Vec::new()
        } else {
            secret_values(sources, &[])
        };
        self.stacks.push((sources, diagnostics, secrets));
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("diagnostics serialize")
    }

    /// Writes the document to `out` as it is made.
    pub fn write_to(&self, out: impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(out, self).map_err(std::io::Error::from)
    }
}

impl Serialize for JsonReport<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut report = serializer.serialize_struct("JsonReport", 3)?;
        report.serialize_field("errors", &self.errors)?;
        report.serialize_field("warnings", &self.warnings)?;
        report.serialize_field("diagnostics", &JsonDiagnostics(&self.stacks))?;
        report.end()
    }
}

/// The diagnostics of every stack, made into JSON objects one at a time.
struct JsonDiagnostics<'r, 'a>(&'r [(&'a SourceMap, Vec<&'a Diagnostic>, Vec<String>)]);

impl Serialize for JsonDiagnostics<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().flat_map(|(sources, diagnostics, secrets)| {
            diagnostics
                .iter()
                .map(|d| json_diagnostic(sources, d, secrets))
        }))
    }
}

fn json_diagnostic<'a>(
    sources: &SourceMap,
    d: &'a Diagnostic,
    secrets: &[String],
) -> JsonDiagnostic<'a> {
    let (file, start, end) = locate(sources, d.primary.span);
    JsonDiagnostic {
        code: d.code.as_str(),
        severity: d.severity().as_str(),
        message: mask_values(&d.message, secrets),
        file,
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        help: d.help.as_deref().map(|help| mask_values(help, secrets)),
        labels: d
            .secondary
            .iter()
            .map(|label| {
                let (file, at, _) = locate(sources, label.span);
                JsonLabel {
                    message: mask_values(&label.message, secrets),
                    file,
                    line: at.line,
                    column: at.column,
                }
            })
            .collect(),
        environment: d.environment.as_deref(),
    }
}

/// The file a span is in, and its start and end as lines and columns.
pub fn locate(
    sources: &SourceMap,
    span: Span,
) -> (String, crate::span::LineColumn, crate::span::LineColumn) {
    match sources.entry_at(span.start()) {
        Some(entry) => (
            entry.name(),
            entry.line_column(span.start()),
            entry.line_column(span.end().min(entry.end())),
        ),
        None => {
            let first = crate::span::LineColumn { line: 1, column: 1 };
            (String::new(), first, first)
        }
    }
}
