//! SARIF 2.1.0 for code scanning (GitHub and others): one run, a rule per
//! diagnostic code with its `eosc explain` text as help, and a result per
//! diagnostic with its primary region and labelled related locations.

use serde_json::{json, Value};

use super::{Code, Diagnostic, Severity};
use crate::source::SourceMap;
use crate::span::Span;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Collects the results of several files into one SARIF log.
#[derive(Debug, Default)]
pub struct SarifLog {
    results: Vec<Value>,
}

impl SarifLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the diagnostics of one file; `uri` is the path as given, with `/`.
    pub fn add<'a>(
        &mut self,
        sources: &SourceMap,
        diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    ) {
        for d in diagnostics {
            let location = |start, end| {
                let (file, s, e) = super::render::locate(sources, Span::new(start, end));
                let uri = file.replace('\\', "/");
                let region = json!({"startLine": s.line, "startColumn": s.column, "endLine": e.line, "endColumn": e.column});
                json!({"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}, "region": region}})
            };
            let mut message = match &d.environment {
                Some(environment) => format!("{} (environment `{environment}`)", d.message),
                None => d.message.clone(),
            };
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let related: Vec<Value> = d
                .secondary
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    let mut related = location(label.span.start, label.span.end);
                    related["id"] = json!(i);
                    related["message"] = json!({"text": label.message});
                    related
                })
                .collect();
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": rule_index(d.code),
                "level": level(d.severity()),
                "message": {"text": message},
                "locations": [location(d.primary.span.start, d.primary.span.end)],
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            self.results.push(result);
        }
    }

    pub fn to_json(&self) -> String {
        let rules: Vec<Value> = Code::ALL.iter().map(|&code| rule(code)).collect();
        let log = json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "eosc",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://example.com/eosc",
                    "rules": rules,
                }},
                "columnKind": "unicodeCodePoints",
                "results": self.results,
            }],
        });
        serde_json::to_string_pretty(&log).expect("SARIF serializes")
    }
}

fn rule_index(code: Code) -> usize {
    Code::ALL.iter().position(|&c| c == code).unwrap_or(0)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "note",
    }
}

fn rule(code: Code) -> Value {
    let explanation = code.explanation();
    let summary = explanation
        .split("\n\n")
        .nth(1)
        .map_or(code.title(), str::trim)
        .replace('\n', " ");
    json!({
        "id": code.as_str(),
        "name": rule_name(code.title()),
        "shortDescription": {"text": code.title()},
        "fullDescription": {"text": summary},
        "help": {"text": explanation, "markdown": explanation},
        "defaultConfiguration": {"level": level(code.severity())},
    })
}

/// `"host memory over budget"` → `HostMemoryOverBudget`.
fn rule_name(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
                .collect::<String>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::rule_name;

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(rule_name("host memory over budget"), "HostMemoryOverBudget");
        assert_eq!(rule_name("fsync/wal volume on hdd"), "FsyncWalVolumeOnHdd");
    }
}
