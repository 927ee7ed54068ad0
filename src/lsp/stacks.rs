//! The stacks the server keeps checked: each open document belongs to one
//! stack (its root found through `include` and `module`, as `eosc check`
//! finds it), and an edit re-checks that stack with the open documents laid
//! over the files on disk — unchanged files come from the cache, never from
//! the disk again.

use crate::source::SharedText;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::compose::BlockMemo;
use crate::driver::{self, Checked, Environments};
use crate::views::plan::Plan;

use super::files::{DiskCache, OverlayFiles};
use super::index::Index;
use super::text::Document;

/// One stack, as last checked.
pub struct Stack {
    pub root: PathBuf,
    pub checked: Checked,
    /// Its files (not module instances), root first.
    pub files: Vec<PathBuf>,
    index: OnceLock<Index>,
    plan: OnceLock<Option<Plan>>,
    /// While the stack has syntax errors, the texts of its last check
    /// without: a block the parser drops mid-typing still has its names.
    last_parsed: Option<Arc<Parsed>>,
    /// What each block of its files was read into, for the next check.
    memo: BlockMemo,
}

/// A stack's texts, indexed on demand.
pub struct Parsed {
    files: Vec<(PathBuf, String, SharedText)>,
    index: OnceLock<Index>,
}

/// The files of a check (not module instances), root first: path,
/// root-relative path, text.
fn files_of(checked: &Checked) -> Vec<(PathBuf, String, SharedText)> {
    let folder = checked.sources.root_folder().to_path_buf();
    checked
        .sources
        .entries()
        .iter()
        .filter(|e| e.instance.is_none())
        .map(|e| {
            let relative = e
                .path
                .strip_prefix(&folder)
                .ok()
                .and_then(Path::to_str)
                .map_or_else(|| e.name(), str::to_string);
            (e.path.clone(), relative, Arc::clone(&e.text))
        })
        .collect()
}

/// Whether a check found a syntax error (the parser then drops blocks).
fn has_syntax_errors(checked: &Checked) -> bool {
    checked.diagnostics.has_syntax_errors()
}

impl Stack {
    pub fn holds(&self, path: &Path) -> bool {
        self.files.iter().any(|f| f == path)
    }

    /// The names of the stack and where they are written (made on first
    /// use after each check: typing alone never pays for it).
    pub fn index(&self) -> &Index {
        self.index
            .get_or_init(|| Index::build(files_of(&self.checked)))
    }

    /// The index of the last check without syntax errors, while this one
    /// has some (completion offers the names the parser lost).
    pub fn last_parsed_index(&self) -> Option<&Index> {
        let parsed = self.last_parsed.as_ref()?;
        Some(
            parsed
                .index
                .get_or_init(|| Index::build(parsed.files.clone())),
        )
    }

    /// Stages, placements and budgets, when the stack checks without errors.
    pub fn plan(&self) -> Option<&Plan> {
        self.plan
            .get_or_init(|| {
                let stack = self.checked.stack.as_ref()?;
                let analysis = self.checked.analysis.as_ref()?;
                Some(Plan::build(stack, analysis))
            })
            .as_ref()
    }
}

/// Every stack and every open document.
#[derive(Default)]
pub struct Workspace {
    pub documents: HashMap<PathBuf, Document>,
    pub cache: DiskCache,
    pub stacks: BTreeMap<PathBuf, Stack>,
    /// Each open document's root.
    root_of: BTreeMap<PathBuf, PathBuf>,
    /// Roots whose check is out of date.
    dirty: BTreeSet<PathBuf>,
}

impl Workspace {
    pub fn open(&mut self, path: &Path, document: Document) {
        self.documents.insert(path.to_path_buf(), document);
        self.assign_root(path);
    }

    /// Gives a document its root. A document with a `stack` block is one;
    /// another is first offered to the checked stacks whose folder holds it
    /// (a new file an `include` pattern matches joins its stack as the
    /// editor shows it, saved or not: they are checked again, and
    /// [`Self::settle_roots`] moves it there), else its root is looked for
    /// on disk as `eosc check` looks for it.
    fn assign_root(&mut self, path: &Path) {
        let is_root = self
            .documents
            .get(path)
            .is_some_and(|d| driver::starts_a_stack_block(&d.text));
        let root = if is_root {
            path.to_path_buf()
        } else if let Some(stack) = self
            .stacks
            .values()
            .find(|s| s.root != path && s.holds(path))
        {
            stack.root.clone()
        } else {
            let around: Vec<PathBuf> = self
                .stacks
                .keys()
                .filter(|root| root.parent().is_some_and(|folder| path.starts_with(folder)))
                .cloned()
                .collect();
            self.dirty.extend(around);
            self.find_root(path)
        };
        self.root_of.insert(path.to_path_buf(), root.clone());
        self.dirty.insert(root);
    }

