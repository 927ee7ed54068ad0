//! The language server driven in-process, message by message (the real
//! client's tests are `tests/lsp_client.rs`): what it publishes is what a
//! fresh `eosc check` finds, an edit reads no file from disk again, and the
//! answers across files of a stack.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use eosc::lsp::convert::{self, Explanations};
use eosc::lsp::Server;
use lsp_server::{Message, Notification, Request, RequestId};
use lsp_types::{Position, Range, Url};
use serde_json::{json, Value};

use common::lsp_stack::{self, APP, HOSTS, ROOT};

/// A server and what it has published so far, by file.
struct Client {
    server: Server,
    published: BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>>,
    next_id: i32,
}

impl Client {
    fn new() -> Self {
        Self {
            server: Server::new(Explanations::none()),
            published: BTreeMap::new(),
            next_id: 1,
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.server.handle(Message::Notification(Notification::new(
            method.into(),
            params,
        )));
        self.flush();
    }

    fn flush(&mut self) -> Vec<Message> {
        self.server.refresh();
        let mut others = Vec::new();
        for message in self.server.take_outbox() {
            match message {
                Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                    let p: lsp_types::PublishDiagnosticsParams =
                        serde_json::from_value(n.params).unwrap();
                    self.published
                        .insert(eosc::lsp::uri::path_of(&p.uri).unwrap(), p.diagnostics);
                }
                other => others.push(other),
            }
        }
        others
    }

    /// Sends a request; returns its result, or the error's message.
    fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let id = RequestId::from(self.next_id);
        self.next_id += 1;
        self.server.handle(Message::Request(Request::new(
            id.clone(),
            method.into(),
            params,
        )));
        for message in self.flush() {
            if let Message::Response(response) = message {
                assert_eq!(response.id, id);
                let response = serde_json::to_value(&response).unwrap();
                return match response.get("error") {
                    Some(error) => Err(error["message"].as_str().unwrap().to_string()),
                    None => Ok(response["result"].clone()),
                };
            }
        }
        panic!("no response to {method}");
    }

    fn open(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": "eos", "version": 1, "text": text}}),
        );
    }

    fn edit(&mut self, path: &Path, version: i32, range: Range, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(path), "version": version},
                   "contentChanges": [{"range": range, "text": text}]}),
        );
    }

    fn codes(&self, path: &Path) -> Vec<String> {
        self.published
            .get(path)
            .map(|ds| {
                ds.iter()
                    .map(|d| match &d.code {
                        Some(lsp_types::NumberOrString::String(code)) => code.clone(),
                        _ => String::new(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn uri(path: &Path) -> Url {
    Url::from_file_path(path).unwrap()
}

fn at(path: &Path, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri(path)}, "position": {"line": line, "character": character}})
}

/// A stack of three files in a new folder.
fn stack() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (root, hosts, app) = lsp_stack::write(dir.path(), APP);
    (dir, root, hosts, app)
}

#[test]
fn an_included_file_opened_alone_is_checked_with_its_stack() {
    let (_dir, root, hosts, app) = stack();
    let mut client = Client::new();
    client.open(&app, APP);
    // Every file of the stack gets its (empty) diagnostics.
    for file in [&root, &hosts, &app] {
        assert_eq!(
            client.codes(file),
            Vec::<String>::new(),
            "{}",
            file.display()
        );
    }
    // A typo in the open included file: reported there, as `eosc check` does.
    client.edit(
        &app,
        2,
        Range::new(Position::new(2, 13), Position::new(2, 16)),
        "hv9",
    );
    assert_eq!(client.codes(&app), ["E0201"]);
    let diagnostic = &client.published[&app][0];
    assert_eq!(
        diagnostic.range,
        Range::new(Position::new(2, 13), Position::new(2, 16))
    );
    assert!(
        diagnostic.message.contains("did you mean `hv1`"),
        "{}",
        diagnostic.message
    );
    // Fixed: the diagnostics go.
    client.edit(
        &app,
        3,
        Range::new(Position::new(2, 13), Position::new(2, 16)),
        "hv1",
    );
    assert_eq!(client.codes(&app), Vec::<String>::new());
}

#[test]
fn edits_read_no_file_again() {
    let (_dir, root, hosts, app) = stack();
    let mut client = Client::new();
    client.open(&root, ROOT);
    let reads = client.server.disk_reads();
    assert!(reads >= 2, "the included files were read: {reads}");
    for version in 2..20 {
        let text = if version % 2 == 0 {
            "exampl.com"
        } else {
            "example.com"
        };
        client.edit(
            &root,
            version,
            Range::new(Position::new(1, 13), Position::new(1, 24)),
            text,
        );
        client.edit(
            &root,
            version,
            Range::new(
                Position::new(1, 13),
                Position::new(1, 13 + text.len() as u32),
            ),
            "example.com",
        );
    }
    assert_eq!(
        client.server.disk_reads(),
        reads,
        "an edit read files from disk"
    );
    // A change on disk is read again once the editor says so.
    std::fs::write(&hosts, HOSTS.replace("64GiB", "1GiB")).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&hosts), "type": 2}]}),
    );
    assert!(client.server.disk_reads() > reads);
    assert!(
        client.codes(&hosts).iter().any(|c| c.starts_with('E')),
        "the smaller host is over budget: {:?}",
        client.published.get(&hosts)
    );
    let _ = app;
}

