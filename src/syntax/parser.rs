//! The pest parser, with error recovery and friendly "expected …" messages.

use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pairs;
use pest::Parser as _;
use pest_derive::Parser;

use crate::diag::{Code, Diagnostic};
use crate::span::Span;

#[derive(Parser)]
#[grammar = "../grammar/eos.pest"]
pub(crate) struct EosParser;

/// Parses `text` (a whole file, or a run of top-level blocks from it).
pub(crate) fn parse_blocks(text: &str) -> Result<Pairs<'_, Rule>, Box<Diagnostic>> {
    EosParser::parse(Rule::file, text).map_err(|error| Box::new(syntax_error(text, &error)))
}

fn syntax_error(text: &str, error: &pest::error::Error<Rule>) -> Diagnostic {
    let at = match error.location {
        InputLocation::Pos(at) | InputLocation::Span((at, _)) => at,
    };
    let expected = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => describe_expected(positives),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let found = describe_found(text, at);
    let span = Span::new(
        at,
        super::next_char_boundary(text, (at + 1).min(text.len())),
    );
    Diagnostic::new(
        Code::E0001,
        span,
        format!("expected {expected}, found {found}"),
    )
    .with_primary_label(format!("expected {expected}"))
}

/// The rule names pest reports, as a person would say them; several rules that
/// stand for "a value" collapse into that one word.
fn friendly_name(rule: Rule) -> &'static str {
    match rule {
        Rule::block | Rule::ident => "a name",
        Rule::attribute => "an attribute",
        Rule::block_open => "`{`",
        Rule::block_close => "`}`",
        Rule::assign => "`=`",
        Rule::list_close => "`]`",
        Rule::list_open => "`[`",
        Rule::comma => "`,`",
        Rule::entry => "a key",
        Rule::string | Rule::string_body => "a string",
        Rule::integer => "an integer",
        Rule::boolean
        | Rule::range
        | Rule::number
        | Rule::decimal
        | Rule::list
        | Rule::object
        | Rule::reference => "a value",
        Rule::unit => "a unit",
        Rule::EOI => "end of file",
        Rule::escape => "an escape",
        _ => "input",
    }
}

/// Tokens that can start a value: when a value is among the expected things,
/// they are all said as "a value".
const VALUE_STARTS: &[&str] = &["`[`", "`{`", "a name", "a string", "an integer", "a value"];

fn describe_expected(rules: &[Rule]) -> String {
    let mut names: Vec<&str> = rules.iter().map(|&rule| friendly_name(rule)).collect();
    if names.contains(&"a value") {
        names.retain(|name| !VALUE_STARTS.contains(name));
        names.push("a value");
    }
    names.sort_unstable();
    names.dedup();
    match names.as_slice() {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn describe_found(text: &str, at: usize) -> String {
    match text[at..].chars().next() {
        None => "end of file".to_string(),
        Some('\n' | '\r') => "end of line".to_string(),
        Some(c) if c.is_alphabetic() || c == '_' => {
            let word: String = text[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                .take(40)
                .collect();
            format!("`{word}`")
        }
        Some(c) if c.is_control() => format!("control character U+{:04X}", c as u32),
        Some(c) => format!("`{c}`"),
    }
}
