//! The server's state and its answer to each message, without any I/O of
//! its own: [`Server::handle`] takes a message, [`Server::refresh`] re-checks
//! what the messages changed, and [`Server::take_outbox`] hands over what is
//! to be sent. `mod.rs` wires it to stdin/stdout; the tests and the fuzz
//! target drive it directly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionParams, CompletionParams, CompletionResponse, DidChangeTextDocumentParams,
    DidChangeWatchedFilesParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, DocumentFormattingParams, DocumentSymbolParams,
    DocumentSymbolResponse, GotoDefinitionParams, GotoDefinitionResponse, HoverParams,
    PrepareRenameResponse, PublishDiagnosticsParams, ReferenceParams, RenameParams,
    TextDocumentPositionParams, TextEdit, Url,
};
use serde::de::DeserializeOwned;

use super::convert::{self, Explanations};
use super::stacks::{Stack, Workspace};
use super::text::Document;
use super::uri::path_of;
use super::{actions, complete, hover, navigate, outline};

pub struct Server {
    workspace: Workspace,
    explanations: Explanations,
    /// What was last published for each file, by the root it came from.
    published: BTreeMap<PathBuf, BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>>>,
    /// What was last sent for each file (all roots together).
    sent: BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>>,
    outbox: Vec<Message>,
    /// Whether the client reports changes to `.eos` files it does not have
    /// open (`workspace/didChangeWatchedFiles`).
    watching: bool,
}

/// A request that cannot be answered, as an LSP error.
struct Failure {
    code: ErrorCode,
    message: String,
}

impl Failure {
    fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::InvalidParams,
            message: message.into(),
        }
    }

    fn refused(message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::RequestFailed,
            message: message.into(),
        }
    }
}

type Answer = Result<serde_json::Value, Failure>;

impl Server {
    pub fn new(explanations: Explanations) -> Self {
        Self {
            workspace: Workspace::default(),
            explanations,
            published: BTreeMap::new(),
            sent: BTreeMap::new(),
            outbox: Vec::new(),
            watching: false,
        }
    }

    /// The client was asked to report changes to the stack's files.
    pub fn set_watching(&mut self, watching: bool) {
        self.watching = watching;
    }

    /// Reads from disk so far (an edit reads nothing).
    pub fn disk_reads(&self) -> usize {
        self.workspace.cache.reads()
    }