#[test]
fn diagnostics_equal_a_fresh_check_of_the_same_files() {
    let (_dir, root, _hosts, app) = stack();
    let broken_app = APP
        .replace("memory  = 1GiB", "memroy  = 1GiB")
        .replace("web.http", "web.htp");
    std::fs::write(&app, &broken_app).unwrap();
    let mut client = Client::new();
    client.open(&root, ROOT);
    let checked = eosc::driver::check_path(&root, eosc::driver::Environments::All).unwrap();
    let fresh = convert::by_file(&checked, &Explanations::none());
    assert!(!fresh.is_empty());
    for (file, diagnostics) in fresh {
        assert_eq!(client.published[&file], diagnostics, "{}", file.display());
    }
}

#[test]
fn navigation_and_rename_across_files() {
    let (_dir, root, hosts, app) = stack();
    let mut client = Client::new();
    client.open(&app, APP);
    // `on = [hv1]` → the host's label in hosts.eos.
    let found = client
        .request("textDocument/definition", at(&app, 2, 14))
        .unwrap();
    assert_eq!(found[0]["uri"], json!(uri(&hosts)));
    assert_eq!(
        found[0]["range"]["start"],
        json!({"line": 0, "character": 6})
    );
    // `to = web.http` → the port's label.
    let found = client
        .request("textDocument/definition", at(&app, 20, 13))
        .unwrap();
    assert_eq!(
        found[0]["range"]["start"],
        json!({"line": 5, "character": 8})
    );
    // References of the port: its label, the health check, the route.
    let refs = client
        .request(
            "textDocument/references",
            json!({"textDocument": {"uri": uri(&app)}, "position": {"line": 5, "character": 9},
                   "context": {"includeDeclaration": true}}),
        )
        .unwrap();
    assert_eq!(refs.as_array().unwrap().len(), 3, "{refs}");
    // Rename the host from its use: the label in the other file changes too.
    let edit = client
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": uri(&app)}, "position": {"line": 2, "character": 14}, "newName": "hv2"}),
        )
        .unwrap();
    let changes = edit["changes"].as_object().unwrap();
    assert_eq!(changes[uri(&hosts).as_str()][0]["newText"], "hv2");
    assert_eq!(changes[uri(&app).as_str()][0]["newText"], "hv2");
    // Refused: an invalid name, a taken one.
    let bad = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri(&app)}, "position": {"line": 2, "character": 14}, "newName": "Hv 2"}),
    );
    assert!(bad.unwrap_err().contains("not a valid name"));
    let _ = root;
}

