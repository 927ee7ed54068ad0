//! `eosc completions SHELL` and `eosc man`: generated from the clap definitions,
//! so they cannot drift from the real flags.

use clap::CommandFactory;

use super::output;
use super::{Cli, Status};

pub(super) fn completions(shell: clap_complete::Shell) -> Status {
    let mut command = Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut command, "eosc", &mut buffer);
    output::stdout(&String::from_utf8_lossy(&buffer));
    Status::Success
}

pub(super) fn man() -> Status {
    let mut buffer = Vec::new();
    match clap_mangen::Man::new(Cli::command()).render(&mut buffer) {
        Ok(()) => {
            output::stdout(&String::from_utf8_lossy(&buffer));
            Status::Success
        }
        Err(error) => {
            output::stderr(&format!("error: {error}\n"));
            Status::UsageOrIo
        }
    }
}
