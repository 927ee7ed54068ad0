//! The user guide (`docs/`) and README.md stay true: every ```` ```eos ````
//! example is checked, `docs/diagnostics.md` is regenerated from the
//! `eosc explain` texts and compared, and relative links resolve.
//!
//! Fence rules:
//! - ```` ```eos ````: with a top-level `stack` block, a complete spec that
//!   checks clean (no errors, no warnings); without one, a fragment that
//!   parses — as top-level blocks, or as the body of a block.
//! - ```` ```eos,fails ````: an example of a mistake. A complete spec must
//!   produce an error, and every code marked `// <- CODE` in it. A fragment
//!   marked with a syntax code (E0001, E0002) must fail to parse with it;
//!   other fragments need the rest of a stack to fail, so they must parse.
//! - ```` ```eos file=PATH ```` (or ```` ```eos,fails file=PATH ````): one file
//!   of a stack over several files. The fence whose file has the `stack`
//!   block is the root; the `file=` fences after it on the same page, up to
//!   the next root, are its other files (PATH relative to the root's folder).
//!   The stack is checked as `eosc check` checks it — the base and every
//!   environment — and must check clean, or, when the root is fenced `fails`,
//!   produce an error and every code marked in any of its files.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use eosc::compose::files::MemoryFiles;
use eosc::diag::{Code, Diagnostics, Severity};
use eosc::driver::{self, SourceFile};

const REFERENCE: &str = "docs/diagnostics.md";
const UPDATE_VAR: &str = "EOSC_UPDATE_DOCS";

#[test]
fn guide_examples_check() {
    let files: Vec<PathBuf> = markdown_files()
        .into_iter()
        .filter(|p| p.starts_with(common::root().join("docs")) && !p.ends_with(REFERENCE))
        .collect();
    assert!(files.len() >= 9, "the guide is missing pages: {files:?}");
    check_examples(&files);
}

#[test]
fn readme_examples_check() {
    check_examples(&[common::root().join("README.md")]);
}

#[test]
fn diagnostics_reference_examples_check() {
    check_examples(&[common::root().join(REFERENCE)]);
}

