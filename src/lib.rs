//! eosc — the compiler for the Eos stack spec language.
//!
//! The pipeline runs one way (see ARCHITECTURE.md): text → [`syntax`] tree →
//! [`schema`] typed declarations ([`ast`]) → [`model`] with resolved references →
//! checks → artifacts. Only [`cli`] and [`driver`] touch the filesystem.

pub mod ast;
pub mod check;
pub mod cli;
pub mod compose;
pub mod diag;
pub mod disk;
pub mod drift;
pub mod driver;
pub mod emit;
pub mod fmt;
pub mod lsp;
pub mod model;
pub mod output_dir;
pub(crate) mod parallel;
pub mod schema;
pub mod source;
pub mod span;
pub mod syntax;
pub mod timings;
pub mod units;
pub mod views;

pub use cli::run;
