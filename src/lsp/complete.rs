//! Completion: block kinds where a block may start, the attributes of the
//! block at the cursor (with their docs), enum values, and names of the kind
//! an attribute's reference needs — all from the schema's catalog and the
//! stack's index.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, InsertTextFormat,
    MarkupContent, MarkupKind, Range, TextEdit,
};

use crate::schema::catalog::{self, AttributeDoc, BlockDoc, FileRole, RefKind, Values};

use super::context::{self, Context, Position};
use super::index::{Index, Symbol};

/// What completion knows of the file the cursor is in.
pub struct Place<'a> {
    pub text: &'a str,
    pub offset: usize,
    pub role: FileRole,
    /// The stack's index and this file's place in it.
    pub index: Option<(&'a Index, usize)>,
    /// While the stack has syntax errors, the index of its last check
    /// without: the names of blocks the parser dropped mid-typing.
    pub last_parsed: Option<&'a Index>,
    /// Where the word being typed stands (replaced by an item).
    pub range_of: &'a dyn Fn(usize, usize) -> Range,
}

pub fn complete(place: &Place<'_>) -> Vec<CompletionItem> {
    let context = context::at(place.text, place.offset);
    let replace = (place.range_of)(place.offset - context.prefix.len(), place.offset);
    let mut items = match &context.position {
        Position::Name => names(place, &context),
        Position::Value { attribute, in_list } => values(place, &context, attribute, *in_list),
        Position::EntryValue { attribute } => {
            let block = block_doc(&context);
            match block.and_then(|b| b.attribute(attribute)).map(|a| a.values) {
                Some(Values::Env) => references(place, &context, RefKind::ServicePort),
                _ => Vec::new(),
            }
        }
        Position::Nothing => Vec::new(),
    };
    if matches!(
        context.position,
        Position::Value { .. } | Position::EntryValue { .. }
    ) && place.role == FileRole::Module
    {
        items.extend(params(place));
    }
    for item in &mut items {
        let text = item
            .insert_text
            .take()
            .unwrap_or_else(|| item.label.clone());
        item.text_edit = Some(CompletionTextEdit::Edit(TextEdit::new(replace, text)));
    }
    items
}

/// The catalog's block the cursor is in (inside an `env`, the block it changes).
fn block_doc(context: &Context) -> Option<&'static BlockDoc> {
    let kinds = context.kinds();
    let kinds = match kinds.as_slice() {
        ["env", rest @ ..] if !rest.is_empty() => rest.to_vec(),
        _ => kinds,
    };
    catalog::block_at(&kinds)
}

/// Block kinds and attribute names.
fn names(place: &Place<'_>, context: &Context) -> Vec<CompletionItem> {
    if context.blocks.is_empty() {
        // A stack has one `stack` block: none is offered once it is written.
        let has_stack = crate::driver::starts_a_stack_block(place.text);
        return place
            .role
            .top_level()
            .into_iter()
            .filter(|b| !(has_stack && b.kind == "stack"))
            .map(block_item)
            .collect();
    }
    let Some(block) = block_doc(context) else {
        return Vec::new();
    };
    if block.kind == "env" {
        // An environment's `stack` block names the one stack: no label.
        return block
            .blocks
            .iter()
            .copied()
            .map(|b| {
                let mut item = block_item(b);
                if b.kind == "stack" {
                    item.insert_text = Some("stack {\n\t$0\n}".into());
                    item.detail = Some("block `stack`".into());
                }
                item
            })
            .collect();
    }
    let written = &context
        .blocks
        .last()
        .map(|b| b.written.clone())
        .unwrap_or_default();
    if block.kind == "module" {
        return module_arguments(place, context, written);
    }
    let mut items: Vec<CompletionItem> = block
        .attributes
        .iter()
        .filter(|a| !written.iter().any(|w| w == a.name))
        .map(attribute_item)
        .collect();
    items.extend(block.blocks.iter().copied().map(block_item));
    items
}

