//! The pipeline, file in, results out: read → parse → lower → resolve → check.
//! With the CLI, the only code that touches the filesystem.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::ast::Spec;
use crate::check::Analysis;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::files::{FileStatus, SourceFiles};
use crate::model::Stack;
use crate::schema::Lowering;
use crate::span::Span;
use crate::syntax::Block;
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
    pub source: SourceFile,
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
        write!(f, "cannot read {}: {}", self.path.display(), self.error)
    }
}

/// Reads a spec file, refusing to read more than the size limit.
pub fn read_source(path: &Path) -> Result<(SourceFile, Diagnostics), ReadError> {
    let file = std::fs::File::open(path).map_err(|error| ReadError {
        path: path.to_path_buf(),
        error,
    })?;
    // Sized once from the file's length (growing by doubling would copy it).
    let length = file
        .metadata()
        .map_or(0, |m| m.len())
        .min(MAX_FILE_SIZE as u64 + 1);
    let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0) + 1);
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

/// Runs the front end and every check over a source; `file` sources are looked
/// up on disk next to the spec.
pub fn check_source(source: SourceFile, diagnostics: Diagnostics) -> Checked {
    let path = source.path.clone();
    check_source_with_files(source, diagnostics, |stack| probe_files(&path, stack))
}

/// Runs the front end and every check, asking `files` what the `file` sources
/// hold (tests and fuzzers pass an in-memory answer: no filesystem access).
pub fn check_source_with_files(
    source: SourceFile,
    mut diagnostics: Diagnostics,
    files: impl FnOnce(&Stack) -> SourceFiles,
) -> Checked {
    if diagnostics.has_errors() {
        return Checked::failed(source, diagnostics);
    }
    let declarations = read_declarations(&source.text, &mut diagnostics);
    let mut stack = None;
    if let Some(spec) = declarations.spec {
        // Blocks lost to a syntax error would make every reference to them look
        // unknown: resolve only a complete file.
        if declarations.complete {
            stack =
                crate::timings::phase("resolve", || crate::model::resolve(spec, &mut diagnostics));
        }
    }
    let secret_spans = declarations.secret_spans;
    let stack = if diagnostics.has_errors() {
        None
    } else {
        stack
    };
    let mut found = SourceFiles::default();
    let analysis = stack.as_ref().map(|stack| {
        found = files(stack);
        crate::timings::phase("checks", || {
            crate::check::run(stack, &found, &mut diagnostics)
        })
    });
    diagnostics.sort();
    Checked {
        source,
        secret_spans,
        diagnostics,
        stack,
        analysis,
        files: found,
    }
}

/// What the front end made of the text, before names are resolved.
struct Declarations {
    /// `None` when the file was refused whole (E0002).
    spec: Option<Spec>,
    /// No block was lost to a syntax error.
    complete: bool,
    secret_spans: Vec<Span>,
}

/// Parses and lowers the text. A file the fast parser takes is lowered block by
/// block as it is read, so that its syntax tree never exists whole (the tree was
/// the largest structure of a check, and the page faults of building it a third
/// of its time); any other file goes through `syntax::parse`, which reports its
/// syntax errors and recovers from them.
fn read_declarations(text: &str, diagnostics: &mut Diagnostics) -> Declarations {
    crate::timings::phase("parse+lower", || declarations_streamed(text, diagnostics))
        .unwrap_or_else(|| declarations_from_tree(text, diagnostics))
}

/// The fast parser's blocks, lowered as they are read; `None` when it gives up.
fn declarations_streamed(text: &str, diagnostics: &mut Diagnostics) -> Option<Declarations> {
    let (sinks, parse_diags) =
        crate::syntax::parse_each(text, BlockSink::default, BlockSink::read)?;
    let complete = !parse_diags.has_errors();
    diagnostics.extend(parse_diags);
    let mut sinks = sinks.into_iter();
    let mut all = sinks.next().unwrap_or_default();
    for later in sinks {
        all.append(later);
    }
    Some(Declarations {
        spec: Some(all.lowering.finish(complete, diagnostics)),
        complete,
        secret_spans: all.secret_spans,
    })
}

