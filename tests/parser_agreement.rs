//! The fast parser (`src/syntax/fast.rs`) against the pest grammar: whenever the
//! fast path builds a tree, it is the tree (spans, literal diagnostics) the pest
//! path builds; and on every file of the repository that has no syntax error the
//! fast path is the one taken, so `eosc check` is fast where it matters.

mod common;

use eosc::diag::Code;
use eosc::syntax::parse_via;
use proptest::prelude::*;

/// Both paths on `text`; panics with the input when they disagree. Returns
/// whether the fast path built the tree.
fn assert_agree(text: &str) -> bool {
    let (fast_doc, fast_diags, used_fast) = parse_via(text, true);
    let (pest_doc, pest_diags, _) = parse_via(text, false);
    assert_eq!(fast_doc, pest_doc, "trees differ for {text:?}");
    assert_eq!(
        fast_diags.into_vec(),
        pest_diags.into_vec(),
        "diagnostics differ for {text:?}"
    );
    used_fast
}

#[test]
fn every_repository_file_agrees_and_takes_the_fast_path_unless_it_has_a_syntax_error() {
    let mut fast = 0;
    for (path, text) in common::repository_eos_files() {
        let used_fast = assert_agree(&text);
        let (_, diags, _) = parse_via(&text, false);
        let syntax_error = diags
            .iter()
            .any(|d| matches!(d.code, Code::E0001 | Code::E0002));
        assert_eq!(
            used_fast,
            !syntax_error,
            "{}: fast path taken = {used_fast}, syntax error = {syntax_error}",
            path.display()
        );
        fast += usize::from(used_fast);
    }
    assert!(fast > 20, "the fast path read only {fast} files");
}

/// Prefixes and one-character deletions of the repository files under 2 KiB (at
/// every 13th character, so that the test stays quick in debug builds):
/// near-valid input is where two parsers of one grammar drift.
/// Found by the `parse_agree` fuzz target: a comment between a nested
/// block's name and its label was recorded twice by the fast parser (it
/// reads the name once as a possible attribute, then again as a block).
#[test]
fn a_comment_between_a_block_name_and_its_label_is_kept_once() {
    for text in [
        "host \"h\" {\n  disk\n//@ parts/a.eos\n \"data\" { size = 1GB  kind = ssd }\n}\n",
        "host \"h\" {\n  disk /* a */ # b\n \"data\" {}\n}\n",
        "service \"s\" { health // c\n { command = \"true\" } }\n",
    ] {
        assert!(assert_agree(text), "the fast path is taken for {text:?}");
        let (doc, _, _) = parse_via(text, true);
        let mut texts: Vec<&str> = doc.comments.iter().map(|c| c.text.as_str()).collect();
        let all = texts.len();
        texts.dedup();
        assert_eq!(texts.len(), all, "each comment once: {texts:?}");
    }
}

#[test]
fn truncations_and_deletions_agree() {
    let mut cases = 0;
    for (_, text) in common::repository_eos_files() {
        if text.len() > 2048 {
            continue;
        }
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        for window in boundaries.windows(2).step_by(13) {
            let (at, next) = (window[0], window[1]);
            assert_agree(&text[..at]);
            assert_agree(&format!("{}{}", &text[..at], &text[next..]));
            cases += 2;
        }
    }
    assert!(cases > 1_000, "only {cases} cases");
}

#[test]
fn literal_corner_cases_agree() {
    let values = [
        "1..2",
        "1..",
        "1...2",
        "1.5..2",
        "99999999999999999999999..1",
        "1.5GiB",
        "1.GiB",
        "1.5.5",
        "80%",
        "80%x",
        "10 GiB",
        "3Gib",
        "true",
        "truex",
        "true-x",
        "true.x",
        "false_",
        "a.b.c",
        "a.",
        "a..b",
        "a.1",
        "[]",
        "[,]",
        "[1,]",
        "[1,,]",
        "[1 2]",
        "{}",
        "{a = 1 \"b c\" = [x]}",
        "{a 1}",
        "\"\\u{41}\\u{1F600}\"",
        "\"\\u{D800}\"",
        "\"\\u{0}\"",
        "\"\\u{}\"",
        "\"\\u{1234567}\"",
        "\"\\q\"",
        "\"tab\there\"",
        "\"cr\rhere\"",
        "\"nl\nhere\"",
        "\"del\u{7f}here\"",
        "\"bell\u{7}\"",
        "\"ends in \\\\\"",
        "\"a \\\" and \\n then\ttab\"",
        "\"open",
        "\"é😀\"",
        "x /* c */",
        "x /* open",
        "x # c",
        "x // c",
        "/ x",
        "-1",
        "_a-b",
    ];
    for value in values {
        for text in [
            format!("service \"s\" {{\n  v = {value}\n}}\n"),
            format!("service \"s\" {{ v={value}}}"),
            format!("a {{ l = [{value}, {value}] }}"),
            format!("a {{ o = {{ k = {value} }} }}"),
            format!("a {value} {{}}"),
        ] {
            assert_agree(&text);
        }
    }
}

/// Pieces of the language, valid and broken, for token soup.
const PIECES: &[&str] = &[
    "host",
    "service",
    "numa",
    "a",
    "_x",
    "a-b",
    "true",
    "false",
    "truex",
    "\"s\"",
    "\"a\\\"b\"",
    "\"\\u{41}\"",
    "\"\\u{D800}\"",
    "\"\\q\"",
    "\"",
    "{",
    "}",
    "[",
    "]",
    "=",
    ",",
    ".",
    "..",
    "0",
    "7",
    "1.5",
    "GiB",
    "%",
    "ms",
    "Gb",
    "0..3",
    " ",
    "  ",
    "\n",
    "\t",
    "\r\n",
    "# c\n",
    "// c\n",
    "/* c */",
    "/*",
    "*/",
    "-",
    "é",
    "😀",
    "\u{7}",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|pieces| pieces.concat())
}

/// Token soup shaped like a stack: a block whose body is soup.
fn block_soup() -> impl Strategy<Value = String> {
    (soup(), soup()).prop_map(|(label, body)| format!("service {label} {{\n{body}\n}}\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn token_soup_agrees(text in soup()) {
        assert_agree(&text);
    }

    #[test]
    fn block_soup_agrees(text in block_soup()) {
        assert_agree(&text);
    }
}

/// Files over 256 KiB are parsed in pieces by two threads, cut at lines that
/// start a top-level block (one of them near the middle); when a cut falls
/// inside a block comment, the file is read in one piece. Either way: pest's
/// tree.
#[test]
fn large_files_parsed_in_pieces_agree() {
    let example = std::fs::read_to_string(common::root().join("specs/eos.eos")).unwrap();
    let mut text = String::new();
    while text.len() < (1 << 20) + 4096 {
        text.push_str(&example);
    }
    assert!(assert_agree(&text), "the fast path should read it");

    // A block comment across the middle (where one of the cuts is sought):
    // every line near it, including those that start a top-level block, is
    // inside it.
    let middle = text.len() / 2;
    let start = text[..middle].rfind("\nservice ").unwrap() + 1;
    let end = middle + text[middle..].find("\nservice ").unwrap() + 1;
    let end = end + text[end + 1..].find("\nservice ").unwrap() + 1;
    let commented = format!(
        "{}/*\n{}*/\n{}",
        &text[..start],
        &text[start..end],
        &text[end..]
    );
    assert!(assert_agree(&commented), "the fast path should read it");
}
