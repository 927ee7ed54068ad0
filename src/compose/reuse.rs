//! What the language server keeps between two checks of a stack: each file's
//! text and what each of its top-level blocks was read into (declaration,
//! diagnostics, secret spans). After an edit, only the blocks the edit
//! touched are parsed and lowered again; every other block's reading is
//! reused (its declaration shared, not copied) and moved to where the block
//! now stands. The result is what
//! reading the whole file gives (`tests/lsp_reuse.rs` holds the two to one
//! result over random edits).
//!
//! Which blocks an edit touched follows from the text alone: the two texts
//! share a prefix and a suffix. A block that ends inside the shared prefix
//! reads as before (the parser reached its `}` over the same bytes). A block
//! that starts on a line of its own inside the shared suffix does too, when
//! the text between the two — the blocks touched and the space around them —
//! parses alone as whole blocks (then the parser is between blocks at its
//! end, on a line break no token crosses). Anything else — a syntax error, a
//! literal error, a file past the size limit, an environment's reading — is
//! read whole, as `eosc check` reads it, and the memo keeps its last good
//! reading of the file for the next edit.

use crate::source::SharedText;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::reading::{self, BlockRead, FileDeclarations, Reading};
use crate::diag::Diagnostics;
use crate::span::{Delta, Relocate};

/// The blocks read of each file of one stack, by root-relative path (`""`
/// for the root).
#[derive(Default)]
pub struct BlockMemo {
    files: Mutex<HashMap<String, FileMemo>>,
}

/// One file's text and the reading of each of its blocks, as of the last
/// check (the file then at stack offset `base`).
struct FileMemo {
    text: SharedText,
    base: usize,
    may_use_params: bool,
    folder: String,
    blocks: Vec<MemoBlock>,
}

/// A block: where it stands in the file's text, and its reading (spans in
/// the stack's offsets of its check). The declarations in it are shared with
/// that check, which the language server drops before the next: moving them
/// then changes them in place.
struct MemoBlock {
    start: usize,
    end: usize,
    read: BlockRead,
}

impl MemoBlock {
    /// The block, now `moved_by` bytes further in a file now at stack offset
    /// `base` (from `was_base`).
    fn moved(mut self, was_base: usize, base: usize, moved_by: isize) -> Self {
        let start = self.start.saturating_add_signed(moved_by);
        let by = Delta::between(was_base + self.start, base + start);
        if !by.is_zero() {
            self.read.relocate(by);
        }
        self.start = start;
        self.end = self.end.saturating_add_signed(moved_by);
        self
    }
}

impl BlockMemo {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the file `key` of the stack, reusing what the last reading of
    /// it allows. An environment's reading (changes merged into blocks) is
    /// never kept.
    pub(super) fn read(
        &self,
        key: &str,
        text: &SharedText,
        reading: &Reading,
        diagnostics: &mut Diagnostics,
    ) -> FileDeclarations {
        if reading.overlay.is_some() {
            return reading::read(text, reading, diagnostics);
        }
        let previous = self.lock().remove(key).filter(|memo| {
            memo.may_use_params == reading.may_use_params && memo.folder == reading.folder
        });
        let blocks = crate::timings::phase("parse+lower", || match previous {
            Some(previous) => read_edited(previous, text, reading),
            None => read_whole(text, reading).ok_or(None),
        });
        let blocks = match blocks {
            Ok(blocks) => blocks,
            Err(previous) => {
                // Kept for the next edit, which may mend what this one broke.
                if let Some(previous) = previous {
                    self.lock().insert(key.to_string(), previous);
                }
                // The fast parser has just refused the file (or a run of it),
                // or reported on it: not tried on the whole file again.
                // `tests/front_end.rs` holds both ways to one result.
                return reading::from_tree(text, reading, diagnostics);
            }
        };
        let mut declarations = FileDeclarations::empty();
        for block in &blocks {
            declarations.add(block.read.clone());
        }
        let memo = FileMemo {
            text: Arc::clone(text),
            base: reading.base,
            may_use_params: reading.may_use_params,
            folder: reading.folder.clone(),
            blocks,
        };
        self.lock().insert(key.to_string(), memo);
        declarations
    }

