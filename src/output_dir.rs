//! Writing a build's artifacts: all into a temporary folder next to the target,
//! then renamed into place, so a failed or interrupted build never leaves half an
//! output. A folder is only replaced when it is absent, empty, or a previous
//! build's output (it holds the marker file): never a user's folder.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::emit::Artifacts;

/// The file that marks a folder as eosc's output.
pub const MARKER: &str = ".eosc-build";
const MARKER_TEXT: &str =
    "This folder is written by `eosc build`; it is replaced on every build.\n";

#[derive(Debug)]
pub enum WriteError {
    /// The folder exists and is not ours to replace.
    Foreign(PathBuf),
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Foreign(dir) => write!(
                f,
                "refusing to replace {}: it is not empty and not an eosc build output (no {MARKER} file); choose another folder with -o",
                dir.display()
            ),
            WriteError::Io(path, error) => write!(f, "cannot write {}: {error}", path.display()),
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |error| WriteError::Io(path.to_path_buf(), error)
}

/// Whether `dir` may be replaced: absent, an empty folder, or marked as ours.
fn replaceable(dir: &Path) -> Result<bool, WriteError> {
    match fs::symlink_metadata(dir) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(error) => Err(WriteError::Io(dir.to_path_buf(), error)),
        Ok(meta) if !meta.is_dir() => Ok(false),
        Ok(_) => {
            if dir.join(MARKER).is_file() {
                return Ok(true);
            }
            let mut entries = fs::read_dir(dir).map_err(io_error(dir))?;
            Ok(entries.next().is_none())
        }
    }
}

/// Writes every artifact under `dir`, replacing a previous build atomically.
pub fn write(dir: &Path, artifacts: &Artifacts) -> Result<(), WriteError> {
    write_streaming(dir, |write| {
        for (relative, contents) in &artifacts.files {
            write(relative, &[contents]);
        }
        Ok::<(), std::convert::Infallible>(())
    })
    .map(|_| ())
}

/// Writes a build produced piece by piece, with the same guarantees as
/// [`write`]: `produce` gets a writer that puts each file into the staging
/// folder as soon as it is handed over (from any thread), so the build never
/// holds all of its output. When `produce` fails, or a file cannot be written,
/// the staging folder is removed and the target is left as it was.
pub fn write_streaming<T, E>(
    dir: &Path,
    produce: impl FnOnce(crate::emit::Writer<'_>) -> Result<T, E>,
) -> Result<Result<T, E>, WriteError> {
    if !replaceable(dir)? {
        return Err(WriteError::Foreign(dir.to_path_buf()));
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_error(&parent))?;
    let name = dir
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.eosc-new-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir(&staging).map_err(io_error(&staging))?;
    let stage = Stage::new(&staging);
    let produced = produce(&|relative: &str, pieces: &[&str]| stage.write(relative, pieces));
    let result = match (produced, stage.into_failure()) {
        (_, Some(failure)) => Err(failure),
        (Err(error), None) => Ok(Err(error)),
        (Ok(value), None) => {
            let marker = staging.join(MARKER);
            fs::write(&marker, MARKER_TEXT)
                .map_err(io_error(&marker))
                .and_then(|()| swap_into_place(&staging, dir, &parent, &name))
                .map(|()| Ok(value))
        }
    };
    if !matches!(result, Ok(Ok(_))) {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// The staging folder as files arrive: the folders made so far, and the first
/// failure (after which nothing more is written).
struct Stage<'a> {
    root: &'a Path,
    folders: Mutex<HashSet<String>>,
    failure: Mutex<Option<WriteError>>,
}

impl<'a> Stage<'a> {
    fn new(root: &'a Path) -> Self {
        Self {
            root,
            folders: Mutex::new(HashSet::new()),
            failure: Mutex::new(None),
        }
    }

    fn write(&self, relative: &str, pieces: &[&str]) {
        if lock(&self.failure).is_some() {
            return;
        }
        if let Err(error) = self.try_write(relative, pieces) {
            lock(&self.failure).get_or_insert(error);
        }
    }

    fn try_write(&self, relative: &str, pieces: &[&str]) -> Result<(), WriteError> {
        if let Some((folder, _)) = relative.rsplit_once('/') {
            let mut folders = lock(&self.folders);
            if !folders.contains(folder) {
                let path = self.root.join(folder);
                fs::create_dir_all(&path).map_err(io_error(&path))?;
                folders.insert(folder.to_string());
            }
        }
        let path = self.root.join(relative);
        fs::File::create(&path)
            .and_then(|mut file| {
                pieces
                    .iter()
                    .try_for_each(|piece| file.write_all(piece.as_bytes()))
            })
            .map_err(io_error(&path))
    }

    fn into_failure(self) -> Option<WriteError> {
        self.failure
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A lock that a panicking writer cannot make unusable (the data is plain).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn swap_into_place(
    staging: &Path,
    dir: &Path,
    parent: &Path,
    name: &str,
) -> Result<(), WriteError> {
    if fs::symlink_metadata(dir).is_err() {
        return fs::rename(staging, dir).map_err(io_error(dir));
    }
    let old = parent.join(format!(".{name}.eosc-old-{}", std::process::id()));
    let _ = fs::remove_dir_all(&old);
    fs::rename(dir, &old).map_err(io_error(dir))?;
    if let Err(error) = fs::rename(staging, dir) {
        let _ = fs::rename(&old, dir);
        return Err(WriteError::Io(dir.to_path_buf(), error));
    }
    fs::remove_dir_all(&old).map_err(io_error(&old))
}