/// The whole syntax tree first (with every syntax error and the recovery from
/// it), then lowered.
fn declarations_from_tree(text: &str, diagnostics: &mut Diagnostics) -> Declarations {
    let (document, parse_diags) =
        crate::timings::phase("parse", || crate::syntax::parse_after_fast_path(text));
    let complete = !parse_diags.has_errors();
    let refused = parse_diags.iter().any(|d| d.code == Code::E0002);
    diagnostics.extend(parse_diags);
    let secret_spans = crate::diag::redact::secret_spans(&document);
    let spec = (!refused).then(|| {
        crate::timings::phase("lower", || {
            crate::schema::lower(document, complete, diagnostics)
        })
    });
    Declarations {
        spec,
        complete,
        secret_spans,
    }
}

/// Both ways of the front end, for the test that holds them to one result:
/// the declarations (as `Debug` text), whether the file was complete, the
/// secret spans and the diagnostics; `None` when the streamed way gave up.
#[doc(hidden)]
pub fn declarations_both_ways(text: &str) -> (Option<String>, String) {
    let show = |declarations: Declarations, diagnostics: Diagnostics| {
        format!(
            "{:#?}\ncomplete: {}\nsecrets: {:?}\n{:#?}",
            declarations.spec,
            declarations.complete,
            declarations.secret_spans,
            diagnostics.into_vec()
        )
    };
    let mut streamed_diags = Diagnostics::new();
    let streamed = declarations_streamed(text, &mut streamed_diags)
        .map(|declarations| show(declarations, streamed_diags));
    let mut tree_diags = Diagnostics::new();
    let from_tree = declarations_from_tree(text, &mut tree_diags);
    (streamed, show(from_tree, tree_diags))
}

/// What becomes of each top-level block as the parser reads it: its secret
/// spans are noted, it is lowered, and its tree is dropped.
#[derive(Default)]
struct BlockSink {
    lowering: Lowering,
    secret_spans: Vec<Span>,
}

impl BlockSink {
    #[allow(
        clippy::needless_pass_by_value,
        reason = "the block is handed over: its tree is freed here, once read"
    )]
    fn read(&mut self, block: Block) {
        crate::diag::redact::collect(&block, &mut self.secret_spans);
        self.lowering.block(&block);
    }

    fn append(&mut self, later: BlockSink) {
        self.lowering.append(later.lowering);
        self.secret_spans.extend(later.secret_spans);
    }
}

impl Checked {
    /// The source as diagnostics may show it: secret values masked.
    pub fn shown_text(&self) -> String {
        crate::diag::redact::mask(&self.source.text, &self.secret_spans)
    }

    /// A file that got no further than reading or parsing.
    pub fn failed(source: SourceFile, diagnostics: Diagnostics) -> Self {
        Self {
            source,
            secret_spans: Vec::new(),
            diagnostics,
            stack: None,
            analysis: None,
            files: SourceFiles::default(),
        }
    }
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
    for service in &stack.services {
        for file in &service.decl.files {
            let source = &file.source.value;
            if !found.files.contains_key(source) {
                found.files.insert(source.clone(), probe(folder, source));
            }
        }
    }
    found
}

fn probe(folder: &Path, source: &str) -> FileStatus {
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
    match std::fs::metadata(&real) {
        Ok(meta) if !meta.is_file() => FileStatus::Unreadable("not a regular file".into()),
        Ok(meta) if meta.len() > MAX_SOURCE_FILE => {
            FileStatus::Unreadable(format!("larger than {} MiB", MAX_SOURCE_FILE >> 20))
        }
        Ok(_) => std::fs::read(&real)
            .map_or_else(|e| FileStatus::Unreadable(e.to_string()), FileStatus::Found),
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

/// Reads and checks a file.
pub fn check_file(path: &Path) -> Result<Checked, ReadError> {
    let (source, diags) = crate::timings::phase("read", || read_source(path))?;
    Ok(check_source(source, diags))
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

fn with_emit_input<T>(
    checked: &Checked,
    templates: &crate::emit::Templates,
    emit: impl FnOnce(&crate::emit::Input<'_>) -> T,
) -> Option<T> {
    if checked.diagnostics.has_errors() {
        return None;
    }
    let (stack, analysis) = (checked.stack.as_ref()?, checked.analysis.as_ref()?);
    let name = checked.source.path.file_name().map_or_else(
        || checked.source.name(),
        |n| n.to_string_lossy().into_owned(),
    );
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