fn block_item(block: &'static BlockDoc) -> CompletionItem {
    let snippet = match block.label {
        Some("INT") => format!("{} ${{1:0}} {{\n\t$0\n}}", block.kind),
        Some(_) => format!("{} \"${{1:name}}\" {{\n\t$0\n}}", block.kind),
        None => format!("{} {{\n\t$0\n}}", block.kind),
    };
    CompletionItem {
        label: block.kind.to_string(),
        kind: Some(CompletionItemKind::MODULE),
        detail: Some(format!("block `{}`", block.head())),
        documentation: Some(markdown(block.meaning.to_string())),
        insert_text: Some(snippet),
        insert_text_format: Some(InsertTextFormat::SNIPPET),
        ..CompletionItem::default()
    }
}

fn attribute_item(attribute: &AttributeDoc) -> CompletionItem {
    CompletionItem {
        label: attribute.name.to_string(),
        kind: Some(CompletionItemKind::PROPERTY),
        detail: Some(attribute.ty.to_string()),
        documentation: Some(markdown(attribute_doc(attribute))),
        insert_text: Some(format!("{} = ", attribute.name)),
        ..CompletionItem::default()
    }
}

/// An attribute's documentation: meaning, type, default.
pub fn attribute_doc(attribute: &AttributeDoc) -> String {
    format!(
        "{}\n\n`{}`: {} (default: {})",
        attribute.meaning, attribute.name, attribute.ty, attribute.default
    )
}

pub fn markdown(value: String) -> Documentation {
    Documentation::MarkupContent(MarkupContent {
        kind: MarkupKind::Markdown,
        value,
    })
}

/// The params of the module an instance block sources, not yet given.
fn module_arguments(
    place: &Place<'_>,
    context: &Context,
    written: &[String],
) -> Vec<CompletionItem> {
    let mut items = Vec::new();
    if !written.iter().any(|w| w == "source") {
        items.extend(catalog::MODULE.attributes.iter().map(attribute_item));
    }
    let Some(params) = instance_params(place, context) else {
        return items;
    };
    items.extend(
        params
            .into_iter()
            .filter(|(name, _)| !written.iter().any(|w| w == name))
            .map(|(name, ty)| CompletionItem {
                insert_text: Some(format!("{name} = ")),
                label: name,
                kind: Some(CompletionItemKind::PROPERTY),
                detail: Some(format!("param of type {ty}")),
                ..CompletionItem::default()
            }),
    );
    items
}

/// What may stand as the value of `attribute`.
fn values(
    place: &Place<'_>,
    context: &Context,
    attribute: &str,
    in_list: bool,
) -> Vec<CompletionItem> {
    let Some(block) = block_doc(context) else {
        return Vec::new();
    };
    if block.kind == "module" {
        return module_argument_values(place, context, attribute);
    }
    let Some(doc) = block.attribute(attribute) else {
        return Vec::new();
    };
    match doc.values {
        Values::OneOf(words) if !in_list => words.iter().map(|w| word_item(w, doc)).collect(),
        Values::ListOf(words) => words.iter().map(|w| word_item(w, doc)).collect(),
        Values::Bool => ["true", "false"]
            .iter()
            .map(|w| word_item(w, doc))
            .collect(),
        Values::Ref(kind) | Values::Refs(kind) => references(place, context, kind),
        _ => Vec::new(),
    }
}

fn word_item(word: &str, doc: &AttributeDoc) -> CompletionItem {
    CompletionItem {
        label: word.to_string(),
        kind: Some(CompletionItemKind::ENUM_MEMBER),
        detail: Some(doc.ty.to_string()),
        ..CompletionItem::default()
    }
}

/// A module argument's value: names when its param is a reference.
fn module_argument_values(
    place: &Place<'_>,
    context: &Context,
    attribute: &str,
) -> Vec<CompletionItem> {
    let Some(params) = instance_params(place, context) else {
        return Vec::new();
    };
    let ty = params
        .into_iter()
        .find(|(name, _)| name == attribute)
        .map(|(_, ty)| ty)
        .unwrap_or_default();
    let kind = match ty.trim_start_matches('[').trim_end_matches(']') {
        "host" => RefKind::Host,
        "disk" => RefKind::Disk,
        "service" => RefKind::Service,
        "bool" => {
            return ["true", "false"]
                .iter()
                .map(|w| CompletionItem {
                    label: w.to_string(),
                    kind: Some(CompletionItemKind::ENUM_MEMBER),
                    ..CompletionItem::default()
                })
                .collect()
        }
        _ => return Vec::new(),
    };
    references(place, context, kind)
}

