//! Diagnostics as data: every phase reports through [`Diagnostics`]; only the CLI
//! renders them (see [`render`]).

mod code;
pub mod redact;
pub mod render;
pub mod sarif;
mod suggest;

pub use code::{Code, Severity};
pub use suggest::{did_you_mean, Suggester, SUGGESTION_BUDGET};

use std::borrow::Cow;

use crate::span::{Delta, Relocate, Span};

/// Text of a diagnostic that is most often fixed (labels, help): a
/// `&'static str` costs no allocation, which counts when a run reports
/// 100,000 of one warning.
pub type Text = Cow<'static, str>;

/// A labelled place in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: Text,
}

/// One finding: a code, a message, where the user must act, and what helps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    /// Where the user must act.
    pub primary: Label,
    /// Contributors and context ("first defined here").
    pub secondary: Vec<Label>,
    pub help: Option<Text>,
    /// The environment (LANGUAGE.md section 12) the diagnostic was found in;
    /// `None` for the base stack.
    pub environment: Option<String>,
    /// The edit a "did you mean" help proposes, for editors to apply (the
    /// language server's code actions); boxed, as most diagnostics have none.
    pub fix: Option<Box<Fix>>,
}

/// Replace the text at `span` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            primary: Label {
                span,
                message: Cow::Borrowed(""),
            },
            secondary: Vec::new(),
            help: None,
            environment: None,
            fix: None,
        }
    }

    /// Moves every span by `by` bytes: from a file's own coordinates into the
    /// stack's (`crate::source`).
    #[must_use]
    pub fn shifted(mut self, by: usize) -> Self {
        self.relocate(Delta::forward(by));
        self
    }

    /// The text shown under the primary span.
    #[must_use]
    pub fn with_primary_label(mut self, message: impl Into<Text>) -> Self {
        self.primary.message = message.into();
        self
    }

    #[must_use]
    pub fn with_label(mut self, span: Span, message: impl Into<Text>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<Text>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The edit that applies a "did you mean": `span`'s text becomes
    /// `replacement`.
    #[must_use]
    pub fn with_fix(mut self, span: Span, replacement: impl Into<String>) -> Self {
        self.fix = Some(Box::new(Fix {
            span,
            replacement: replacement.into(),
        }));
        self
    }

    #[must_use]
    pub fn with_optional_fix(self, fix: Option<(Span, String)>) -> Self {
        match fix {
            Some((span, replacement)) => self.with_fix(span, replacement),
            None => self,
        }
    }

    /// Appends a help line, keeping any earlier one.
    #[must_use]
    pub fn with_optional_help(self, help: Option<String>) -> Self {
        match help {
            Some(help) => self.with_help(help),
            None => self,
        }
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
}

/// The diagnostics of one source file, in the order they were found.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Appends `other`; into an empty list it moves `other`'s own vector,
    /// which holds a run of 100,000 warnings once instead of twice.
    pub fn extend(&mut self, other: Diagnostics) {
        if self.items.is_empty() {
            self.items = other.items;
        } else {
            self.items.extend(other.items);
        }
    }

    /// Whether the parser reported a syntax error (blocks may be missing).
    pub fn has_syntax_errors(&self) -> bool {
        self.items
            .iter()
            .any(|d| matches!(d.code, Code::E0001 | Code::E0002))
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity() == Severity::Error)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity() == severity)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Sorts by position, then code, so output does not depend on pass order.
    pub fn sort(&mut self) {
        let key = |d: &Diagnostic| (d.primary.span.start(), d.primary.span.end(), d.code);
        // A list that is in order already (the checks' list when it reaches
        // the driver) is left alone: the sort's scratch space is half the list.
        if self.items.is_sorted_by_key(key) {
            return;
        }
        self.items.sort_by_key(key);
    }

    /// Drops the exact repeats of a diagnostic (one argument of a module
    /// instance used twice is checked twice, with one span): the list must
    /// be sorted, which puts repeats in one run of equal positions.
    pub fn dedup(&mut self) {
        let mut kept: Vec<Diagnostic> = Vec::with_capacity(self.items.len());
        let mut run_start = 0;
        for diagnostic in std::mem::take(&mut self.items) {
            let same_place = |d: &Diagnostic| {
                (d.primary.span, d.code) == (diagnostic.primary.span, diagnostic.code)
            };
            if kept.last().is_none_or(|last| !same_place(last)) {
                run_start = kept.len();
            } else if kept[run_start..].contains(&diagnostic) {
                continue;
            }
            kept.push(diagnostic);
        }
        self.items = kept;
    }

    /// Moves every diagnostic by `by` bytes (see [`Diagnostic::shifted`]).
    #[must_use]
    pub fn shifted(mut self, by: usize) -> Self {
        if by != 0 {
            self.relocate(Delta::forward(by));
        }
        self
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Diagnostic> {
        self.items.iter_mut()
    }

    /// Keeps the diagnostics `keep` accepts.
    pub fn retain(&mut self, keep: impl FnMut(&Diagnostic) -> bool) {
        self.items.retain(keep);
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

impl Relocate for Diagnostic {
    fn relocate(&mut self, by: Delta) {
        self.primary.span.relocate(by);
        if let Some(fix) = &mut self.fix {
            fix.span.relocate(by);
        }
        for label in &mut self.secondary {
            label.span.relocate(by);
        }
    }
}

impl Relocate for Diagnostics {
    fn relocate(&mut self, by: Delta) {
        self.items.relocate(by);
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}
