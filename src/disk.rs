//! Reading a stack's files from disk so that a path can neither lead out of
//! the stack's folder nor block: every file is opened through a handle on the
//! folder (cap-std resolves each component beneath it, symlinks included, with
//! `openat2(RESOLVE_BENEATH)` where the kernel has it), without blocking on a
//! FIFO or a device, and what was opened is checked — not the name, which
//! could be swapped for a symlink between a check and the read.

use std::io::Read;
use std::path::Path;

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskError {
    Missing,
    /// The path, or a symlink on it, leads out of the folder.
    Escapes,
    /// A FIFO, a device, a socket or a folder.
    NotRegular,
    /// Over the limit, in bytes.
    TooLarge(u64),
    Io(String),
}

impl std::fmt::Display for DiskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiskError::Missing => write!(f, "no such file"),
            DiskError::Escapes => write!(f, "it leads out of the stack's folder"),
            DiskError::NotRegular => write!(f, "not a regular file"),
            DiskError::TooLarge(limit) => write!(f, "larger than {} MiB", limit >> 20),
            DiskError::Io(error) => write!(f, "{error}"),
        }
    }
}

/// A folder files are read beneath.
#[derive(Debug)]
pub struct Beneath {
    dir: Dir,
}

impl Beneath {
    pub fn open(folder: &Path) -> std::io::Result<Self> {
        let dir = Dir::open_ambient_dir(folder, cap_std::ambient_authority())?;
        Ok(Self { dir })
    }

    /// The bytes of the regular file at `relative` (to the folder), at most
    /// `limit` of them (more is [`DiskError::TooLarge`] when `refuse_larger`,
    /// else the first `limit + 1` are returned for the caller to report).
    pub fn read(
        &self,
        relative: &str,
        limit: u64,
        refuse_larger: bool,
    ) -> Result<Vec<u8>, DiskError> {
        let mut options = OpenOptions::new();
        options
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
        let file = self
            .dir
            .open_with(relative, &options)
            .map_err(|e| classify(&e))?;
        let metadata = file.metadata().map_err(|e| DiskError::Io(e.to_string()))?;
        if !metadata.is_file() {
            return Err(DiskError::NotRegular);
        }
        if refuse_larger && metadata.len() > limit {
            return Err(DiskError::TooLarge(limit));
        }
        read_at_most(file, limit)
    }
}

/// Opens `path` itself (the root file, named by the user) without blocking,
/// and refuses anything but a regular file.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

fn read_at_most(file: impl Read, limit: u64) -> Result<Vec<u8>, DiskError> {
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| DiskError::Io(e.to_string()))?;
    Ok(bytes)
}

fn classify(error: &std::io::Error) -> DiskError {
    match error.kind() {
        std::io::ErrorKind::NotFound => DiskError::Missing,
        // cap-std's "a path led outside of the filesystem", and an absolute path
        std::io::ErrorKind::PermissionDenied
            if error.to_string().contains("outside") || error.raw_os_error().is_none() =>
        {
            DiskError::Escapes
        }
        _ if error.raw_os_error() == Some(libc::EXDEV) => DiskError::Escapes,
        _ => DiskError::Io(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("spec")).unwrap();
        std::fs::write(dir.path().join("secret"), "root:x:0:0").unwrap();
        std::fs::write(dir.path().join("spec/ok.conf"), "k = v").unwrap();
        dir
    }

    #[test]
    fn a_file_inside_is_read() {
        let dir = folder();
        let beneath = Beneath::open(&dir.path().join("spec")).unwrap();
        assert_eq!(beneath.read("ok.conf", 100, true).unwrap(), b"k = v");
        assert_eq!(beneath.read("none", 100, true), Err(DiskError::Missing));
    }

    /// What the name-based check could be raced past: the handle refuses a
    /// symlink out however it got there, whatever its name resolved to a
    /// moment before.
    #[test]
    fn symlinks_and_dots_out_of_the_folder_are_refused_by_the_handle() {
        let dir = folder();
        let spec = dir.path().join("spec");
        std::os::unix::fs::symlink(dir.path().join("secret"), spec.join("link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), spec.join("up")).unwrap();
        let beneath = Beneath::open(&spec).unwrap();
        for path in ["link", "up/secret", "../secret", "/etc/passwd"] {
            assert_eq!(
                beneath.read(path, 100, true),
                Err(DiskError::Escapes),
                "{path}"
            );
        }
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = folder();
        let fifo = dir.path().join("spec/fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let beneath = Beneath::open(&dir.path().join("spec")).unwrap();
        assert_eq!(beneath.read("fifo", 100, true), Err(DiskError::NotRegular));
        let error = open_regular(&fifo).unwrap_err();
        assert_eq!(error.to_string(), "not a regular file");
    }

    #[test]
    fn a_file_over_the_limit_is_refused_or_cut() {
        let dir = folder();
        let beneath = Beneath::open(&dir.path().join("spec")).unwrap();
        assert_eq!(
            beneath.read("ok.conf", 2, true),
            Err(DiskError::TooLarge(2))
        );
        assert_eq!(beneath.read("ok.conf", 2, false).unwrap(), b"k =");
    }
}
