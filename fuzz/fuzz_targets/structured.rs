//! Structured fuzzing: an `arbitrary` generator of syntactically valid stacks,
//! so the checks and emitters are reached deeply rather than stopping at E0001.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common.rs"]
mod common;

fuzz_target!(|stack: common::GenStack| {
    common::build_and_reparse(stack.render().as_bytes());
});
