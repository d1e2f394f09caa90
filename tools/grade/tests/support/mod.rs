//! What the grader's tests share: a student's Git repository that a test
//! writes, commit by commit.

#![allow(dead_code)] // each test file uses its own part of it

use harness::student::{lib_rs, main_rs};
use std::{
    cell::Cell,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

/// A repository being written, with a clock that moves a minute per
/// commit, so that "newest" never depends on two commits' same second.
pub struct Repo {
    _dir: Option<tempfile::TempDir>,
    pub path: PathBuf,
    clock: Cell<u64>,
}

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("student");
        fs::create_dir_all(&path).unwrap();
        let repo = Repo {
            _dir: Some(dir),
            path,
            clock: Cell::new(1_700_000_000),
        };
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo
    }

    /// A repository made in `path`, which the caller owns.
    pub fn init(path: &Path) -> Repo {
        fs::create_dir_all(path).unwrap();
        let repo = Repo {
            _dir: None,
            path: path.to_path_buf(),
            clock: Cell::new(1_700_000_000),
        };
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo
    }

    /// A repository a fixture wrote into `dir`.
    pub fn at(dir: tempfile::TempDir) -> Repo {
        Repo {
            path: dir.path().to_path_buf(),
            _dir: Some(dir),
            clock: Cell::new(1_700_000_000),
        }
    }

    /// `git clone` of this repository into a folder beside it.
    pub fn clone_beside(&self) -> Repo {
        let path = self.path.with_file_name("clone");
        let out = Command::new("git")
            .args(["clone", "--quiet"])
            .arg(&self.path)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Repo {
            _dir: None,
            path,
            clock: Cell::new(self.clock.get()),
        }
    }

    pub fn git(&self, args: &[&str]) -> String {
        let date = format!("@{} +0700", self.clock.get());
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.path)
            .args([
                "-c",
                "user.name=Student",
                "-c",
                "user.email=student@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    pub fn put(&self, path: &str, text: &str) -> &Repo {
        let path = self.path.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    /// The crate of `stage` (`1` … `5`, `bonus`), as the book has it.
    pub fn code(&self, stage: &str) -> &Repo {
        if !self.path.join("Cargo.toml").exists() {
            self.put(
                "Cargo.toml",
                "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
            );
            self.put("hello.html", "<h1>Hello!</h1>\n");
        }
        self.put("src/main.rs", &main_rs(stage, 100));
        if matches!(stage, "5" | "bonus") {
            self.put("src/lib.rs", &lib_rs(stage));
        }
        self
    }

    /// A README edit: reflections, nothing else.
    pub fn readme(&self, text: &str) -> &Repo {
        let old = fs::read_to_string(self.path.join("README.md")).unwrap_or_default();
        self.put("README.md", &format!("{old}{text}\n"))
    }

    /// Commits everything, returns the commit's full hash.
    pub fn commit(&self, message: &str) -> String {
        self.clock.set(self.clock.get() + 60);
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// `git merge --no-ff -m MESSAGE BRANCH` (unrelated histories allowed).
    pub fn merge(&self, branch: &str, message: &str) -> String {
        self.clock.set(self.clock.get() + 60);
        self.git(&[
            "merge",
            "--quiet",
            "--no-ff",
            "--allow-unrelated-histories",
            "-m",
            message,
            branch,
        ]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Commits of the handout's stages `ids`, one each, with their code.
    pub fn handout(&self, ids: &[&str]) {
        for id in ids {
            let stage = grade::stages::find(id).unwrap();
            self.code(id).commit(stage.message);
        }
    }

    pub fn hash(&self, message: &str) -> String {
        let log = self.git(&["log", "--all", "--format=%H %s"]);
        log.lines()
            .find_map(|l| l.split_once(' ').filter(|(_, s)| *s == message))
            .unwrap_or_else(|| panic!("no commit {message:?}"))
            .0
            .to_string()
    }
}
