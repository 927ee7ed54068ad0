//! Text → syntax tree. Parsing never fails: it returns the tree of everything it
//! could read plus the diagnostics of what it could not.

mod fast;
mod literal;
mod lower;
mod parser;
mod scan;
pub mod tree;

pub use literal::{escape, Decimal, ScaleError};
pub use scan::MAX_DEPTH;
pub use tree::*;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::span::Span;
use lower::Lowerer;

/// Largest source file accepted (E0002).
pub const MAX_FILE_SIZE: usize = 64 * 1024 * 1024;

/// Parses a whole file. Every syntax error is reported; blocks that parse are kept
/// even when others do not, so later phases can still check them.
pub fn parse(text: &str) -> (Document, Diagnostics) {
    let (document, diags, _) = parse_via(text, true);
    (document, diags)
}

/// [`parse`], with the fast path (`fast.rs`) allowed or not, telling whether it
/// built the tree. Only for the tests and the fuzz target that hold the fast path
/// to the grammar.
#[doc(hidden)]
pub fn parse_via(text: &str, fast_path: bool) -> (Document, Diagnostics, bool) {
    if fast_path {
        if let Some(parsed) = fast::parse_each(text, Vec::new, Vec::push) {
            let document = Document {
                blocks: parsed.sinks.into_iter().flatten().collect(),
                comments: parsed.comments,
            };
            return (document, parsed.diags, true);
        }
    }
    let (document, diags) = parse_without_fast_start(text, fast_path);
    (document, diags, false)
}

/// A file the fast path takes, block by block: each top-level block is handed
/// to `visit` as soon as it is read, and is the visitor's from then on, so the
/// whole syntax tree never exists at once. Each run of blocks gets its own sink
/// from `new_sink` (two runs, on two threads, for a large file); the sinks come
/// back in file order, with the literal diagnostics (sorted). `None` when the
/// file needs [`parse`] (it has a syntax error, or something only the grammar
/// handles).
pub fn parse_each<S: Send>(
    text: &str,
    new_sink: impl Fn() -> S + Sync,
    visit: impl Fn(&mut S, Block) + Sync,
) -> Option<(Vec<S>, Diagnostics)> {
    let parsed = fast::parse_each(text, new_sink, visit)?;
    Some((parsed.sinks, parsed.diags))
}

/// [`parse_each`] over `text[start..end]` alone, which must be a run of
/// whole top-level blocks and the space between them (spans are offsets in
/// `text`), in one run: the language server reads again only the blocks an
/// edit touched. `None` as for [`parse_each`], and when the run does not end
/// where a block could start.
pub fn parse_each_in<S>(
    text: &str,
    start: usize,
    end: usize,
    sink: S,
    visit: impl Fn(&mut S, Block),
) -> Option<(S, Diagnostics)> {
    if text.len() > MAX_FILE_SIZE
        || start > end
        || !text.is_char_boundary(start)
        || !text.is_char_boundary(end)
    {
        return None;
    }
    let mut parsed = fast::parse_run(text, start, end, sink, &visit)?;
    parsed.diags.sort();
    let sink = parsed.sinks.pop()?;
    Some((sink, parsed.diags))
}

/// [`parse`] for a file [`parse_each`] gave up on: the same result, without
/// trying the fast path on the whole file again.
pub fn parse_after_fast_path(text: &str) -> (Document, Diagnostics) {
    parse_without_fast_start(text, true)
}

/// The size limit, the scan and the pest path (the fast path still reads the
/// runs of blocks of the error recovery, when allowed).
fn parse_without_fast_start(text: &str, fast_path: bool) -> (Document, Diagnostics) {
    let mut diags = Diagnostics::new();
    if text.len() > MAX_FILE_SIZE {
        diags.push(file_too_large(text.len()));
        return (Document::default(), diags);
    }
    let scan = scan::scan(text);
    if let Some(too_deep) = scan.too_deep {
        diags.push(too_deep);
        return (Document::default(), diags);
    }
    let blocks = parse_with_pest(text, &scan, &mut diags, fast_path);
    for error in scan.errors {
        diags.push(error);
    }
    diags.sort();
    let document = Document {
        blocks,
        comments: scan.comments,
    };
    (document, diags)
}

