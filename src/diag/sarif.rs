//! SARIF 2.1.0 for code scanning (GitHub and others): one run, a rule per
//! diagnostic code with its `eosc explain` text as help, and a result per
//! diagnostic with its primary region and labelled related locations.

use serde::Serialize;
use serde_json::{json, Value};

use super::{Code, Diagnostic, Severity};
use crate::source::SourceMap;
use crate::span::Span;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The results of several stacks as one SARIF log. It holds references to
/// the diagnostics; each result is made as it is written.
#[derive(Default)]
pub struct SarifLog<'a> {
    /// Each stack's diagnostics, with the secret values its messages must not show.
    stacks: Vec<(&'a SourceMap, Vec<&'a Diagnostic>, Vec<String>)>,
}

impl<'a> SarifLog<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the diagnostics of one stack, whose spans point into `sources`.
    pub fn add(
        &mut self,
        sources: &'a SourceMap,
        diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    ) {
        let diagnostics: Vec<&Diagnostic> = diagnostics.into_iter().collect();
        let secrets = if diagnostics.is_empty() {
            Vec::new()
        } else {
            super::render::secret_values(sources, &[])
        };
        self.stacks.push((sources, diagnostics, secrets));
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.log()).expect("SARIF serializes")
    }

    /// Writes the log to `out` as it is made.
    pub fn write_to(&self, out: impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(out, &self.log()).map_err(std::io::Error::from)
    }

    fn log(&self) -> Log<'_, 'a> {
        Log {
            schema: SCHEMA,
            version: "2.1.0",
            runs: [Run {
                tool: Tool {
                    driver: Driver {
                        name: "eosc",
                        version: env!("CARGO_PKG_VERSION"),
                        information_uri: "https://example.com/eosc",
                        rules: Code::ALL.iter().map(|&code| rule(code)).collect(),
                    },
                },
                column_kind: "unicodeCodePoints",
                results: Results(&self.stacks),
            }],
        }
    }
}

#[derive(Serialize)]
struct Log<'r, 'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'r, 'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'r, 'a> {
    tool: Tool,
    column_kind: &'static str,
    results: Results<'r, 'a>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<Value>,
}

/// Every diagnostic of every stack, made into a result one at a time.
struct Results<'r, 'a>(&'r [(&'a SourceMap, Vec<&'a Diagnostic>, Vec<String>)]);

impl Serialize for Results<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().flat_map(|(sources, diagnostics, secrets)| {
            diagnostics.iter().map(|d| result(sources, d, secrets))
        }))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [ResultLocation<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<ResultLocation<'a>>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation<'a> {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<BorrowedText<'a>>,
}

#[derive(Serialize)]
struct BorrowedText<'a> {
    text: std::borrow::Cow<'a, str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

fn physical_location(sources: &SourceMap, span: Span) -> PhysicalLocation {
    let (file, s, e) = super::render::locate(sources, span);
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: file.replace('\\', "/"),
            uri_base_id: "%SRCROOT%",
        },
        region: Region {
            start_line: s.line,
            start_column: s.column,
            end_line: e.line,
            end_column: e.column,
        },
    }
}

fn result<'a>(sources: &SourceMap, d: &'a Diagnostic, secrets: &[String]) -> SarifResult<'a> {
    let mut message = match &d.environment {
        Some(environment) => format!("{} (environment `{environment}`)", d.message),
        None => d.message.clone(),
    };
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    SarifResult {
        rule_id: d.code.as_str(),
        rule_index: rule_index(d.code),
        level: level(d.severity()),
        message: Text {
            text: super::render::mask_values(&message, secrets).into_owned(),
        },
        locations: [ResultLocation {
            id: None,
            physical_location: physical_location(sources, d.primary.span),
            message: None,
        }],
        related_locations: d
            .secondary
            .iter()
            .enumerate()
            .map(|(i, label)| ResultLocation {
                id: Some(i),
                physical_location: physical_location(sources, label.span),
                message: Some(BorrowedText {
                    text: super::render::mask_values(&label.message, secrets),
                }),
            })
            .collect(),
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
