//! Structured fuzzing: an `arbitrary` generator of syntactically valid stacks,
//! so the checks and emitters are reached deeply rather than stopping at E0001.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common.rs"]
mod common;

fuzz_target!(|stack: common::GenStack| {
    let text = stack.render();
    let source = eosc::driver::SourceFile::new("fuzz.eos", text);
    common::build_and_reparse(source, eosc::diag::Diagnostics::new());
});
