//! The few Git questions the grader asks of a student's repository. It only
//! reads: the student's clone is never changed.

use std::{
    io,
    path::Path,
    process::{Command, Stdio},
};

/// `git -C repo ARGS`, its stdout as text; the error names the command.
pub fn git(repo: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            stderr.lines().next().unwrap_or_default()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A commit of the history: full hash and subject.
#[derive(Clone, Debug)]
pub struct Commit {
    pub hash: String,
    pub subject: String,
}

/// The commits reachable from HEAD, newest first, merges included.
pub fn history(repo: &Path) -> Result<Vec<Commit>, String> {
    let log = git(repo, &["log", "--format=%H%x1f%s"])?;
    Ok(log
        .lines()
        .filter_map(|line| line.split_once('\x1f'))
        .map(|(hash, subject)| Commit {
            hash: hash.to_string(),
            subject: subject.to_string(),
        })
        .collect())
}

/// The files at HEAD, as paths from the repository's root.
pub fn files_at_head(repo: &Path) -> Result<Vec<String>, String> {
    files_at(repo, "HEAD")
}

/// The files at `commit` (a hash or any revision), as paths from the
/// repository's root.
pub fn files_at(repo: &Path, commit: &str) -> Result<Vec<String>, String> {
    Ok(git(repo, &["ls-tree", "-r", "--name-only", "-z", commit])?
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect())
}

/// Writes the tree of `commit` into `dir` (`git archive | tar -x`): the
/// crate as it was at that commit, with no `.git` to change.
pub fn export(repo: &Path, commit: &str, dir: &Path) -> io::Result<()> {
    let mut archive = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["archive", "--format=tar", commit])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(dir)
        .stdin(archive.stdout.take().unwrap())
        .stderr(Stdio::null())
        .status()?;
    let archived = archive.wait()?;
    if !archived.success() || !tar.success() {
        return Err(io::Error::other(format!(
            "cannot export commit {commit} (git archive | tar -x failed)"
        )));
    }
    Ok(())
}
