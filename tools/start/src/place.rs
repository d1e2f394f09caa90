//! Where the crate goes: DIR resolved the way the system will resolve it
//! (`..` and symbolic links followed), refused inside this repository, when
//! it holds something already and is not a Git repository, or when it is a
//! repository that has a crate already; and removed again if making a new
//! crate fails.

use harness::Milestone;
use std::{
    fs, io,
    path::{Component, Path, PathBuf},
};

/// Why DIR is refused.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// The student must choose another folder: exit 2.
    Usage(String),
    /// The folder cannot be examined: exit 1.
    Other(String),
}

/// A folder the crate can go in.
#[derive(Debug)]
pub struct Target {
    /// Absolute, without `..`, with every symbolic link that exists resolved.
    pub path: PathBuf,
    pub kind: Kind,
    /// DIR as the messages name it: as typed, and what it resolves to when
    /// that differs.
    pub named: String,
}

/// What is there already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nothing, or an empty folder: the crate becomes a new repository.
    Fresh,
    /// A Git repository (a `.git` in DIR) without a crate at its root, such
    /// as a fresh clone of a GitHub Classroom assignment: the crate is added
    /// beside what is there.
    Repository,
}

/// Resolves `dir` against `cwd`, then refuses it when it lies inside `root`
/// (this repository), or is anything but a new or empty folder or a Git
/// repository without a `Cargo.toml` at its root.
pub fn check(
    cwd: &Path,
    dir: &Path,
    root: &Path,
    milestone: Option<&Milestone>,
) -> Result<Target, Refusal> {
    let path = resolve(&cwd.join(dir));
    let named = if path == dir {
        shell_word(dir)
    } else {
        format!("{} (that is, {})", dir.display(), shell_word(&path))
    };
    let example = match milestone {
        None => "just start ~/advprog-modul6".to_string(),
        Some(m) => format!("just start {0} ~/exercises/{0}", m.name),
    };
    let root = resolve(root);
    if path.starts_with(&root) {
        return Err(Refusal::Usage(format!(
            "{named} is inside this repository ({}), whose workspace, tests and book \
             read its folders; make your crate outside it, e.g. `{example}`",
            shell_word(&root)
        )));
    }
    let target = |kind| Target {
        path: path.clone(),
        kind,
        named: named.clone(),
    };
    let exists = |name: &str| fs::symlink_metadata(path.join(name)).is_ok();
    match fs::symlink_metadata(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(target(Kind::Fresh)),
        Err(e) => Err(Refusal::Other(format!("cannot examine {named}: {e}"))),
        Ok(_) => match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => match fs::read_dir(&path).map(|mut e| e.next()) {
                Ok(None) => Ok(target(Kind::Fresh)),
                Ok(Some(_)) if exists(".git") && exists("Cargo.toml") => {
                    Err(Refusal::Usage(format!(
                        "{named} is a Git repository that has a crate already (a Cargo.toml \
                         at its root), and `just start` overwrites nothing; work in it, and \
                         check it with `just check 1 --repo {}`",
                        shell_word(&path)
                    )))
                }
                Ok(Some(_)) if exists(".git") => Ok(target(Kind::Repository)),
                Ok(Some(_)) => Err(Refusal::Usage(format!(
                    "{named} already exists and is not empty, and it is not a Git repository; \
                     choose a new folder, e.g. `{example}`, and it will be made for you, or a \
                     clone of your assignment's repository (`git clone URL DIR`)"
                ))),
                Err(e) => Err(Refusal::Other(format!(
                    "cannot read the folder {named}: {e}"
                ))),
            },
            _ => Err(Refusal::Usage(format!(
                "{named} already exists and is not a folder; choose a new folder, \
                 e.g. `{example}`"
            ))),
        },
    }
}

/// An absolute path as the system will resolve it: each part that exists is
/// resolved (symbolic links followed, so a `..` after one goes up from where
/// the link leads); the parts that do not exist yet are taken as written.
pub fn resolve(path: &Path) -> PathBuf {
    let mut resolved = PathBuf::new();
    let mut exists = true;
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => resolved.push(component),
            Component::CurDir => {}
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => {
                resolved.push(name);
                if exists {
                    if fs::symlink_metadata(&resolved).is_err() {
                        exists = false;
                    } else if let Ok(real) = resolved.canonicalize() {
                        resolved = real;
                    }
                }
            }
        }
    }
    resolved
}

/// The folders this run makes, so that a failure can remove them again.
pub struct Made {
    /// The outermost folder that did not exist: removed whole on failure.
    created: Option<PathBuf>,
    /// The target, which may have existed empty: emptied on failure.
    target: PathBuf,
}

impl Made {
    pub fn new(target: &Path) -> Made {
        let created = target
            .ancestors()
            .take_while(|p| fs::symlink_metadata(p).is_err())
            .last()
            .map(Path::to_path_buf);
        Made {
            created,
            target: target.to_path_buf(),
        }
    }

    /// Removes what this run made: the folders it created, or else what it
    /// put into the empty folder it was given.
    pub fn undo(self) {
        match self.created {
            Some(created) => {
                let _ = fs::remove_dir_all(created);
            }
            None => {
                for entry in fs::read_dir(&self.target).into_iter().flatten().flatten() {
                    let path = entry.path();
                    let _ = match entry.file_type() {
                        Ok(kind) if kind.is_dir() => fs::remove_dir_all(&path),
                        _ => fs::remove_file(&path),
                    };
                }
            }
        }
    }
}

/// A path as one shell word to copy: `~/x` under the home folder, quoted
/// when it holds a character the shell would read.
pub fn shell_word(path: &Path) -> String {
    let safe = |text: &str| {
        !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,=".contains(c))
    };
    let text = path.to_string_lossy();
    if let Some(home) = std::env::var_os("HOME").filter(|h| h.len() > 1) {
        if let Ok(rest) = path.strip_prefix(&home) {
            let rest = rest.to_string_lossy();
            if safe(&rest) {
                return format!("~/{rest}");
            }
        }
    }
    if safe(&text) {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_goes_up_from_where_a_link_leads() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        fs::create_dir_all(base.join("real/inner")).unwrap();
        std::os::unix::fs::symlink(base.join("real/inner"), base.join("link")).unwrap();
        assert_eq!(resolve(&base.join("link/../x")), base.join("real/x"));
        assert_eq!(
            resolve(&base.join("link/new/../y")),
            base.join("real/inner/y")
        );
        assert_eq!(resolve(&base.join("./a/./b")), base.join("a/b"));
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word(Path::new("/tmp/a-b_c.d")), "/tmp/a-b_c.d");
        assert_eq!(shell_word(Path::new("/tmp/a b")), "'/tmp/a b'");
        assert_eq!(shell_word(Path::new("/tmp/it's")), r"'/tmp/it'\''s'");
    }
}
