//! The command line: clap definitions here, one file per subcommand.

mod build;
mod check;
mod completions;
mod diff;
mod explain;
mod fmt;
mod graph;
mod lsp;
mod output;
mod plan;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// The Eos stack spec compiler: checks one stack file and emits Salt, Terraform,
/// Nomad, Caddy and nginx configuration from it.
#[derive(Debug, Parser)]
#[command(name = "eosc", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Treat warnings as errors (exit code 1).
    #[arg(long, global = true)]
    pub deny_warnings: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check spec files; write nothing.
    Check(CheckArgs),
    /// Check, then write Salt, Terraform, Nomad, Caddy and nginx artifacts.
    Build(BuildArgs),
    /// Rewrite spec files in the canonical layout (comments kept).
    Fmt(FmtArgs),
    /// Print the long explanation of a diagnostic code, e.g. `eosc explain E0204`.
    Explain(ExplainArgs),
    /// Print the dependency graph with its bootstrap stages.
    Graph(GraphArgs),
    /// Print a shell completion script: `eosc completions bash > /etc/bash_completion.d/eosc`.
    Completions(CompletionsArgs),
    /// Print the man page (roff): `eosc man > eosc.1`.
    Man,
    /// Print stages, placements and budget use per host, NUMA node and disk.
    Plan(PlanArgs),
    /// Compare the stack with what Nomad and Consul run (exit 3 on drift).
    Diff(DiffArgs),
    /// Run the language server (LSP over stdin/stdout) for editors.
    Lsp(LspArgs),
}

impl Command {
    /// Whether the command keeps running (the language server) rather than
    /// doing one piece of work and exiting.
    #[must_use]
    pub fn keeps_running(&self) -> bool {
        matches!(self, Command::Lsp(_))
    }
}

#[derive(Debug, clap::Args)]
pub struct LspArgs {
    /// Accepted for clients that always pass it; stdio is the only transport.
    #[arg(long)]
    pub stdio: bool,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The spec file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// `human`: a table grouped by service; `json`: one object with the
    /// differences and the spec's diagnostics.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,

    /// Compare this environment (an `env "NAME"` block) instead of the base
    /// stack.
    #[arg(long = "env", value_name = "NAME")]
    pub environment: Option<String>,

    /// Nomad's HTTP address (default: `NOMAD_ADDR`, else `http://127.0.0.1:4646`).
    #[arg(long, value_name = "ADDR")]
    pub nomad: Option<String>,

    /// Consul's HTTP address (default: `CONSUL_HTTP_ADDR`, else `127.0.0.1:8500`).
    /// Consul is compared when the stack has a `consul` provider or an address
    /// is given.
    #[arg(long, value_name = "ADDR")]
    pub consul: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The spec file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Output: Graphviz DOT, Mermaid, or JSON.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,

    /// Check or build this environment (an `env "NAME"` block) instead of the
    /// base stack.
    #[arg(long = "env", value_name = "NAME")]
    pub environment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The spec file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// `human`: tables with usage bars; `json`: the plan and the diagnostics in
    /// one object.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,

    /// Check or build this environment (an `env "NAME"` block) instead of the
    /// base stack.
    #[arg(long = "env", value_name = "NAME")]
    pub environment: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Spec files to check. A file without a `stack` block that belongs to a
    /// stack (an included or module file) is checked through its root file.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// How diagnostics are printed.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,

    /// Check only this environment (an `env "NAME"` block); without it the
    /// base stack and every environment are checked.
    #[arg(long = "env", value_name = "NAME")]
    pub environment: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The spec file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Output folder; replaced only if absent, empty, or a previous build.
    #[arg(short, long, value_name = "DIR", default_value = "out")]
    pub output: PathBuf,

    /// Folder of templates replacing the built-in Caddyfile.j2 / nginx.conf.j2.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// How diagnostics are printed.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,

    /// Check or build this environment (an `env "NAME"` block) instead of the
    /// base stack.
    #[arg(long = "env", value_name = "NAME")]
    pub environment: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Spec files to format; `-` reads standard input and writes standard output.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Change nothing; list files that are not formatted and exit 1 if any.
    #[arg(long)]
    pub check: bool,

    /// How diagnostics (of files that do not parse) are printed.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A diagnostic code such as E0204 or W0601.
    pub code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// Rendered for people (colour only on a terminal).
    Human,
    /// One JSON object on standard output.
    Json,
    /// SARIF 2.1.0 on standard output, for code scanning.
    Sarif,
}

/// Exit codes of LANGUAGE.md section 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Success = 0,
    SpecErrors = 1,
    UsageOrIo = 2,
    /// `eosc diff`: what runs differs from the spec.
    Drift = 3,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        ExitCode::from(status as u8)
    }
}

/// Runs eosc with the given arguments (the first is the program name),
/// calling `prepare` with the command once the command line is read, before
/// any work is done (and before any thread is started).
pub fn run<I, T>(args: I, prepare: impl FnOnce(&Command)) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                Status::UsageOrIo.into()
            } else {
                Status::Success.into()
            };
        }
    };
    prepare(&cli.command);
    let status = match &cli.command {
        Command::Check(args) => check::run(args, cli.deny_warnings),
        Command::Build(args) => build::run(args, cli.deny_warnings),
        Command::Fmt(args) => fmt::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Completions(args) => completions::completions(args.shell),
        Command::Man => completions::man(),
        Command::Graph(args) => graph::run(args, cli.deny_warnings),
        Command::Plan(args) => plan::run(args, cli.deny_warnings),
        Command::Diff(args) => diff::run(args, cli.deny_warnings),
        Command::Lsp(_) => lsp::run(),
    };
    status.into()
}

/// The stacks a command covers: `--env NAME`, or `otherwise`.
fn environments<'a>(
    named: Option<&'a str>,
    otherwise: crate::driver::Environments<'a>,
) -> crate::driver::Environments<'a> {
    named.map_or(otherwise, crate::driver::Environments::One)
}
