//! `grade` on a class of fixture repositories the test writes: a complete
//! history, a skipped bonus, drifted messages, extra fix-up, reflection and
//! merge commits, a stage that does not compile, a server that never
//! listens, one that hangs, a README without screenshots, and a folder that
//! is not a repository. One run grades them all, side by side.

use assert_cmd::Command;
use grade::fixtures::{Broken, Fixture};
use predicates::prelude::*;
use serde_json::Value;
use std::{
    collections::HashMap,
    fs,
    path::Path,
    sync::OnceLock,
    time::{Duration, Instant},
};

/// The class, graded once for all the tests that read its JSON.
struct Graded {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    by_repo: HashMap<String, Value>,
    took: Duration,
    scratch: std::path::PathBuf,
}

fn fixtures() -> Vec<(&'static str, Fixture)> {
    let base = Fixture::complete(1000);
    let with = |change: &dyn Fn(&mut Fixture)| {
        let mut f = base.clone();
        change(&mut f);
        f
    };
    vec![
        ("complete", base.clone()),
        ("no-bonus", with(&|f| f.bonus = false)),
        ("drifted", with(&|f| f.drifted_messages = true)),
        ("extra-commits", with(&|f| f.extra_commits = true)),
        ("no-screenshots", with(&|f| f.screenshots = false)),
        (
            "does-not-compile",
            with(&|f| f.broken = Some(("3", Broken::DoesNotCompile))),
        ),
        (
            "never-listens",
            with(&|f| f.broken = Some(("2", Broken::NeverListens))),
        ),
        ("hangs", with(&|f| f.broken = Some(("3", Broken::Hangs)))),
    ]
}

fn graded() -> &'static Graded {
    static GRADED: OnceLock<Graded> = OnceLock::new();
    GRADED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("class");
        let mut names = Vec::new();
        for (name, fixture) in fixtures() {
            fixture.write(&root.join(name)).unwrap();
            names.push(name.to_string());
        }
        fs::create_dir_all(root.join("not-a-repository")).unwrap();
        names.push("not-a-repository".to_string());
        // The grader's scratch folder, to look for leftovers in afterwards.
        let scratch = dir.path().join("tmp");
        fs::create_dir_all(&scratch).unwrap();

        let start = Instant::now();
        let output = Command::cargo_bin("grade")
            .unwrap()
            .arg("--json")
            .args(&names)
            .current_dir(&root)
            .env("TMPDIR", &scratch)
            .timeout(Duration::from_secs(600))
            .output()
            .unwrap();
        let took = start.elapsed();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let list: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
        let by_repo = list
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["repository"].as_str().unwrap().to_string(), r.clone()))
            .collect();
        Graded {
            _dir: dir,
            root,
            by_repo,
            took,
            scratch,
        }
    })
}

/// The stage `id` of repository `repo`.
fn stage<'a>(repo: &str, id: &str) -> &'a Value {
    let repo = &graded().by_repo[repo];
    repo["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == id)
        .unwrap_or_else(|| panic!("no stage {id} in {repo}"))
}

fn statuses(repo: &str) -> Vec<String> {
    graded().by_repo[repo]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}:{}",
                s["stage"].as_str().unwrap(),
                s["status"].as_str().unwrap()
            )
        })
        .collect()
}

/// Asserts the statuses of `repo`'s stages, showing the details of those
/// that did not pass when they differ.
fn assert_statuses(repo: &str, expected: Vec<String>) {
    let stages = graded().by_repo[repo]["stages"].as_array().unwrap();
    let details: Vec<String> = stages
        .iter()
        .filter(|s| s["status"] != "pass")
        .map(|s| format!("stage {}: {}", s["stage"], s["details"]))
        .collect();
    assert_eq!(statuses(repo), expected, "{repo}:\n{}", details.join("\n"));
}

fn all(status: &str, except: &[(&str, &str)]) -> Vec<String> {
    ["1", "2", "3", "4", "5", "bonus"]
        .iter()
        .map(|id| {
            let s = except
                .iter()
                .find(|(e, _)| e == id)
                .map_or(status, |(_, s)| s);
            format!("{id}:{s}")
        })
        .collect()
}

/// The full hash of the newest commit whose subject is `subject`.
fn commit_of(repo: &str, subject: &str) -> String {
    let log = std::process::Command::new("git")
        .arg("-C")
        .arg(graded().root.join(repo))
        .args(["log", "--format=%H %s"])
        .output()
        .unwrap();
    String::from_utf8(log.stdout)
        .unwrap()
        .lines()
        .find_map(|l| {
            l.split_once(' ')
                .filter(|(_, s)| *s == subject)
                .map(|(h, _)| h.to_string())
        })
        .unwrap()
}