#[test]
fn diagnostics_reference_is_generated_from_the_explanations() {
    let path = common::root().join(REFERENCE);
    let expected = diagnostics_reference();
    if std::env::var(UPDATE_VAR).as_deref() == Ok("1") {
        std::fs::write(&path, &expected).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if actual != expected {
        let line = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or_else(|| actual.lines().count().min(expected.lines().count()))
            + 1;
        panic!(
            "{REFERENCE} is out of date with src/diag/explain/*.md (first difference at line {line}).\n\
             It is generated; regenerate it with:\n\n    {UPDATE_VAR}=1 cargo test --test docs\n"
        );
    }
}

#[test]
fn every_code_is_in_the_diagnostics_reference() {
    let text = std::fs::read_to_string(common::root().join(REFERENCE)).unwrap();
    for code in Code::ALL {
        let anchor = format!("<a id=\"{}\"></a>", code.as_str().to_lowercase());
        let heading = format!("\n## {code}: ");
        let row = format!("| [{code}](#{}) |", code.as_str().to_lowercase());
        assert!(
            text.contains(&anchor) && text.contains(&heading) && text.contains(&row),
            "{code} is missing from {REFERENCE}: run {UPDATE_VAR}=1 cargo test --test docs"
        );
    }
}

#[test]
fn links_in_the_guide_resolve() {
    let root = common::root();
    let mut broken = Vec::new();
    let mut followed = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for target in links(&text) {
            followed += 1;
            if let Err(why) = resolve_link(&root, &file, &target) {
                broken.push(format!("{}: ({target}): {why}", relative(&file)));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    // The guide cross-links its pages: finding none means the scan is broken.
    assert!(followed >= 10, "only {followed} links found in the guide");
}

#[test]
fn the_guide_has_a_page_per_block_kind() {
    let root = common::root();
    for kind in ["stack", "host", "service", "route"] {
        let page = root.join(format!("docs/blocks/{kind}.md"));
        let text =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(text.starts_with(&format!("# The `{kind}` block")), "{kind}");
    }
    // Every nested block kind has a section with an example.
    let service = std::fs::read_to_string(root.join("docs/blocks/service.md")).unwrap();
    for nested in ["port", "health", "volume", "backup", "secret", "file"] {
        assert!(service.contains(&format!("`{nested}`")), "{nested}");
    }
    let host = std::fs::read_to_string(root.join("docs/blocks/host.md")).unwrap();
    for nested in ["## Nested: `numa`", "## Nested: `disk`"] {
        assert!(host.contains(nested), "{nested}");
    }
}

// ---------------------------------------------------------------- examples ----

/// A fenced code block of a markdown file.
#[derive(Debug)]
struct Fence {
    /// The info string: `eos`, `eos,fails`, `yaml`…
    info: String,
    body: String,
    /// The line of the opening fence (1-based).
    line: usize,
}

fn fences(text: &str) -> Vec<Fence> {
    struct Open {
        line: usize,
        indent: usize,
        ticks: usize,
        info: String,
        body: String,
    }
    let mut out = Vec::new();
    let mut open: Option<Open> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let ticks = trimmed.chars().take_while(|&c| c == '`').count();
        let closes = open
            .as_ref()
            .is_some_and(|o| ticks >= o.ticks && trimmed.trim_end().len() == ticks);
        if closes {
            let o = open.take().unwrap();
            out.push(Fence {
                info: o.info,
                body: o.body,
                line: o.line,
            });
        } else if let Some(o) = &mut open {
            o.body.push_str(&line[indent.min(o.indent)..]);
            o.body.push('\n');
        } else if ticks >= 3 {
            open = Some(Open {
                line: index + 1,
                indent,
                ticks,
                info: trimmed[ticks..].trim().to_string(),
                body: String::new(),
            });
        }
    }
    assert!(open.is_none(), "an unclosed code fence");
    out
}

/// `(is eos, fails)` from an info string such as `eos` or `eos,fails`.
fn eos_info(info: &str) -> Option<bool> {
    let mut words = info
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty());
    if words.next() != Some("eos") {
        return None;
    }
    Some(words.any(|w| w == "fails"))
}

/// The `PATH` of a `file=PATH` word in an info string.
fn file_of(info: &str) -> Option<&str> {
    info.split(|c: char| c == ',' || c.is_whitespace())
        .find_map(|w| w.strip_prefix("file="))
}

/// The codes marked `// <- CODE` in an example.
fn marked_codes(body: &str) -> Vec<Code> {
    body.match_indices("<- ")
        .filter_map(|(at, _)| body.get(at + 3..at + 8))
        .filter_map(Code::parse)
        .collect()
}

fn check_examples(files: &[PathBuf]) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in files {
        let text =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut group: Option<Vec<Fence>> = None;
        for fence in fences(&text) {
            let Some(fails) = eos_info(&fence.info) else {
                continue;
            };
            checked += 1;
            if file_of(&fence.info).is_some() {
                let is_root = eosc::syntax::parse(&fence.body)
                    .0
                    .blocks
                    .iter()
                    .any(|b| b.kind.name == "stack");
                match (&mut group, is_root) {
                    (Some(files), false) => files.push(fence),
                    (_, true) => {
                        if let Some(files) = group.replace(vec![fence]) {
                            failures.extend(check_group(file, &files).err());
                        }
                    }
                    (None, false) => failures.push(format!(
                        "{}:{}: ```{}\na `file=` fence before the root file of its stack \
                         (the fence with the `stack` block comes first)",
                        relative(file),
                        fence.line,
                        fence.info
                    )),
                }
                continue;
            }
            if let Err(why) = check_example(file, &fence, fails) {
                failures.push(format!(
                    "{}:{}: ```{}\n{why}",
                    relative(file),
                    fence.line,
                    fence.info
                ));
            }
        }
        if let Some(files) = group.take() {
            failures.extend(check_group(file, &files).err());
        }
    }
    assert!(checked > 0, "no ```eos examples in {files:?}");
    let generated = if files.iter().any(|f| f.ends_with(REFERENCE)) {
        format!(
            "\n{REFERENCE} is generated from src/diag/explain/CODE.md: fix the example there, \
             then run {UPDATE_VAR}=1 cargo test --test docs"
        )
    } else {
        String::new()
    };
    assert!(
        failures.is_empty(),
        "{} of {checked} examples are wrong:\n\n{}{generated}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn check_example(file: &Path, fence: &Fence, fails: bool) -> Result<(), String> {
    let (document, parse_diags) = eosc::syntax::parse(&fence.body);
    let complete =
        !parse_diags.has_errors() && document.blocks.iter().any(|b| b.kind.name == "stack");
    let marked = marked_codes(&fence.body);
    if complete {
        // Named as if it were next to the page, so `file` sources resolve there.
        let path = file.parent().unwrap().join("example.eos");
        let checked = driver::check_source(
            SourceFile::new(path, fence.body.clone()),
            Diagnostics::new(),
        );
        let found: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
        if !fails {
            return if checked.diagnostics.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "a complete spec must check clean (or be fenced ```eos,fails):\n{}",
                    common::human(&checked)
                ))
            };
        }
        if !checked.diagnostics.has_errors() {
            return Err("fenced `fails`, but it checks without errors".into());
        }
        let missing: Vec<&Code> = marked.iter().filter(|c| !found.contains(c)).collect();
        return if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "marked {missing:?} but eosc reports {found:?}:\n{}",
                common::human(&checked)
            ))
        };
    }
    let syntax_codes: Vec<Code> = marked
        .iter()
        .copied()
        .filter(|c| matches!(c, Code::E0001 | Code::E0002))
        .collect();
    let as_blocks = parse_errors(&parse_diags);
    let as_body =
        parse_errors(&eosc::syntax::parse(&format!("snippet {{\n{}\n}}\n", fence.body)).1);
    if fails && !syntax_codes.is_empty() {
        let wrong = syntax_codes
            .iter()
            .find(|code| !as_blocks.contains(code) || !as_body.contains(code));
        return match wrong {
            None => Ok(()),
            Some(code) => Err(format!(
                "marked {code}, but parsing reports {as_blocks:?} (as blocks) and {as_body:?} (as a block body)"
            )),
        };
    }
    if as_blocks.is_empty() || as_body.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "a fragment must parse as blocks or as a block body; parsing reports:\n{}",
            common::human(&common::check_text(&fence.body))
        ))
    }
}

