//! What the driver found on disk for each `file` block's `source`: the checks
//! (E0502, E0503) and emitters read this instead of touching the filesystem.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Inside the spec's folder; the contents as read (shared by every
    /// spelling of one file).
    Found(std::sync::Arc<[u8]>),
    /// Absolute, or resolving (through `..` or a symlink) outside the folder.
    Escapes,
    Missing,
    /// Exists but could not be read (not a regular file, permissions, too large).
    Unreadable(String),
}

/// `source` string → what it resolved to.
#[derive(Debug, Clone, Default)]
pub struct SourceFiles {
    pub files: BTreeMap<String, FileStatus>,
}

impl SourceFiles {
    pub fn status(&self, source: &str) -> Option<&FileStatus> {
        self.files.get(source)
    }

    pub fn contents(&self, source: &str) -> Option<&[u8]> {
        match self.files.get(source) {
            Some(FileStatus::Found(bytes)) => Some(bytes),
            _ => None,
        }
    }
}