#[test]
fn a_complete_history_passes_every_stage_at_its_commit() {
    assert_statuses("complete", all("pass", &[]));
    for (id, message) in grade::stages::STAGES.iter().map(|s| (s.id, s.message)) {
        assert_eq!(
            stage("complete", id)["commit"],
            commit_of("complete", message)
        );
    }
    let details = stage("complete", "5")["details"].as_str().unwrap();
    assert!(
        details.starts_with("✓ root, sleep, parallel, pool-size; README: "),
        "{details}"
    );
}

#[test]
fn a_skipped_bonus_is_missing_with_no_commit() {
    assert_statuses("no-bonus", all("pass", &[("bonus", "missing")]));
    let bonus = stage("no-bonus", "bonus");
    assert_eq!(bonus["commit"], Value::Null);
    assert_eq!(
        bonus["details"],
        "no commit message starts with \"(Bonus)\" (the handout's: \"(Bonus) Function improvement\")"
    );
}

#[test]
fn drifted_messages_still_find_their_stages() {
    assert_statuses("drifted", all("pass", &[]));
}

#[test]
fn fixups_reflections_and_merges_are_not_stages_and_the_later_of_two_counts() {
    assert_statuses("extra-commits", all("pass", &[]));
    // Stage 4 was committed twice; the later commit is the one checked.
    assert_eq!(
        stage("extra-commits", "4")["commit"],
        commit_of("extra-commits", "(4) Simulation of slow request.")
    );
    assert_eq!(
        stage("extra-commits", "3")["commit"],
        commit_of(
            "extra-commits",
            "(3) Validating request and selectively responding"
        )
    );
}

#[test]
fn a_readme_without_screenshots_fails_stages_2_and_3() {
    assert_statuses(
        "no-screenshots",
        all("pass", &[("2", "fail"), ("3", "fail")]),
    );
    assert_eq!(
        stage("no-screenshots", "2")["details"],
        "README: the section \"Commit 2 Reflection notes\" embeds no screenshot \
         (`![…](path/to/image.png)`)"
    );
}

#[test]
fn a_stage_that_does_not_compile_fails_alone_with_the_compilers_error() {
    assert_statuses("does-not-compile", all("pass", &[("3", "fail")]));
    assert_eq!(
        stage("does-not-compile", "3")["details"],
        "does not build: error[E0308]: mismatched types (src/main.rs:2:21)"
    );
}

#[test]
fn a_server_that_never_listens_fails_its_stage_in_its_time_limit() {
    assert_statuses("never-listens", all("pass", &[("2", "fail")]));
    assert_eq!(
        stage("never-listens", "2")["details"],
        "your server did not listen on any TCP port within 10 s (is `TcpListener::bind` reached?)"
    );
}

#[test]
fn a_server_that_hangs_fails_its_stage_in_its_time_limit() {
    assert_statuses("hangs", all("pass", &[("3", "fail")]));
    assert_eq!(
        stage("hangs", "3")["details"],
        "✗ root: GET /: no answer within 5 s; ✗ not-found: GET /nothing: no answer within 5 s"
    );
    // The same failures with their evidence, for the report's stage page.
    let failures = stage("hangs", "3")["failures"].as_array().unwrap();
    let checks: Vec<&str> = failures
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["root", "not-found"]);
    assert!(
        failures[0]["sent"]
            .as_str()
            .unwrap()
            .starts_with("\"GET / HTTP/1.1\\r\\n"),
        "{failures:?}"
    );
    assert!(
        failures.iter().all(|f| f["hint"].is_string()),
        "{failures:?}"
    );
    assert_eq!(stage("hangs", "2")["failures"], serde_json::json!([]));
}

#[test]
fn a_folder_that_is_not_a_repository_is_missing_everywhere() {
    assert_statuses("not-a-repository", all("missing", &[]));
    let details = stage("not-a-repository", "1")["details"].as_str().unwrap();
    assert!(
        details.starts_with("not a Git repository with commits"),
        "{details}"
    );
}

#[test]
fn the_class_is_graded_side_by_side_and_leaves_nothing_behind() {
    let graded = graded();
    // One after another, the sleeps alone (about 8 s per repository with a
    // 1 s sleep) and the hanging and silent servers' limits would take
    // well over a minute.
    assert!(
        graded.took < Duration::from_secs(60),
        "took {:?}",
        graded.took
    );
    // No process runs a program from the grader's scratch folder, and the
    // folder is gone.
    let leftovers: Vec<_> = fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| fs::read_link(e.ok()?.path().join("exe")).ok())
        .filter(|exe| exe.starts_with(&graded.scratch))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(fs::read_dir(&graded.scratch).unwrap().count(), 0);
}