/// The pest path, for a file the fast path gave up on: pest parses it, and when
/// it has a syntax error, reports it and parses again block by block (with the
/// fast path first for each run of blocks, when allowed).
fn parse_with_pest(
    text: &str,
    scan: &scan::Scan,
    diags: &mut Diagnostics,
    fast_path: bool,
) -> Vec<Block> {
    // When every resume point is outside any block, the runs of blocks between
    // them are whole blocks, so reading run by run gives the whole-file parse
    // when there is one: pest then parses only the runs the fast path cannot
    // read (in a 50 MB spec with one typo, one run instead of the whole file).
    if fast_path && scan.unclosed.is_empty() {
        return parse_with_recovery(text, scan, diags, fast_path);
    }
    match parser::parse_blocks(text) {
        Ok(pairs) => Lowerer::new(0, diags).file(pairs),
        Err(_) => parse_with_recovery(text, scan, diags, fast_path),
    }
}

pub fn file_too_large(len: usize) -> Diagnostic {
    Diagnostic::new(
        Code::E0002,
        Span::point(0),
        format!(
            "file is {} MiB; the limit is {} MiB",
            len.div_ceil(1024 * 1024),
            MAX_FILE_SIZE / (1024 * 1024)
        ),
    )
    .with_primary_label("file starts here")
    .with_help("split the stack, or check that this is really a stack spec")
}

/// Parses the file as independent runs of top-level blocks, cut at the lines
/// that start one, so that an error in one block does not hide the rest. A run
/// the fast path takes is read by it (the same tree, as for a whole file): in a
/// large spec with one typo, pest then parses one run, not all of them.
fn parse_with_recovery(
    text: &str,
    scan: &scan::Scan,
    diags: &mut Diagnostics,
    fast_path: bool,
) -> Vec<Block> {
    let mut cuts: Vec<usize> = scan.resume_points.clone();
    if cuts.first() != Some(&0) {
        cuts.insert(0, 0);
    }
    cuts.push(text.len());
    let mut blocks = Vec::new();
    for window in cuts.windows(2) {
        let (start, end) = (window[0], window[1]);
        if let Some(parsed) = fast_path
            .then(|| fast::parse_range(text, start, end))
            .flatten()
        {
            // Its comments are the scanner's, already collected.
            blocks.extend(parsed.sinks.into_iter().flatten());
            diags.extend(parsed.diags);
            continue;
        }
        let segment = &text[start..end];
        match parser::parse_blocks(segment) {
            Ok(pairs) => blocks.extend(Lowerer::new(start, diags).file(pairs)),
            Err(error) => {
                // A lexical error in the same run of blocks (an unterminated
                // string, a bad escape) is the cause; don't report its echo.
                let explained = scan
                    .errors
                    .iter()
                    .any(|lexical| (start..end).contains(&lexical.primary.span.start()));
                if !explained {
                    diags.push(segment_error(text, scan, *error, start, end));
                }
            }
        }
    }
    blocks
}

fn segment_error(
    text: &str,
    scan: &scan::Scan,
    error: Diagnostic,
    start: usize,
    end: usize,
) -> Diagnostic {
    let at = error.primary.span.start() + start;
    let content_end = start + text[start..end].trim_end().len();
    let unclosed = scan.unclosed.iter().find(|(point, _)| *point == end);
    match unclosed {
        Some(&(_, brace)) if at >= content_end => Diagnostic::new(
            Code::E0001,
            Span::point(content_end),
            "unclosed block: expected `}` before the next top-level block",
        )
        .with_primary_label("expected `}` here")
        .with_label(Span::new(brace, brace + 1), "this `{` is never closed")
        .with_help("add the missing `}`"),
        _ => Diagnostic {
            primary: crate::diag::Label {
                span: error.primary.span.shifted(start),
                message: error.primary.message.clone(),
            },
            ..error
        },
    }
}

/// The next char boundary strictly after `offset` (or the end of the text).
pub(crate) fn next_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset < text.len() && !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}
