//! One file of a stack, text to unfinished declarations. A file the fast
//! parser takes is lowered block by block as it is read, so that its syntax
//! tree never exists whole (the tree was the largest structure of a check, and
//! the page faults of building it a third of its time); any other file goes
//! through `syntax::parse`, which reports its syntax errors and recovers.
//!
//! What the schema does not read is kept here as syntax: `module` blocks (with
//! where their instances are to stand) and `env` blocks; an environment's
//! changes are merged into the blocks they change before those are lowered.

use std::sync::Arc;

use super::overlay::{self, Overlay};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::schema::{Lowered, Lowering};
use crate::span::{Delta, Relocate, Span};
use crate::syntax::{Block, Item, ValueKind};

/// How one file is read.
#[derive(Clone)]
pub(super) struct Reading {
    /// The file's first offset in the stack.
    pub base: usize,
    /// The file's folder, relative to the root's (for `file` sources).
    pub folder: String,
    /// The environment being composed, if any.
    pub overlay: Option<Arc<Overlay>>,
    /// Whether the text holds `param.` at all (most do not, and are not walked).
    pub may_use_params: bool,
}

/// Whether a file's text holds `param.` at all: most do not, and their
/// blocks are not walked for parameters outside a module. A large file's
/// halves are searched on two threads: nothing else runs while the search
/// does (7 ms alone at 100,000 services).
pub(super) fn may_use_params(text: &str) -> bool {
    const WORD: &[u8] = b"param.";
    let bytes = text.as_bytes();
    if bytes.len() < SEARCH_IN_HALVES_FROM {
        return memchr::memmem::find(bytes, WORD).is_some();
    }
    // The halves overlap by one byte less than the word, so that a word
    // across the middle is in the first.
    let middle = bytes.len() / 2;
    let (first, second) = (&bytes[..middle + WORD.len() - 1], &bytes[middle..]);
    let (in_first, in_second) = crate::parallel::both(
        || memchr::memmem::find(first, WORD).is_some(),
        || memchr::memmem::find(second, WORD).is_some(),
    );
    in_first || in_second
}

/// Texts from which [`may_use_params`] searches two halves at once.
const SEARCH_IN_HALVES_FROM: usize = 4 << 20;

/// A `module` block and where its instance stands: the numbers of services and
/// routes before it in the stack.
pub(super) struct PendingModule {
    pub block: Block,
    pub at: (usize, usize),
}

/// What reading a file gave.
pub(super) struct FileDeclarations {
    pub lowering: Lowering,
    pub modules: Vec<PendingModule>,
    pub environments: Vec<Block>,
    /// Indexes of the overlay's blocks that changed a block of this file.
    pub matched: Vec<usize>,
    /// No block was lost to a syntax error.
    pub complete: bool,
    /// The file was refused whole (E0002).
    pub refused: bool,
    pub secret_spans: Vec<Span>,
}

impl FileDeclarations {
    /// Adds the declarations of the file (or run of blocks) after this one.
    pub(super) fn append(&mut self, later: FileDeclarations) {
        let (services, routes) = self.lowering.counts();
        self.modules
            .extend(later.modules.into_iter().map(|mut module| {
                module.at = (module.at.0 + services, module.at.1 + routes);
                module
            }));
        self.lowering.append(later.lowering);
        self.environments.extend(later.environments);
        self.matched.extend(later.matched);
        self.complete &= later.complete;
        self.refused |= later.refused;
        self.secret_spans.extend(later.secret_spans);
    }

    /// Appends runs of blocks that follow in order (the pieces of one file,
    /// the included files of a stack); each list is sized once for all of
    /// them, where appending them one by one would grow it run by run,
    /// copying it each time.
    pub(super) fn append_all(&mut self, runs: Vec<FileDeclarations>) {
        self.lowering
            .reserve_for(runs.iter().map(|run| &run.lowering));
        self.secret_spans
            .reserve_exact(runs.iter().map(|run| run.secret_spans.len()).sum());
        for run in runs {
            self.append(run);
        }
    }

    pub(super) fn empty() -> Self {
        Self {
            lowering: Lowering::new(),
            modules: Vec::new(),
            environments: Vec::new(),
            matched: Vec::new(),
            complete: true,
            refused: false,
            secret_spans: Vec::new(),
        }
    }
}

