//! `start DIR` where DIR is a Git repository without a crate, as a fresh
//! clone of a GitHub Classroom assignment is (a README.md, a .github/
//! folder, a .gitignore, an origin remote): the crate is added beside what
//! is there in one commit `(0) Start: …` of its files alone, which claims
//! no stage; nothing is overwritten, the remote and the history are kept.
//! A repository that has a crate, or a file the crate would write, is
//! refused in one line with nothing changed. No network is used: the
//! remote is never reached.

mod support;

use std::{fs, path::Path, process::Command};
use support::{assert_refused, build, git, path_with_a_git_that_cannot_commit, repo, start};

const ORIGIN: &str = "https://example.invalid/x.git";
const README: &str = "# advprog-modul6\n\nMy reflections, stage by stage.\n";
const WORKFLOW: &str = "name: GitHub Classroom Workflow\non: [push]\njobs: {}\n";
/// A .gitignore from a template that does not ignore Cargo's target/.
const GITIGNORE: &str = "# Editors\n.vscode/\n*.swp";

/// `git ARGS` in `dir` with an identity of its own, for the setup.
fn git_as_classroom(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=GitHub Classroom",
            "-c",
            "user.email=classroom@example.com",
        ])
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository as `git clone` of a Classroom assignment leaves it, in a new
/// temporary folder: its one commit, on `main`, and its origin remote.
fn classroom_clone() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("advprog-modul6");
    fs::create_dir_all(dir.join(".github/workflows")).unwrap();
    git_as_classroom(&dir, &["init", "--quiet"]);
    git_as_classroom(&dir, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    fs::write(dir.join("README.md"), README).unwrap();
    fs::write(dir.join(".github/workflows/classroom.yml"), WORKFLOW).unwrap();
    fs::write(dir.join(".gitignore"), GITIGNORE).unwrap();
    git_as_classroom(&dir, &["add", "--all"]);
    git_as_classroom(&dir, &["commit", "--quiet", "--message", "Initial commit"]);
    git_as_classroom(&dir, &["remote", "add", "origin", ORIGIN]);
    (tmp, dir)
}

/// Everything in `dir` but `.git`, as (path, bytes), sorted.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, found: &mut Vec<(String, Vec<u8>)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(base).unwrap().display().to_string();
            if relative == ".git" {
                continue;
            }
            if path.is_dir() {
                found.push((format!("{relative}/"), Vec::new()));
                walk(base, &path, found);
            } else {
                found.push((relative, fs::read(&path).unwrap()));
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, dir, &mut found);
    found.sort();
    found
}

#[test]
fn a_classroom_clone_gets_the_crate_beside_what_is_there() {
    let (_tmp, dir) = classroom_clone();
    let initial = git(&dir, &["rev-parse", "HEAD"]);
    let output = start().arg(&dir).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for said in [
        "Added the crate `hello` to the Git repository in ",
        "/target was appended to .gitignore",
        "It is committed on branch main, as\n    (0) Start: cargo new hello",
        "the grader starts at \"(1)\"",
        &format!("remote origin ({ORIGIN}) are as they were"),
        "    git push ",
        "just check 1 --repo ",
    ] {
        assert!(stdout.contains(said), "{said:?} is not in:\n{stdout}");
    }

    // What was there is as it was; .gitignore has one line more.
    let read = |file: &str| fs::read_to_string(dir.join(file)).unwrap();
    assert_eq!(read("README.md"), README);
    assert_eq!(read(".github/workflows/classroom.yml"), WORKFLOW);
    assert_eq!(read(".gitignore"), format!("{GITIGNORE}\n/target\n"));
    // The crate is the one a new folder gets.
    assert!(
        read("Cargo.toml").starts_with("[package]\nname = \"hello\"\nversion = \"0.1.0\"\n"),
        "{}",
        read("Cargo.toml")
    );
    assert_eq!(
        read("src/main.rs"),
        "fn main() {\n    println!(\"Hello, world!\");\n}\n"
    );
    let m1 = repo().join("milestones/m1");
    for page in ["hello.html", "404.html"] {
        assert_eq!(read(page), fs::read_to_string(m1.join(page)).unwrap());
    }

    // The history is kept and has one commit more, of the crate's files.
    assert_eq!(git(&dir, &["rev-parse", "HEAD~1"]), initial);
    let subjects = git(&dir, &["log", "--format=%s"]);
    assert_eq!(
        subjects,
        "(0) Start: cargo new hello, with the book's hello.html and 404.html\nInitial commit\n"
    );
    assert_eq!(
        git(&dir, &["show", "--name-only", "--format=", "HEAD"]),
        ".gitignore\n404.html\nCargo.toml\nhello.html\nsrc/main.rs\n"
    );
    assert_eq!(git(&dir, &["symbolic-ref", "--short", "HEAD"]), "main\n");
    assert_eq!(git(&dir, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&dir, &["remote", "get-url", "origin"]),
        format!("{ORIGIN}\n")
    );
    // The grader reads no stage in it, by its words or otherwise.
    let start_commit = subjects.lines().next().unwrap();
    assert!(
        grade::stages::claim(start_commit).is_none(),
        "{start_commit}"
    );

    // It builds and says hello, and its target/ is ignored.
    let binary = build(&dir, "classroom-clone");
    let output = Command::new(binary).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "Hello, world!\n");
    assert_eq!(git(&dir, &["check-ignore", "target"]), "target\n");
}

