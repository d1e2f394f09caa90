//! `check --repo DIR`: a student's crate, built and started by the checker.
//! Its code is untrusted: these crates do not compile, never listen, crash,
//! hang or print megabytes, and each case ends in one clear line, within a
//! time limit, with no process left behind.

use assert_cmd::Command;
use predicates::prelude::*;
use std::{
    fs,
    path::Path,
    time::{Duration, Instant},
};

/// The module's commit 3: the book's listing 21-9, on the fixed port 7878,
/// reading its pages from the working directory.
fn commit_3() -> String {
    harness::student::main_rs("3", 0)
}

/// A crate named `hello` in a new temporary folder, with the book's pages
/// and this `main.rs`.
fn student_crate(main_rs: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let milestone = harness::repo_root().join("milestones/m1");
    fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [dependencies]\n\n[workspace]\n",
    )
    .unwrap();
    for page in ["hello.html", "404.html"] {
        fs::copy(milestone.join(page), dir.path().join(page)).unwrap();
    }
    fs::create_dir(dir.path().join("src")).unwrap();
    fs::write(dir.path().join("src/main.rs"), main_rs).unwrap();
    dir
}

fn check(milestone: &str, dir: &Path) -> Command {
    let mut command = Command::cargo_bin("check").unwrap();
    command
        .args([milestone, "--repo"])
        .arg(dir)
        .timeout(Duration::from_secs(120));
    command
}

/// Whether any process runs a program from `dir`.
fn runs_from(dir: &Path) -> bool {
    let dir = dir.canonicalize().unwrap();
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| fs::read_link(e.ok()?.path().join("exe")).ok())
        .any(|exe| exe.starts_with(&dir))
}

/// A crate made by `just start` (the `start` tool) in a new temporary
/// folder, with `main_rs` written over its `src/main.rs`.
fn started_crate(main_rs: &str) -> tempfile::TempDir {
    let outside = tempfile::tempdir().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or("cargo".to_string());
    let status = std::process::Command::new(cargo)
        .args(["run", "--quiet", "--package", "start", "--"])
        .arg(outside.path().join("me"))
        .current_dir(harness::repo_root())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "start failed");
    fs::write(outside.path().join("me/src/main.rs"), main_rs).unwrap();
    outside
}

/// `just start m6 DIR` copies our m6 for the chapter's exercises: the copy,
/// checked as a student's crate (with the book's 5 s sleep), passes m6's
/// checks, graceful shutdown included.
#[test]
fn a_copy_of_m6_made_by_start_passes_the_checks_of_m6() {
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join("m6");
    let cargo = std::env::var("CARGO").unwrap_or("cargo".to_string());
    let status = std::process::Command::new(cargo)
        .args(["run", "--quiet", "--package", "start", "--", "m6"])
        .arg(&dir)
        .current_dir(harness::repo_root())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "start m6 failed");
    let count = check::checks::of(harness::milestones::find("m6").unwrap()).len();
    check("m6", &dir)
        .assert()
        .code(0)
        .stdout(predicate::str::ends_with(format!(
            "{count} passed, 0 failed\n"
        )));
    assert!(!runs_from(&dir), "the crate's server still runs");
}

/// The done-when of the classroom's first part: `just start`, build up to
/// the module's commit 3, and `check m1` passes while `check m4` fails on
/// the first concept the crate lacks, the /sleep route, with its hint.
#[test]
fn commit_3_passes_m1_and_fails_m4_on_the_sleep_route() {
    let outside = started_crate(&commit_3());
    let dir = &outside.path().join("me");
    check("m1", dir).assert().code(0).stdout(
        predicate::str::contains(", in a private network\n")
            .and(predicate::str::contains("✓ root"))
            .and(predicate::str::contains("✓ not-found"))
            .and(predicate::str::ends_with("2 passed, 0 failed\n")),
    );
    let output = check("m4", dir).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    // The README shows this run, in a student's home folder.
    let shown = String::from_utf8(output.stdout.clone()).unwrap().replace(
        &dir.canonicalize().unwrap().display().to_string(),
        "/home/student/advprog-modul6",
    );
    let readme = fs::read_to_string(harness::repo_root().join("README.md")).unwrap();
    let quoted = readme
        .split("$ just check m4 --repo ~/advprog-modul6\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README quotes `just check m4 --repo ~/advprog-modul6`");
    assert_eq!(
        quoted, shown,
        "the README's example is stale: paste this run"
    );
    check("m4", dir).assert().code(1).stdout(
        predicate::str::contains("✓ not-found")
            .and(predicate::str::contains(
                "✗ sleep              GET /sleep: the status line is \"HTTP/1.1 404 NOT FOUND\"",
            ))
            .and(predicate::str::contains(
                "    hint:      simulating a slow request: a `GET /sleep HTTP/1.1` arm",
            ))
            .and(predicate::str::contains(
                "    replay:    `cargo run` in your crate, then: curl -i http://127.0.0.1:7878/sleep",
            ))
            .and(predicate::str::contains("- parallel           not run"))
            .and(predicate::str::ends_with("2 passed, 1 failed, 2 not run\n")),
    );
    assert!(!runs_from(dir), "the crate's server still runs");
}

