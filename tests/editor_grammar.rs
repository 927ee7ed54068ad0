//! The VS Code extension's highlighting grammar
//! (`editors/vscode/syntaxes/eos.tmLanguage.json`) against eosc's own parser.
//!
//! Every example spec, the formatter's inputs and the grammar's own corner
//! cases (`editors/vscode/test/fixtures`), and, when they parse, the
//! `tests/ui` and `tests/pass` fixtures, the fuzzer's seeds and the ```` ```eos ````
//! examples of README.md and `docs/` are parsed here; the spans of their
//! comments, strings, block kinds, attribute names, object keys, numbers,
//! booleans and references go to a JSON file (in UTF-16 offsets, the indices
//! vscode-textmate reports), and `editors/vscode/test/tokenize.mjs` tokenizes
//! the same texts as VS Code does and checks that each class's scope is on
//! exactly the characters the parser put in that class. Names whose `=` is on
//! a later line are the one thing left unchecked (see [`Truth`]).
//!
//! Needs `node` and `editors/vscode/node_modules` (`scripts/setup-editors.sh`);
//! missing, the test fails, unless `EOSC_SKIP_VALIDATORS=1` asks to skip it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use eosc::diag::Code;
use eosc::span::Span;
use eosc::syntax::{Block, Item, LabelValue, Value, ValueKind};

/// The spans of one file by class, as `[start, end)` in UTF-16 units.
///
/// One more class, `unchecked`: the names and object keys whose `=` comes
/// after a line break. A `TextMate` grammar sees one line at a time, so such a
/// name is coloured before its `=` is seen (as a block kind, or as a
/// reference in an object); tokenize.mjs checks nothing on them (the
/// limitation editors/vscode/README.md describes).
struct Truth<'a> {
    text: &'a str,
    comments: Vec<Span>,
    /// The UTF-16 offset of each byte offset that is a char boundary.
    utf16: Vec<usize>,
    spans: BTreeMap<&'static str, Vec<[usize; 2]>>,
}

impl<'a> Truth<'a> {
    fn new(text: &'a str, comments: Vec<Span>) -> Self {
        let mut utf16 = vec![0; text.len() + 1];
        let mut units = 0;
        for (at, c) in text.char_indices() {
            utf16[at] = units;
            units += c.len_utf16();
        }
        utf16[text.len()] = units;
        Truth {
            text,
            comments,
            utf16,
            spans: BTreeMap::new(),
        }
    }

    /// Whether a line break (`\n`, or `\r` as VS Code also ends a line
    /// there) comes between a name that ends at `end` and its `=`, the first
    /// `=` outside a comment before `value_start`.
    fn assign_on_a_later_line(&self, end: usize, value_start: usize) -> bool {
        let mut at = end;
        while at < value_start {
            if let Some(comment) = self
                .comments
                .iter()
                .find(|c| c.start() <= at && at < c.end())
            {
                at = comment.end();
            } else if self.text.as_bytes()[at] == b'=' {
                return self.text[end..at].contains(['\n', '\r']);
            } else {
                at += 1;
            }
        }
        panic!("no `=` between {end} and {value_start}");
    }

    fn add(&mut self, class: &'static str, span: Span) {
        let range = [self.utf16[span.start()], self.utf16[span.end()]];
        self.spans.entry(class).or_default().push(range);
    }

    fn block(&mut self, block: &Block) {
        self.add("block_kind", block.kind.span);
        if let Some(label) = &block.label {
            match label.value {
                LabelValue::String(_) => self.add("string", label.span),
                LabelValue::Integer(_) => self.add("number", label.span),
            }
        }
        for item in &block.items {
            match item {
                Item::Attribute(attribute) => {
                    self.add("attribute_name", attribute.name.span);
                    let name = attribute.name.span;
                    if self.assign_on_a_later_line(name.end(), attribute.value.span.start()) {
                        self.add("unchecked", name);
                    }
                    self.value(&attribute.value);
                }
                Item::Block(block) => self.block(block),
            }
        }
    }

