//! An hcl-rs [`Body`] as text, in one pass: the layout of hcl-rs's formatter
//! with compact arrays, and the `=` of consecutive one-line attributes aligned
//! as `terraform fmt` aligns them.
//!
//! This is what Terraform's emitter used to get from hcl-rs's formatter followed
//! by a realigning pass over the text (`terraform::align_assignments`); those
//! took two fifths of `eosc build` for a large stack. The writer covers the
//! constructs the emitters build and answers `None` for any other, and
//! `terraform::body_text` then takes that slower path, which stays the
//! reference: the tests below compare the two on every construct. The jobspecs'
//! `hcl_doc` writes the same layout (and comment lines) from a lighter tree.

use hcl::expr::{Expression, FuncCall, Object, ObjectKey, TemplateExpr, TraversalOperator};
use hcl::{Block, BlockLabel, Body, Structure};

const INDENT: &str = "  ";

/// The text of `body`, or `None` when it holds a construct this writer leaves
/// to hcl-rs.
pub(crate) fn format(body: &Body) -> Option<String> {
    let mut writer = Writer {
        out: String::with_capacity(4096),
    };
    writer.body(body, 0)?;
    Some(writer.out)
}

struct Writer {
    out: String,
}

/// Where the previous structure of a body left off (hcl-rs's format state):
/// it decides the blank lines.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    Nothing,
    Attribute,
    Block,
}

impl Writer {
    fn indent(&mut self, level: usize) {
        indent(&mut self.out, level);
    }

    /// The structures of a body at `level`: a blank line between blocks and
    /// around them, runs of one-line attributes aligned on their `=`.
    fn body(&mut self, body: &Body, level: usize) -> Option<()> {
        let structures: Vec<&Structure> = body.iter().collect();
        let mut last = Last::Nothing;
        let mut i = 0;
        while i < structures.len() {
            match structures[i] {
                Structure::Block(block) => {
                    if last != Last::Nothing {
                        self.out.push('\n');
                    }
                    self.block(block, level)?;
                    last = Last::Block;
                    i += 1;
                }
                Structure::Attribute(_) => {
                    if last == Last::Block {
                        self.out.push('\n');
                    }
                    let run = attribute_run(&structures[i..]);
                    self.attributes(&structures[i..i + run], level)?;
                    last = Last::Attribute;
                    i += run;
                }
            }
        }
        Some(())
    }

    /// A run of attributes: all one-line, aligned; or a single multi-line one.
    fn attributes(&mut self, run: &[&Structure], level: usize) -> Option<()> {
        let entries: Vec<(&str, &Expression)> = run
            .iter()
            .filter_map(|structure| match structure {
                Structure::Attribute(attribute) => Some((attribute.key.as_str(), &attribute.expr)),
                Structure::Block(_) => None,
            })
            .collect();
        self.aligned(&entries, level)
    }

    /// `key = value` lines at `level`, `=` aligned when there are several (they
    /// are then all one-line).
    fn aligned<K: AsRef<str>>(&mut self, entries: &[(K, &Expression)], level: usize) -> Option<()> {
        let width = |key: &K| key.as_ref().chars().count();
        let column = entries.iter().map(|(key, _)| width(key)).max().unwrap_or(0);
        for (key, value) in entries {
            let key = key.as_ref();
            self.indent(level);
            self.out.push_str(key);
            for _ in key.chars().count()..=column {
                self.out.push(' ');
            }
            self.out.push_str("= ");
            self.expression(value, level, false)?;
            self.out.push('\n');
        }
        Some(())
    }

    fn block(&mut self, block: &Block, level: usize) -> Option<()> {
        let mut head = block.identifier.to_string();
        for label in &block.labels {
            head.push(' ');
            match label {
                BlockLabel::Identifier(ident) => head.push_str(ident),
                BlockLabel::String(text) => head.push_str(&plain_quoted(text)?),
            }
        }
        let empty = block.body.iter().next().is_none();
        self.indent(level);
        self.out.push_str(&header_line(&head, empty, level));
        if !empty {
            self.out.push('\n');
            self.body(&block.body, level + 1)?;
            self.indent(level);
            self.out.push('}');
        }
        self.out.push('\n');
        Some(())
    }

