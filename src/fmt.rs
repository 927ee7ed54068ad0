//! `eosc fmt`: the canonical layout of a spec — 2-space indent, `=` aligned in a
//! run of attributes, one blank line between top-level blocks, every comment kept.
//! It works on the syntax tree only, so it never changes what a spec means.

use crate::diag::Diagnostics;
use crate::syntax::{
    self, escape, Attribute, Block, Comment, Document, Item, LabelValue, Value, ValueKind,
};

/// Lists and objects longer than this are written one element per line.
const MAX_INLINE_WIDTH: usize = 80;
const INDENT: &str = "  ";

/// Formats a source text. Fails (with the diagnostics) when it does not parse.
pub fn format_source(text: &str) -> Result<String, Diagnostics> {
    let (document, diags) = syntax::parse(text);
    let syntax_errors = diags.has_syntax_errors();
    if syntax_errors {
        return Err(diags);
    }
    Ok(format_document(&document, text))
}

/// Prints a document; `text` is the source it was parsed from (for blank lines).
pub fn format_document(document: &Document, text: &str) -> String {
    let mut printer = Printer {
        text,
        comments: &document.comments,
        next_comment: 0,
        out: String::with_capacity(text.len() + text.len() / 8),
        last_end: None,
    };
    for (i, block) in document.blocks.iter().enumerate() {
        if i > 0 {
            printer.out.push('\n');
        }
        printer.leading_comments(block.span.start(), 0, i > 0, true);
        printer.block(block, 0);
        printer.trailing_comment(block.span.end());
        printer.out.push('\n');
    }
    printer.leading_comments(text.len(), 0, !document.blocks.is_empty(), false);
    printer.out
}

struct Printer<'a> {
    text: &'a str,
    comments: &'a [Comment],
    next_comment: usize,
    out: String,
    /// End of the last thing printed, to find blank lines in the source.
    last_end: Option<usize>,
}

