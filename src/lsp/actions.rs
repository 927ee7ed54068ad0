//! Code actions: the fixes the diagnostics propose ("did you mean"), each a
//! quick fix that rewrites the misspelt name.

use std::collections::HashMap;
use std::path::Path;

use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, Range, TextEdit, WorkspaceEdit};

use super::convert::FileLines;
use super::stacks::Stack;

/// The fixes of the diagnostics of `stack` whose range in `path` meets `range`.
pub fn quick_fixes(stack: &Stack, path: &Path, range: Range) -> Vec<CodeActionOrCommand> {
    let mut lines = FileLines::new(&stack.checked.sources);
    let mut actions = Vec::new();
    for diagnostic in stack.checked.diagnostics.iter() {
        let Some(fix) = &diagnostic.fix else {
            continue;
        };
        let Some((file, at)) = lines.locate(diagnostic.primary.span) else {
            continue;
        };
        if file != path || !meets(at, range) {
            continue;
        }
        let Some((fix_file, fix_range)) = lines.locate(fix.span) else {
            continue;
        };
        let Some(uri) = super::uri::uri_of(fix_file) else {
            continue;
        };
        let edit = TextEdit::new(fix_range, fix.replacement.clone());
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Change to `{}`", fix.replacement),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: None,
            edit: Some(WorkspaceEdit::new(HashMap::from([(uri, vec![edit])]))),
            command: None,
            is_preferred: Some(true),
            disabled: None,
            data: Some(serde_json::json!({ "code": diagnostic.code.as_str() })),
        }));
    }
    actions
}

/// Whether two ranges share a position (touching counts: a cursor at a
/// word's end is on it).
fn meets(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}
