//! The syntax tree: what was written, block by block, every node with its span.
//! It knows nothing of the schema; `crate::schema` gives it meaning.

use crate::span::{Delta, Relocate, Span};
use compact_str::CompactString;

/// A parsed file: its top-level blocks and every comment (kept for `eosc fmt`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    pub blocks: Vec<Block>,
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The comment text including its `//`, `#` or `/* */` markers.
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: compact_str::CompactString,
    pub span: Span,
}

/// The identifiers of a reference (`a`, `a.b`). Most are one name (`nomad`,
/// `tcp`, a port's name), held inline: a service has several, and each was an
/// allocation of its own.
pub type IdentPath = smallvec::SmallVec<[Ident; 1]>;

/// `KIND LABEL? { … }`
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: Ident,
    pub label: Option<BlockLabel>,
    pub items: Vec<Item>,
    /// The `{`, for "block opened here" labels.
    pub open: Span,
    pub span: Span,
}

impl Block {
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.items.iter().filter_map(|item| match item {
            Item::Attribute(attribute) => Some(attribute),
            Item::Block(_) => None,
        })
    }

    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.items.iter().filter_map(|item| match item {
            Item::Block(block) => Some(block),
            Item::Attribute(_) => None,
        })
    }

    /// The span of the block's head (`KIND LABEL`), where most block errors point.
    pub fn head(&self) -> Span {
        match &self.label {
            Some(label) => self.kind.span.to(label.span),
            None => self.kind.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockLabel {
    pub value: LabelValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelValue {
    String(CompactString),
    /// An integer label, kept as written (`numa 0`).
    Integer(CompactString),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Attribute(Attribute),
    Block(Block),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Attribute(attribute) => attribute.span,
            Item::Block(block) => block.span,
        }
    }
}

/// `NAME = VALUE`
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: Ident,
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    /// The string with its escapes resolved (held inline up to 24 bytes).
    String(CompactString),
    Number(Number),
    Bool(bool),
    /// `start..end`, inclusive, as written.
    Range(u64, u64),
    List(Vec<Value>),
    Object(Vec<Entry>),
    /// `a`, `a.b`, `a.b.c`: an identifier path (or an enum value).
    Reference(IdentPath),
}

impl ValueKind {
    /// What the value is, in the user's words ("a string", "a list").
    pub fn describe(&self) -> &'static str {
        match self {
            ValueKind::String(_) => "a string",
            ValueKind::Number(number) => number.unit.map_or("a number", Unit::describe),
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Range(..) => "a range",
            ValueKind::List(_) => "a list",
            ValueKind::Object(_) => "an object",
            ValueKind::Reference(path) if path.len() == 1 => "a name",
            ValueKind::Reference(_) => "a reference",
        }
    }
}

/// An object entry `KEY = VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: CompactString,
    pub key_span: Span,
    /// Whether the key was written as a string (kept by the formatter).
    pub quoted_key: bool,
    pub value: Value,
}

/// A number as written, with its unit. The digits stay text so that conversions
/// are exact (`crate::syntax::Decimal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    pub digits: CompactString,
    pub unit: Option<Unit>,
    /// The suffix as written (`GiB`), for the formatter.
    pub suffix: CompactString,
}

/// A unit suffix of section 1, with its factor to the base unit of its dimension
/// (bytes, milliseconds, megahertz; percent is its own base).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Size(u64),
    Percent,
    Duration(u64),
    Frequency(u64),
}

impl Unit {
    pub fn parse(suffix: &str) -> Option<Unit> {
        const KB: u64 = 1000;
        const KIB: u64 = 1024;
        Some(match suffix {
            "B" => Unit::Size(1),
            "KB" => Unit::Size(KB),
            "MB" => Unit::Size(KB.pow(2)),
            "GB" => Unit::Size(KB.pow(3)),
            "TB" => Unit::Size(KB.pow(4)),
            "PB" => Unit::Size(KB.pow(5)),
            "KiB" => Unit::Size(KIB),
            "MiB" => Unit::Size(KIB.pow(2)),
            "GiB" => Unit::Size(KIB.pow(3)),
            "TiB" => Unit::Size(KIB.pow(4)),
            "PiB" => Unit::Size(KIB.pow(5)),
            "%" => Unit::Percent,
            "ms" => Unit::Duration(1),
            "s" => Unit::Duration(1000),
            "m" => Unit::Duration(60_000),
            "h" => Unit::Duration(3_600_000),
            "d" => Unit::Duration(86_400_000),
            "MHz" => Unit::Frequency(1),
            "GHz" => Unit::Frequency(1000),
            _ => return None,
        })
    }

    pub const SUFFIXES: &'static [&'static str] = &[
        "B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "PiB", "%", "ms", "s", "m",
        "h", "d", "MHz", "GHz",
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Unit::Size(_) => "a size",
            Unit::Percent => "a percentage",
            Unit::Duration(_) => "a duration",
            Unit::Frequency(_) => "a frequency",
        }
    }
}

impl Document {
    /// What the document says, without spans or comments: two documents with
    /// the same structure mean the same (used to prove `fmt` keeps meaning).
    pub fn structure(&self) -> String {
        let mut out = String::new();
        for block in &self.blocks {
            block_structure(block, &mut out);
        }
        out
    }
}

fn block_structure(block: &Block, out: &mut String) {
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
                out.push_str(&a.name.name);
                out.push('=');
                value_structure(&a.value, out);
                out.push(';');
            }
            Item::Block(b) => block_structure(b, out),
        }
    }
    out.push('}');
}

fn value_structure(value: &Value, out: &mut String) {
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
                value_structure(item, out);
                out.push(',');
            }
            out.push(']');
        }
        ValueKind::Object(entries) => {
            out.push('{');
            for entry in entries {
                out.push_str(&format!("{:?}=", entry.key));
                value_structure(&entry.value, out);
                out.push(';');
            }
            out.push('}');
        }
    }
}

/// Moving a parsed block from its file's coordinates into the stack's (each file
/// of a stack, and each module instance, has its own range of offsets; see
/// `crate::source`).
impl Block {
    pub fn shift(&mut self, by: usize) {
        if by != 0 {
            self.relocate(Delta::forward(by));
        }
    }
}

impl Value {
    pub fn shift(&mut self, by: usize) {
        self.relocate(Delta::forward(by));
    }
}

impl Relocate for Block {
    fn relocate(&mut self, by: Delta) {
        self.kind.span.relocate(by);
        if let Some(label) = &mut self.label {
            label.span.relocate(by);
        }
        self.open.relocate(by);
        self.span.relocate(by);
        for item in &mut self.items {
            match item {
                Item::Attribute(attribute) => {
                    attribute.name.span.relocate(by);
                    attribute.span.relocate(by);
                    attribute.value.relocate(by);
                }
                Item::Block(block) => block.relocate(by),
            }
        }
    }
}

impl Relocate for Value {
    fn relocate(&mut self, by: Delta) {
        self.span.relocate(by);
        match &mut self.kind {
            ValueKind::List(items) => items.relocate(by),
            ValueKind::Object(entries) => {
                for entry in entries {
                    entry.key_span.relocate(by);
                    entry.value.relocate(by);
                }
            }
            ValueKind::Reference(path) => path.relocate(by),
            ValueKind::String(_)
            | ValueKind::Number(_)
            | ValueKind::Bool(_)
            | ValueKind::Range(..) => {}
        }
    }
}

impl Relocate for Ident {
    fn relocate(&mut self, by: Delta) {
        self.span.relocate(by);
    }
}
