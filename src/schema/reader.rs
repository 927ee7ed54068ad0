//! Reading one block against its schema. The reader hands out attributes and nested
//! blocks by name, remembers what the schema asked for, and on `finish` reports
//! everything the block holds that the schema does not know (E0101, E0102).

use super::value::FromValue;
use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::span::{Span, Spanned};
use crate::syntax::{Attribute, Block};
use smallvec::SmallVec;

pub(crate) struct BlockReader<'a, 'd> {
    block: &'a Block,
    pub(crate) diags: &'d mut Diagnostics,
    /// First occurrence of each attribute, sorted by [`by_length_then_bytes`]
    /// (a block has a handful: a sorted vector beats a map), and whether the
    /// schema has read it; repeats were reported as E0106.
    attributes: SmallVec<[(&'a str, &'a Attribute, bool); ATTRIBUTES_INLINE]>,
    /// What the schema asked for, for the help of E0101 and E0102.
    known_attributes: SmallVec<[&'static str; ASKED_AT_MOST]>,
    known_blocks: SmallVec<[&'static str; BLOCK_KINDS_AT_MOST]>,
}

// A reader is made for every block of a stack (six for a typical service):
// its lists live on the stack, not the heap, up to these sizes.

/// Attributes of one block, up to which they are kept inline.
const ATTRIBUTES_INLINE: usize = 16;
/// Names a schema asks for, at most, in one block (a service about twenty).
const ASKED_AT_MOST: usize = 32;
/// Kinds of nested block a schema asks for, at most (a service five).
const BLOCK_KINDS_AT_MOST: usize = 8;

/// The order of the attribute lookup: most names differ in length, which is
/// cheaper to compare than their bytes.
fn by_length_then_bytes(a: &str, b: &str) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

impl<'a, 'd> BlockReader<'a, 'd> {
    pub(crate) fn new(block: &'a Block, diags: &'d mut Diagnostics) -> Self {
        let mut attributes: SmallVec<[(&str, &Attribute, bool); ATTRIBUTES_INLINE]> = block
            .attributes()
            .map(|attribute| (attribute.name.name.as_str(), attribute, false))
            .collect();
        // Stable: the first of equal names stays first.
        attributes.sort_by(|a, b| by_length_then_bytes(a.0, b.0));
        attributes.dedup_by(|again, first| {
            let repeated = again.0 == first.0;
            if repeated {
                let (name, attribute) = (again.0, again.1);
                diags.push(
                    Diagnostic::new(
                        Code::E0106,
                        attribute.name.span,
                        format!("`{name}` is set twice"),
                    )
                    .with_primary_label("set again here")
                    .with_label(first.1.name.span, "first set here")
                    .with_help("remove one of them"),
                );
            }
            repeated
        });
        Self {
            block,
            diags,
            attributes,
            known_attributes: SmallVec::new(),
            known_blocks: SmallVec::new(),
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.attributes
            .binary_search_by(|(key, _, _)| by_length_then_bytes(key, name))
            .ok()
    }

    fn get(&self, name: &str) -> Option<&'a Attribute> {
        self.position(name).map(|at| self.attributes[at].1)
    }

    pub(crate) fn head(&self) -> Span {
        self.block.head()
    }

    pub(crate) fn kind(&self) -> &'a str {
        &self.block.kind.name
    }

    /// The attribute itself, without conversion (for rules between attributes).
    pub(crate) fn raw(&mut self, name: &'static str) -> Option<&'a Attribute> {
        self.known_attributes.push(name);
        let at = self.position(name)?;
        self.attributes[at].2 = true;
        Some(self.attributes[at].1)
    }

    /// An optional attribute, converted; `None` if absent or invalid.
    pub(crate) fn optional<T: FromValue>(&mut self, name: &'static str) -> Option<Spanned<T>> {
        let attribute = self.raw(name)?;
        T::from_value(&attribute.value, self.diags).map(|v| Spanned::new(v, attribute.value.span))
    }

    /// An optional attribute that must also satisfy a value rule (E0107).
    pub(crate) fn optional_valid<T: FromValue>(
        &mut self,
        name: &'static str,
        rule: impl Fn(&T) -> Result<(), String>,
    ) -> Option<Spanned<T>> {
        let value = self.optional::<T>(name)?;
        super::check_value(self.diags, &value, rule, None);
        Some(value)
    }

    /// A required attribute that must also satisfy a value rule (E0107).
    pub(crate) fn required_valid<T: FromValue + Default>(
        &mut self,
        name: &'static str,
        rule: impl Fn(&T) -> Result<(), String>,
    ) -> Spanned<T> {
        if self.get(name).is_some() {
            let head = self.head();
            return self
                .optional_valid(name, rule)
                .unwrap_or(Spanned::new(T::default(), head));
        }
        self.required(name)
    }

    /// An attribute with a default; the default carries the block head's span.
    pub(crate) fn or_default<T: FromValue>(
        &mut self,
        name: &'static str,
        default: T,
    ) -> Spanned<T> {
        let head = self.head();
        self.optional(name).unwrap_or(Spanned::new(default, head))
    }

    /// A required attribute: E0104 when absent. Returns a placeholder when absent
    /// or invalid (the error is reported, later phases do not run).
    pub(crate) fn required<T: FromValue + Default>(&mut self, name: &'static str) -> Spanned<T> {
        if self.get(name).is_some() {
            return self.or_default(name, T::default());
        }
        self.known_attributes.push(name);
        self.missing(name, &T::expected());
        Spanned::new(T::default(), self.head())
    }

    pub(crate) fn missing(&mut self, name: &str, expected: &str) {
        let kind = self.kind();
        let diag = Diagnostic::new(
            Code::E0104,
            self.head(),
            format!("`{kind}` block is missing required attribute `{name}`"),
        )
        .with_primary_label(format!("needs `{name}`"))
        .with_help(format!("add `{name} = …` ({expected})"));
        self.diags.push(diag);
    }

    pub(crate) fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// All nested blocks of a kind.
    pub(crate) fn blocks(&mut self, kind: &'static str) -> impl Iterator<Item = &'a Block> + 'a {
        self.known_blocks.push(kind);
        let block: &'a Block = self.block;
        block.blocks().filter(move |b| b.kind.name == kind)
    }

    /// At most one nested block of a kind; repeats are E0106.
    pub(crate) fn single_block(&mut self, kind: &'static str) -> Option<&'a Block> {
        let mut blocks = self.blocks(kind);
        let first = blocks.next()?;
        for again in blocks {
            self.diags.push(
                Diagnostic::new(
                    Code::E0106,
                    again.head(),
                    format!("`{kind}` block is written twice"),
                )
                .with_primary_label("written again here")
                .with_label(first.head(), "first written here")
                .with_help(format!(
                    "a `{}` block takes one `{kind}` block; merge them",
                    self.kind()
                )),
            );
        }
        Some(first)
    }

    /// Reports what the schema did not ask for.
    pub(crate) fn finish(self) {
        let kind = self.kind();
        // Every attribute is one the schema read (a repeat has the name of
        // the first), and every nested block one of a kind it asked for.
        let all_known = self.attributes.iter().all(|&(_, _, read)| read)
            && self
                .block
                .blocks()
                .all(|b| self.known_blocks.contains(&b.kind.name.as_str()));
        if all_known {
            return;
        }
        let candidates: Vec<&str> = self
            .known_attributes
            .iter()
            .chain(&self.known_blocks)
            .copied()
            .collect();
        for attribute in self.block.attributes() {
            let name = attribute.name.name.as_str();
            if self.known_attributes.contains(&name) {
                continue;
            }
            let diag = Diagnostic::new(
                Code::E0102,
                attribute.name.span,
                format!("unknown attribute `{name}` in `{kind}` block"),
            )
            .with_primary_label("unknown attribute");
            let help = if self.known_blocks.contains(&name) {
                Some(format!("`{name}` is a block: write `{name} {{ … }}`"))
            } else {
                suggestion(name, &candidates, kind)
            };
            let diag = with_suggested_fix(diag, help.as_deref(), &candidates, name);
            self.diags.push(diag.with_optional_help(help));
        }
        for nested in self.block.blocks() {
            let name = nested.kind.name.as_str();
            if self.known_blocks.contains(&name) {
                continue;
            }
            let diag = Diagnostic::new(
                Code::E0101,
                nested.kind.span,
                format!("unknown block kind `{name}` in `{kind}` block"),
            )
            .with_primary_label("unknown block kind");
            let help = if self.known_attributes.contains(&name) {
                Some(format!("`{name}` is an attribute: write `{name} = …`"))
            } else {
                suggestion(name, &candidates, kind)
            };
            let diag = with_suggested_fix(diag, help.as_deref(), &candidates, name);
            self.diags.push(diag.with_optional_help(help));
        }
    }
}

/// The fix of a "did you mean" help: the name under the primary span
/// becomes the candidate the help names.
fn with_suggested_fix(
    diag: Diagnostic,
    help: Option<&str>,
    candidates: &[&str],
    name: &str,
) -> Diagnostic {
    let proposed = help
        .and_then(|h| h.strip_prefix("did you mean `"))
        .and_then(|h| h.strip_suffix("`?"));
    match proposed.filter(|p| candidates.contains(p) && *p != name) {
        Some(close) => {
            let span = diag.primary.span;
            diag.with_fix(span, close)
        }
        None => diag,
    }
}

fn suggestion(name: &str, candidates: &[&str], kind: &str) -> Option<String> {
    match did_you_mean(name, candidates.iter().copied()) {
        Some(close) => Some(format!("did you mean `{close}`?")),
        None if candidates.is_empty() => None,
        None => {
            let mut sorted = candidates.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            Some(format!("a `{kind}` block takes: {}", sorted.join(", ")))
        }
    }
}
