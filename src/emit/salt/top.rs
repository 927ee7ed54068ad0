//! `salt/top.sls`: every host (minion ID = host name) to its SLS, in the order
//! `Layout::host_states` gives. Hosts with nothing to apply are left out.

use serde_json::{json, Map, Value};

use super::layout::Layout;
use crate::emit::{yaml, Artifacts, Input};

pub(super) const PATH: &str = "salt/top.sls";

pub(super) fn emit(input: &Input<'_>, layout: &Layout, out: &mut Artifacts) {
    let stack = input.stack;
    let mut base = Map::new();
    for host in stack.host_ids() {
        let states = layout.host_states(stack, host);
        if !states.is_empty() {
            base.insert(stack.host(host).name.value.to_string(), json!(states));
        }
    }
    let document = json!({ "base": Value::Object(base) });
    let mut text = String::from("#!yaml\n");
    text.push_str(&crate::emit::header("#", input.source_name));
    text.push_str(&yaml::to_string(&document));
    out.add(PATH, text);
}
