//! Syntax tree → typed declarations ([`crate::ast::Spec`]), checked against the
//! schema of LANGUAGE.md section 3: kinds, attributes, types, required values,
//! duplicates and value rules (E0101–E0108). One file per block kind.

pub mod catalog;
mod host;
mod reader;
mod repeats;
mod route;
mod service;
mod stack;
pub(crate) mod validate;
mod value;

use compact_str::CompactString;
use std::sync::Arc;

use crate::ast::{HostDecl, Name, RouteDecl, ServiceDecl, Spec, StackDecl};
use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::span::{Delta, Relocate, Span, Spanned};
use crate::syntax::{Block, Document, LabelValue};
use reader::BlockReader;
use smallvec::SmallVec;

const TOP_LEVEL_KINDS: &[&str] = &["stack", "host", "service", "route", "module", "env"];

/// Reads every top-level block; reports everything that does not fit the schema.
/// `complete` is false when blocks were lost to syntax errors: then a missing
/// `stack` block is not reported (it may be one of the lost blocks).
///
/// It consumes the document: each block's syntax tree is freed as soon as it is
/// read, so the tree and the declarations are never both whole in memory.
pub fn lower(document: Document, complete: bool, diags: &mut Diagnostics) -> Spec {
    lower_blocks(document.blocks).finish(complete, diags)
}

/// Blocks from which lowering is split over two threads: each block is read on
/// its own, so the halves are independent and are joined in order.
const PARALLEL_FROM: usize = 512;

fn lower_blocks(mut blocks: Vec<Block>) -> Lowering {
    if blocks.len() < PARALLEL_FROM {
        return Lowering::of(blocks);
    }
    let second = blocks.split_off(blocks.len() / 2);
    let (mut earlier, later) =
        crate::parallel::both(|| Lowering::of(blocks), || Lowering::of(second));
    earlier.append(later);
    earlier
}

/// Lowering in progress over a run of top-level blocks, fed one block at a time
/// (by [`lower`], or by the parser as it reads them: `syntax::parse_each`). Runs
/// are independent: two runs lowered apart and appended in file order give what
/// one run over all their blocks gives.
#[derive(Default)]
pub struct Lowering {
    spec: Spec,
    stacks: Vec<crate::ast::StackDecl>,
    diags: Diagnostics,
}

impl Lowering {
    pub fn new() -> Self {
        Self::default()
    }

    fn of(blocks: Vec<Block>) -> Self {
        let mut lowering = Self::new();
        for block in blocks {
            lowering.block(&block);
        }
        lowering
    }

    /// Reads one top-level block.
    pub fn block(&mut self, block: &Block) {
        let lowered = lower_block(block, &mut self.diags);
        self.push(lowered);
    }

    /// Adds a block lowered apart (by [`lower_block`]; its diagnostics go
    /// through [`Lowering::diagnostics_mut`]).
    pub fn push(&mut self, lowered: Lowered) {
        match lowered {
            Lowered::Stack(stack) => self.stacks.push(*stack),
            Lowered::Host(host) => self.spec.hosts.push(host),
            Lowered::Service(service) => self.spec.services.push(service),
            Lowered::Route(route) => self.spec.routes.push(route),
            Lowered::Nothing => {}
        }
    }

    /// Where the lowering's own diagnostics go (for what its caller finds in
    /// the blocks it hands over).
    pub fn diagnostics_mut(&mut self) -> &mut Diagnostics {
        &mut self.diags
    }

    /// How many services and routes are lowered so far: where a module
    /// instance read later is to stand.
    pub fn counts(&self) -> (usize, usize) {
        (self.spec.services.len(), self.spec.routes.len())
    }

    /// The kinds and names of the hosts, services and routes lowered so far.
    pub fn names(&self) -> Vec<(&'static str, String)> {
        let hosts = self
            .spec
            .hosts
            .iter()
            .map(|h| ("host", h.name.value.to_string()));
        let services = self
            .spec
            .services
            .iter()
            .map(|s| ("service", s.name.value.to_string()));
        let routes = self
            .spec
            .routes
            .iter()
            .map(|r| ("route", r.name.value.to_string()));
        hosts.chain(services).chain(routes).collect()
    }

    /// Takes the `stack` blocks out (an included file may hold none: E0108).
    pub fn take_stacks(&mut self) -> Vec<crate::ast::StackDecl> {
        std::mem::take(&mut self.stacks)
    }

    /// The `stack` block read so far, if any.
    pub fn stack(&self) -> Option<&crate::ast::StackDecl> {
        self.stacks.first()
    }

