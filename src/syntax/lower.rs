//! Lowering: pest pairs into the syntax tree, one function per rule. Literal
//! problems the grammar cannot see (unknown units, bad `\u{…}`) are reported here.

use pest::iterators::{Pair, Pairs};

use super::literal::unescape;
use super::parser::Rule;
use super::tree::{
    Attribute, Block, BlockLabel, Entry, Ident, Item, LabelValue, Number, Unit, Value, ValueKind,
};
use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::span::Span;
use compact_str::CompactString;

pub(crate) struct Lowerer<'d> {
    /// Where the parsed slice starts in the file.
    offset: usize,
    diags: &'d mut Diagnostics,
}

impl<'d> Lowerer<'d> {
    pub(crate) fn new(offset: usize, diags: &'d mut Diagnostics) -> Self {
        Self { offset, diags }
    }

    /// Lowers the pairs of a `file` rule into its blocks.
    pub(crate) fn file(&mut self, pairs: Pairs<'_, Rule>) -> Vec<Block> {
        pairs
            .flat_map(Pair::into_inner)
            .filter(|pair| pair.as_rule() == Rule::block)
            .map(|pair| self.block(pair))
            .collect()
    }

    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        Span::new(span.start(), span.end()).shifted(self.offset)
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().into(),
            span: self.span(pair),
        }
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Block {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let kind = self.ident(&inner.next().expect("grammar: block starts with a name"));
        let mut label = None;
        let mut open = span;
        let mut items = Vec::new();
        for part in inner {
            match part.as_rule() {
                Rule::string => {
                    let span = self.span(&part);
                    let value = LabelValue::String(self.string(part));
                    label = Some(BlockLabel { value, span });
                }
                Rule::integer => {
                    let value = LabelValue::Integer(part.as_str().into());
                    label = Some(BlockLabel {
                        value,
                        span: self.span(&part),
                    });
                }
                Rule::block_open => open = self.span(&part),
                Rule::attribute => items.push(Item::Attribute(self.attribute(part))),
                Rule::block => items.push(Item::Block(self.block(part))),
                _ => {}
            }
        }
        Block {
            kind,
            label,
            items,
            open,
            span,
        }
    }

    fn attribute(&mut self, pair: Pair<'_, Rule>) -> Attribute {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(&inner.next().expect("grammar: attribute name"));
        let value_pair = inner
            .find(|p| p.as_rule() != Rule::assign)
            .expect("grammar: attribute value");
        let value = self.value(value_pair);
        Attribute { name, value, span }
    }

    fn value(&mut self, pair: Pair<'_, Rule>) -> Value {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::string => ValueKind::String(self.string(pair)),
            Rule::boolean => ValueKind::Bool(pair.as_str() == "true"),
            Rule::range => self.range(pair, span),
            Rule::number => ValueKind::Number(self.number(pair)),
            Rule::list => ValueKind::List(
                pair.into_inner()
                    .filter(|p| {
                        !matches!(
                            p.as_rule(),
                            Rule::list_open | Rule::list_close | Rule::comma
                        )
                    })
                    .map(|p| self.value(p))
                    .collect(),
            ),
            Rule::object => ValueKind::Object(
                pair.into_inner()
                    .filter(|p| p.as_rule() == Rule::entry)
                    .map(|p| self.entry(p))
                    .collect(),
            ),
            Rule::reference => {
                ValueKind::Reference(pair.into_inner().map(|p| self.ident(&p)).collect())
            }
            rule => unreachable!("grammar: {rule:?} is not a value"),
        };
        Value { kind, span }
    }

    fn entry(&mut self, pair: Pair<'_, Rule>) -> Entry {
        let mut inner = pair.into_inner();
        let key_pair = inner.next().expect("grammar: entry key");
        let key_span = self.span(&key_pair);
        let quoted_key = key_pair.as_rule() == Rule::string;
        let key = if quoted_key {
            self.string(key_pair)
        } else {
            key_pair.as_str().into()
        };
        let value_pair = inner
            .find(|p| p.as_rule() != Rule::assign)
            .expect("grammar: entry value");
        Entry {
            key,
            key_span,
            quoted_key,
            value: self.value(value_pair),
        }
    }

    fn string(&mut self, pair: Pair<'_, Rule>) -> CompactString {
        let span = self.span(&pair);
        let body = pair.into_inner().next().map_or("", |p| p.as_str());
        string_literal(body, span, self.diags)
    }

    fn number(&mut self, pair: Pair<'_, Rule>) -> Number {
        let mut digits = "";
        let mut suffix = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::decimal => digits = part.as_str(),
                Rule::unit => suffix = Some((part.as_str(), self.span(&part))),
                _ => {}
            }
        }
        number_literal(digits, suffix, self.diags)
    }

    fn range(&mut self, pair: Pair<'_, Rule>, span: Span) -> ValueKind {
        let mut bounds = pair.into_inner().map(|p| p.as_str());
        let start = bounds.next().unwrap_or("");
        let end = bounds.next().unwrap_or("");
        range_literal(start, end, span, self.diags)
    }
}