#[test]
fn a_gitignore_that_ignores_target_already_is_left_as_it_is() {
    let (_tmp, dir) = classroom_clone();
    fs::write(dir.join(".gitignore"), "debug/\ntarget/\n").unwrap();
    git_as_classroom(
        &dir,
        &["commit", "--quiet", "--all", "--message", "Rust template"],
    );
    let output = start().arg(&dir).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(".gitignore ignores target/ already"),
        "{stdout}"
    );
    assert_eq!(
        fs::read_to_string(dir.join(".gitignore")).unwrap(),
        "debug/\ntarget/\n"
    );
    assert_eq!(
        git(&dir, &["show", "--name-only", "--format=", "HEAD"]),
        "404.html\nCargo.toml\nhello.html\nsrc/main.rs\n"
    );
}

#[test]
fn what_the_student_has_staged_or_changed_stays_out_of_the_commit() {
    let (_tmp, dir) = classroom_clone();
    fs::write(dir.join("notes.md"), "draft\n").unwrap();
    git(&dir, &["add", "notes.md"]);
    fs::write(dir.join("README.md"), format!("{README}More.\n")).unwrap();
    let output = start().arg(&dir).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        git(&dir, &["show", "--name-only", "--format=", "HEAD"]),
        ".gitignore\n404.html\nCargo.toml\nhello.html\nsrc/main.rs\n"
    );
    assert_eq!(
        git(&dir, &["status", "--porcelain"]),
        " M README.md\nA  notes.md\n"
    );
}

#[test]
fn an_empty_repository_with_no_commit_yet_will_do() {
    let tmp = tempfile::tempdir().unwrap();
    git_as_classroom(tmp.path(), &["init", "--quiet"]);
    let output = start().arg(tmp.path()).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "the history (no commits before this one) is as it\nwas, and there is no remote.\n"
        ),
        "{stdout}"
    );
    // No remote, so nothing to push.
    assert!(!stdout.contains("git push"), "{stdout}");
    assert_eq!(
        git(tmp.path(), &["log", "--format=%s"]),
        "(0) Start: cargo new hello, with the book's hello.html and 404.html\n"
    );
}

#[test]
fn a_repository_that_has_a_crate_is_refused_in_one_line() {
    let (_tmp, dir) = classroom_clone();
    fs::write(dir.join("Cargo.toml"), "[package]\nname = \"mine\"\n").unwrap();
    let before = snapshot(&dir);
    for args in [&[][..], &["m4"][..]] {
        let output = start().args(args).arg(&dir).output().unwrap();
        let stderr = assert_refused(&output, 2);
        assert!(
            stderr.contains("has a crate already (a Cargo.toml at its root)"),
            "{stderr}"
        );
        assert!(stderr.contains("just check 1 --repo "), "{stderr}");
    }
    assert_eq!(snapshot(&dir), before);
    assert_eq!(git(&dir, &["rev-list", "--count", "HEAD"]), "1\n");
}

#[test]
fn a_file_the_crate_would_write_is_never_overwritten() {
    let (_tmp, dir) = classroom_clone();
    fs::write(dir.join("hello.html"), "<p>mine</p>\n").unwrap();
    let before = snapshot(&dir);
    let output = start().arg(&dir).output().unwrap();
    let stderr = assert_refused(&output, 2);
    assert!(
        stderr.contains("has hello.html already, which `just start` would write"),
        "{stderr}"
    );
    assert_eq!(snapshot(&dir), before);
    assert_eq!(git(&dir, &["rev-list", "--count", "HEAD"]), "1\n");
}

#[test]
fn a_folder_inside_a_repository_is_not_a_repository_of_its_own() {
    // A non-empty folder of the clone is refused as any non-empty folder is.
    let (_tmp, dir) = classroom_clone();
    let output = start().arg(dir.join(".github")).output().unwrap();
    let stderr = assert_refused(&output, 2);
    assert!(stderr.contains("is not a Git repository"), "{stderr}");
}

#[test]
fn when_the_commit_fails_the_repository_is_as_it_was() {
    let (tmp, dir) = classroom_clone();
    let path = path_with_a_git_that_cannot_commit(tmp.path());

    let before = snapshot(&dir);
    let output = start().arg(&dir).env("PATH", &path).output().unwrap();
    let stderr = assert_refused(&output, 1);
    assert!(stderr.contains("fatal: no commit today"), "{stderr}");
    assert!(stderr.contains("the repository is as it was"), "{stderr}");
    assert_eq!(snapshot(&dir), before);
    assert_eq!(git(&dir, &["status", "--porcelain"]), "");
    assert_eq!(git(&dir, &["rev-list", "--count", "HEAD"]), "1\n");
}
