//! YAML for Salt: block structure, every string double-quoted with only the
//! escapes every YAML 1.1 loader accepts. No value is ever read as a boolean,
//! number, anchor, tag or comment, and Salt's Jinja pass is turned off with a
//! `#!yaml` first line by the Salt emitter.

use std::fmt::Write as _;

use serde_json::Value;

/// A double-quoted YAML scalar holding exactly `value`.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
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
    }
    out.push('"');
    out
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Top,
    /// After `key:` — a scalar follows on the same line, a collection below.
    MapValue,
    /// After `- ` — a mapping starts on the same line.
    ListItem,
}

fn scalar(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(a) if a.is_empty() => "[]".to_string(),
        Value::Object(o) if o.is_empty() => "{}".to_string(),
        _ => return None,
    })
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_value(out: &mut String, value: &Value, level: usize, context: Context) {
    if let Some(text) = scalar(value) {
        if context == Context::MapValue {
            out.push(' ');
        }
        out.push_str(&text);
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
                out.push_str(&quote(key));
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
                        out.push_str(&scalar(item).unwrap_or_default());
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
    }
}
