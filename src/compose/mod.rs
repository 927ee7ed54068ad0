//! Composition: the files of a stack made into one list of declarations. The
//! root file and the files its `include` names are read in order (section 10),
//! each `module` block is replaced by its instance's blocks (section 11), and
//! for an environment its changes are merged into the blocks they change
//! (section 12). What comes out is what the same stack written by hand in one
//! file would lower to; the model, the checks and the emitters never learn
//! that there were several files.
//!
//! It works on syntax, block by block as the parser hands them over: a change
//! of an environment or a module argument is a value standing where the user
//! could have written it, checked by the schema as if written there.

pub mod files;
pub mod glob;
mod include;
mod module;
pub mod overlay;
mod params;
mod reading;
mod reuse;

use crate::source::SharedText;
use compact_str::CompactString;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ast::Spec;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{InstanceOf, OffsetsFull, SourceMap};
use crate::span::{Span, Spanned};
use crate::syntax::Block;
use files::{folder_of, normalize, FileError, FileSet};
use module::ModuleFile;
pub use overlay::Overlay;
use reading::{FileDeclarations, PendingModule, Reading};
pub use reuse::BlockMemo;

/// The declarations of a stack (or of one of its environments).
#[derive(Debug)]
pub struct Composition {
    pub spec: Spec,
    /// No block of any file was lost to a syntax error.
    pub complete: bool,
    /// Where the files hold secret values (stack offsets).
    pub secret_spans: Vec<Span>,
}

/// A file of the stack after the root: its root-relative path, its base, and
/// what decoding it found.
struct StackFile {
    path: String,
    base: usize,
    decode_diags: Diagnostics,
    /// Whether its text holds `param.` (found once, read by every
    /// composition: the base and each environment).
    may_use_params: bool,
}

/// Included files of this many bytes in all are read on several threads.
const PARALLEL_INCLUDED_FROM: usize = 256 << 10;

/// `items` cut into at most `runs` consecutive runs of about `total / runs`
/// bytes each.
fn runs_of_equal_size<T>(
    items: &[(T, SharedText)],
    runs: usize,
    total: usize,
) -> Vec<&[(T, SharedText)]> {
    let share = total.div_ceil(runs).max(1);
    let mut cuts = Vec::with_capacity(runs);
    let (mut start, mut size) = (0, 0);
    for (index, (_, text)) in items.iter().enumerate() {
        size += text.len();
        if size >= share && cuts.len() + 1 < runs {
            cuts.push(&items[start..=index]);
            (start, size) = (index + 1, 0);
        }
    }
    if start < items.len() {
        cuts.push(&items[start..]);
    }
    cuts
}

/// E0108 for a `stack` block in an included file.
fn stack_outside_root(head: Span) -> Diagnostic {
    Diagnostic::new(Code::E0108, head, "a `stack` block outside the root file")
        .with_primary_label("only the root file holds the `stack` block")
        .with_help("an included file holds `host`, `service`, `route`, `module` and `env` blocks; move this block into the root file, or check this file as the root")
}

/// A module file as loaded (or why it could not be).
enum Loaded {
    Module(Arc<ModuleFile>, Diagnostics),
    Failed(FileError),
    /// Not read: the stack's offsets are full (E0002 at each `source`).
    PastOffsets,
}

/// Composes a stack's files, for its base and then for each environment; the
/// files are read once.
pub struct Composer<'f> {
    files: &'f dyn FileSet,
    pub sources: SourceMap,
    /// The root's path relative to its own folder: its file name.
    root: String,
    /// Whether the root's text holds `param.` (as [`StackFile`]'s).
    root_may_use_params: bool,
    included: Option<Vec<StackFile>>,
    include_diags: Diagnostics,
    modules: HashMap<String, Loaded>,
    /// The module files whose own diagnostics this pass has reported.
    reported: std::collections::HashSet<String>,
    instances: HashMap<Span, usize>,
    /// The language server's memo of the blocks read at its last check.
    memo: Option<&'f BlockMemo>,
}

