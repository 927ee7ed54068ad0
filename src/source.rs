//! The files of a stack in one range of offsets. Every file of a stack — the
//! root, each included file, each module file — and every module instance gets
//! its own stretch of offsets, so that a [`Span`] alone says which file (and
//! which instance) it points into: declarations, checks and diagnostics keep
//! plain spans, and only rendering asks where they are. An instance is a view
//! of its module file's text at offsets of its own; a diagnostic in it is shown
//! in the module file, with a label on the instance's `module` block.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::diag::{Diagnostic, Diagnostics, Label};
use crate::span::{LineColumn, LineIndex, Span, MAX_OFFSET};

/// The text of a file, shared by the source map, the composer and the
/// language server. An `Arc<String>` rather than an `Arc<str>`: a file is read
/// into a `String`, which moves into an `Arc<String>` as it is, while an
/// `Arc<str>` is a copy (for a 50 MB spec, 35 ms of a check spent alone,
/// before the parser's threads start).
pub type SharedText = Arc<String>;

/// One stretch of offsets: a file, or an instance of a module file.
#[derive(Debug)]
pub struct Entry {
    /// The path as shown in diagnostics (the root as the user gave it; the
    /// others joined to its folder).
    pub path: PathBuf,
    pub text: SharedText,
    /// The offset of the text's first byte.
    pub base: usize,
    /// For a module instance: which one, and where its `module` block is.
    pub instance: Option<InstanceOf>,
    lines: OnceLock<LineIndex>,
}

/// What a module instance's stretch of offsets was made for.
#[derive(Debug, Clone)]
pub struct InstanceOf {
    pub name: String,
    /// The head of the instance's `module` block (in another entry).
    pub module: Span,
}

impl Entry {
    pub fn end(&self) -> usize {
        self.base + self.text.len()
    }

    pub fn name(&self) -> String {
        self.path.display().to_string()
    }

    /// 1-based line and column of a stack offset inside this entry.
    pub fn line_column(&self, offset: usize) -> LineColumn {
        let lines = self.lines.get_or_init(|| LineIndex::new(&self.text));
        lines.line_column(&self.text, offset.saturating_sub(self.base))
    }

    /// A stack span as a span into this entry's text.
    pub fn local(&self, span: Span) -> Span {
        let start = span.start().saturating_sub(self.base).min(self.text.len());
        let end = span
            .end()
            .saturating_sub(self.base)
            .clamp(start, self.text.len());
        Span::new(start, end)
    }
}

/// What makes two diagnostics of module instances one problem of the module.
#[derive(PartialEq, Eq, Hash)]
struct RepeatKey {
    code: crate::diag::Code,
    message: String,
    environment: Option<String>,
    file: PathBuf,
    at: Span,
}

/// Instances past the first named by a label of a repeated diagnostic.
const REPEAT_LABELS: usize = 3;

/// Notes on a diagnostic that its `repeats`-th repetition is in `instance`.
fn add_repeat_label(diagnostic: &mut Diagnostic, instance: &InstanceOf, repeats: usize) {
    if repeats <= REPEAT_LABELS {
        diagnostic.secondary.push(Label {
            span: instance.module,
            message: format!("and in module instance `{}`", instance.name).into(),
        });
        return;
    }
    let more = repeats - REPEAT_LABELS;
    let message = match more {
        1 => "and in 1 more module instance".to_string(),
        _ => format!("and in {more} more module instances"),
    };
    match diagnostic.secondary.last_mut() {
        Some(last) if repeats > REPEAT_LABELS + 1 => last.message = message.into(),
        _ => diagnostic.secondary.push(Label {
            span: instance.module,
            message: message.into(),
        }),
    }
}

/// A file or module instance that would take the stack's offsets past
/// [`MAX_OFFSET`]: more than 4 GiB of text in all (E0002, by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetsFull;

impl OffsetsFull {
    /// E0002 at `at` (the `include` item or `module` block that asked for it).
    pub fn diagnostic(self, at: Span) -> Diagnostic {
        Diagnostic::new(
            crate::diag::Code::E0002,
            at,
            "the stack's files and module instances come to more than 4 GiB of text",
        )
        .with_primary_label("this file or instance is past the limit")
        .with_help("a stack is read whole; split it into stacks, or use fewer module instances")
    }
}

/// Every entry of a stack, in the order their offsets run.
#[derive(Debug, Default)]
pub struct SourceMap {
    entries: Vec<Entry>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// A map of one file at offset 0.
    pub fn single(path: impl Into<PathBuf>, text: SharedText) -> Self {
        Self::first(path.into(), text)
    }

    /// A map of one file at offset 0 (a root file, under the file size limit).
    fn first(path: PathBuf, text: SharedText) -> Self {
        let mut map = Self::new();
        map.entries.push(Entry {
            path,
            text,
            base: 0,
            instance: None,
            lines: OnceLock::new(),
        });
        map
    }

    /// Adds a file; returns its base offset.
    pub fn add(&mut self, path: PathBuf, text: SharedText) -> Result<usize, OffsetsFull> {
        self.push(path, text, None)
    }

    /// Adds a module instance: a view of `module_file`'s text at new offsets.
    pub fn add_instance(
        &mut self,
        module_file: usize,
        instance: InstanceOf,
    ) -> Result<usize, OffsetsFull> {
        let (path, text) = {
            let file = self.entry_of_base(module_file);
            (file.path.clone(), Arc::clone(&file.text))
        };
        self.push(path, text, Some(instance))
    }

