//! The crate added to a Git repository that exists (a fresh clone of a
//! GitHub Classroom assignment: a README.md, a .github/ folder, a
//! .gitignore): beside what is there, overwriting nothing, and undone
//! exactly, file by file, if the commit fails.

use crate::files::File;
use std::{
    fs,
    path::{Path, PathBuf},
};

/// The line `cargo new` puts in a `.gitignore`.
const TARGET_LINE: &str = "/target";

/// What adding the crate writes, and what undoing it restores.
#[derive(Debug)]
pub struct Addition {
    /// The files to write, `.gitignore` with its line appended if it needs
    /// one, and without it if it ignores target/ already.
    pub files: Vec<File>,
    /// The folders that do not exist yet (`src/`), outermost first.
    created_dirs: Vec<PathBuf>,
    /// The `.gitignore` as it was, when it gets a line.
    gitignore_before: Option<Vec<u8>>,
    /// What happens to `.gitignore`, for the next steps.
    pub gitignore: Gitignore,
}

/// What happens to the repository's `.gitignore`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gitignore {
    /// There was none: it is written, with `/target`.
    Written,
    /// It did not ignore target/: `/target` is appended.
    Appended,
    /// It ignores target/ already: left as it is.
    Kept,
}

/// Plans the crate's `files` in the repository `dir`: an error (one line,
/// for `named`) when one of them is there already, since nothing is
/// overwritten, except the `.gitignore`, which gets `/target` if it lacks
/// it.
pub fn plan(dir: &Path, files: Vec<File>, named: &str) -> Result<Addition, String> {
    let exists = |relative: &Path| fs::symlink_metadata(dir.join(relative)).is_ok();
    let there: Vec<String> = files
        .iter()
        .map(|(path, _)| path)
        .filter(|path| *path != Path::new(".gitignore") && exists(path))
        .map(|path| path.display().to_string())
        .collect();
    if !there.is_empty() {
        return Err(format!(
            "{named} has {} already, which `just start` would write, and it overwrites nothing; \
             move {} elsewhere and run it again",
            there.join(" and "),
            if there.len() == 1 { "it" } else { "them" },
        ));
    }
    let mut created_dirs = Vec::new();
    for (path, _) in &files {
        for parent in path
            .ancestors()
            .skip(1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            if !parent.as_os_str().is_empty()
                && !exists(parent)
                && !created_dirs.iter().any(|d| d == parent)
            {
                created_dirs.push(parent.to_path_buf());
            }
        }
    }
    let mut gitignore = Gitignore::Written;
    let mut gitignore_before = None;
    let mut planned = Vec::new();
    for (path, bytes) in files {
        if path != Path::new(".gitignore") || !exists(&path) {
            planned.push((path, bytes));
            continue;
        }
        let before = fs::read(dir.join(&path))
            .map_err(|e| format!("cannot read {}: {e}", dir.join(&path).display()))?;
        if ignores_target(&String::from_utf8_lossy(&before)) {
            gitignore = Gitignore::Kept;
            continue;
        }
        let mut after = before.clone();
        if !after.is_empty() && !after.ends_with(b"\n") {
            after.push(b'\n');
        }
        after.extend_from_slice(format!("{TARGET_LINE}\n").as_bytes());
        gitignore = Gitignore::Appended;
        gitignore_before = Some(before);
        planned.push((path, after));
    }
    Ok(Addition {
        files: planned,
        created_dirs,
        gitignore_before,
        gitignore,
    })
}

/// Whether a `.gitignore` has a line that ignores the crate's `target/`
/// at the root: `/target`, `target`, `target/`, `**/target` and the like.
pub fn ignores_target(gitignore: &str) -> bool {
    gitignore.lines().any(|line| {
        let line = line.trim();
        let line = line.strip_prefix("**/").unwrap_or(line);
        let line = line.strip_prefix('/').unwrap_or(line);
        let line = line.strip_suffix('/').unwrap_or(line);
        line == "target"
    })
}

impl Addition {
    /// The paths it writes, relative to the repository: what is committed.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files.iter().map(|(path, _)| path.clone()).collect()
    }

    /// Puts back what was there: the files it wrote are removed, the
    /// folders it made too, and the `.gitignore` is as it was.
    pub fn undo(&self, dir: &Path) {
        for (path, _) in &self.files {
            let full = dir.join(path);
            match (&self.gitignore_before, path == Path::new(".gitignore")) {
                (Some(before), true) => {
                    let _ = fs::write(&full, before);
                }
                _ => {
                    let _ = fs::remove_file(&full);
                }
            }
        }
        for created in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir.join(created));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_is_ignored_however_the_line_is_written() {
        for ignoring in [
            "/target\n",
            "target\n",
            "target/\n",
            "/target/",
            "# Rust\n**/target\n",
            "debug/\n  target/  \n",
        ] {
            assert!(ignores_target(ignoring), "{ignoring:?}");
        }
        for not in ["", "/targets\n", "src/target\n", "#target\n", "*.log\n"] {
            assert!(!ignores_target(not), "{not:?}");
        }
    }

    #[test]
    fn a_gitignore_without_the_line_gets_it_once() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".gitignore"), "*.log").unwrap();
        let files = vec![
            (PathBuf::from("src/main.rs"), b"fn main() {}\n".to_vec()),
            (PathBuf::from(".gitignore"), b"/target\n".to_vec()),
        ];
        let addition = plan(dir.path(), files, "DIR").unwrap();
        assert_eq!(addition.gitignore, Gitignore::Appended);
        assert_eq!(addition.files[1].1, b"*.log\n/target\n");
        assert_eq!(addition.created_dirs, [PathBuf::from("src")]);
    }

    #[test]
    fn a_file_that_is_there_already_is_named_and_nothing_is_planned() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("hello.html"), "mine").unwrap();
        fs::create_dir(dir.path().join("src")).unwrap();
        fs::write(dir.path().join("src/main.rs"), "mine").unwrap();
        let files = vec![
            (PathBuf::from("src/main.rs"), Vec::new()),
            (PathBuf::from("hello.html"), Vec::new()),
            (PathBuf::from("404.html"), Vec::new()),
        ];
        assert_eq!(
            plan(dir.path(), files, "~/x").unwrap_err(),
            "~/x has src/main.rs and hello.html already, which `just start` would write, and \
             it overwrites nothing; move them elsewhere and run it again"
        );
    }
}
