//! `eosc check FILE…`: parse and check, write nothing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::output;
use super::{CheckArgs, Status};
use crate::driver;

pub(super) fn run(args: &CheckArgs, deny_warnings: bool) -> Status {
    let which = super::environments(args.environment.as_deref(), driver::Environments::All);
    let mut checked = Vec::new();
    let mut errors = Vec::new();
    // Each stack is checked once, however many of its files are named (a
    // pre-commit hook names every changed file).
    let mut roots: HashSet<PathBuf> = HashSet::new();
    for path in &args.files {
        if roots.contains(&canonical(path)) {
            continue;
        }
        let result = match driver::check_path(path, which) {
            Ok(result) if result.may_be_part_of_a_stack() => match driver::find_root(path) {
                // An included or module file: checked as part of its stack.
                Some(root) if roots.contains(&canonical(&root)) => continue,
                Some(root) => {
                    roots.insert(canonical(&root));
                    driver::check_path(&root, which)
                }
                None => Ok(result),
            },
            other => other,
        };
        roots.insert(canonical(path));
        match result {
            Ok(result) => checked.push(result),
            Err(error) => errors.push(error),
        }
    }
    let status = output::report(&checked, &errors, args.format, deny_warnings);
    output::release(checked);
    status
}

/// A path as one file is known by, whatever it was called.
fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}
