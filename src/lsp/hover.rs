//! Hover: for a name, what it is and what the checks made of it (a
//! service's stage, placement and share of each budget; a host's budget
//! use); for an attribute or a block kind, its documentation from the
//! schema's catalog.

use std::fmt::Write as _;

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use crate::schema::catalog;
use crate::span::Span;
use crate::syntax::Block;
use crate::units::{bytes, cores};
use crate::views::plan::{Capacity, Plan};

use super::complete::attribute_doc;
use super::index::{label_name, Index, Symbol};
use super::stacks::Stack;

pub fn hover(stack: &Stack, file: usize, offset: usize) -> Option<Hover> {
    let index = stack.index();
    let indexed = index.files.get(file)?;
    let (text, span) = match index.at(file, offset) {
        Some(occurrence) => (describe(stack, &occurrence.symbol), occurrence.span),
        None => schema_doc(index, file, offset)?,
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(indexed.lines.range(&indexed.text, span)),
    })
}

/// What a name is.
fn describe(stack: &Stack, symbol: &Symbol) -> String {
    let index = stack.index();
    let plan = stack.plan();
    match symbol {
        Symbol::Service(name) => service(stack, plan, name),
        Symbol::ModuleService(module, name) => {
            let instances: Vec<String> = index
                .instances
                .iter()
                .filter(|i| i.module == Some(*module))
                .map(|i| format!("`{}-{name}`", i.name))
                .collect();
            format!(
                "**service `{name}`** of module `{}`\n\ninstances: {}",
                index.files[*module].relative,
                if instances.is_empty() {
                    "none".to_string()
                } else {
                    instances.join(", ")
                }
            )
        }
        Symbol::Host(name) => host(plan, name),
        Symbol::Disk(host, disk) => disk_use(plan, host, disk),
        Symbol::Port(service, port) => {
            let mut text = format!("**port `{port}`** of service `{}`", service.name());
            // A module's service is looked up as one of its instances.
            let checked_name = match service.as_ref() {
                Symbol::ModuleService(module, name) => index
                    .instances
                    .iter()
                    .find(|i| i.module == Some(*module))
                    .map(|i| format!("{}-{name}", i.name)),
                other => Some(other.name().to_string()),
            };
            let decl = stack
                .checked
                .stack
                .as_ref()
                .zip(checked_name)
                .and_then(|(s, name)| {
                    let service = s.services.iter().find(|x| x.decl.name.value == name)?;
                    service.decl.ports.iter().find(|p| p.name.value == *port)
                });
            if let Some(decl) = decl {
                let _ = write!(
                    text,
                    "\n\nnumber {}, {}",
                    decl.number.value,
                    decl.protocol.value.as_str()
                );
            }
            text
        }
        Symbol::Route(name) => format!("**route `{name}`**"),
        Symbol::Param(module, name) => {
            let ty = index
                .params(*module)
                .into_iter()
                .find(|(param, _)| param == name)
                .map_or_else(String::new, |(_, ty)| format!(": `{ty}`"));
            format!(
                "**param `{name}`**{ty} of module `{}`",
                index.files[*module].relative
            )
        }
        Symbol::Module(name) => {
            let source = index
                .instance(name)
                .and_then(|i| i.module)
                .map_or_else(String::new, |m| {
                    format!(" of `{}`", index.files[m].relative)
                });
            format!("**module instance `{name}`**{source}: its services are named `{name}-SERVICE`")
        }
        Symbol::Environment(name) => {
            format!(
                "**environment `{name}`**: `eosc check --env {name}`, `eosc build --env {name}`"
            )
        }
        Symbol::File(file) => format!("**file** `{}`", index.files[*file].relative),
    }
}

fn share(used: u64, whole: u64) -> String {
    if whole == 0 {
        return "—".into();
    }
    format!("{:.1}%", used as f64 * 100.0 / whole as f64)
}

