//! Emitters: the checked stack → the artifacts of LANGUAGE.md section 8, one
//! module per target. Each builds a view of the model and renders it; all are
//! pure functions into [`Artifacts`] (the driver writes them).
//!
//! Every value that comes from the spec is escaped for the syntax it lands in:
//! HCL through `hcl.rs`, Salt YAML through `yaml.rs`, Caddyfile and nginx.conf
//! through the escaping formatter of `templates.rs`.

mod boundary;
mod caddy;
pub mod hcl;
mod hcl_doc;
#[cfg(test)]
mod hcl_reference;
mod nginx;
mod nomad;
mod plain_run;
mod plan_json;
mod salt;
mod shared;
mod templates;
mod terraform;
pub mod topology;
pub mod yaml;

use std::collections::BTreeMap;

pub use templates::Templates;

pub(crate) use nomad::jobspec_path;
pub use nomad::STACK_META_KEY;
pub(crate) use salt::paths::{service_sls, BUILD_DIR, TERRAFORM_DIR};
pub(crate) use salt::shell::join as shell_line;
pub(crate) use terraform::job_resource_name;

use crate::check::Analysis;
use crate::model::files::SourceFiles;
use crate::model::Stack;

/// Receives each artifact (relative path, contents in pieces, in order) as
/// soon as it is produced: `eosc build` writes them into the staging folder, so
/// that a build never holds all of its output in memory. It must remember its
/// own errors.
pub type Writer<'w> = &'w (dyn Fn(&str, &[&str]) + Sync);

/// What the emitters produce: relative path (with `/`) → file contents, in a
/// stable order; or, with a [`Writer`], each artifact handed on as it comes and
/// only those that other emitters read back ([`is_read_back`]) kept here.
#[derive(Default)]
pub struct Artifacts<'w> {
    pub files: BTreeMap<String, String>,
    writer: Option<Writer<'w>>,
    /// Artifacts handed to the writer and not kept in `files`.
    handed_on: usize,
}

impl std::fmt::Debug for Artifacts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Artifacts")
            .field("files", &self.files)
            .field("handed_on", &self.handed_on)
            .finish_non_exhaustive()
    }
}

impl<'w> Artifacts<'w> {
    fn handing_on_to(writer: Writer<'w>) -> Self {
        Self {
            files: BTreeMap::new(),
            writer: Some(writer),
            handed_on: 0,
        }
    }

    pub fn add(&mut self, path: impl Into<String>, contents: impl Into<String>) {
        let path = path.into();
        let contents = contents.into();
        if self.hand_on(&path, &[&contents]) {
            return;
        }
        self.keep(path, contents);
    }

    /// [`Artifacts::add`] of a file built in [`Pieces`].
    pub(crate) fn add_pieces(&mut self, path: impl Into<String>, pieces: Pieces) {
        let path = path.into();
        let pieces = pieces.into_vec();
        let parts: Vec<&str> = pieces.iter().map(String::as_str).collect();
        if self.hand_on(&path, &parts) {
            return;
        }
        self.keep(path, pieces.concat());
    }

    /// Gives the file to the writer, if there is one; true when it need not
    /// be kept.
    fn hand_on(&mut self, path: &str, parts: &[&str]) -> bool {
        let Some(writer) = self.writer else {
            return false;
        };
        writer(path, parts);
        if is_read_back(path) {
            return false;
        }
        self.handed_on += 1;
        true
    }

    fn keep(&mut self, path: String, contents: String) {
        debug_assert!(
            !self.files.contains_key(&path),
            "artifact {path} written twice"
        );
        // The last one wins, as it does on disk.
        self.files.insert(path, contents);
    }

