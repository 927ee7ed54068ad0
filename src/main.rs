//! The `eosc` binary: everything lives in the library.

/// mimalloc instead of the system allocator: eosc builds and drops millions of
/// small strings and vectors for a large stack, and glibc's malloc spent a third
/// of `eosc check`'s time in bookkeeping. Its version 2 (the `v2` feature):
/// version 3 put every arena under transparent huge pages, which made the
/// resident memory of a build half as large again for no gain in speed here
/// (`bench/RESULTS.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    eosc::run(std::env::args_os())
}
