//! Writing a build's artifacts: all into a temporary folder next to the target,
//! then swapped into place in one step (`renameat2(RENAME_EXCHANGE)`), so a
//! failed or interrupted build never leaves half an output, and the target
//! never stops existing. A folder is only replaced when it is absent, empty,
//! or a previous build's output (it holds the marker file, a regular file):
//! never a user's folder. The marker lists the files that build wrote; a
//! rebuild replaces those and carries every other file over — Terraform's
//! state, `.terraform/`, anything an operator put there. Folders left by a
//! build that was killed are cleaned up (or put back) by the next one.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::emit::Artifacts;

/// The file that marks a folder as eosc's output.
pub const MARKER: &str = ".eosc-build";
const MARKER_TEXT: &str =
    "This folder is written by `eosc build`; it is replaced on every build.\n";
/// The line of the marker after which the files of the build are listed.
const MANIFEST_HEADING: &str = "# files written by this build (others are kept on a rebuild):";

#[derive(Debug)]
pub enum WriteError {
    /// The folder exists and is not ours to replace.
    Foreign(PathBuf),
    /// A file eosc did not write stands where the build writes one.
    Conflict(PathBuf),
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
            WriteError::Conflict(path) => write!(
                f,
                "refusing to replace {}: eosc did not write it, and the build writes a file there; move it away",
                path.display()
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
            // The marker itself, not a symlink that names one elsewhere.
            if fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file()) {
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
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    clean_leftovers(&parent, &name, dir);
    if !replaceable(dir)? {
        return Err(WriteError::Foreign(dir.to_path_buf()));
    }
    fs::create_dir_all(&parent).map_err(io_error(&parent))?;
    let staging = parent.join(format!(".{name}.eosc-new-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir(&staging).map_err(io_error(&staging))?;
    let stage = Stage::new(&staging);
    let produced = produce(&|relative: &str, pieces: &[&str]| stage.write(relative, pieces));
    let (failure, written) = stage.finish();
    let result = match (produced, failure) {
        (_, Some(failure)) => Err(failure),
        (Err(error), None) => Ok(Err(error)),
        (Ok(value), None) => {
            let marker = staging.join(MARKER);
            fs::write(&marker, marker_text(&written))
                .map_err(io_error(&marker))
                .and_then(|()| carry_over(dir, &staging, &written))
                .and_then(|moved| {
                    swap_into_place(&staging, dir, &parent, &name).inspect_err(|_| moved.undo())
                })
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
    files: Mutex<Vec<String>>,
    failure: Mutex<Option<WriteError>>,
}

impl<'a> Stage<'a> {
    fn new(root: &'a Path) -> Self {
        Self {
            root,
            folders: Mutex::new(HashSet::new()),
            files: Mutex::new(Vec::new()),
            failure: Mutex::new(None),
        }
    }

    fn write(&self, relative: &str, pieces: &[&str]) {
        if lock(&self.failure).is_some() {
            return;
        }
        match self.try_write(relative, pieces) {
            Ok(()) => lock(&self.files).push(relative.to_string()),
            Err(error) => {
                lock(&self.failure).get_or_insert(error);
            }
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

    /// The first failure, and the files written (sorted).
    fn finish(self) -> (Option<WriteError>, BTreeSet<String>) {
        let failure = self
            .failure
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let files = self
            .files
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (failure, files.into_iter().collect())
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
    // One step: the target never stops existing, whenever the build is killed.
    let cwd = rustix::fs::CWD;
    match rustix::fs::renameat_with(cwd, staging, cwd, dir, rustix::fs::RenameFlags::EXCHANGE) {
        Ok(()) => return fs::remove_dir_all(staging).map_err(io_error(staging)),
        Err(error)
            if ![
                rustix::io::Errno::INVAL,
                rustix::io::Errno::NOSYS,
                rustix::io::Errno::NOTSUP,
            ]
            .contains(&error) =>
        {
            return Err(WriteError::Io(dir.to_path_buf(), error.into()));
        }
        Err(_) => {} // a file system without the exchange: two renames
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

fn marker_text(written: &BTreeSet<String>) -> String {
    let mut text = format!("{MARKER_TEXT}{MANIFEST_HEADING}\n");
    for file in written {
        text.push_str(file);
        text.push('\n');
    }
    text
}

/// The files a previous build says it wrote; `None` for a marker from before
/// the list (then the files the new build writes are taken as its).
fn previous_manifest(dir: &Path) -> Option<HashSet<String>> {
    let text = fs::read_to_string(dir.join(MARKER)).ok()?;
    let (_, list) = text.split_once(&format!("{MANIFEST_HEADING}\n"))?;
    Some(list.lines().map(str::to_string).collect())
}

/// Moves made from the previous output into the staging folder, to be put
/// back if the swap fails.
struct Moved(Vec<(PathBuf, PathBuf)>);

impl Moved {
    fn undo(&self) {
        for (from, to) in self.0.iter().rev() {
            let _ = fs::rename(to, from);
        }
    }
}

/// Carries every file of the previous output that eosc did not write into
/// the staging folder (whole folders where eosc wrote nothing in them).
fn carry_over(dir: &Path, staging: &Path, written: &BTreeSet<String>) -> Result<Moved, WriteError> {
    let mut moved = Moved(Vec::new());
    if !fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        return Ok(moved);
    }
    let manifest = previous_manifest(dir);
    let ours = |relative: &str| match &manifest {
        Some(listed) => listed.contains(relative),
        None => written.contains(relative),
    };
    let holds_ours = |folder: &str| {
        let prefix = format!("{folder}/");
        let listed = manifest
            .as_ref()
            .is_some_and(|m| m.iter().any(|f| f.starts_with(&prefix)));
        listed
            || written
                .range(prefix.clone()..)
                .next()
                .is_some_and(|f| f.starts_with(&prefix))
    };
    let result = carry_folder(dir, staging, "", &ours, &holds_ours, &mut moved);
    if result.is_err() {
        moved.undo();
    }
    result.map(|()| moved)
}

fn carry_folder(
    dir: &Path,
    staging: &Path,
    relative: &str,
    ours: &dyn Fn(&str) -> bool,
    holds_ours: &dyn Fn(&str) -> bool,
    moved: &mut Moved,
) -> Result<(), WriteError> {
    let folder = dir.join(relative);
    let mut entries: Vec<_> = fs::read_dir(&folder)
        .map_err(io_error(&folder))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if relative.is_empty() {
            name
        } else {
            format!("{relative}/{name}")
        };
        if path == MARKER {
            continue;
        }
        let is_folder = entry.file_type().is_ok_and(|t| t.is_dir());
        let (from, to) = (dir.join(&path), staging.join(&path));
        if is_folder && holds_ours(&path) {
            fs::create_dir_all(&to).map_err(io_error(&to))?;
            carry_folder(dir, staging, &path, ours, holds_ours, moved)?;
            continue;
        }
        if !is_folder && ours(&path) {
            continue; // replaced by the new build, or gone from it
        }
        if fs::symlink_metadata(&to).is_ok() {
            return Err(WriteError::Conflict(from));
        }
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        fs::rename(&from, &to).map_err(io_error(&from))?;
        moved.0.push((from, to));
    }
    Ok(())
}

/// Removes what builds killed before they finished left next to `dir`:
/// staging folders (`.NAME.eosc-new-PID`) and, when `dir` itself is gone (a
/// build killed between two renames), puts the previous output
/// (`.NAME.eosc-old-PID`) back. Folders of builds still running are left.
fn clean_leftovers(parent: &Path, name: &str, dir: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let (new, old) = (format!(".{name}.eosc-new-"), format!(".{name}.eosc-old-"));
    let mut leftovers: Vec<(PathBuf, bool)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let file = entry.file_name().to_string_lossy().into_owned();
            let (pid, is_old) = match (file.strip_prefix(&new), file.strip_prefix(&old)) {
                (Some(pid), _) => (pid.to_string(), false),
                (_, Some(pid)) => (pid.to_string(), true),
                _ => return None,
            };
            let pid: u32 = pid.parse().ok()?;
            let running = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
            (!running).then(|| (entry.path(), is_old))
        })
        .collect();
    leftovers.sort();
    for (path, is_old) in leftovers {
        if is_old && fs::symlink_metadata(dir).is_err() && fs::rename(&path, dir).is_ok() {
            continue;
        }
        let _ = fs::remove_dir_all(&path);
    }
}