    /// Puts each lowering of `inserts` where its counts say (as returned by
    /// [`Lowering::counts`] when its `module` block was read), in one pass:
    /// the counts must not decrease along `inserts`.
    pub fn splice(&mut self, inserts: Vec<((usize, usize), Lowering)>) {
        if inserts.is_empty() {
            return;
        }
        let services = std::mem::take(&mut self.spec.services);
        let routes = std::mem::take(&mut self.spec.routes);
        // Sized once for the instances too: appended one by one, 10,000 of
        // them would grow the lists instance by instance.
        let added = Counts::of(inserts.iter().map(|(_, inserted)| inserted));
        self.spec.hosts.reserve_exact(added.hosts);
        self.spec
            .services
            .reserve_exact(services.len() + added.services);
        self.spec.routes.reserve_exact(routes.len() + added.routes);
        let (mut services, mut routes) = (services.into_iter(), routes.into_iter());
        let (mut services_done, mut routes_done) = (0, 0);
        for ((services_at, routes_at), inserted) in inserts {
            while services_done < services_at {
                self.spec.services.extend(services.next());
                services_done += 1;
            }
            while routes_done < routes_at {
                self.spec.routes.extend(routes.next());
                routes_done += 1;
            }
            self.append(inserted);
        }
        self.spec.services.extend(services);
        self.spec.routes.extend(routes);
    }

    /// Makes room for the declarations of `runs`, to be appended.
    pub fn reserve_for<'l>(&mut self, runs: impl Iterator<Item = &'l Lowering>) {
        let added = Counts::of(runs);
        self.spec.hosts.reserve_exact(added.hosts);
        self.spec.services.reserve_exact(added.services);
        self.spec.routes.reserve_exact(added.routes);
    }

    /// Adds the run of blocks that follows this one in the file.
    pub fn append(&mut self, later: Lowering) {
        // Exactly: doubling a vector of 10,000 declarations would touch
        // megabytes of fresh memory that nothing uses.
        self.spec.hosts.reserve_exact(later.spec.hosts.len());
        self.spec.services.reserve_exact(later.spec.services.len());
        self.spec.hosts.extend(later.spec.hosts);
        self.spec.services.extend(later.spec.services);
        self.spec.routes.extend(later.spec.routes);
        self.stacks.extend(later.stacks);
        self.diags.extend(later.diags);
    }

    /// The declarations, once every block is read, with the rules across
    /// blocks: one `stack` block (only when `complete`, see [`lower`]), unique
    /// names.
    pub fn finish(self, complete: bool, diags: &mut Diagnostics) -> Spec {
        let Lowering {
            mut spec,
            stacks,
            diags: lowered,
        } = self;
        diags.extend(lowered);
        if complete || !stacks.is_empty() {
            check_single_stack(&stacks, diags);
        }
        spec.stack = stacks.into_iter().next();
        crate::timings::phase("unique names", || {
            unique_names(spec.hosts.iter().map(|h| &h.name), "host", diags);
            unique_names(spec.services.iter().map(|s| &s.name), "service", diags);
            unique_names(spec.routes.iter().map(|r| &r.name), "route", diags);
        });
        spec
    }
}

/// How many hosts, services and routes some lowerings hold in all.
#[derive(Default)]
struct Counts {
    hosts: usize,
    services: usize,
    routes: usize,
}

impl Counts {
    fn of<'l>(lowerings: impl Iterator<Item = &'l Lowering>) -> Self {
        let mut counts = Self::default();
        for lowering in lowerings {
            counts.hosts += lowering.spec.hosts.len();
            counts.services += lowering.spec.services.len();
            counts.routes += lowering.spec.routes.len();
        }
        counts
    }
}

/// One top-level block's declaration.
#[derive(Debug, Clone)]
pub enum Lowered {
    Stack(Box<StackDecl>),
    Host(Arc<HostDecl>),
    Service(Arc<ServiceDecl>),
    Route(Arc<RouteDecl>),
    /// A kind the schema does not know (reported).
    Nothing,
}

impl Relocate for Lowered {
    fn relocate(&mut self, by: Delta) {
        match self {
            Self::Stack(stack) => stack.relocate(by),
            Self::Host(host) => Arc::make_mut(host).relocate(by),
            // In place when nothing else holds it (a copy otherwise).
            Self::Service(service) => Arc::make_mut(service).relocate(by),
            Self::Route(route) => Arc::make_mut(route).relocate(by),
            Self::Nothing => {}
        }
    }
}

