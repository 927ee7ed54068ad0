//! HCL strings that hold exactly the spec's value: the body of a quoted
//! string, escaped here for every HCL artifact (`hcl_doc.rs` writes them).
//! hcl-rs, the tests' reference, escapes `${` itself, but its marker escaping
//! mishandles runs like `$${` (it drops a `$`); the tests hand it the finished
//! quoted text (`hcl_reference::string`).
//!
//! `${` and `%{` become `\u0024{` and `\u0025{`: HCL scans templates before it
//! processes escapes, so these are literals to `HashiCorp`'s parser, hcl-rs and
//! python-hcl2 alike (python-hcl2 rejects a `$${` without a closing brace).

use super::plain_run::plain_prefix;

/// The body of a quoted HCL string (without the quotes) for `value`.
pub fn escape(value: &str) -> String {
    if is_plain(value) {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 16);
    escape_into(&mut out, value);
    out
}

/// Appends [`escape`]`(value)` to `out`, copying the runs between escapes whole.
pub fn escape_into(out: &mut String, value: &str) {
    let bytes = value.as_bytes();
    let mut copied = 0;
    let mut at = 0;
    loop {
        at += plain_prefix(&bytes[at..], SPECIAL);
        let Some(&byte) = bytes.get(at) else { break };
        let (escape, width) = match byte {
            b'"' => (Escape::Text("\\\""), 1),
            b'\\' => (Escape::Text("\\\\"), 1),
            b'\n' => (Escape::Text("\\n"), 1),
            b'\r' => (Escape::Text("\\r"), 1),
            b'\t' => (Escape::Text("\\t"), 1),
            b'$' if bytes.get(at + 1) == Some(&b'{') => (Escape::Text("\\u0024"), 1),
            b'%' if bytes.get(at + 1) == Some(&b'{') => (Escape::Text("\\u0025"), 1),
            control @ (0..=0x1f | 0x7f) => (Escape::Control(control), 1),
            // U+0080..U+009F, the C1 controls: 0xC2 then the code point's own byte.
            0xc2 if matches!(bytes.get(at + 1), Some(0x80..=0x9f)) => {
                (Escape::Control(bytes[at + 1]), 2)
            }
            // A lone `$` or `%`, or any other non-ASCII byte: itself.
            _ => {
                at += 1;
                continue;
            }
        };
        out.push_str(&value[copied..at]);
        match escape {
            Escape::Text(text) => out.push_str(text),
            Escape::Control(code) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(code >> 4)]));
                out.push(char::from(HEX[usize::from(code & 0xf)]));
            }
        }
        at += width;
        copied = at;
    }
    out.push_str(&value[copied..]);
}

/// The printable ASCII bytes that may need an escape.
const SPECIAL: [u8; 4] = *b"\"\\$%";

enum Escape {
    Text(&'static str),
    /// A control character below U+0100, written `\u00xx`.
    Control(u8),
}

/// The reference: one character at a time (the property test holds
/// [`escape_into`] to it).
#[cfg(test)]
fn escape_each_char(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push_str(if c == '$' { "\\u0024" } else { "\\u0025" });
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Whether `value` is its own string body: no quote, backslash, control
/// character, `${` or `%{` (most values are plain).
pub fn is_plain(value: &str) -> bool {
    let bytes = value.as_bytes();
    let mut at = 0;
    loop {
        at += plain_prefix(&bytes[at..], SPECIAL);
        match bytes.get(at) {
            None => return true,
            Some(b'$' | b'%') if bytes.get(at + 1) != Some(&b'{') => at += 1,
            Some(0xc2) if matches!(bytes.get(at + 1), Some(0x80..=0x9f)) => return false,
            Some(0x80..=0xff) => at += 1,
            Some(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The one-pass check is exactly "escaping changes nothing".
        #[test]
        fn plain_is_what_escaping_leaves_unchanged(value in "([a-z$%{}\"\\\\\n\t\u{1}\u{85}é ]){0,12}") {
            prop_assert_eq!(is_plain(&value), escape_each_char(&value) == value);
        }

        /// Escaping whole runs gives the text of escaping one character at a time.
        #[test]
        fn escaping_runs_matches_escaping_each_char(value in "([a-z$%{}\"\\\\\n\r\t\u{0}-\u{1f}\u{7f}-\u{a0}é€😀 ]){0,24}") {
            let mut out = String::from("kept:");
            escape_into(&mut out, &value);
            prop_assert_eq!(&out["kept:".len()..], escape_each_char(&value));
            prop_assert_eq!(escape(&value), escape_each_char(&value));
        }
    }

    /// Parses `x = <expr>` with hcl-rs and evaluates the string it holds.
    fn round_trip(value: &str) -> String {
        let body = hcl::Body::builder()
            .add_attribute(("x", crate::emit::hcl_reference::string(value)))
            .build();
        let text = hcl::format::to_string(&body).unwrap();
        let parsed: hcl::Body = hcl::parse(&text).unwrap();
        let expr = parsed.attributes().next().unwrap().expr.clone();
        let ctx = hcl::eval::Context::new();
        match hcl::eval::Evaluate::evaluate(&expr, &ctx) {
            Ok(hcl::Value::String(s)) => s,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn hostile_strings_round_trip_through_hcl_rs() {
        for value in [
            "plain",
            "quote \" and backslash \\",
            "${var.secret}",
            "%{ if true }x%{ endif }",
            "$${already}",
            "${",
            "%{",
            "a$${b",
            "line\nbreak\ttab\rcr",
            "unicode é 😀 ☃",
            "bell \u{7} del \u{7f}",
            "C1 \u{80} \u{9f} and not \u{a0}",
            "$ alone % alone {}",
        ] {
            assert_eq!(round_trip(value), value, "{value:?}");
        }
    }
}
