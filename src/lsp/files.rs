//! The files a check reads, as the language server hands them in: an open
//! document's buffer wins over the disk, and what was read from disk is kept
//! until the editor says it changed (`workspace/didChangeWatchedFiles`, a
//! save, a close). An edit re-checks the stack without reading one unchanged
//! file again: the buffers are in memory and the rest is cached.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::compose::files::{FileError, FileSet};
use crate::compose::glob::Pattern;
use crate::driver::DiskFiles;
use crate::model::files::{FileStatus, SourceFiles};
use crate::model::Stack;

/// A file's bytes, or why there are none.
type Read = Result<Arc<[u8]>, FileError>;
/// The files a pattern matched, or why none.
type Matched = Result<Vec<String>, FileError>;

/// What has been read from disk, by absolute path; shared by every stack the
/// server checks.
#[derive(Default)]
pub struct DiskCache {
    /// Stack files (root, included, module): their bytes or why there are none.
    files: Mutex<HashMap<PathBuf, Read>>,
    /// `include` patterns, by the folder they were matched in.
    globs: Mutex<HashMap<(PathBuf, Vec<String>), Matched>>,
    /// `file` block sources, by the stack root's folder and the source.
    sources: Mutex<HashMap<(PathBuf, String), FileStatus>>,
    /// How many times a file was read from disk (the benchmark and the
    /// tests read it: an edit reads nothing).
    reads: std::sync::atomic::AtomicUsize,
}

impl DiskCache {
    /// Forgets what was read of `path` (it changed on disk). Globs are
    /// forgotten whole: a file created or deleted changes what they match.
    pub fn forget(&self, path: &Path) {
        lock(&self.files).remove(path);
        lock(&self.globs).clear();
        lock(&self.sources).retain(|(folder, source), _| folder.join(source) != path);
    }

    /// Forgets what the `file` sources held (they are not watched).
    pub fn forget_sources(&self) {
        lock(&self.sources).clear();
    }

    /// Forgets everything (a change the editor could not name).
    pub fn forget_all(&self) {
        lock(&self.files).clear();
        lock(&self.globs).clear();
        lock(&self.sources).clear();
    }

    /// Reads from disk so far.
    pub fn reads(&self) -> usize {
        self.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A stack file's bytes, read through `disk` (which keeps the read
    /// inside the root's folder) the first time only.
    fn read(
        &self,
        absolute: PathBuf,
        relative: &str,
        disk: &DiskFiles,
    ) -> Result<Vec<u8>, FileError> {
        self.cached(absolute, || disk.read(relative).map(Arc::<[u8]>::from))
    }

    /// A root file's bytes (the root is not read through a folder: it is
    /// the folder's reason to be).
    pub fn read_root(&self, path: &Path) -> Result<Vec<u8>, FileError> {
        self.cached(path.to_path_buf(), || {
            match crate::disk::open_regular(path) {
                Ok(file) => {
                    use std::io::Read;
                    let mut bytes = Vec::new();
                    file.take(crate::syntax::MAX_FILE_SIZE as u64 + 1)
                        .read_to_end(&mut bytes)
                        .map(|_| Arc::<[u8]>::from(bytes))
                        .map_err(|e| FileError::Unreadable(e.to_string()))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FileError::Missing),
                Err(e) => Err(FileError::Unreadable(e.to_string())),
            }
        })
    }

    /// What is known of `path`, or what `read` finds (counted, and kept).
    fn cached(&self, path: PathBuf, read: impl FnOnce() -> Read) -> Result<Vec<u8>, FileError> {
        if let Some(known) = lock(&self.files).get(&path) {
            return known
                .as_ref()
                .map(|bytes| bytes.to_vec())
                .map_err(Clone::clone);
        }
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let read = read();
        let bytes = read.as_ref().map(|b| b.to_vec()).map_err(Clone::clone);
        lock(&self.files).insert(path, read);
        bytes
    }

    /// The `file` sources of `stack` (rooted at `root`), probed on disk for
    /// those not seen before.
    pub fn source_files(&self, root: &Path, stack: &Stack) -> SourceFiles {
        let folder = root.parent().unwrap_or(Path::new("/")).to_path_buf();
        let wanted: Vec<&str> = stack
            .services
            .iter()
            .flat_map(|s| s.decl.files().iter().map(|f| f.source.value.as_str()))
            .collect();
        {
            let known = lock(&self.sources);
            if wanted
                .iter()
                .all(|s| known.contains_key(&(folder.clone(), (*s).to_string())))
            {
                let mut found = SourceFiles::default();
                for source in wanted {
                    let status = known[&(folder.clone(), source.to_string())].clone();
                    found.files.insert(source.to_string(), status);
                }
                return found;
            }
        }
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let found = crate::driver::probe_files(root, stack);
        let mut known = lock(&self.sources);
        for (source, status) in &found.files {
            known.insert((folder.clone(), source.clone()), status.clone());
        }
        found
    }
}

/// A poisoned lock still holds a usable cache (a panic elsewhere does not
/// make the bytes wrong).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One stack's files: its root's folder on disk (through the cache), with
/// the open documents laid over it.
pub struct OverlayFiles<'s> {
    folder: PathBuf,
    disk: DiskFiles,
    cache: &'s DiskCache,
    /// Open documents below the folder: root-relative path → text.
    open: Vec<(String, &'s str)>,
}

impl<'s> OverlayFiles<'s> {
    pub fn new(
        folder: PathBuf,
        cache: &'s DiskCache,
        open: impl IntoIterator<Item = (&'s Path, &'s str)>,
    ) -> Self {
        let open = open
            .into_iter()
            .filter_map(|(path, text)| {
                let relative = path.strip_prefix(&folder).ok()?.to_str()?.to_string();
                Some((relative, text))
            })
            .collect();
        Self {
            disk: DiskFiles::new(folder.clone()),
            folder,
            cache,
            open,
        }
    }
}

impl FileSet for OverlayFiles<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>, FileError> {
        if let Some((_, text)) = self.open.iter().find(|(p, _)| p == path) {
            return Ok(text.as_bytes().to_vec());
        }
        self.cache.read(self.folder.join(path), path, &self.disk)
    }

    fn glob(&self, pattern: &Pattern, limit: usize) -> Result<Vec<String>, FileError> {
        let key = (self.folder.clone(), pattern.segments().to_vec());
        let on_disk = {
            let known = lock(&self.cache.globs).get(&key).cloned();
            match known {
                Some(found) => found,
                None => {
                    let found = self.disk.glob(pattern, limit);
                    lock(&self.cache.globs).insert(key, found.clone());
                    found
                }
            }
        };
        let mut found = on_disk?;
        // A new file not yet saved is part of the stack as the editor shows it.
        found.extend(
            self.open
                .iter()
                .filter(|(p, _)| pattern.matches(p))
                .map(|(p, _)| p.clone()),
        );
        found.sort();
        found.dedup();
        if found.len() > limit {
            return Err(FileError::TooMany);
        }
        Ok(found)
    }
}
