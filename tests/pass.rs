//! Near misses that must pass: exactly at a budget, an OSD alone on its disk, a
//! cycle broken by removing one edge … Every spec in `tests/pass/` checks with no
//! diagnostic at all.

mod common;

#[test]
fn near_misses_check_clean() {
    let files = common::eos_files("tests/pass");
    assert!(!files.is_empty());
    for path in files {
        let checked = common::check_fixture(&path);
        assert!(
            checked.diagnostics.is_empty(),
            "{} should check clean:\n{}",
            path.display(),
            common::human(&checked)
        );
    }
}
