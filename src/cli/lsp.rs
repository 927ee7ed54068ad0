//! `eosc lsp`: the language server on stdin/stdout (`crate::lsp`).

use super::output;
use super::Status;

pub(super) fn run() -> Status {
    match crate::lsp::run() {
        Ok(()) => Status::Success,
        Err(error) => {
            output::stderr(&format!("error: eosc lsp: {error}\n"));
            Status::UsageOrIo
        }
    }
}
