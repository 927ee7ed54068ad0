//! `eosc lsp`: the language server (LSP 3.17 over stdin/stdout, LANGUAGE.md
//! section 13). It drives the compiler's own phases — the same parser,
//! composition and checks as `eosc check` — over the editor's open
//! documents laid over the files on disk:
//!
//! - `server.rs` — the state and the answer to each message (no I/O);
//! - `stacks.rs` — which stack a document belongs to, re-checking it;
//! - `files.rs` — the open documents over the disk, and the cache that
//!   keeps an edit from reading unchanged files again;
//! - `text.rs` — LSP positions (UTF-16) and byte offsets; `uri.rs` —
//!   document URIs and paths;
//! - `convert.rs` — diagnostics as LSP diagnostics;
//! - `index.rs` — every name and where it is written, across files;
//! - one file per feature: `hover.rs`, `navigate.rs` (definition,
//!   references, rename), `complete.rs` with `context.rs`, `actions.rs`,
//!   `outline.rs`.

pub mod actions;
pub mod complete;
pub mod context;
pub mod convert;
pub mod files;
pub mod hover;
pub mod index;
pub mod navigate;
pub mod outline;
pub mod server;
pub mod stacks;
pub mod text;
pub mod uri;

use lsp_server::{Connection, Message};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    HoverProviderCapability, OneOf, RenameOptions, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions,
};

pub use convert::Explanations;
pub use server::Server;

/// What the server offers (the `initialize` answer).
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: lsp_types::WorkDoneProgressOptions::default(),
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "=".into(), "[".into(), " ".into()]),
            ..CompletionOptions::default()
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

/// Runs the server on stdin/stdout until the client says `exit`.
pub fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (connection, io_threads) = Connection::stdio();
    let initialize = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": ServerInfo {
            name: "eosc".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        },
    });
    let (id, params) = connection.initialize_start()?;
    connection.initialize_finish(id, initialize)?;
    let mut server = Server::new(Explanations::in_cache());
    if watches_dynamically(&params) {
        connection
            .sender
            .send(Message::Request(watch_stack_files()))?;
        server.set_watching(true);
    }
    'serve: while let Ok(first) = connection.receiver.recv() {
        // Everything already waiting is handled before the stacks are
        // re-checked: a burst of keystrokes costs one check.
        let mut next = Some(first);
        while let Some(message) = next.take() {
            if let Message::Request(request) = &message {
                if connection.handle_shutdown(request)? {
                    break 'serve;
                }
            }
            handle_guarded(&mut server, message);
            next = connection.receiver.try_recv().ok();
        }
        // A bug in a check must not end the editor's session either.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.refresh()));
        for message in server.take_outbox() {
            connection.sender.send(message)?;
        }
    }
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// Whether the client can be asked to watch files (included and module
/// files change on disk while only the root is open).
fn watches_dynamically(initialize: &serde_json::Value) -> bool {
    initialize
        .pointer("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

/// Asks the client to report changes to `.eos` files
/// (`workspace/didChangeWatchedFiles`).
fn watch_stack_files() -> lsp_server::Request {
    use lsp_types::request::Request as _;
    let options = lsp_types::DidChangeWatchedFilesRegistrationOptions {
        watchers: vec![lsp_types::FileSystemWatcher {
            glob_pattern: lsp_types::GlobPattern::String("**/*.eos".into()),
            kind: None,
        }],
    };
    let registration = lsp_types::Registration {
        id: "eosc-watch-stack-files".into(),
        method: "workspace/didChangeWatchedFiles".into(),
        register_options: serde_json::to_value(options).ok(),
    };
    lsp_server::Request::new(
        lsp_server::RequestId::from("eosc-watch".to_string()),
        lsp_types::request::RegisterCapability::METHOD.into(),
        lsp_types::RegistrationParams {
            registrations: vec![registration],
        },
    )
}

/// Handles one message; a bug that panics answers its request with an
/// error instead of ending the editor's session.
fn handle_guarded(server: &mut Server, message: Message) {
    let id = match &message {
        Message::Request(request) => Some(request.id.clone()),
        _ => None,
    };
    let handled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.handle(message)));
    if handled.is_err() {
        if let Some(id) = id {
            server.internal_error(id);
        }
    }
}