    pub fn take_outbox(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.outbox)
    }

    pub fn handle(&mut self, message: Message) {
        match message {
            Message::Request(request) => self.request(request),
            Message::Notification(notification) => self.notification(notification),
            Message::Response(_) => {}
        }
    }

    fn notification(&mut self, notification: Notification) {
        let method = notification.method.as_str();
        match method {
            note::DidOpenTextDocument::METHOD => {
                if let Some(p) = params::<DidOpenTextDocumentParams>(notification.params) {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        let document = Document::new(p.text_document.text, p.text_document.version);
                        self.workspace.open(&path, document);
                    }
                }
            }
            note::DidChangeTextDocument::METHOD => {
                if let Some(p) = params::<DidChangeTextDocumentParams>(notification.params) {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        if let Some(document) = self.workspace.documents.get_mut(&path) {
                            document.apply(p.content_changes, p.text_document.version);
                            self.workspace.change(&path);
                        }
                    }
                }
            }
            note::DidCloseTextDocument::METHOD => {
                if let Some(p) = params::<DidCloseTextDocumentParams>(notification.params) {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        let gone = self.workspace.close(&path);
                        self.forget_published(gone);
                    }
                }
            }
            note::DidSaveTextDocument::METHOD => {
                if let Some(p) = params::<DidSaveTextDocumentParams>(notification.params) {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        self.workspace.saved(&path, self.watching);
                    }
                }
            }
            note::DidChangeWatchedFiles::METHOD => {
                if let Some(p) = params::<DidChangeWatchedFilesParams>(notification.params) {
                    for change in p.changes {
                        if let Some(path) = path_of(&change.uri) {
                            self.workspace.changed_on_disk(&path);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn request(&mut self, request: Request) {
        // Answers are about the text as it is now.
        self.refresh();
        let Request { id, method, params } = request;
        let answer = match method.as_str() {
            req::HoverRequest::METHOD => self.hover(params),
            req::GotoDefinition::METHOD => self.definition(params),
            req::References::METHOD => self.references(params),
            req::PrepareRenameRequest::METHOD => self.prepare_rename(params),
            req::Rename::METHOD => self.rename(params),
            req::Completion::METHOD => self.completion(params),
            req::Formatting::METHOD => self.formatting(params),
            req::CodeActionRequest::METHOD => self.code_actions(params),
            req::DocumentSymbolRequest::METHOD => self.document_symbols(params),
            req::Shutdown::METHOD => Ok(serde_json::Value::Null),
            _ => Err(Failure {
                code: ErrorCode::MethodNotFound,
                message: format!("eosc lsp does not answer `{method}`"),
            }),
        };
        self.respond(id, answer);
    }

    fn respond(&mut self, id: RequestId, answer: Answer) {
        let response = match answer {
            Ok(result) => Response::new_ok(id, result),
            Err(failure) => Response::new_err(id, failure.code as i32, failure.message),
        };
        self.outbox.push(Message::Response(response));
    }

    /// Answers a request whose handler panicked: the server goes on.
    pub fn internal_error(&mut self, id: RequestId) {
        self.respond(
            id,
            Err(Failure {
                code: ErrorCode::InternalError,
                message: "eosc lsp failed on this request (a bug: please report it)".into(),
            }),
        );
    }

    /// Re-checks every stack an edit changed and publishes the diagnostics
    /// that differ from those last sent.
    pub fn refresh(&mut self) {
        if !self.workspace.has_dirty() {
            return;
        }
        let (roots, gone) = self.workspace.refresh();
        self.forget_published(gone);
        let mut touched: BTreeSet<PathBuf> = BTreeSet::new();
        for root in roots {
            let Some(stack) = self.workspace.stacks.get(&root) else {
                continue;
            };
            let mut files = crate::timings::phase("lsp: convert", || {
                convert::by_file(&stack.checked, &self.explanations)
            });
            for file in &stack.files {
                files.entry(file.clone()).or_default();
            }
            let previous = self
                .published
                .insert(root, files.clone())
                .unwrap_or_default();
            touched.extend(previous.into_keys());
            touched.extend(files.into_keys());
        }
        for file in touched {
            self.publish(file);
        }
    }

    /// Files no stack holds any more: their diagnostics go.
    fn forget_published(&mut self, gone: Vec<PathBuf>) {
        let roots: Vec<PathBuf> = self.published.keys().cloned().collect();
        for root in roots {
            if !self.workspace.stacks.contains_key(&root) {
                self.published.remove(&root);
            }
        }
        for file in gone {
            self.publish(file);
        }
    }

    /// Sends the diagnostics of `file` from every stack, if they changed.
    fn publish(&mut self, file: PathBuf) {
        let lists: Vec<&Vec<lsp_types::Diagnostic>> = self
            .published
            .values()
            .filter_map(|files| files.get(&file))
            .collect();
        let mut all: Vec<lsp_types::Diagnostic> = Vec::new();
        if let [only] = lists.as_slice() {
            all.clone_from(only);
        }
        // A file several open stacks hold: each problem once.
        let mut seen = std::collections::HashSet::new();
        for found in lists.iter().filter(|_| lists.len() > 1) {
            for diagnostic in *found {
                let key = (
                    diagnostic.range.start,
                    diagnostic.range.end,
                    diagnostic.code.clone(),
                    diagnostic.message.clone(),
                );
                if seen.insert(key) {
                    all.push(diagnostic.clone());
                }
            }
        }
        if self.sent.get(&file).map_or(all.is_empty(), |s| *s == all) {
            return;
        }
        let Some(uri) = super::uri::uri_of(&file) else {
            return;
        };
        let version = self.workspace.documents.get(&file).map(|d| d.version);
        let params = PublishDiagnosticsParams::new(uri, all.clone(), version);
        self.sent.insert(file, all);
        self.outbox.push(Message::Notification(Notification::new(
            note::PublishDiagnostics::METHOD.to_string(),
            params,
        )));
    }

    /// The stack of an open document, and the document's place in its index.
    fn located(&self, uri: &Url) -> Result<(&Stack, usize, PathBuf), Failure> {
        let path = path_of(uri).ok_or_else(|| Failure::invalid("not a file URI"))?;
        let stack = self
            .workspace
            .stack_of(&path)
            .ok_or_else(|| Failure::invalid("the document is not open"))?;
        let file = stack
            .index()
            .file_of(&path)
            .ok_or_else(|| Failure::invalid("the document is not part of its stack"))?;
        Ok((stack, file, path))
    }

    /// A position's byte offset in an open document's current text.
    fn offset(&self, path: &Path, position: lsp_types::Position) -> Result<usize, Failure> {
        let document = self
            .workspace
            .documents
            .get(path)
            .ok_or_else(|| Failure::invalid("the document is not open"))?;
        Ok(document.offset(position))
    }

    fn at(&self, at: &TextDocumentPositionParams) -> Result<(&Stack, usize, usize), Failure> {
        let (stack, file, path) = self.located(&at.text_document.uri)?;
        let offset = self.offset(&path, at.position)?;
        Ok((stack, file, offset))
    }

    fn hover(&self, params: serde_json::Value) -> Answer {
        let p: HoverParams = parse(params)?;
        let (stack, file, offset) = self.at(&p.text_document_position_params)?;
        to_json(hover::hover(stack, file, offset))
    }

    fn definition(&self, params: serde_json::Value) -> Answer {
        let p: GotoDefinitionParams = parse(params)?;
        let (stack, file, offset) = self.at(&p.text_document_position_params)?;
        let found = navigate::definition(stack.index(), file, offset);
        to_json((!found.is_empty()).then_some(GotoDefinitionResponse::Array(found)))
    }

    fn references(&self, params: serde_json::Value) -> Answer {
        let p: ReferenceParams = parse(params)?;
        let (stack, file, offset) = self.at(&p.text_document_position)?;
        let found =
            navigate::references(stack.index(), file, offset, p.context.include_declaration);
        to_json(Some(found))
    }

    fn prepare_rename(&self, params: serde_json::Value) -> Answer {
        let p: TextDocumentPositionParams = parse(params)?;
        let (stack, file, offset) = self.at(&p)?;
        let range =
            navigate::prepare_rename(stack.index(), file, offset).map_err(Failure::refused)?;
        to_json(Some(PrepareRenameResponse::Range(range)))
    }

    fn rename(&self, params: serde_json::Value) -> Answer {
        let p: RenameParams = parse(params)?;
        let (stack, file, offset) = self.at(&p.text_document_position)?;
        let edit =
            navigate::rename(stack.index(), file, offset, &p.new_name).map_err(Failure::refused)?;
        to_json(Some(edit))
    }

    fn completion(&self, params: serde_json::Value) -> Answer {
        let p: CompletionParams = parse(params)?;
        let at = &p.text_document_position;
        let (stack, file, path) = self.located(&at.text_document.uri)?;
        let document = &self.workspace.documents[&path];
        let offset = document.offset(at.position);
        let index = stack.index();
        let range_of =
            |start: usize, end: usize| document.range(crate::span::Span::new(start, end));
        let place = complete::Place {
            text: &document.text,
            offset,
            role: index.files[file].role,
            index: Some((index, file)),
            last_parsed: stack.last_parsed_index(),
            range_of: &range_of,
        };
        to_json(Some(CompletionResponse::Array(complete::complete(&place))))
    }

    fn formatting(&self, params: serde_json::Value) -> Answer {
        let p: DocumentFormattingParams = parse(params)?;
        let path =
            path_of(&p.text_document.uri).ok_or_else(|| Failure::invalid("not a file URI"))?;
        let document = self
            .workspace
            .documents
            .get(&path)
            .ok_or_else(|| Failure::invalid("the document is not open"))?;
        // A file with syntax errors is left as it is (as `eosc fmt` does).
        let Ok(formatted) = crate::fmt::format_source(&document.text) else {
            return to_json(None::<Vec<TextEdit>>);
        };
        if formatted == document.text {
            return to_json(Some(Vec::<TextEdit>::new()));
        }
        let whole = document.range(crate::span::Span::new(0, document.text.len()));
        to_json(Some(vec![TextEdit::new(whole, formatted)]))
    }

    fn code_actions(&self, params: serde_json::Value) -> Answer {
        let p: CodeActionParams = parse(params)?;
        let (stack, _, path) = self.located(&p.text_document.uri)?;
        to_json(Some(actions::quick_fixes(stack, &path, p.range)))
    }

    fn document_symbols(&self, params: serde_json::Value) -> Answer {
        let p: DocumentSymbolParams = parse(params)?;
        let (stack, file, _) = self.located(&p.text_document.uri)?;
        let indexed = &stack.index().files[file];
        let symbols = outline::symbols(&indexed.document, &indexed.text, &indexed.lines);
        to_json(Some(DocumentSymbolResponse::Nested(symbols)))
    }
}

fn params<T: DeserializeOwned>(value: serde_json::Value) -> Option<T> {
    serde_json::from_value(value).ok()
}

fn parse<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Failure> {
    serde_json::from_value(value).map_err(|e| Failure::invalid(format!("invalid parameters: {e}")))
}

fn to_json(value: impl serde::Serialize) -> Answer {
    serde_json::to_value(value).map_err(|e| Failure {
        code: ErrorCode::InternalError,
        message: e.to_string(),
    })
}
