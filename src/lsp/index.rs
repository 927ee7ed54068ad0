//! Every name of a stack and where it is written: the definitions (block
//! labels) and the references (attribute values, `param.NAME`, module
//! arguments, the blocks of an `env`), across every file of the stack. It is
//! built from the syntax trees — which a file with errors still has — so
//! navigation works while the user types; what a reference means follows
//! the schema's catalog (`crate::schema::catalog`), the one description of
//! which attribute takes which kind of name.

use crate::source::SharedText;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::compose::files::{folder_of, normalize};
use crate::schema::catalog::{self, FileRole, RefKind, Values};
use crate::span::Span;
use crate::syntax::{Block, Document, LabelValue, Value, ValueKind};

use super::text::Lines;

/// A name of the stack. Module files are named by their index in
/// [`Index::files`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symbol {
    Host(String),
    /// `HOST.DISK`
    Disk(String, String),
    Service(String),
    /// A service a module file declares, by its name inside the module.
    ModuleService(usize, String),
    /// A port of a service (either kind above).
    Port(Box<Symbol>, String),
    Route(String),
    Param(usize, String),
    /// A module instance.
    Module(String),
    Environment(String),
    /// A file of the stack (a module's `source`), defined by its start.
    File(usize),
}

impl Symbol {
    /// What the name is, in the user's words.
    pub fn kind(&self) -> &'static str {
        match self {
            Symbol::Host(_) => "host",
            Symbol::Disk(..) => "disk",
            Symbol::Service(_) | Symbol::ModuleService(..) => "service",
            Symbol::Port(..) => "port",
            Symbol::Route(_) => "route",
            Symbol::Param(..) => "param",
            Symbol::Module(_) => "module instance",
            Symbol::Environment(_) => "environment",
            Symbol::File(_) => "file",
        }
    }

    /// The name as written at a definition.
    pub fn name(&self) -> &str {
        match self {
            Symbol::Host(name)
            | Symbol::Service(name)
            | Symbol::Route(name)
            | Symbol::Module(name)
            | Symbol::Environment(name)
            | Symbol::Disk(_, name)
            | Symbol::ModuleService(_, name)
            | Symbol::Port(_, name)
            | Symbol::Param(_, name) => name,
            Symbol::File(_) => "",
        }
    }
}

/// How a name is written at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The label of the block that declares it.
    Definition,
    /// A module instance's service or port: declared by the module file's
    /// block (this place), named `INSTANCE-NAME` by the instance.
    Derived,
    /// The label of a block in an `env`: it changes the base's block of
    /// that name, or adds one (then it is the only declaration there is).
    EnvBlock,
    Reference,
}

impl Role {
    /// A place that uses the name (a rename rewrites it as the name's own).
    pub fn is_use(self) -> bool {
        matches!(self, Role::EnvBlock | Role::Reference)
    }
}

#[derive(Debug, Clone)]
pub struct Occurrence {
    pub symbol: Symbol,
    pub file: usize,
    /// The name's characters in the file (a label without its quotes).
    pub span: Span,
    pub role: Role,
}

/// One file of the stack, parsed.
pub struct IndexedFile {
    pub path: PathBuf,
    /// Root-relative, `/`-separated.
    pub relative: String,
    pub text: SharedText,
    pub lines: Lines,
    pub document: Document,
    pub role: FileRole,
}

/// A `module` block.
#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    /// Where the `module` block is.
    pub file: usize,
    /// The module file, when it is part of the stack.
    pub module: Option<usize>,
}

pub struct Index {
    pub files: Vec<IndexedFile>,
    pub occurrences: Vec<Occurrence>,
    pub instances: Vec<Instance>,
}

