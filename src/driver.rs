//! The pipeline, file in, results out: read → parse → lower → resolve → check.
//! With the CLI, the only code that touches the filesystem.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::check::Analysis;
use crate::compose::files::{FileError, FileSet};
use crate::compose::glob::Pattern;
use crate::compose::{BlockMemo, Composer, Composition};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::disk::{Beneath, DiskError};
use crate::model::files::{FileStatus, SourceFiles};
use crate::model::Stack;
use crate::source::SourceMap;
use crate::span::Span;
use crate::syntax::MAX_FILE_SIZE;

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
    /// The root file's path, as the user gave it.
    pub path: PathBuf,
    /// Every file of the stack (and module instance), by stack offset: where
    /// the diagnostics' spans point.
    pub sources: SourceMap,
    /// The environment checked, with `--env`.
    pub environment: Option<String>,
    /// Where the source holds secret values (masked wherever it is shown). The
    /// syntax tree itself is dropped once lowered: it is the largest structure
    /// of a check, and nothing after lowering reads it.
    pub secret_spans: Vec<Span>,
    pub diagnostics: Diagnostics,
    /// The resolved stack, when the front end found no errors.
    pub stack: Option<Stack>,
    /// What the checks derived (graph, stages, placement), with `stack`.
    pub analysis: Option<Analysis>,
    /// The `file` sources as found on disk.
    pub files: SourceFiles,
}

/// A file that could not be read at all (exit code 2, not a diagnostic).
#[derive(Debug)]
pub struct ReadError {
    pub path: PathBuf,
    pub error: std::io::Error,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.display().to_string();
        write!(
            f,
            "cannot read {}: {}",
            crate::diag::render::printable(&path),
            self.error
        )
    }
}

/// Reads a spec file, refusing to read more than the size limit.
pub fn read_source(path: &Path) -> Result<(SourceFile, Diagnostics), ReadError> {
    // Not `File::open`: a FIFO named as the spec would block it forever.
    let file = crate::disk::open_regular(path).map_err(|error| ReadError {
        path: path.to_path_buf(),
        error,
    })?;
    let length = file
        .metadata()
        .map_or(0, |m| m.len())
        .min(MAX_FILE_SIZE as u64 + 1);
    let bytes =
        read_whole(&file, usize::try_from(length).unwrap_or(0)).map_err(|error| ReadError {
            path: path.to_path_buf(),
            error,
        })?;
    Ok(decode(path, bytes))
}

/// Files from which the two halves are read on two threads: most of reading
/// a large file is the first touch of its buffer's pages, which the two
/// threads share.
const READ_IN_HALVES_FROM: usize = 4 << 20;

/// The bytes of `file` (up to one past the size limit), whose length was
/// `length`. The buffer is sized once from it (growing by doubling would
/// copy it); a file that has grown since is read on to its end, one that
/// has shrunk is read again in one piece.
fn read_whole(file: &std::fs::File, length: usize) -> std::io::Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    use std::os::unix::fs::FileExt as _;
    let limit = MAX_FILE_SIZE as u64 + 1;
    if length >= READ_IN_HALVES_FROM {
        let mut bytes = vec![0; length];
        let (first, second) = bytes.split_at_mut(length / 2);
        let start_of_second = first.len() as u64;
        let (read_first, read_second) = crate::parallel::both(
            || file.read_exact_at(first, 0),
            || file.read_exact_at(second, start_of_second),
        );
        if read_first.is_ok() && read_second.is_ok() {
            let mut rest = file;
            rest.seek(SeekFrom::Start(length as u64))?;
            rest.take(limit - length as u64).read_to_end(&mut bytes)?;
            return Ok(bytes);
        }
        let mut again = file;
        again.seek(SeekFrom::Start(0))?;
    }
    let mut bytes = Vec::with_capacity(length + 1);
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Turns raw bytes into a source file, reporting over-size and invalid UTF-8.
pub fn decode(path: &Path, mut bytes: Vec<u8>) -> (SourceFile, Diagnostics) {
    let mut diags = Diagnostics::new();
    // A UTF-8 byte-order mark (some Windows editors write one) is not text:
    // lines and columns are counted as the editor shows them, without it.
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
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

/// Which stacks a check covers (LANGUAGE.md sections 7 and 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environments<'a> {
    /// The base stack and every environment (`eosc check`).
    All,
    /// The base stack only (`build`, `plan`, `graph` without `--env`).
    Base,
    /// One environment (`--env NAME`).
    One(&'a str),
}

/// `--env` named an environment the stack does not have (a usage error).
#[derive(Debug)]
pub struct UnknownEnvironment {
    pub name: String,
    pub known: Vec<String>,
}

impl std::fmt::Display for UnknownEnvironment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the stack has no environment `{}`", self.name)?;
        match self.known.as_slice() {
            [] => write!(f, " (it declares none)"),
            known => write!(f, " (it declares: {})", known.join(", ")),
        }
    }
}

