//! The recipes `just grade` and `just grade-bench`, as the README and the
//! teachers' chapter show them. They need `just`: without it they print a
//! note and pass, except on CI, where a missing `just` fails.

use assert_cmd::Command;
use grade::fixtures::Fixture;
use predicates::prelude::*;

#[test]
fn just_grade_takes_repositories_relative_to_where_it_is_typed() {
    let class = tempfile::tempdir().unwrap();
    Fixture::complete(600)
        .write(&class.path().join("alice"))
        .unwrap();
    let Some(mut just) = harness::just(class.path()).map(Command::from_std) else {
        return;
    };
    just.arg("--justfile")
        .arg(harness::repo_root().join("justfile"))
        .args(["grade", "--json", "alice"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::starts_with("[\n  {\n    \"repository\": \"alice\",")
                .and(predicate::str::contains("\"status\": \"pass\""))
                .and(predicate::str::contains("\"status\": \"fail\"").not()),
        );
}

#[test]
fn just_grade_bench_times_a_fixture_class() {
    let Some(mut just) = harness::just(&harness::repo_root()).map(Command::from_std) else {
        return;
    };
    just.args(["grade-bench", "2", "600"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::is_match(
                "^grading 2 fixture repositories, /sleep of 600 ms, on [0-9]+ CPUs\n\
             sandbox: files ✓ network ✓ processes ✓ resources ✓ rights ✓\n\
             graded in [0-9.]+ s in the sandbox, [0-9.]+ s without it \\([+-][0-9.]+ %\\)\n\
             12 of 12 stages passed, 0 missing \\(the fixtures skip some bonuses\\)\n$",
            )
            .unwrap(),
        );
}
