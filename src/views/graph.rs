//! The dependency graph for people and tools: Graphviz DOT (stages as ranks,
//! shapes and colours by runtime), Mermaid, and JSON.

use std::fmt::Write as _;

use serde::Serialize;

use crate::ast::Runtime;
use crate::check::Analysis;
use crate::model::Stack;

#[derive(Debug, Clone, Serialize)]
pub struct GraphView {
    pub stack: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub name: String,
    pub runtime: Runtime,
    /// `None` when the graph has a cycle.
    pub stage: Option<usize>,
    pub provides: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// after, nomad, docker, secret, cephfs
    pub kind: &'static str,
}

impl GraphView {
    pub fn build(stack: &Stack, analysis: &Analysis) -> Self {
        let nodes = stack
            .service_ids()
            .map(|id| {
                let service = stack.service(id);
                Node {
                    name: service.name().to_string(),
                    runtime: service.decl.runtime.value,
                    stage: analysis.stages.as_ref().map(|s| s[id.0]),
                    provides: service
                        .decl
                        .provides()
                        .iter()
                        .map(|c| c.value.as_str().to_string())
                        .collect(),
                }
            })
            .collect();
        let mut edges = Vec::new();
        for id in stack.service_ids() {
            for (target, edge) in analysis.graph.dependencies(id) {
                edges.push(Edge {
                    from: stack.service(id).name().to_string(),
                    to: stack.service(target).name().to_string(),
                    kind: edge.kind.label(),
                });
            }
        }
        Self {
            stack: stack.settings.name.value.to_string(),
            nodes,
            edges,
        }
    }

    fn stages(&self) -> Vec<Vec<&Node>> {
        let last = self.nodes.iter().filter_map(|n| n.stage).max();
        let Some(last) = last else { return Vec::new() };
        let mut stages = vec![Vec::new(); last + 1];
        for node in &self.nodes {
            if let Some(stage) = node.stage {
                stages[stage].push(node);
            }
        }
        stages
    }

    /// Graphviz DOT. Edges point from a service to what it needs; stages are
    /// ranks, bottom (stage 0) to top.
    pub fn to_dot(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "digraph {} {{", dot_id(&self.stack));
        out.push_str("  rankdir=BT;\n  node [fontname=\"Helvetica\", style=filled];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
        for node in &self.nodes {
            let (shape, colour) = match node.runtime {
                Runtime::Baremetal => ("box", "#c6dbef"),
                Runtime::Docker => ("component", "#fdd0a2"),
                Runtime::Nomad => ("ellipse", "#c7e9c0"),
            };
            let mut label = format!("{}\\n{}", node.name, node.runtime.as_str());
            if !node.provides.is_empty() {
                let _ = write!(label, "\\nprovides {}", node.provides.join(", "));
            }
            let _ = writeln!(
                out,
                "  {} [shape={shape}, fillcolor=\"{colour}\", label=\"{label}\"];",
                dot_id(&node.name)
            );
        }
        for (stage, nodes) in self.stages().iter().enumerate() {
            let ids: Vec<String> = nodes.iter().map(|n| dot_id(&n.name)).collect();
            let _ = writeln!(
                out,
                "  subgraph stage_{stage} {{ rank=same; {}; }}",
                ids.join("; ")
            );
        }
        for edge in &self.edges {
            let style = if edge.kind == "after" {
                "solid"
            } else {
                "dashed"
            };
            let _ = writeln!(
                out,
                "  {} -> {} [label=\"{}\", style={style}];",
                dot_id(&edge.from),
                dot_id(&edge.to),
                edge.kind
            );
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart, one subgraph per stage.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart BT\n");
        let index: std::collections::HashMap<&str, usize> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        let id_of = |name: &str| index.get(name).map(|i| format!("s{i}")).unwrap_or_default();
        let node_line = |i: usize, node: &Node| {
            let (open, close) = match node.runtime {
                Runtime::Baremetal => ("[", "]"),
                Runtime::Docker => ("[[", "]]"),
                Runtime::Nomad => ("([", "])"),
            };
            format!(
                "s{i}{open}\"{}<br/>{}\"{close}",
                node.name,
                node.runtime.as_str()
            )
        };
        let stages = self.stages();
        if stages.is_empty() {
            for (i, node) in self.nodes.iter().enumerate() {
                let _ = writeln!(out, "  {}", node_line(i, node));
            }
        }
        for (stage, nodes) in stages.iter().enumerate() {
            let _ = writeln!(out, "  subgraph stage{stage}[\"stage {stage}\"]");
            for node in nodes {
                let i = index[node.name.as_str()];
                let _ = writeln!(out, "    {}", node_line(i, node));
            }
            out.push_str("  end\n");
        }
        for edge in &self.edges {
            let arrow = if edge.kind == "after" { "-->" } else { "-.->" };
            let _ = writeln!(
                out,
                "  {} {arrow}|{}| {}",
                id_of(&edge.from),
                edge.kind,
                id_of(&edge.to)
            );
        }
        out
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("graph serializes")
    }
}

/// A DOT ID: names are `[a-z][a-z0-9-]*`, quoted because of the hyphens.
fn dot_id(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}
