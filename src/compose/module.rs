//! Modules (LANGUAGE.md section 11): a module file read once — its `param`
//! blocks and the `service` and `route` blocks it stamps out — and each
//! `module` block made into its instance's blocks.

use std::collections::{HashMap, HashSet};

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::span::Span;
use crate::syntax::{Block, Document, Item, LabelValue, Unit, Value, ValueKind};

/// The scalar types of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    String,
    Int,
    Number,
    Bool,
    Size,
    Percent,
    Duration,
    Host,
    Disk,
    Service,
}

const SCALARS: &[(&str, Scalar)] = &[
    ("string", Scalar::String),
    ("int", Scalar::Int),
    ("number", Scalar::Number),
    ("bool", Scalar::Bool),
    ("size", Scalar::Size),
    ("percent", Scalar::Percent),
    ("duration", Scalar::Duration),
    ("host", Scalar::Host),
    ("disk", Scalar::Disk),
    ("service", Scalar::Service),
];

impl Scalar {
    fn describe(self) -> &'static str {
        match self {
            Scalar::String => "a string",
            Scalar::Int => "an integer",
            Scalar::Number => "a number",
            Scalar::Bool => "a boolean",
            Scalar::Size => "a size (`20GiB`)",
            Scalar::Percent => "a percentage",
            Scalar::Duration => "a duration (`30s`)",
            Scalar::Host => "a host name",
            Scalar::Disk => "a disk (`HOST.DISK`)",
            Scalar::Service => "a service name",
        }
    }

    fn accepts(self, value: &Value) -> bool {
        match (&value.kind, self) {
            (ValueKind::String(_), Scalar::String) | (ValueKind::Bool(_), Scalar::Bool) => true,
            (ValueKind::Number(n), Scalar::Int) => n.unit.is_none() && !n.digits.contains('.'),
            (ValueKind::Number(n), Scalar::Number) => n.unit.is_none(),
            (ValueKind::Number(n), Scalar::Size) => matches!(n.unit, Some(Unit::Size(_))),
            (ValueKind::Number(n), Scalar::Percent) => n.unit == Some(Unit::Percent),
            (ValueKind::Number(n), Scalar::Duration) => matches!(n.unit, Some(Unit::Duration(_))),
            (ValueKind::Reference(path), Scalar::Host | Scalar::Service) => path.len() == 1,
            (ValueKind::Reference(path), Scalar::Disk) => path.len() == 2,
            _ => false,
        }
    }
}

/// A parameter's type: a scalar, or a list of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ParamType {
    scalar: Scalar,
    list: bool,
}

impl ParamType {
    fn describe(self) -> String {
        if self.list {
            format!(
                "a list of {}",
                self.scalar
                    .describe()
                    .trim_start_matches("a ")
                    .trim_start_matches("an ")
            )
        } else {
            self.scalar.describe().to_string()
        }
    }

    fn accepts(self, value: &Value) -> bool {
        match (&value.kind, self.list) {
            (ValueKind::List(items), true) => items.iter().all(|i| self.scalar.accepts(i)),
            (_, false) => self.scalar.accepts(value),
            _ => false,
        }
    }
}

#[derive(Debug)]
struct Param {
    name: String,
    span: Span,
    ty: ParamType,
    default: Option<Value>,
}

/// A module file, read and checked once, in its own coordinates (local spans).
#[derive(Debug)]
pub(super) struct ModuleFile {
    /// The module file's folder, relative to the root's.
    pub folder: String,
    /// The base of the module file's own entry in the source map.
    pub base: usize,
    params: Vec<Param>,
    /// Its `service` and `route` blocks.
    blocks: Vec<Block>,
    /// The services it declares (module-local names).
    services: HashSet<String>,
    /// The file itself has errors: it is not stamped out (they are reported
    /// once, not once per instance).
    pub broken: bool,
}

