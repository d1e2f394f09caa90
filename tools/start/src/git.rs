//! The new crate as a Git repository: `main` as its branch, one commit.

use std::{
    path::Path,
    process::{Command, Output},
};

/// Who the first commit is by when git knows nobody: on CI, or on a machine
/// where the student has not told git yet.
const FALLBACK_NAME: &str = "Student";
const FALLBACK_EMAIL: &str = "student@example.com";

/// The first commit.
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
    // Fall back only for what git does not know: `-c` sets it for this
    // commit alone; GIT_AUTHOR_NAME and the like still win over it.
    let mut commit: Vec<String> = Vec::new();
    for (key, fallback) in [("user.name", FALLBACK_NAME), ("user.email", FALLBACK_EMAIL)] {
        if !knows(dir, key) {
            commit.extend(["-c".to_string(), format!("{key}={fallback}")]);
        }
    }
    commit.extend(["commit", "--quiet", "--message", message].map(String::from));
    let args: Vec<&str> = commit.iter().map(String::as_str).collect();
    git(dir, &args)?;
    let author = git(dir, &["log", "-1", "--format=%an <%ae>"])?;
    let author = String::from_utf8_lossy(&author.stdout).trim().to_string();
    Ok(Commit {
        fallback_identity: author == format!("{FALLBACK_NAME} <{FALLBACK_EMAIL}>"),
        author,
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
