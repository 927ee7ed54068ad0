//! Conversions from syntax values to typed values, one impl per schema type.
//! Each conversion reports its own diagnostics (E0103 wrong type, E0107 invalid).

use compact_str::CompactString;
use smallvec::SmallVec;

use crate::ast::{
    Auth, BackupHook, Capability, CpuRange, DiskKind, IoClass, NomadEdition, Percent, PortProtocol,
    Reference, RouteProtocol, Runtime, VolumeBackend,
};
use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::span::Spanned;
use crate::syntax::{Decimal, ScaleError, Unit, Value, ValueKind};

/// A schema type a value can be converted to.
pub(crate) trait FromValue: Sized {
    /// What the type is, with an example, for "expected …" messages.
    fn expected() -> String;
    fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self>;
}

pub(crate) fn wrong_type(value: &Value, expected: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0103,
        value.span,
        format!("expected {expected}, found {}", value.kind.describe()),
    )
    .with_primary_label(format!("expected {expected}"))
}

fn invalid(value: &Value, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::E0107, value.span, message)
}

/// Salt evaluates state arguments that start with this, even without Jinja.
const SALT_SLOT: &str = "__slot__:";

/// The text of a string value, or why it is not one (reported).
fn string_value<'v>(value: &'v Value, diags: &mut Diagnostics) -> Option<&'v str> {
    match &value.kind {
        ValueKind::String(text) if text.starts_with(SALT_SLOT) => {
            diags.push(
                Diagnostic::new(Code::E0107, value.span, format!("a value may not start with `{SALT_SLOT}`"))
                    .with_primary_label("Salt would run this as a function call")
                    .with_help("Salt treats any state argument starting with `__slot__:` as code; write the value differently"),
            );
            None
        }
        ValueKind::String(text) => Some(text),
        ValueKind::Reference(_) => {
            diags.push(
                wrong_type(value, "a string")
                    .with_help("put the text in double quotes: strings are always quoted"),
            );
            None
        }
        _ => {
            diags.push(wrong_type(value, "a string"));
            None
        }
    }
}

impl FromValue for String {
    fn expected() -> String {
        "a string".into()
    }
    fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
        string_value(value, diags).map(str::to_string)
    }
}

/// The strings of the declarations: most are short (names, keys, values
/// like `info`), and up to 24 bytes are held inline, without an allocation.
impl FromValue for CompactString {
    fn expected() -> String {
        "a string".into()
    }
    fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
        string_value(value, diags).map(CompactString::from)
    }
}

impl FromValue for bool {
    fn expected() -> String {
        "`true` or `false`".into()
    }
    fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
        if let ValueKind::Bool(b) = value.kind {
            Some(b)
        } else {
            diags.push(wrong_type(value, &Self::expected()));
            None
        }
    }
}

/// The decimal and unit of a number value, or a wrong-type diagnostic.
/// (`expected` is only made for the error: most values are numbers, and the
/// description is a new string.)
fn number_parts(
    value: &Value,
    expected: impl FnOnce() -> String,
    diags: &mut Diagnostics,
) -> Option<(Decimal, Option<Unit>)> {
    let ValueKind::Number(number) = &value.kind else {
        diags.push(wrong_type(value, &expected()));
        return None;
    };
    if number.unit.is_none() && !number.suffix.is_empty() {
        return None; // unknown unit, reported by the parser
    }
    match Decimal::parse(&number.digits) {
        Some(decimal) => Some((decimal, number.unit)),
        None => {
            diags.push(invalid(value, "number is too large").with_primary_label("out of range"));
            None
        }
    }
}

