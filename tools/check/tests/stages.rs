//! `check STAGE`: a stage of the module (`1` … `5`, `bonus`, in any case)
//! runs the checks `just grade --stage` runs for it, from the one list of
//! stages (`harness::stages`), names the stage in its output and its JSON,
//! and anything that is neither a milestone nor a stage is one line.

use assert_cmd::Command;
use predicates::prelude::*;
use std::{fs, path::Path, time::Duration};

fn check() -> Command {
    let mut command = Command::cargo_bin("check").unwrap();
    command.timeout(Duration::from_secs(180));
    command
}

/// A crate named `hello` at the module's stage 3 (the book's listing 21-9),
/// with the book's pages, in a new temporary folder.
fn crate_at_stage_3() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [dependencies]\n\n[workspace]\n",
    )
    .unwrap();
    let m1 = harness::repo_root().join("milestones/m1");
    for page in ["hello.html", "404.html"] {
        fs::copy(m1.join(page), dir.path().join(page)).unwrap();
    }
    fs::create_dir(dir.path().join("src")).unwrap();
    fs::write(
        dir.path().join("src/main.rs"),
        harness::student::main_rs("3", 0),
    )
    .unwrap();
    dir
}

/// The JSON report of `check ARGS --repo DIR --json`, and its exit code.
fn report(args: &[&str], dir: &Path) -> (serde_json::Value, Option<i32>) {
    let output = check()
        .args(args)
        .arg("--repo")
        .arg(dir)
        .arg("--json")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {output:?}"));
    (report, output.status.code())
}

fn names(report: &serde_json::Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap().to_string())
        .collect()
}

/// Every stage, against one crate at stage 3: each runs its own checks (the
/// grader's, `check::checks::of_stage`, which `grade` runs at the stage's
/// commit), in its milestone's context, and the JSON says which stage.
#[test]
fn each_stage_runs_the_checks_the_grader_runs_for_it() {
    let dir = crate_at_stage_3();
    for stage in harness::STAGES {
        // The bonus as a student may type it.
        let typed = stage.id.to_uppercase();
        let (report, code) = report(&[&typed], dir.path());
        assert_eq!(report["stage"], stage.id, "{typed}: {report}");
        assert_eq!(report["milestone"], stage.milestone, "{typed}");
        assert_eq!(
            report["error"],
            serde_json::Value::Null,
            "{typed}: {report}"
        );
        let graders: Vec<&str> = check::checks::of_stage(stage)
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names(&report), graders, "stage {}", stage.id);
        // A crate at stage 3 passes stages 2 and 3, and no other.
        let passes = matches!(stage.id, "2" | "3");
        assert_eq!(code, Some(if passes { 0 } else { 1 }), "{typed}: {report}");
        // A failed check sends the student to the stage's chapter in Part I.
        for failed in report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "fail")
        {
            let hint = failed["hint"].as_str().unwrap();
            let chapter = format!(
                "; in this course's book: Part I, \"{}\" (book/src/{})",
                stage.title, stage.chapter
            );
            assert!(hint.ends_with(&chapter), "{typed}: {hint}");
            assert!(
                harness::repo_root()
                    .join("book/src")
                    .join(stage.chapter)
                    .is_file()
            );
        }
    }
    // As the student reads it.
    check()
        .arg("1")
        .arg("--repo")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "in this course's book: Part I, \"Stage 1: Reading the request\" \
             (book/src/module/stage1.md)\n",
        ));
    // Not a milestone's checks: m1 has root and not-found, m2 four.
    let (three, _) = report(&["3"], dir.path());
    assert_eq!(names(&three), ["root", "not-found"]);
    let (four, _) = report(&["4"], dir.path());
    assert_eq!(names(&four), ["sleep", "blocks"]);
    assert_eq!(four["checks"][1]["status"], "skip", "{four}");
}

#[test]
fn the_checking_line_names_the_stage_its_message_and_its_checks() {
    let dir = crate_at_stage_3();
    let real = dir.path().canonicalize().unwrap();
    check()
        .arg("3")
        .arg("--repo")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains(format!(
                "\nChecking stage 3 (\"(3) Validating request and selectively responding\": \
                 root, not-found) against the crate in {}",
                real.display()
            ))
            .and(predicate::str::contains("✓ root"))
            .and(predicate::str::contains("✓ not-found"))
            .and(predicate::str::ends_with("2 passed, 0 failed\n")),
        );
}

#[test]
fn a_stages_checks_are_selected_by_name() {
    let dir = crate_at_stage_3();
    check()
        .args(["3", "root", "--repo"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains(
                "(\"(3) Validating request and selectively responding\": root) against",
            )
            .and(predicate::str::contains("✓ root"))
            .and(predicate::str::contains("not-found").not())
            .and(predicate::str::ends_with("1 passed, 0 failed\n")),
        );
    // What a selected check needs comes along, as with a milestone's.
    let (report, _) = report(&["5", "pool-size"], dir.path());
    assert_eq!(names(&report), ["sleep", "pool-size"]);
    assert_eq!(report["stage"], "5");
}

/// Without --repo, a stage checks our milestone of its context: the bonus,
/// `ThreadPool::build`, is m5's lesson, which passes it.
#[test]
fn bonus_checks_our_m5_without_a_crate() {
    check().arg("Bonus").assert().code(0).stdout(
        "Building m5 …\n\
         Checking stage bonus (\"(Bonus) Function improvement\": root, build-result) against \
         our m5 (milestones/m5)\n"
            .to_string()
            + &format!(
                "✓ root               GET / → HTTP/1.1 200 OK with hello.html, Content-Length: {}\n",
                fs::read(harness::repo_root().join("milestones/m5/hello.html"))
                    .unwrap()
                    .len()
            )
            + "✓ build-result       src/lib.rs: `fn build(size: usize) -> Result<ThreadPool, \
               PoolCreationError>`\n\
               2 passed, 0 failed\n",
    );
}

#[test]
fn neither_a_milestone_nor_a_stage_is_one_line_and_exit_2() {
    let choices = format!(
        "choose a milestone ({}) or a stage of the module (1 2 3 4 5 bonus)\n",
        harness::milestones::names().join(" ")
    );
    for (args, message) in [
        (
            vec!["6"],
            format!("error: no milestone or stage named '6'; {choices}"),
        ),
        (
            vec!["0"],
            format!("error: no milestone or stage named '0'; {choices}"),
        ),
        (
            vec!["stage3"],
            format!("error: no milestone or stage named 'stage3'; {choices}"),
        ),
        (
            vec!["6", "--repo", "/nonexistent/crate"],
            format!("error: no milestone or stage named '6'; {choices}"),
        ),
        (
            vec!["3", "sleep"],
            "error: stage 3 has no check named 'sleep'; its checks: root not-found\n".to_string(),
        ),
    ] {
        check()
            .args(&args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(message);
    }
}
