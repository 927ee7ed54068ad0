//! `param.NAME` (LANGUAGE.md section 11): found, and replaced by the
//! instance's argument.

use std::collections::HashMap;

use crate::span::Span;
use crate::syntax::{Block, Ident, Item, Value, ValueKind};

/// Calls `found` with the span and parameter name of every `param.NAME` value
/// in the block and its nested blocks.
/// Calls `found` with the span of each `param.NAME` value and its NAME.
pub(super) fn each_param_reference(block: &Block, found: &mut impl FnMut(Span, &Ident)) {
    for item in &block.items {
        match item {
            Item::Attribute(attribute) => each_in_value(&attribute.value, found),
            Item::Block(nested) => each_param_reference(nested, found),
        }
    }
}

fn each_in_value(value: &Value, found: &mut impl FnMut(Span, &Ident)) {
    match &value.kind {
        ValueKind::Reference(path) if is_param(path) => found(value.span, &path[1]),
        ValueKind::List(items) => items.iter().for_each(|item| each_in_value(item, found)),
        ValueKind::Object(entries) => entries.iter().for_each(|e| each_in_value(&e.value, found)),
        _ => {}
    }
}

fn is_param(path: &[crate::syntax::Ident]) -> bool {
    path.len() >= 2 && path[0].name == "param"
}

/// Replaces every `param.NAME` by the value `args` has for NAME (the value
/// keeps its own span: an argument written at the `module` block, a default in
/// the module file). `param.NAME.REST` with a reference argument appends REST
/// (`param.db.pg` with `db = wiki-db` is `wiki-db.pg`).
pub(super) fn substitute(block: &mut Block, args: &HashMap<&str, &Value>) {
    for item in &mut block.items {
        match item {
            Item::Attribute(attribute) => substitute_value(&mut attribute.value, args),
            Item::Block(nested) => substitute(nested, args),
        }
    }
}

fn substitute_value(value: &mut Value, args: &HashMap<&str, &Value>) {
    match &mut value.kind {
        ValueKind::Reference(path) if is_param(path) => {
            let Some(&argument) = args.get(path[1].name.as_str()) else {
                return;
            };
            let rest: Vec<_> = path.drain(2..).collect();
            let mut replaced = argument.clone();
            if let ValueKind::Reference(target) = &mut replaced.kind {
                if !rest.is_empty() {
                    target.extend(rest);
                    replaced.span = value.span;
                }
            }
            *value = replaced;
        }
        ValueKind::List(items) => items
            .iter_mut()
            .for_each(|item| substitute_value(item, args)),
        ValueKind::Object(entries) => {
            for entry in entries {
                substitute_value(&mut entry.value, args);
            }
        }
        _ => {}
    }
}
