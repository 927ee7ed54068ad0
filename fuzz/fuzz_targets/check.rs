//! Bytes → a stack of files in memory (see `common::stack_of`) → parse,
//! compose and every check, without touching the filesystem; the human and
//! JSON renderings of every diagnostic must not panic either, nor show the
//! value of a secret entry (`common::SECRET_MARKER`) wherever it stands.
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
    let canary_is_secret = !common::writes_canary_itself(data);
    for d in checked.diagnostics.iter().take(20) {
        let rendered = render::human(d, &shown, style);
        assert!(
            !(canary_is_secret && rendered.contains(common::CANARY)),
            "a secret value is shown:\n{rendered}"
        );
    }
    let mut report = JsonReport::new();
    report.add(&checked.sources, checked.diagnostics.iter());
    let json = report.to_json();
    assert!(
        !(canary_is_secret && json.contains(common::CANARY)),
        "a secret value is in the JSON:\n{json}"
    );
});