impl Index {
    /// Indexes `files` (path, root-relative path, text); the first is the root.
    pub fn build(files: Vec<(PathBuf, String, SharedText)>) -> Self {
        let mut parsed: Vec<IndexedFile> = files
            .into_iter()
            .map(|(path, relative, text)| {
                let (document, _) = crate::syntax::parse(&text);
                IndexedFile {
                    lines: Lines::new(&text),
                    path,
                    relative,
                    text,
                    document,
                    role: FileRole::Included,
                }
            })
            .collect();
        if let Some(root) = parsed.first_mut() {
            root.role = FileRole::Root;
        }
        let by_relative: HashMap<String, usize> = parsed
            .iter()
            .enumerate()
            .map(|(i, f)| (f.relative.clone(), i))
            .collect();
        let mut index = Index {
            files: Vec::new(),
            occurrences: Vec::new(),
            instances: Vec::new(),
        };
        // Which files are module files: those a `module` block sources.
        let mut known = HashMap::new();
        for (file, indexed) in parsed.iter().enumerate() {
            for block in &indexed.document.blocks {
                let relative = &indexed.relative;
                index.note_instance(block, file, relative, &by_relative, &mut known);
                if block.kind.name == "env" {
                    for nested in block.blocks() {
                        index.note_instance(nested, file, relative, &by_relative, &mut known);
                    }
                }
            }
        }
        for instance in &index.instances {
            if let Some(module) = instance.module {
                if module != 0 {
                    parsed[module].role = FileRole::Module;
                }
            }
        }
        index.files = parsed;
        let mut walker = Walker {
            files: &index.files,
            instances: index
                .instances
                .iter()
                .filter_map(|i| Some((i.name.clone(), i.module?)))
                .collect(),
            found: Vec::new(),
        };
        let module_services = walker.module_services();
        for file in 0..index.files.len() {
            walker.file(file, &module_services);
        }
        let mut occurrences = walker.found;
        index.derive_instances(&mut occurrences);
        index.occurrences = occurrences;
        index
    }

    fn note_instance(
        &mut self,
        block: &Block,
        file: usize,
        relative: &str,
        files: &HashMap<String, usize>,
        known: &mut HashMap<String, usize>,
    ) {
        if block.kind.name != "module" {
            return;
        }
        let Some(name) = label_name(block) else {
            return;
        };
        let module = string_attribute(block, "source")
            .and_then(|source| normalize(folder_of(relative), source))
            .and_then(|path| files.get(&path).copied());
        let instance = Instance {
            name: name.to_string(),
            file,
            module,
        };
        // The first block that names the module file wins (an environment's
        // block changing the instance usually does not repeat `source`).
        match known.get(name) {
            Some(&at) if self.instances[at].module.is_none() => self.instances[at] = instance,
            Some(_) => {}
            None => {
                known.insert(name.to_string(), self.instances.len());
                self.instances.push(instance);
            }
        }
    }

    /// Each instance's services and ports, declared where the module file
    /// declares them.
    fn derive_instances(&self, occurrences: &mut Vec<Occurrence>) {
        // The definitions of each module file's services and ports, once.
        let mut by_module: HashMap<usize, Vec<&Occurrence>> = HashMap::new();
        for occurrence in occurrences.iter().filter(|o| o.role == Role::Definition) {
            let service = match &occurrence.symbol {
                Symbol::Port(service, _) => service.as_ref(),
                other => other,
            };
            if let Symbol::ModuleService(module, _) = service {
                by_module.entry(*module).or_default().push(occurrence);
            }
        }
        let mut derived = Vec::new();
        for instance in &self.instances {
            let Some(definitions) = instance.module.and_then(|m| by_module.get(&m)) else {
                continue;
            };
            for occurrence in definitions {
                let symbol = match &occurrence.symbol {
                    Symbol::ModuleService(_, name) => {
                        Symbol::Service(format!("{}-{name}", instance.name))
                    }
                    Symbol::Port(service, port) => match service.as_ref() {
                        Symbol::ModuleService(_, name) => Symbol::Port(
                            Box::new(Symbol::Service(format!("{}-{name}", instance.name))),
                            port.clone(),
                        ),
                        _ => continue,
                    },
                    _ => continue,
                };
                derived.push(Occurrence {
                    symbol,
                    file: occurrence.file,
                    span: occurrence.span,
                    role: Role::Derived,
                });
            }
        }
        occurrences.extend(derived);
    }

    pub fn file_of(&self, path: &Path) -> Option<usize> {
        self.files.iter().position(|f| f.path == path)
    }

