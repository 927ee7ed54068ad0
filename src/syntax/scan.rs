//! A linear lexical pre-pass over the source, run before the parser.
//!
//! It enforces the nesting limit (so the recursive-descent parser can never
//! overflow the stack), collects comments for the formatter, reports lexical errors
//! with precise spans (unterminated strings, unknown escapes), and finds the places
//! where the parser can resume after a syntax error.

use super::tree::Comment;
use crate::diag::{Code, Diagnostic};
use crate::span::Span;

/// Deepest nesting of blocks, lists and objects a file may have (E0002).
pub const MAX_DEPTH: usize = 64;

/// Top-level block kinds: a line starting with one of them followed by a label or
/// `{` is where the parser resumes after an error.
const TOP_LEVEL_KINDS: &[&str] = &["stack", "host", "service", "route"];

#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) comments: Vec<Comment>,
    pub(crate) errors: Vec<Diagnostic>,
    /// Set when nesting exceeds [`MAX_DEPTH`]: the file must not be parsed.
    pub(crate) too_deep: Option<Diagnostic>,
    /// Byte offsets of lines that start a top-level block.
    pub(crate) resume_points: Vec<usize>,
    /// For resume points reached inside an open block: (resume point, the `{`
    /// still open there). A parse error at such a point is an unclosed block.
    pub(crate) unclosed: Vec<(usize, usize)>,
}

pub(crate) fn scan(text: &str) -> Scan {
    Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        open: Vec::new(),
        out: Scan::default(),
    }
    .run()
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Offsets of the brackets open at `pos`, innermost last.
    open: Vec<usize>,
    out: Scan,
}

