//! `grade` against repositories whose stage attacks the teacher's machine
//! (the crates of `harness::attack`, committed as the module's stage 3):
//! with the hidden `--unsandboxed` the attacks succeed, which shows that
//! the test sees them; in the sandbox they all fail.

mod support;

use assert_cmd::Command;
use harness::attack::Targets;
use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};
use support::Repo;

/// The attacking crate `name`, committed as stage 3 of a repository.
fn repository(targets: &Targets, name: &str, who: &[&str]) -> PathBuf {
    let dir = targets.attacking_crate(name, who);
    // A README as the handout asks, so that the stage's line shows its checks.
    std::fs::write(
        dir.join("README.md"),
        "## Commit 3 Reflection notes\n\nThe server reads the request line and answers the root \
         with hello.html and anything else with a 404 page, choosing the status line and the \
         file as a pair so that the rest of the code is written once.\n\n![](commit3.png)\n",
    )
    .unwrap();
    std::fs::write(dir.join("commit3.png"), b"\x89PNG\r\n\x1a\n").unwrap();
    Repo::init(&dir).commit("(3) Validating request and selectively responding");
    dir
}

fn grade(dir: &Path, repositories: &[&str]) -> Command {
    let mut command = Command::cargo_bin("grade").unwrap();
    command
        .current_dir(dir)
        .args(["--stage", "3"])
        .args(repositories)
        .timeout(Duration::from_secs(300));
    command
}

#[test]
fn without_the_sandbox_the_attacks_succeed() {
    let targets = Targets::new("grade-off");
    repository(&targets, "builder", &["build"]);
    repository(&targets, "server", &["server"]);
    let start = Instant::now();
    let built = grade(targets.outside.path(), &["builder"])
        .args(["--unsandboxed", "--build-timeout", "20"])
        .output()
        .unwrap();
    let hung = start.elapsed() >= Duration::from_secs(20);
    let served = grade(targets.outside.path(), &["server"])
        .arg("--unsandboxed")
        .output()
        .unwrap();
    let (built, served) = (
        String::from_utf8_lossy(&built.stdout).into_owned(),
        String::from_utf8_lossy(&served.stdout).into_owned(),
    );
    let written: Vec<bool> = ["build", "server"]
        .iter()
        .flat_map(|who| targets.written(who))
        .map(|path| path.exists())
        .collect();
    let connected = targets.connected();
    let leftovers = targets.leftovers().len();
    targets.clean();
    assert!(built.starts_with("sandbox: off"), "{built}");
    assert!(written.iter().all(|&w| w), "{written:?}\n{built}\n{served}");
    assert!(connected, "the build did not reach the host's loopback");
    assert!(leftovers >= 2, "{leftovers} daemons left");
    assert!(
        hung && built.contains("did not finish within 20 s"),
        "{built}"
    );
    assert!(served.contains("✓ root, not-found"), "{served}");
}

#[test]
fn in_the_sandbox_every_attack_fails() {
    let targets = Targets::new("grade-on");
    repository(&targets, "student", &["build", "server"]);
    let start = Instant::now();
    let output = grade(targets.outside.path(), &["student"])
        .args(["--build-timeout", "120"])
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let written: Vec<PathBuf> = ["build", "server"]
        .iter()
        .flat_map(|who| targets.written(who))
        .filter(|path| path.exists())
        .collect();
    let connected = targets.connected();
    let leftovers = targets.leftovers();
    targets.clean();
    assert!(
        stdout.starts_with("sandbox: files ✓ network ✓ processes ✓ resources ✓ rights ✓\n"),
        "{stdout}"
    );
    // The attacks ran and failed; the server was checked as usual (the
    // stage fails only for its missing README).
    assert!(stdout.contains("✓ root, not-found"), "{stdout}");
    assert!(written.is_empty(), "written: {written:?}");
    assert!(!connected, "something reached the host's loopback");
    assert!(leftovers.is_empty(), "processes left: {leftovers:?}");
    assert!(elapsed < Duration::from_secs(100), "took {elapsed:?}");
}

#[test]
fn require_sandbox_grades_where_every_protection_holds() {
    let targets = Targets::new("grade-require");
    repository(&targets, "student", &[]);
    let output = grade(targets.outside.path(), &["student"])
        .arg("--require-sandbox")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with(
            "sandbox: files ✓ network ✓ processes ✓ resources ✓ rights ✓\n✓ stage 3: "
        ),
        "{stdout}"
    );
}

#[test]
fn the_json_carries_the_sandbox_line_and_stdout_stays_json() {
    let targets = Targets::new("grade-json");
    repository(&targets, "student", &[]);
    let mut command = Command::cargo_bin("grade").unwrap();
    let output = command
        .current_dir(targets.outside.path())
        .args(["--json", "--jobs", "2", "student"])
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let in_force = |name: &str| serde_json::json!({ "name": name, "in_force": true });
    assert_eq!(
        list[0]["sandbox"],
        serde_json::json!(["files", "network", "processes", "resources", "rights"].map(in_force))
    );
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .starts_with("sandbox: files ✓ network ✓ processes ✓ resources ✓ rights ✓\n"),
        "{output:?}"
    );
}
