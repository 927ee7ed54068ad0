//! Secret values never reach the screen: before a diagnostic shows source lines,
//! the values of `env` entries whose names look like secrets (the E0501 rule)
//! are masked in the text it is rendered from — those the parse found, and
//! those a scan of the tokens finds ([`lexical_secret_spans`]), which no
//! syntax error or misspelling can hide. Messages that quote such a value
//! are masked too (`render`).

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::span::Span;
use crate::syntax::{Block, Document, Item, ValueKind};

/// Words in an environment variable name that mark its value as a secret.
pub const SECRET_WORDS: [&str; 4] = ["PASSWORD", "SECRET", "TOKEN", "KEY"];

/// The secret word a variable name contains, if any (any case); of two, the
/// one first in [`SECRET_WORDS`].
///
/// One pass over the name (it runs for every `env` key of a stack, twice): the
/// words start with four different letters, so only an offset holding one of
/// them is compared further.
pub fn secret_word(name: &str) -> Option<&'static str> {
    let bytes = name.as_bytes();
    let mut first: Option<usize> = None;
    for (at, byte) in bytes.iter().enumerate() {
        let upper = byte.to_ascii_uppercase();
        let Some(index) = SECRET_WORDS.iter().position(|w| w.as_bytes()[0] == upper) else {
            continue;
        };
        if first.is_some_and(|earlier| earlier <= index) {
            continue;
        }
        let word = SECRET_WORDS[index].as_bytes();
        if bytes
            .get(at..at + word.len())
            .is_some_and(|here| here.eq_ignore_ascii_case(word))
        {
            first = Some(index);
        }
    }
    first.map(|index| SECRET_WORDS[index])
}

/// Spans of every value that must not be shown: values of secret-looking keys
/// in `env` objects, anywhere in the document.
pub fn secret_spans(document: &Document) -> Vec<Span> {
    let mut spans = Vec::new();
    for block in &document.blocks {
        collect(block, &mut spans);
    }
    spans
}

/// [`secret_spans`] of one block (and its nested blocks), added to `spans`.
pub fn collect(block: &Block, spans: &mut Vec<Span>) {
    for item in &block.items {
        match item {
            Item::Block(nested) => collect(nested, spans),
            Item::Attribute(attribute)
                if attribute.name.name == "env" && block.kind.name == "service" =>
            {
                if let ValueKind::Object(entries) = &attribute.value.kind {
                    spans.extend(
                        entries
                            .iter()
                            .filter(|e| secret_word(&e.key).is_some())
                            .map(|e| e.value.span),
                    );
                }
            }
            Item::Attribute(_) => {}
        }
    }
}

/// Spans of every value that stands after a secret-looking key, found from
/// the tokens alone, so that no syntax error, misspelt attribute or block, or
/// value of the wrong shape can hide one: a string or word after a key (a
/// word or a string) holding a secret word, with `=` or `:` between or not;
/// and in a string `KEY=value` (an `env` written as a list), the value. An
/// unterminated string runs to the end of its line.
///
/// Only the lines around a secret word are read token by token (see
/// [`token_scan`]): a warning on a 50 MB stack scans its text in tens of
/// milliseconds, not seconds.
pub fn lexical_secret_spans(text: &str) -> Vec<Span> {
    let mut spans = token_scan(text);
    spans.extend(assignments_in_raw_text(text));
    spans
}

/// The token half of [`lexical_secret_spans`]: what [`Scan`] finds over
/// every token of `text`, in order, reading only from the start of the line
/// of each secret word, until past it and the scan is back at rest.
///
/// That is exact because the scan leaves its rest only at a token holding a
/// secret word (one the [`secret_finder`] finds), so the tokens skipped while
/// at rest change nothing; and because every line start whose newline does
/// not follow a backslash is a token boundary: a string ends at its line's
/// end unless an escape takes the newline.
fn token_scan(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut scan = Scan::default();
    let mut tokens = Tokens::new(text);
    each_secret_word(text, |start, end| {
        if start < tokens.at {
            return;
        }
        if scan.at_rest() {
            tokens.at = line_start(bytes, tokens.at, start);
        }
        while tokens.at < end {
            let Some(token) = tokens.next() else { break };
            scan.token(text, &token, &mut spans);
        }
    });
    while !scan.at_rest() {
        let Some(token) = tokens.next() else { break };
        scan.token(text, &token, &mut spans);
    }
    spans.extend(scan.value);
    spans
}

