//! The pipeline, file in, results out: read → parse → lower → resolve → check.
//! With the CLI, the only code that touches the filesystem.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Stack;
use crate::span::Span;
use crate::syntax::{Document, MAX_FILE_SIZE};

/// A spec file as read from disk.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user gave it (shown in diagnostics).
    pub path: PathBuf,
    /// The text; invalid UTF-8 is replaced (and reported as E0001).
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
        }
    }

    pub fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// Everything the front end and the checks learned about one file.
#[derive(Debug)]
pub struct Checked {
    pub source: SourceFile,
    pub document: Document,
    pub diagnostics: Diagnostics,
    /// The resolved stack, when the front end found no errors.
    pub stack: Option<Stack>,
}

/// A file that could not be read at all (exit code 2, not a diagnostic).
#[derive(Debug)]
pub struct ReadError {
    pub path: PathBuf,
    pub error: std::io::Error,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read {}: {}", self.path.display(), self.error)
    }
}

/// Reads a spec file, refusing to read more than the size limit.
pub fn read_source(path: &Path) -> Result<(SourceFile, Diagnostics), ReadError> {
    let mut bytes = Vec::new();
    let file = std::fs::File::open(path).map_err(|error| ReadError {
        path: path.to_path_buf(),
        error,
    })?;
    file.take(MAX_FILE_SIZE as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| ReadError {
            path: path.to_path_buf(),
            error,
        })?;
    Ok(decode(path, bytes))
}

/// Turns raw bytes into a source file, reporting over-size and invalid UTF-8.
pub fn decode(path: &Path, bytes: Vec<u8>) -> (SourceFile, Diagnostics) {
    let mut diags = Diagnostics::new();
    if bytes.len() > MAX_FILE_SIZE {
        diags.push(crate::syntax::file_too_large(bytes.len()));
        return (SourceFile::new(path, String::new()), diags);
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            diags.push(
                Diagnostic::new(
                    Code::E0001,
                    Span::new(at, at + 1),
                    "the file is not valid UTF-8",
                )
                .with_primary_label("invalid byte sequence")
                .with_help("save the file as UTF-8"),
            );
            // Keep the valid prefix only: the rest is not trustworthy text.
            let mut bytes = error.into_bytes();
            bytes.truncate(at);
            String::from_utf8(bytes).unwrap_or_default()
        }
    };
    (SourceFile::new(path, text), diags)
}

/// Runs the front end and every check over a source.
pub fn check_source(source: SourceFile, mut diagnostics: Diagnostics) -> Checked {
    if diagnostics.has_errors() {
        return Checked {
            source,
            document: Document::default(),
            diagnostics,
            stack: None,
        };
    }
    let (document, parse_diags) = crate::syntax::parse(&source.text);
    let complete = !parse_diags.has_errors();
    let refused = parse_diags.iter().any(|d| d.code == Code::E0002);
    diagnostics.extend(parse_diags);
    let mut stack = None;
    if !refused {
        let spec = crate::schema::lower(&document, complete, &mut diagnostics);
        // Blocks lost to a syntax error would make every reference to them look
        // unknown: resolve only a complete file.
        if complete {
            stack = crate::model::resolve(spec, &mut diagnostics);
        }
    }
    let stack = if diagnostics.has_errors() {
        None
    } else {
        stack
    };
    diagnostics.sort();
    Checked {
        source,
        document,
        diagnostics,
        stack,
    }
}

/// Reads and checks a file.
pub fn check_file(path: &Path) -> Result<Checked, ReadError> {
    let (source, diags) = read_source(path)?;
    Ok(check_source(source, diags))
}
