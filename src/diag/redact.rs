//! Secret values never reach the screen: before a diagnostic shows source lines,
//! the values of `env` entries whose names look like secrets (the E0501 rule)
//! are masked in the text it is rendered from — those the parse found, and
//! those a scan of the tokens finds ([`lexical_secret_spans`]), which no
//! syntax error or misspelling can hide. Messages that quote such a value
//! are masked too (`render`).

use crate::span::Span;
use crate::syntax::{Block, Document, Item, ValueKind};

/// Words in an environment variable name that mark its value as a secret.
pub const SECRET_WORDS: [&str; 4] = ["PASSWORD", "SECRET", "TOKEN", "KEY"];

/// The secret word a variable name contains, if any (any case).
pub fn secret_word(name: &str) -> Option<&'static str> {
    let name = name.as_bytes();
    SECRET_WORDS.iter().copied().find(|word| {
        name.windows(word.len())
            .any(|window| window.eq_ignore_ascii_case(word.as_bytes()))
    })
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
pub fn lexical_secret_spans(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    // After a secret-looking key: still skipping `=` and `:` (and whether
    // one was skipped).
    let mut after_key = false;
    let mut assigned = false;
    // A value found right after a key, kept until the next token shows it is
    // not a block's label (`secret "registry" {` is a kind and a label, not a
    // key and value; with `=` between, it is a value whatever follows).
    let mut value: Option<Span> = None;
    for token in Tokens::new(text) {
        let word = &text[token.inner.start()..token.inner.end()];
        let punct = token.kind == TokenKind::Punct;
        if let Some(found) = value.take() {
            if !(punct && word == "{") {
                spans.push(found);
            }
        }
        if after_key {
            if punct && matches!(word, "=" | ":") {
                assigned = true;
                continue;
            }
            after_key = false;
            if !punct {
                if assigned {
                    spans.push(token.inner);
                } else if token.kind == TokenKind::Str {
                    // (a bare word after a key word is prose: "a secret block")
                    value = Some(token.inner);
                }
                continue;
            }
        }
        assigned = false;
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
        after_key = !punct && secret_word(word).is_some();
    }
    spans.extend(value);
    spans.extend(assignments_in_raw_text(text));
    spans
}

/// `KEY = value` and `KEY: value` with a secret-looking KEY anywhere in the
/// raw text, strings or not: the value (up to its closing quote, or the end
/// of a bare word) — whatever a stray quote earlier on the line made of the
/// tokens around it.
fn assignments_in_raw_text(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let Some(word) = SECRET_WORDS.iter().find(|w| {
            bytes[at..].len() >= w.len()
                && bytes[at..at + w.len()].eq_ignore_ascii_case(w.as_bytes())
        }) else {
            at += 1;
            continue;
        };
        let mut end = at + word.len();
        while end < bytes.len()
            && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'_' | b'-'))
        {
            end += 1;
        }
        at = end;
        let skip_spaces = |mut i: usize| {
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                i += 1;
            }
            i
        };
        let after = skip_spaces(end);
        if !matches!(bytes.get(after), Some(b'=' | b':')) {
            continue;
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
        if stop > start {
            spans.push(Span::new(start, stop));
        }
    }
    spans
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
        let found: Vec<&str> = lexical_secret_spans(text)
            .iter()
            .map(|s| &text[s.start()..s.end()])
            .collect();
        assert!(
            ["a1", "b2", "d3", "e4", "in a comment", "word"]
                .iter()
                .all(|v| found.contains(v)),
            "{found:?}"
        );
        // A stray quote earlier on the line does not hide `KEY = "value"`.
        let text = "x \"\u{1b} { env = [ DB_PASSWORD = \"hidden\" ] }";
        let found: Vec<&str> = lexical_secret_spans(text)
            .iter()
            .map(|s| &text[s.start()..s.end()])
            .collect();
        assert!(found.contains(&"hidden"), "{found:?}");
    }
}
