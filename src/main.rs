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
    eosc::run(std::env::args_os(), |command| {
        if command.keeps_running() {
            return;
        }
        if !set_by_operator(&["MIMALLOC_PURGE_DELAY", "MIMALLOC_RESET_DELAY"]) {
            keep_freed_memory();
        }
        if !set_by_operator(&["MIMALLOC_ALLOW_THP"]) {
            use_small_pages();
        }
    })
}

/// Tells mimalloc never to give memory it has freed back to the operating
/// system (its `purge_delay` option to -1; by default it does so 10 ms after a
/// stretch is freed). A command that runs once exits soon anyway, and on a
/// large stack the memory let go after parsing was given back (71 times,
/// 156 MiB) and faulted in again, zeroed by the kernel, when the model was
/// built: `eosc check` of the 100,000-service stack spent less time in the
/// kernel and had smaller slow outliers, at the same peak memory
/// (`bench/RESULTS.md`). The language server keeps the default, so that it
/// shrinks after a large file is closed.
#[allow(unsafe_code)]
fn keep_freed_memory() {
    /// `mi_option_purge_delay` in `mimalloc.h` of mimalloc 2 (the
    /// sys crate exposes no constant for it).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: mi_option_set only stores the value; it is not thread safe, and
    // this runs before the command starts any thread.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

/// Turns transparent huge pages off for this process (Linux's
/// `PR_SET_THP_DISABLE`). mimalloc asks for them (`MADV_HUGEPAGE`) on the
/// arena it reserves at the first allocation, before the command line is
/// read, so its own `allow_thp` option set here would come too late. On a
/// virtual machine that hands freed memory back to its host (free page
/// reporting), each 2 MiB page a run touches first waits for the host:
/// `eosc check` of the 100,000-service stack took 1.04 s after 5 s of idle
/// and 0.46 s right after another run with huge pages, 0.53 s and 0.52 s
/// with small ones; at 10,000 services `check` and `build` took the same
/// time either way (`scripts/bench-idle.sh`, `bench/RESULTS.md`). Best
/// effort: a kernel without the call keeps its default. The language
/// server keeps huge pages: it runs for hours over memory it keeps.
fn use_small_pages() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

/// Whether the environment sets one of `options` (mimalloc's names for one
/// setting, as mimalloc reads them: in any case). An operator's own setting
/// wins over eosc's.
fn set_by_operator(options: &[&str]) -> bool {
    std::env::vars_os().any(|(name, _)| {
        name.to_str().is_some_and(|name| {
            options
                .iter()
                .any(|option| name.eq_ignore_ascii_case(option))
        })
    })
}
