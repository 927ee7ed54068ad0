//! The fast path: a hand-written recursive-descent parser of exactly the language
//! of `grammar/eos.pest`, for files that parse.
//!
//! The pest grammar defines the syntax and is the source of every syntax error
//! and of the recovery after one. Most files have no syntax error, and for them
//! this parser builds the same tree directly from the bytes, several times faster
//! than pest and without pest's token queue (which took two thirds of the peak
//! memory of `eosc check`). On the first thing it does not accept it gives up
//! (`None`), and `syntax::parse` runs pest on the file, which reports the error.
//!
//! So it may be stricter than the grammar but never looser: whenever it returns a
//! tree, that tree, with its spans and its literal diagnostics (unknown units, bad
//! `\u{…}`), is the one the pest path builds. `tests/parser_agreement.rs` and the
//! `parse_agree` fuzz target hold it to that. Each function below names the rule
//! it follows; keep them in step with the grammar.

use super::lower::{number_literal, range_literal, string_literal};
use super::scan::MAX_DEPTH;
use super::tree::{
    Attribute, Block, BlockLabel, Comment, Entry, Ident, IdentPath, Item, LabelValue, Value,
    ValueKind,
};
use crate::diag::Diagnostics;
use crate::span::Span;
use compact_str::CompactString;

/// What the fast path read: the blocks (or what the caller's sink made of them),
/// the comments, and the literal diagnostics.
pub(crate) struct Parsed<S> {
    pub(crate) sinks: Vec<S>,
    pub(crate) comments: Vec<Comment>,
    pub(crate) diags: Diagnostics,
}

/// Parses a whole file, or gives up on the first thing the grammar would not
/// accept (or that this parser does not handle).
///
/// It also does the lexical pre-pass's work (`scan.rs`) for a file that parses:
/// it collects the comments, and gives up on what the scanner would report (a
/// control character in a string, nesting deeper than [`MAX_DEPTH`]), so that a
/// file it takes needs no scan.
///
/// Each top-level block is handed to `visit` as soon as it is read, so that
/// the whole tree need never exist at once (`Vec::push` collects them). Each
/// run of blocks gets its own sink from `new_sink`: one, or one per piece of a
/// large file (read by two threads), in file order. Sinks of an attempt
/// that gave up are dropped. A file over the size limit is not read (the pest
/// path reports it). The literal diagnostics come back sorted.
pub(crate) fn parse_each<S: Send>(
    text: &str,
    new_sink: impl Fn() -> S + Sync,
    visit: impl Fn(&mut S, Block) + Sync,
) -> Option<Parsed<S>> {
    let mut parsed = read_runs(text, new_sink, visit)?;
    parsed.diags.sort();
    Some(parsed)
}

/// [`parse_each`] before sorting: the file in one run, or in pieces read by
/// two threads.
fn read_runs<S: Send>(
    text: &str,
    new_sink: impl Fn() -> S + Sync,
    visit: impl Fn(&mut S, Block) + Sync,
) -> Option<Parsed<S>> {
    if text.len() > super::MAX_FILE_SIZE {
        return None;
    }
    if text.len() >= PARALLEL_FROM {
        let cuts = split_points(text, PIECES);
        if !cuts.is_empty() {
            if let Some(parsed) = read_pieces(text, &cuts, &new_sink, &visit) {
                return Some(parsed);
            }
            // A cut fell inside something (a block comment, a nested block
            // that looks like a top-level one): read the file in one piece.
        }
    }
    parse_run(text, 0, text.len(), new_sink(), &visit)
}

/// Files from which pieces are parsed (and lowered) on two threads: from
/// about 500 services.
const PARALLEL_FROM: usize = 256 << 10;

/// Pieces a large file is cut into. Two threads take them one at a time, so
/// that a piece that reads slower (more to lower, fresh memory to touch) does
/// not leave the other thread idle at the end, as two halves did. With 16
/// pieces, one thread still finished 0–48 ms (median 13) before the other at
/// 100,000 services; with 32, 0–15 ms (median 2).
const PIECES: usize = 32;