impl Printer<'_> {
    fn indent(&mut self, level: usize) {
        for _ in 0..level {
            self.out.push_str(INDENT);
        }
    }

    /// Whether the source has a blank line between the last printed thing and `at`.
    fn blank_line_before(&self, at: usize) -> bool {
        let Some(end) = self.last_end else {
            return false;
        };
        let between = &self.text[end.min(at)..at];
        between.matches('\n').count() >= 2
    }

    /// Prints, each on its own line, the comments that start before `until`.
    /// `top_separated`: no blank line may be added before the first comment (one
    /// was printed already, or this is the start of a block). `before_item`: an
    /// item follows, so a blank line after the comments is kept.
    fn leading_comments(
        &mut self,
        until: usize,
        level: usize,
        top_separated: bool,
        before_item: bool,
    ) {
        let mut first = true;
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.span.start() >= until {
                break;
            }
            if self.blank_line_before(comment.span.start())
                && !(first && top_separated)
                && !self.out.is_empty()
            {
                self.out.push('\n');
            }
            self.indent(level);
            self.out.push_str(&comment.text);
            self.out.push('\n');
            // A comment from inside the item printed last (`memory /* … */ =
            // 1GiB`) ends before that item does: the source's blank lines are
            // counted from whichever ends later.
            self.last_end = Some(
                self.last_end
                    .map_or(comment.span.end(), |end| end.max(comment.span.end())),
            );
            self.next_comment += 1;
            first = false;
        }
        if !first && before_item && self.blank_line_before(until) {
            self.out.push('\n');
        }
    }

    /// Prints a comment that follows `after` on the same source line.
    fn trailing_comment(&mut self, after: usize) {
        if let Some(comment) = self.comments.get(self.next_comment) {
            let between = &self.text[after.min(comment.span.start())..comment.span.start()];
            if comment.span.start() >= after && !between.contains('\n') {
                self.out.push(' ');
                self.out.push_str(&comment.text);
                self.next_comment += 1;
                self.last_end = Some(comment.span.end());
                return;
            }
        }
        self.last_end = Some(after.max(self.last_end.unwrap_or(0)));
    }

    fn has_comment_within(&self, start: usize, end: usize) -> bool {
        self.comments[self.next_comment..]
            .iter()
            .take_while(|c| c.span.start() < end)
            .any(|c| c.span.start() >= start)
    }

    fn block(&mut self, block: &Block, level: usize) {
        self.out.push_str(&block.kind.name);
        if let Some(label) = &block.label {
            self.out.push(' ');
            match &label.value {
                LabelValue::String(text) => self.quoted(text),
                LabelValue::Integer(text) => self.out.push_str(text),
            }
        }
        if block.items.is_empty() && !self.has_comment_within(block.span.start(), block.span.end())
        {
            self.out.push_str(" {}");
            self.last_end = Some(block.span.end());
            return;
        }
        self.out.push_str(" {");
        let first_item = block
            .items
            .first()
            .map_or(block.span.end(), |item| item.span().start());
        if self
            .comments
            .get(self.next_comment)
            .is_some_and(|c| c.span.start() < first_item)
        {
            self.trailing_comment(block.open.end());
        } else {
            self.last_end = Some(block.open.end());
        }
        self.out.push('\n');
        self.items(&block.items, level + 1);
        self.leading_comments(block.span.end() - 1, level + 1, false, false);
        self.indent(level);
        self.out.push('}');
        self.last_end = Some(block.span.end());
    }

    fn items(&mut self, items: &[Item], level: usize) {
        let widths = alignment_widths(items, self.text, self.comments);
        for (i, item) in items.iter().enumerate() {
            let start = item.span().start();
            let separated = i > 0 && self.blank_line_before(self.first_position(start));
            if separated {
                self.out.push('\n');
            }
            self.leading_comments(start, level, separated || i == 0, true);
            self.indent(level);
            match item {
                Item::Attribute(attribute) => self.attribute(attribute, widths[i], level),
                Item::Block(block) => self.block(block, level),
            }
            self.trailing_comment(item.span().end());
            self.out.push('\n');
        }
    }

    /// Where the next item "starts" in the source, counting its leading comments.
    fn first_position(&self, start: usize) -> usize {
        match self.comments.get(self.next_comment) {
            Some(comment) if comment.span.start() < start => comment.span.start(),
            _ => start,
        }
    }

    fn attribute(&mut self, attribute: &Attribute, width: usize, level: usize) {
        let name = &attribute.name.name;
        self.out.push_str(name);
        for _ in name.chars().count()..width {
            self.out.push(' ');
        }
        self.out.push_str(" = ");
        self.value(&attribute.value, level);
    }

    fn quoted(&mut self, text: &str) {
        self.out.push('"');
        self.out.push_str(&escape(text));
        self.out.push('"');
    }

    fn value(&mut self, value: &Value, level: usize) {
        if let Some(inline) = self.inline(value) {
            self.out.push_str(&inline);
            self.last_end = Some(value.span.end());
            return;
        }
        match &value.kind {
            ValueKind::List(items) => {
                self.out.push('[');
                self.out.push('\n');
                for item in items {
                    self.leading_comments(item.span.start(), level + 1, false, true);
                    self.indent(level + 1);
                    self.value(item, level + 1);
                    self.out.push(',');
                    self.trailing_comment(item.span.end());
                    self.out.push('\n');
                }
                self.leading_comments(value.span.end() - 1, level + 1, false, false);
                self.indent(level);
                self.out.push(']');
            }
            ValueKind::Object(entries) => {
                let width = entries
                    .iter()
                    .map(|e| key_text(e).chars().count())
                    .max()
                    .unwrap_or(0);
                self.out.push('{');
                self.out.push('\n');
                for entry in entries {
                    self.leading_comments(entry.key_span.start(), level + 1, false, true);
                    self.indent(level + 1);
                    let key = key_text(entry);
                    self.out.push_str(&key);
                    for _ in key.chars().count()..width {
                        self.out.push(' ');
                    }
                    self.out.push_str(" = ");
                    self.value(&entry.value, level + 1);
                    self.trailing_comment(entry.value.span.end());
                    self.out.push('\n');
                }
                self.leading_comments(value.span.end() - 1, level + 1, false, false);
                self.indent(level);
                self.out.push('}');
            }
            _ => unreachable!("scalars are always inline"),
        }
        self.last_end = Some(value.span.end());
    }

    /// The value on one line, if it is written that way: scalars always; lists
    /// and objects when short, simple and free of comments.
    fn inline(&self, value: &Value) -> Option<String> {
        let text = match &value.kind {
            ValueKind::String(text) => format!("\"{}\"", escape(text)),
            ValueKind::Number(number) => format!("{}{}", number.digits, number.suffix),
            ValueKind::Bool(b) => b.to_string(),
            ValueKind::Range(a, b) => format!("{a}..{b}"),
            ValueKind::Reference(path) => {
                let parts: Vec<&str> = path.iter().map(|i| i.name.as_str()).collect();
                parts.join(".")
            }
            ValueKind::List(items) => {
                if self.has_comment_within(value.span.start(), value.span.end()) {
                    return None;
                }
                let parts = items
                    .iter()
                    .map(|item| self.inline(item))
                    .collect::<Option<Vec<_>>>()?;
                if items
                    .iter()
                    .any(|i| matches!(i.kind, ValueKind::List(_) | ValueKind::Object(_)))
                {
                    return None;
                }
                format!("[{}]", parts.join(", "))
            }
            ValueKind::Object(entries) => {
                if entries.len() > 1
                    || self.has_comment_within(value.span.start(), value.span.end())
                {
                    return None;
                }
                match entries.first() {
                    None => "{}".to_string(),
                    Some(entry) => {
                        let inner = self.inline(&entry.value)?;
                        if matches!(entry.value.kind, ValueKind::List(_) | ValueKind::Object(_)) {
                            return None;
                        }
                        format!("{{ {} = {inner} }}", key_text(entry))
                    }
                }
            }
        };
        (text.chars().count() <= MAX_INLINE_WIDTH
            || !matches!(value.kind, ValueKind::List(_) | ValueKind::Object(_)))
        .then_some(text)
    }
}

