//! The `just check` recipe, as the README and the book tell students to
//! type it. Needs `just`: without it these print a note and pass, except on
//! CI (`CI` set), where a missing `just` fails.

use assert_cmd::Command;
use predicates::prelude::*;
use std::{fs, path::Path};

#[test]
fn just_check_runs_a_milestones_checks() {
    let Some(mut just) = harness::just(&harness::repo_root()).map(Command::from_std) else {
        return;
    };
    just.args(["check", "m2"]).assert().code(0).stdout(
        predicate::str::contains("Checking m2 against our m2 (milestones/m2)")
            .and(predicate::str::ends_with("4 passed, 0 failed\n")),
    );
}

#[test]
fn just_check_takes_a_repo_relative_to_where_it_is_typed() {
    // The module's commit 1 (the book's listing 21-2): it prints the
    // request and answers nothing, so its checks fail, exit 1.
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join("me");
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )
    .unwrap();
    fs::write(dir.join("src/main.rs"), harness::student::main_rs("1", 0)).unwrap();
    let Some(mut just) = harness::just(outside.path()).map(Command::from_std) else {
        return;
    };
    just.arg("--justfile")
        .arg(Path::new(&harness::repo_root()).join("justfile"))
        .args(["check", "m1", "root", "--repo", "me"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains(format!(
                "Checking m1 against the crate in {}",
                dir.canonicalize().unwrap().display()
            ))
            .and(predicate::str::contains(
                "✗ root               GET /: the server closed the connection without sending a byte",
            )),
        )
        .stderr("");
}

#[test]
fn just_check_runs_a_stages_checks() {
    let Some(mut just) = harness::just(&harness::repo_root()).map(Command::from_std) else {
        return;
    };
    just.args(["check", "4"]).assert().code(0).stdout(
        predicate::str::contains(
            "Checking stage 4 (\"(4) Simulation of slow request.\": sleep, blocks) against our \
             m2 (milestones/m2)",
        )
        .and(predicate::str::ends_with("2 passed, 0 failed\n")),
    );
}

#[test]
fn just_check_explains_a_wrong_milestone_or_stage_in_one_line() {
    for wrong in ["m99", "6", "stage3"] {
        let Some(mut just) = harness::just(&harness::repo_root()).map(Command::from_std) else {
            return;
        };
        just.args(["check", wrong])
            .assert()
            .code(2)
            .stderr(format!("error: {}\n", check::target::unknown(wrong)));
    }
}