fn scaled(
    value: &Value,
    decimal: Decimal,
    factor: u64,
    divisor: u64,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<u64> {
    match decimal.scaled_exact(factor, divisor) {
        Ok(n) => Some(n),
        Err(ScaleError::NotWhole) => {
            diags.push(
                invalid(
                    value,
                    format!("{what} must be a whole number of its base unit"),
                )
                .with_primary_label("too precise"),
            );
            None
        }
        Err(ScaleError::TooLarge) => {
            diags.push(
                invalid(value, format!("{what} is too large")).with_primary_label("out of range"),
            );
            None
        }
    }
}

impl FromValue for u64 {
    fn expected() -> String {
        "an integer".into()
    }
    fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
        match number_parts(value, Self::expected, diags)? {
            (decimal, None) if decimal.scale == 0 => {
                scaled(value, decimal, 1, 1, "an integer", diags)
            }
            (_, None) => {
                diags.push(wrong_type(value, "an integer").with_help("remove the fraction"));
                None
            }
            (_, Some(unit)) => {
                diags.push(
                    wrong_type(value, "an integer")
                        .with_primary_label(format!("expected an integer, not {}", unit.describe()))
                        .with_help("remove the unit"),
                );
                None
            }
        }
    }
}

/// A quantity with a unit of one dimension, in its base unit.
macro_rules! quantity {
    ($name:ident, $what:literal, $example:literal, $pattern:pat => $factor:expr, $divisor:expr) => {
        /// A quantity in its base unit, converted exactly from the written unit.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub(crate) struct $name(pub(crate) u64);

        impl FromValue for $name {
            fn expected() -> String {
                concat!($what, " (e.g. ", $example, ")").into()
            }
            fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
                let (decimal, unit) = number_parts(value, Self::expected, diags)?;
                match unit {
                    Some($pattern) => {
                        scaled(value, decimal, $factor, $divisor, $what, diags).map($name)
                    }
                    Some(other) => {
                        diags.push(
                            wrong_type(value, &Self::expected())
                                .with_primary_label(format!("this is {}", other.describe())),
                        );
                        None
                    }
                    None => {
                        diags.push(
                            wrong_type(value, &Self::expected())
                                .with_primary_label("a number without a unit")
                                .with_help(concat!(
                                    "write the unit right after the number, e.g. ",
                                    $example
                                )),
                        );
                        None
                    }
                }
            }
        }
    };
}

quantity!(Size, "a size", "4GiB", Unit::Size(factor) => factor, 1);
quantity!(DurationMs, "a duration", "10s", Unit::Duration(factor) => factor, 1);
quantity!(FrequencyMhz, "a frequency", "2400MHz", Unit::Frequency(factor) => factor, 1);
quantity!(PercentValue, "a percentage", "80%", Unit::Percent => Percent::WHOLE, 100);

/// CPU cores as a plain number (fractions allowed), in thousandths of a core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Cores(pub(crate) u64);

impl FromValue for Cores {
    fn expected() -> String {
        "a number of cores (e.g. 0.5)".into()
    }
    fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
        match number_parts(value, Self::expected, diags)? {
            (decimal, None) => scaled(
                value,
                decimal,
                1000,
                1,
                "cpu (in thousandths of a core)",
                diags,
            )
            .map(Cores),
            (_, Some(unit)) => {
                diags.push(
                    wrong_type(value, &Self::expected())
                        .with_primary_label(format!("this is {}", unit.describe()))
                        .with_help("cpu counts cores: write a plain number such as 1 or 0.25"),
                );
                None
            }
        }
    }
}

impl FromValue for CpuRange {
    fn expected() -> String {
        "a CPU range (e.g. 0..15)".into()
    }
    fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
        match value.kind {
            ValueKind::Range(first, last) if first <= last => Some(CpuRange { first, last }),
            ValueKind::Range(first, last) => {
                diags.push(
                    invalid(
                        value,
                        format!("range {first}..{last} is empty: its start is after its end"),
                    )
                    .with_primary_label("start > end")
                    .with_help(format!("write {last}..{first}")),
                );
                None
            }
            _ => {
                diags.push(wrong_type(value, &Self::expected()));
                None
            }
        }
    }
}