    pub fn change(&mut self, path: &Path) {
        let roots = self.roots_holding(path);
        self.dirty.extend(roots);
        // A document that gains or loses its `stack` block changes roots.
        let Some(document) = self.documents.get(path) else {
            return;
        };
        let is_root = driver::starts_a_stack_block(&document.text);
        let was_root = self.root_of.get(path).is_some_and(|r| r == path);
        if is_root != was_root {
            self.assign_root(path);
        }
    }

    /// A document closed: its stack is dropped when no open document
    /// belongs to it any more. Returns the files whose diagnostics go.
    pub fn close(&mut self, path: &Path) -> Vec<PathBuf> {
        self.documents.remove(path);
        self.root_of.remove(path);
        // What the editor held may differ from the disk.
        self.cache.forget(path);
        for stack in self.stacks.values().filter(|s| s.holds(path)) {
            self.dirty.insert(stack.root.clone());
        }
        self.drop_unused()
    }

    /// Drops the stacks no open document belongs to; returns their files.
    fn drop_unused(&mut self) -> Vec<PathBuf> {
        let in_use: BTreeSet<&PathBuf> = self.root_of.values().collect();
        let unused: Vec<PathBuf> = self
            .stacks
            .keys()
            .filter(|root| !in_use.contains(root))
            .cloned()
            .collect();
        let mut gone = Vec::new();
        for root in unused {
            self.dirty.remove(&root);
            if let Some(stack) = self.stacks.remove(&root) {
                gone.extend(stack.files);
            }
        }
        gone
    }

    /// A file changed on disk (saved, created, deleted by another program).
    /// `file` sources are probed again too (cheap, and not watched).
    pub fn changed_on_disk(&mut self, path: &Path) {
        self.cache.forget(path);
        self.cache.forget_sources();
        // A new or deleted file may change what an `include` matches.
        let roots: Vec<PathBuf> = self.stacks.keys().cloned().collect();
        self.dirty.extend(roots);
    }

    /// A document saved: the editor and the disk agree again. A client
    /// that watches no files for the server says nothing of the others, so
    /// everything read is read again (once per save, never per edit).
    pub fn saved(&mut self, path: &Path, watched: bool) {
        if !watched {
            self.cache.forget_all();
        }
        self.changed_on_disk(path);
    }