impl ModuleFile {
    /// Reads a module file's document (spans local), reporting at `base` what
    /// does not belong in one.
    pub(super) fn read(
        document: Document,
        parse_failed: bool,
        folder: String,
        base: usize,
        diags: &mut Diagnostics,
    ) -> Self {
        let mut found = Diagnostics::new();
        let mut params = Vec::new();
        let mut blocks = Vec::new();
        for block in document.blocks {
            match block.kind.name.as_str() {
                "param" => {
                    if let Some(param) = read_param(&block, &mut found) {
                        if let Some(first) = params.iter().find(|p: &&Param| p.name == param.name) {
                            found.push(
                                Diagnostic::new(Code::E0105, param.span, format!("parameter `{}` is declared twice", param.name))
                                    .with_primary_label("declared again here")
                                    .with_label(first.span, "first declared here"),
                            );
                        } else {
                            params.push(param);
                        }
                    }
                }
                "service" | "route" => blocks.push(block),
                kind @ ("stack" | "host" | "module" | "env") => found.push(
                    Diagnostic::new(Code::E0109, block.head(), format!("a `{kind}` block in a module file"))
                        .with_primary_label("not allowed in a module")
                        .with_help("a module file holds `param`, `service` and `route` blocks; a module instantiates no module"),
                ),
                other => {
                    let close = did_you_mean(other, ["param", "service", "route"]);
                    let help = match close {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => "a module file holds `param`, `service` and `route` blocks".into(),
                    };
                    found.push(
                        Diagnostic::new(Code::E0101, block.kind.span, format!("unknown block kind `{other}`"))
                            .with_primary_label("unknown block kind")
                            .with_help(help)
                            .with_optional_fix(close.map(|c| (block.kind.span, c.to_string()))),
                    );
                }
            }
        }
        let declared: HashSet<&str> = params.iter().map(|p| p.name.as_str()).collect();
        for block in &blocks {
            super::params::each_param_reference(block, &mut |span, ident| {
                let name = ident.name.as_str();
                if !declared.contains(name) {
                    let close = did_you_mean(name, declared.iter().copied());
                    let help = match close {
                        Some(close) => format!("did you mean `param.{close}`?"),
                        None => format!("declare it: `param \"{name}\" {{ type = string }}`"),
                    };
                    found.push(
                        Diagnostic::new(Code::E0201, span, format!("unknown parameter `{name}`"))
                            .with_primary_label("not declared in this module")
                            .with_help(help)
                            .with_optional_fix(close.map(|c| (ident.span, c.to_string()))),
                    );
                }
            });
        }
        let services = blocks
            .iter()
            .filter(|b| b.kind.name == "service")
            .filter_map(label_text)
            .collect();
        let broken = parse_failed || found.has_errors();
        diags.extend(found.shifted(base));
        Self {
            folder,
            base,
            params,
            blocks,
            services,
            broken,
        }
    }
}

fn label_text(block: &Block) -> Option<String> {
    match &block.label.as_ref()?.value {
        LabelValue::String(s) => Some(s.to_string()),
        LabelValue::Integer(_) => None,
    }
}

fn read_param(block: &Block, diags: &mut Diagnostics) -> Option<Param> {
    let Some(name) = label_text(block) else {
        diags.push(
            Diagnostic::new(Code::E0104, block.kind.span, "`param` block has no name")
                .with_primary_label("needs a name")
                .with_help("write `param \"NAME\" { type = string }`"),
        );
        return None;
    };
    let span = block.label.as_ref().map_or(block.kind.span, |l| l.span);
    let mut ty = None;
    let mut default = None;
    for item in &block.items {
        match item {
            Item::Attribute(a) if a.name.name == "type" => ty = param_type(&a.value, diags),
            Item::Attribute(a) if a.name.name == "default" => default = Some(a.value.clone()),
            Item::Attribute(a) => diags.push(
                Diagnostic::new(
                    Code::E0102,
                    a.name.span,
                    format!("unknown attribute `{}`", a.name.name),
                )
                .with_primary_label("unknown attribute")
                .with_help("a `param` block has `type` and `default`"),
            ),
            Item::Block(b) => diags.push(
                Diagnostic::new(Code::E0109, b.head(), "a block inside a `param` block")
                    .with_primary_label("not allowed here"),
            ),
        }
    }
    let Some(ty) = ty else {
        if !block.attributes().any(|a| a.name.name == "type") {
            diags.push(
                Diagnostic::new(Code::E0104, block.head(), format!("parameter `{name}` has no `type`"))
                    .with_primary_label("needs a type")
                    .with_help("add `type = string` (or int, number, bool, size, percent, duration, host, disk, service, or a list such as [host])"),
            );
        }
        return None;
    };
    if let Some(value) = &default {
        if !ty.accepts(value) {
            diags.push(wrong_type(&name, ty, value, "default of parameter"));
        }
    }
    Some(Param {
        name,
        span,
        ty,
        default,
    })
}