impl FromValue for Reference {
    fn expected() -> String {
        "a reference".into()
    }
    fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
        if let ValueKind::Reference(path) = &value.kind {
            Some(Reference {
                path: path.clone(),
                span: value.span,
            })
        } else {
            let mut diag = wrong_type(value, "a reference (a name, or name.name)");
            if matches!(value.kind, ValueKind::String(_)) {
                diag = diag.with_help("references are written without quotes");
            }
            diags.push(diag);
            None
        }
    }
}

impl<T: FromValue> FromValue for Vec<Spanned<T>> {
    fn expected() -> String {
        format!("a list, each item {}", T::expected())
    }
    fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
        let ValueKind::List(items) = &value.kind else {
            diags.push(
                wrong_type(value, &Self::expected())
                    .with_help("write a list in brackets, e.g. [a, b]"),
            );
            return None;
        };
        let mut ok = true;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match T::from_value(item, diags) {
                Some(v) => out.push(Spanned::new(v, item.span)),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// `{ KEY = "value" … }` with string values and unique keys.
#[derive(Debug, Clone, Default)]
pub(crate) struct StringMap(pub(crate) Vec<(Spanned<CompactString>, Spanned<CompactString>)>);

impl FromValue for StringMap {
    fn expected() -> String {
        "an object of strings (e.g. { KEY = \"value\" })".into()
    }
    fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
        let mut out: Vec<(Spanned<CompactString>, Spanned<CompactString>)> =
            Vec::with_capacity(object_len(value));
        each_unique_entry::<Self>(value, diags, |entry, diags| {
            if let Some(text) = CompactString::from_value(&entry.value, diags) {
                out.push((
                    Spanned::new(CompactString::from(entry.key.as_str()), entry.key_span),
                    Spanned::new(text, entry.value.span),
                ));
            }
        })?;
        Some(StringMap(out))
    }
}

/// How many entries an object value has (0 for any other value): the
/// capacity of the list read from it, which declarations keep as they are.
fn object_len(value: &Value) -> usize {
    match &value.kind {
        ValueKind::Object(entries) => entries.len(),
        _ => 0,
    }
}

/// Calls `read` for each entry of an object `value` whose key is not written
/// again before it (E0106 for a repeat); `None` (E0103) when `value` is not an
/// object. The walk every object-valued attribute shares.
fn each_unique_entry<T: FromValue>(
    value: &Value,
    diags: &mut Diagnostics,
    mut read: impl FnMut(&crate::syntax::Entry, &mut Diagnostics),
) -> Option<()> {
    let ValueKind::Object(entries) = &value.kind else {
        diags.push(wrong_type(value, &T::expected()));
        return None;
    };
    // Pairwise for the few keys of most objects, without a hash table (see
    // `repeats`): each repeat with its first occurrence, in order.
    let keys: SmallVec<[&str; 8]> = entries.iter().map(|e| e.key.as_str()).collect();
    let mut repeats = super::repeats::repeats(&keys).into_iter().peekable();
    for (index, entry) in entries.iter().enumerate() {
        if let Some((_, first)) = repeats.next_if(|&(again, _)| again == index) {
            diags.push(duplicate_key(entry, entries[first].key_span));
            continue;
        }
        read(entry, diags);
    }
    Some(())
}

/// E0106 for an object key written a second time.
fn duplicate_key(entry: &crate::syntax::Entry, first: crate::span::Span) -> Diagnostic {
    Diagnostic::new(
        Code::E0106,
        entry.key_span,
        format!("duplicate key `{}`", entry.key),
    )
    .with_primary_label("written again here")
    .with_label(first, "first written here")
    .with_help("keep one of them")
}

/// A service's `env`: `{ KEY = "value"  KEY = SVC.PORT … }`, unique keys;
/// a reference is a connection (LANGUAGE.md section 3).
#[derive(Debug, Clone, Default)]
pub(crate) struct EnvEntries {
    pub(crate) plain: Vec<(Spanned<CompactString>, Spanned<CompactString>)>,
    pub(crate) connections: Vec<crate::ast::ConnectionDecl>,
}

impl FromValue for EnvEntries {
    fn expected() -> String {
        "an object of strings and connections (e.g. { KEY = \"value\"  DB = db.pg })".into()
    }
    fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
        let mut out = EnvEntries {
            plain: Vec::with_capacity(object_len(value)),
            connections: Vec::new(),
        };
        each_unique_entry::<Self>(value, diags, |entry, diags| {
            let key = Spanned::new(CompactString::from(entry.key.as_str()), entry.key_span);
            if let ValueKind::Reference(path) = &entry.value.kind {
                if let Some(connection) = connection(key, path, entry.value.span, diags) {
                    out.connections.push(connection);
                }
            } else if let Some(text) = CompactString::from_value(&entry.value, diags) {
                out.plain.push((key, Spanned::new(text, entry.value.span)));
            }
        })?;
        Some(out)
    }
}