    /// Forgets the files not in `keys` (no longer part of the stack).
    pub(super) fn keep_only<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        let keys: std::collections::HashSet<&str> = keys.into_iter().collect();
        self.lock().retain(|key, _| keys.contains(key.as_str()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, FileMemo>> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Every block of the file, read (on two threads for a large one); `None`
/// when the fast parser does not take it or reports anything.
fn read_whole(text: &str, reading: &Reading) -> Option<Vec<MemoBlock>> {
    let (sinks, diags) = crate::syntax::parse_each(text, Vec::new, |blocks, block| {
        blocks.push(memo_block(block, reading));
    })?;
    diags
        .is_empty()
        .then(|| sinks.into_iter().flatten().collect())
}

/// The blocks of `text` between `start` and `end`, read; `None` as for
/// [`read_whole`].
fn read_run(text: &str, start: usize, end: usize, reading: &Reading) -> Option<Vec<MemoBlock>> {
    let (blocks, diags) =
        crate::syntax::parse_each_in(text, start, end, Vec::new(), |blocks, block| {
            blocks.push(memo_block(block, reading));
        })?;
    diags.is_empty().then_some(blocks)
}

fn memo_block(block: crate::syntax::Block, reading: &Reading) -> MemoBlock {
    MemoBlock {
        start: block.span.start(),
        end: block.span.end(),
        read: reading::read_block(block, reading),
    }
}

/// The blocks of `text`, an edit of `previous.text`: those the edit did not
/// touch from the memo (moved to where they now stand), the others read
/// again. `previous` back when the edited run does not parse alone.
fn read_edited(
    previous: FileMemo,
    text: &str,
    reading: &Reading,
) -> Result<Vec<MemoBlock>, Option<FileMemo>> {
    let old = previous.text.as_bytes();
    let new = text.as_bytes();
    let prefix = common_prefix(old, new);
    let suffix = common_suffix(&old[prefix..], &new[prefix..]);
    let blocks = &previous.blocks;
    // Blocks that end in the shared prefix.
    let kept_before = blocks.partition_point(|b| b.end <= prefix);
    // Blocks that start a line in the shared suffix (the line break too).
    let suffix_from = old.len() - suffix;
    let mut kept_after = blocks.len();
    while kept_after > kept_before {
        let start = blocks[kept_after - 1].start;
        if start <= suffix_from || old[start - 1] != b'\n' {
            break;
        }
        kept_after -= 1;
    }
    let run_start = kept_before
        .checked_sub(1)
        .map_or(0, |last| blocks[last].end);
    let old_run_end = blocks.get(kept_after).map_or(old.len(), |b| b.start);
    let run_end = old_run_end + new.len() - old.len();
    let (Some(read), Ok(new_len), Ok(old_len)) = (
        read_run(text, run_start, run_end, reading),
        isize::try_from(new.len()),
        isize::try_from(old.len()),
    ) else {
        return Err(Some(previous));
    };
    let (was_base, base) = (previous.base, reading.base);
    let mut blocks = previous.blocks;
    let after: Vec<MemoBlock> = blocks.drain(kept_after..).collect();
    blocks.truncate(kept_before);
    let mut all = Vec::with_capacity(blocks.len() + read.len() + after.len());
    all.extend(blocks.into_iter().map(|b| b.moved(was_base, base, 0)));
    all.extend(read);
    let moved_by = new_len - old_len;
    all.extend(after.into_iter().map(|b| b.moved(was_base, base, moved_by)));
    Ok(all)
}

/// The length of the longest common prefix (compared 64 bytes at a time).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 64;
    let mut at = 0;
    let shorter = a.len().min(b.len());
    while at + CHUNK <= shorter && a[at..at + CHUNK] == b[at..at + CHUNK] {
        at += CHUNK;
    }
    while at < shorter && a[at] == b[at] {
        at += 1;
    }
    at
}

/// The length of the longest common suffix (compared 64 bytes at a time).
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 64;
    let mut length = 0;
    let shorter = a.len().min(b.len());
    while length + CHUNK <= shorter
        && a[a.len() - length - CHUNK..a.len() - length]
            == b[b.len() - length - CHUNK..b.len() - length]
    {
        length += CHUNK;
    }
    while length < shorter && a[a.len() - length - 1] == b[b.len() - length - 1] {
        length += 1;
    }
    length
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_ends_are_found_whatever_their_length() {
        let a = "x".repeat(200);
        let mut b = a.clone();
        b.insert(130, 'y');
        assert_eq!(common_prefix(a.as_bytes(), b.as_bytes()), 130);
        assert_eq!(common_suffix(a.as_bytes(), b.as_bytes()), 70);
        assert_eq!(
            common_suffix(&a.as_bytes()[130..], &b.as_bytes()[130..]),
            70
        );
        assert_eq!(common_prefix(b"abc", b"abc"), 3);
        assert_eq!(common_suffix(b"", b"abc"), 0);
        assert_eq!(common_suffix(b"zabc", b"yabc"), 3);
    }
}