/// The start of the line holding `at`, or `floor` if that is later: the last
/// newline before `at` that no backslash precedes.
fn line_start(bytes: &[u8], floor: usize, at: usize) -> usize {
    bytes[floor..at]
        .iter()
        .enumerate()
        .rev()
        .find(|&(i, &byte)| byte == b'\n' && (floor + i == 0 || bytes[floor + i - 1] != b'\\'))
        .map_or(floor, |(i, _)| floor + i + 1)
}

/// The token scan's state between two tokens.
#[derive(Default)]
struct Scan {
    /// After a secret-looking key: still skipping `=` and `:`.
    after_key: bool,
    /// Whether one was skipped.
    assigned: bool,
    /// A value found right after a key, kept until the next token shows it is
    /// not a block's label (`secret "registry" {` is a kind and a label, not a
    /// key and value; with `=` between, it is a value whatever follows).
    value: Option<Span>,
}

impl Scan {
    /// At rest: only a token holding a secret word changes that.
    fn at_rest(&self) -> bool {
        !self.after_key && self.value.is_none()
    }

    fn token(&mut self, text: &str, token: &Token, spans: &mut Vec<Span>) {
        let word = &text[token.inner.start()..token.inner.end()];
        let punct = token.kind == TokenKind::Punct;
        if let Some(found) = self.value.take() {
            if !(punct && word == "{") {
                spans.push(found);
            }
        }
        if self.after_key {
            if punct && matches!(word, "=" | ":") {
                self.assigned = true;
                return;
            }
            self.after_key = false;
            if !punct {
                if self.assigned {
                    spans.push(token.inner);
                } else if token.kind == TokenKind::Str {
                    // (a bare word after a key word is prose: "a secret block")
                    self.value = Some(token.inner);
                }
                return;
            }
        }
        self.assigned = false;
        if token.kind == TokenKind::Str {
            if let Some(equals) = word.find('=') {
                if secret_word(&word[..equals]).is_some() {
                    spans.push(Span::new(
                        token.inner.start() + equals + 1,
                        token.inner.end(),
                    ));
                }
            }
        }
        self.after_key = !punct && secret_word(word).is_some();
    }
}

/// Calls `found(start, end)` for each of the [`SECRET_WORDS`] in `text`, in
/// any case, left to right, none overlapping the one before (no two of them
/// start with the same letter, so at most one starts at any offset).
///
/// The text is lowered a piece at a time into a small buffer, where a
/// case-sensitive search of the four words runs at memory speed (a
/// case-insensitive automaton reads one byte at a time).
fn each_secret_word(text: &str, found: impl FnMut(usize, usize)) {
    each_secret_word_by(text, 64 << 10, found);
}

/// [`each_secret_word`], lowering `piece` bytes at a time.
fn each_secret_word_by(text: &str, piece: usize, mut found: impl FnMut(usize, usize)) {
    let reach = SECRET_WORDS.iter().map(|w| w.len()).max().unwrap_or(0);
    let bytes = text.as_bytes();
    let mut lowered = Vec::with_capacity(piece + reach);
    let mut from = 0;
    while from < bytes.len() {
        let end = (from + piece).min(bytes.len());
        lowered.clear();
        lowered.extend(
            bytes[from..(end + reach).min(bytes.len())]
                .iter()
                .map(u8::to_ascii_lowercase),
        );
        let mut next = end;
        for word in secret_finder().find_iter(&lowered) {
            if from + word.start() >= end {
                break;
            }
            found(from + word.start(), from + word.end());
            next = next.max(from + word.end());
        }
        from = next;
    }
}