/// Runs the front end and every check over a source alone (an `include` or a
/// `module` finds no file); `file` sources are looked up on disk next to it.
pub fn check_source(source: SourceFile, diagnostics: Diagnostics) -> Checked {
    let path = source.path.clone();
    check_source_with_files(source, diagnostics, |stack| probe_files(&path, stack))
}

/// Runs the front end and every check over a source alone, asking `files`
/// what the `file` sources hold (tests and fuzzers pass an in-memory answer:
/// no filesystem access).
pub fn check_source_with_files(
    source: SourceFile,
    diagnostics: Diagnostics,
    files: impl Fn(&Stack) -> SourceFiles,
) -> Checked {
    let none = crate::compose::files::MemoryFiles::new();
    check_stack(source, diagnostics, &none, Environments::All, files)
        .expect("checking every environment names none")
}

/// Composes the stack whose root is `source` from `stack_files` (its
/// included and module files), then checks the stacks `which` asks for.
pub fn check_stack(
    source: SourceFile,
    diagnostics: Diagnostics,
    stack_files: &dyn FileSet,
    which: Environments<'_>,
    files: impl Fn(&Stack) -> SourceFiles,
) -> Result<Checked, UnknownEnvironment> {
    check_stack_reusing(source, diagnostics, stack_files, None, which, files)
}

/// [`check_stack`], reading the files through `memo` when given: what it
/// kept of the last check's blocks is reused for those an edit did not
/// touch (the language server).
pub fn check_stack_reusing(
    source: SourceFile,
    mut diagnostics: Diagnostics,
    stack_files: &dyn FileSet,
    memo: Option<&BlockMemo>,
    which: Environments<'_>,
    files: impl Fn(&Stack) -> SourceFiles,
) -> Result<Checked, UnknownEnvironment> {
    if diagnostics.has_errors() {
        return Ok(Checked::failed(source, diagnostics));
    }
    // The text moves into the source map (not copied: see `SharedText`).
    let SourceFile { path, text } = source;
    let mut composer = Composer::new(&path, Arc::new(text), stack_files);
    if let Some(memo) = memo {
        composer = composer.reusing(memo);
    }
    let mut base_diags = Diagnostics::new();
    let (composition, environments) = composer.base(&mut base_diags);
    let mut secret_spans = composition.secret_spans.clone();
    let mut result = analyse(composition, &mut base_diags, &files);
    let mut environment = None;
    match which {
        Environments::Base => diagnostics.extend(base_diags),
        Environments::All => {
            // Each environment's own findings, kept as it is checked; the
            // base's are moved in after them (a run of 100,000 warnings is
            // not copied), and the whole list is sorted below.
            let mut only_in_environments = Vec::new();
            for overlay in &environments {
                let mut env_diags = Diagnostics::new();
                let composition = composer.environment(overlay, &mut env_diags);
                secret_spans.extend(composition.secret_spans.iter().copied());
                analyse(composition, &mut env_diags, &files);
                only_in_environments.extend(only_in_environment(
                    env_diags,
                    &base_diags,
                    &overlay.name,
                ));
            }
            diagnostics.extend(base_diags);
            for diagnostic in only_in_environments {
                diagnostics.push(diagnostic);
            }
        }
        Environments::One(name) => {
            let Some(overlay) = environments.iter().find(|o| o.name == name) else {
                return Err(UnknownEnvironment {
                    name: name.to_string(),
                    known: environments.iter().map(|o| o.name.clone()).collect(),
                });
            };
            let mut env_diags = Diagnostics::new();
            let composition = composer.environment(overlay, &mut env_diags);
            secret_spans.extend(composition.secret_spans.iter().copied());
            result = analyse(composition, &mut env_diags, &files);
            for diagnostic in env_diags.iter_mut() {
                diagnostic.environment = Some(name.to_string());
            }
            diagnostics.extend(env_diags);
            environment = Some(name.to_string());
        }
    }
    let sources = composer.sources;
    sources.label_instances(&mut diagnostics);
    diagnostics.sort();
    diagnostics.dedup();
    let (stack, analysis, found) = result;
    Ok(Checked {
        path,
        sources,
        environment,
        secret_spans,
        diagnostics,
        stack,
        analysis,
        files: found,
    })
}

