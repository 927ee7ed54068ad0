//! The language server reads a stack through a `BlockMemo`, which reuses what
//! it read of the blocks an edit did not touch. Whatever the edits, a check
//! through the memo must be the check of the text from scratch: the same
//! diagnostics (spans included), the same resolved stack, the same secret
//! spans. Edits here are random — most keep the file valid (the memo's path),
//! some break it (the whole-file fallback, and the mend after it).

mod common;

use eosc::compose::files::MemoryFiles;
use eosc::compose::BlockMemo;
use eosc::diag::Diagnostics;
use eosc::driver::{self, Checked, Environments, SourceFile};

/// A small deterministic generator (the failures must reproduce).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next()).unwrap() % n.max(1)
    }
}

fn check(root: &str, files: &MemoryFiles, memo: Option<&BlockMemo>) -> Checked {
    let source = SourceFile::new(root, files.files[root].clone());
    driver::check_stack_reusing(
        source,
        Diagnostics::new(),
        files,
        memo,
        Environments::All,
        |_| eosc::model::files::SourceFiles::default(),
    )
    .unwrap()
}

/// What must not differ between the two ways.
fn outcome(checked: &Checked) -> String {
    format!(
        "{:#?}\n{:?}\n{:#?}",
        checked.diagnostics, checked.secret_spans, checked.stack
    )
}

/// A char boundary of `text` at or before `at`.
fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The start of a random line of `text`.
fn line_start(text: &str, rng: &mut Rng) -> usize {
    let at = boundary(text, rng.below(text.len() + 1));
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// One random edit of `text`, as typing makes them.
fn edit(text: &mut String, rng: &mut Rng) {
    match rng.below(10) {
        // A digit changed (same length) or added (longer).
        0 | 1 => {
            let digits: Vec<usize> = text
                .char_indices()
                .filter(|(_, c)| c.is_ascii_digit())
                .map(|(i, _)| i)
                .collect();
            if let Some(&at) = digits.get(rng.below(digits.len())) {
                let digit = char::from(b'1' + u8::try_from(rng.below(9)).unwrap());
                if rng.below(2) == 0 {
                    text.replace_range(at..=at, &digit.to_string());
                } else {
                    text.insert(at, digit);
                }
            }
        }
        // Blank lines and comments between or inside blocks.
        2 => {
            let at = line_start(text, rng);
            text.insert_str(at, ["\n", "// a comment\n", "  \n"][rng.below(3)]);
        }
        // A line removed (often a blank one, or an attribute).
        3 => {
            let at = line_start(text, rng);
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
            text.replace_range(at..end, "");
        }
        // A whole new block, or a copy of a line.
        4 => {
            let at = line_start(text, rng);
            let block = [
                "service \"extra\" {\n  runtime = docker\n  image = \"nginx:1\"\n  memory = 64MiB\n  cpu = 0.1\n}\n",
                "route \"r9\" {\n  host = \"x.example.com\"\n  to = nowhere.http\n}\n",
            ][rng.below(2)];
            text.insert_str(at, block);
        }
        5 => {
            let at = line_start(text, rng);
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
            let line = text[at..end].to_string();
            text.insert_str(end, &line);
        }
        // A character typed anywhere (often a syntax error).
        6 | 7 => {
            let at = boundary(text, rng.below(text.len() + 1));
            let typed = ["x", " ", "\"", "{", "}", "=", "\n", "/*", "é"][rng.below(9)];
            text.insert_str(at, typed);
        }
        // A few bytes deleted.
        _ => {
            let start = boundary(text, rng.below(text.len() + 1));
            let end = boundary(text, start + 1 + rng.below(12));
            text.replace_range(start..end, "");
        }
    }
}

/// Random edits to random files of the stack; after each, the check through
/// the memo and the check from scratch agree. Now and then the files go back
/// to their first texts, so that the memo also sees valid files after broken
/// ones.
fn edits_agree(root: &str, first: &MemoryFiles, edits: usize, seed: u64) {
    let memo = BlockMemo::new();
    let mut files = first.clone();
    let names: Vec<String> = files.files.keys().cloned().collect();
    let mut rng = Rng(seed);
    assert_eq!(
        outcome(&check(root, &files, Some(&memo))),
        outcome(&check(root, &files, None)),
        "{root}: before any edit"
    );
    for n in 0..edits {
        if rng.below(8) == 0 {
            files = first.clone();
        } else {
            let name = &names[rng.below(names.len())];
            let text = files.files.get_mut(name).unwrap();
            edit(text, &mut rng);
        }
        let reused = outcome(&check(root, &files, Some(&memo)));
        let fresh = outcome(&check(root, &files, None));
        assert!(
            reused == fresh,
            "{root}, seed {seed}, edit {n}: the memo's check differs from a fresh one\n--- files\n{:#?}",
            files.files
        );
    }
}

fn spec_files(paths: &[&str]) -> MemoryFiles {
    let specs = common::root().join("specs");
    let mut files = MemoryFiles::new();
    for path in paths {
        let text = std::fs::read_to_string(specs.join(path)).unwrap();
        files = files.with(path, &text);
    }
    files
}

#[test]
fn edits_of_one_file_check_as_from_scratch() {
    for (seed, spec) in [
        "eos.eos",
        "proxies.eos",
        "ceph-bootstrap.eos",
        "minimal.eos",
    ]
    .into_iter()
    .enumerate()
    {
        edits_agree(spec, &spec_files(&[spec]), 120, seed as u64 + 1);
    }
}

#[test]
fn edits_of_a_stack_over_several_files_check_as_from_scratch() {
    let specs = common::root().join("specs");
    let mut paths = vec!["platform.eos".to_string()];
    let mut found = Vec::new();
    common::files_below(&specs.join("platform"), "eos", &mut found);
    for path in found {
        let relative = path.strip_prefix(&specs).unwrap();
        paths.push(relative.to_str().unwrap().to_string());
    }
    paths.sort();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    // Environments are composed and checked too (read whole: a change an
    // environment merges into a block is never reused).
    edits_agree("platform.eos", &spec_files(&paths), 120, 7);
}

/// The service blocks of `text` (from a line `service "…` to the next line
/// `}`).
fn service_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("\nservice \"") {
        let block = &rest[start + 1..];
        let end = block.find("\n}\n").map_or(block.len(), |i| i + 3);
        blocks.push(&block[..end]);
        rest = &block[end..];
    }
    blocks
}

