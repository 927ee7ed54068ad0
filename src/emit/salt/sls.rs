//! A Salt state file under construction: state IDs in insertion order, each
//! with one state function and its arguments, rendered as `#!yaml` (no Jinja
//! pass), the generated-by comment, then block YAML written by `yaml` (the text
//! `yaml::to_string` gives for the mapping of state IDs, written without
//! building that mapping).
//!
//! The YAML layer makes every string inert for the YAML loader, but Salt looks
//! at argument values once more: a string starting with `__slot__:` is a
//! "slot", a function call Salt makes at run time. No emitter writes one, so
//! rendering refuses any such string: no spec value can become a call.

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::{json, Value};

use super::super::{yaml, Artifacts, EmitError, Input, Pieces};

const SLOT_PREFIX: &str = "__slot__:";

/// One `.sls` file. Each state is rendered as it is added (a stack's
/// orchestration file holds tens of thousands of states: their argument
/// trees took more memory than their text).
pub(super) struct Sls {
    name: String,
    /// The YAML of the states so far.
    text: Pieces,
    ids: HashSet<String>,
    duplicate: Option<String>,
    /// The first string starting with `__slot__:` (see `render`).
    foreign: Option<String>,
}

impl Sls {
    /// A new, empty state file for the SLS name `sls` (`eos.vault`).
    pub(super) fn new(sls: impl Into<String>) -> Self {
        Self {
            name: sls.into(),
            text: Pieces::default(),
            ids: HashSet::new(),
            duplicate: None,
            foreign: None,
        }
    }

