//! A small HCL document, written straight to text: the Nomad jobspecs and
//! Terraform's `main.tf`.
//!
//! Keys are static or owned, values are rendered when they are added, and
//! [`Body::write`] lays the document out as hcl-rs's formatter (compact
//! arrays) followed by the `=` alignment of `terraform fmt` lays out the same
//! body: a blank line around blocks, runs of one-line attributes aligned on
//! their `=`, objects one entry per line; plus comment lines before chosen
//! block headers. Both emitters were built on hcl-rs trees first; building and
//! walking those trees took half of their time. The tests below build random
//! documents both ways and compare the text with hcl-rs's.

use std::borrow::Cow;

use super::hcl::escape_into;

const INDENT: &str = "  ";

/// The structures of a document or of a block, in order.
#[derive(Debug, Default)]
pub(crate) struct Body {
    items: Vec<Item>,
}

#[derive(Debug)]
enum Item {
    Attribute {
        key: Cow<'static, str>,
        value: Value,
    },
    Block(Block),
}

/// `identifier "label"… { body }`
#[derive(Debug)]
pub(crate) struct Block {
    /// The header without the ` {`: the identifier and the quoted labels.
    head: String,
    body: Body,
}

/// An attribute's value, rendered as it is added.
#[derive(Debug)]
pub(crate) enum Value {
    /// A value on one line: `"text"`, `3`, `true`, `["a", "b"]`.
    Line(String),
    /// An object written one entry per line: (key as written, one-line value).
    Object(Vec<(String, String)>),
}

impl Value {
    /// A quoted string whose value is exactly `text` (see [`super::hcl`]).
    pub(crate) fn string(text: &str) -> Self {
        Value::Line(quoted(text))
    }

    /// A list of strings.
    pub(crate) fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Self {
        let mut line = String::with_capacity(32);
        line.push('[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                line.push_str(", ");
            }
            quote_into(&mut line, item);
        }
        line.push(']');
        Value::Line(line)
    }

    pub(crate) fn number(number: u64) -> Self {
        Value::Line(number.to_string())
    }

    pub(crate) fn bool(value: bool) -> Self {
        Value::Line(if value { "true" } else { "false" }.to_string())
    }

    /// An emitter-written template, passed to Nomad as is (not spec text).
    pub(crate) fn template(template: &str) -> Self {
        Value::Line(format!("\"{template}\""))
    }

    /// An emitter-written expression, written as is: a traversal
    /// (`vault_policy.app.name`), a list of them, a function call.
    pub(crate) fn expression(text: impl Into<String>) -> Self {
        Value::Line(text.into())
    }

    /// An object of identifier keys (written bare) and one-line values, in
    /// order.
    pub(crate) fn object<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Self {
        Value::Object(
            entries
                .into_iter()
                .map(|(key, value)| {
                    let line = match value {
                        Value::Line(line) => line,
                        Value::Object(_) => unreachable!("no emitter nests objects"),
                    };
                    (key.to_string(), line)
                })
                .collect(),
        )
    }

    /// An object of string keys and string values, in order.
    pub(crate) fn string_object<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Value::Object(
            entries
                .into_iter()
                .map(|(key, value)| (quoted(key), quoted(value)))
                .collect(),
        )
    }
}

fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    quote_into(&mut out, text);
    out
}

fn quote_into(out: &mut String, text: &str) {
    out.push('"');
    escape_into(out, text);
    out.push('"');
}

/// Builds a [`Block`] in the style of hcl-rs's builders.
pub(crate) struct BlockBuilder {
    block: Block,
}

impl Block {
    pub(crate) fn builder(identifier: &str) -> BlockBuilder {
        BlockBuilder {
            block: Block {
                // Room for a label or two without growing.
                head: {
                    let mut head = String::with_capacity(identifier.len() + 32);
                    head.push_str(identifier);
                    head
                },
                body: Body::default(),
            },
        }
    }
}