fn service(stack: &Stack, plan: Option<&Plan>, name: &str) -> String {
    let mut text = format!("**service `{name}`**");
    let Some(plan) = plan else {
        text.push_str("\n\n_stage and placement: the stack has errors_");
        return text;
    };
    let Some(placement) = plan.services.iter().find(|s| s.service == name) else {
        return text;
    };
    let _ = write!(text, " — {}", placement.runtime.as_str());
    match placement.stage {
        Some(stage) => {
            let _ = write!(text, ", bootstrap stage {stage}");
        }
        None => text.push_str(", no stage (the graph has a cycle)"),
    }
    let decl = stack
        .checked
        .stack
        .as_ref()
        .and_then(|s| s.services.iter().find(|x| x.decl.name.value == name));
    let Some(decl) = decl else {
        return text;
    };
    let (memory, cpu) = (decl.decl.memory.value, decl.decl.cpu.value);
    let _ = write!(
        text,
        "\n\nper instance: memory {}, cpu {}",
        bytes(memory),
        cores(cpu)
    );
    let mut hosts: Vec<(&str, u64)> = Vec::new();
    for host in &placement.hosts {
        match hosts.iter_mut().find(|(h, _)| h == host) {
            Some((_, n)) => *n += 1,
            None => hosts.push((host, 1)),
        }
    }
    if hosts.is_empty() {
        text.push_str("\n\nnot placed");
    }
    for (host, instances) in hosts {
        let Some(used) = plan.hosts.iter().find(|h| h.host == host) else {
            continue;
        };
        let _ = write!(
            text,
            "\n\n- on `{host}` ×{instances}: memory {} of its budget {} ({}), cpu {} of {} ({})",
            bytes(memory * instances),
            bytes(used.memory.budget),
            share(memory * instances, used.memory.budget),
            cores(cpu * instances),
            cores(used.cpu.budget),
            share(cpu * instances, used.cpu.budget)
        );
    }
    text
}

fn capacity(what: &str, used: Capacity, show: fn(u64) -> String) -> String {
    format!(
        "{what}: {} used of a budget of {} ({}), {} installed",
        show(used.used),
        show(used.budget),
        share(used.used, used.budget),
        show(used.capacity)
    )
}

fn host(plan: Option<&Plan>, name: &str) -> String {
    let mut text = format!("**host `{name}`**");
    let Some(used) = plan.and_then(|p| p.hosts.iter().find(|h| h.host == name)) else {
        text.push_str("\n\n_budget use: the stack has errors_");
        return text;
    };
    let _ = write!(
        text,
        "\n\n- {}\n- {}\n- {} services",
        capacity("memory", used.memory, bytes),
        capacity("cpu", used.cpu, cores),
        used.services.len()
    );
    for numa in &used.numa {
        let _ = write!(
            text,
            "\n- NUMA node {}: {}",
            numa.node,
            capacity("memory", numa.memory, bytes)
        );
    }
    for disk in &used.disks {
        let _ = write!(
            text,
            "\n- disk `{}`: {}",
            disk.disk,
            capacity("space", disk.size, bytes)
        );
    }
    text
}

fn disk_use(plan: Option<&Plan>, host: &str, disk: &str) -> String {
    let mut text = format!("**disk `{host}.{disk}`**");
    let used = plan
        .and_then(|p| p.hosts.iter().find(|h| h.host == host))
        .and_then(|h| h.disks.iter().find(|d| d.disk == disk));
    if let Some(used) = used {
        let _ = write!(
            text,
            " ({})\n\n{}; volumes on it: {}",
            used.kind.as_str(),
            capacity("space", used.size, bytes),
            used.volumes.len()
        );
    }
    text
}

/// The catalog's documentation of the attribute name or block kind at
/// `offset`.
fn schema_doc(index: &Index, file: usize, offset: usize) -> Option<(String, Span)> {
    let document = &index.files[file].document;
    let mut kinds: Vec<&str> = Vec::new();
    let mut current: Option<&Block> = document
        .blocks
        .iter()
        .find(|b| b.span.start() <= offset && offset <= b.span.end());
    while let Some(block) = current {
        kinds.push(&block.kind.name);
        if contains(block.kind.span, offset) {
            let path = catalog_path(&kinds);
            let doc = catalog::block_at(&path)?;
            return Some((
                format!("**{}**\n\n{}", doc.head(), doc.meaning),
                block.kind.span,
            ));
        }
        current = block
            .blocks()
            .find(|b| b.span.start() <= offset && offset <= b.span.end());
        if current.is_none() {
            let attribute = block.attributes().find(|a| contains(a.name.span, offset))?;
            let path = catalog_path(&kinds);
            let doc = catalog::block_at(&path)?;
            if doc.kind == "module" && attribute.name.name != "source" {
                let module = label_name(block)
                    .and_then(|name| index.instance(name))
                    .and_then(|i| i.module)?;
                let (_, ty) = index
                    .params(module)
                    .into_iter()
                    .find(|(p, _)| *p == attribute.name.name)?;
                return Some((
                    format!(
                        "**{}**: `{ty}`, a param of `{}`",
                        attribute.name.name, index.files[module].relative
                    ),
                    attribute.name.span,
                ));
            }
            let attr = doc.attribute(&attribute.name.name)?;
            return Some((attribute_doc(attr), attribute.name.span));
        }
    }
    None
}

/// A block path as the catalog knows it (an `env`'s blocks are the base's).
fn catalog_path<'k>(kinds: &[&'k str]) -> Vec<&'k str> {
    match kinds {
        ["env", rest @ ..] if !rest.is_empty() => rest.to_vec(),
        _ => kinds.to_vec(),
    }
}

fn contains(span: Span, offset: usize) -> bool {
    span.start() <= offset && offset <= span.end()
}