fn param_type(value: &Value, diags: &mut Diagnostics) -> Option<ParamType> {
    let (inner, list) = match &value.kind {
        ValueKind::List(items) if items.len() == 1 => (&items[0], true),
        _ => (value, false),
    };
    let scalar = match &inner.kind {
        ValueKind::Reference(path) if path.len() == 1 => SCALARS
            .iter()
            .find(|(n, _)| *n == path[0].name)
            .map(|(_, s)| *s),
        _ => None,
    };
    if scalar.is_none() {
        let written = match &inner.kind {
            ValueKind::Reference(path) if path.len() == 1 => path[0].name.clone(),
            _ => compact_str::CompactString::default(),
        };
        let close = did_you_mean(&written, SCALARS.iter().map(|(n, _)| *n));
        let help = match close {
            Some(close) => format!("did you mean `{close}`?"),
            None => "a type is one of string, int, number, bool, size, percent, duration, host, disk, service, or a one-element list such as [host]".into(),
        };
        diags.push(
            Diagnostic::new(Code::E0103, value.span, "unknown parameter type")
                .with_primary_label("not a type")
                .with_help(help)
                .with_optional_fix(close.map(|c| (inner.span, c.to_string()))),
        );
    }
    Some(ParamType {
        scalar: scalar?,
        list,
    })
}

fn wrong_type(name: &str, ty: ParamType, value: &Value, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0103,
        value.span,
        format!(
            "{what} `{name}` must be {}, not {}",
            ty.describe(),
            value.kind.describe()
        ),
    )
    .with_primary_label(format!("expected {}", ty.describe()))
}

/// A `module` block, read: the instance's name, its source and its arguments.
pub(super) struct ModuleCall<'b> {
    pub name: String,
    pub head: Span,
    pub source: Option<(&'b str, Span)>,
    args: Vec<(&'b crate::syntax::Ident, &'b Value)>,
}

/// Reads a `module` block (E0104 without a name or `source`, E0103 for a
/// `source` that is not a string, E0106 for an argument given twice).
pub(super) fn call<'b>(block: &'b Block, diags: &mut Diagnostics) -> Option<ModuleCall<'b>> {
    let mut source = None;
    let mut args: Vec<(&crate::syntax::Ident, &Value)> = Vec::new();
    let mut ok = true;
    for item in &block.items {
        match item {
            Item::Attribute(a) if a.name.name == "source" => match &a.value.kind {
                ValueKind::String(path) => source = Some((path.as_str(), a.value.span)),
                _ => {
                    diags.push(
                        Diagnostic::new(Code::E0103, a.value.span, "`source` must be a string")
                            .with_primary_label(a.value.kind.describe())
                            .with_help(
                                "write the module file's path: `source = \"modules/app.eos\"`",
                            ),
                    );
                    ok = false;
                }
            },
            Item::Attribute(a) => {
                if let Some((first, _)) = args.iter().find(|(n, _)| n.name == a.name.name) {
                    diags.push(
                        Diagnostic::new(
                            Code::E0106,
                            a.name.span,
                            format!("argument `{}` is given twice", a.name.name),
                        )
                        .with_primary_label("again here")
                        .with_label(first.span, "first given here"),
                    );
                    ok = false;
                } else {
                    args.push((&a.name, &a.value));
                }
            }
            Item::Block(b) => {
                diags.push(
                    Diagnostic::new(Code::E0109, b.head(), "a block inside a `module` block")
                        .with_primary_label("not allowed here")
                        .with_help("a `module` block holds `source` and the module's arguments, as attributes"),
                );
                ok = false;
            }
        }
    }
    let name = match &block.label {
        Some(label) => match &label.value {
            LabelValue::String(name) => match crate::schema::validate::name(name) {
                Ok(()) => Some(name.clone()),
                Err(message) => {
                    diags.push(
                        Diagnostic::new(Code::E0107, label.span, message)
                            .with_primary_label("invalid name"),
                    );
                    None
                }
            },
            LabelValue::Integer(_) => {
                diags.push(
                    Diagnostic::new(Code::E0103, label.span, "`module` name must be a string")
                        .with_primary_label("a number"),
                );
                None
            }
        },
        None => {
            diags.push(
                Diagnostic::new(Code::E0104, block.kind.span, "`module` block has no name")
                    .with_primary_label("needs a name")
                    .with_help("write `module \"wiki\" { source = \"modules/app.eos\" … }`: the name prefixes its services"),
            );
            None
        }
    };
    if source.is_none() && ok && !block.attributes().any(|a| a.name.name == "source") {
        diags.push(
            Diagnostic::new(Code::E0104, block.head(), "`module` block has no `source`")
                .with_primary_label("needs a `source`")
                .with_help("add `source = \"modules/NAME.eos\"`, the module file's path relative to this file"),
        );
    }
    Some(ModuleCall {
        name: name?.to_string(),
        head: block.head(),
        source,
        args,
    })
    .filter(|_| ok)
}