impl BlockBuilder {
    pub(crate) fn add_label(mut self, label: &str) -> Self {
        self.block.head.reserve(label.len() + 3);
        self.block.head.push(' ');
        quote_into(&mut self.block.head, label);
        self
    }

    pub(crate) fn add_attribute(mut self, key: impl Into<Cow<'static, str>>, value: Value) -> Self {
        self.block.body.add_attribute(key, value);
        self
    }

    pub(crate) fn add_block(mut self, block: Block) -> Self {
        self.block.body.add_block(block);
        self
    }

    pub(crate) fn build(self) -> Block {
        self.block
    }
}

impl Body {
    pub(crate) fn add_attribute(&mut self, key: impl Into<Cow<'static, str>>, value: Value) {
        self.items.push(Item::Attribute {
            key: key.into(),
            value,
        });
    }

    pub(crate) fn add_block(&mut self, block: Block) {
        self.items.push(Item::Block(block));
    }

    /// `head` (the file's first lines), then the document, each comment's
    /// lines before the header of the first block whose header line
    /// (`volume "data" {`) is its key; an error names a comment whose block
    /// never comes.
    pub(crate) fn write(
        &self,
        head: &str,
        comments: &[(String, Vec<String>)],
    ) -> Result<String, String> {
        let mut out = String::with_capacity(4096);
        out.push_str(head);
        match self.write_into(&mut out, comments) {
            None => Ok(out),
            Some(target) => Err(format!("no block `{target}` for its comment")),
        }
    }

    /// Appends the document (without comments) to `out`.
    pub(crate) fn write_to(&self, out: &mut String) {
        self.write_into(out, &[]);
    }

    /// Appends the document to `out`, placing `comments`; the key of a
    /// comment whose block never came.
    fn write_into<'c>(
        &self,
        out: &mut String,
        comments: &'c [(String, Vec<String>)],
    ) -> Option<&'c str> {
        let mut writer = Writer {
            out: std::mem::take(out),
            pending: comments.iter().collect(),
        };
        writer.body(self, 0);
        *out = writer.out;
        writer.pending.first().map(|(target, _)| target.as_str())
    }
}

struct Writer<'c> {
    out: String,
    pending: Vec<&'c (String, Vec<String>)>,
}

impl Writer<'_> {
    fn indent(&mut self, level: usize) {
        indent(&mut self.out, level);
    }

    fn body(&mut self, body: &Body, level: usize) {
        let mut wrote_any = false;
        let mut after_block = false;
        let mut i = 0;
        while i < body.items.len() {
            match &body.items[i] {
                Item::Block(block) => {
                    if wrote_any {
                        self.out.push('\n');
                    }
                    self.block(block, level);
                    after_block = true;
                    i += 1;
                }
                Item::Attribute { .. } => {
                    if after_block {
                        self.out.push('\n');
                    }
                    let run = attribute_run(&body.items[i..]);
                    self.attributes(&body.items[i..i + run], level);
                    after_block = false;
                    i += run;
                }
            }
            wrote_any = true;
        }
    }

    /// A run of attributes, `=` aligned (all one-line, or a single object).
    fn attributes(&mut self, run: &[Item], level: usize) {
        let entries = run.iter().filter_map(|item| match item {
            Item::Attribute { key, value } => Some((key.as_ref(), value)),
            Item::Block(_) => None,
        });
        let column = entries
            .clone()
            .map(|(key, _)| width(key))
            .max()
            .unwrap_or(0);
        for (key, value) in entries {
            self.key(key, column, level);
            match value {
                Value::Line(line) => self.out.push_str(line),
                Value::Object(object) => self.object(object, level),
            }
            self.out.push('\n');
        }
    }

    /// `key = ` at `level`, padded so that the `=` is at `column + 1`.
    fn key(&mut self, key: &str, column: usize, level: usize) {
        const SPACES: &str = "                                ";
        self.indent(level);
        self.out.push_str(key);
        let mut padding = column + 1 - width(key);
        while padding > SPACES.len() {
            self.out.push_str(SPACES);
            padding -= SPACES.len();
        }
        self.out.push_str(&SPACES[..padding]);
        self.out.push_str("= ");
    }

    fn object(&mut self, entries: &[(String, String)], level: usize) {
        if entries.is_empty() {
            self.out.push_str("{}");
            return;
        }
        self.out.push_str("{\n");
        let column = entries.iter().map(|(key, _)| width(key)).max().unwrap_or(0);
        for (key, value) in entries {
            self.key(key, column, level + 1);
            self.out.push_str(value);
            self.out.push('\n');
        }
        self.indent(level);
        self.out.push('}');
    }

    fn block(&mut self, block: &Block, level: usize) {
        let empty = block.body.items.is_empty();
        if !self.pending.is_empty() {
            let mut header = String::new();
            write_header(&mut header, &block.head, empty, level);
            if let Some(at) = self
                .pending
                .iter()
                .position(|(target, _)| *target == header)
            {
                for comment in &self.pending.remove(at).1 {
                    self.indent(level);
                    self.out.push_str("# ");
                    self.out.push_str(comment);
                    self.out.push('\n');
                }
            }
        }
        self.indent(level);
        write_header(&mut self.out, &block.head, empty, level);
        if !empty {
            self.out.push('\n');
            self.body(&block.body, level + 1);
            self.indent(level);
            self.out.push('}');
        }
        self.out.push('\n');
    }
}