/// The diagnostics of an environment that the base stack does not have (a
/// problem of the base is reported once), marked with the environment.
fn only_in_environment(found: Diagnostics, base: &Diagnostics, name: &str) -> Vec<Diagnostic> {
    let key = |d: &Diagnostic| (d.code, d.primary.span, d.message.clone());
    let in_base: std::collections::HashSet<_> = base.iter().map(key).collect();
    found
        .into_iter()
        .filter(|d| !in_base.contains(&key(d)))
        .map(|mut d| {
            d.environment = Some(name.to_string());
            d
        })
        .collect()
}

/// Resolves and checks composed declarations.
fn analyse(
    composition: Composition,
    diagnostics: &mut Diagnostics,
    files: &impl Fn(&Stack) -> SourceFiles,
) -> (Option<Stack>, Option<Analysis>, SourceFiles) {
    let mut stack = None;
    // Blocks lost to a syntax error would make every reference to them look
    // unknown: resolve only complete files.
    if composition.complete {
        stack = crate::timings::phase("resolve", || {
            crate::model::resolve(composition.spec, diagnostics)
        });
    }
    if diagnostics.has_errors() {
        return (None, None, SourceFiles::default());
    }
    let mut found = SourceFiles::default();
    let analysis = stack.as_ref().map(|stack| {
        found = files(stack);
        crate::timings::phase("checks", || crate::check::run(stack, &found, diagnostics))
    });
    (stack, analysis, found)
}

/// Both ways of the front end, for the test that holds them to one result:
/// the declarations (as `Debug` text), whether the file was complete, the
/// secret spans and the diagnostics; `None` when the streamed way gave up.
#[doc(hidden)]
pub fn declarations_both_ways(text: &str) -> (Option<String>, String) {
    crate::compose::declarations_both_ways(text)
}

impl Checked {
    /// Whether the root has no `stack` block (E0108): then it may be an
    /// included or module file, checked through its root ([`find_root`]).
    pub fn lacks_stack_block(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.code == Code::E0108 && d.message == "no `stack` block")
    }

    /// Whether the file may be an included or module file rather than a
    /// root: it has no `stack` block, or it has errors and no line of it
    /// starts one (a syntax error hides E0108).
    pub fn may_be_part_of_a_stack(&self) -> bool {
        self.lacks_stack_block()
            || (self.diagnostics.has_errors() && !starts_a_stack_block(self.root_text()))
    }

    /// The files as diagnostics may show them: secret values masked.
    pub fn shown_sources(&self) -> crate::diag::render::ShownSources<'_> {
        crate::diag::render::ShownSources::new(&self.sources, &self.secret_spans)
    }

    /// The root file's text (as read: secret values not masked).
    pub fn root_text(&self) -> &str {
        self.sources.entries().first().map_or("", |e| &e.text)
    }

    /// The root's path as diagnostics show it.
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }

    /// A file that got no further than reading or parsing.
    pub fn failed(source: SourceFile, diagnostics: Diagnostics) -> Self {
        Self {
            sources: SourceMap::single(source.path.clone(), Arc::new(source.text)),
            path: source.path,
            environment: None,
            secret_spans: Vec::new(),
            diagnostics,
            stack: None,
            analysis: None,
            files: SourceFiles::default(),
        }
    }
}

/// Whether a line of `text` begins with `stack "`.
pub fn starts_a_stack_block(text: &str) -> bool {
    text.lines().any(|line| {
        line.trim_start()
            .strip_prefix("stack")
            .is_some_and(|rest| rest.trim_start().starts_with('"'))
    })
}

/// Largest `file` source read (config files, not data).
const MAX_SOURCE_FILE: u64 = 16 * 1024 * 1024;

