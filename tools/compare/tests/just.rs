//! The recipes `just compare` and `just bench`, as the README shows them.
//!
//! These need `just`, and `just bench` needs oha. Without them they print a
//! note and pass, except on CI (`CI` set), where `.ci/run` installs both and
//! a missing one fails.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

/// `just` run from the repository root, or `None` to skip when it is missing.
fn just() -> Option<Command> {
    harness::just(&harness::repo_root()).map(Command::from_std)
}

#[test]
fn compare_passes_its_arguments_to_the_tool() {
    let Some(mut just) = just() else { return };
    // The servers' logs go to a folder of their own in TMPDIR.
    let tmp = tempfile::tempdir().unwrap();
    just.env("TMPDIR", tmp.path())
        .args([
            "compare",
            "m2",
            "m3",
            "--scenario",
            "blocked",
            "--sleep-ms",
            "100",
            "--blockers",
            "1",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("/sleep takes 100 ms (SLEEP_MS=100)")
                .and(predicate::str::is_match(r"m2 .* blocked").unwrap())
                .and(predicate::str::is_match(r"m3 .* not blocked").unwrap()),
        );
}

#[test]
fn bench_checks_the_milestone_name() {
    let Some(mut just) = just() else { return };
    just.args(["bench", "m9"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: no milestone named 'm9'",
        ));
}

#[test]
fn bench_without_oha_says_how_to_install_it() {
    if just().is_none() {
        return;
    }
    if Path::new("/usr/bin/oha").exists() || Path::new("/bin/oha").exists() {
        eprintln!("note: oha is installed system-wide; cannot hide it");
        return;
    }
    // `just` by its full path, on a PATH with the system's tools only.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let just_path = std::env::split_paths(&path)
        .map(|dir| dir.join("just"))
        .find(|p| p.is_file())
        .expect("`just` runs, so it is on PATH");
    let mut hidden = Command::new(just_path);
    hidden.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
    hidden
        .args(["bench", "m1"])
        .env("PATH", "/usr/bin:/bin")
        .assert()
        .failure()
        .stderr(
            "error: oha is not installed; install it with: \
             cargo install oha --locked --version 1.16.0\n",
        );
}

#[test]
fn bench_runs_oha_against_the_release_build() {
    let Some(mut just) = just() else { return };
    if std::process::Command::new("oha")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "oha is not installed on CI, where .ci/run installs it"
        );
        eprintln!("note: oha is not installed; `just bench` not run");
        return;
    }
    just.args(["bench", "m1", "-n", "200", "-c", "4"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("oha --disable-keepalive -n 200 -c 4 http://127.0.0.1:")
                .and(predicate::str::contains("[200] 200 responses"))
                .and(
                    predicate::str::is_match(
                        r"\nCPU time: oha [0-9.]+ s user \+ [0-9.]+ s system\n",
                    )
                    .unwrap(),
                )
                .and(
                    predicate::str::is_match(r"\nCPU time: m1 [0-9.]+ s \(user \+ system\)\n")
                        .unwrap(),
                ),
        );
}
