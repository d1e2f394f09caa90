//! The crate's commit: a new repository with `main` as its branch and one
//! commit, or one commit more in a repository that exists, of the crate's
//! files alone.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// Who the first commit is by when git knows nobody: on CI, or on a machine
/// where the student has not told git yet.
const FALLBACK_NAME: &str = "Student";
const FALLBACK_EMAIL: &str = "student@example.com";

/// The commit made.
pub struct Commit {
    /// `Name <email>`, as git recorded it.
    pub author: String,
    /// Whether git knew nobody and the author is the fallback.
    pub fallback_identity: bool,
}

/// Fails, saying what to do, when git cannot be run.
pub fn check_installed() -> Result<(), String> {
    match Command::new("git").arg("--version").output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(_) | Err(_) => Err(
            "cannot run git; install it (https://git-scm.com/downloads), \
             make sure `git --version` works, then run this again"
                .to_string(),
        ),
    }
}

/// `git init` in `dir`, the branch named `main`, everything added and
/// committed with `message`.
pub fn init_and_commit(dir: &Path, message: &str) -> Result<Commit, String> {
    git(dir, &["init", "--quiet"])?;
    // `git init -b main` needs git 2.28; this works with any.
    git(dir, &["symbolic-ref", "HEAD", "refs/heads/main"])?;
    git(dir, &["add", "--all"])?;
    commit(dir, message, &[])
}

/// In the repository `dir`, `paths` (relative to it) added and committed
/// with `message`, and nothing else: what the student has staged or
/// changed stays as it was. Added even where a `.gitignore` ignores them,
/// since the crate needs them.
pub fn add_and_commit(dir: &Path, paths: &[PathBuf], message: &str) -> Result<Commit, String> {
    let paths: Vec<&str> = paths.iter().filter_map(|p| p.to_str()).collect();
    let mut add = vec!["add", "--force", "--"];
    add.extend(&paths);
    git(dir, &add)?;
    commit(dir, message, &paths)
}

/// `paths` taken out of the index again, as they were at HEAD (none at all
/// before the first commit): after a commit that failed.
pub fn unstage(dir: &Path, paths: &[PathBuf]) {
    let _ = command(dir)
        .args(["reset", "--quiet", "--"])
        .args(paths)
        .output();
}

/// `git commit`: of `only` these paths when there are any, of the index
/// otherwise. The identity falls back only for what git does not know.
fn commit(dir: &Path, message: &str, only: &[&str]) -> Result<Commit, String> {
    // `-c` sets it for this commit alone; GIT_AUTHOR_NAME and the like
    // still win over it.
    let mut commit: Vec<String> = Vec::new();
    for (key, fallback) in [("user.name", FALLBACK_NAME), ("user.email", FALLBACK_EMAIL)] {
        if !knows(dir, key) {
            commit.extend(["-c".to_string(), format!("{key}={fallback}")]);
        }
    }
    commit.extend(["commit", "--quiet", "--message", message].map(String::from));
    if !only.is_empty() {
        commit.extend(["--only", "--"].map(String::from));
        commit.extend(only.iter().map(|p| p.to_string()));
    }
    let args: Vec<&str> = commit.iter().map(String::as_str).collect();
    git(dir, &args)?;
    let author = git(dir, &["log", "-1", "--format=%an <%ae>"])?;
    let author = String::from_utf8_lossy(&author.stdout).trim().to_string();
    Ok(Commit {
        fallback_identity: author == format!("{FALLBACK_NAME} <{FALLBACK_EMAIL}>"),
        author,
    })
}

/// What a repository holds before the crate is added.
pub struct Repository {
    /// The branch checked out (`main`), `None` on a detached HEAD.
    pub branch: Option<String>,
    /// How many commits that branch has: 0 before the first.
    pub commits: u64,
    /// Its remotes, as `origin (URL)`.
    pub remotes: Vec<String>,
}

/// Reads the repository whose top folder `dir` must be: a `.git` that git
/// does not read, or one of a repository above `dir`, is an error.
pub fn repository(dir: &Path) -> Result<Repository, String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let same = |a: &Path, b: &Path| a.canonicalize().ok() == b.canonicalize().ok();
    if !same(&top, dir) {
        return Err(format!(
            "git reads {} as a folder of the repository {}, not as a repository of its own",
            dir.display(),
            top.display()
        ));
    }
    let read = |args: &[&str]| {
        git(dir, args)
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let remotes = read(&["remote"])
        .unwrap_or_default()
        .lines()
        .map(|name| match read(&["remote", "get-url", name]) {
            Some(url) => format!("{name} ({url})"),
            None => name.to_string(),
        })
        .collect();
    Ok(Repository {
        branch: read(&["symbolic-ref", "--quiet", "--short", "HEAD"]),
        commits: read(&["rev-list", "--count", "HEAD"])
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        remotes,
    })
}

/// Whether git's configuration sets `key` (any scope).
fn knows(dir: &Path, key: &str) -> bool {
    command(dir)
        .args(["config", "--get", key])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.trim_ascii().is_empty())
}

fn command(dir: &Path) -> Command {
    let mut git = Command::new("git");
    // Inside a hook or another tool, these would point git elsewhere.
    git.current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    git
}

/// Runs `git ARGS` in `dir`; an error names the command and git's last words.
fn git(dir: &Path, args: &[&str]) -> Result<Output, String> {
    let shown = format!("git {}", args.join(" "));
    let output = command(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(format!(
            "`{shown}` failed in {}: {}",
            dir.display(),
            last.unwrap_or("no message").trim()
        ));
    }
    Ok(output)
}