    fn push(
        &mut self,
        path: PathBuf,
        text: SharedText,
        instance: Option<InstanceOf>,
    ) -> Result<usize, OffsetsFull> {
        // One offset between entries, so that a span at the very end of one
        // (an "expected `}`" point) is never the start of the next.
        let base = self.entries.last().map_or(0, |last| last.end() + 1);
        if base + text.len() > MAX_OFFSET {
            return Err(OffsetsFull);
        }
        self.entries.push(Entry {
            path,
            text,
            base,
            instance,
            lines: OnceLock::new(),
        });
        Ok(base)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The root file (offset 0).
    pub fn root(&self) -> Option<&Entry> {
        self.entries.first()
    }

    /// The entry whose text starts at `base`.
    fn entry_of_base(&self, base: usize) -> &Entry {
        self.entry_at(base).expect("a base handed out by this map")
    }

    /// Lets go of every text (spans no longer point anywhere): for a build
    /// whose diagnostics are reported, so that the emitters get the memory.
    pub fn release_texts(&mut self) {
        for entry in &mut self.entries {
            entry.text = Arc::new(String::new());
            entry.lines = OnceLock::new();
        }
    }

    /// The entry a stack offset falls in (its end included).
    pub fn entry_at(&self, offset: usize) -> Option<&Entry> {
        self.entry_index_at(offset, offset)
            .map(|index| &self.entries[index])
    }

    /// The index of the entry that holds all of `start..end` (its end included).
    pub fn entry_index_at(&self, start: usize, end: usize) -> Option<usize> {
        let index = self
            .entries
            .partition_point(|e| e.base <= start)
            .checked_sub(1)?;
        (end <= self.entries[index].end()).then_some(index)
    }

    /// The file a span is shown in.
    pub fn file_name(&self, span: Span) -> String {
        self.entry_at(span.start())
            .map_or_else(String::new, Entry::name)
    }

    /// Adds to each diagnostic inside a module instance a label on the
    /// instance's `module` block (LANGUAGE.md section 6, last paragraph). A
    /// problem several instances share (the same code and message at the
    /// same place of the module file) is the module's: it is reported once,
    /// with a label on each instance's `module` block (the first few).
    pub fn label_instances(&self, diagnostics: &mut Diagnostics) {
        if !self.entries.iter().any(|e| e.instance.is_some()) {
            return;
        }
        let mut kept: Vec<Diagnostic> = Vec::with_capacity(diagnostics.len());
        let mut first_at: HashMap<RepeatKey, (usize, usize)> = HashMap::new();
        for diagnostic in std::mem::take(diagnostics) {
            let Some((entry, instance)) = self.instance_of(diagnostic.primary.span) else {
                kept.push(diagnostic);
                continue;
            };
            let key = RepeatKey {
                code: diagnostic.code,
                message: diagnostic.message.clone(),
                environment: diagnostic.environment.clone(),
                file: entry.path.clone(),
                at: entry.local(diagnostic.primary.span),
            };
            match first_at.get_mut(&key) {
                Some((index, repeats)) => {
                    *repeats += 1;
                    add_repeat_label(&mut kept[*index], instance, *repeats);
                }
                None => {
                    first_at.insert(key, (kept.len(), 0));
                    let mut diagnostic = diagnostic;
                    diagnostic.secondary.push(Label {
                        span: instance.module,
                        message: format!("in module instance `{}`", instance.name).into(),
                    });
                    kept.push(diagnostic);
                }
            }
        }
        for diagnostic in kept {
            diagnostics.push(diagnostic);
        }
    }

    /// The entry and instance a span is in, when it is in a module instance.
    fn instance_of(&self, span: Span) -> Option<(&Entry, &InstanceOf)> {
        let entry = self.entry_at(span.start())?;
        Some((entry, entry.instance.as_ref()?))
    }

    /// The folder the root file is in.
    pub fn root_folder(&self) -> &Path {
        self.root()
            .and_then(|root| root.path.parent())
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_find_their_file_and_instance() {
        let mut map = SourceMap::new();
        let root = map.add("a.eos".into(), Arc::new("abc\n".into())).unwrap();
        let module = map.add("m.eos".into(), Arc::new("xy\nz".into())).unwrap();
        let instance = map
            .add_instance(
                module,
                InstanceOf {
                    name: "wiki".into(),
                    module: Span::new(1, 2),
                },
            )
            .unwrap();
        assert_eq!((root, module, instance), (0, 5, 10));
        assert_eq!(map.file_name(Span::point(4)), "a.eos");
        assert_eq!(map.file_name(Span::point(5)), "m.eos");
        let entry = map.entry_at(13).unwrap();
        assert_eq!(entry.instance.as_ref().unwrap().name, "wiki");
        assert_eq!(entry.line_column(13), LineColumn { line: 2, column: 1 });
        assert!(map.entry_at(15).is_none());
    }

    #[test]
    fn offsets_stop_at_the_span_range() {
        // Instances share their module file's text, so 4 GiB of offsets cost
        // one 64 MiB text here.
        let mut map = SourceMap::single("a.eos", Arc::new("stack {}\n".into()));
        let module = map
            .add("m.eos".into(), "#".repeat(64 << 20).into())
            .unwrap();
        let instance = |n: usize| InstanceOf {
            name: format!("i{n}"),
            module: Span::new(0, 5),
        };
        let mut added = 0;
        while map.add_instance(module, instance(added)).is_ok() {
            added += 1;
        }
        assert_eq!(added, 62, "4 GiB of offsets hold 62 more copies of 64 MiB");
        let last = map.entries().last().unwrap();
        assert!(last.end() <= MAX_OFFSET);
        // A small file still fits after a large one was refused.
        assert!(map.add("b.eos".into(), Arc::new("x".into())).is_ok());
        let diagnostic = OffsetsFull.diagnostic(Span::new(0, 5));
        assert_eq!(diagnostic.code, crate::diag::Code::E0002);
    }
}
