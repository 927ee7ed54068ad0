//! The language server under the edits an editor sends mid-typing: a
//! document is opened, then changed by a random sequence of edits (ranges
//! anywhere, past the end of a line or of the file, reversed, inside a
//! UTF-16 surrogate pair), with requests of every kind at random positions
//! between them. Nothing may panic, and the diagnostics the server last
//! published must equal those of a fresh check of the document's final text.
#![no_main]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arbitrary::Arbitrary;
use eosc::lsp::convert::{self, Explanations};
use eosc::lsp::text::Document;
use eosc::lsp::Server;
use libfuzzer_sys::fuzz_target;
use lsp_server::{Message, Notification, Request, RequestId};
use lsp_types::{Position, Range, TextDocumentContentChangeEvent, Url};
use serde_json::json;

#[derive(Arbitrary, Debug)]
struct Edit {
    start: (u8, u8),
    end: (u8, u8),
    text: String,
    /// A request after the edit: which, and where.
    ask: Option<(u8, (u8, u8))>,
}

#[derive(Arbitrary, Debug)]
struct Session {
    initial: String,
    edits: Vec<Edit>,
}

const METHODS: &[&str] = &[
    "textDocument/hover",
    "textDocument/definition",
    "textDocument/references",
    "textDocument/prepareRename",
    "textDocument/rename",
    "textDocument/completion",
    "textDocument/formatting",
    "textDocument/codeAction",
    "textDocument/documentSymbol",
];

/// A folder that does not exist: the server and the fresh check find no
/// other file, and nothing is read from the disk.
const FOLDER: &str = "/nonexistent-eosc-fuzz";

fn position((line, character): (u8, u8)) -> Position {
    Position::new(u32::from(line % 64), u32::from(character))
}

fn request(method: &str, uri: &Url, at: Position) -> serde_json::Value {
    let document = json!({"uri": uri});
    match method {
        "textDocument/references" => json!({"textDocument": document, "position": at, "context": {"includeDeclaration": true}}),
        "textDocument/rename" => json!({"textDocument": document, "position": at, "newName": "renamed"}),
        "textDocument/formatting" => json!({"textDocument": document, "options": {"tabSize": 2, "insertSpaces": true}}),
        "textDocument/codeAction" => json!({"textDocument": document, "range": Range::new(at, at), "context": {"diagnostics": []}}),
        "textDocument/documentSymbol" => json!({"textDocument": document}),
        _ => json!({"textDocument": document, "position": at}),
    }
}

fuzz_target!(|session: Session| {
    if session.edits.len() > 24 {
        return;
    }
    let path = PathBuf::from(FOLDER).join("stack.eos");
    let uri = Url::from_file_path(&path).unwrap();
    let mut server = Server::new(Explanations::none());
    let mut published: BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
    let mut mirror = Document::new(session.initial.clone(), 1);
    let drain = |server: &mut Server, published: &mut BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>>| {
        server.refresh();
        for message in server.take_outbox() {
            if let Message::Notification(n) = message {
                let p: lsp_types::PublishDiagnosticsParams = serde_json::from_value(n.params).unwrap();
                published.insert(p.uri.to_file_path().unwrap(), p.diagnostics);
            }
        }
    };
    server.handle(Message::Notification(Notification::new(
        "textDocument/didOpen".into(),
        json!({"textDocument": {"uri": uri, "languageId": "eos", "version": 1, "text": session.initial}}),
    )));
    drain(&mut server, &mut published);
    for (n, edit) in session.edits.into_iter().enumerate() {
        let version = n as i32 + 2;
        let change = TextDocumentContentChangeEvent {
            range: Some(Range::new(position(edit.start), position(edit.end))),
            range_length: None,
            text: edit.text,
        };
        mirror.apply(vec![change.clone()], version);
        server.handle(Message::Notification(Notification::new(
            "textDocument/didChange".into(),
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
        )));
        if let Some((which, at)) = edit.ask {
            let method = METHODS[usize::from(which) % METHODS.len()];
            let params = request(method, &uri, position(at));
            server.handle(Message::Request(Request::new(RequestId::from(version), method.into(), params)));
        }
        drain(&mut server, &mut published);
    }
    // A fresh check of the final text, as `eosc check` reads it.
    let (source, diags) = eosc::driver::decode(&path, mirror.text.into_bytes());
    let files = eosc::driver::DiskFiles::new(PathBuf::from(FOLDER));
    let checked = eosc::driver::check_stack(source, diags, &files, eosc::driver::Environments::All, |stack| {
        eosc::driver::probe_files(Path::new(&path), stack)
    })
    .unwrap();
    let fresh = convert::by_file(&checked, &Explanations::none());
    let expected = fresh.get(&path).cloned().unwrap_or_default();
    let got = published.get(&path).cloned().unwrap_or_default();
    assert_eq!(got, expected, "the server's diagnostics differ from a fresh check");
});
