//! `eosc build FILE [-o DIR]`: check, then write every artifact atomically.

use super::output;
use super::{BuildArgs, Status};
use crate::driver;
use crate::output_dir;

pub(super) fn run(args: &BuildArgs, deny_warnings: bool) -> Status {
    let templates = match &args.templates {
        Some(dir) => match driver::read_templates(dir) {
            Ok(templates) => templates,
            Err(message) => {
                output::stderr(&format!("error: {message}\n"));
                return Status::UsageOrIo;
            }
        },
        None => crate::emit::Templates::builtin(),
    };
    let mut checked = match driver::check_path(
        &args.file,
        super::environments(args.environment.as_deref(), driver::Environments::Base),
    ) {
        Ok(checked) => checked,
        Err(error) => return output::report(&[], &[error], args.format, deny_warnings),
    };
    let status = output::report(
        std::slice::from_ref(&checked),
        &[],
        args.format,
        deny_warnings,
    );
    if status != Status::Success {
        return status; // nothing is written for a spec with errors
    }
    // Reported: the text is not read again, and its pages serve the emitters.
    checked.sources.release_texts();
    let built =
        output_dir::write_streaming(&args.output, |writer| {
            match driver::emit_artifacts_to(&checked, &templates, writer) {
                Some(Ok(files)) => Ok(files),
                Some(Err(error)) => Err(error.to_string()),
                None => Err("the spec has errors: nothing is built".to_string()),
            }
        });
    let status = match built {
        Ok(Ok(files)) => {
            if args.format == super::DiagnosticFormat::Human {
                output::stderr(&format!(
                    "wrote {files} files to {}\n",
                    args.output.display()
                ));
            }
            Status::Success
        }
        Ok(Err(message)) => {
            output::stderr(&format!("error: {message}\n"));
            Status::UsageOrIo
        }
        Err(error) => {
            output::stderr(&format!("error: {error}\n"));
            Status::UsageOrIo
        }
    };
    output::release(checked);
    status
}