#[test]
fn the_table_and_the_csv_show_the_same_grades() {
    let dir = tempfile::tempdir().unwrap();
    let mut fixture = Fixture::complete(600);
    fixture.write(&dir.path().join("alice")).unwrap();
    fixture.bonus = false;
    fixture.write(&dir.path().join("bob")).unwrap();
    let grade = || {
        let mut command = Command::cargo_bin("grade").unwrap();
        command.current_dir(dir.path()).args(["alice", "bob"]);
        command
    };
    // The teachers' chapter shows this table: it is this run's output.
    let output = grade().output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let table = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        table,
        "sandbox: files ✓ network ✓ processes ✓ resources ✓ rights ✓\n\
         repository    1      2      3      4      5    bonus  passed\n\
         alice         ✓      ✓      ✓      ✓      ✓      ✓    6/6\n\
         bob           ✓      ✓      ✓      ✓      ✓      –    5/6\n\
         \n\
         bob stage bonus: – no commit message starts with \"(Bonus)\" (the handout's: \
         \"(Bonus) Function improvement\")\n",
    );
    let shown = harness::repo_root().join("book/src/teachers/grades.txt");
    if std::env::var_os("UPDATE_BOOK_OUTPUTS").is_some() {
        fs::write(&shown, &table).unwrap();
    }
    assert_eq!(
        fs::read_to_string(&shown).unwrap_or_default(),
        table,
        "book/src/teachers/grades.txt is stale: run with UPDATE_BOOK_OUTPUTS=1"
    );
    grade().arg("--csv").assert().code(0).stdout(
        "repository,stage 1,stage 2,stage 3,stage 4,stage 5,stage bonus,passed,details\r\n\
         alice,pass,pass,pass,pass,pass,pass,6,\r\n\
         bob,pass,pass,pass,pass,pass,missing,5,\"bonus: no commit message starts with \
         \"\"(Bonus)\"\" (the handout's: \"\"(Bonus) Function improvement\"\")\"\r\n",
    );
}

#[test]
fn one_stage_exits_0_when_it_passes_and_1_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut fixture = Fixture::complete(600);
    fixture.bonus = false;
    fixture.write(&dir.path().join("bob")).unwrap();
    let stage = |id: &str| {
        let mut command = Command::cargo_bin("grade").unwrap();
        command.current_dir(dir.path()).args(["--stage", id, "bob"]);
        command
    };
    stage("3")
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "sandbox: files ✓ network ✓ processes ✓ resources ✓ rights ✓\n\
             ✓ stage 3: ✓ root, not-found; README: ",
        ));
    stage("bonus")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "\n✗ stage bonus: no commit message starts with",
        ));
}

#[test]
fn work_on_another_branch_than_the_default_is_graded_there() {
    // The default branch main holds only GitHub's "Initial commit"; the
    // stages, README and screenshots are on master.
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("carol");
    let mut fixture = Fixture::complete(600);
    fixture.bonus = false;
    fixture.write(&repo).unwrap();
    let git = |args: &[&str]| {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args([
                "-c",
                "user.name=Student",
                "-c",
                "user.email=student@example.com",
            ])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}: {output:?}");
    };
    git(&["branch", "--move", "main", "master"]);
    git(&["checkout", "--quiet", "--orphan", "main"]);
    git(&["rm", "-r", "--quiet", "--force", "."]);
    fs::write(repo.join("README.md"), "# advprog-modul6\n").unwrap();
    git(&["add", "README.md"]);
    git(&["commit", "--quiet", "-m", "Initial commit"]);
    // Stage 2 needs its code from master and its screenshot from master's
    // README.
    Command::cargo_bin("grade")
        .unwrap()
        .current_dir(dir.path())
        .args(["--stage", "2", "carol"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "sandbox: files ✓ network ✓ processes ✓ resources ✓ rights ✓\n\
             ✓ stage 2: ✓ root; README: ",
        ));
}

#[test]
fn misuse_is_one_line_and_exit_2() {
    let grade = || Command::cargo_bin("grade").unwrap();
    grade()
        .assert()
        .code(2)
        .stderr("error: give the students' repositories: `just grade ~/class/*`\n");
    grade()
        .args(["--stage", "6", "."])
        .assert()
        .code(2)
        .stderr("error: no stage '6'; choose one of: 1 2 3 4 5 bonus\n");
    grade()
        .args(["--stage", "1", ".", "."])
        .assert()
        .code(2)
        .stderr("error: --stage grades one repository: give exactly one\n");
    grade()
        .arg("/nonexistent/student")
        .assert()
        .code(2)
        .stderr("error: /nonexistent/student is not a folder\n");
    grade()
        .args(["--json", "--csv", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::ends_with("see `just grade --help`\n"));
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).is_dir());
}
