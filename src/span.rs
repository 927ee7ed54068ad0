//! Byte spans into a source file, and the line/column view of them.

use serde::Serialize;

/// A half-open byte range `start..end` into the stack's offsets (see
/// `crate::source`). Offsets are held as `u32`, which halves every span the
/// declarations carry; [`crate::source::SourceMap`] refuses a stack whose
/// files and module instances would run past [`MAX_OFFSET`] (E0002), so every
/// offset it hands out fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Span {
    start: u32,
    end: u32,
}

/// The largest stack offset a span can hold.
pub const MAX_OFFSET: usize = u32::MAX as usize;

/// An offset as held in a span. Offsets come from a `SourceMap`, which keeps
/// them under [`MAX_OFFSET`]; one past it (never handed out) is held as the
/// largest, so that no arithmetic on a span can panic.
fn offset(at: usize) -> u32 {
    debug_assert!(at <= MAX_OFFSET, "offset {at} past the span range");
    u32::try_from(at).unwrap_or(u32::MAX)
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        Self {
            start: offset(start),
            end: offset(end),
        }
    }

    pub fn point(at: usize) -> Self {
        Self::new(at, at)
    }

    pub fn start(self) -> usize {
        self.start as usize
    }

    pub fn end(self) -> usize {
        self.end as usize
    }

    pub fn len(self) -> usize {
        self.end() - self.start()
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// Moves a span found in a slice starting at `offset` into file coordinates.
    #[must_use]
    pub fn shifted(self, offset: usize) -> Self {
        Self::new(self.start() + offset, self.end() + offset)
    }

    /// The smallest span covering both.
    #[must_use]
    pub fn to(self, other: Span) -> Self {
        Self::new(self.start().min(other.start()), self.end().max(other.end()))
    }
}

/// A signed distance between two offsets: how far text that was read before
/// has moved (the language server reuses what it lowered of the blocks an
/// edit did not touch, and moves them to where they now stand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delta(i64);

impl Delta {
    /// From where something stood to where it stands.
    pub fn between(from: usize, to: usize) -> Self {
        let signed = |at: usize| i64::try_from(at).unwrap_or(i64::MAX);
        Self(signed(to) - signed(from))
    }

    /// A move towards the end, by `by` bytes.
    pub fn forward(by: usize) -> Self {
        Self::between(0, by)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Span {
    /// The span moved by `by` (clamped to the span range, which a move
    /// between two offsets of one `SourceMap` never leaves).
    #[must_use]
    pub fn moved(self, by: Delta) -> Self {
        let at = |offset: u32| {
            u32::try_from((i64::from(offset) + by.0).clamp(0, i64::from(u32::MAX)))
                .unwrap_or(u32::MAX)
        };
        Self {
            start: at(self.start),
            end: at(self.end),
        }
    }
}

/// Whatever holds spans, moved by a distance (every span it holds).
pub trait Relocate {
    fn relocate(&mut self, by: Delta);
}

impl Relocate for Span {
    fn relocate(&mut self, by: Delta) {
        *self = self.moved(by);
    }
}

/// The span only: a `Spanned` value of the declarations holds no span
/// itself (strings, numbers, enums).
impl<T> Relocate for Spanned<T> {
    fn relocate(&mut self, by: Delta) {
        self.span.relocate(by);
    }
}

impl<T: Relocate> Relocate for [T] {
    fn relocate(&mut self, by: Delta) {
        for item in self {
            item.relocate(by);
        }
    }
}

impl<T: Relocate> Relocate for Vec<T> {
    fn relocate(&mut self, by: Delta) {
        self.as_mut_slice().relocate(by);
    }
}

impl<T: Relocate + ?Sized> Relocate for Box<T> {
    fn relocate(&mut self, by: Delta) {
        (**self).relocate(by);
    }
}

impl<T: Relocate> Relocate for Option<T> {
    fn relocate(&mut self, by: Delta) {
        if let Some(inner) = self {
            inner.relocate(by);
        }
    }
}

/// A value together with where it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }

    /// The same span around `f(value)`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned::new(f(self.value), self.span)
    }
}

/// 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

/// Maps byte offsets to lines and columns; built once per file.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { line_starts }
    }

    pub fn line_column(&self, text: &str, offset: usize) -> LineColumn {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let column = text[self.line_starts[line]..offset].chars().count() + 1;
        LineColumn {
            line: line + 1,
            column,
        }
    }
}

/// The largest char boundary at or before `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_chars() {
        let text = "ab\nçd\n";
        let index = LineIndex::new(text);
        assert_eq!(
            index.line_column(text, 0),
            LineColumn { line: 1, column: 1 }
        );
        assert_eq!(
            index.line_column(text, 3),
            LineColumn { line: 2, column: 1 }
        );
        // 'ç' is two bytes; 'd' is the second character.
        assert_eq!(
            index.line_column(text, 5),
            LineColumn { line: 2, column: 2 }
        );
        assert_eq!(
            index.line_column(text, 7),
            LineColumn { line: 3, column: 1 }
        );
    }
}