/// A stack over several `file=` fences: the first is the root, the others are
/// its files, by path relative to the root's folder.
fn check_group(page: &Path, fences: &[Fence]) -> Result<(), String> {
    let root = &fences[0];
    let at = format!("{}:{}: ```{}", relative(page), root.line, root.info);
    let root_name = file_of(&root.info).expect("a file= fence");
    let mut files = MemoryFiles::new();
    for fence in &fences[1..] {
        let path = file_of(&fence.info).expect("a file= fence");
        if files.files.contains_key(path) || path == root_name {
            return Err(format!(
                "{at}\n`{path}` is given twice in the stack (line {})",
                fence.line
            ));
        }
        files = files.with(path, &fence.body);
    }
    // Named as if it were next to the page, so `file` sources resolve there.
    let path = page.parent().unwrap().join(root_name);
    let checked = driver::check_stack(
        SourceFile::new(path.clone(), root.body.clone()),
        Diagnostics::new(),
        &files,
        driver::Environments::All,
        |stack| driver::probe_files(&path, stack),
    )
    .expect("checking every environment names none");
    let fails = eos_info(&root.info) == Some(true);
    let found: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    if !fails {
        return if checked.diagnostics.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{at}\na stack of {} files must check clean (or its root be fenced ```eos,fails):\n{}",
                fences.len(),
                common::human(&checked)
            ))
        };
    }
    if !checked.diagnostics.has_errors() {
        return Err(format!(
            "{at}\nfenced `fails`, but the stack checks without errors"
        ));
    }
    let marked: Vec<Code> = fences.iter().flat_map(|f| marked_codes(&f.body)).collect();
    let missing: Vec<&Code> = marked.iter().filter(|c| !found.contains(c)).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{at}\nmarked {missing:?} but eosc reports {found:?}:\n{}",
            common::human(&checked)
        ))
    }
}

fn parse_errors(diags: &Diagnostics) -> Vec<Code> {
    diags
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .map(|d| d.code)
        .collect()
}

// ----------------------------------------------------- diagnostics reference ----

/// `docs/diagnostics.md`, from `Code::ALL` and the `eosc explain` texts.
fn diagnostics_reference() -> String {
    let mut out = String::new();
    out.push_str(
        "# Diagnostics reference\n\n\
         <!-- Generated from src/diag/explain/*.md by `EOSC_UPDATE_DOCS=1 cargo test --test docs`.\n     \
         Do not edit: change the explanation, then regenerate. -->\n\n\
         Every diagnostic `eosc` reports has a code: `E` codes are errors, which make\n\
         `eosc check` and `eosc build` exit with 1; `W` codes are warnings, which only do so\n\
         with `--deny-warnings`. The first digit groups them: `0` syntax, `1` schema,\n\
         `2` the dependency graph, `3` budgets and disks, `4` network and routes, `5`\n\
         secrets and files, `6` operations. Each section below is the text that\n\
         `eosc explain CODE` prints. How to read a diagnostic:\n\
         [Getting started](getting-started.md#reading-a-diagnostic).\n\n\
         | code | severity | what |\n|---|---|---|\n",
    );
    for code in Code::ALL {
        writeln!(
            out,
            "| [{code}](#{}) | {} | {} |",
            code.as_str().to_lowercase(),
            code.severity().as_str(),
            code.title().replace('|', "\\|")
        )
        .unwrap();
    }
    for code in Code::ALL {
        write!(out, "\n<a id=\"{}\"></a>\n\n", code.as_str().to_lowercase()).unwrap();
        out.push_str(&demote(*code, code.explanation()));
    }
    out
}

/// One explanation as a section: headings one level down, the examples of
/// mistakes fenced `eos,fails`, a severity line under the title.
fn demote(code: Code, explanation: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    let mut section = String::new();
    for (index, line) in explanation.trim_end().lines().enumerate() {
        if line.trim_start().starts_with("```") {
            if !in_fence && line.trim() == "```eos" && section == "Example" {
                out.push_str("```eos,fails\n");
                in_fence = true;
                continue;
            }
            in_fence = !in_fence;
        } else if !in_fence && line.starts_with('#') {
            if index == 0 {
                assert!(
                    line.starts_with(&format!("# {code}")),
                    "src/diag/explain/{code}.md should start with `# {code}: …`"
                );
            }
            section = line.trim_start_matches('#').trim().to_string();
            writeln!(out, "#{line}").unwrap();
            if index == 0 {
                writeln!(out, "\nSeverity: {}.", code.severity().as_str()).unwrap();
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

// ------------------------------------------------------------------ links ----

/// The lines of a markdown text outside fenced code blocks.
fn prose_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut in_fence = false;
    text.lines().filter(move |line| {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            return false;
        }
        !in_fence
    })
}

/// The targets of inline links `[text](target)`, outside code.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose_lines(text) {
        // Drop inline code spans, which may hold `](`.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                out.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    out
}

/// Links inside the repository must point at a file that exists, and at an
/// anchor that the file has. A relative link that leaves the repository is
/// broken: a clone would not have its target. Absolute URLs are not checked.
fn resolve_link(root: &Path, from: &Path, target: &str) -> Result<(), String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return Ok(());
    }
    let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
    let file = if path.is_empty() {
        from.to_path_buf()
    } else {
        normalize(&from.parent().unwrap().join(path))
    };
    if !file.starts_with(root) {
        return Err("leaves the repository: a clone would not have it".into());
    }
    if !file.exists() {
        return Err("no such file".into());
    }
    if anchor.is_empty() || file.is_dir() {
        return Ok(());
    }
    let text = std::fs::read_to_string(&file).unwrap();
    if anchors(&text).iter().any(|a| a == anchor) {
        Ok(())
    } else {
        Err(format!("no anchor #{anchor} in {}", relative(&file)))
    }
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// GitHub's heading anchors, plus explicit `<a id="…">`.
fn anchors(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose_lines(text) {
        if let Some(heading) = line.strip_prefix('#') {
            let heading = heading.trim_start_matches('#').trim();
            let slug: String = heading
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect();
            out.push(slug);
        }
        let mut rest = line;
        while let Some(at) = rest.find("<a id=\"") {
            rest = &rest[at + 7..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_string());
            }
        }
    }
    out
}

// ------------------------------------------------------------------- files ----

/// README.md and every markdown file under docs/, sorted.
fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let root = common::root();
    let mut files = vec![root.join("README.md")];
    walk(&root.join("docs"), &mut files);
    files.sort();
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(common::root())
        .unwrap_or(path)
        .display()
        .to_string()
}
