//! Writing a build's artifacts: all into a temporary folder next to the target,
//! then renamed into place, so a failed or interrupted build never leaves half an
//! output. A folder is only replaced when it is absent, empty, or a previous
//! build's output (it holds the marker file): never a user's folder.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

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
    let result =
        stage(&staging, artifacts).and_then(|()| swap_into_place(&staging, dir, &parent, &name));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

fn stage(staging: &Path, artifacts: &Artifacts) -> Result<(), WriteError> {
    let _ = fs::remove_dir_all(staging);
    fs::create_dir(staging).map_err(io_error(staging))?;
    create_folders(staging, artifacts)?;
    let files: Vec<(&String, &String)> = artifacts.files.iter().collect();
    let writers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let share = files.len().div_ceil(writers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(share)
            .map(|chunk| scope.spawn(move || write_files(staging, chunk)))
            .collect();
        handles.into_iter().try_for_each(|handle| {
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    })?;
    let marker = staging.join(MARKER);
    fs::write(&marker, MARKER_TEXT).map_err(io_error(&marker))
}

/// Every folder the artifacts go in, each created once.
fn create_folders(staging: &Path, artifacts: &Artifacts) -> Result<(), WriteError> {
    let folders: std::collections::BTreeSet<&str> = artifacts
        .files
        .keys()
        .filter_map(|relative| relative.rsplit_once('/').map(|(folder, _)| folder))
        .collect();
    for folder in folders {
        let path = staging.join(folder);
        fs::create_dir_all(&path).map_err(io_error(&path))?;
    }
    Ok(())
}

/// Writes files whose folders exist (the build's writers share the files out).
fn write_files(staging: &Path, files: &[(&String, &String)]) -> Result<(), WriteError> {
    for (relative, contents) in files {
        let path = staging.join(relative);
        fs::write(&path, contents).map_err(io_error(&path))?;
    }
    Ok(())
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
