//! Bytes → a stack of files in memory (see `common::stack_of`) → parse,
//! compose and every check, without touching the filesystem; the human and
//! JSON renderings of every diagnostic must not panic either.
#![no_main]

use eosc::diag::render::{self, HumanStyle, JsonReport};
use libfuzzer_sys::fuzz_target;

#[path = "../common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let (source, diags, stack_files) = common::stack_of(data);
    let checked = eosc::driver::check_stack(
        source,
        diags,
        &stack_files,
        eosc::driver::Environments::All,
        common::found_files,
    )
    .expect("checking every environment names none");
    let shown = checked.shown_sources();
    let style = HumanStyle { color: false, width: 80 };
    for d in checked.diagnostics.iter().take(20) {
        let _ = render::human(d, &shown, style);
    }
    let mut report = JsonReport::new();
    report.add(&checked.sources, checked.diagnostics.iter());
    let _ = report.to_json();
});