// The literal rules below are shared with the fast path (`fast.rs`), so that both
// report the same diagnostics for the same text.

/// A string's value from its body as written (escapes resolved), reporting NUL
/// and `\u{…}` escapes that are not Unicode scalar values.
pub(super) fn string_literal(body: &str, span: Span, diags: &mut Diagnostics) -> CompactString {
    if memchr::memchr2(b'\\', 0, body.as_bytes()).is_none() {
        return body.into();
    }
    match unescape(body) {
        Ok(text) if text.contains('\0') => {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    span,
                    "a string may not contain the NUL character",
                )
                .with_primary_label("contains \\u{0}")
                .with_help("no configuration format eosc writes can carry NUL; remove it"),
            );
            text.replace('\0', "").into()
        }
        Ok(text) => text.into(),
        Err(escape) => {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    span,
                    format!("`{escape}` is not a Unicode scalar value"),
                )
                .with_primary_label("invalid \\u escape")
                .with_help(
                    "\\u{…} takes a code point from 0 to 10FFFF, surrogates (D800–DFFF) excluded",
                ),
            );
            CompactString::default()
        }
    }
}

/// A number from its digits and its unit suffix (with the suffix's span).
pub(super) fn number_literal(
    digits: &str,
    suffix: Option<(&str, Span)>,
    diags: &mut Diagnostics,
) -> Number {
    let (suffix, unit) = match suffix {
        Some((suffix, span)) => {
            let unit = Unit::parse(suffix);
            if unit.is_none() {
                diags.push(unknown_unit(suffix, span));
            }
            (CompactString::from(suffix), unit)
        }
        None => (CompactString::default(), None),
    };
    Number {
        digits: CompactString::from(digits),
        unit,
        suffix,
    }
}

fn unknown_unit(suffix: &str, span: Span) -> Diagnostic {
    // A unit in the wrong case (`GIB`) before the nearest spelling (`GB`).
    let suggestion = Unit::SUFFIXES
        .iter()
        .copied()
        .find(|s| s.eq_ignore_ascii_case(suffix))
        .or_else(|| did_you_mean(suffix, Unit::SUFFIXES.iter().copied()));
    let help = match suggestion {
        Some(unit) => format!("did you mean `{unit}`?"),
        None => "units: B KB MB GB TB PB KiB MiB GiB TiB PiB, %, ms s m h d, MHz GHz".to_string(),
    };
    Diagnostic::new(Code::E0107, span, format!("unknown unit `{suffix}`"))
        .with_primary_label("not a unit")
        .with_help(help)
        .with_optional_fix(suggestion.map(|unit| (span, unit.to_string())))
}

/// A range `start..end` from its two bounds as written.
pub(super) fn range_literal(
    start: &str,
    end: &str,
    span: Span,
    diags: &mut Diagnostics,
) -> ValueKind {
    match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(start), Ok(end)) => ValueKind::Range(start, end),
        _ => {
            diags.push(
                Diagnostic::new(Code::E0107, span, "range bound is too large")
                    .with_primary_label("out of range"),
            );
            ValueKind::Range(0, 0)
        }
    }
}
