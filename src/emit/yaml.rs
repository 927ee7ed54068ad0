//! YAML for Salt: block structure, every string double-quoted with only the
//! escapes every YAML 1.1 loader accepts. No value is ever read as a boolean,
//! number, anchor, tag or comment, and Salt's Jinja pass is turned off with a
//! `#!yaml` first line by the Salt emitter.

use std::fmt::Write as _;

use serde_json::Value;

use super::plain_run::plain_prefix;

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
        let plain = plain_prefix(rest.as_bytes(), *b"\"\\");
        out.push_str(&rest[..plain]);
        rest = &rest[plain..];
        let Some(c) = rest.chars().next() else { break };
        push_char(out, c);
        rest = &rest[c.len_utf8()..];
    }
    out.push('"');
}

/// One character inside a double-quoted scalar: itself, or its escape.
fn push_char(out: &mut String, c: char) {
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
    item_key(out, level, key);
    write_value(out, value, level + 2, Context::MapValue);
}

/// [`write_single_entry_item`] of a string, without building the value.
pub fn write_single_entry_text(out: &mut String, level: usize, key: &str, text: &str) {
    item_key(out, level, key);
    out.push(' ');
    quote_into(out, text);
    out.push('\n');
}

/// [`write_single_entry_item`] of a boolean.
pub fn write_single_entry_bool(out: &mut String, level: usize, key: &str, value: bool) {
    write_single_entry_plain(out, level, key, if value { "true" } else { "false" });
}

/// [`write_single_entry_item`] of a number.
pub fn write_single_entry_number(out: &mut String, level: usize, key: &str, value: u64) {
    write_single_entry_plain(out, level, key, &value.to_string());
}

/// `- key: <plain>`: only for the text of a boolean or a number.
fn write_single_entry_plain(out: &mut String, level: usize, key: &str, plain: &str) {
    item_key(out, level, key);
    out.push(' ');
    out.push_str(plain);
    out.push('\n');
}

/// [`write_single_entry_item`] of a list of strings.
pub fn write_single_entry_texts<'a>(
    out: &mut String,
    level: usize,
    key: &str,
    items: impl IntoIterator<Item = &'a str>,
) {
    write_single_entry_list(out, level, key, items, quote_into);
}

/// [`write_single_entry_item`] of a list of one-entry mappings of strings
/// (Salt's requisites: `- file: <id>`).
pub fn write_single_entry_pairs<'a>(
    out: &mut String,
    level: usize,
    key: &str,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    write_single_entry_list(out, level, key, pairs, |out, (pair_key, value)| {
        quote_into(out, pair_key);
        out.push_str(": ");
        quote_into(out, value);
    });
}

/// `- key:` and a block sequence of `items`, each written on its line by
/// `write_item` (`[]` when there are none).
fn write_single_entry_list<T>(
    out: &mut String,
    level: usize,
    key: &str,
    items: impl IntoIterator<Item = T>,
    write_item: impl Fn(&mut String, T),
) {
    item_key(out, level, key);
    let mut empty = true;
    for item in items {
        if empty {
            out.push('\n');
            empty = false;
        }
        indent(out, level + 2);
        out.push_str("- ");
        write_item(out, item);
        out.push('\n');
    }
    if empty {
        out.push_str(" []\n");
    }
}

/// `- key:` of a sequence item holding a one-entry mapping.
fn item_key(out: &mut String, level: usize, key: &str) {
    indent(out, level);
    out.push_str("- ");
    quote_into(out, key);
    out.push(':');
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

    /// One character at a time: the reference for the run-copying [`quote_into`]
    /// (what each character becomes is `quoting_escapes_what_yaml_loaders_reject`'s).
    fn quote_each_char(value: &str) -> String {
        let mut out = String::from("\"");
        for c in value.chars() {
            push_char(&mut out, c);
        }
        out.push('"');
        out
    }

    proptest::proptest! {
        #[test]
        fn runs_are_quoted_as_single_characters(value in "([a-z \"\\\\\n\r\t\u{0}-\u{1f}\u{7f}-\u{a0}é\u{2028}\u{feff}😀]){0,40}") {
            proptest::prop_assert_eq!(quote(&value), quote_each_char(&value));
        }
    }

    /// The writers that take no `Value` write what `write_single_entry_item`
    /// writes for the same value.
    #[test]
    fn direct_items_are_written_as_their_values() {
        let via_value = |value: Value| {
            let mut out = String::new();
            write_single_entry_item(&mut out, 2, "k\"ey", &value);
            out
        };
        let direct = |write: &dyn Fn(&mut String)| {
            let mut out = String::new();
            write(&mut out);
            out
        };
        assert_eq!(
            direct(&|o| write_single_entry_text(o, 2, "k\"ey", "a \"b\"\n")),
            via_value(json!("a \"b\"\n"))
        );
        for value in [true, false] {
            assert_eq!(
                direct(&|o| write_single_entry_bool(o, 2, "k\"ey", value)),
                via_value(json!(value))
            );
        }
        for value in [0, 30, u64::MAX] {
            assert_eq!(
                direct(&|o| write_single_entry_number(o, 2, "k\"ey", value)),
                via_value(json!(value))
            );
        }
        for items in [vec![], vec!["a"], vec!["a", "b\tc", ""]] {
            assert_eq!(
                direct(&|o| write_single_entry_texts(o, 2, "k\"ey", items.iter().copied())),
                via_value(json!(items))
            );
        }
        for pairs in [
            vec![],
            vec![("file", "x")],
            vec![("cmd", "a.b"), ("test", "stage-1.ready")],
        ] {
            let values: Vec<Value> = pairs.iter().map(|(k, v)| json!({ *k: v })).collect();
            assert_eq!(
                direct(&|o| write_single_entry_pairs(o, 2, "k\"ey", pairs.iter().copied())),
                via_value(json!(values))
            );
        }
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
