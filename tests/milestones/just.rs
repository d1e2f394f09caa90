//! The justfile's recipes, as the README tells students to type them.
//!
//! These need `just`. Without it they print a note and pass, except on CI
//! (`CI` set), where `.ci/run` installs it and a missing `just` fails.

use crate::support::milestones;
use assert_cmd::Command;
use predicates::prelude::*;

/// `just` run from the repository root, or `None` to skip when it is missing.
fn just() -> Option<Command> {
    harness::just(&harness::repo_root()).map(Command::from_std)
}

#[test]
fn just_alone_lists_the_recipes() {
    let Some(mut just) = just() else { return };
    just.assert().success().stdout(
        predicate::str::contains("run milestone")
            .and(predicate::str::contains("test"))
            .and(predicate::str::contains("diff from to")),
    );
}

#[test]
fn diff_shows_the_lesson_of_m3() {
    let Some(mut just) = just() else { return };
    just.args(["diff", "m2", "m3"]).assert().success().stdout(
        predicate::str::contains("+        thread::spawn(|| {")
            .and(predicate::str::contains("Cargo.toml").not()),
    );
}

#[test]
fn diff_shows_the_lessons_of_the_pools() {
    for (from, to, lesson) in [
        ("m3", "m4", "+pub struct ThreadPool {"),
        ("m4", "m5", "+pub struct PoolCreationError;"),
        ("m5", "m6", "+impl Drop for ThreadPool {"),
    ] {
        let Some(mut just) = just() else { return };
        just.args(["diff", from, to])
            .assert()
            .success()
            .stdout(predicate::str::contains(lesson));
    }
}

#[test]
fn diff_leaves_out_the_books_anchor_comments() {
    // m6 marks the lines its chapter shows with `// ANCHOR: name`; they
    // are not code, and the diff, like the book's, does not show them.
    let Some(mut just) = just() else { return };
    just.args(["diff", "m5", "m6"]).assert().success().stdout(
        predicate::str::contains("+impl Drop for ThreadPool {")
            .and(predicate::str::contains("+mod request;"))
            .and(predicate::str::contains("ANCHOR").not()),
    );
}

#[test]
fn run_passes_the_address_to_the_milestone() {
    let Some(mut just) = just() else { return };
    just.args(["run", "m1", "not-an-address"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "error: cannot listen on not-an-address",
        ));
}

#[test]
fn run_passes_the_pool_size_to_the_milestone() {
    let Some(mut just) = just() else { return };
    just.args(["run", "m5", "127.0.0.1:0", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: a thread pool needs at least one worker, not 0",
        ));
}

#[test]
fn a_wrong_milestone_name_gets_one_line_listing_the_valid_ones() {
    let Some(mut just) = just() else { return };
    just.args(["run", "m9"]).assert().code(2).stderr(format!(
        "error: no milestone named 'm9'; choose one of: {}\n",
        milestones().join(" ")
    ));
}

/// A folder with an `mdbook` that prints its arguments instead of serving.
fn fake_mdbook() -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fake-mdbook");
    std::fs::create_dir_all(&dir).unwrap();
    let mdbook = dir.join("mdbook");
    std::fs::write(&mdbook, "#!/bin/sh\necho \"mdbook $*\"\n").unwrap();
    std::fs::set_permissions(&mdbook, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn serve_book_takes_an_optional_port() {
    // Port 3000 is often taken on a shared lab machine.
    let path = format!(
        "{}:{}",
        fake_mdbook().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (args, served) in [
        (&[][..], "mdbook serve book --port 3000\n"),
        (&["4000"][..], "mdbook serve book --port 4000\n"),
        (&["en", "4001"][..], "mdbook serve book --port 4001\n"),
    ] {
        let Some(mut just) = just() else { return };
        just.env("PATH", &path)
            .arg("serve-book")
            .args(args)
            .assert()
            .success()
            .stdout(served);
    }
    for (args, error) in [
        (
            &["99999"][..],
            "error: '99999' is not a port; pass a number from 1 to 65535, such as 4000\n",
        ),
        (
            &["en", "1", "2"][..],
            "error: too many arguments; use: just serve-book [en|id] [PORT]\n",
        ),
    ] {
        let Some(mut just) = just() else { return };
        just.env("PATH", &path)
            .arg("serve-book")
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(error);
    }
}

/// Part I's "Typing the commands in your clone": with `JUST_JUSTFILE`
/// naming this repository's justfile, `just start .` and `just check 1
/// --repo .`, typed in a clone, work on the clone.
#[test]
fn in_a_clone_with_just_justfile_set_start_and_check_take_dot_for_the_clone() {
    let Some(_) = just() else { return };
    let home = tempfile::tempdir().unwrap();
    let clone = home.path().join("advprog-modul6");
    std::fs::create_dir_all(&clone).unwrap();
    std::fs::write(clone.join("README.md"), "# advprog-modul6\n").unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .current_dir(&clone)
            .args([
                "-c",
                "user.name=A Student",
                "-c",
                "user.email=s@example.com",
            ])
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "--quiet", "--initial-branch", "main"]);
    git(&["add", "."]);
    git(&["commit", "--quiet", "-m", "Initial commit"]);
    let in_the_clone = |args: &[&str]| {
        let mut just = Command::new("just");
        just.current_dir(&clone)
            .env("JUST_JUSTFILE", harness::repo_root().join("justfile"))
            .env("GIT_AUTHOR_NAME", "A Student")
            .env("GIT_AUTHOR_EMAIL", "s@example.com")
            .env("GIT_COMMITTER_NAME", "A Student")
            .env("GIT_COMMITTER_EMAIL", "s@example.com")
            .args(args);
        just
    };
    in_the_clone(&["start", "."]).assert().success();
    assert!(clone.join("Cargo.toml").is_file() && clone.join("src/main.rs").is_file());
    // Stage 1's code, checked on the clone.
    std::fs::copy(
        harness::repo_root().join("module/stage1/src/main.rs"),
        clone.join("src/main.rs"),
    )
    .unwrap();
    in_the_clone(&["check", "1", "--repo", "."])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "against the crate in {}",
            clone.canonicalize().unwrap().display()
        )));
}