#[test]
fn hover_shows_placement_and_budget_share() {
    let (_dir, _root, hosts, app) = stack();
    let mut client = Client::new();
    client.open(&app, APP);
    let hover = client
        .request("textDocument/hover", at(&app, 0, 10))
        .unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("service `web`"), "{text}");
    assert!(text.contains("stage"), "{text}");
    assert!(text.contains("on `hv1`"), "{text}");
    assert!(text.contains("1 GiB of its budget"), "{text}");
    client.open(&hosts, HOSTS);
    let hover = client
        .request("textDocument/hover", at(&hosts, 0, 7))
        .unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("memory:"), "{text}");
    // An attribute name: its documentation.
    let hover = client
        .request("textDocument/hover", at(&hosts, 2, 3))
        .unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("installed RAM"), "{text}");
}

#[test]
fn code_action_applies_the_suggestion() {
    let (_dir, _root, _hosts, app) = stack();
    let mut client = Client::new();
    client.open(&app, &APP.replace("memory  = 1GiB", "memroy  = 1GiB"));
    assert_eq!(client.codes(&app), ["E0104", "E0102"]);
    let range = client.published[&app][1].range;
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(&app)}, "range": range, "context": {"diagnostics": []}}),
        )
        .unwrap();
    assert_eq!(actions[0]["title"], "Change to `memory`");
    let edit = &actions[0]["edit"]["changes"][uri(&app).as_str()][0];
    assert_eq!(edit["newText"], "memory");
    assert_eq!(edit["range"], json!(range));
}

#[test]
fn mid_typing_text_never_stops_the_server() {
    let (_dir, _root, _hosts, app) = stack();
    let mut client = Client::new();
    client.open(&app, APP);
    let fragments = [
        "service \"",
        "{ on = [",
        "\"unterminated",
        "}}}}",
        "/* open",
        "é😀",
        "\u{0}",
    ];
    for (i, fragment) in fragments.iter().enumerate() {
        let version = i32::try_from(i).unwrap() + 2;
        client.edit(
            &app,
            version,
            Range::new(Position::new(3, 0), Position::new(3, 0)),
            fragment,
        );
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
        ] {
            for line in 0..6 {
                let params = if method == "textDocument/completion" {
                    at(&app, line, 4)
                } else {
                    at(&app, line, 9)
                };
                let answer = client.request(method, params);
                assert!(answer.is_ok(), "{method} at line {line}: {answer:?}");
            }
        }
    }
}

#[test]
fn a_misspelt_unit_has_its_fix() {
    let (_dir, _root, _hosts, app) = stack();
    let mut client = Client::new();
    client.open(&app, &APP.replacen("1GiB", "1GIB", 1));
    assert_eq!(client.codes(&app), ["E0107"]);
    let range = client.published[&app][0].range;
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(&app)}, "range": range, "context": {"diagnostics": []}}),
        )
        .unwrap();
    assert_eq!(actions[0]["title"], "Change to `GiB`");
    let edit = &actions[0]["edit"]["changes"][uri(&app).as_str()][0];
    assert_eq!(edit["range"], json!(range));
}

#[test]
fn an_included_file_stays_with_its_root_through_a_syntax_error() {
    let (_dir, root, _hosts, app) = stack();
    let mut client = Client::new();
    client.open(&root, ROOT);
    client.open(&app, APP);
    // The `]` of `include` deleted, then typed again.
    client.edit(
        &root,
        2,
        Range::new(Position::new(2, 38), Position::new(2, 39)),
        "",
    );
    assert!(
        client.codes(&root).contains(&"E0001".to_string()),
        "{:?}",
        client.codes(&root)
    );
    client.edit(
        &root,
        3,
        Range::new(Position::new(2, 38), Position::new(2, 38)),
        "]",
    );
    assert_eq!(client.codes(&root), Vec::<String>::new());
    assert_eq!(
        client.codes(&app),
        Vec::<String>::new(),
        "{:?}",
        client.published[&app]
    );
    let found = client
        .request("textDocument/definition", at(&app, 2, 14))
        .unwrap();
    assert!(
        found[0]["uri"].as_str().unwrap().ends_with("hosts.eos"),
        "{found}"
    );
}