    /// A value; objects are written over several lines unless `compact` (inside
    /// a function call, as hcl-rs does).
    fn expression(&mut self, expr: &Expression, level: usize, compact: bool) -> Option<()> {
        match expr {
            Expression::Null => self.out.push_str("null"),
            Expression::Bool(value) => self.out.push_str(if *value { "true" } else { "false" }),
            Expression::Number(number) => self.out.push_str(&number.to_string()),
            Expression::TemplateExpr(template) => match template.as_ref() {
                TemplateExpr::QuotedString(text) if !text.contains('\n') => {
                    self.out.push('"');
                    self.out.push_str(text);
                    self.out.push('"');
                }
                _ => return None,
            },
            Expression::Array(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.expression(item, level, compact)?;
                }
                self.out.push(']');
            }
            Expression::Object(object) if compact => self.compact_object(object, level)?,
            Expression::Object(object) => self.object(object, level)?,
            Expression::Variable(variable) => self.out.push_str(variable),
            Expression::Traversal(traversal) => {
                self.expression(&traversal.expr, level, compact)?;
                for operator in &traversal.operators {
                    match operator {
                        TraversalOperator::GetAttr(ident) => {
                            self.out.push('.');
                            self.out.push_str(ident);
                        }
                        _ => return None,
                    }
                }
            }
            Expression::FuncCall(call) => self.call(call, level)?,
            _ => return None,
        }
        Some(())
    }

    fn call(&mut self, call: &FuncCall, level: usize) -> Option<()> {
        if !call.name.namespace.is_empty() || call.expand_final {
            return None;
        }
        self.out.push_str(&call.name.name);
        self.out.push('(');
        for (i, arg) in call.args.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.expression(arg, level, true)?;
        }
        self.out.push(')');
        Some(())
    }

    /// `{` one entry per line, aligned as attributes are, `}`.
    fn object(&mut self, object: &Object<ObjectKey, Expression>, level: usize) -> Option<()> {
        if object.is_empty() {
            self.out.push_str("{}");
            return Some(());
        }
        self.out.push_str("{\n");
        let entries: Vec<(String, &Expression)> = object
            .iter()
            .map(|(key, value)| Some((object_key(key)?, value)))
            .collect::<Option<_>>()?;
        let mut i = 0;
        while i < entries.len() {
            let run = run_length(entries[i..].iter().map(|(_, value)| Some(*value)));
            self.aligned(&entries[i..i + run], level + 1)?;
            i += run;
        }
        self.indent(level);
        self.out.push('}');
        Some(())
    }

    fn compact_object(
        &mut self,
        object: &Object<ObjectKey, Expression>,
        level: usize,
    ) -> Option<()> {
        self.out.push('{');
        for (i, (key, value)) in object.iter().enumerate() {
            self.out.push_str(if i == 0 { " " } else { ", " });
            self.out.push_str(&object_key(key)?);
            self.out.push_str(" = ");
            self.expression(value, level, true)?;
        }
        if !object.is_empty() {
            self.out.push(' ');
        }
        self.out.push('}');
        Some(())
    }
}

/// A block's header line at `level`, without the indentation: `head {`, or for
/// an empty block `head {` + the indentation + `}`, as hcl-rs writes it.
pub(crate) fn header_line(head: &str, empty: bool, level: usize) -> String {
    let mut header = String::with_capacity(head.len() + 3 + INDENT.len() * level);
    header.push_str(head);
    header.push_str(" {");
    if empty {
        for _ in 0..level {
            header.push_str(INDENT);
        }
        header.push('}');
    }
    header
}

pub(crate) fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str(INDENT);
    }
}

/// How many structures from the start form one run of aligned attributes.
fn attribute_run(structures: &[&Structure]) -> usize {
    run_length(structures.iter().map(|structure| match structure {
        Structure::Attribute(attribute) => Some(&attribute.expr),
        Structure::Block(_) => None,
    }))
}

/// The length of the run of aligned `key = value` lines that starts a body or
/// object (`None` stands for a block): consecutive one-line values, or a single
/// multi-line one.
fn run_length<'e>(mut values: impl Iterator<Item = Option<&'e Expression>>) -> usize {
    match values.next() {
        Some(Some(first)) if !is_multiline(first) => {
            1 + values
                .take_while(|value| value.is_some_and(|v| !is_multiline(v)))
                .count()
        }
        _ => 1,
    }
}

/// Whether a value takes several lines: it holds a non-empty object outside a
/// function call.
fn is_multiline(expr: &Expression) -> bool {
    match expr {
        Expression::Object(object) => !object.is_empty(),
        Expression::Array(items) => items.iter().any(is_multiline),
        Expression::Traversal(traversal) => is_multiline(&traversal.expr),
        _ => false,
    }
}

/// An object key as hcl-rs writes it, for the kinds of keys the emitters use.
fn object_key(key: &ObjectKey) -> Option<String> {
    match key {
        ObjectKey::Identifier(ident) if is_plain_key(ident) => Some(ident.to_string()),
        ObjectKey::Expression(Expression::TemplateExpr(template)) => match template.as_ref() {
            TemplateExpr::QuotedString(text) if !text.contains('\n') => Some(format!("\"{text}\"")),
            _ => None,
        },
        _ => None,
    }
}

/// An ASCII identifier that is not a keyword: hcl-rs writes it bare.
fn is_plain_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !matches!(key, "true" | "false" | "null" | "for")
}

