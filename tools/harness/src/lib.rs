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

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The repository root: this package sits in `tools/harness`.
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Builds the binaries of `packages` with the profile the running test was
/// built with, and returns the folder they are in.
///
/// Cargo builds binaries for the integration tests of their own package
/// only: a test of another package (the root package's tests of the
/// milestones, say) asks Cargo itself, once per test run.
pub fn build_binaries(packages: &[&str]) -> PathBuf {
    // A test runs from target/<profile>/deps/.
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(other) => other,
        None => panic!("unexpected test binary path {}", exe.display()),
    };
    let cargo = std::env::var("CARGO").unwrap_or("cargo".to_string());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "--bins", "--profile", profile]);
    for package in packages {
        build.args(["--package", package]);
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building {packages:?} failed");
    profile_dir
}