impl Scanner<'_> {
    fn run(mut self) -> Scan {
        self.note_line_start(0);
        while self.pos < self.bytes.len() && self.out.too_deep.is_none() {
            match self.bytes[self.pos] {
                b'"' => self.string(),
                b'#' => self.line_comment(),
                b'/' if self.peek(1) == Some(b'/') => self.line_comment(),
                b'/' if self.peek(1) == Some(b'*') => self.block_comment(),
                b'{' | b'[' => self.open(),
                b'}' | b']' => {
                    self.open.pop();
                    self.pos += 1;
                }
                b'\n' => {
                    self.pos += 1;
                    self.note_line_start(self.pos);
                }
                _ => self.pos += 1,
            }
        }
        self.out
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn open(&mut self) {
        self.open.push(self.pos);
        if self.open.len() > MAX_DEPTH {
            self.out.too_deep = Some(
                Diagnostic::new(
                    Code::E0002,
                    Span::new(self.pos, self.pos + 1),
                    format!("nesting is deeper than {MAX_DEPTH} levels"),
                )
                .with_primary_label(format!("level {} opens here", self.open.len()))
                .with_help("flatten the structure: no stack spec needs this depth"),
            );
        }
        self.pos += 1;
    }

    fn note_line_start(&mut self, at: usize) {
        let rest = &self.text[at..];
        for kind in TOP_LEVEL_KINDS {
            if let Some(after) = rest.strip_prefix(kind) {
                let after = after.trim_start_matches([' ', '\t']);
                let separated = after.len() < rest.len() - kind.len();
                if separated && (after.starts_with('"') || after.starts_with('{')) {
                    self.out.resume_points.push(at);
                    if let Some(&brace) = self.open.last() {
                        self.out.unclosed.push((at, brace));
                    }
                }
            }
        }
    }

    fn line_comment(&mut self) {
        let start = self.pos;
        let end = self.text[start..]
            .find('\n')
            .map_or(self.bytes.len(), |i| start + i);
        self.push_comment(start, end);
        self.pos = end;
    }

    fn block_comment(&mut self) {
        let start = self.pos;
        if let Some(i) = self.text[start + 2..].find("*/") {
            let end = start + 2 + i + 2;
            self.push_comment(start, end);
            self.pos = end;
        } else {
            self.out.errors.push(
                Diagnostic::new(
                    Code::E0001,
                    Span::new(start, start + 2),
                    "unterminated block comment",
                )
                .with_primary_label("comment opened here")
                .with_help("close it with `*/` (block comments do not nest)"),
            );
            self.pos = self.bytes.len();
        }
    }

    fn push_comment(&mut self, start: usize, end: usize) {
        let text = self.text[start..end].trim_end_matches('\r').to_string();
        let end = start + text.len();
        self.out.comments.push(Comment {
            text,
            span: Span::new(start, end),
        });
    }

    fn string(&mut self) {
        let start = self.pos;
        self.pos += 1;
        while let Some(byte) = self.peek(0) {
            match byte {
                b'"' => {
                    self.pos += 1;
                    return;
                }
                b'\n' => break,
                b'\\' => self.escape(),
                byte if byte < 0x20 && byte != b'\t' || byte == 0x7f => {
                    self.control_character(byte);
                }
                _ => self.pos += 1,
            }
        }
        let end = self.pos;
        self.out.errors.push(
            Diagnostic::new(Code::E0001, Span::new(start, end), "unterminated string")
                .with_primary_label("this string has no closing quote on its line")
                .with_help("strings end on the line they start; write a newline as `\\n`"),
        );
    }

    fn control_character(&mut self, byte: u8) {
        self.out.errors.push(
            Diagnostic::new(
                Code::E0001,
                Span::new(self.pos, self.pos + 1),
                format!("control character U+{byte:04X} inside a string"),
            )
            .with_primary_label("raw control character")
            .with_help("write it as an escape: `\\n`, `\\t`, `\\r` or `\\u{…}`"),
        );
        self.pos += 1;
    }

    fn escape(&mut self) {
        let start = self.pos;
        let valid_len = match self.peek(1) {
            Some(b'"' | b'\\' | b'n' | b't' | b'r') => Some(2),
            Some(b'u') => self.unicode_escape_len(),
            _ => None,
        };
        if let Some(len) = valid_len {
            self.pos += len;
            return;
        }
        let shown_end = super::next_char_boundary(self.text, (start + 2).min(self.bytes.len()));
        let shown_end = if self.peek(1) == Some(b'\n') {
            start + 1
        } else {
            shown_end
        };
        self.out.errors.push(
            Diagnostic::new(
                Code::E0001,
                Span::new(start, shown_end),
                format!("unknown escape `{}`", &self.text[start..shown_end]),
            )
            .with_primary_label("not an escape of the language")
            .with_help("the escapes are \\\" \\\\ \\n \\t \\r and \\u{1F600}"),
        );
        self.pos = shown_end.max(start + 1);
    }

    /// Length of a well-formed `\u{X…}` (1–6 hex digits) at `pos`, if it is one.
    fn unicode_escape_len(&self) -> Option<usize> {
        let rest = &self.bytes[self.pos + 2..];
        if rest.first() != Some(&b'{') {
            return None;
        }
        let digits = rest[1..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        let closed = rest.get(1 + digits) == Some(&b'}');
        ((1..=6).contains(&digits) && closed).then_some(2 + 1 + digits + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_all_comment_kinds() {
        let scan = scan("// a\n# b\nx /* c */ y");
        let texts: Vec<_> = scan.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["// a", "# b", "/* c */"]);
    }

    #[test]
    fn braces_in_strings_and_comments_do_not_nest() {
        let text = format!("\"{}\" // {}", "{".repeat(100), "[".repeat(100));
        assert!(scan(&text).too_deep.is_none());
    }

    #[test]
    fn nesting_over_the_limit_is_reported_at_the_opening_bracket() {
        let text = "[".repeat(MAX_DEPTH + 1);
        let diag = scan(&text).too_deep.expect("too deep");
        assert_eq!(diag.code, Code::E0002);
        assert_eq!(diag.primary.span, Span::new(MAX_DEPTH, MAX_DEPTH + 1));
        assert!(scan(&"[".repeat(MAX_DEPTH)).too_deep.is_none());
    }

    #[test]
    fn resume_points_are_top_level_block_heads() {
        let text = "stack \"a\" {\n  host = \"x\"\n}\nhost \"b\" {}\nhost = 1\nservicex \"c\" {}\n";
        assert_eq!(scan(text).resume_points, vec![0, 27]);
    }

    #[test]
    fn reports_lexical_errors_in_strings() {
        let errors = scan("a = \"x\\q\"\nb = \"open\n").errors;
        let messages: Vec<_> = errors.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["unknown escape `\\q`", "unterminated string"]);
        assert_eq!(errors[0].primary.span, Span::new(6, 8));
    }
}
