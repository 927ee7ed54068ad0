//! Environments (LANGUAGE.md section 12): an `env "NAME"` block's changes to
//! the base stack, and how a change is merged into the block it changes.

use std::collections::HashMap;

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::span::Span;
use crate::syntax::{Block, Item, LabelValue};

/// The kinds of block an environment may change or add.
const CHANGEABLE: &[&str] = &["stack", "host", "service", "route", "module"];

/// One environment: its name and its blocks, found by kind and name.
#[derive(Debug)]
pub struct Overlay {
    pub name: String,
    pub name_span: Span,
    pub(super) blocks: Vec<Block>,
    index: HashMap<(String, String), usize>,
}

impl Overlay {
    /// The environment's change to a block of the base stack, if it has one.
    pub(super) fn change_of(&self, block: &Block) -> Option<(usize, &Block)> {
        let index = *self.index.get(&key(block))?;
        Some((index, &self.blocks[index]))
    }
}

/// A block's kind and name (the `stack` block's name does not count: there is
/// one).
fn key(block: &Block) -> (String, String) {
    let name = match (&block.label, block.kind.name.as_str()) {
        (_, "stack") | (None, _) => String::new(),
        (Some(label), _) => match &label.value {
            LabelValue::String(s) | LabelValue::Integer(s) => s.to_string(),
        },
    };
    (block.kind.name.to_string(), name)
}

/// The environments of the stack, in the order their blocks stand; reports
/// what does not belong in one (E0101, E0102, E0105, E0109).
pub(super) fn environments(blocks: Vec<Block>, diags: &mut Diagnostics) -> Vec<Overlay> {
    let mut overlays: Vec<Overlay> = Vec::new();
    for block in blocks {
        let Some((name, name_span)) = env_name(&block, diags) else {
            continue;
        };
        if let Some(first) = overlays.iter().find(|o| o.name == name) {
            diags.push(
                Diagnostic::new(
                    Code::E0105,
                    name_span,
                    format!("environment `{name}` is defined twice"),
                )
                .with_primary_label("defined again here")
                .with_label(first.name_span, "first defined here")
                .with_help("put all of an environment's changes in one `env` block"),
            );
            continue;
        }
        overlays.push(overlay(name, name_span, block, diags));
    }
    overlays
}

fn env_name(block: &Block, diags: &mut Diagnostics) -> Option<(String, Span)> {
    let Some(label) = &block.label else {
        diags.push(
            Diagnostic::new(Code::E0104, block.kind.span, "`env` block has no name")
                .with_primary_label("needs a name")
                .with_help("write `env \"staging\" { … }`"),
        );
        return None;
    };
    let LabelValue::String(name) = &label.value else {
        diags.push(
            Diagnostic::new(Code::E0103, label.span, "`env` name must be a string")
                .with_primary_label("a number"),
        );
        return None;
    };
    if let Err(message) = crate::schema::validate::name(name) {
        diags.push(
            Diagnostic::new(Code::E0107, label.span, message).with_primary_label("invalid name"),
        );
        return None;
    }
    Some((name.to_string(), label.span))
}

fn overlay(name: String, name_span: Span, block: Block, diags: &mut Diagnostics) -> Overlay {
    let mut blocks = Vec::new();
    let mut index = HashMap::new();
    for item in block.items {
        match item {
            Item::Attribute(attribute) => diags.push(
                Diagnostic::new(
                    Code::E0102,
                    attribute.name.span,
                    format!("`{}` cannot stand directly in an `env` block", attribute.name.name),
                )
                .with_primary_label("an attribute outside any block")
                .with_help("an environment holds blocks that change the base stack's: `stack { … }`, `host \"NAME\" { … }`, `service \"NAME\" { … }`"),
            ),
            Item::Block(change) => {
                if !changeable(&change, diags) {
                    continue;
                }
                let key = key(&change);
                if let Some(&first) = index.get(&key) {
                    let first: &Block = &blocks[first];
                    diags.push(
                        Diagnostic::new(Code::E0105, change.head(), format!("`{}` is changed twice in environment `{name}`", key_text(&key)))
                            .with_primary_label("changed again here")
                            .with_label(first.head(), "first changed here")
                            .with_help("merge the two blocks"),
                    );
                    continue;
                }
                index.insert(key, blocks.len());
                blocks.push(change);
            }
        }
    }
    Overlay {
        name,
        name_span,
        blocks,
        index,
    }
}

fn key_text((kind, name): &(String, String)) -> String {
    if name.is_empty() {
        kind.clone()
    } else {
        format!("{kind} \"{name}\"")
    }
}

/// Whether a block may stand in an environment; reports it when not.
fn changeable(block: &Block, diags: &mut Diagnostics) -> bool {
    let kind = block.kind.name.as_str();
    if CHANGEABLE.contains(&kind) {
        if kind == "stack" {
            if let Some(include) = block.attributes().find(|a| a.name.name == "include") {
                diags.push(
                    Diagnostic::new(Code::E0109, include.name.span, "an environment cannot change `include`")
                        .with_primary_label("the files of a stack are the same in every environment")
                        .with_help("include the file in the base stack, and add or change its blocks in the environment"),
                );
                return false;
            }
        }
        return true;
    }
    let diagnostic = if matches!(kind, "env" | "param") {
        Diagnostic::new(Code::E0109, block.head(), format!("{} `{kind}` block inside an `env` block", if kind == "env" { "an" } else { "a" }))
            .with_primary_label("not allowed here")
            .with_help("environments do not nest; an environment changes `stack`, `host`, `service`, `route` and `module` blocks")
    } else {
        crate::schema::unknown_block_kind(block, kind, CHANGEABLE, "an environment holds")
    };
    diags.push(diagnostic);
    false
}

/// `base` with `change` merged in: attributes replaced one by one (a list
/// whole), nested blocks matched by kind and label and merged the same way,
/// or added.
pub(super) fn merge(base: &Block, change: &Block) -> Block {
    let mut merged = base.clone();
    for item in &change.items {
        match item {
            Item::Attribute(attribute) => {
                let existing = merged.items.iter_mut().find(
                    |i| matches!(i, Item::Attribute(a) if a.name.name == attribute.name.name),
                );
                match existing {
                    Some(existing) => *existing = Item::Attribute(attribute.clone()),
                    None => merged.items.push(Item::Attribute(attribute.clone())),
                }
            }
            Item::Block(nested) => {
                let existing = merged.items.iter_mut().find(|i| {
                    matches!(i, Item::Block(b) if b.kind.name == nested.kind.name && same_label(b, nested))
                });
                match existing {
                    Some(Item::Block(existing)) => *existing = merge(existing, nested),
                    _ => merged.items.push(Item::Block(nested.clone())),
                }
            }
        }
    }
    merged
}

fn same_label(a: &Block, b: &Block) -> bool {
    a.label.as_ref().map(|l| &l.value) == b.label.as_ref().map(|l| &l.value)
}

/// A help line for a block an environment adds that does not check: when its
/// name is close to a block of the base stack, that is probably what it meant.
pub(super) fn added_block_help(block: &Block, base_names: &[&str]) -> Option<String> {
    let (kind, name) = key(block);
    let close = did_you_mean(&name, base_names.iter().copied())?;
    Some(format!(
        "the environment adds a new {kind} `{name}`, because the base stack has none of that name; did you mean to change `{close}`?"
    ))
}