/// Finds each `file` block's source relative to the spec's folder. A source
/// that is absolute or resolves outside the folder — through `..` or a symlink —
/// is never read.
pub fn probe_files(spec: &Path, stack: &Stack) -> SourceFiles {
    let folder = spec
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut found = SourceFiles::default();
    let beneath = Beneath::open(folder);
    // One read per file, however many spellings name it (`a`, `./a`, `b/../a`).
    let mut by_real_path: std::collections::HashMap<PathBuf, FileStatus> =
        std::collections::HashMap::new();
    for service in &stack.services {
        for file in service.decl.files() {
            let source = file.source.value.as_str();
            if found.files.contains_key(source) {
                continue;
            }
            // The rule on how a source is written comes before the cache.
            let real = (!escapes_lexically(source))
                .then(|| folder.join(source).canonicalize().ok())
                .flatten();
            let known = real
                .as_ref()
                .and_then(|real| by_real_path.get(real))
                .cloned();
            let status = known.unwrap_or_else(|| match &beneath {
                Ok(beneath) => probe(folder, beneath, source),
                Err(error) => FileStatus::Unreadable(error.to_string()),
            });
            if let Some(real) = real {
                by_real_path.insert(real, status.clone());
            }
            found.files.insert(source.to_string(), status);
        }
    }
    found
}

fn probe(folder: &Path, beneath: &Beneath, source: &str) -> FileStatus {
    if escapes_lexically(source) {
        return FileStatus::Escapes;
    }
    let Ok(root) = folder.canonicalize() else {
        return FileStatus::Missing;
    };
    let real = match folder.join(source).canonicalize() {
        Ok(real) => real,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return FileStatus::Missing,
        Err(error) => return FileStatus::Unreadable(error.to_string()),
    };
    if !real.starts_with(&root) {
        return FileStatus::Escapes;
    }
    // Read through the folder's handle: a symlink swapped in after the check
    // above cannot lead out.
    match beneath.read(source, MAX_SOURCE_FILE, true) {
        Ok(bytes) => FileStatus::Found(bytes.into()),
        Err(DiskError::Missing) => FileStatus::Missing,
        Err(DiskError::Escapes) => FileStatus::Escapes,
        Err(error) => FileStatus::Unreadable(error.to_string()),
    }
}

/// Absolute, or climbing above its folder with `..`, before any symlink is read.
fn escapes_lexically(source: &str) -> bool {
    let path = Path::new(source);
    if path.is_absolute() {
        return true;
    }
    let mut depth: i64 = 0;
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => depth -= 1,
            std::path::Component::Normal(_) => depth += 1,
            std::path::Component::CurDir => {}
            _ => return true,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// Reads and checks a stack from its root file: the base and every environment.
pub fn check_file(path: &Path) -> Result<Checked, ReadError> {
    check_path(path, Environments::All).map_err(|error| match error {
        CheckError::Read(error) => error,
        CheckError::UnknownEnvironment(_) => unreachable!("checking every environment names none"),
    })
}

/// Why a stack could not be checked at all (exit code 2).
#[derive(Debug)]
pub enum CheckError {
    Read(ReadError),
    UnknownEnvironment(UnknownEnvironment),
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckError::Read(error) => error.fmt(f),
            CheckError::UnknownEnvironment(error) => error.fmt(f),
        }
    }
}

/// Reads and checks a stack from its root file, its other files read from
/// the root's folder.
pub fn check_path(path: &Path, which: Environments<'_>) -> Result<Checked, CheckError> {
    let (source, diags) =
        crate::timings::phase("read", || read_source(path)).map_err(CheckError::Read)?;
    let folder = source
        .path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let stack_files = DiskFiles::new(folder);
    check_stack(source, diags, &stack_files, which, |stack| {
        probe_files(path, stack)
    })
    .map_err(CheckError::UnknownEnvironment)
}

/// The root file of the stack `file` belongs to (as an included or module
/// file): the first `.eos` file with a `stack` block whose files include it,
/// looking in `file`'s folder, then each folder above it up to the first that
/// holds `.git` (the repository's top), or the filesystem's root.
pub fn find_root(file: &Path) -> Option<PathBuf> {
    let target = file.canonicalize().ok()?;
    let mut folder = target.parent()?.to_path_buf();
    loop {
        let mut candidates: Vec<PathBuf> = std::fs::read_dir(&folder)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "eos") && *p != target)
            .collect();
        candidates.sort();
        if let Some(root) = candidates.into_iter().find(|c| stack_holds(c, &target)) {
            return Some(shown_relative(root));
        }
        if folder.join(".git").exists() || !folder.pop() {
            return None;
        }
    }
}

/// Whether the stack rooted at `root` reads `target` (both canonical).
fn stack_holds(root: &Path, target: &Path) -> bool {
    let Ok((source, diags)) = read_source(root) else {
        return false;
    };
    let text = &source.text;
    if diags.has_errors()
        || !text.contains("stack")
        || !(text.contains("include") || text.contains("module"))
    {
        return false;
    }
    let folder = root.parent().unwrap_or(Path::new("/")).to_path_buf();
    let files = DiskFiles::new(folder);
    let mut composer = Composer::new(root, Arc::new(source.text), &files);
    composer.base(&mut Diagnostics::new());
    composer
        .sources
        .entries()
        .iter()
        .any(|entry| entry.path.canonicalize().is_ok_and(|p| p == target))
}