/// The indexes to take names from, each with the cursor's file in it.
fn indexes<'a>(place: &Place<'a>) -> Vec<(&'a Index, usize)> {
    let Some((index, file)) = place.index else {
        return Vec::new();
    };
    let mut found = vec![(index, file)];
    if let Some(last) = place.last_parsed {
        if let Some(same) = last.file_of(&index.files[file].path) {
            found.push((last, same));
        }
    }
    found
}

/// The params of the module the `module` block at the cursor instantiates.
fn instance_params(place: &Place<'_>, context: &Context) -> Option<Vec<(String, String)>> {
    let instance = context.blocks.last()?.label.as_deref()?;
    indexes(place).into_iter().find_map(|(index, _)| {
        let module = index.instance(instance)?.module?;
        Some(index.params(module))
    })
}

/// The names a reference of `kind` may take, where the cursor is.
fn references(place: &Place<'_>, context: &Context, kind: RefKind) -> Vec<CompletionItem> {
    let mut names: Vec<String> = indexes(place)
        .into_iter()
        .flat_map(|(index, file)| reference_names(index, file, place.role, context, kind))
        .collect();
    names.sort();
    names.dedup();
    let item_kind = match kind {
        RefKind::Host | RefKind::Service => CompletionItemKind::CLASS,
        RefKind::Disk | RefKind::ServicePort | RefKind::OwnPort => CompletionItemKind::FIELD,
    };
    names
        .into_iter()
        .map(|name| CompletionItem {
            label: name,
            kind: Some(item_kind),
            detail: Some(ref_kind_name(kind).to_string()),
            ..CompletionItem::default()
        })
        .collect()
}

/// The names of one index that a reference of `kind` may take.
fn reference_names(
    index: &Index,
    file: usize,
    role: FileRole,
    context: &Context,
    kind: RefKind,
) -> Vec<String> {
    let module = (role == FileRole::Module).then_some(file);
    let local = |symbol: &Symbol| match symbol {
        Symbol::Service(name) => Some(name.clone()),
        Symbol::ModuleService(m, name) if Some(*m) == module => Some(name.clone()),
        _ => None,
    };
    match kind {
        RefKind::Host => index.names(|s| match s {
            Symbol::Host(name) => Some(name.clone()),
            _ => None,
        }),
        RefKind::Service => index.names(local),
        RefKind::Disk => index.names(|s| match s {
            Symbol::Disk(host, disk) => Some(format!("{host}.{disk}")),
            _ => None,
        }),
        RefKind::ServicePort => index.names(|s| match s {
            Symbol::Port(service, port) => Some(format!("{}.{port}", local(service)?)),
            _ => None,
        }),
        RefKind::OwnPort => {
            let service = context
                .blocks
                .iter()
                .find(|b| b.kind == "service")
                .and_then(|b| b.label.clone());
            index.names(|s| match s {
                Symbol::Port(owner, port) if local(owner) == service => Some(port.clone()),
                _ => None,
            })
        }
    }
}

fn ref_kind_name(kind: RefKind) -> &'static str {
    match kind {
        RefKind::Host => "host",
        RefKind::Service => "service",
        RefKind::Disk => "disk (HOST.DISK)",
        RefKind::ServicePort => "port (SERVICE.PORT)",
        RefKind::OwnPort => "port of this service",
    }
}

/// `param.NAME` for each param of the module file.
fn params(place: &Place<'_>) -> Vec<CompletionItem> {
    let Some((index, file)) = place.index else {
        return Vec::new();
    };
    index
        .params(file)
        .into_iter()
        .map(|(name, ty)| CompletionItem {
            label: format!("param.{name}"),
            kind: Some(CompletionItemKind::VARIABLE),
            detail: Some(format!("param of type {ty}")),
            ..CompletionItem::default()
        })
        .collect()
}