    /// Adds state `id` calling `function` (`file.managed`) with `args` in
    /// order: `ID: { FUNCTION: [ {ARG: VALUE}, … ] }`. An argument is an
    /// [`Arg`] or any JSON value.
    pub(super) fn state<'a, A: Into<Arg<'a>>>(
        &mut self,
        id: impl Into<String>,
        function: &str,
        args: impl IntoIterator<Item = (&'a str, A)>,
    ) {
        let id = id.into();
        self.note_foreign(&id);
        self.note_foreign(function);
        let text = self.text.current();
        yaml::quote_into(text, &id);
        text.push_str(":\n");
        let mut args = args.into_iter().peekable();
        if args.peek().is_none() {
            yaml::write_entry(text, 1, function, &json!([]));
        } else {
            text.push_str("  ");
            yaml::quote_into(text, function);
            text.push_str(":\n");
            for (key, arg) in args {
                self.argument(key, &arg.into());
            }
        }
        if self.ids.contains(&id) {
            self.duplicate.get_or_insert(id);
        } else {
            self.ids.insert(id);
        }
    }

    /// A `test.nop` state requiring `steps` (no argument when there are none):
    /// the gates and barriers of the orchestration files.
    pub(super) fn nop(&mut self, id: String, steps: &[Step]) {
        if steps.is_empty() {
            self.state(id, "test.nop", NO_ARGS);
        } else {
            self.state(id, "test.nop", [("require", steps)]);
        }
    }

    /// Writes `- key: value` of a state and checks its strings for slots.
    fn argument(&mut self, key: &str, arg: &Arg<'_>) {
        const LEVEL: usize = 2;
        self.note_foreign(key);
        let text = self.text.current();
        match arg {
            Arg::Text(value) => {
                yaml::write_single_entry_text(text, LEVEL, key, value);
                self.note_foreign(value);
            }
            Arg::Bool(value) => yaml::write_single_entry_bool(text, LEVEL, key, *value),
            Arg::Number(value) => yaml::write_single_entry_number(text, LEVEL, key, *value),
            Arg::Texts(items) => {
                yaml::write_single_entry_texts(text, LEVEL, key, items.iter().map(AsRef::as_ref));
                for item in items {
                    self.note_foreign(item);
                }
            }
            Arg::Requires(steps) => {
                let pairs = steps.iter().map(|step| (step.module, step.id.as_str()));
                yaml::write_single_entry_pairs(text, LEVEL, key, pairs);
                for step in *steps {
                    self.note_foreign(&step.id);
                }
            }
            Arg::Json(value) => {
                yaml::write_single_entry_item(text, LEVEL, key, value);
                if self.foreign.is_none() {
                    self.foreign = foreign_slot(value).map(str::to_string);
                }
            }
        }
    }

    /// The artifact path of the file: `salt/eos/vault.sls`.
    pub(super) fn path(&self) -> String {
        path_of(&self.name)
    }

    /// The file's text. Refused: a state ID generated twice, and any string
    /// starting with `__slot__:`.
    pub(super) fn render(self, input: &Input<'_>) -> Result<Pieces, EmitError> {
        let error = |message: String| EmitError {
            artifact: self.path(),
            message,
        };
        if let Some(id) = &self.duplicate {
            return Err(error(format!("state ID `{id}` is generated twice")));
        }
        if let Some(found) = &self.foreign {
            return Err(error(format!(
                "the value `{}` starts with `{SLOT_PREFIX}`, which Salt would run as a function call; \
                 such values cannot be passed through Salt",
                found.escape_debug()
            )));
        }
        let mut head = String::from("#!yaml\n");
        head.push_str(&crate::emit::header("#", input.source_name));
        if self.text.is_empty() {
            head.push_str("{}\n");
        }
        Ok(self.text.after(head))
    }

    /// Remembers `text` if it is the first string of the file (ID, function,
    /// key or value) that starts with `__slot__:`.
    fn note_foreign(&mut self, text: &str) {
        if self.foreign.is_none() && is_foreign(text) {
            self.foreign = Some(text.to_string());
        }
    }

    /// Renders the file into `out`.
    pub(super) fn write(self, input: &Input<'_>, out: &mut Artifacts) -> Result<(), EmitError> {
        let path = self.path();
        out.add_pieces(path, self.render(input)?);
        Ok(())
    }
}

/// `salt/<sls with / for .>.sls`: SLS names are made of names and `_`, never `.`.
pub(super) fn path_of(sls: &str) -> String {
    format!("salt/{}.sls", sls.replace('.', "/"))
}

/// A requisite entry: `- file: eos-vault.config`.
pub(super) fn req(module: &str, id: &str) -> Value {
    json!({ module: id })
}

/// A state a requisite can name: its module (`salt` for `salt.function`)
/// and its ID.
#[derive(Debug, Clone)]
pub(super) struct Step {
    pub(super) module: &'static str,
    pub(super) id: String,
}

impl Step {
    pub(super) fn new(module: &'static str, id: String) -> Self {
        Self { module, id }
    }
}

/// The arguments of a state that takes none.
const NO_ARGS: [(&str, Arg<'static>); 0] = [];

/// An argument of a state, written straight to YAML: the forms the
/// orchestration files write thousands of times, and any other JSON value.
/// Each is written exactly as the equivalent JSON value would be.
pub(super) enum Arg<'a> {
    Text(Cow<'a, str>),
    Bool(bool),
    Number(u64),
    /// A list of strings.
    Texts(Vec<Cow<'a, str>>),
    /// A requisite list: `- <module>: <id>` per step.
    Requires(&'a [Step]),
    Json(Value),
}

impl From<Value> for Arg<'_> {
    fn from(value: Value) -> Self {
        Arg::Json(value)
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(text: &'a str) -> Self {
        Arg::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Arg<'_> {
    fn from(text: String) -> Self {
        Arg::Text(Cow::Owned(text))
    }
}

impl From<bool> for Arg<'_> {
    fn from(value: bool) -> Self {
        Arg::Bool(value)
    }
}

impl From<u64> for Arg<'_> {
    fn from(value: u64) -> Self {
        Arg::Number(value)
    }
}

impl<'a> From<&'a [Step]> for Arg<'a> {
    fn from(steps: &'a [Step]) -> Self {
        Arg::Requires(steps)
    }
}

/// Whether `text` is a slot: it starts with `__slot__:`.
fn is_foreign(text: &str) -> bool {
    text.starts_with(SLOT_PREFIX)
}

/// The first string (key or value) starting with `__slot__:`.
fn foreign_slot(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => is_foreign(s).then_some(s.as_str()),
        Value::Array(items) => items.iter().find_map(foreign_slot),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if is_foreign(k) {
                Some(k.as_str())
            } else {
                foreign_slot(v)
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_sls_names() {
        assert_eq!(path_of("eos.vault"), "salt/eos/vault.sls");
        assert_eq!(path_of("eos.backup.hv1"), "salt/eos/backup/hv1.sls");
        assert_eq!(path_of("orch.bootstrap"), "salt/orch/bootstrap.sls");
    }

    #[test]
    fn slots_are_found_at_any_depth() {
        let doc = json!({"a": [{"environment": {"K": "plain"}}]});
        assert_eq!(foreign_slot(&doc), None);
        let doc = json!({"a": [{"environment": {"K": "__slot__:salt:cmd.run(id)"}}]});
        assert_eq!(foreign_slot(&doc), Some("__slot__:salt:cmd.run(id)"));
        assert_eq!(foreign_slot(&json!({"__slot__:k": 1})), Some("__slot__:k"));
        assert_eq!(foreign_slot(&json!({"x": " __slot__:"})), None);
    }

    /// States are rendered as they are added; the checks still hold for the file.
    #[test]
    fn a_foreign_slot_anywhere_refuses_the_file() {
        let mut sls = Sls::new("eos.x");
        sls.state("a", "cmd.run", vec![("env", json!([{ "K": "plain" }]))]);
        assert_eq!(sls.foreign, None);
        sls.state(
            "b",
            "cmd.run",
            vec![("name", json!("__slot__:salt:cmd.run(id)"))],
        );
        sls.state("c", "cmd.run", vec![("__slot__:salt:x", json!(1))]);
        assert_eq!(sls.foreign.as_deref(), Some("__slot__:salt:cmd.run(id)"));

        // Every kind of argument is looked at.
        let foreign = "__slot__:salt:cmd.run(x)";
        let steps = [Step::new("cmd", foreign.to_string())];
        let kinds: [Vec<(&str, Arg)>; 4] = [
            vec![("name", Arg::from(foreign))],
            vec![("arg", Arg::Texts(vec!["ok".into(), foreign.into()]))],
            vec![("require", Arg::from(&steps[..]))],
            vec![(foreign, Arg::from(true))],
        ];
        for args in kinds {
            let mut sls = Sls::new("eos.x");
            sls.state("a", "cmd.run", args);
            assert_eq!(sls.foreign.as_deref(), Some(foreign));
        }
    }

    #[test]
    fn duplicate_ids_are_remembered() {
        let mut sls = Sls::new("eos.x");
        sls.nop("a".into(), &[]);
        sls.nop("a".into(), &[]);
        assert_eq!(sls.duplicate.as_deref(), Some("a"));
    }
}