/// A path below the working directory as a relative one (as users name files).
fn shown_relative(path: PathBuf) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.canonicalize().ok())
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or(path)
}

/// A stack's files on disk: paths relative to the root file's folder, never
/// leaving it (a symlink out of it is refused, not followed).
pub struct DiskFiles {
    folder: PathBuf,
    canonical: Option<PathBuf>,
    beneath: Option<Beneath>,
}

/// Most directory entries one `include` pattern may look at.
const MAX_GLOB_VISITS: usize = 1_000_000;

impl DiskFiles {
    pub fn new(folder: PathBuf) -> Self {
        let canonical = folder.canonicalize().ok();
        let beneath = Beneath::open(&folder).ok();
        Self {
            folder,
            canonical,
            beneath,
        }
    }
}

/// Matches `segments` below `dir` (whose root-relative path is `relative`).
fn walk(
    dir: &Path,
    relative: &str,
    segments: &[String],
    walk: &mut GlobWalk,
) -> Result<(), FileError> {
    let Some((segment, rest)) = segments.split_first() else {
        return Ok(());
    };
    let join = |name: &str| {
        if relative.is_empty() {
            name.to_string()
        } else {
            format!("{relative}/{name}")
        }
    };
    if segment == "**" {
        self::walk(dir, relative, rest, walk)?;
        for (name, kind) in walk.entries(dir)? {
            if kind.is_dir() {
                self::walk(&dir.join(&name), &join(&name), segments, walk)?;
            }
        }
        return Ok(());
    }
    for (name, kind) in walk.entries(dir)? {
        if !crate::compose::glob::segment_matches(segment, &name) {
            continue;
        }
        let path = dir.join(&name);
        if rest.is_empty() {
            // A symlinked file is listed; reading it checks where it leads.
            if kind.is_file() || (kind.is_symlink() && path.is_file()) {
                walk.found(join(&name))?;
            }
        } else if kind.is_dir() {
            self::walk(&path, &join(&name), rest, walk)?;
        }
    }
    Ok(())
}

/// A pattern's walk: what it found, and how much it has looked at.
struct GlobWalk {
    found: Vec<String>,
    visits: usize,
    limit: usize,
}

impl GlobWalk {
    /// A folder's entries, sorted by name; folders reached through symlinks
    /// are not entered (no loops, no way out).
    fn entries(&mut self, dir: &Path) -> Result<Vec<(String, std::fs::FileType)>, FileError> {
        let Ok(read) = std::fs::read_dir(dir) else {
            return Ok(Vec::new());
        };
        let mut entries = Vec::new();
        for entry in read.flatten() {
            self.visits += 1;
            if self.visits > MAX_GLOB_VISITS {
                return Err(FileError::TooMany);
            }
            if let (Some(name), Ok(kind)) = (entry.file_name().to_str(), entry.file_type()) {
                entries.push((name.to_string(), kind));
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(entries)
    }

    fn found(&mut self, path: String) -> Result<(), FileError> {
        if self.found.len() == self.limit {
            return Err(FileError::TooMany);
        }
        self.found.push(path);
        Ok(())
    }
}

impl FileSet for DiskFiles {
    fn read(&self, path: &str) -> Result<Vec<u8>, FileError> {
        let root = self.canonical.as_ref().ok_or(FileError::Missing)?;
        let real = match self.folder.join(path).canonicalize() {
            Ok(real) => real,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(FileError::Missing)
            }
            Err(error) => return Err(FileError::Unreadable(error.to_string())),
        };
        if !real.starts_with(root) {
            return Err(FileError::Escapes);
        }
        // The check above names the problem; the read goes through the
        // folder's handle, which holds even if the path changes meanwhile.
        let beneath = self.beneath.as_ref().ok_or(FileError::Missing)?;
        beneath
            .read(path, MAX_FILE_SIZE as u64, false)
            .map_err(|error| match error {
                DiskError::Missing => FileError::Missing,
                DiskError::Escapes => FileError::Escapes,
                other => FileError::Unreadable(other.to_string()),
            })
    }

    fn glob(&self, pattern: &Pattern, limit: usize) -> Result<Vec<String>, FileError> {
        let mut walk = GlobWalk {
            found: Vec::new(),
            visits: 0,
            limit,
        };
        self::walk(&self.folder, "", pattern.segments(), &mut walk)?;
        walk.found.sort();
        walk.found.dedup();
        Ok(walk.found)
    }
}

/// The artifacts of a checked file; `None` when it has errors (nothing is built
/// from a spec with errors).
pub fn emit_artifacts(
    checked: &Checked,
    templates: &crate::emit::Templates,
) -> Option<Result<crate::emit::Artifacts<'static>, crate::emit::EmitError>> {
    with_emit_input(checked, templates, |input| {
        crate::timings::phase("emit", || crate::emit::emit(input))
    })
}

