//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use eosc::diag::render::{self, HumanStyle, JsonReport};
use eosc::driver::{self, Checked, SourceFile};
use eosc::syntax::{Block, Document, Item, LabelValue, Value, ValueKind};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Checks a file as `eosc check` does, naming it by its file name only so that
/// snapshots do not depend on where the repository is.
pub fn check_fixture(path: &Path) -> Checked {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let bytes = std::fs::read(path).unwrap();
    let (source, diags) = driver::decode(Path::new(&name), bytes);
    driver::check_source(source, diags)
}

pub fn check_text(text: &str) -> Checked {
    driver::check_source(
        SourceFile::new("test.eos", text),
        eosc::diag::Diagnostics::new(),
    )
}

/// Every diagnostic rendered as miette renders it, without colour, 100 wide.
pub fn human(checked: &Checked) -> String {
    let style = HumanStyle {
        color: false,
        width: 100,
    };
    let mut out = String::new();
    for d in checked.diagnostics.iter() {
        out.push_str(&render::human(
            d,
            &checked.source.name(),
            &checked.source.text,
            style,
        ));
    }
    out
}

pub fn json(checked: &Checked) -> String {
    let mut report = JsonReport::new();
    report.add(
        &checked.source.name(),
        &checked.source.text,
        checked.diagnostics.iter(),
    );
    report.to_json()
}

/// `CODE at LINE:COLUMN` for each diagnostic, in order.
pub fn positions(checked: &Checked) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(&json(checked)).unwrap();
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} at {}:{}",
                d["code"].as_str().unwrap(),
                d["line"],
                d["column"]
            )
        })
        .collect()
}

/// The `// expect: CODE at LINE:COLUMN` lines of a fixture.
pub fn expectations(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("// expect: "))
        .map(|rest| rest.trim().to_string())
        .collect()
}

/// The document without spans or comments: what it means, for comparing a
/// spec before and after formatting.
pub fn meaning(document: &Document) -> String {
    let mut out = String::new();
    for block in &document.blocks {
        block_meaning(block, &mut out);
    }
    out
}

fn block_meaning(block: &Block, out: &mut String) {
    out.push_str(&block.kind.name);
    if let Some(label) = &block.label {
        match &label.value {
            LabelValue::String(s) => out.push_str(&format!(" {s:?}")),
            LabelValue::Integer(i) => out.push_str(&format!(" {i}")),
        }
    }
    out.push_str(" {");
    for item in &block.items {
        match item {
            Item::Attribute(a) => {
                out.push_str(&format!("{}=", a.name.name));
                value_meaning(&a.value, out);
                out.push(';');
            }
            Item::Block(b) => block_meaning(b, out),
        }
    }
    out.push('}');
}

fn value_meaning(value: &Value, out: &mut String) {
    match &value.kind {
        ValueKind::String(s) => out.push_str(&format!("{s:?}")),
        ValueKind::Number(n) => out.push_str(&format!("{}{}", n.digits, n.suffix)),
        ValueKind::Bool(b) => out.push_str(&b.to_string()),
        ValueKind::Range(a, b) => out.push_str(&format!("{a}..{b}")),
        ValueKind::Reference(path) => {
            let parts: Vec<&str> = path.iter().map(|i| i.name.as_str()).collect();
            out.push_str(&parts.join("."));
        }
        ValueKind::List(items) => {
            out.push('[');
            for item in items {
                value_meaning(item, out);
                out.push(',');
            }
            out.push(']');
        }
        ValueKind::Object(entries) => {
            out.push('{');
            for entry in entries {
                out.push_str(&format!("{:?}=", entry.key));
                value_meaning(&entry.value, out);
                out.push(';');
            }
            out.push('}');
        }
    }
}

/// All `.eos` files below a folder of the repository, sorted.
pub fn eos_files(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eos"))
        .collect();
    files.sort();
    files
}
