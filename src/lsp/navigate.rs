//! Go to definition, find references and rename: all three start from the
//! name under the cursor ([`Index::at`]) and work on every place that name
//! is written, in every file of the stack.

use std::collections::HashMap;

use lsp_types::{Location, Range, TextEdit, Url, WorkspaceEdit};

use super::index::{Index, Occurrence, Role, Symbol};

/// A location in the index's files.
pub fn location(index: &Index, file: usize, span: crate::span::Span) -> Option<Location> {
    let indexed = index.files.get(file)?;
    let uri = super::uri::uri_of(&indexed.path)?;
    Some(Location::new(uri, indexed.lines.range(&indexed.text, span)))
}

pub fn definition(index: &Index, file: usize, offset: usize) -> Vec<Location> {
    let Some(occurrence) = index.at(file, offset) else {
        return Vec::new();
    };
    if let Symbol::File(target) = occurrence.symbol {
        return location(index, target, crate::span::Span::point(0))
            .into_iter()
            .collect();
    }
    index
        .definitions(&occurrence.symbol)
        .into_iter()
        .filter_map(|o| location(index, o.file, o.span))
        .collect()
}

/// Every place the name under the cursor is written. A module's service
/// counts its instances' names (`wiki-db` is `db` of the module).
pub fn references(
    index: &Index,
    file: usize,
    offset: usize,
    include_declaration: bool,
) -> Vec<Location> {
    let Some(occurrence) = index.at(file, offset) else {
        return Vec::new();
    };
    let mut found: Vec<&Occurrence> = Vec::new();
    for symbol in related(index, &occurrence.symbol) {
        // What declares it (for a block only an environment adds, the
        // environment's block).
        let declared: Vec<(usize, crate::span::Span)> = index
            .definitions(&symbol)
            .iter()
            .map(|o| (o.file, o.span))
            .collect();
        found.extend(
            index
                .occurrences_of(&symbol)
                .filter(|o| include_declaration || !declared.contains(&(o.file, o.span))),
        );
    }
    let mut locations: Vec<(usize, crate::span::Span)> =
        found.iter().map(|o| (o.file, o.span)).collect();
    locations.sort_by_key(|(file, span)| (*file, span.start()));
    locations.dedup();
    locations
        .into_iter()
        .filter_map(|(file, span)| location(index, file, span))
        .collect()
}

/// The symbol itself and, for a module's service or port, the same name in
/// each instance.
fn related(index: &Index, symbol: &Symbol) -> Vec<Symbol> {
    let mut symbols = vec![symbol.clone()];
    let instance_name = |module: usize, name: &str| -> Vec<Symbol> {
        index
            .instances
            .iter()
            .filter(|i| i.module == Some(module))
            .map(|i| Symbol::Service(format!("{}-{name}", i.name)))
            .collect()
    };
    match symbol {
        Symbol::ModuleService(module, name) => symbols.extend(instance_name(*module, name)),
        Symbol::Port(service, port) => {
            if let Symbol::ModuleService(module, name) = service.as_ref() {
                symbols.extend(
                    instance_name(*module, name)
                        .into_iter()
                        .map(|s| Symbol::Port(Box::new(s), port.clone())),
                );
            }
        }
        _ => {}
    }
    symbols
}

/// Why a rename cannot be done, in the user's words.
pub type Refusal = String;

/// The name under the cursor, when it can be renamed.
pub fn prepare_rename(index: &Index, file: usize, offset: usize) -> Result<Range, Refusal> {
    let occurrence = index
        .at(file, offset)
        .ok_or_else(|| "there is no name to rename here".to_string())?;
    renamable(index, &canonical(index, &occurrence.symbol))?;
    let indexed = &index.files[file];
    Ok(indexed.lines.range(&indexed.text, occurrence.span))
}

/// The symbol a rename changes: a port of an instance's service (`pg` in
/// `wiki-db.pg`) is the module's port — instances do not prefix ports.
fn canonical(index: &Index, symbol: &Symbol) -> Symbol {
    let Symbol::Port(service, port) = symbol else {
        return symbol.clone();
    };
    let Symbol::Service(name) = service.as_ref() else {
        return symbol.clone();
    };
    let definitions = index.definitions(symbol);
    if definitions.is_empty() || definitions.iter().any(|o| o.role != Role::Derived) {
        return symbol.clone();
    }
    let instance = index.instance_of_service(name);
    match instance.and_then(|i| Some((i.module?, &name[i.name.len() + 1..]))) {
        Some((module, local)) => Symbol::Port(
            Box::new(Symbol::ModuleService(module, local.to_string())),
            port.clone(),
        ),
        None => symbol.clone(),
    }
}

/// Whether the symbol can be renamed where it is declared.
fn renamable(index: &Index, symbol: &Symbol) -> Result<(), Refusal> {
    match symbol {
        Symbol::File(_) => Err("a module's `source` is a path: rename the file instead".into()),
        _ if index.definitions(symbol).is_empty() => Err(format!(
            "no {} `{}` is declared in the stack: there is nothing to rename",
            symbol.kind(),
            symbol.name()
        )),
        _ if index
            .definitions(symbol)
            .iter()
            .all(|o| o.role == Role::Derived) =>
        {
            let instance = derived_from(index, symbol).unwrap_or_default();
            Err(format!(
                "`{}` is a service of module instance `{instance}`: rename the instance, or the service in the module file",
                symbol.name()
            ))
        }
        _ => Ok(()),
    }
}