/// Reads one top-level block on its own.
pub fn lower_block(block: &Block, diags: &mut Diagnostics) -> Lowered {
    match block.kind.name.as_str() {
        "stack" => Lowered::Stack(Box::new(stack::lower(block, diags))),
        "host" => Lowered::Host(Arc::new(host::lower(block, diags))),
        "service" => Lowered::Service(Arc::new(service::lower(block, diags))),
        "route" => Lowered::Route(Arc::new(route::lower(block, diags))),
        other => {
            diags.push(unknown_top_level_kind(block, other));
            Lowered::Nothing
        }
    }
}

fn unknown_top_level_kind(block: &Block, kind: &str) -> Diagnostic {
    unknown_block_kind(block, kind, TOP_LEVEL_KINDS, "top-level blocks are")
}

/// E0101 for a block kind not among `known` (listed after `known_are` when
/// no kind is close).
pub(crate) fn unknown_block_kind(
    block: &Block,
    kind: &str,
    known: &[&str],
    known_are: &str,
) -> Diagnostic {
    let close = did_you_mean(kind, known.iter().copied());
    let help = match close {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("{known_are}: {}", known.join(", ")),
    };
    let diag = Diagnostic::new(
        Code::E0101,
        block.kind.span,
        format!("unknown block kind `{kind}`"),
    )
    .with_primary_label("unknown block kind")
    .with_help(help);
    match close {
        Some(close) => diag.with_fix(block.kind.span, close),
        None => diag,
    }
}

fn check_single_stack(stacks: &[crate::ast::StackDecl], diags: &mut Diagnostics) {
    match stacks {
        [] => diags.push(
            Diagnostic::new(Code::E0108, Span::point(0), "no `stack` block")
                .with_primary_label("the file needs one `stack \"NAME\" { … }` block")
                .with_help("add `stack \"NAME\" { domain = \"example.com\" }`"),
        ),
        [_] => {}
        [first, rest @ ..] => {
            for again in rest {
                diags.push(
                    Diagnostic::new(Code::E0108, again.head, "more than one `stack` block")
                        .with_primary_label("another stack block")
                        .with_label(first.head, "the first stack block")
                        .with_help("a file describes exactly one stack: merge the blocks or split the file"),
                );
            }
        }
    }
}

/// E0105 for every name declared twice among `names` (one kind, one scope).
pub(crate) fn unique_names<'n>(
    names: impl Iterator<Item = &'n Name>,
    what: &str,
    diags: &mut Diagnostics,
) {
    // A missing name is empty, and already reported. (Most scopes are a
    // service's few ports or volumes: their lists stay off the heap.)
    let names: SmallVec<[&Name; 8]> = names.filter(|name| !name.value.is_empty()).collect();
    let keys: SmallVec<[&str; 8]> = names.iter().map(|name| name.value.as_str()).collect();
    for (again, first) in repeats::repeats(&keys) {
        let (name, first) = (names[again], names[first]);
        diags.push(
            Diagnostic::new(
                Code::E0105,
                name.span,
                format!("{what} `{}` is defined twice", name.value),
            )
            .with_primary_label("defined again here")
            .with_label(first.span, "first defined here")
            .with_help(format!("rename one of them: {what} names are unique")),
        );
    }
}

/// The block's name label, checked for name syntax (E0104, E0103, E0107).
pub(crate) fn name_label(reader: &mut BlockReader<'_, '_>, block: &Block) -> Name {
    let kind = &block.kind.name;
    let Some(label) = &block.label else {
        reader.diags.push(
            Diagnostic::new(
                Code::E0104,
                block.kind.span,
                format!("`{kind}` block has no name"),
            )
            .with_primary_label("needs a name")
            .with_help(format!("write `{kind} \"NAME\" {{ … }}`")),
        );
        return Spanned::new(CompactString::default(), block.kind.span);
    };
    match &label.value {
        LabelValue::String(text) => {
            if let Err(message) = validate::name(text) {
                reader.diags.push(
                    Diagnostic::new(Code::E0107, label.span, message)
                        .with_primary_label("invalid name")
                        .with_help("names become Salt IDs, Nomad job and Consul service names: [a-z][a-z0-9-]{0,62}"),
                );
            }
            Spanned::new(CompactString::from(text.as_str()), label.span)
        }
        LabelValue::Integer(text) => {
            reader.diags.push(
                Diagnostic::new(
                    Code::E0103,
                    label.span,
                    format!("`{kind}` name must be a string"),
                )
                .with_primary_label("a number")
                .with_help(format!("write `{kind} \"{kind}-{text}\" {{ … }}`")),
            );
            Spanned::new(CompactString::default(), label.span)
        }
    }
}