/// `SVC.PORT`, `SVC.PORT.address` or `SVC.PORT.port` (E0103 otherwise).
fn connection(
    key: Spanned<CompactString>,
    path: &[crate::syntax::Ident],
    span: crate::span::Span,
    diags: &mut Diagnostics,
) -> Option<crate::ast::ConnectionDecl> {
    use crate::ast::ConnectionPart;
    let part = match path {
        [_, _] => ConnectionPart::Both,
        [_, _, last] if last.name == "address" => ConnectionPart::Address,
        [_, _, last] if last.name == "port" => ConnectionPart::Port,
        _ => {
            diags.push(
                Diagnostic::new(Code::E0103, span, "a connection is `SERVICE.PORT`, `SERVICE.PORT.address` or `SERVICE.PORT.port`")
                    .with_primary_label("not a connection")
                    .with_help("write `DB_ADDR = db.pg` for `ADDRESS:PORT`, or quote the value if it is plain text"),
            );
            return None;
        }
    };
    let target_path = crate::syntax::IdentPath::from(&path[..2]);
    let target_span = target_path[0].span.to(target_path[1].span);
    Some(crate::ast::ConnectionDecl {
        key,
        target: crate::ast::Reference {
            path: target_path,
            span: target_span,
        },
        part,
    })
}

/// Enumerations are written as bare identifiers.
macro_rules! enum_from_value {
    ($($ty:ty),*) => {$(
        impl FromValue for $ty {
            fn expected() -> String {
                format!("one of {}", <$ty>::NAMES.join(", "))
            }
            fn from_value(value: &Value, diags: &mut Diagnostics) -> Option<Self> {
                enum_value(value, <$ty>::NAMES, <$ty>::parse, diags)
            }
        }
    )*};
}

enum_from_value!(
    Runtime,
    Capability,
    DiskKind,
    PortProtocol,
    IoClass,
    BackupHook,
    RouteProtocol,
    Auth,
    VolumeBackend,
    NomadEdition
);

fn enum_value<T>(
    value: &Value,
    names: &[&str],
    parse: fn(&str) -> Option<T>,
    diags: &mut Diagnostics,
) -> Option<T> {
    // Only for diagnostics: most values parse.
    let expected = || format!("one of {}", names.join(", "));
    let word = match &value.kind {
        ValueKind::Reference(path) if path.len() == 1 => path[0].name.as_str(),
        ValueKind::String(text) => {
            let mut diag = wrong_type(value, &expected());
            if parse(text).is_some() {
                diag = diag.with_help(format!("write it without quotes: {text}"));
            }
            diags.push(diag);
            return None;
        }
        _ => {
            diags.push(wrong_type(value, &expected()));
            return None;
        }
    };
    if let Some(parsed) = parse(word) {
        return Some(parsed);
    }
    let expected = expected();
    let close = did_you_mean(word, names.iter().copied());
    let help = match close {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("expected {expected}"),
    };
    let mut diag = Diagnostic::new(
        Code::E0103,
        value.span,
        format!("unknown value `{word}`; expected {expected}"),
    )
    .with_primary_label("unknown value")
    .with_help(help);
    if let Some(close) = close {
        diag = diag.with_fix(value.span, close);
    }
    diags.push(diag);
    None
}