impl<'f> Composer<'f> {
    /// `path` is the root file as the user named it (shown in diagnostics).
    pub fn new(path: &Path, text: SharedText, files: &'f dyn FileSet) -> Self {
        let root = path.file_name().map_or_else(
            || "stack.eos".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Self {
            files,
            root_may_use_params: reading::may_use_params(&text),
            sources: SourceMap::single(path.to_path_buf(), text),
            root,
            included: None,
            include_diags: Diagnostics::new(),
            modules: HashMap::new(),
            reported: std::collections::HashSet::new(),
            instances: HashMap::new(),
            memo: None,
        }
    }

    /// Reads the stack's files through `memo`, which keeps what each block
    /// was read into from one check to the next (the language server).
    #[must_use]
    pub fn reusing(mut self, memo: &'f BlockMemo) -> Self {
        self.memo = Some(memo);
        self
    }

    /// The base stack, and the environments its files declare.
    pub fn base(&mut self, diags: &mut Diagnostics) -> (Composition, Vec<Arc<Overlay>>) {
        let (composition, environments) = self.compose(None, diags);
        let overlays = overlay::environments(environments, diags);
        (composition, overlays.into_iter().map(Arc::new).collect())
    }

    /// The stack of one environment (after [`Composer::base`]).
    pub fn environment(&mut self, overlay: &Arc<Overlay>, diags: &mut Diagnostics) -> Composition {
        self.compose(Some(overlay), diags).0
    }

    fn compose(
        &mut self,
        overlay: Option<&Arc<Overlay>>,
        diags: &mut Diagnostics,
    ) -> (Composition, Vec<Block>) {
        self.reported.clear();
        let root_text = Arc::clone(&self.sources.entries()[0].text);
        let mut declarations = read_file(
            self.memo,
            "",
            &root_text,
            &Self::reading(0, "", overlay, self.root_may_use_params),
            diags,
        );
        if declarations.refused {
            return (Self::finish(declarations, diags), Vec::new());
        }
        if self.included.is_none() {
            let include = declarations
                .lowering
                .stack()
                .map(|s| s.include.clone())
                .unwrap_or_default();
            self.read_included(&include);
        }
        diags.extend(self.include_diags.clone());
        let (more, file_diags): (Vec<_>, Vec<_>) =
            self.read_included_files(overlay).into_iter().unzip();
        for found in file_diags {
            diags.extend(found);
        }
        declarations.append_all(more);
        if let (Some(memo), None) = (self.memo, overlay) {
            let included = self.included.iter().flatten().map(|f| f.path.as_str());
            memo.keep_only(std::iter::once("").chain(included));
        }
        self.expand_modules(&mut declarations, overlay, diags);
        if let Some(overlay) = overlay {
            self.add_new_blocks(&mut declarations, overlay, diags);
        }
        let environments = std::mem::take(&mut declarations.environments);
        (Self::finish(declarations, diags), environments)
    }

    /// The declarations of each included file, in order, with its
    /// diagnostics. Files are independent until they are appended, so a
    /// stack of many files is read on several threads (in runs of about equal
    /// size, kept in order).
    fn read_included_files(
        &self,
        overlay: Option<&Arc<Overlay>>,
    ) -> Vec<(FileDeclarations, Diagnostics)> {
        let files: Vec<(&StackFile, SharedText)> = self
            .included
            .iter()
            .flatten()
            .map(|file| {
                let entry = self.sources.entry_at(file.base).expect("registered");
                (file, Arc::clone(&entry.text))
            })
            .collect();
        let memo = self.memo;
        let read_one = |(file, text): &(&StackFile, SharedText)| {
            let mut diags = file.decode_diags.clone();
            let reading = Self::reading(
                file.base,
                folder_of(&file.path),
                overlay,
                file.may_use_params,
            );
            let mut more = read_file(memo, &file.path, text, &reading, &mut diags);
            for stack in more.lowering.take_stacks() {
                diags.push(stack_outside_root(stack.head));
            }
            (more, diags)
        };
        let total: usize = files.iter().map(|(_, text)| text.len()).sum();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        if threads < 2 || files.len() < 2 || total < PARALLEL_INCLUDED_FROM {
            return files.iter().map(read_one).collect();
        }
        let runs = runs_of_equal_size(&files, threads, total);
        std::thread::scope(|scope| {
            let handles: Vec<_> = runs
                .into_iter()
                .map(|run| scope.spawn(move || run.iter().map(read_one).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(crate::parallel::joined)
                .collect()
        })
    }

    fn reading(
        base: usize,
        folder: &str,
        overlay: Option<&Arc<Overlay>>,
        may_use_params: bool,
    ) -> Reading {
        Reading {
            base,
            folder: folder.to_string(),
            overlay: overlay.cloned(),
            may_use_params,
        }
    }

    fn finish(declarations: FileDeclarations, diags: &mut Diagnostics) -> Composition {
        let complete = declarations.complete;
        let spec = declarations.lowering.finish(complete, diags);
        Composition {
            spec,
            complete,
            secret_spans: declarations.secret_spans,
        }
    }

    /// Finds, reads and registers the included files (once per stack).
    fn read_included(&mut self, include: &[Spanned<CompactString>]) {
        let mut diags = Diagnostics::new();
        let paths = include::included_files(include, &self.root, self.files, &mut diags);
        let mut included = Vec::new();
        for path in paths {
            match self.files.read(&path) {
                Ok(bytes) => {
                    let shown = self.shown_path(&path);
                    let (source, decode_diags) = crate::driver::decode(&shown, bytes);
                    let may_use_params = reading::may_use_params(&source.text);
                    let Ok(base) = self.sources.add(shown, source.text.into()) else {
                        let at = naming_item(include, &path).map_or(include[0].span, |i| i.span);
                        diags.push(OffsetsFull.diagnostic(at));
                        break;
                    };
                    included.push(StackFile {
                        path,
                        base,
                        decode_diags: decode_diags.shifted(base),
                        may_use_params,
                    });
                }
                Err(error) => {
                    // A pattern's match that cannot be read is reported at the pattern.
                    if let Some(at) = naming_item(include, &path) {
                        let named = Spanned::new(CompactString::from(path.as_str()), at.span);
                        diags.push(include::file_error(&named, &error));
                    }
                }
            }
        }
        self.include_diags = diags;
        self.included = Some(included);
    }

    fn shown_path(&self, relative: &str) -> PathBuf {
        let folder = self.sources.root_folder();
        if folder == Path::new(".") && !self.sources.entries()[0].path.starts_with(".") {
            PathBuf::from(relative)
        } else {
            folder.join(relative)
        }
    }

    /// Replaces each pending `module` block by its instance's declarations.
    fn expand_modules(
        &mut self,
        declarations: &mut FileDeclarations,
        overlay: Option<&Arc<Overlay>>,
        diags: &mut Diagnostics,
    ) {
        let pending = std::mem::take(&mut declarations.modules);
        let mut inserts = Vec::new();
        for PendingModule { block, at } in pending {
            let Some(instance) = self.instance(&block, overlay, diags) else {
                continue;
            };
            declarations
                .matched
                .extend(instance.matched.iter().copied());
            declarations.complete &= instance.complete;
            declarations
                .secret_spans
                .extend(instance.secret_spans.iter().copied());
            inserts.push((at, instance.lowering));
        }
        declarations.lowering.splice(inserts);
    }

    /// One instance's declarations, lowered.
    fn instance(
        &mut self,
        block: &Block,
        overlay: Option<&Arc<Overlay>>,
        diags: &mut Diagnostics,
    ) -> Option<FileDeclarations> {
        let call = module::call(block, diags)?;
        let (source, source_span) = call.source?;
        let folder = self.folder_of_span(block.span);
        let module = self.load_module(&folder, source, source_span, diags)?;
        if module.broken {
            return None;
        }
        let base = match self.instances.get(&call.head) {
            Some(&base) => base,
            None => {
                let added = self.sources.add_instance(
                    module.base,
                    InstanceOf {
                        name: call.name.clone(),
                        module: call.head,
                    },
                );
                let Ok(base) = added else {
                    diags.push(OffsetsFull.diagnostic(call.head));
                    return None;
                };
                self.instances.insert(call.head, base);
                base
            }
        };
        let blocks = module::instantiate(&module, &call, base, diags)?;
        let reading = Reading {
            base: 0,
            folder: String::new(),
            overlay: overlay.cloned(),
            may_use_params: false,
        };
        let mut declarations = reading::lower_blocks(blocks, &reading);
        // Secret-looking arguments are masked where they are written.
        for (name, value) in block.attributes().map(|a| (&a.name.name, &a.value)) {
            if crate::diag::redact::secret_word(name).is_some() {
                declarations.secret_spans.push(value.span);
            }
        }
        Some(declarations)
    }

    /// The root-relative folder of the file a stack span is in.
    fn folder_of_span(&self, span: Span) -> String {
        let Some(entry) = self.sources.entry_at(span.start()) else {
            return String::new();
        };
        if entry.base == 0 {
            return String::new();
        }
        self.included
            .iter()
            .flatten()
            .find(|f| f.base == entry.base)
            .map(|f| folder_of(&f.path).to_string())
            .unwrap_or_default()
    }

    /// A module file by its `source` (relative to `folder`), read and checked
    /// the first time it is named.
    fn load_module(
        &mut self,
        folder: &str,
        source: &str,
        span: Span,
        diags: &mut Diagnostics,
    ) -> Option<Arc<ModuleFile>> {
        let named = Spanned::new(CompactString::from(source), span);
        let Some(path) = normalize(folder, source) else {
            diags.push(include::escapes(&named, "leaves the root file's folder").with_help(
                "a module file lies in the root file's folder or below it; `source` is relative to the file the `module` block is in",
            ));
            return None;
        };
        if !self.modules.contains_key(&path) {
            let loaded = self.read_module(&path);
            self.modules.insert(path.clone(), loaded);
        }
        match &self.modules[&path] {
            Loaded::Module(module, found) => {
                if self.reported.insert(path) {
                    diags.extend(found.clone());
                }
                Some(Arc::clone(module))
            }
            Loaded::Failed(error) => {
                diags.push(include::file_error(&named, error));
                None
            }
            Loaded::PastOffsets => {
                diags.push(OffsetsFull.diagnostic(span));
                None
            }
        }
    }

    fn read_module(&mut self, path: &str) -> Loaded {
        let is_stack_file =
            path == self.root || self.included.iter().flatten().any(|f| f.path == path);
        if is_stack_file {
            // Reading it again as a module would report its blocks twice.
            return Loaded::Failed(FileError::Unreadable(
                "it is a file of the stack itself (the root or an included file), not a module file".into(),
            ));
        }
        let bytes = match self.files.read(path) {
            Ok(bytes) => bytes,
            Err(error) => return Loaded::Failed(error),
        };
        let shown = self.shown_path(path);
        let (source, decode_diags) = crate::driver::decode(&shown, bytes);
        let text: SharedText = source.text.into();
        let Ok(base) = self.sources.add(shown, Arc::clone(&text)) else {
            return Loaded::PastOffsets;
        };
        let mut found = decode_diags.shifted(base);
        let (document, parse_diags) = crate::syntax::parse(&text);
        let parse_failed = parse_diags.has_errors() || found.has_errors();
        found.extend(parse_diags.shifted(base));
        let module = ModuleFile::read(
            document,
            parse_failed,
            folder_of(path).to_string(),
            base,
            &mut found,
        );
        Loaded::Module(Arc::new(module), found)
    }

    /// The blocks an environment adds (those that change nothing in the base).
    fn add_new_blocks(
        &mut self,
        declarations: &mut FileDeclarations,
        overlay: &Arc<Overlay>,
        diags: &mut Diagnostics,
    ) {
        let matched: std::collections::HashSet<usize> =
            declarations.matched.iter().copied().collect();
        let added: Vec<Block> = overlay
            .blocks
            .iter()
            .enumerate()
            .filter(|(index, _)| !matched.contains(index))
            .map(|(_, block)| block.clone())
            .collect();
        if added.is_empty() {
            return;
        }
        let names = declarations.lowering.names();
        let reading = Reading {
            base: 0,
            folder: String::new(),
            overlay: None,
            may_use_params: false,
        };
        let mut found = Diagnostics::new();
        let mut more = reading::lower_blocks(added.clone(), &reading);
        self.expand_modules(&mut more, None, &mut found);
        let mut lowered = std::mem::take(more.lowering.diagnostics_mut());
        lowered.extend(found);
        for mut diagnostic in lowered {
            if diagnostic.code == Code::E0104 {
                let block = added.iter().find(|b| {
                    b.span.start() <= diagnostic.primary.span.start()
                        && diagnostic.primary.span.end() <= b.span.end()
                });
                if let Some(block) = block {
                    let kind_names: Vec<&str> = names
                        .iter()
                        .filter(|(k, _)| *k == block.kind.name)
                        .map(|(_, n)| n.as_str())
                        .collect();
                    if let Some(help) = overlay::added_block_help(block, &kind_names) {
                        diagnostic = diagnostic.with_help(help);
                    }
                }
            }
            diags.push(diagnostic);
        }
        declarations.append(more);
    }
}

/// Reads one file of the stack: through the memo when there is one.
fn read_file(
    memo: Option<&BlockMemo>,
    key: &str,
    text: &SharedText,
    reading: &Reading,
    diags: &mut Diagnostics,
) -> FileDeclarations {
    match memo {
        Some(memo) => memo.read(key, text, reading, diags),
        None => reading::read(text, reading, diags),
    }
}

/// Both ways of the front end over one file, for the test that holds them to
/// one result: the declarations (as `Debug` text), whether the file was
/// complete, the secret spans and the diagnostics; `None` when the streamed
/// way gave up.
#[doc(hidden)]
pub fn declarations_both_ways(text: &str) -> (Option<String>, String) {
    let reading = Reading {
        base: 0,
        folder: String::new(),
        overlay: None,
        may_use_params: reading::may_use_params(text),
    };
    let show = |declarations: FileDeclarations, mut diagnostics: Diagnostics| {
        let (complete, refused) = (declarations.complete, declarations.refused);
        let (modules, environments) = (declarations.modules.len(), declarations.environments.len());
        let secrets = declarations.secret_spans.clone();
        let spec = declarations.lowering.finish(complete, &mut diagnostics);
        format!(
            "{spec:#?}\ncomplete: {complete}\nrefused: {refused}\nmodules: {modules}\nenvironments: {environments}\nsecrets: {secrets:?}\n{:#?}",
            diagnostics.into_vec()
        )
    };
    let mut streamed_diags = Diagnostics::new();
    let streamed = reading::streamed(text, &reading, &mut streamed_diags)
        .map(|declarations| show(declarations, streamed_diags));
    let mut tree_diags = Diagnostics::new();
    let from_tree = reading::from_tree(text, &reading, &mut tree_diags);
    (streamed, show(from_tree, tree_diags))
}

/// The `include` item that names an included file: the path itself, or a
/// pattern matching it (looked up only to report a problem with the file).
fn naming_item<'i>(
    include: &'i [Spanned<CompactString>],
    path: &str,
) -> Option<&'i Spanned<CompactString>> {
    include
        .iter()
        .find(|i| normalize("", &i.value).as_deref() == Some(path))
        .or_else(|| {
            include.iter().find(|i| {
                glob::is_pattern(&i.value)
                    && normalize("", &i.value).is_some_and(|p| glob::Pattern::new(&p).matches(path))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(sizes: &[usize]) -> Vec<((), SharedText)> {
        sizes
            .iter()
            .map(|&n| ((), Arc::from("x".repeat(n))))
            .collect()
    }

    fn run_sizes(items: &[((), SharedText)], runs: usize) -> Vec<usize> {
        let total = items.iter().map(|((), t)| t.len()).sum();
        runs_of_equal_size(items, runs, total)
            .iter()
            .map(|run| run.len())
            .collect()
    }

    #[test]
    fn runs_keep_every_file_in_order_and_share_the_bytes() {
        let items = sized(&[10; 10]);
        assert_eq!(run_sizes(&items, 2), vec![5, 5]);
        assert_eq!(run_sizes(&items, 3), vec![4, 4, 2]);
        // One large file is a run of its own; nothing is dropped.
        let items = sized(&[100, 1, 1, 1]);
        assert_eq!(run_sizes(&items, 2), vec![1, 3]);
        assert_eq!(run_sizes(&sized(&[5]), 4), vec![1]);
        assert!(run_sizes(&[], 2).is_empty());
    }
}
