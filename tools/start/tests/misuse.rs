//! What `start` refuses, with one line that says what to do, exit 2 and
//! nothing made: a folder that holds something, a folder inside this
//! repository however it is named, a milestone that does not exist. And
//! exit 1 when it cannot do what it was asked: git missing.

mod support;

use std::fs;
use support::{assert_refused, path_with_a_git_that_cannot_commit, repo, start};

#[test]
fn a_folder_that_is_not_empty_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("notes.md"), "mine").unwrap();
    let output = start().arg(tmp.path()).output().unwrap();
    let stderr = assert_refused(&output, 2);
    assert!(
        stderr.contains("already exists and is not empty"),
        "{stderr}"
    );
    assert!(stderr.contains("just start ~/advprog-modul6"), "{stderr}");
    let left: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "only notes.md");
}

#[test]
fn a_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    fs::write(&file, "").unwrap();
    let output = start().arg("m3").arg(&file).output().unwrap();
    let stderr = assert_refused(&output, 2);
    assert!(stderr.contains("is not a folder"), "{stderr}");
    assert!(stderr.contains("just start m3 ~/exercises/m3"), "{stderr}");
}

#[test]
fn a_folder_inside_this_repository_is_refused_however_it_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let link = tmp.path().join("course");
    std::os::unix::fs::symlink(repo().join("milestones"), &link).unwrap();
    let scratch = repo().join("start-test-scratch");
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        // Plainly.
        (vec![scratch.clone().into()], ""),
        // Relative to the folder it is run from.
        (
            vec![
                "--cwd".into(),
                repo().join("milestones").into(),
                "../start-test-scratch".into(),
            ],
            "(that is, ",
        ),
        // Through a symbolic link, and `..` after it.
        (vec![link.join("start-test-scratch").into()], "(that is, "),
        (
            vec!["m4".into(), link.join("../start-test-scratch").into()],
            "(that is, ",
        ),
    ];
    for (args, shows) in cases {
        let output = start().args(&args).output().unwrap();
        let stderr = assert_refused(&output, 2);
        assert!(
            stderr.contains("is inside this repository"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains(shows), "{args:?}: {stderr}");
        assert!(!scratch.exists() && !repo().join("milestones/start-test-scratch").exists());
    }
    // The repository itself, and a milestone's folder, which are not empty.
    for dir in [repo(), repo().join("milestones/m3")] {
        let output = start().arg(&dir).output().unwrap();
        let stderr = assert_refused(&output, 2);
        assert!(stderr.contains("is inside this repository"), "{stderr}");
    }
}

#[test]
fn an_unknown_milestone_is_refused_with_the_list() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("crate");
    let output = start().arg("m9").arg(&dir).output().unwrap();
    let stderr = assert_refused(&output, 2);
    assert_eq!(
        stderr,
        format!("error: {}\n", harness::milestones::unknown("m9"))
    );
    assert!(!dir.exists());
}

#[test]
fn a_milestone_without_a_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let output = start().current_dir(tmp.path()).arg("m4").output().unwrap();
    let stderr = assert_refused(&output, 2);
    assert!(stderr.contains("just start m4 ~/exercises/m4"), "{stderr}");
    // A name like a milestone's is taken for one, even alone.
    let output = start().current_dir(tmp.path()).arg("m9").output().unwrap();
    let stderr = assert_refused(&output, 2);
    assert!(
        stderr.starts_with("error: no milestone named 'm9'"),
        "{stderr}"
    );
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn a_bad_command_line_is_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let output = start().current_dir(tmp.path()).output().unwrap();
    let stderr = assert_refused(&output, 2);
    assert!(stderr.contains("`just start ~/advprog-modul6`"), "{stderr}");
    for args in [&["m1", "a", "b"][..], &["--nope", "x"]] {
        let output = start().current_dir(tmp.path()).args(args).output().unwrap();
        let stderr = assert_refused(&output, 2);
        assert!(stderr.ends_with("; see `just start --help`\n"), "{stderr}");
    }
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn help_says_how_to_use_it() {
    let output = start().arg("--help").output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Usage: just start [MILESTONE] DIR"),
        "{stdout}"
    );
    assert!(!stdout.contains("--cwd"), "{stdout}");
}

#[test]
fn without_git_it_fails_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("no-tools");
    fs::create_dir(&empty).unwrap();
    let dir = tmp.path().join("new/crate");
    let output = start().arg(&dir).env("PATH", &empty).output().unwrap();
    let stderr = assert_refused(&output, 1);
    assert!(stderr.contains("cannot run git; install it"), "{stderr}");
    assert!(!tmp.path().join("new").exists());
}

#[test]
fn when_git_fails_halfway_what_was_made_is_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let path = path_with_a_git_that_cannot_commit(tmp.path());

    // A new folder is removed, with the parents it needed.
    let dir = tmp.path().join("new/crate");
    let output = start().arg(&dir).env("PATH", &path).output().unwrap();
    let stderr = assert_refused(&output, 1);
    assert!(stderr.contains("fatal: no commit today"), "{stderr}");
    assert!(!tmp.path().join("new").exists());

    // An empty folder given is emptied again, and kept.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let output = start()
        .arg("m1")
        .arg(&empty)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_refused(&output, 1);
    assert_eq!(fs::read_dir(&empty).unwrap().count(), 0);
}