fn key_text(entry: &syntax::Entry) -> String {
    if entry.quoted_key {
        format!("\"{}\"", escape(&entry.key))
    } else {
        entry.key.to_string()
    }
}

/// For each item, the width its attribute name is padded to: the longest name in
/// its run (attributes not separated by a blank line or a nested block).
fn alignment_widths(items: &[Item], text: &str, comments: &[Comment]) -> Vec<usize> {
    let mut widths = vec![0; items.len()];
    let mut run_start = 0;
    for i in 0..=items.len() {
        let breaks = match (items.get(i), i.checked_sub(1).and_then(|p| items.get(p))) {
            (None | Some(Item::Block(_)), _) | (_, Some(Item::Block(_))) => true,
            (Some(item), Some(previous)) => {
                has_blank_gap(text, comments, previous.span().end(), item.span().start())
            }
            (Some(_), None) => false,
        };
        if breaks {
            let width = items[run_start..i]
                .iter()
                .filter_map(|item| match item {
                    Item::Attribute(a) => Some(a.name.name.chars().count()),
                    Item::Block(_) => None,
                })
                .max()
                .unwrap_or(0);
            for w in &mut widths[run_start..i] {
                *w = width;
            }
            run_start = i;
        }
    }
    widths
}

/// Whether a blank line stands between `from` and `to`, outside comments: the
/// same blank lines the printer keeps.
fn has_blank_gap(text: &str, comments: &[Comment], from: usize, to: usize) -> bool {
    let first = comments.partition_point(|c| c.span.start() < from);
    let mut gap_start = from;
    for comment in comments[first..].iter().take_while(|c| c.span.start() < to) {
        if text[gap_start..comment.span.start()].matches('\n').count() >= 2 {
            return true;
        }
        gap_start = comment.span.end();
    }
    text[gap_start.min(to)..to].matches('\n').count() >= 2
}