fn secret_finder() -> &'static AhoCorasick {
    static FINDER: OnceLock<AhoCorasick> = OnceLock::new();
    FINDER.get_or_init(|| {
        let lowered = SECRET_WORDS.map(str::to_ascii_lowercase);
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(lowered)
            .expect("four literal words make an automaton")
    })
}

/// `KEY = value` and `KEY: value` with a secret-looking KEY anywhere in the
/// raw text, strings or not: the value (up to its closing quote, or the end
/// of a bare word) — whatever a stray quote earlier on the line made of the
/// tokens around it.
fn assignments_in_raw_text(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut at = 0;
    each_secret_word(text, |start, end| {
        // A word that starts inside the key before `at` ends inside it too.
        if start < at {
            return;
        }
        at = end;
        while at < bytes.len()
            && (bytes[at].is_ascii_alphanumeric() || matches!(bytes[at], b'_' | b'-'))
        {
            at += 1;
        }
        spans.extend(value_assigned_after(bytes, at));
    });
    spans
}

/// The value of `= value` or `: value` right after a key ending at `key_end`
/// (inside its quotes, or a bare word), if one stands there.
fn value_assigned_after(bytes: &[u8], key_end: usize) -> Option<Span> {
    let skip_spaces = |mut i: usize| {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        i
    };
    let after = skip_spaces(key_end);
    if !matches!(bytes.get(after), Some(b'=' | b':')) {
        return None;
    }
    let mut start = skip_spaces(after + 1);
    let quoted = bytes.get(start) == Some(&b'"');
    if quoted {
        start += 1;
    }
    let mut stop = start;
    while stop < bytes.len() {
        let byte = bytes[stop];
        let ends = if quoted {
            byte == b'"' || byte == b'\n'
        } else {
            byte.is_ascii_whitespace() || matches!(byte, b',' | b']' | b'}' | b'"')
        };
        if ends {
            break;
        }
        stop += if quoted && byte == b'\\' { 2 } else { 1 };
    }
    let stop = stop.min(bytes.len());
    (stop > start).then(|| Span::new(start, stop))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Word,
    Str,
    Punct,
}

/// A token of the scan: its kind and its text (inside the quotes, for a string).
#[derive(Debug)]
struct Token {
    kind: TokenKind,
    inner: Span,
}

/// Words, strings and single punctuation characters, one at a time;
/// whitespace is skipped. Knows nothing of the grammar — not even comments,
/// which an unclosed `/*` would stretch over the rest of the file — so that it
/// reads a broken file as well as a good one.
struct Tokens<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Tokens<'t> {
    fn new(text: &'t str) -> Self {
        Self { text, at: 0 }
    }
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() {
            let (start, byte) = (self.at, bytes[self.at]);
            if byte.is_ascii_whitespace() {
                self.at += 1;
            } else if byte == b'"' {
                self.at = string_end(bytes, start + 1);
                let closed = self.at > start + 1 && bytes[self.at - 1] == b'"';
                let inner_end = if closed { self.at - 1 } else { self.at };
                return Some(Token {
                    kind: TokenKind::Str,
                    inner: Span::new(start + 1, inner_end.max(start + 1)),
                });
            } else if byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80 {
                while self.at < bytes.len() && is_word_byte(bytes[self.at]) {
                    self.at += 1;
                }
                return Some(Token {
                    kind: TokenKind::Word,
                    inner: Span::new(start, self.at),
                });
            } else {
                self.at += 1;
                return Some(Token {
                    kind: TokenKind::Punct,
                    inner: Span::new(start, self.at),
                });
            }
        }
        None
    }
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.') || byte >= 0x80
}