    /// How many artifacts there are, handed on or kept.
    pub fn len(&self) -> usize {
        self.handed_on + self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The text of a large artifact (Salt's orchestration files, `main.tf`: megabytes
/// for a large stack), built in pieces of about [`PIECE_SIZE`] bytes: growing
/// one string copies it each time it doubles and leaves up to twice its size
/// allocated; the writer takes the pieces in order.
#[derive(Debug, Default)]
pub(crate) struct Pieces {
    done: Vec<String>,
    current: String,
}

/// The size of a piece of a large artifact ([`Pieces`]).
pub const PIECE_SIZE: usize = 256 * 1024;

impl Pieces {
    /// The piece to append to: a new one once the current is full.
    pub(crate) fn current(&mut self) -> &mut String {
        if self.current.len() >= PIECE_SIZE {
            let next = String::with_capacity(PIECE_SIZE + PIECE_SIZE / 4);
            self.done.push(std::mem::replace(&mut self.current, next));
        }
        &mut self.current
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.done.is_empty() && self.current.is_empty()
    }

    /// `head`, then the pieces, in order; one piece if the text is small (one
    /// write instead of two for the many small files).
    pub(crate) fn after(self, mut head: String) -> Self {
        if self.done.is_empty() {
            head.push_str(&self.current);
            return Self {
                done: Vec::new(),
                current: head,
            };
        }
        let mut done = Vec::with_capacity(self.done.len() + 2);
        done.push(head);
        done.extend(self.done);
        Self {
            done,
            current: self.current,
        }
    }

    pub(crate) fn into_vec(self) -> Vec<String> {
        let mut pieces = self.done;
        pieces.push(self.current);
        pieces
    }
}

/// Artifacts that a later emitter reads: the proxy configs, which Salt ships
/// to the proxy hosts.
fn is_read_back(path: &str) -> bool {
    path == caddy::PATH || path == nginx::PATH
}

/// Everything an emitter may read.
pub struct Input<'a> {
    pub stack: &'a Stack,
    pub analysis: &'a Analysis,
    pub files: &'a SourceFiles,
    pub templates: &'a Templates,
    /// The spec's file name, for "generated from" headers.
    pub source_name: &'a str,
}

/// An artifact could not be produced (a user template that fails to render, a
/// value a target cannot carry). Not a spec diagnostic: a build error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmitError {
    pub artifact: String,
    pub message: String,
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write {}: {}", self.artifact, self.message)
    }
}

/// One emitter, writing into the artifacts of its chain.
type Emitter = for<'w> fn(&Input<'_>, &mut Artifacts<'w>) -> Result<(), EmitError>;

/// Every artifact of the stack.
///
/// Two chains of emitters that do not read each other's output run side by
/// side: the proxies and Salt (which ships the proxy configs it finds among the
/// artifacts); and plan.json and Terraform. Then both write the per-service
/// files, the Nomad jobspecs and Salt states of services, taking them one by
/// one from a shared list. Each emitter has its place in the order caddy,
/// nginx, nomad, terraform, salt, plan.json: when several fail, the error is
/// that of the first (within one, its shared files before its per-service
/// ones).
pub fn emit(input: &Input<'_>) -> Result<Artifacts<'static>, EmitError> {
    run_chains(input, Artifacts::default)
}

/// [`emit`], handing each artifact to `writer` as it is produced instead of
/// keeping it; returns how many there were.
pub fn emit_to(input: &Input<'_>, writer: Writer<'_>) -> Result<usize, EmitError> {
    run_chains(input, || Artifacts::handing_on_to(writer)).map(|out| out.len())
}

/// The Nomad jobspec of every nomad service and nothing else (`eosc diff`
/// hands them to the Nomad it compares with).
pub fn nomad_jobspecs(input: &Input<'_>) -> Result<Artifacts<'static>, EmitError> {
    let jobs = nomad::Jobs::new(input);
    let mut out = Artifacts::default();
    for id in nomad::Jobs::services(input) {
        jobs.write(input, id, &mut out)?;
    }
    Ok(out)
}

fn run_chains<'w>(
    input: &Input<'_>,
    artifacts: impl Fn() -> Artifacts<'w> + Sync,
) -> Result<Artifacts<'w>, EmitError> {
    // The per-service files are shared (`shared.rs`): each chain writes them
    // once its own emitters are done, so the two finish together
    // (`EOSC_TIMINGS=1` shows each emitter).
    const SALT_CHAIN: &[(usize, &str, Emitter)] = &[
        (0, "caddy", caddy::emit),
        (1, "nginx", nginx::emit),
        (4, "salt", salt::emit),
    ];
    const OTHER_CHAIN: &[(usize, &str, Emitter)] = &[
        (5, "plan.json", plan_json::emit),
        (3, "terraform", terraform::emit),
        (6, "boundary", boundary::emit),
    ];
    let shared = shared::Shared::new(input);
    let chain_then_shared = |chain| {
        run_chain(input, chain, artifacts()).map(|mut out| {
            crate::timings::phase("per-service", || shared.write(input, &mut out));
            out
        })
    };
    let (salt_side, other_side) = crate::parallel::both(
        || chain_then_shared(SALT_CHAIN),
        || chain_then_shared(OTHER_CHAIN),
    );
    // A per-service file comes after the other files of its emitter.
    let shared = shared.result().map_err(|failed| match failed {
        shared::Failed::Nomad(error) => ((2, 1), error),
        shared::Failed::Salt(error) => ((4, 1), error),
    });
    let whole = |side: Result<Artifacts<'w>, (usize, EmitError)>| {
        side.map_err(|(order, error)| ((order, 0), error))
    };
    match (whole(salt_side), whole(other_side), shared) {
        (Ok(mut out), Ok(other), Ok(())) => {
            out.files.extend(other.files);
            out.handed_on += other.handed_on;
            Ok(out)
        }
        // At least one failed: the error of the first in the order.
        (salt_side, other_side, shared) => {
            let mut errors: Vec<((usize, usize), EmitError)> =
                [salt_side.err(), other_side.err(), shared.err()]
                    .into_iter()
                    .flatten()
                    .collect();
            errors.sort_by_key(|(order, _)| *order);
            Err(errors.swap_remove(0).1)
        }
    }
}

