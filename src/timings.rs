//! `EOSC_TIMINGS=1`: the wall time of each phase on stderr, when it started
//! (after the first phase did: the gaps between phases show), and on Linux the
//! process's resident memory after it, for finding where a slow build spends
//! its time and memory. Off by default; the output is for people, its format is
//! not stable.

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
    let since_first = start.duration_since(*first_phase()).as_secs_f64() * 1000.0;
    let result = work();
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    let memory =
        resident_mib().map_or_else(String::new, |rss| format!("  {rss:>7.1} MiB resident"));
    eprintln!("eosc timing: {name:<10} {elapsed:>9.1} ms  from {since_first:>7.1} ms{memory}");
    result
}

/// When the first phase started: each phase also shows when it started after
/// it, so that the time between phases is seen too.
fn first_phase() -> &'static Instant {
    static FIRST: OnceLock<Instant> = OnceLock::new();
    FIRST.get_or_init(Instant::now)
}

/// The resident set size, from `/proc/self/statm` (pages of 4 KiB assumed).
fn resident_mib() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096.0 / (1024.0 * 1024.0))
}