    fn value(&mut self, value: &Value) {
        match &value.kind {
            ValueKind::String(_) => self.add("string", value.span),
            ValueKind::Number(_) | ValueKind::Range(..) => self.add("number", value.span),
            ValueKind::Bool(_) => self.add("boolean", value.span),
            ValueKind::Reference(path) => {
                for ident in path {
                    self.add("reference", ident.span);
                }
            }
            ValueKind::List(items) => items.iter().for_each(|item| self.value(item)),
            ValueKind::Object(entries) => {
                for entry in entries {
                    self.add("key", entry.key_span);
                    if self.assign_on_a_later_line(entry.key_span.end(), entry.value.span.start()) {
                        self.add("unchecked", entry.key_span);
                    }
                    if entry.quoted_key {
                        self.add("string", entry.key_span);
                    }
                    self.value(&entry.value);
                }
            }
        }
    }
}

/// One text to tokenize.
struct Source {
    /// How the report names it.
    name: String,
    /// The file tokenize.mjs reads.
    path: PathBuf,
    /// A syntax error fails the test; else the text is left out (its tree is
    /// not what was written).
    must_parse: bool,
}

/// The syntax errors (E0001, E0002) eosc's parser reports in `text`.
fn syntax_errors(text: &str) -> Vec<String> {
    let (_, diags) = eosc::syntax::parse(text);
    diags
        .iter()
        .filter(|d| matches!(d.code, Code::E0001 | Code::E0002))
        .map(|d| format!("{:?} at {}: {}", d.code, d.primary.span.start(), d.message))
        .collect()
}

/// The ```` ```eos ```` examples of README.md and `docs/`, each written to a
/// file of `dir`: `(the page and line of the fence, the file)`. An example
/// that does not parse as a file is written inside `service "x" { … }`, as
/// it may be a fragment of a block's body.
fn doc_examples(root: &Path, dir: &Path) -> Vec<(String, PathBuf)> {
    let mut pages = vec![root.join("README.md")];
    common::files_below(&root.join("docs"), "md", &mut pages);
    pages.sort();
    let mut out = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        let page_name = page.strip_prefix(root).unwrap().display().to_string();
        let mut open: Option<(usize, usize, String)> = None;
        for (index, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            match &mut open {
                Some((first, _, body)) if trimmed.trim_end() == "```" => {
                    let mut at = format!("{page_name}, the example at line {first}");
                    let mut text = std::mem::take(body);
                    if !syntax_errors(&text).is_empty() {
                        at.push_str(" (in a block)");
                        text = format!("service \"x\" {{\n{text}}}\n");
                    }
                    let path = dir.join(format!("example-{}.eos", out.len()));
                    std::fs::write(&path, text).unwrap();
                    out.push((at, path));
                    open = None;
                }
                Some((_, fence_indent, body)) => {
                    body.push_str(&line[indent.min(*fence_indent)..]);
                    body.push('\n');
                }
                None => {
                    let info = trimmed.strip_prefix("```").map(str::trim);
                    if info.is_some_and(|i| i.split([',', ' ']).next() == Some("eos")) {
                        open = Some((index + 1, indent, String::new()));
                    }
                }
            }
        }
    }
    out
}

/// The texts to tokenize: every spec, the formatter's inputs and the
/// grammar's corner cases must parse; the `tests/ui` and `tests/pass`
/// fixtures, the fuzzer's seeds and the examples of the docs (`examples`,
/// from [`doc_examples`]) are read when they parse.
fn sources(root: &Path, examples: Vec<(String, PathBuf)>) -> Vec<Source> {
    let mut must_parse = Vec::new();
    common::eos_files_below(&root.join("specs"), &mut must_parse);
    must_parse.sort();
    must_parse.extend(common::eos_files("tests/fmt"));
    must_parse.extend(common::eos_files("editors/vscode/test/fixtures"));
    let may_fail = ["tests/ui", "tests/pass", "fuzz/seeds"]
        .into_iter()
        .flat_map(common::eos_files);
    let named = |path: PathBuf, must_parse: bool| Source {
        name: path.strip_prefix(root).unwrap().display().to_string(),
        path,
        must_parse,
    };
    must_parse
        .into_iter()
        .map(|path| named(path, true))
        .chain(may_fail.map(|path| named(path, false)))
        .chain(examples.into_iter().map(|(name, path)| Source {
            name,
            path,
            must_parse: false,
        }))
        .collect()
}

