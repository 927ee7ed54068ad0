//! Diagnostics as data: every phase reports through [`Diagnostics`]; only the CLI
//! renders them (see [`render`]).

mod code;
pub mod redact;
pub mod render;
pub mod sarif;
mod suggest;

pub use code::{Code, Severity};
pub use suggest::{did_you_mean, Suggester};

use crate::span::Span;

/// A labelled place in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
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
    pub help: Option<String>,
    /// The environment (LANGUAGE.md section 12) the diagnostic was found in;
    /// `None` for the base stack.
    pub environment: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
            environment: None,
        }
    }

    /// Moves every span by `by` bytes: from a file's own coordinates into the
    /// stack's (`crate::source`).
    #[must_use]
    pub fn shifted(mut self, by: usize) -> Self {
        self.primary.span = self.primary.span.shifted(by);
        for label in &mut self.secondary {
            label.span = label.span.shifted(by);
        }
        self
    }

    /// The text shown under the primary span.
    #[must_use]
    pub fn with_primary_label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    #[must_use]
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
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

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
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
        self.items.sort_by(|a, b| {
            (a.primary.span.start, a.primary.span.end, a.code).cmp(&(
                b.primary.span.start,
                b.primary.span.end,
                b.code,
            ))
        });
    }

    /// Moves every diagnostic by `by` bytes (see [`Diagnostic::shifted`]).
    #[must_use]
    pub fn shifted(self, by: usize) -> Self {
        if by == 0 {
            return self;
        }
        Self {
            items: self.items.into_iter().map(|d| d.shifted(by)).collect(),
        }
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

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}
