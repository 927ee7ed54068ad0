//! The whole compile in memory: a stack of files (see `common::stack_of`),
//! checked, every artifact emitted, and every emitted HCL file parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::build_and_reparse(data);
});