/// Runs a chain of emitters into one set of artifacts; stops at the first error,
/// with the emitter's place in the order.
fn run_chain<'w>(
    input: &Input<'_>,
    chain: &[(usize, &str, Emitter)],
    mut out: Artifacts<'w>,
) -> Result<Artifacts<'w>, (usize, EmitError)> {
    for &(order, name, emitter) in chain {
        crate::timings::phase(name, || emitter(input, &mut out)).map_err(|error| (order, error))?;
    }
    Ok(out)
}

/// The first line(s) of every artifact, in the comment syntax of the target.
pub(crate) fn header(comment: &str, source_name: &str) -> String {
    format!("{comment} Generated by eosc from {source_name}. Do not edit: change the spec and rebuild.\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large text in pieces: each piece about `PIECE_SIZE`, nothing lost or
    /// reordered, the head first; the writer gets the pieces and an in-memory
    /// build the whole text.
    #[test]
    fn pieces_keep_the_text_in_order() {
        let mut pieces = Pieces::default();
        assert!(pieces.is_empty());
        let mut whole = String::new();
        for i in 0..20_000 {
            let line = format!("state-{i}: some text of a state\n");
            pieces.current().push_str(&line);
            whole.push_str(&line);
        }
        let pieces = pieces.after("head\n".to_string());
        let parts = pieces.into_vec();
        assert!(parts.len() > 2, "{} pieces", parts.len());
        assert_eq!(parts[0], "head\n");
        assert!(parts[1..parts.len() - 1]
            .iter()
            .all(|p| p.len() >= PIECE_SIZE && p.len() < PIECE_SIZE + 100));
        assert_eq!(parts[1..].concat(), whole);

        let mut small = Pieces::default();
        small.current().push_str("a: 1\n");
        assert_eq!(small.after("head\n".into()).into_vec(), ["head\na: 1\n"]);

        let mut again = Pieces::default();
        again.current().push_str(&whole);
        let mut kept = Artifacts::default();
        kept.add_pieces("a.txt", again.after("head\n".to_string()));
        assert_eq!(kept.files["a.txt"], format!("head\n{whole}"));

        let seen = std::sync::Mutex::new(Vec::new());
        let writer = |path: &str, parts: &[&str]| {
            seen.lock()
                .unwrap()
                .push((path.to_string(), parts.concat(), parts.len()));
        };
        let mut handed = Artifacts::handing_on_to(&writer);
        let mut big = Pieces::default();
        for _ in 0..3 {
            big.current().push_str(&"x".repeat(PIECE_SIZE));
        }
        handed.add_pieces("b.txt", big);
        assert_eq!(handed.len(), 1);
        assert!(handed.files.is_empty());
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen[0].0, "b.txt");
        assert_eq!(seen[0].1.len(), 3 * PIECE_SIZE);
        assert_eq!(seen[0].2, 3);
    }
}