fn width(key: &str) -> usize {
    if key.is_ascii() {
        key.len()
    } else {
        key.chars().count()
    }
}

/// Appends a block's header line at `level`, without the indentation:
/// `head {`, or for an empty block `head {` + the indentation + `}`, as hcl-rs
/// writes it.
fn write_header(out: &mut String, head: &str, empty: bool, level: usize) {
    out.push_str(head);
    out.push_str(" {");
    if empty {
        indent(out, level);
        out.push('}');
    }
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str(INDENT);
    }
}

/// How many items from the start form one run of aligned attributes: the
/// consecutive one-line attributes, or a single object.
fn attribute_run(items: &[Item]) -> usize {
    let one_line = |item: &Item| match item {
        Item::Attribute { value, .. } => !is_multiline(value),
        Item::Block(_) => false,
    };
    match items.first() {
        Some(first) if one_line(first) => 1 + items[1..].iter().take_while(|i| one_line(i)).count(),
        _ => 1,
    }
}

fn is_multiline(value: &Value) -> bool {
    matches!(value, Value::Object(entries) if !entries.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::hcl_reference;
    use hcl::expr::{Expression, FuncCall, ObjectKey, TemplateExpr, Traversal, Variable};
    use hcl::Identifier;
    use proptest::prelude::*;

    /// A document shape, built both as a [`Body`] and as an hcl-rs body.
    #[derive(Debug, Clone)]
    enum Shape {
        Text(String, String),
        Texts(String, Vec<String>),
        Number(String, u64),
        Bool(String, bool),
        Object(String, Vec<(String, String)>),
        /// An object with identifier keys.
        Record(String, Vec<(String, String)>),
        /// A list of traversals (`[a.b, c.d.e]`).
        Traversals(String, Vec<Vec<String>>),
        /// `file("<template>")`.
        Call(String, String),
        Block(String, Vec<String>, Vec<Shape>),
    }

    fn ours(shapes: &[Shape]) -> Body {
        let mut body = Body::default();
        for shape in shapes {
            match shape {
                Shape::Block(identifier, labels, inner) => {
                    let mut block = Block::builder(identifier);
                    for label in labels {
                        block = block.add_label(label);
                    }
                    block.block.body = ours(inner);
                    body.add_block(block.build());
                }
                Shape::Text(key, text) => body.add_attribute(key.clone(), Value::string(text)),
                Shape::Texts(key, texts) => body.add_attribute(
                    key.clone(),
                    Value::strings(texts.iter().map(String::as_str)),
                ),
                Shape::Number(key, number) => {
                    body.add_attribute(key.clone(), Value::number(*number));
                }
                Shape::Bool(key, value) => body.add_attribute(key.clone(), Value::bool(*value)),
                Shape::Object(key, entries) => body.add_attribute(
                    key.clone(),
                    Value::string_object(entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                ),
                Shape::Record(key, entries) => body.add_attribute(
                    key.clone(),
                    Value::object(entries.iter().map(|(k, v)| (k.as_str(), Value::string(v)))),
                ),
                Shape::Traversals(key, traversals) => {
                    let items: Vec<String> = traversals.iter().map(|t| t.join(".")).collect();
                    let list = format!("[{}]", items.join(", "));
                    body.add_attribute(key.clone(), Value::expression(list));
                }
                Shape::Call(key, template) => {
                    body.add_attribute(
                        key.clone(),
                        Value::expression(format!("file(\"{template}\")")),
                    );
                }
            }
        }
        body
    }

    fn hcl_rs(shapes: &[Shape]) -> hcl::Body {
        use crate::emit::hcl_reference::{string, strings};
        let mut body = hcl::Body::builder();
        for shape in shapes {
            body = match shape {
                Shape::Block(identifier, labels, inner) => {
                    let mut block = hcl::Block::builder(identifier.as_str());
                    for label in labels {
                        block = block.add_label(label.as_str());
                    }
                    body.add_block(block.add_structures(hcl_rs(inner)).build())
                }
                Shape::Text(key, text) => body.add_attribute((key.as_str(), string(text))),
                Shape::Texts(key, texts) => {
                    body.add_attribute((key.as_str(), strings(texts.iter().map(String::as_str))))
                }
                Shape::Number(key, number) => {
                    body.add_attribute((key.as_str(), Expression::from(*number)))
                }
                Shape::Bool(key, value) => {
                    body.add_attribute((key.as_str(), Expression::Bool(*value)))
                }
                Shape::Object(key, entries) => {
                    let object = entries
                        .iter()
                        .map(|(k, v)| (ObjectKey::Expression(string(k)), string(v)))
                        .collect();
                    body.add_attribute((key.as_str(), Expression::Object(object)))
                }
                Shape::Record(key, entries) => {
                    let object = entries
                        .iter()
                        .map(|(k, v)| (ObjectKey::Identifier(Identifier::unchecked(k)), string(v)))
                        .collect();
                    body.add_attribute((key.as_str(), Expression::Object(object)))
                }
                Shape::Traversals(key, traversals) => {
                    let items = traversals.iter().map(|parts| traversal(parts)).collect();
                    body.add_attribute((key.as_str(), Expression::Array(items)))
                }
                Shape::Call(key, template) => {
                    let call = FuncCall::builder("file")
                        .arg(TemplateExpr::QuotedString(template.clone()))
                        .build();
                    body.add_attribute((key.as_str(), call))
                }
            };
        }
        body.build()
    }

    fn traversal(parts: &[String]) -> Expression {
        let (root, rest) = parts.split_first().expect("a root");
        let mut builder = Traversal::builder(Variable::unchecked(root.as_str()));
        for part in rest {
            builder = builder.attr(Identifier::unchecked(part.as_str()));
        }
        Expression::from(builder.build())
    }

    fn key() -> impl Strategy<Value = String> {
        "[a-z][a-z_]{0,9}"
    }

    fn text() -> impl Strategy<Value = String> {
        "[a-z0-9 ./${}\"\\\\-]{0,12}"
    }

    fn attribute() -> impl Strategy<Value = Shape> {
        prop_oneof![
            (key(), text()).prop_map(|(k, t)| Shape::Text(k, t)),
            (key(), prop::collection::vec(text(), 0..3)).prop_map(|(k, t)| Shape::Texts(k, t)),
            (key(), any::<u64>()).prop_map(|(k, n)| Shape::Number(k, n)),
            (key(), any::<bool>()).prop_map(|(k, b)| Shape::Bool(k, b)),
            // Unique keys: an object is a map (so is the env it stands for).
            (key(), prop::collection::btree_map(text(), text(), 1..4))
                .prop_map(|(k, e)| Shape::Object(k, e.into_iter().collect())),
            (
                key(),
                prop::collection::btree_map(identifier(), text(), 1..4)
            )
                .prop_map(|(k, e)| Shape::Record(k, e.into_iter().collect())),
            (
                key(),
                prop::collection::vec(prop::collection::vec(identifier(), 1..4), 0..3)
            )
                .prop_map(|(k, t)| Shape::Traversals(k, t)),
            (key(), "[a-z0-9./${}]{0,16}").prop_map(|(k, t)| Shape::Call(k, t)),
        ]
    }

    /// An identifier hcl-rs writes bare (no keyword).
    fn identifier() -> impl Strategy<Value = String> {
        "[a-z][a-z_]{0,7}".prop_filter("a keyword", |k| {
            !matches!(k.as_str(), "true" | "false" | "null" | "for" | "in" | "if")
        })
    }

    fn shapes() -> impl Strategy<Value = Vec<Shape>> {
        let leaf = prop::collection::vec(attribute(), 0..5);
        leaf.prop_recursive(3, 40, 6, |inner| {
            prop::collection::vec(
                prop_oneof![
                    attribute(),
                    (
                        key(),
                        prop::collection::vec("[a-z][a-z0-9-]{0,8}", 0..3),
                        inner
                    )
                        .prop_map(|(k, labels, body)| Shape::Block(k, labels, body)),
                ],
                0..6,
            )
        })
    }

    proptest! {
        /// The same document, written here and by hcl-rs's formatter plus
        /// `terraform fmt`'s alignment from hcl-rs's tree.
        #[test]
        fn writes_what_the_reference_writes(shapes in shapes()) {
            let expected = hcl_reference::format(&hcl_rs(&shapes));
            prop_assert_eq!(&ours(&shapes).write("", &[]).unwrap(), &expected);
            let mut appended = String::from("# kept\n");
            ours(&shapes).write_to(&mut appended);
            prop_assert_eq!(appended, format!("# kept\n{expected}"));
        }
    }

    #[test]
    fn comments_go_before_their_block_and_must_find_it() {
        let job = Block::builder("job")
            .add_label("app")
            .add_attribute("type", Value::string("service"))
            .add_block(Block::builder("numa").build())
            .build();
        let mut body = Body::default();
        body.add_block(job);
        let comments = vec![("job \"app\" {".to_string(), vec!["one".to_string()])];
        assert_eq!(
            body.write("", &comments).unwrap(),
            "# one\njob \"app\" {\n  type = \"service\"\n\n  numa {  }\n}\n"
        );
        let lost = vec![("volume \"x\" {".to_string(), vec!["two".to_string()])];
        assert!(body.write("", &lost).unwrap_err().contains("volume"));
    }

    /// Edge cases, as the reference writes them: keys longer than the padding
    /// written in one piece (environment names), a call with an empty argument.
    #[test]
    fn edge_cases_are_written_as_the_reference_writes_them() {
        let long = "A_VERY_LONG_ENVIRONMENT_VARIABLE_NAME_OF_SEVENTY_CHARACTERS_OR_SO_XYZ";
        let shapes = vec![
            Shape::Text("a".into(), "x".into()),
            Shape::Text(long.into(), "y".into()),
            Shape::Call("f".into(), String::new()),
        ];
        assert_eq!(
            ours(&shapes).write("", &[]).unwrap(),
            hcl_reference::format(&hcl_rs(&shapes))
        );
    }

    #[test]
    fn templates_are_written_as_given() {
        let mut body = Body::default();
        body.add_attribute("attribute", Value::template("${node.unique.name}"));
        let expected = hcl::Body::builder()
            .add_attribute((
                "attribute",
                Expression::from(TemplateExpr::QuotedString("${node.unique.name}".into())),
            ))
            .build();
        assert_eq!(
            body.write("# head\n", &[]).unwrap(),
            format!("# head\n{}", hcl_reference::format(&expected))
        );
    }
}
