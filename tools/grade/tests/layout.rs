//! Where the crate is in a student's repository: at the root, as the
//! module asks, or in a folder below it (`hello/`), as some students commit
//! it, with a `target/` and Windows `.exe` files committed beside it.

mod support;

use assert_cmd::Command;
use std::fs;
use support::Repo;

const README: &str = "## Commit 3 Reflection notes\n\nThe server reads the request line and \
                      answers the root with hello.html and anything else with a 404 page, \
                      choosing the status line and the file as a pair so that the rest of \
                      the code is written once.\n\n![](commit3.png)\n";

/// `grade --stage 3 student` in `dir`: its exit code and stdout.
fn grade_stage_3(dir: &std::path::Path) -> (Option<i32>, String) {
    let output = Command::cargo_bin("grade")
        .unwrap()
        .current_dir(dir)
        .args(["--stage", "3", "student"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code(), stdout)
}

#[test]
fn a_crate_in_a_folder_is_graded_there_and_a_committed_target_changes_nothing() {
    let outside = tempfile::tempdir().unwrap();
    let repo = outside.path().join("student");
    harness::attack::write_crate(&repo.join("hello"), &harness::student::main_rs("3", 0), "");
    // What a Windows build leaves, committed: not the stage's code.
    fs::create_dir_all(repo.join("hello/target/debug")).unwrap();
    fs::write(
        repo.join("hello/target/debug/hello.exe"),
        b"MZ not a program",
    )
    .unwrap();
    fs::write(
        repo.join("hello/target/debug/hello"),
        b"#!/bin/sh\nexit 1\n",
    )
    .unwrap();
    fs::write(repo.join("README.md"), README).unwrap();
    fs::write(repo.join("commit3.png"), b"\x89PNG\r\n\x1a\n").unwrap();
    Repo::init(&repo).commit("(3) Validating request and selectively responding");
    let (code, stdout) = grade_stage_3(outside.path());
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("\n✓ stage 3: ✓ root, not-found (the crate in hello/); README: "),
        "{stdout}"
    );
}

#[test]
fn two_crates_below_the_root_are_one_line() {
    let outside = tempfile::tempdir().unwrap();
    let repo = outside.path().join("student");
    for folder in ["hello", "server"] {
        harness::attack::write_crate(&repo.join(folder), &harness::student::main_rs("3", 0), "");
    }
    fs::write(repo.join("README.md"), README).unwrap();
    Repo::init(&repo).commit("(3) Validating request");
    let (code, stdout) = grade_stage_3(outside.path());
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "✗ stage 3: no Cargo.toml at the repository's root, and 2 folders below it hold \
             one (hello, server): which is the crate?"
        ),
        "{stdout}"
    );
}