/// The pieces between `cuts`, each read by whichever of two threads is free,
/// joined in file order; `None` when a piece does not parse.
fn read_pieces<S: Send>(
    text: &str,
    cuts: &[usize],
    new_sink: &(impl Fn() -> S + Sync),
    visit: &(impl Fn(&mut S, Block) + Sync),
) -> Option<Parsed<S>> {
    let bounds: Vec<(usize, usize)> = std::iter::once(0)
        .chain(cuts.iter().copied())
        .zip(cuts.iter().copied().chain(std::iter::once(text.len())))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take_pieces = || {
        let mut read = Vec::new();
        loop {
            let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&(start, end)) = bounds.get(index) else {
                return read;
            };
            let piece = parse_run(text, start, end, new_sink(), visit);
            let failed = piece.is_none();
            read.push((index, piece));
            if failed {
                // The file is read again in one piece: stop early.
                next.store(bounds.len(), std::sync::atomic::Ordering::Relaxed);
                return read;
            }
        }
    };
    let (mut pieces, other) = crate::parallel::both(take_pieces, take_pieces);
    pieces.extend(other);
    if pieces.len() != bounds.len() {
        return None;
    }
    pieces.sort_unstable_by_key(|&(index, _)| index);
    let mut all: Option<Parsed<S>> = None;
    for (_, piece) in pieces {
        let piece = piece?;
        match &mut all {
            None => all = Some(piece),
            Some(all) => {
                all.sinks.extend(piece.sinks);
                all.comments.extend(piece.comments);
                all.diags.extend(piece.diags);
            }
        }
    }
    all
}

/// Up to `pieces - 1` offsets, in order, near `len * i / pieces`: each the
/// start of a line that starts a top-level block (`service "…`). The file is
/// a run of blocks between two of them when each really is a top-level
/// block; [`read_pieces`] checks that every piece parses.
fn split_points(text: &str, pieces: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = Vec::with_capacity(pieces);
    for i in 1..pieces {
        let from = (text.len() * i / pieces).max(cuts.last().map_or(0, |&at| at + 1));
        if let Some(at) = block_start_from(text, from) {
            if cuts.last() != Some(&at) {
                cuts.push(at);
            }
        }
    }
    cuts
}

/// The first line after `from` that starts a top-level block.
fn block_start_from(text: &str, mut from: usize) -> Option<usize> {
    if from >= text.len() {
        return None;
    }
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let mut rest = text.get(from..)?;
    while let Some(newline) = rest.find('\n') {
        let line = &rest[newline + 1..];
        let at = text.len() - line.len();
        let head = ["service ", "host ", "route ", "stack "]
            .iter()
            .any(|kind| line.starts_with(kind));
        if head {
            return Some(at);
        }
        rest = line;
    }
    None
}

/// The blocks of `text[start..end]`, which must be whole blocks; spans are
/// offsets in `text`. (Also the error recovery's first try for each run of
/// blocks.)
pub(crate) fn parse_range(text: &str, start: usize, end: usize) -> Option<Parsed<Vec<Block>>> {
    parse_run(text, start, end, Vec::new(), &Vec::push)
}

/// The blocks of `text[start..end]`, each handed to `visit` with `sink`
/// (spans are offsets in `text`).
pub(crate) fn parse_run<S>(
    text: &str,
    start: usize,
    end: usize,
    mut sink: S,
    visit: &impl Fn(&mut S, Block),
) -> Option<Parsed<S>> {
    let text = &text[..end];
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: start,
        depth: 0,
        comments: Vec::new(),
        diags: Diagnostics::new(),
    };
    parser.file(|block| visit(&mut sink, block))?;
    Some(Parsed {
        sinks: vec![sink],
        comments: parser.comments,
        diags: parser.diags,
    })
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Open blocks, lists and objects: bounded like the scanner's limit, so the
    /// recursion is too, whatever the input.
    depth: usize,
    comments: Vec<Comment>,
    diags: Diagnostics,
}