    pub fn has_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }

    /// Checks every stack that is out of date; returns their roots and the
    /// files of the stacks dropped because no document belongs to them.
    pub fn refresh(&mut self) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let mut checked = self.check_dirty();
        if self.settle_roots() {
            checked.extend(self.check_dirty());
        }
        let gone = self.drop_unused();
        checked.retain(|root| self.stacks.contains_key(root));
        (checked, gone)
    }

    /// After a check: each document without a `stack` block belongs to the
    /// stack that reads it (one that has just started to, after a fix of
    /// its root or a new file); one whose root no longer reads it (dropped
    /// from an `include`) stands alone — unless that root has a syntax
    /// error, which hides its `include` for a moment. True when a root
    /// changed.
    fn settle_roots(&mut self) -> bool {
        let mut moved = Vec::new();
        for (document, root) in &self.root_of {
            if document == root
                && self
                    .documents
                    .get(document)
                    .is_some_and(|d| driver::starts_a_stack_block(&d.text))
            {
                continue;
            }
            let current = self.stacks.get(root);
            if document != root && current.is_some_and(|s| s.holds(document)) {
                continue;
            }
            let holder = self
                .stacks
                .values()
                .find(|s| s.root != *document && s.holds(document))
                .map(|s| s.root.clone());
            let next = match holder {
                Some(holder) => holder,
                None if document == root => continue,
                None if current.is_some_and(|s| has_syntax_errors(&s.checked)) => continue,
                None => document.clone(),
            };
            if &next != root {
                moved.push((document.clone(), next));
            }
        }
        for (document, root) in &moved {
            self.root_of.insert(document.clone(), root.clone());
            self.dirty.insert(root.clone());
        }
        !moved.is_empty()
    }

    fn check_dirty(&mut self) -> Vec<PathBuf> {
        let dirty = std::mem::take(&mut self.dirty);
        for root in &dirty {
            // The previous check goes before the new one is made: both
            // whole at once would double the memory, and freeing it while
            // checking slows the check. What survives of it is the texts
            // that parsed, for completion while the new one has errors.
            let mut memo = BlockMemo::new();
            let parsed_before = self.stacks.remove(root).and_then(|mut previous| {
                memo = std::mem::take(&mut previous.memo);
                let parsed = match &previous.last_parsed {
                    Some(parsed) => Some(Arc::clone(parsed)),
                    None if !has_syntax_errors(&previous.checked) => Some(Arc::new(Parsed {
                        files: files_of(&previous.checked),
                        index: OnceLock::new(),
                    })),
                    None => None,
                };
                crate::timings::phase("lsp: free the previous check", || drop(previous));
                parsed
            });
            let checked = crate::timings::phase("lsp: check", || {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.check(root, &memo)))
            });
            // A check that panicked (a bug) leaves the stack unchecked until
            // the next edit, and the server running.
            let Ok(checked) = checked else {
                continue;
            };
            let files = checked
                .sources
                .entries()
                .iter()
                .filter(|e| e.instance.is_none())
                .map(|e| e.path.clone())
                .collect();
            let last_parsed = parsed_before.filter(|_| has_syntax_errors(&checked));
            let stack = Stack {
                root: root.clone(),
                checked,
                files,
                index: OnceLock::new(),
                plan: OnceLock::new(),
                last_parsed,
                memo,
            };
            self.stacks.insert(root.clone(), stack);
        }
        dirty.into_iter().collect()
    }

    /// Checks the stack rooted at `root`: its text from the editor when it is
    /// open, every other file through the cache.
    fn check(&self, root: &Path, memo: &BlockMemo) -> Checked {
        let bytes = match self.documents.get(root) {
            Some(document) => Ok(document.text.as_bytes().to_vec()),
            None => self.cache.read_root(root),
        };
        let bytes = bytes.unwrap_or_default();
        let (source, diagnostics) = driver::decode(root, bytes);
        let folder = root.parent().unwrap_or(Path::new("/")).to_path_buf();
        let open = self
            .documents
            .iter()
            .map(|(path, document)| (path.as_path(), document.text.as_str()));
        let files = OverlayFiles::new(folder, &self.cache, open);
        let which = Environments::All;
        driver::check_stack_reusing(source, diagnostics, &files, Some(memo), which, |stack| {
            self.cache.source_files(root, stack)
        })
        .expect("checking every environment names none")
    }

    /// The stack an open document belongs to.
    pub fn stack_of(&self, path: &Path) -> Option<&Stack> {
        let root = self.root_of.get(path)?;
        self.stacks.get(root)
    }

    fn roots_holding(&self, path: &Path) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = self
            .stacks
            .values()
            .filter(|s| s.holds(path))
            .map(|s| s.root.clone())
            .collect();
        if let Some(root) = self.root_of.get(path) {
            roots.push(root.clone());
        }
        roots
    }

    /// The root of the stack `path` is part of: itself when it holds a
    /// `stack` block, else a checked stack that reads it, else the root
    /// found on disk as `eosc check` finds it, else itself alone.
    fn find_root(&self, path: &Path) -> PathBuf {
        let text = self.documents.get(path).map_or("", |d| d.text.as_str());
        if driver::starts_a_stack_block(text) {
            return path.to_path_buf();
        }
        if let Some(stack) = self.stacks.values().find(|s| s.holds(path)) {
            return stack.root.clone();
        }
        if let Some(root) = driver::find_root(path) {
            let absolute = if root.is_absolute() {
                root
            } else {
                std::env::current_dir().map_or(root.clone(), |cwd| cwd.join(root))
            };
            // The editor's spelling of the folder, when the root is beside
            // or above the file (find_root answers with canonical paths).
            return respelled(path, &absolute).unwrap_or(absolute);
        }
        path.to_path_buf()
    }
}

/// `found` (canonical) spelled from `path`'s folder as the editor spells it.
fn respelled(path: &Path, found: &Path) -> Option<PathBuf> {
    let mut folder = path.parent()?.to_path_buf();
    loop {
        let canonical = folder.canonicalize().ok()?;
        if let Ok(rest) = found.strip_prefix(&canonical) {
            return Some(folder.join(rest));
        }
        if !folder.pop() {
            return None;
        }
    }
}
