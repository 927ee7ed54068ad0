//! The whole compile in memory: check, emit every artifact, and every emitted
//! HCL file parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let (source, diags) = eosc::driver::decode(std::path::Path::new("fuzz.eos"), data.to_vec());
    common::build_and_reparse(source, diags);
});
