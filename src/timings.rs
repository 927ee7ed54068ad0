//! `EOSC_TIMINGS=1`: the wall time of each phase on stderr, for finding where a
//! slow build spends its time (and for `scripts/bench.sh`). Off by default; the
//! output is for people, its format is not stable.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("EOSC_TIMINGS").is_some_and(|v| v != "0"))
}

/// Runs `work`, printing how long it took when timings are on.
pub fn phase<T>(name: &str, work: impl FnOnce() -> T) -> T {
    if !enabled() {
        return work();
    }
    let start = Instant::now();
    let result = work();
    eprintln!(
        "eosc timing: {name:<10} {:>9.1} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );
    result
}