/// [`emit_artifacts`], handing each artifact to `writer` as it is produced;
/// returns how many there were.
pub fn emit_artifacts_to(
    checked: &Checked,
    templates: &crate::emit::Templates,
    writer: crate::emit::Writer<'_>,
) -> Option<Result<usize, crate::emit::EmitError>> {
    with_emit_input(checked, templates, |input| {
        crate::timings::phase("emit+write", || crate::emit::emit_to(input, writer))
    })
}

/// The Nomad jobspecs of a checked file; `None` when it has errors.
pub fn emit_jobspecs(
    checked: &Checked,
) -> Option<Result<crate::emit::Artifacts<'static>, crate::emit::EmitError>> {
    let templates = crate::emit::Templates::builtin();
    with_emit_input(checked, &templates, crate::emit::nomad_jobspecs)
}

fn with_emit_input<T>(
    checked: &Checked,
    templates: &crate::emit::Templates,
    emit: impl FnOnce(&crate::emit::Input<'_>) -> T,
) -> Option<T> {
    if checked.diagnostics.has_errors() {
        return None;
    }
    let (stack, analysis) = (checked.stack.as_ref()?, checked.analysis.as_ref()?);
    let name = checked
        .path
        .file_name()
        .map_or_else(|| checked.name(), |n| n.to_string_lossy().into_owned());
    let input = crate::emit::Input {
        stack,
        analysis,
        files: &checked.files,
        templates,
        source_name: &name,
    };
    Some(emit(&input))
}

/// Reads a `--templates` folder: each known template file found there replaces
/// the built-in one; other files are an error (a typo would be ignored otherwise).
pub fn read_templates(dir: &Path) -> Result<crate::emit::Templates, String> {
    let mut templates = crate::emit::Templates::builtin();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names: Vec<std::path::PathBuf> =
        entries.filter_map(Result::ok).map(|e| e.path()).collect();
    names.sort();
    for path in names {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if !templates.set(&name, text) {
            return Err(format!(
                "{}: unknown template; a --templates folder may hold {}",
                path.display(),
                crate::emit::Templates::names().join(", ")
            ));
        }
    }
    Ok(templates)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text whose every line differs, of an odd length: a half read at
    /// the wrong offset, or a byte lost at the cut, changes it.
    fn numbered_lines(length: usize) -> String {
        let mut text = String::with_capacity(length + 32);
        let mut line = 0usize;
        while text.len() < length {
            text.push_str(&format!("# line {line} é\n"));
            line += 1;
        }
        text.truncate(length);
        text
    }

    #[test]
    fn a_large_file_read_in_halves_is_the_file() {
        let dir = tempfile::tempdir().unwrap();
        for length in [READ_IN_HALVES_FROM - 1, READ_IN_HALVES_FROM + 12_345] {
            let text = numbered_lines(length);
            let path = dir.path().join("stack.eos");
            std::fs::write(&path, &text).unwrap();
            let file = crate::disk::open_regular(&path).unwrap();
            let bytes = read_whole(&file, text.len()).unwrap();
            assert!(bytes == text.as_bytes(), "{length} bytes");
        }
    }

    #[test]
    fn a_file_that_grew_or_shrank_since_its_length_was_read_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let text = numbered_lines(READ_IN_HALVES_FROM + 999);
        let path = dir.path().join("stack.eos");
        std::fs::write(&path, &text).unwrap();
        let file = crate::disk::open_regular(&path).unwrap();
        // Grown: the length read before was shorter.
        let bytes = read_whole(&file, READ_IN_HALVES_FROM).unwrap();
        assert!(bytes == text.as_bytes());
        // Shrunk: the length read before was longer.
        let file = crate::disk::open_regular(&path).unwrap();
        let bytes = read_whole(&file, text.len() + 5_000).unwrap();
        assert!(bytes == text.as_bytes());
    }
}