/// The instance's blocks, in the stack's offsets from `base` (its own entry),
/// or `None` when its arguments do not fit the module (reported).
pub(super) fn instantiate(
    module: &ModuleFile,
    call: &ModuleCall<'_>,
    base: usize,
    diags: &mut Diagnostics,
) -> Option<Vec<Block>> {
    let mut ok = true;
    for (name, value) in &call.args {
        match module.params.iter().find(|p| p.name == name.name) {
            Some(param) if !param.ty.accepts(value) => {
                diags.push(wrong_type(&name.name, param.ty, value, "argument"));
                ok = false;
            }
            Some(_) => {}
            None => {
                let close = did_you_mean(&name.name, module.params.iter().map(|p| p.name.as_str()));
                let help = match close {
                    Some(close) => format!("did you mean `{close}`?"),
                    None if module.params.is_empty() => "the module declares no parameters".into(),
                    None => format!(
                        "the module's parameters are: {}",
                        module
                            .params
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                diags.push(
                    Diagnostic::new(
                        Code::E0102,
                        name.span,
                        format!("the module has no parameter `{}`", name.name),
                    )
                    .with_primary_label("unknown argument")
                    .with_help(help)
                    .with_optional_fix(close.map(|c| (name.span, c.to_string()))),
                );
                ok = false;
            }
        }
    }
    let shift = base;
    let mut defaults = Vec::new();
    for param in &module.params {
        if call.args.iter().any(|(n, _)| n.name == param.name) {
            continue;
        }
        match &param.default {
            Some(default) => {
                let mut value = default.clone();
                value.shift(shift);
                defaults.push((param.name.as_str(), value));
            }
            None => {
                diags.push(
                    Diagnostic::new(
                        Code::E0104,
                        call.head,
                        format!("missing argument `{}`", param.name),
                    )
                    .with_primary_label(format!("needs `{}`", param.name))
                    .with_label(param.span.shifted(module.base), "declared here")
                    .with_help(format!(
                        "add `{} = …` ({})",
                        param.name,
                        param.ty.describe()
                    )),
                );
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    let mut args: HashMap<&str, &Value> = call
        .args
        .iter()
        .map(|(n, v)| (n.name.as_str(), *v))
        .collect();
    for (name, value) in &defaults {
        args.insert(name, value);
    }
    let blocks = module
        .blocks
        .iter()
        .map(|block| {
            let mut block = block.clone();
            block.shift(base);
            rename_local(&mut block, &call.name, &module.services);
            super::params::substitute(&mut block, &args);
            super::reading::prepare(&mut block, &module.folder);
            block
        })
        .collect();
    Some(blocks)
}

/// The instance's names: its blocks' labels become `INSTANCE-NAME`, and the
/// module's references to its own services follow (`after`, `to`, connections
/// in `env`).
fn rename_local(block: &mut Block, instance: &str, services: &HashSet<String>) {
    if let Some(label) = &mut block.label {
        if let LabelValue::String(name) = &mut label.value {
            *name = format!("{instance}-{name}").into();
        }
    }
    let rename = |value: &mut Value| {
        if let ValueKind::Reference(path) = &mut value.kind {
            if !path.is_empty()
                && path[0].name != "param"
                && services.contains(path[0].name.as_str())
            {
                path[0].name = compact_str::format_compact!("{instance}-{}", path[0].name);
            }
        }
    };
    for item in &mut block.items {
        let Item::Attribute(attribute) = item else {
            continue;
        };
        match (block.kind.name.as_str(), attribute.name.name.as_str()) {
            ("service", "after") => {
                if let ValueKind::List(items) = &mut attribute.value.kind {
                    items.iter_mut().for_each(rename);
                }
            }
            ("service", "env") => {
                if let ValueKind::Object(entries) = &mut attribute.value.kind {
                    for entry in entries.iter_mut() {
                        rename(&mut entry.value);
                    }
                }
            }
            ("route", "to") => rename(&mut attribute.value),
            _ => {}
        }
    }
}
