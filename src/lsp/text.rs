//! An open document's text and the positions an editor speaks in: LSP
//! positions are a line and a column counted in UTF-16 code units, eosc's
//! spans are byte offsets. Every conversion clamps: an editor may send a
//! position past the end of a line or of the file mid-typing, and that is
//! never a panic.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

use crate::span::Span;

/// The start of each line of a text (byte offsets).
#[derive(Debug, Clone, Default)]
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(line_starts_in(text, 0));
        Self { starts }
    }

    /// The lines after `text[start..end]` was replaced by `inserted`: those
    /// before it are kept, those after it moved, only its own found again
    /// (an edit of one line of a large file costs no scan of the file).
    pub fn replace(&mut self, start: usize, end: usize, inserted: &str) {
        let kept = self.starts.partition_point(|&s| s <= start);
        let replaced_to = self.starts.partition_point(|&s| s <= end);
        let new: Vec<usize> = line_starts_in(inserted, start).collect();
        let after = kept + new.len();
        self.starts.splice(kept..replaced_to, new);
        let (old_len, new_len) = (end - start, inserted.len());
        for line in &mut self.starts[after..] {
            *line = *line + new_len - old_len;
        }
    }

    /// The LSP position of a byte offset (clamped to the text).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = crate::span::floor_char_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(line as u32, column as u32)
    }

    /// The byte offset of an LSP position; a line past the end is the end of
    /// the text, a column past the end of its line is the line's end.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(text.len(), |&next| next - 1);
        let mut units = 0usize;
        for (at, c) in text[start..end].char_indices() {
            if units >= position.character as usize {
                return start + at;
            }
            units += c.len_utf16();
        }
        end
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(
            self.position(text, span.start()),
            self.position(text, span.end().max(span.start())),
        )
    }

    pub fn span(&self, text: &str, range: Range) -> Span {
        let start = self.offset(text, range.start);
        let end = self.offset(text, range.end);
        Span::new(start.min(end), start.max(end))
    }
}

/// Where the lines after each line break of `text` start, `text` standing at
/// offset `at`.
fn line_starts_in(text: &str, at: usize) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\n', text.as_bytes()).map(move |i| at + i + 1)
}

/// A document the editor has open.
#[derive(Debug, Clone)]
pub struct Document {
    pub text: String,
    pub version: i32,
    pub lines: Lines,
}

impl Document {
    pub fn new(text: String, version: i32) -> Self {
        let lines = Lines::new(&text);
        Self {
            text,
            version,
            lines,
        }
    }

    /// Applies the editor's changes in order (each range is in the text as
    /// the changes before it left it).
    pub fn apply(&mut self, changes: Vec<TextDocumentContentChangeEvent>, version: i32) {
        for change in changes {
            match change.range {
                None => self.text = change.text,
                Some(range) => {
                    let span = self.lines.span(&self.text, range);
                    self.text
                        .replace_range(span.start()..span.end(), &change.text);
                    self.lines.replace(span.start(), span.end(), &change.text);
                    continue;
                }
            }
            self.lines = Lines::new(&self.text);
        }
        self.version = version;
    }

    pub fn range(&self, span: Span) -> Range {
        self.lines.range(&self.text, span)
    }

    pub fn offset(&self, position: Position) -> usize {
        self.lines.offset(&self.text, position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_and_clamp() {
        let text = "a=\"é😀\"\nbc\n";
        let lines = Lines::new(text);
        // `😀` is two UTF-16 units and four bytes.
        let after_emoji = text.find('😀').unwrap() + 4;
        assert_eq!(lines.position(text, after_emoji), Position::new(0, 6));
        assert_eq!(lines.offset(text, Position::new(0, 6)), after_emoji);
        // Past the line's end: the line's end; past the last line: the end.
        assert_eq!(lines.offset(text, Position::new(1, 99)), text.len() - 1);
        assert_eq!(lines.offset(text, Position::new(9, 0)), text.len());
        // Inside a surrogate pair or a UTF-8 sequence: a character boundary,
        // never a panic.
        assert_eq!(lines.offset(text, Position::new(0, 5)), after_emoji);
        let emoji = text.find('😀').unwrap();
        assert_eq!(lines.position(text, emoji + 1), Position::new(0, 4));
    }

    #[test]
    fn changes_apply_in_order() {
        let mut doc = Document::new("host \"a\" {}\n".into(), 1);
        let change = |l1, c1, l2, c2, text: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: text.into(),
        };
        doc.apply(
            vec![change(0, 6, 0, 7, "bb"), change(0, 12, 0, 12, "\n// x")],
            2,
        );
        assert_eq!(doc.text, "host \"bb\" {}\n// x\n");
        // A reversed or out-of-range edit is clamped, not a panic.
        doc.apply(vec![change(5, 0, 0, 99, "")], 3);
        assert_eq!(doc.text, "host \"bb\" {}");
    }

    #[test]
    fn lines_kept_across_edits_are_the_lines_of_the_text() {
        let mut text = String::from("a\nbb\n\nccc\nd");
        let mut lines = Lines::new(&text);
        // Every kind of replacement: inside a line, across line breaks,
        // at both ends, adding and removing breaks.
        let mut seed = 7usize;
        for _ in 0..500 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let a = (seed >> 33) % (text.len() + 1);
            let b = (seed >> 17) % (text.len() + 1);
            let (start, end) = (a.min(b), a.max(b));
            let inserted = ["", "x", "\n", "y\nz", "\n\n", "long line\n"][(seed >> 45) % 6];
            text.replace_range(start..end, inserted);
            lines.replace(start, end, inserted);
            assert_eq!(
                lines.starts,
                Lines::new(&text).starts,
                "after {start}..{end} → {inserted:?}"
            );
        }
    }
}
