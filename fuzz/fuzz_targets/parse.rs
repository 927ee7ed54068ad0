//! Bytes → parse. Never panics, never overflows the stack, every diagnostic
//! span lies inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (source, diags) = eosc::driver::decode(std::path::Path::new("fuzz.eos"), data.to_vec());
    if diags.has_errors() {
        return;
    }
    let (_, diags) = eosc::syntax::parse(&source.text);
    for d in diags.iter() {
        assert!(d.primary.span.end() <= source.text.len());
        assert!(source.text.is_char_boundary(d.primary.span.start()));
    }
});