/// Reads one file's text (its spans are moved to `reading.base`).
pub(super) fn read(
    text: &str,
    reading: &Reading,
    diagnostics: &mut Diagnostics,
) -> FileDeclarations {
    crate::timings::phase("parse+lower", || streamed(text, reading, diagnostics))
        .unwrap_or_else(|| from_tree(text, reading, diagnostics))
}

/// The fast parser's blocks, lowered as they are read; `None` when it gives up.
pub(super) fn streamed(
    text: &str,
    reading: &Reading,
    diagnostics: &mut Diagnostics,
) -> Option<FileDeclarations> {
    let (sinks, parse_diags) =
        crate::syntax::parse_each(text, || BlockSink::new(reading), BlockSink::read)?;
    let complete = !parse_diags.has_errors();
    diagnostics.extend(parse_diags.shifted(reading.base));
    let mut all = FileDeclarations::empty();
    all.append_all(sinks.into_iter().map(|sink| sink.declarations).collect());
    all.complete = complete;
    Some(all)
}

/// The whole syntax tree first (with every syntax error and the recovery from
/// it), then lowered.
pub(super) fn from_tree(
    text: &str,
    reading: &Reading,
    diagnostics: &mut Diagnostics,
) -> FileDeclarations {
    let (document, parse_diags) =
        crate::timings::phase("parse", || crate::syntax::parse_after_fast_path(text));
    let complete = !parse_diags.has_errors();
    let refused = parse_diags.iter().any(|d| d.code == Code::E0002);
    diagnostics.extend(parse_diags.shifted(reading.base));
    let mut sink = BlockSink::new(reading);
    if !refused {
        crate::timings::phase("lower", || {
            for block in document.blocks {
                sink.read(block);
            }
        });
    }
    let mut declarations = sink.declarations;
    declarations.complete = complete;
    declarations.refused = refused;
    declarations
}

/// What becomes of each top-level block as the parser reads it: it is moved to
/// the stack's offsets, its secret spans are noted, environment changes are
/// merged into it, and it is lowered (or kept, for `module` and `env`).
struct BlockSink<'r> {
    reading: &'r Reading,
    declarations: FileDeclarations,
}

impl<'r> BlockSink<'r> {
    fn new(reading: &'r Reading) -> Self {
        Self {
            reading,
            declarations: FileDeclarations::empty(),
        }
    }

    fn read(&mut self, block: Block) {
        self.declarations.add(read_block(block, self.reading));
    }
}

/// What one top-level block gave, in the stack's offsets.
#[derive(Clone)]
pub(super) struct BlockRead {
    what: Kept,
    /// What reading and lowering it reported.
    diags: Diagnostics,
    secret_spans: Vec<Span>,
    /// The overlay's block that changed it.
    matched: Option<usize>,
}

/// A block's declaration, or the syntax of what the schema does not read.
#[derive(Clone)]
enum Kept {
    Lowered(Lowered),
    Module(Block),
    Environment(Block),
}

impl Relocate for BlockRead {
    fn relocate(&mut self, by: Delta) {
        match &mut self.what {
            Kept::Lowered(lowered) => lowered.relocate(by),
            Kept::Module(block) | Kept::Environment(block) => block.relocate(by),
        }
        self.diags.relocate(by);
        self.secret_spans.relocate(by);
    }
}

/// Reads one top-level block of a file.
pub(super) fn read_block(mut block: Block, reading: &Reading) -> BlockRead {
    block.shift(reading.base);
    prepare(&mut block, &reading.folder);
    let mut secret_spans = Vec::new();
    crate::diag::redact::collect(&block, &mut secret_spans);
    let mut diags = Diagnostics::new();
    if reading.may_use_params {
        report_params_outside_modules(&block, &mut diags);
    }
    let mut matched = None;
    let what = match block.kind.name.as_str() {
        "env" => Kept::Environment(block),
        "param" => {
            diags.push(
                Diagnostic::new(
                    Code::E0109,
                    block.head(),
                    "a `param` block outside a module file",
                )
                .with_primary_label("only a module file declares parameters")
                .with_help(
                    "move it into the module file (the one a `module` block's `source` names)",
                ),
            );
            Kept::Lowered(Lowered::Nothing)
        }
        _ => {
            let block = match reading.overlay.as_deref().and_then(|o| o.change_of(&block)) {
                Some((index, change)) => {
                    matched = Some(index);
                    overlay::merge(&block, change)
                }
                None => block,
            };
            if block.kind.name == "module" {
                Kept::Module(block)
            } else {
                Kept::Lowered(crate::schema::lower_block(&block, &mut diags))
            }
        }
    };
    BlockRead {
        what,
        diags,
        secret_spans,
        matched,
    }
}

