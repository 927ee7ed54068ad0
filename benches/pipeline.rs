//! `cargo bench --bench pipeline`: parse, check (front end + every check) and
//! build (artifacts in memory) of generated stacks of N services.
//!
//! N = 100, 1,000, 10,000 for all three; N = 100,000 for check only, with the
//! smallest sample size criterion allows (about 5 minutes in all). Before the
//! timed runs, one run of each stage prints the peak resident memory of the
//! process during it (Linux: `VmHWM`, reset through `/proc/self/clear_refs`)
//! against the spec's size.
//!
//! Environment:
//! - `EOSC_BENCH_MAX_N=10000` skips the sizes above it (the 100,000 check alone
//!   takes ten runs).
//! - `EOSC_BENCH_SEED=S` changes the generated stack (default 1).
//!
//! Under `cargo test --all-targets` (no `--bench`) only N = 100 runs, once.
//!
//! The stacks come from the generator of `eosc-bench gen` (the same source file).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use eosc::diag::Diagnostics;
use eosc::driver::{self, SourceFile};

#[path = "../src/bin/eosc-bench.rs"]
#[allow(dead_code)]
mod stackgen;

const SIZES: [usize; 4] = [100, 1_000, 10_000, 100_000];

/// `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and then
/// criterion runs each benchmark once: keep that to the smallest stack, as a
/// smoke test that the generator's stacks stay clean.
fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn max_n() -> usize {
    if !benchmarking() {
        return 100;
    }
    std::env::var("EOSC_BENCH_MAX_N")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(100_000)
}

fn seed() -> u64 {
    std::env::var("EOSC_BENCH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

fn spec(n: usize) -> String {
    stackgen::spec_text(n, seed()).unwrap_or_else(|e| panic!("generator failed at N={n}: {e}"))
}

fn source(text: &str) -> SourceFile {
    // No `file` blocks in generated stacks: the folder is never read.
    SourceFile::new("bench.eos", text.to_owned())
}

// --- peak memory: VmHWM of this process, reset before each stage -------------------

fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn report_peak(stage: &str, n: usize, spec_bytes: usize, run: impl FnOnce()) {
    if !benchmarking() || !reset_peak() {
        return;
    }
    run();
    if let Some(kib) = peak_kib() {
        let bytes = kib * 1024;
        eprintln!(
            "peak-rss {stage:<5} N={n:<6} {:>8.1} MiB  spec {:>6.1} MiB  ratio {:>5.1}x (process peak incl. the spec text)",
            bytes as f64 / f64::from(1 << 20),
            spec_bytes as f64 / f64::from(1 << 20),
            bytes as f64 / spec_bytes as f64
        );
    }
}

// --- the benchmarks ------------------------------------------------------------------

fn pipeline(c: &mut Criterion) {
    let templates = eosc::emit::Templates::builtin();
    for n in SIZES.into_iter().filter(|&n| n <= max_n()) {
        let text = spec(n);
        let bytes = text.len();
        // 100,000: check only (the brief's budget for `cargo bench` is minutes).
        let big = n >= 100_000;

        report_peak("parse", n, bytes, || {
            drop(black_box(eosc::syntax::parse(&text)));
        });
        report_peak("check", n, bytes, || {
            drop(black_box(driver::check_source(
                source(&text),
                Diagnostics::new(),
            )));
        });
        // A clean spec is the point: the checks must run to the end and the
        // build must have something to emit.
        let checked = driver::check_source(source(&text), Diagnostics::new());
        assert!(
            !checked.diagnostics.has_errors(),
            "generated stack N={n} has errors: {:?}",
            checked
                .diagnostics
                .iter()
                .take(3)
                .map(|d| &d.message)
                .collect::<Vec<_>>()
        );
        if !big {
            report_peak("emit", n, bytes, || {
                drop(black_box(driver::emit_artifacts(&checked, &templates)));
            });
        }

        let mut group = c.benchmark_group("pipeline");
        group.throughput(Throughput::Bytes(bytes as u64));
        match n {
            0..1_000 => {}
            1_000..10_000 => {
                group.sample_size(20);
                group.measurement_time(Duration::from_secs(5));
            }
            _ => {
                group.sample_size(10);
                group.warm_up_time(Duration::from_millis(500));
                group.measurement_time(Duration::from_secs(if big { 20 } else { 10 }));
            }
        }
        if !big {
            group.bench_with_input(BenchmarkId::new("parse", n), &text, |b, text| {
                b.iter(|| eosc::syntax::parse(black_box(text)));
            });
        }
        group.bench_with_input(BenchmarkId::new("check", n), &text, |b, text| {
            b.iter_batched(
                || source(text),
                |src| driver::check_source(src, Diagnostics::new()),
                BatchSize::PerIteration,
            );
        });
        if !big {
            group.bench_with_input(BenchmarkId::new("build", n), &checked, |b, checked| {
                b.iter(|| {
                    driver::emit_artifacts(black_box(checked), &templates)
                        .expect("a clean spec")
                        .expect("emits")
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
