//! The files of a stack as the composition sees them: paths relative to the
//! root file's folder, never outside it. The driver reads them from disk
//! (`crate::driver::DiskFiles`); tests, the fuzzers and the language server
//! hand in [`MemoryFiles`].

use std::collections::BTreeMap;

use super::glob::Pattern;

/// Why a file could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// Nothing at that path (E0503).
    Missing,
    /// The path, or a symlink on it, leads out of the root's folder (E0502).
    Escapes,
    /// More files matched than a stack may have (E0002).
    TooMany,
    /// Anything else, in the system's words (E0503).
    Unreadable(String),
}

/// Largest number of files in one stack (root, included files and module files).
pub const MAX_FILES: usize = 10_000;

/// Where a stack's files come from.
pub trait FileSet: Sync {
    /// The bytes of a file, by its normalized root-relative path.
    fn read(&self, path: &str) -> Result<Vec<u8>, FileError>;
    /// The root-relative paths of the files matching `pattern`, sorted; more
    /// than `limit` is [`FileError::TooMany`].
    fn glob(&self, pattern: &Pattern, limit: usize) -> Result<Vec<String>, FileError>;
}

/// `path` (as written in the file whose folder is `folder`) relative to the
/// root folder, with `.` and `..` resolved; `None` when it is absolute or
/// climbs out of the root folder.
pub fn normalize(folder: &str, path: &str) -> Option<String> {
    if path.starts_with('/') || path.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The folder of a root-relative path (`""` for the root folder).
pub fn folder_of(path: &str) -> &str {
    path.rfind('/').map_or("", |at| &path[..at])
}

/// Files held in memory, by root-relative path.
#[derive(Debug, Clone, Default)]
pub struct MemoryFiles {
    pub files: BTreeMap<String, String>,
}

impl MemoryFiles {
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn with(mut self, path: &str, text: &str) -> Self {
        self.files.insert(path.to_string(), text.to_string());
        self
    }
}

impl FileSet for MemoryFiles {
    fn read(&self, path: &str) -> Result<Vec<u8>, FileError> {
        self.files
            .get(path)
            .map(|text| text.clone().into_bytes())
            .ok_or(FileError::Missing)
    }

    fn glob(&self, pattern: &Pattern, limit: usize) -> Result<Vec<String>, FileError> {
        let mut found = Vec::new();
        for path in self.files.keys().filter(|path| pattern.matches(path)) {
            if found.len() == limit {
                return Err(FileError::TooMany);
            }
            found.push(path.clone());
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_resolved_inside_the_root_folder() {
        assert_eq!(normalize("", "a/./b.eos").as_deref(), Some("a/b.eos"));
        assert_eq!(normalize("apps", "../m.eos").as_deref(), Some("m.eos"));
        assert_eq!(normalize("", "../m.eos"), None);
        assert_eq!(normalize("a", "../../m.eos"), None);
        assert_eq!(normalize("", "/etc/passwd"), None);
        assert_eq!(normalize("", "."), None);
        assert_eq!(folder_of("a/b/c.eos"), "a/b");
        assert_eq!(folder_of("c.eos"), "");
    }
}
