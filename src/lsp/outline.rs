//! The document outline: every block with its label, nested as written.

use lsp_types::{DocumentSymbol, SymbolKind};

use crate::syntax::{Block, Document, LabelValue};

use super::text::Lines;

pub fn symbols(document: &Document, text: &str, lines: &Lines) -> Vec<DocumentSymbol> {
    document
        .blocks
        .iter()
        .map(|block| symbol(block, text, lines))
        .collect()
}

#[allow(deprecated)] // `deprecated` must be written; `tags` replaces it.
fn symbol(block: &Block, text: &str, lines: &Lines) -> DocumentSymbol {
    let label = block.label.as_ref().map(|label| match &label.value {
        LabelValue::String(name) | LabelValue::Integer(name) => name.clone(),
    });
    let children: Vec<DocumentSymbol> = block
        .blocks()
        .map(|nested| symbol(nested, text, lines))
        .collect();
    // Editors refuse a symbol without a name (`service ""` while typing).
    let name = match &label {
        Some(label) if !label.trim().is_empty() => label.to_string(),
        Some(label) => format!("{} {label:?}", block.kind.name),
        None => block.kind.name.to_string(),
    };
    let name = if name.trim().is_empty() {
        "(unnamed)".to_string()
    } else {
        name
    };
    DocumentSymbol {
        name,
        detail: label.map(|_| block.kind.name.to_string()),
        kind: kind(&block.kind.name),
        tags: None,
        deprecated: None,
        range: lines.range(text, block.span),
        selection_range: lines.range(text, block.head()),
        children: (!children.is_empty()).then_some(children),
    }
}

fn kind(block_kind: &str) -> SymbolKind {
    match block_kind {
        "stack" => SymbolKind::PACKAGE,
        "host" => SymbolKind::CLASS,
        "service" => SymbolKind::OBJECT,
        "route" => SymbolKind::INTERFACE,
        "module" => SymbolKind::MODULE,
        "env" => SymbolKind::NAMESPACE,
        "param" => SymbolKind::VARIABLE,
        "port" | "disk" | "volume" => SymbolKind::FIELD,
        "numa" => SymbolKind::NUMBER,
        _ => SymbolKind::STRUCT,
    }
}