    /// The name written at `offset` of `file` (its end included, where a
    /// cursor after the last character stands).
    pub fn at(&self, file: usize, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| o.file == file && o.span.start() <= offset && offset <= o.span.end())
            .min_by_key(|o| o.span.len())
    }

    pub fn occurrences_of<'i>(
        &'i self,
        symbol: &Symbol,
    ) -> impl Iterator<Item = &'i Occurrence> + 'i {
        let symbol = symbol.clone();
        self.occurrences.iter().filter(move |o| o.symbol == symbol)
    }

    /// Where `symbol` is declared: its definitions, else the instance
    /// blocks that make it, else (a block an environment adds) the
    /// environments' blocks; nothing for a name no block declares.
    pub fn definitions(&self, symbol: &Symbol) -> Vec<&Occurrence> {
        for role in [Role::Definition, Role::Derived, Role::EnvBlock] {
            let found: Vec<&Occurrence> = self
                .occurrences_of(symbol)
                .filter(|o| o.role == role)
                .collect();
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// The names the base stack declares of one kind (for completion),
    /// sorted, once each.
    pub fn names(&self, matches: impl Fn(&Symbol) -> Option<String>) -> Vec<String> {
        let mut names: Vec<String> = self
            .occurrences
            .iter()
            .filter(|o| matches!(o.role, Role::Definition | Role::Derived))
            .filter_map(|o| matches(&o.symbol))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The params a module file declares, with their types as written.
    pub fn params(&self, module: usize) -> Vec<(String, String)> {
        let Some(file) = self.files.get(module) else {
            return Vec::new();
        };
        file.document
            .blocks
            .iter()
            .filter(|b| b.kind.name == "param")
            .filter_map(|b| {
                let name = label_name(b)?.to_string();
                let ty = b
                    .attributes()
                    .find(|a| a.name.name == "type")
                    .map(|a| type_text(&a.value))
                    .unwrap_or_default();
                Some((name, ty))
            })
            .collect()
    }

    /// The instance a service named `INSTANCE-NAME` comes from (the longest
    /// instance name that prefixes it, among instances of a known module).
    pub fn instance_of_service(&self, service: &str) -> Option<&Instance> {
        self.instances
            .iter()
            .filter(|i| {
                i.module.is_some()
                    && service.len() > i.name.len()
                    && service.starts_with(&i.name)
                    && service.as_bytes()[i.name.len()] == b'-'
            })
            .max_by_key(|i| i.name.len())
    }

    /// The instance named `name`.
    pub fn instance(&self, name: &str) -> Option<&Instance> {
        self.instances.iter().find(|i| i.name == name)
    }
}

/// A param's type as written (`host`, `[disk]`).
pub fn type_text(value: &Value) -> String {
    match &value.kind {
        ValueKind::Reference(path) if path.len() == 1 => path[0].name.to_string(),
        ValueKind::List(items) if items.len() == 1 => format!("[{}]", type_text(&items[0])),
        _ => String::new(),
    }
}

/// A block's label when it is a string.
pub fn label_name(block: &Block) -> Option<&str> {
    match &block.label.as_ref()?.value {
        LabelValue::String(name) => Some(name),
        LabelValue::Integer(_) => None,
    }
}

/// The span of a label's characters, without its quotes, when it is
/// written plainly (`"name"`: no escape to keep).
pub fn label_name_span(block: &Block, text: &str) -> Option<Span> {
    let label = block.label.as_ref()?;
    let LabelValue::String(name) = &label.value else {
        return None;
    };
    let inner = Span::new(label.span.start() + 1, label.span.end().saturating_sub(1));
    (text.get(inner.start()..inner.end()) == Some(name.as_str())).then_some(inner)
}

fn string_attribute<'b>(block: &'b Block, name: &str) -> Option<&'b str> {
    block
        .attributes()
        .find(|a| a.name.name == name)
        .and_then(|a| match &a.value.kind {
            ValueKind::String(text) => Some(text.as_str()),
            _ => None,
        })
}

/// The walk over every file.
struct Walker<'f> {
    files: &'f [IndexedFile],
    /// Module instances by name: their module file.
    instances: HashMap<String, usize>,
    found: Vec<Occurrence>,
}

/// Where a block stands.
#[derive(Clone, Copy)]
struct Place<'p> {
    file: usize,
    /// The module file being walked.
    module: Option<usize>,
    /// Inside an `env` block: labels name the base's blocks.
    in_env: bool,
    /// The service the block is in.
    service: Option<&'p Symbol>,
    /// The module services the module file declares.
    module_services: &'p HashMap<usize, Vec<String>>,
}

