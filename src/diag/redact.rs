//! Secret values never reach the screen: before a diagnostic shows source lines,
//! the values of `env` entries whose names look like secrets (the E0501 rule)
//! are masked in the text it is rendered from.

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

/// `text` with every byte inside `spans` replaced by `*`, except the quotes of
/// a string. Byte offsets are unchanged, so spans still point at the same places.
pub fn mask(text: &str, spans: &[Span]) -> String {
    if spans.is_empty() {
        return text.to_string();
    }
    let mut bytes = text.as_bytes().to_vec();
    for span in spans {
        let (mut start, mut end) = (span.start.min(bytes.len()), span.end.min(bytes.len()));
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
}
