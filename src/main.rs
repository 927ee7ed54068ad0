//! The `eosc` binary: everything lives in the library.

/// mimalloc instead of the system allocator: eosc builds and drops millions of
/// small strings and vectors for a large stack, and glibc's malloc spent a third
/// of `eosc check`'s time in bookkeeping (`bench/RESULTS.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    eosc::run(std::env::args_os())
}
