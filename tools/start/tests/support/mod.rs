//! What the tests of `start` share: the tool, the folder it must stay out
//! of, and builds of the crates it makes.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use assert_cmd::Command;
use std::{
    path::{Path, PathBuf},
    process::Output,
};

/// The `start` binary of this package.
pub fn start() -> Command {
    Command::cargo_bin("start").unwrap()
}

/// This repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// `cargo build` of the crate in `dir`, into a target folder of its own
/// under this workspace's target/ (`name` says which): kept between runs so
/// that a build is incremental, and one per test so that two `hello` crates
/// built at once never overwrite each other's binary. Returns the binary.
pub fn build(dir: &Path, name: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("start-crates")
        .join(name);
    let cargo = std::env::var_os("CARGO").unwrap_or("cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["build", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo build failed in {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    target.join("debug/hello")
}

/// `git ARGS` in `dir`; its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// Asserts that `output` is a refusal: exit `code`, nothing on stdout, one
/// line on stderr that starts with `error: `, and no panic.
pub fn assert_refused(output: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(output.stdout.is_empty(), "{output:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line, not:\n{stderr}");
    stderr
}

/// A PATH whose `git` does everything but commit (it fails as Git does,
/// `fatal: no commit today`): a fake written into `dir`, ahead of the real
/// one.
pub fn path_with_a_git_that_cannot_commit(dir: &Path) -> std::ffi::OsString {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    let real = std::env::split_paths(&path)
        .map(|dir| dir.join("git"))
        .find(|p| p.is_file())
        .expect("git is on PATH");
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("git");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\ncase \" $* \" in *\" commit \"*) echo 'fatal: no commit today' >&2; exit 128;; esac\n\
             exec '{}' \"$@\"\n",
            real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut paths = vec![bin];
    paths.extend(std::env::split_paths(&path));
    std::env::join_paths(paths).unwrap()
}
