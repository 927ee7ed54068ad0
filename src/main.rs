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
    eosc::cli::run_with(std::env::args_os(), |command| {
        // An operator's own MIMALLOC_PURGE_DELAY wins.
        if !command.keeps_running() && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            keep_freed_memory();
        }
    })
}

/// Tells mimalloc never to give memory it has freed back to the operating
/// system (its `purge_delay` option to -1; by default it does so 10 ms after a
/// stretch is freed). A command that runs once exits soon anyway, and on a
/// large stack the memory let go after parsing was given back and faulted in
/// again, zeroed by the kernel, when the model was built: `eosc check` of the
/// 100,000-service stack took 7% less CPU, and its slowest runs were half as
/// slow, at the same peak memory (`bench/RESULTS.md`). The language server
/// keeps the default, so that it shrinks after a large file is closed.
#[allow(unsafe_code)]
fn keep_freed_memory() {
    /// `mi_option_purge_delay` in `mimalloc.h` of mimalloc 2 (the
    /// sys crate exposes no constant for it).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: mi_option_set only stores the value; it is not thread safe, and
    // this runs before the command starts any thread.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}
