//! The front end's two ways from text to declarations give one result: a file
//! the fast parser takes is lowered block by block as it is read (the syntax
//! tree never exists whole), any other is parsed whole, then lowered. The
//! declarations, the diagnostics, whether the file was complete, and the spans
//! of secret values (masked in every diagnostic) must not depend on the way.

mod common;

use eosc::driver::declarations_both_ways;

/// Both ways on `text`; panics when they differ. Returns whether the streamed
/// way took the file.
fn assert_same_declarations(text: &str) -> bool {
    let (streamed, from_tree) = declarations_both_ways(text);
    match streamed {
        Some(streamed) => {
            assert_eq!(streamed, from_tree, "the two ways differ");
            true
        }
        None => false,
    }
}

#[test]
fn every_repository_file_gives_the_same_declarations_both_ways() {
    let files = common::repository_eos_files();
    let streamed = files
        .iter()
        .filter(|(_, text)| assert_same_declarations(text))
        .count();
    // Most files of the repository parse; those are the ones compared.
    assert!(
        streamed * 2 > files.len(),
        "only {streamed} of {} files took the streamed way",
        files.len()
    );
}

/// Over 256 KiB the file is read in pieces by two threads, each piece lowered
/// on its own and joined in order: names repeated across the pieces, more
/// than one `stack` block, schema errors and secrets in every piece are found
/// as when the whole tree is lowered at once.
#[test]
fn a_large_file_lowered_in_pieces_gives_the_same_declarations() {
    let example = std::fs::read_to_string(common::root().join("specs/eos.eos")).unwrap();
    let extra = "service \"leaky\" {\n  runtime = nomad\n  image = \"x:1\"\n  memory = 64MiB\n  \
                 cpu = 0.1\n  colour = blue\n  env = { DB_PASSWORD = \"hunter2\" }\n}\n";
    let mut text = String::new();
    while text.len() < (1 << 20) + 4096 {
        text.push_str(&example);
        text.push_str(extra);
    }
    assert!(
        assert_same_declarations(&text),
        "the streamed way should read it"
    );
    let (_, from_tree) = declarations_both_ways(&text);
    for expected in ["E0105", "E0108", "E0102", "secrets: [Span"] {
        assert!(from_tree.contains(expected), "no {expected} in the result");
    }
}

#[test]
fn a_file_with_a_syntax_error_is_parsed_whole() {
    let text = "stack \"s\" {\n  domain = \"example.com\"\n}\nhost \"h\" {\n  address = \n}\n";
    assert!(!assert_same_declarations(text));
    let (_, from_tree) = declarations_both_ways(text);
    assert!(from_tree.contains("E0001"), "{from_tree}");
}
