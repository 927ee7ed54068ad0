//! HCL strings that hold exactly the spec's value. hcl-rs escapes `${` itself,
//! but its marker escaping mishandles runs like `$${` (it drops a `$`), so the
//! emitters escape strings here and hand hcl-rs the finished quoted text.
//!
//! `${` and `%{` become `\u0024{` and `\u0025{`: HCL scans templates before it
//! processes escapes, so these are literals to `HashiCorp`'s parser, hcl-rs and
//! python-hcl2 alike (python-hcl2 rejects a `$${` without a closing brace).

use hcl::expr::{Expression, TemplateExpr};

/// A quoted HCL string expression whose value is exactly `value`.
pub fn string(value: &str) -> Expression {
    Expression::from(TemplateExpr::QuotedString(escape(value)))
}

/// A list of strings.
pub fn strings<'a>(values: impl IntoIterator<Item = &'a str>) -> Expression {
    Expression::Array(values.into_iter().map(string).collect())
}

/// The body of a quoted HCL string (without the quotes) for `value`.
pub fn escape(value: &str) -> String {
    if is_plain(value) {
        return value.to_string();
    }
    escape_each_char(value)
}

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
/// character, `${` or `%{` (one pass over the bytes; most values are plain).
pub fn is_plain(value: &str) -> bool {
    let bytes = value.as_bytes();
    let ascii_plain = bytes.iter().enumerate().all(|(at, &byte)| match byte {
        b'"' | b'\\' | 0..=0x1f | 0x7f => false,
        b'$' | b'%' => bytes.get(at + 1) != Some(&b'{'),
        _ => true,
    });
    ascii_plain && (value.is_ascii() || !value.chars().any(char::is_control))
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
    }

    /// Parses `x = <expr>` with hcl-rs and evaluates the string it holds.
    fn round_trip(value: &str) -> String {
        let body = hcl::Body::builder()
            .add_attribute(("x", string(value)))
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
            "$ alone % alone {}",
        ] {
            assert_eq!(round_trip(value), value, "{value:?}");
        }
    }
}
