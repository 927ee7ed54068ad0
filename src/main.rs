//! The `eosc` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    eosc::run(std::env::args_os())
}