/// `ident_char` of the grammar.
fn is_ident_char(byte: u8) -> bool {
    IDENT_CHARS[usize::from(byte)]
}

/// [`is_ident_char`] of each byte: one load per byte of the names that make
/// up most of a spec.
const IDENT_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        byte += 1;
    }
    table
};

/// `WHITESPACE` of the grammar.
fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// A byte that may not stand raw in a string: a control character other
/// than tab (the scanner's error).
fn is_string_control(byte: u8) -> bool {
    (byte < 0x20 && byte != b'\t') || byte == 0x7f
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.pos += 1)
    }

    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.pos)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// pest's implicit `WHITESPACE` and `COMMENT` between tokens. An unterminated
    /// block comment is not a comment: the grammar fails there.
    ///
    /// Called between any two tokens (several times per line), mostly over a
    /// space or a newline and an indent: the whitespace is skipped inline, and
    /// only a comment goes to [`Parser::comments`].
    #[inline]
    fn skip(&mut self) -> Option<()> {
        let bytes = self.bytes;
        let mut pos = self.pos;
        while let Some(&byte) = bytes.get(pos) {
            if is_whitespace(byte) {
                pos += 1;
            } else if matches!(byte, b'#' | b'/') {
                self.pos = pos;
                return self.comments();
            } else {
                break;
            }
        }
        self.pos = pos;
        Some(())
    }

    /// [`Parser::skip`] from a `#` or `/`: comments and the whitespace
    /// between and after them.
    #[cold]
    fn comments(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(byte) if is_whitespace(byte) => self.pos += 1,
                Some(b'#') => self.line_comment(),
                Some(b'/') if self.peek_at(1) == Some(b'/') => self.line_comment(),
                Some(b'/') if self.peek_at(1) == Some(b'*') => {
                    let start = self.pos;
                    let close = self.text[start + 2..].find("*/")?;
                    self.pos = start + 2 + close + 2;
                    self.push_comment(start);
                }
                _ => return Some(()),
            }
        }
    }

    /// `line_comment`: up to the newline, which is left for `WHITESPACE`.
    fn line_comment(&mut self) {
        let start = self.pos;
        self.pos = self.text[start..]
            .find('\n')
            .map_or(self.bytes.len(), |i| start + i);
        self.push_comment(start);
    }

    /// Keeps the comment that ends at `pos` for the formatter, as the scanner
    /// does (without a trailing `\r`).
    fn push_comment(&mut self, start: usize) {
        let text = self.text[start..self.pos].trim_end_matches('\r');
        self.comments.push(Comment {
            text: text.to_string(),
            span: Span::new(start, start + text.len()),
        });
    }

    /// `file = { SOI ~ block* ~ EOI }`, each block handed to `visit` once read.
    fn file(&mut self, mut visit: impl FnMut(Block)) -> Option<()> {
        self.skip()?;
        while self.pos < self.bytes.len() {
            visit(self.block()?);
            self.skip()?;
        }
        Some(())
    }

    /// `block = { ident ~ label? ~ block_open ~ (attribute | block)* ~ block_close }`
    fn block(&mut self) -> Option<Block> {
        let start = self.pos;
        let kind = self.ident()?;
        self.skip()?;
        let label = match self.peek() {
            Some(b'"' | b'0'..=b'9') => Some(self.label()?),
            _ => None,
        };
        self.skip()?;
        let open = Span::new(self.pos, self.pos + 1);
        let items = self.braced(Self::item)?;
        Some(Block {
            kind,
            label,
            items,
            open,
            span: self.span_from(start),
        })
    }

    /// `label = _{ string | integer }`, at a `"` or a digit.
    fn label(&mut self) -> Option<BlockLabel> {
        let start = self.pos;
        let value = if self.peek() == Some(b'"') {
            LabelValue::String(self.string()?)
        } else {
            self.digits();
            LabelValue::Integer(self.text[start..self.pos].into())
        };
        let span = self.span_from(start);
        Some(BlockLabel { value, span })
    }

    /// `attribute | block`: both start with a name; an `=` after it makes an
    /// attribute (`attribute = { ident ~ assign ~ value }`), anything else a block.
    fn item(&mut self) -> Option<Item> {
        let start = self.pos;
        let comments = self.comments.len();
        let name = self.ident()?;
        self.skip()?;
        if self.eat(b'=').is_none() {
            // Back to the name: the comments after it are read again, once.
            self.pos = start;
            self.comments.truncate(comments);
            return self.block().map(Item::Block);
        }
        self.skip()?;
        let value = self.value()?;
        Some(Item::Attribute(Attribute {
            name,
            value,
            span: self.span_from(start),
        }))
    }

    /// `ident = @{ (ASCII_ALPHA | "_") ~ ident_char* }`
    fn ident(&mut self) -> Option<Ident> {
        let start = self.pos;
        let rest = &self.bytes[start..];
        let (&first, after) = rest.split_first()?;
        if !is_ident_start(first) {
            return None;
        }
        let len = 1 + after
            .iter()
            .position(|&b| !is_ident_char(b))
            .unwrap_or(after.len());
        self.pos += len;
        Some(Ident {
            name: self.text[start..self.pos].into(),
            span: self.span_from(start),
        })
    }

    /// Moves past ASCII digits.
    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// `value = _{ string | boolean | range | number | list | object | reference }`,
    /// tried in that order as pest does.
    fn value(&mut self) -> Option<Value> {
        let start = self.pos;
        let kind = match self.peek()? {
            b'"' => ValueKind::String(self.string()?),
            b'0'..=b'9' => self.range_or_number(start),
            b'[' => self.list()?,
            b'{' => self.object()?,
            _ => match self.boolean() {
                Some(value) => ValueKind::Bool(value),
                None => ValueKind::Reference(self.reference()?),
            },
        };
        Some(Value {
            kind,
            span: self.span_from(start),
        })
    }

    /// `boolean = @{ ("true" | "false") ~ !ident_char }`
    fn boolean(&mut self) -> Option<bool> {
        let rest = &self.bytes[self.pos..];
        let (value, len) = if rest.starts_with(b"true") {
            (true, 4)
        } else if rest.starts_with(b"false") {
            (false, 5)
        } else {
            return None;
        };
        if rest.get(len).copied().is_some_and(is_ident_char) {
            return None;
        }
        self.pos += len;
        Some(value)
    }

    /// `range = ${ integer ~ ".." ~ integer }`, else
    /// `number = ${ decimal ~ unit? }` with
    /// `decimal = @{ ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT+)? }` and
    /// `unit = @{ (ASCII_ALPHA | "%")+ }`.
    fn range_or_number(&mut self, start: usize) -> ValueKind {
        let text = self.text;
        self.digits();
        let whole_end = self.pos;
        let after = &self.bytes[whole_end..];
        if after.starts_with(b"..") && after.get(2).is_some_and(u8::is_ascii_digit) {
            self.pos += 2;
            self.digits();
            let (low, high) = (&text[start..whole_end], &text[whole_end + 2..self.pos]);
            return range_literal(low, high, self.span_from(start), &mut self.diags);
        }
        if after.first() == Some(&b'.') && after.get(1).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
            self.digits();
        }
        let digits_end = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'%')
        {
            self.pos += 1;
        }
        let suffix = (self.pos > digits_end)
            .then(|| (&text[digits_end..self.pos], self.span_from(digits_end)));
        ValueKind::Number(number_literal(
            &text[start..digits_end],
            suffix,
            &mut self.diags,
        ))
    }

    /// `reference = ${ ident ~ ("." ~ ident)* }`
    fn reference(&mut self) -> Option<IdentPath> {
        let mut path = IdentPath::new();
        path.push(self.ident()?);
        while self.peek() == Some(b'.') && self.peek_at(1).is_some_and(is_ident_start) {
            self.pos += 1;
            path.push(self.ident()?);
        }
        Some(path)
    }

    /// `list = { list_open ~ (value ~ (comma ~ value)* ~ comma?)? ~ list_close }`
    fn list(&mut self) -> Option<ValueKind> {
        self.eat(b'[')?;
        self.enter()?;
        let mut items = Vec::new();
        self.skip()?;
        while self.eat(b']').is_none() {
            items.push(self.value()?);
            self.skip()?;
            if self.eat(b',').is_some() {
                self.skip()?;
            } else {
                self.eat(b']')?;
                break;
            }
        }
        self.leave();
        Some(ValueKind::List(items))
    }

    /// `object = { block_open ~ entry* ~ block_close }`
    fn object(&mut self) -> Option<ValueKind> {
        self.braced(Self::entry).map(ValueKind::Object)
    }

    /// `{ item* }` (a block body or an object), one nesting level deeper.
    fn braced<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.eat(b'{')?;
        self.enter()?;
        let mut items = Vec::new();
        loop {
            self.skip()?;
            if self.eat(b'}').is_some() {
                break;
            }
            items.push(item(self)?);
        }
        self.leave();
        Some(items)
    }

    /// `entry = { (ident | string) ~ assign ~ value }`
    fn entry(&mut self) -> Option<Entry> {
        let start = self.pos;
        let quoted_key = self.peek() == Some(b'"');
        let key = if quoted_key {
            self.string()?
        } else {
            self.ident()?.name
        };
        let key_span = self.span_from(start);
        self.skip()?;
        self.eat(b'=')?;
        self.skip()?;
        Some(Entry {
            key,
            key_span,
            quoted_key,
            value: self.value()?,
        })
    }

    /// `string = ${ "\"" ~ string_body ~ "\"" }`: a body of characters other than
    /// `"`, `\` and newline, and the escapes `\" \\ \n \t \r \u{1-6 hex digits}`.
    /// A raw control character other than tab is the scanner's error: give up.
    fn string(&mut self) -> Option<CompactString> {
        let start = self.pos;
        self.eat(b'"')?;
        let body_start = self.pos;
        let mut escaped = false;
        loop {
            let rest = &self.bytes[self.pos..];
            let offset = memchr::memchr2(b'"', b'\\', rest)?;
            // No early exit: the check of a whole run vectorises.
            let control = rest[..offset]
                .iter()
                .fold(false, |found, &b| found | is_string_control(b));
            if control {
                return None; // a newline or a control character
            }
            self.pos += offset;
            if self.bytes[self.pos] == b'"' {
                break;
            }
            self.escape()?;
            escaped = true;
        }
        let body = &self.text[body_start..self.pos];
        self.pos += 1;
        if !escaped {
            // Nothing to resolve, and no NUL (a control character).
            return Some(body.into());
        }
        Some(string_literal(body, self.span_from(start), &mut self.diags))
    }

    /// `escape = @{ "\\" ~ ("\"" | "\\" | "n" | "t" | "r" | unicode) }` with
    /// `unicode = _{ "u{" ~ ASCII_HEX_DIGIT{1, 6} ~ "}" }`.
    fn escape(&mut self) -> Option<()> {
        match self.peek_at(1)? {
            b'"' | b'\\' | b'n' | b't' | b'r' => self.pos += 2,
            b'u' if self.peek_at(2) == Some(b'{') => {
                let digits = self.bytes[self.pos + 3..]
                    .iter()
                    .take(7)
                    .take_while(|b| b.is_ascii_hexdigit())
                    .count();
                if !(1..=6).contains(&digits) || self.peek_at(3 + digits) != Some(b'}') {
                    return None;
                }
                self.pos += 3 + digits + 1;
            }
            _ => return None,
        }
        Some(())
    }
}