#[test]
fn a_new_unsaved_file_an_include_matches_joins_its_stack() {
    let (_dir, root, _hosts, app) = stack();
    let mut client = Client::new();
    client.open(&root, ROOT);
    let new = app.with_file_name("more.eos");
    let text = "service \"more\" {\n  runtime = baremetal\n  on      = [hv1]\n  memory  = 1GiB\n  cpu     = 1\n}\n";
    client.open(&new, text);
    assert_eq!(
        client.codes(&new),
        Vec::<String>::new(),
        "{:?}",
        client.published.get(&new)
    );
    let found = client
        .request("textDocument/definition", at(&new, 2, 14))
        .unwrap();
    assert!(
        found[0]["uri"].as_str().unwrap().ends_with("hosts.eos"),
        "{found}"
    );
}

#[test]
fn a_file_source_created_later_is_found_after_a_save() {
    let (_dir, root, _hosts, app) = stack();
    let with_file = APP.replacen(
        "  port \"http\" { number = 8080 }",
        "  port \"http\" { number = 8080 }\n  file \"/etc/web.conf\" { source = \"web.conf\" }",
        1,
    );
    std::fs::write(&app, &with_file).unwrap();
    let mut client = Client::new();
    client.open(&root, ROOT);
    assert_eq!(client.codes(&app), ["E0503"]);
    std::fs::write(app.with_file_name("web.conf"), "listen 8080;\n").unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri(&root)}}),
    );
    assert_eq!(client.codes(&app), Vec::<String>::new());
}

#[test]
fn an_unknown_name_has_no_definition_and_no_rename() {
    let (_dir, _root, _hosts, app) = stack();
    let mut client = Client::new();
    client.open(&app, &APP.replacen("[hv1]", "[hv9]", 1));
    let found = client
        .request("textDocument/definition", at(&app, 2, 14))
        .unwrap();
    assert_eq!(found, Value::Null);
    let refused = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri(&app)}, "position": {"line": 2, "character": 14}, "newName": "hv2"}),
    );
    assert!(refused.unwrap_err().contains("no host `hv9` is declared"));
}

#[test]
fn the_outline_names_a_block_with_an_empty_label() {
    let (_dir, _root, _hosts, app) = stack();
    let mut client = Client::new();
    client.open(&app, &format!("{APP}\nservice \"\" {{\n}}\n"));
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri(&app)}}),
        )
        .unwrap();
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.trim().is_empty()), "{names:?}");
    assert!(names.contains(&"service \"\""), "{names:?}");
}

#[test]
fn an_untitled_buffer_is_checked_alone() {
    let mut client = Client::new();
    let untitled = Url::parse("untitled:Untitled-1").unwrap();
    let text = format!(
        "stack \"s\" {{\n  domain = \"example.com\"\n}}\n{HOSTS}{}",
        APP.replacen("[hv1]", "[hv2]", 1)
    );
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": untitled, "languageId": "eos", "version": 1, "text": text}}),
    );
    let path = eosc::lsp::uri::path_of(&untitled).unwrap();
    assert_eq!(client.codes(&path), ["E0201"]);
    let found = client
        .request(
            "textDocument/definition",
            json!({"textDocument": {"uri": untitled}, "position": {"line": 32, "character": 10}}),
        )
        .unwrap();
    assert_eq!(found[0]["uri"], json!(untitled), "{found}");
}