/// A target folder set for the whole machine must not be shared by the
/// crates the checker builds: two crates named `hello` would overwrite each
/// other's binary.
#[test]
fn a_crate_builds_into_its_own_target_folder_whatever_the_environment_says() {
    let dir = student_crate(&commit_3());
    let shared = tempfile::tempdir().unwrap();
    check("m1", dir.path())
        .env("CARGO_TARGET_DIR", shared.path())
        .assert()
        .code(0);
    assert!(dir.path().join("target/debug/hello").is_file());
    assert_eq!(fs::read_dir(shared.path()).unwrap().count(), 0);
}

#[test]
fn a_crate_that_does_not_compile_is_one_line_and_exit_2() {
    let dir = student_crate("fn main() {\n    let x: u32 = \"seven\";\n}\n");
    check("m1", dir.path())
        .assert()
        .code(2)
        .stdout(predicate::str::ends_with(
            "✗ your crate does not build: error[E0308]: mismatched types (src/main.rs:2:18)\n",
        ));
}

#[test]
fn a_build_that_never_ends_is_stopped_at_its_time_limit() {
    let dir = student_crate("fn main() {}\n");
    fs::write(dir.path().join("build.rs"), "fn main() {\n    loop {}\n}\n").unwrap();
    let start = Instant::now();
    check("m1", dir.path())
        .args(["--build-timeout", "5"])
        .assert()
        .code(2)
        .stdout(predicate::str::ends_with(
            "✗ your crate does not build: `cargo build` did not finish within 5 s \
             (a build script that never ends?)\n",
        ));
    assert!(start.elapsed() < Duration::from_secs(60));
    assert!(!runs_from(dir.path()), "the build script still runs");
}

#[test]
fn a_server_that_panics_at_start_is_one_line_and_exit_2() {
    let dir = student_crate("fn main() {\n    panic!(\"no config\");\n}\n");
    check("m1", dir.path())
        .assert()
        .code(2)
        .stdout(predicate::str::ends_with(
            "✗ your server exited before it listened (exit code 101): panicked: no config\n",
        ));
}

#[test]
fn a_server_that_never_listens_is_given_ten_seconds() {
    let dir = student_crate(
        "fn main() {\n    loop {\n        std::thread::sleep(std::time::Duration::from_secs(1));\n    }\n}\n",
    );
    let start = Instant::now();
    check("m1", dir.path()).assert().code(2).stdout(predicate::str::ends_with(
        "✗ your server did not listen on any TCP port within 10 s (is `TcpListener::bind` reached?)\n",
    ));
    assert!(start.elapsed() < Duration::from_secs(60));
    assert!(!runs_from(dir.path()), "the crate's program still runs");
}

#[test]
fn a_server_that_never_answers_fails_each_check_in_its_time_limit() {
    // It accepts every connection and keeps it, answering nothing.
    let dir = student_crate(
        "fn main() {\n    let listener = std::net::TcpListener::bind(\"127.0.0.1:7878\").unwrap();\n    \
         let mut held = Vec::new();\n    for stream in listener.incoming() {\n        \
         held.push(stream);\n    }\n}\n",
    );
    let start = Instant::now();
    check("m1", dir.path()).assert().code(1).stdout(
        predicate::str::contains("✗ root               GET /: no answer within 5 s")
            .and(predicate::str::contains(
                "✗ not-found          GET /nothing: no answer within 5 s",
            ))
            .and(predicate::str::ends_with("0 passed, 2 failed\n")),
    );
    assert!(start.elapsed() < Duration::from_secs(60));
    assert!(!runs_from(dir.path()), "the crate's server still runs");
}

#[test]
fn a_server_that_prints_megabytes_is_still_checked() {
    // 20 MiB on stdout before it listens, and a line per request after.
    let noisy = commit_3().replace(
        "    let listener",
        "    let line = \"x\".repeat(1023);\n    for _ in 0..20 * 1024 {\n        \
         println!(\"{line}\");\n    }\n    let listener",
    );
    let noisy = noisy.replace(
        "    let buf_reader",
        "    eprintln!(\"{}\", \"y\".repeat(100_000));\n    let buf_reader",
    );
    assert!(noisy.contains("repeat(1023)") && noisy.contains("repeat(100_000)"));
    let dir = student_crate(&noisy);
    check("m1", dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::ends_with("2 passed, 0 failed\n"));
}
