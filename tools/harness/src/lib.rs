//! What the course's tests and tools share, so that each fact lives in one
//! place:
//!
//! - [`milestones`]: the list of milestones, in order, with what each one
//!   does. Adding a milestone means adding a line there (and its folder).
//! - [`process`]: starting a server as a child process in its own process
//!   group, reading its `Listening on` line, capturing what it prints within
//!   a bound (echoing its stderr too, if asked), and killing the whole group
//!   when done.
//! - [`stages`]: the module's stages, with the checks each one runs: the
//!   one list that `just check 3` and `just grade --stage 3` read.

pub mod attack;
pub mod cli;
pub mod just;
pub mod milestones;
pub mod process;
pub mod stages;
pub mod student;

pub use just::just;
pub use milestones::{Kind, MILESTONES, Milestone};
pub use process::{Process, StartError};
pub use stages::{STAGES, Stage};

use std::path::{Path, PathBuf};

/// The repository root: this package sits in `tools/harness`.
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}