/// `"text"` for a label hcl-rs would write unchanged (nothing to escape).
fn plain_quoted(text: &str) -> Option<String> {
    crate::emit::hcl::is_plain(text).then(|| format!("\"{text}\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::hcl::{string, strings};
    use hcl::expr::{Traversal, Variable};
    use hcl::Identifier;
    use proptest::prelude::*;

    /// The reference: hcl-rs's formatter, then the alignment pass.
    fn reference(body: &Body) -> String {
        crate::emit::terraform::render_with_hcl_rs("# h", body).unwrap()
    }

    fn ours(body: &Body) -> String {
        format!("# h\n{}", format(body).expect("supported"))
    }

    fn object(entries: Vec<(ObjectKey, Expression)>) -> Expression {
        Expression::Object(entries.into_iter().collect())
    }

    fn key(name: &str) -> ObjectKey {
        ObjectKey::Identifier(Identifier::unchecked(name))
    }

    fn every_construct() -> Body {
        let traversal = Expression::from(
            Traversal::builder(Variable::unchecked("vault_policy"))
                .attr(Identifier::unchecked("x"))
                .attr(Identifier::unchecked("name"))
                .build(),
        );
        let call = FuncCall::builder("file")
            .arg(TemplateExpr::QuotedString("${path.module}/a".into()))
            .arg(object(vec![
                (key("k"), string("v")),
                (key("kk"), Expression::from(1)),
            ]))
            .build();
        let nested = object(vec![
            (key("short"), string("a")),
            (key("a_longer_key"), Expression::Bool(true)),
            (key("inner"), object(vec![(key("x"), Expression::Null)])),
            (
                ObjectKey::Expression(string("QUOTED-KEY")),
                strings(["a", "b"]),
            ),
            (key("empty"), object(vec![])),
        ]);
        Body::builder()
            .add_attribute(("a", string("x")))
            .add_attribute(("longer_name", Expression::from(42)))
            .add_block(
                Block::builder("job")
                    .add_label("web")
                    .add_attribute(("count", Expression::from(2)))
                    .add_attribute(("map", nested))
                    .add_attribute(("after_map", traversal.clone()))
                    .add_attribute(("t", traversal))
                    .add_block(Block::builder("empty").build())
                    .add_block(
                        Block::builder("volume")
                            .add_label("data")
                            .add_attribute(("jobspec", call))
                            .add_attribute(("list", Expression::Array(vec![])))
                            .build(),
                    )
                    .add_attribute(("after_block", Expression::from(-3)))
                    .build(),
            )
            .add_block(
                Block::builder("numa")
                    .add_label(BlockLabel::Identifier(Identifier::unchecked("x")))
                    .build(),
            )
            .build()
    }

    #[test]
    fn every_construct_is_written_as_the_reference_writes_it() {
        let body = every_construct();
        assert_eq!(ours(&body), reference(&body));
    }

    #[test]
    fn what_it_does_not_cover_is_left_to_the_reference() {
        let heredoc = Body::builder()
            .add_attribute(("s", Expression::String("raw \" string".into())))
            .build();
        assert_eq!(format(&heredoc), None);
    }

    /// An object key hcl-rs writes bare (not a keyword).
    fn plain_key() -> impl Strategy<Value = String> {
        "[a-z]{1,9}".prop_filter("a keyword", |key| is_plain_key(key))
    }

    /// A random value: scalars, arrays and objects a few levels deep.
    fn value() -> impl Strategy<Value = Expression> {
        let leaf = prop_oneof![
            "[a-z ]{0,6}".prop_map(|s| string(&s)),
            any::<i32>().prop_map(Expression::from),
            any::<bool>().prop_map(Expression::Bool),
            Just(Expression::Null),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Expression::Array),
                prop::collection::vec((plain_key(), inner), 0..4).prop_map(|entries| {
                    object(entries.into_iter().map(|(k, v)| (key(&k), v)).collect())
                }),
            ]
        })
    }

    /// A random body: attributes and blocks, two levels deep.
    fn body() -> impl Strategy<Value = Body> {
        let attribute = ("[a-z_]{1,12}", value());
        let block = (
            "[a-z]{1,6}",
            prop::collection::vec("[a-z]{1,5}", 0..2),
            prop::collection::vec(("[a-z_]{1,12}", value()), 0..5),
        );
        prop::collection::vec(
            prop_oneof![attribute.prop_map(Ok), block.prop_map(Err)],
            0..8,
        )
        .prop_map(|items| {
            let mut builder = Body::builder();
            for item in items {
                builder = match item {
                    Ok((name, expr)) => builder.add_attribute((Identifier::unchecked(name), expr)),
                    Err((kind, labels, attributes)) => {
                        let mut block = Block::builder(Identifier::unchecked(kind));
                        for label in labels {
                            block = block.add_label(label);
                        }
                        for (name, expr) in attributes {
                            block = block.add_attribute((Identifier::unchecked(name), expr));
                        }
                        builder.add_block(block.build())
                    }
                };
            }
            builder.build()
        })
    }

    proptest! {
        #[test]
        fn random_bodies_are_written_as_the_reference_writes_them(body in body()) {
            // Every construct generated is one the writer covers.
            let text = format(&body);
            prop_assert!(text.is_some());
            prop_assert_eq!(format!("# h\n{}", text.unwrap()), reference(&body));
        }
    }
}
