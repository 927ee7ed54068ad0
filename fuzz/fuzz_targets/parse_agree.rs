//! Bytes → both parsers: the fast path (`src/syntax/fast.rs`) and the pest
//! grammar must give the same tree and the same diagnostics whenever the fast
//! path takes the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (source, diags) = eosc::driver::decode(std::path::Path::new("fuzz.eos"), data.to_vec());
    if diags.has_errors() {
        return;
    }
    let (fast_doc, fast_diags, used_fast) = eosc::syntax::parse_via(&source.text, true);
    if !used_fast {
        return;
    }
    let (pest_doc, pest_diags, _) = eosc::syntax::parse_via(&source.text, false);
    assert_eq!(fast_doc, pest_doc);
    assert_eq!(fast_diags.into_vec(), pest_diags.into_vec());
});
