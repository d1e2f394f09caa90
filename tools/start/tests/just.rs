//! The recipe `just start`, as the book tells students to type it: a
//! relative DIR is relative to the folder they typed it in, not to the
//! justfile's.
//!
//! These need `just`. Without it they print a note and pass, except on CI
//! (`CI` set), where `.ci/run` installs it and a missing `just` fails.

mod support;

use assert_cmd::Command;
use std::{fs, path::Path};
use support::{assert_refused, git, repo};

/// `just` run from `dir`, or `None` to skip when it is missing. The recipe
/// builds `start` into a target folder of its own, so that it never
/// replaces the binary the other tests are running.
fn just_in(dir: &Path) -> Option<Command> {
    let mut just = harness::just(dir)?;
    just.env(
        "CARGO_TARGET_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("just-start"),
    );
    Some(Command::from_std(just))
}

#[test]
fn a_relative_dir_is_relative_to_where_just_was_typed() {
    let tmp = tempfile::tempdir().unwrap();
    // Typed outside the repository: `--justfile` finds the recipe.
    let Some(mut just) = just_in(tmp.path()) else {
        return;
    };
    just.arg("--justfile")
        .arg(repo().join("justfile"))
        .args(["start", "m3", "exercises/m3"])
        .assert()
        .success()
        .stdout(predicates::str::contains("just check m3 --repo "));
    let dir = tmp.path().join("exercises/m3");
    assert!(dir.join("src/main.rs").is_file());
    assert_eq!(git(&dir, &["rev-list", "--count", "HEAD"]), "1\n");
    assert!(!repo().join("exercises").exists());

    // Typed in a folder of the repository: relative to that folder, which
    // is inside the repository, so refused.
    let Some(mut just) = just_in(&repo().join("book")) else {
        return;
    };
    let output = just.args(["start", "scratch"]).output().unwrap();
    let stderr = assert_refused(&output, 2);
    let book = repo().join("book/scratch");
    assert!(
        stderr.contains(&format!("(that is, {})", book.display())),
        "{stderr}"
    );
    assert!(!book.exists() && !repo().join("scratch").exists());
}

#[test]
fn folders_with_spaces_reach_the_tool_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(mut just) = just_in(tmp.path()) else {
        return;
    };
    just.arg("--justfile")
        .arg(repo().join("justfile"))
        .args(["start", "my crate"])
        .assert()
        .success();
    assert!(tmp.path().join("my crate/Cargo.toml").is_file());
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
}
