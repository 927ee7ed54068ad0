//! Document URIs and the paths the compiler reads. A `file:` URI is its
//! path; any other (an editor's `untitled:` buffer) stands for a file of
//! its own in a folder that does not exist, so it is checked alone, and
//! the path names the URI again when the server answers.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use lsp_types::Url;

/// The folder of the paths that stand for documents without a file.
const UNSAVED: &str = "/.eosc-unsaved-document";

/// The path a document's URI stands for.
pub fn path_of(uri: &Url) -> Option<PathBuf> {
    if uri.scheme() == "file" {
        return uri.to_file_path().ok();
    }
    // One path segment, the URI in hex: no `/` or `..` to climb with.
    let mut encoded = String::with_capacity(uri.as_str().len() * 2);
    for byte in uri.as_str().bytes() {
        let _ = write!(encoded, "{byte:02x}");
    }
    Some(Path::new(UNSAVED).join(format!("{encoded}.eos")))
}

/// The URI a path stands for (the inverse of [`path_of`]).
pub fn uri_of(path: &Path) -> Option<Url> {
    if let Ok(rest) = path.strip_prefix(UNSAVED) {
        let hex = rest.to_str()?.strip_suffix(".eos")?;
        let bytes: Option<Vec<u8>> = (0..hex.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok())
            .collect();
        return Url::parse(std::str::from_utf8(&bytes?).ok()?).ok();
    }
    Url::from_file_path(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untitled_document_round_trips() {
        let uri = Url::parse("untitled:Untitled-1").unwrap();
        let path = path_of(&uri).unwrap();
        assert!(path.starts_with(UNSAVED));
        assert_eq!(path.components().count(), 3, "{}", path.display());
        assert_eq!(uri_of(&path), Some(uri));
        let file = Url::parse("file:///srv/stack%20a.eos").unwrap();
        assert_eq!(path_of(&file), Some(PathBuf::from("/srv/stack a.eos")));
        assert_eq!(uri_of(Path::new("/srv/stack a.eos")), Some(file));
    }
}