/// `Some(())` when `editors/vscode/node_modules` is installed from the
/// current `package-lock.json`; else a failure saying how to install it, or
/// `None` with a notice when `EOSC_SKIP_VALIDATORS=1` asks to skip.
fn node_modules(vscode: &Path) -> Option<()> {
    let modules = vscode.join("node_modules");
    let installed = modules.join("vscode-textmate/package.json").is_file()
        && modules.join("vscode-oniguruma/release/onig.wasm").is_file();
    let stamp = std::fs::read(modules.join(".eosc-package-lock.json")).ok();
    let current = stamp == std::fs::read(vscode.join("package-lock.json")).ok();
    if installed && current {
        return Some(());
    }
    let what = if installed {
        "editors/vscode/node_modules was not installed from the current package-lock.json"
    } else {
        "editors/vscode/node_modules is missing (vscode-textmate, vscode-oniguruma)"
    };
    if std::env::var("EOSC_SKIP_VALIDATORS").as_deref() == Ok("1") {
        eprintln!("SKIPPED: {what} and EOSC_SKIP_VALIDATORS=1");
        return None;
    }
    panic!(
        "{what}: run scripts/setup-editors.sh, or set EOSC_SKIP_VALIDATORS=1 to skip this check explicitly"
    );
}

#[test]
fn the_textmate_grammar_scopes_what_the_parser_reads() {
    let root = common::root();
    let vscode = root.join("editors/vscode");
    let Some(node) = common::find_tool(
        "node",
        &vscode.join("node_modules/.bin"),
        "run scripts/setup-editors.sh (it installs Node.js and the npm packages of editors/vscode)",
    ) else {
        return;
    };
    let Some(()) = node_modules(&vscode) else {
        return;
    };

    let temp = tempfile::tempdir().unwrap();
    let examples = doc_examples(&root, temp.path());
    let mut entries = Vec::new();
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    let mut left_out = Vec::new();
    let mut examples_read = 0;
    for Source {
        name,
        path,
        must_parse,
    } in sources(&root, examples)
    {
        let text = std::fs::read_to_string(&path).unwrap();
        let errors = syntax_errors(&text);
        if !errors.is_empty() {
            assert!(!must_parse, "{name} has syntax errors: {errors:#?}");
            left_out.push(name);
            continue;
        }
        let (document, _) = eosc::syntax::parse(&text);
        let comments = document.comments.iter().map(|c| c.span).collect();
        let mut truth = Truth::new(&text, comments);
        for comment in &document.comments {
            truth.add("comment", comment.span);
        }
        for block in &document.blocks {
            truth.block(block);
        }
        for (class, spans) in &truth.spans {
            *totals.entry(class).or_default() += spans.len();
        }
        if path.starts_with(temp.path()) {
            examples_read += 1;
        }
        entries.push(serde_json::json!({
            "path": path,
            "name": name,
            "length": truth.utf16[text.len()],
            "spans": truth.spans,
        }));
    }
    // Not vacuous: most fixtures and examples are read, and every class occurs.
    assert!(
        entries.len() >= 150,
        "only {} files to check",
        entries.len()
    );
    assert!(
        examples_read >= 60,
        "only {examples_read} examples of the docs parse"
    );
    for class in [
        "comment",
        "string",
        "block_kind",
        "attribute_name",
        "key",
        "number",
        "boolean",
        "reference",
    ] {
        assert!(
            totals.get(class).copied().unwrap_or(0) > 0,
            "no {class} span in any file"
        );
    }

    let truth_path = temp.path().join("truth.json");
    let truth = serde_json::json!({ "files": entries });
    std::fs::write(&truth_path, serde_json::to_string(&truth).unwrap()).unwrap();
    let output = Command::new(&node)
        .arg(vscode.join("test/tokenize.mjs"))
        .arg(&truth_path)
        .current_dir(&vscode)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", node.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the TextMate grammar disagrees with eosc's parser ({}):\n{stdout}{stderr}",
        output.status
    );
    println!(
        "{stdout}{examples_read} of them examples of the docs; left out (syntax errors): {} files and examples",
        left_out.len()
    );
}