/// The instance a derived service (or its port) comes from.
fn derived_from(index: &Index, symbol: &Symbol) -> Option<String> {
    let service = match symbol {
        Symbol::Port(service, _) => service.name(),
        other => other.name(),
    };
    index.instance_of_service(service).map(|i| i.name.clone())
}

/// The edits that rename the name under the cursor to `new_name` wherever
/// it is written.
pub fn rename(
    index: &Index,
    file: usize,
    offset: usize,
    new_name: &str,
) -> Result<WorkspaceEdit, Refusal> {
    let occurrence = index
        .at(file, offset)
        .ok_or_else(|| "there is no name to rename here".to_string())?;
    let symbol = canonical(index, &occurrence.symbol);
    renamable(index, &symbol)?;
    valid_name(&symbol, new_name)?;
    if new_name == symbol.name() {
        return Ok(WorkspaceEdit::default());
    }
    let renamed = with_name(&symbol, new_name);
    if !index.definitions(&renamed).is_empty() {
        return Err(format!(
            "the stack already has a {} named `{new_name}`",
            symbol.kind()
        ));
    }
    let mut edits: Vec<(usize, crate::span::Span, String)> = Vec::new();
    for o in index
        .occurrences_of(&symbol)
        .filter(|o| o.role != Role::Derived)
    {
        edits.push((o.file, o.span, new_name.to_string()));
    }
    // A module's port, as its instances' services are written outside.
    if let Symbol::Port(..) = symbol {
        for related in related(index, &symbol).into_iter().skip(1) {
            for o in index.occurrences_of(&related).filter(|o| o.role.is_use()) {
                edits.push((o.file, o.span, new_name.to_string()));
            }
        }
    }
    // The names instances make of a module's service, or of an instance.
    for (old, new) in instance_names(index, &symbol, new_name) {
        if !index.definitions(&Symbol::Service(new.clone())).is_empty() {
            return Err(format!("the stack already has a service named `{new}`"));
        }
        for o in index
            .occurrences_of(&Symbol::Service(old))
            .filter(|o| o.role.is_use())
        {
            edits.push((o.file, o.span, new.clone()));
        }
    }
    edits.sort_by_key(|(file, span, _)| (*file, span.start()));
    edits.dedup_by_key(|(file, span, _)| (*file, *span));
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    for (file, span, text) in edits {
        let Some(location) = location(index, file, span) else {
            continue;
        };
        changes
            .entry(location.uri)
            .or_default()
            .push(TextEdit::new(location.range, text));
    }
    Ok(WorkspaceEdit::new(changes))
}

/// Whether `name` may name `symbol`: a param is an identifier (it is
/// written as `param.NAME` and as an argument), everything else follows the
/// name rule of LANGUAGE.md section 2.
fn valid_name(symbol: &Symbol, name: &str) -> Result<(), Refusal> {
    if !matches!(symbol, Symbol::Param(..)) {
        // Every refusal names the name first, as the rule's own message does.
        return crate::schema::validate::name(name).map_err(|why| {
            if why.starts_with('`') {
                why
            } else {
                format!("`{name}` is not a valid name: {why}")
            }
        });
    }
    let mut chars = name.chars();
    let starts = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !starts || !rest || matches!(name, "true" | "false" | "source") {
        return Err(format!(
            "`{name}` is not a valid name for a param: use a letter or `_`, then letters, digits, `_` or `-` (not `true`, `false` or `source`)"
        ));
    }
    Ok(())
}

/// The same symbol with another name.
fn with_name(symbol: &Symbol, name: &str) -> Symbol {
    let name = name.to_string();
    match symbol {
        Symbol::Host(_) => Symbol::Host(name),
        Symbol::Disk(host, _) => Symbol::Disk(host.clone(), name),
        Symbol::Service(_) => Symbol::Service(name),
        Symbol::ModuleService(module, _) => Symbol::ModuleService(*module, name),
        Symbol::Port(service, _) => Symbol::Port(service.clone(), name),
        Symbol::Route(_) => Symbol::Route(name),
        Symbol::Param(module, _) => Symbol::Param(*module, name),
        Symbol::Module(_) => Symbol::Module(name),
        Symbol::Environment(_) => Symbol::Environment(name),
        Symbol::File(file) => Symbol::File(*file),
    }
}

/// The instance service names (old, new) a rename changes: a module's
/// service `db` renamed to `pg` turns `wiki-db` into `wiki-pg`; an instance
/// `wiki` renamed to `docs` turns `wiki-db` into `docs-db`.
fn instance_names(index: &Index, symbol: &Symbol, new_name: &str) -> Vec<(String, String)> {
    match symbol {
        Symbol::ModuleService(module, old) => index
            .instances
            .iter()
            .filter(|i| i.module == Some(*module))
            .map(|i| {
                (
                    format!("{}-{old}", i.name),
                    format!("{}-{new_name}", i.name),
                )
            })
            .collect(),
        Symbol::Module(instance) => {
            let Some(module) = index.instance(instance).and_then(|i| i.module) else {
                return Vec::new();
            };
            index
                .names(|s| match s {
                    Symbol::ModuleService(m, name) if *m == module => Some(name.clone()),
                    _ => None,
                })
                .into_iter()
                .map(|name| (format!("{instance}-{name}"), format!("{new_name}-{name}")))
                .collect()
        }
        _ => Vec::new(),
    }
}
