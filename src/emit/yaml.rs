//! YAML for Salt: block structure, every string double-quoted with only the
//! escapes every YAML 1.1 loader accepts. No value is ever read as a boolean,
//! number, anchor, tag or comment, and Salt's Jinja pass is turned off with a
//! `#!yaml` first line by the Salt emitter.

use std::fmt::Write as _;

use serde_json::Value;

/// A double-quoted YAML scalar holding exactly `value`.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    quote_into(&mut out, value);
    out
}

/// Appends [`quote`]`(value)` to `out`.
pub fn quote_into(out: &mut String, value: &str) {
    out.push('"');
    let mut rest = value;
    while !rest.is_empty() {
        // Copy the longest run that needs no escape in one go.
        let plain = rest
            .bytes()
            .position(|b| !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\')
            .unwrap_or(rest.len());
        out.push_str(&rest[..plain]);
        rest = &rest[plain..];
        let Some(c) = rest.chars().next() else { break };
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push('"');
}

/// Characters outside YAML's printable set, and the line/paragraph separators
/// and BOM that loaders treat specially.
fn needs_escape(c: char) -> bool {
    let code = c as u32;
    code < 0x20
        || (0x7F..=0x9F).contains(&code)
        || matches!(code, 0x2028 | 0x2029 | 0xFEFF | 0xFFFE | 0xFFFF)
}

/// Renders a JSON value as block YAML: mappings and sequences indented by two,
/// strings quoted by [`quote`], keys too. Empty collections are `{}` / `[]`.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0, Context::Top);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Appends `key: value` as an entry of a block mapping indented `level` times:
/// the same text `to_string` writes for that entry of a larger mapping.
pub fn write_entry(out: &mut String, level: usize, key: &str, value: &Value) {
    indent(out, level);
    quote_into(out, key);
    out.push(':');
    write_value(out, value, level + 1, Context::MapValue);
}

/// Appends `- key: value`, a sequence item holding a one-entry mapping, indented
/// `level` times (Salt's argument lists are made of them).
pub fn write_single_entry_item(out: &mut String, level: usize, key: &str, value: &Value) {
    indent(out, level);
    out.push_str("- ");
    quote_into(out, key);
    out.push(':');
    write_value(out, value, level + 2, Context::MapValue);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Top,
    /// After `key:` — a scalar follows on the same line, a collection below.
    MapValue,
    /// After `- ` — a mapping starts on the same line.
    ListItem,
}

/// Writes `value` if it is written on one line; false for a non-empty collection.
fn write_scalar(out: &mut String, value: &Value) -> bool {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => quote_into(out, s),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Object(o) if o.is_empty() => out.push_str("{}"),
        _ => return false,
    }
    true
}

fn is_scalar(value: &Value) -> bool {
    match value {
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => true,
    }
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_value(out: &mut String, value: &Value, level: usize, context: Context) {
    if is_scalar(value) {
        if context == Context::MapValue {
            out.push(' ');
        }
        write_scalar(out, value);
        out.push('\n');
        return;
    }
    match value {
        Value::Object(map) => {
            if context == Context::MapValue {
                out.push('\n');
            }
            for (i, (key, item)) in map.iter().enumerate() {
                if !(i == 0 && context == Context::ListItem) {
                    indent(out, level);
                }
                quote_into(out, key);
                out.push(':');
                write_value(out, item, level + 1, Context::MapValue);
            }
        }
        Value::Array(items) => {
            if context == Context::MapValue {
                out.push('\n');
            }
            for item in items {
                indent(out, level);
                out.push_str("- ");
                match item {
                    Value::Object(map) if !map.is_empty() => {
                        write_value(out, item, level + 1, Context::ListItem);
                    }
                    Value::Array(inner) if !inner.is_empty() => {
                        out.push('\n');
                        write_value(out, item, level + 1, Context::Top);
                    }
                    _ => {
                        write_scalar(out, item);
                        out.push('\n');
                    }
                }
            }
        }
        _ => unreachable!("scalars handled above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_layout() {
        let value = json!({
            "eos-vault-service": {
                "service.running": [
                    {"name": "vault"},
                    {"enable": true},
                    {"watch": [{"file": "eos-vault-config"}]},
                ]
            },
            "empty": {}
        });
        assert_eq!(
            to_string(&value),
            "\"eos-vault-service\":\n  \"service.running\":\n    - \"name\": \"vault\"\n    - \"enable\": true\n    - \"watch\":\n        - \"file\": \"eos-vault-config\"\n\"empty\": {}\n"
        );
    }

    #[test]
    fn quoting_escapes_what_yaml_loaders_reject() {
        assert_eq!(quote("on"), "\"on\"");
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quote("\u{7f}\u{85}\u{feff}"), "\"\\u007F\\u0085\\uFEFF\"");
        assert_eq!(quote("😀 é"), "\"😀 é\"");
        assert_eq!(quote("a\u{2028}b\té\"x"), "\"a\\u2028b\\té\\\"x\"");
    }

    #[test]
    fn entries_are_written_as_in_a_larger_mapping() {
        let value = json!({"k": [{"name": "v"}, {"list": [1, "two"]}]});
        let mut out = String::new();
        write_entry(&mut out, 0, "k", &value["k"]);
        assert_eq!(out, to_string(&value));
        let mut item = String::new();
        write_single_entry_item(&mut item, 1, "list", &json!([1, "two"]));
        let whole = to_string(&json!({"x": [{"list": [1, "two"]}]}));
        assert_eq!(format!("\"x\":\n{item}"), whole);
    }
}