/// The offset after a string's closing quote (from just after its opening
/// one), or the end of the line when it has none.
fn string_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            b'\n' => return at,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// `text` with every byte inside `spans` replaced by `*`, except the quotes of
/// a string. Byte offsets are unchanged, so spans still point at the same places.
pub fn mask(text: &str, spans: &[Span]) -> String {
    if spans.is_empty() {
        return text.to_string();
    }
    let mut bytes = text.as_bytes().to_vec();
    for span in spans {
        let (mut start, mut end) = (span.start().min(bytes.len()), span.end().min(bytes.len()));
        if end > start + 1 && bytes[start] == b'"' && bytes[end - 1] == b'"' {
            start += 1;
            end -= 1;
        }
        for byte in &mut bytes[start..end] {
            *byte = b'*';
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference of [`token_scan`]: the scan over every token.
    fn token_scan_of_every_token(text: &str) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut scan = Scan::default();
        for token in Tokens::new(text) {
            scan.token(text, &token, &mut spans);
        }
        spans.extend(scan.value);
        spans
    }

    /// The reference of [`assignments_in_raw_text`]'s search: every offset
    /// where a secret word starts, tried one byte at a time.
    fn secret_word_starts(text: &str) -> Vec<(usize, usize)> {
        let bytes = text.as_bytes();
        let mut starts = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            match SECRET_WORDS.iter().find(|w| {
                bytes.len() - at >= w.len()
                    && bytes[at..at + w.len()].eq_ignore_ascii_case(w.as_bytes())
            }) {
                Some(word) => {
                    starts.push((at, at + word.len()));
                    at += word.len();
                }
                None => at += 1,
            }
        }
        starts
    }

    /// The reference of [`assignments_in_raw_text`]: a secret word tried at
    /// each offset, from the end of the last key.
    fn assignments_one_byte_at_a_time(text: &str) -> Vec<Span> {
        let bytes = text.as_bytes();
        let mut spans = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let Some(word) = SECRET_WORDS.iter().find(|w| {
                bytes.len() - at >= w.len()
                    && bytes[at..at + w.len()].eq_ignore_ascii_case(w.as_bytes())
            }) else {
                at += 1;
                continue;
            };
            at += word.len();
            while at < bytes.len()
                && (bytes[at].is_ascii_alphanumeric() || matches!(bytes[at], b'_' | b'-'))
            {
                at += 1;
            }
            spans.extend(value_assigned_after(bytes, at));
        }
        spans
    }

    /// Texts made of what moves the scan: secret words in any case, keys,
    /// `=` and `:`, quotes, backslashes, newlines, braces, words, non-ASCII.
    fn scan_texts() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "password",
            "KEY",
            "tOkEn",
            "Secret",
            "DB_PASSWORD",
            "api_key",
            "=",
            ":",
            "\"",
            "\\",
            "\n",
            "\r\n",
            " ",
            "  ",
            "{",
            "}",
            "[",
            "]",
            ",",
            "env",
            "x",
            "value",
            "é",
            "#",
            "//",
            "/*",
            "*/",
            "\"KEY=v\"",
            "secret \"label\" {",
            "\\\n",
            "\"",
        ]);
        prop::collection::vec(pieces, 0..60).prop_map(|pieces| pieces.concat())
    }

    /// The reference of [`secret_word`]: each word searched for in turn.
    fn secret_word_each_in_turn(name: &str) -> Option<&'static str> {
        let name = name.as_bytes();
        SECRET_WORDS.iter().copied().find(|word| {
            name.windows(word.len())
                .any(|window| window.eq_ignore_ascii_case(word.as_bytes()))
        })
    }

    #[test]
    fn secret_word_prefers_the_earlier_word_of_the_list() {
        assert_eq!(secret_word("API_TOKEN_PASSWORD"), Some("PASSWORD"));
        assert_eq!(secret_word("key_secret"), Some("SECRET"));
        assert_eq!(secret_word("monkey"), Some("KEY"));
        assert_eq!(secret_word("PASSWOR_SECRE_TOKE_KE"), None);
        assert_eq!(secret_word(""), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn secret_word_is_the_word_by_word_search(
            name in "([pPsStTkK]|PASSWORD|password|SECRET|Secret|TOKEN|token|KEY|kEy|_|A|é){0,12}"
        ) {
            prop_assert_eq!(secret_word(&name), secret_word_each_in_turn(&name));
        }

        #[test]
        fn reading_only_around_secret_words_finds_what_reading_every_token_finds(text in scan_texts()) {
            prop_assert_eq!(token_scan(&text), token_scan_of_every_token(&text));
        }

        #[test]
        fn raw_assignments_are_those_a_search_at_every_offset_finds(text in scan_texts()) {
            prop_assert_eq!(assignments_in_raw_text(&text), assignments_one_byte_at_a_time(&text));
        }

        #[test]
        fn the_secret_finder_finds_every_word_the_byte_search_finds(
            text in scan_texts(),
            piece in 1usize..20,
        ) {
            let expected = secret_word_starts(&text);
            let mut found = Vec::new();
            each_secret_word(&text, |start, end| found.push((start, end)));
            prop_assert_eq!(&found, &expected);
            // Words across the pieces the text is lowered in are found too.
            found.clear();
            each_secret_word_by(&text, piece, |start, end| found.push((start, end)));
            prop_assert_eq!(found, expected);
        }
    }

    #[test]
    fn a_value_lines_after_its_key_and_an_escaped_newline_are_read_as_a_whole_scan_reads_them() {
        for text in [
            "x\nDB_PASSWORD =\n\n\n  \"far\"\nnext",
            "a = \"open \\\nTOKEN = \"in\" still\"\nKEY = out",
            "\"unterminated KEY\nsecret = v",
        ] {
            assert_eq!(
                token_scan(text),
                token_scan_of_every_token(text),
                "{text:?}"
            );
        }
        let text = "x\nDB_PASSWORD =\n\n\n  \"far\"\nnext";
        assert_eq!(texts(text, &token_scan(text)), ["far"]);
    }

    /// The text each span covers.
    fn texts<'t>(text: &'t str, spans: &[Span]) -> Vec<&'t str> {
        spans.iter().map(|s| &text[s.start()..s.end()]).collect()
    }

    #[test]
    fn secret_values_are_masked_in_place() {
        let text = "service \"a\" {\n  env = { DB_PASSWORD = \"hünter2\" LOG = \"info\" }\n}\n";
        let (document, _) = crate::syntax::parse(text);
        let masked = mask(text, &secret_spans(&document));
        assert!(!masked.contains("hünter2"));
        assert!(masked.contains("DB_PASSWORD = \"********\""));
        assert!(masked.contains("LOG = \"info\""));
        assert_eq!(masked.len(), text.len());
    }

    #[test]
    fn the_token_scan_finds_values_after_secret_keys_wherever_they_stand() {
        // prose in a comment is not a key and a value
        assert!(lexical_secret_spans("// reached through a secret block").is_empty());
        let text = "evn = { DB_PASSWORD = \"a1\" }\nx = [\"API_TOKEN=b2\", \"LOG=c\"]\nSECRET: \"d3\nnext\n\"db_key\" \"e4\" /* KEY = \"in a comment\" */ servce_key = word\nsecret \"label\" { path = \"kv/x\" }";
        let found = texts(text, &lexical_secret_spans(text));
        assert!(
            ["a1", "b2", "d3", "e4", "in a comment", "word"]
                .iter()
                .all(|v| found.contains(v)),
            "{found:?}"
        );
        // A stray quote earlier on the line does not hide `KEY = "value"`.
        let text = "x \"\u{1b} { env = [ DB_PASSWORD = \"hidden\" ] }";
        let found = texts(text, &lexical_secret_spans(text));
        assert!(found.contains(&"hidden"), "{found:?}");
    }
}
