//! `eosc fmt` keeps the meaning and is idempotent: parse(fmt(x)) has the same
//! structure as parse(x), and fmt(fmt(x)) == fmt(x).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(once) = eosc::fmt::format_source(text) else { return };
    let before = eosc::syntax::parse(text).0.structure();
    let (after, diags) = eosc::syntax::parse(&once);
    assert!(!diags.has_errors() || diags.iter().all(|d| d.code.as_str() != "E0001"), "fmt output does not parse:\n{once}");
    assert_eq!(before, after.structure(), "fmt changed the meaning:\n{once}");
    let twice = eosc::fmt::format_source(&once).expect("formatted text parses");
    assert_eq!(once, twice, "fmt is not idempotent");
});
