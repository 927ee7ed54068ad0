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
    // Where the kernel backs memory with transparent huge pages ("always",
    // Debian's default), every 2 MiB region mimalloc touches is resident whole:
    // 10 MB more at the peak of a 100,000-service check, for no gain in speed
    // (`bench/RESULTS.md`). A kernel without the setting just refuses it.
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    eosc::run(std::env::args_os())
}