#[test]
fn a_large_file_checks_as_from_scratch_after_edits() {
    let text = std::fs::read_to_string(common::root().join("specs/eos.eos")).unwrap();
    // Copies of its services under new names, until the file is large
    // enough that its first reading runs on two threads.
    let services = service_blocks(&text);
    assert!(services.len() > 10);
    let mut big = text.clone();
    let mut copy = 0;
    while big.len() < 300 << 10 {
        for service in &services {
            big.push('\n');
            big.push_str(&service.replacen("service \"", &format!("service \"c{copy}-"), 1));
        }
        copy += 1;
    }
    let files = MemoryFiles::new().with("big.eos", &big);
    edits_agree("big.eos", &files, 30, 99);
}

/// An edit whose effect reaches past the blocks it touches: a line comment
/// typed before a block that stands on the same line as the one before it
/// swallows it. A block is reused only when it starts a line.
#[test]
fn a_comment_typed_before_a_block_on_the_same_line_swallows_it() {
    let base = "stack \"s\" {\n  domain = \"example.org\"\n}\n\nhost \"a\" {\n  address = \"192.0.2.1\"\n  memory = 8GiB\n  cpus = 2\n} host \"b\" {}\n\nhost \"c\" {\n  address = \"192.0.2.3\"\n  memory = 8GiB\n  cpus = 2\n}\n";
    let before_b = base.find("host \"b\"").unwrap();
    // `}// host "b" {}`: the space before `host` is the same before and after.
    let typed_before_b = [
        (before_b - 1, "//"),
        (before_b - 1, " //"),
        (before_b, "// "),
        (before_b - 1, "\n"),
    ];
    for (at, typed) in typed_before_b {
        let memo = BlockMemo::new();
        let mut files = MemoryFiles::new().with("s.eos", base);
        check("s.eos", &files, Some(&memo));
        let mut edited = base.to_string();
        edited.insert_str(at, typed);
        files = files.with("s.eos", &edited);
        assert_eq!(
            outcome(&check("s.eos", &files, Some(&memo))),
            outcome(&check("s.eos", &files, None)),
            "{typed:?} typed at {at}"
        );
    }
}
