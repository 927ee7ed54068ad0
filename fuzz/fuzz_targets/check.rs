//! Bytes → parse and every check, without touching the filesystem; the human
//! and JSON renderings of every diagnostic must not panic either.
#![no_main]

use eosc::diag::render::{self, HumanStyle, JsonReport};
use eosc::model::files::{FileStatus, SourceFiles};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (source, diags) = eosc::driver::decode(std::path::Path::new("fuzz.eos"), data.to_vec());
    let checked = eosc::driver::check_source_with_files(source, diags, |stack| {
        let mut files = SourceFiles::default();
        for service in &stack.services {
            for file in &service.decl.files {
                files.files.insert(file.source.value.clone(), FileStatus::Found(b"x = 1\n".to_vec()));
            }
        }
        files
    });
    let shown = checked.shown_text();
    let style = HumanStyle { color: false, width: 80 };
    for d in checked.diagnostics.iter().take(20) {
        let _ = render::human(d, "fuzz.eos", &shown, style);
    }
    let mut report = JsonReport::new();
    report.add("fuzz.eos", &checked.source.text, checked.diagnostics.iter());
    let _ = report.to_json();
});