/// Blocks that take no label (`health`, `backup`).
pub(crate) fn no_label(reader: &mut BlockReader<'_, '_>, block: &Block) {
    if let Some(label) = &block.label {
        let kind = &block.kind.name;
        reader.diags.push(
            Diagnostic::new(
                Code::E0107,
                label.span,
                format!("a `{kind}` block takes no label"),
            )
            .with_primary_label("unexpected label")
            .with_help(format!("write `{kind} {{ … }}`")),
        );
    }
}

/// Reports a value rule broken by an attribute (E0107).
pub(crate) fn check_value<T>(
    diags: &mut Diagnostics,
    value: &Spanned<T>,
    rule: impl Fn(&T) -> Result<(), String>,
    help: Option<&str>,
) {
    if let Err(message) = rule(&value.value) {
        let diag =
            Diagnostic::new(Code::E0107, value.span, message).with_primary_label("invalid value");
        diags.push(diag.with_optional_help(help.map(str::to_string)));
    }
}

/// E0107 when an integer lies outside `min..=max`.
pub(crate) fn check_range(
    diags: &mut Diagnostics,
    value: &Spanned<u64>,
    what: &str,
    min: u64,
    max: u64,
) {
    check_value(diags, value, |n| in_range(*n, what, min, max), None);
}

/// The rule "`what` lies in `min..=max`".
pub(crate) fn in_range(n: u64, what: &str, min: u64, max: u64) -> Result<(), String> {
    if (min..=max).contains(&n) {
        Ok(())
    } else if max == u64::MAX {
        Err(format!("{what} must be at least {min}, not {n}"))
    } else {
        Err(format!("{what} must be between {min} and {max}, not {n}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key written three times in one object is two repeats, each pointing
    /// at the key's first occurrence; the first value is the one kept.
    #[test]
    fn repeated_object_keys_point_at_the_first() {
        let text = "service \"a\" {\n  runtime = nomad\n  image = \"x:1\"\n  memory = 1GiB\n  cpu = 1\n  env = {\n    K = \"1\"\n    L = \"2\"\n    K = \"3\"\n    K = \"4\"\n  }\n}\n";
        let (document, parse_diags) = crate::syntax::parse(text);
        assert!(parse_diags.is_empty());
        let mut diags = Diagnostics::new();
        let spec = lower(document, true, &mut diags);
        let repeats: Vec<_> = diags.iter().filter(|d| d.code == Code::E0106).collect();
        assert_eq!(repeats.len(), 2, "{diags:?}");
        let first = Span::new(
            text.find("K = \"1\"").unwrap(),
            text.find("K = \"1\"").unwrap() + 1,
        );
        for repeat in &repeats {
            assert_eq!(repeat.message, "duplicate key `K`");
            assert_eq!(repeat.secondary[0].span, first, "{repeat:?}");
        }
        let env = &spec.services[0].env;
        assert_eq!(env.len(), 2, "{env:?}");
        assert!(format!("{env:?}").contains("\"1\""), "{env:?}");
    }

    /// Lowering on two threads gives the declarations and diagnostics (once
    /// sorted, as the driver sorts them) of lowering in one run.
    #[test]
    fn split_lowering_equals_one_run() {
        let mut text = String::from("stack \"s\" {\n  domain = \"example.com\"\n}\n");
        for i in 0..PARALLEL_FROM + 37 {
            // Every seventh block has an unknown attribute, every eleventh a
            // duplicate name: diagnostics from both halves and across them.
            let name = if i % 11 == 0 { 0 } else { i };
            let extra = if i % 7 == 0 { "  colour = 1\n" } else { "" };
            text.push_str(&format!(
                "host \"h{name}\" {{\n  address = \"10.0.{}.{}\"\n  memory = 8GiB\n  cpus = 4\n{extra}}}\n",
                i / 250,
                i % 250 + 1
            ));
        }
        text.push_str("stack \"again\" {\n  domain = \"example.org\"\n}\n");
        let (document, parse_diags) = crate::syntax::parse(&text);
        assert!(parse_diags.is_empty());
        assert!(document.blocks.len() >= PARALLEL_FROM);

        let mut split_diags = Diagnostics::new();
        let split = lower(document.clone(), true, &mut split_diags);
        let mut one_run_diags = Diagnostics::new();
        let one_run = Lowering::of(document.blocks).finish(true, &mut one_run_diags);

        split_diags.sort();
        one_run_diags.sort();
        assert!(split_diags.len() > 100, "{} diagnostics", split_diags.len());
        assert_eq!(split_diags.into_vec(), one_run_diags.into_vec());
        assert_eq!(format!("{split:?}"), format!("{one_run:?}"));
    }
}
