//! `eosc check FILE…`: parse and check, write nothing.

use super::output;
use super::{CheckArgs, Status};
use crate::driver;

pub(super) fn run(args: &CheckArgs, deny_warnings: bool) -> Status {
    let mut checked = Vec::new();
    let mut read_errors = Vec::new();
    for path in &args.files {
        match driver::check_file(path) {
            Ok(result) => checked.push(result),
            Err(error) => read_errors.push(error),
        }
    }
    let status = output::report(&checked, &read_errors, args.format, deny_warnings);
    output::release(checked);
    status
}