impl FileDeclarations {
    /// Adds the next block of the file.
    pub(super) fn add(&mut self, read: BlockRead) {
        self.secret_spans.extend(read.secret_spans);
        self.matched.extend(read.matched);
        self.lowering.diagnostics_mut().extend(read.diags);
        match read.what {
            Kept::Lowered(lowered) => self.lowering.push(lowered),
            Kept::Environment(block) => self.environments.push(block),
            Kept::Module(block) => {
                let at = self.lowering.counts();
                self.modules.push(PendingModule { block, at });
            }
        }
    }
}

/// Readies a block of a file outside the root's folder, or of a module, for
/// lowering: `file` sources are made relative to the root's folder, so that
/// the stack means what it would mean written in one file there.
pub(super) fn prepare(block: &mut Block, folder: &str) {
    if folder.is_empty() || block.kind.name != "service" {
        return;
    }
    for item in &mut block.items {
        let Item::Block(file) = item else { continue };
        if file.kind.name != "file" {
            continue;
        }
        for item in &mut file.items {
            if let Item::Attribute(attribute) = item {
                if attribute.name.name == "source" {
                    if let ValueKind::String(source) = &mut attribute.value.kind {
                        *source = relative_to_root(folder, source).into();
                    }
                }
            }
        }
    }
}

/// A source written in `folder`, relative to the root folder; one that climbs
/// out of it keeps its `..` (and is refused: E0502).
fn relative_to_root(folder: &str, source: &str) -> String {
    if source.starts_with('/') {
        return source.to_string();
    }
    super::files::normalize(folder, source).unwrap_or_else(|| format!("{folder}/{source}"))
}

/// E0109 for `param.NAME` in a file that is not a module file.
fn report_params_outside_modules(block: &Block, diags: &mut Diagnostics) {
    super::params::each_param_reference(block, &mut |span, _| {
        diags.push(
            Diagnostic::new(Code::E0109, span, "`param.` outside a module file")
                .with_primary_label("parameters exist only in module files")
                .with_help("write the value here, or move the block into a module"),
        );
    });
}

/// Lowers blocks already in the stack's offsets (a module instance's, or those
/// an environment adds), merging the overlay's changes into them.
pub(super) fn lower_blocks(blocks: Vec<Block>, reading: &Reading) -> FileDeclarations {
    let mut sink = BlockSink::new(reading);
    for block in blocks {
        sink.read(block);
    }
    sink.declarations
}

#[cfg(test)]
mod tests {
    use super::{may_use_params, SEARCH_IN_HALVES_FROM};

    /// A text searched in halves, with `param.` at `at` (or nowhere).
    fn text_with_word_at(at: Option<usize>) -> String {
        let mut text = "x".repeat(SEARCH_IN_HALVES_FROM + 101);
        if let Some(at) = at {
            text.replace_range(at..at + 6, "param.");
        }
        text
    }

    #[test]
    fn the_word_is_found_wherever_it_stands_in_a_text_searched_in_halves() {
        let middle = usize::midpoint(SEARCH_IN_HALVES_FROM, 101);
        // Each place the word may start relative to the middle (across it,
        // ending at it, starting at it), and the two ends of the text.
        let places = (middle - 6..=middle + 1).chain([0, SEARCH_IN_HALVES_FROM + 95]);
        for at in places {
            assert!(may_use_params(&text_with_word_at(Some(at))), "at {at}");
        }
        assert!(!may_use_params(&text_with_word_at(None)));
        // `param` alone, across the middle, is not the word.
        let mut text = text_with_word_at(None);
        text.replace_range(middle - 3..middle + 2, "param");
        assert!(!may_use_params(&text));
    }
}