impl Walker<'_> {
    /// The services each module file declares.
    fn module_services(&self) -> HashMap<usize, Vec<String>> {
        self.files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.role == FileRole::Module)
            .map(|(i, f)| {
                let names = f
                    .document
                    .blocks
                    .iter()
                    .filter(|b| b.kind.name == "service")
                    .filter_map(|b| label_name(b).map(str::to_string))
                    .collect();
                (i, names)
            })
            .collect()
    }

    fn push(&mut self, symbol: Symbol, file: usize, span: Span, role: Role) {
        self.found.push(Occurrence {
            symbol,
            file,
            span,
            role,
        });
    }

    /// The label of a declaring block.
    fn label(&mut self, block: &Block, place: Place<'_>, symbol: Symbol) {
        let text = &self.files[place.file].text;
        if let Some(span) = label_name_span(block, text) {
            let role = if place.in_env {
                Role::EnvBlock
            } else {
                Role::Definition
            };
            self.push(symbol, place.file, span, role);
        }
    }

    fn file(&mut self, file: usize, module_services: &HashMap<usize, Vec<String>>) {
        let files = self.files;
        let indexed = &files[file];
        let module = (indexed.role == FileRole::Module).then_some(file);
        let place = Place {
            file,
            module,
            in_env: false,
            service: None,
            module_services,
        };
        for block in &indexed.document.blocks {
            self.top_level(block, place);
        }
    }

    fn top_level(&mut self, block: &Block, place: Place<'_>) {
        let Some(name) = label_name(block).map(str::to_string) else {
            if block.kind.name == "stack" {
                self.attributes(block, &["stack"], place);
            }
            return;
        };
        match block.kind.name.as_str() {
            "host" => {
                self.label(block, place, Symbol::Host(name.clone()));
                for disk in block.blocks().filter(|b| b.kind.name == "disk") {
                    if let Some(disk_name) = label_name(disk) {
                        let symbol = Symbol::Disk(name.clone(), disk_name.to_string());
                        self.label(disk, place, symbol);
                    }
                }
            }
            "service" => {
                let symbol = match place.module {
                    Some(module) => Symbol::ModuleService(module, name),
                    None => Symbol::Service(name),
                };
                self.label(block, place, symbol.clone());
                self.service(block, place, &symbol);
            }
            "route" => {
                if place.module.is_none() {
                    self.label(block, place, Symbol::Route(name));
                }
                self.attributes(block, &["route"], place);
            }
            "param" => {
                if let Some(module) = place.module {
                    self.label(block, place, Symbol::Param(module, name));
                }
            }
            "module" => {
                self.label(block, place, Symbol::Module(name.clone()));
                self.module_arguments(block, &name, place);
            }
            "env" if !place.in_env => {
                self.label(block, place, Symbol::Environment(name));
                let inside = Place {
                    in_env: true,
                    ..place
                };
                for nested in block.blocks() {
                    self.top_level(nested, inside);
                }
            }
            _ => {}
        }
    }

    fn service(&mut self, block: &Block, place: Place<'_>, symbol: &Symbol) {
        let inside = Place {
            service: Some(symbol),
            ..place
        };
        self.attributes(block, &["service"], inside);
        for nested in block.blocks() {
            let kind = nested.kind.name.as_str();
            if kind == "port" {
                if let Some(port) = label_name(nested) {
                    let port = Symbol::Port(Box::new(symbol.clone()), port.to_string());
                    self.label(nested, inside, port);
                }
            }
            self.attributes(nested, &["service", kind], inside);
            for deeper in nested.blocks() {
                self.attributes(
                    deeper,
                    &["service", kind, deeper.kind.name.as_str()],
                    inside,
                );
            }
        }
    }

    /// The references in a block's attribute values.
    fn attributes(&mut self, block: &Block, path: &[&str], place: Place<'_>) {
        let doc = catalog::block_at(path);
        for attribute in block.attributes() {
            let values = doc
                .and_then(|d| d.attribute(&attribute.name.name))
                .map_or(Values::Other, |a| a.values);
            self.value(&attribute.value, values, place);
        }
    }

    /// The references in one value that takes `values`.
    fn value(&mut self, value: &Value, values: Values, place: Place<'_>) {
        if self.param_reference(value, place) {
            return;
        }
        match (&value.kind, values) {
            (ValueKind::List(items), Values::Refs(kind)) => {
                for item in items {
                    self.value(item, Values::Ref(kind), place);
                }
            }
            (ValueKind::Reference(_), Values::Ref(kind)) => self.reference(value, kind, place),
            (ValueKind::Object(entries), Values::Env) => {
                for entry in entries {
                    if matches!(&entry.value.kind, ValueKind::Reference(p) if p.len() >= 2) {
                        self.reference(&entry.value, RefKind::ServicePort, place);
                    } else {
                        self.param_reference(&entry.value, place);
                    }
                }
            }
            (ValueKind::List(_) | ValueKind::Object(_), _) if place.module.is_some() => {
                let items: Vec<&Value> = match &value.kind {
                    ValueKind::List(items) => items.iter().collect(),
                    ValueKind::Object(entries) => entries.iter().map(|e| &e.value).collect(),
                    _ => Vec::new(),
                };
                for item in items {
                    self.param_reference(item, place);
                }
            }
            _ => {}
        }
    }

    /// `param.NAME` in a module file.
    fn param_reference(&mut self, value: &Value, place: Place<'_>) -> bool {
        let (Some(module), ValueKind::Reference(path)) = (place.module, &value.kind) else {
            return false;
        };
        match path.as_slice() {
            [param, name] if param.name == "param" => {
                self.push(
                    Symbol::Param(module, name.name.to_string()),
                    place.file,
                    name.span,
                    Role::Reference,
                );
                true
            }
            _ => false,
        }
    }

    /// A service by the name written where `place` is: inside a module file,
    /// a service the module declares is the instance's.
    fn service_named(name: &str, place: Place<'_>) -> Symbol {
        match place.module {
            Some(module)
                if place
                    .module_services
                    .get(&module)
                    .is_some_and(|names| names.iter().any(|n| n == name)) =>
            {
                Symbol::ModuleService(module, name.to_string())
            }
            _ => Symbol::Service(name.to_string()),
        }
    }

    fn reference(&mut self, value: &Value, kind: RefKind, place: Place<'_>) {
        let ValueKind::Reference(path) = &value.kind else {
            return;
        };
        let file = place.file;
        match (kind, path.as_slice()) {
            (RefKind::Host, [host]) => {
                self.push(
                    Symbol::Host(host.name.to_string()),
                    file,
                    host.span,
                    Role::Reference,
                );
            }
            (RefKind::Service, [service]) => {
                let symbol = Self::service_named(&service.name, place);
                self.push(symbol, file, service.span, Role::Reference);
            }
            (RefKind::Disk, [host, disk]) => {
                self.push(
                    Symbol::Host(host.name.to_string()),
                    file,
                    host.span,
                    Role::Reference,
                );
                let symbol = Symbol::Disk(host.name.to_string(), disk.name.to_string());
                self.push(symbol, file, disk.span, Role::Reference);
            }
            (RefKind::ServicePort, [service, port, ..]) => {
                let symbol = Self::service_named(&service.name, place);
                self.push(symbol.clone(), file, service.span, Role::Reference);
                let port_symbol = Symbol::Port(Box::new(symbol), port.name.to_string());
                self.push(port_symbol, file, port.span, Role::Reference);
            }
            (RefKind::OwnPort, [port]) => {
                if let Some(service) = place.service {
                    let symbol = Symbol::Port(Box::new(service.clone()), port.name.to_string());
                    self.push(symbol, file, port.span, Role::Reference);
                }
            }
            _ => {}
        }
    }

    /// A `module` block's source and arguments: each argument names a param
    /// of the module file, and its value is a reference when the param's
    /// type is one.
    fn module_arguments(&mut self, block: &Block, instance: &str, place: Place<'_>) {
        let file = place.file;
        let module = self.module_of(instance, place);
        for attribute in block.attributes() {
            if attribute.name.name == "source" {
                if let (Some(module), ValueKind::String(_)) = (module, &attribute.value.kind) {
                    let span = attribute.value.span;
                    self.push(Symbol::File(module), file, span, Role::Reference);
                }
                continue;
            }
            let Some(module) = module else {
                continue;
            };
            let name = &attribute.name;
            self.push(
                Symbol::Param(module, name.name.to_string()),
                file,
                name.span,
                Role::Reference,
            );
            let ty = self.files[module]
                .document
                .blocks
                .iter()
                .find(|b| b.kind.name == "param" && label_name(b) == Some(name.name.as_str()))
                .and_then(|b| b.attributes().find(|a| a.name.name == "type"))
                .map(|a| type_text(&a.value))
                .unwrap_or_default();
            let values = match ty.as_str() {
                "host" => Values::Ref(RefKind::Host),
                "disk" => Values::Ref(RefKind::Disk),
                "service" => Values::Ref(RefKind::Service),
                "[host]" => Values::Refs(RefKind::Host),
                "[disk]" => Values::Refs(RefKind::Disk),
                "[service]" => Values::Refs(RefKind::Service),
                _ => Values::Other,
            };
            let outside = Place {
                module: None,
                ..place
            };
            self.value(&attribute.value, values, outside);
        }
    }

    /// The module file of the instance named `instance` (an environment's
    /// `module` block changes the base's instance, whose `source` it need
    /// not repeat).
    fn module_of(&self, instance: &str, _place: Place<'_>) -> Option<usize> {
        self.instances.get(instance).copied()
    }
}
