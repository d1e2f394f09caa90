//! The files of the new crate, read and made in memory first (so that a
//! missing source fails before anything is written), then written.

use harness::Milestone;
use std::{
    fs,
    path::{Path, PathBuf},
};

/// A file of the new crate: its path inside the crate, and its bytes.
pub type File = (PathBuf, Vec<u8>);

/// What `cargo new` writes in `.gitignore`.
const GITIGNORE: &str = "/target\n";

/// What `cargo new hello` writes in `src/main.rs`.
const HELLO_WORLD: &str = "fn main() {\n    println!(\"Hello, world!\");\n}\n";

/// The end of every manifest made here.
const WORKSPACE: &str = "\n\
# An empty workspace: this crate is one of its own wherever it sits, and
# never joins the workspace of a folder above it.
[workspace]
";

/// The book's starting point: `cargo new hello` (edition 2024, no
/// dependencies), with the book's hello.html and 404.html from m1.
pub fn starting_point(root: &Path) -> Result<Vec<File>, String> {
    let m1 = root.join("milestones/m1");
    Ok(vec![
        ("Cargo.toml".into(), manifest("").into_bytes()),
        ("src/main.rs".into(), HELLO_WORLD.into()),
        ("hello.html".into(), page(&m1.join("hello.html"))?),
        ("404.html".into(), page(&m1.join("404.html"))?),
        (".gitignore".into(), GITIGNORE.into()),
    ])
}

/// A copy of milestone `m` as the crate `hello`: its sources (the library
/// renamed, the book's anchor lines removed), its HTML, its dependencies.
pub fn milestone_copy(root: &Path, m: &Milestone) -> Result<Vec<File>, String> {
    let dir = root.join("milestones").join(m.name);
    let own = String::from_utf8_lossy(&read(&dir.join("Cargo.toml"))?).into_owned();
    let dependencies =
        dependencies(&own).map_err(|e| format!("{}: {e}", dir.join("Cargo.toml").display()))?;
    let mut files = vec![("Cargo.toml".into(), manifest(&dependencies).into_bytes())];
    let mut sources = Vec::new();
    walk(&dir, Path::new("src"), &mut sources)?;
    sources.sort();
    for relative in sources {
        let bytes = read(&dir.join(&relative))?;
        let bytes = if relative.extension().is_some_and(|e| e == "rs") {
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("{} is not UTF-8", dir.join(&relative).display()))?;
            adapt_source(&text, m.name).into_bytes()
        } else {
            bytes
        };
        files.push((relative, bytes));
    }
    for name in ["hello.html", "404.html"] {
        files.push((name.into(), page(&dir.join(name))?));
    }
    files.push((".gitignore".into(), GITIGNORE.into()));
    Ok(files)
}

/// Writes the files into `dir`, making it and the folders they need.
pub fn write(dir: &Path, files: &[File]) -> Result<(), String> {
    for (relative, bytes) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// One of the book's HTML pages, without anchor lines if it has any.
fn page(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = read(path)?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text
            .split_inclusive('\n')
            .filter(|line| !is_anchor(line))
            .collect::<String>()
            .into_bytes(),
        Err(e) => e.into_bytes(),
    })
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Every file under `base/relative`, as paths relative to `base`.
fn walk(base: &Path, relative: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let dir = base.join(relative);
    let entries = fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let path = relative.join(entry.file_name());
        if entry.path().is_dir() {
            walk(base, &path, found)?;
        } else {
            found.push(path);
        }
    }
    Ok(())
}

/// The manifest `cargo new hello` writes (edition 2024), with these
/// `[dependencies]` lines, and an empty `[workspace]` table.
pub fn manifest(dependencies: &str) -> String {
    format!(
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [dependencies]\n{dependencies}{WORKSPACE}"
    )
}

/// The lines of a manifest's `[dependencies]` table (and its
/// `[dependencies.NAME]` tables), verbatim. A dependency inherited from the
/// workspace cannot be copied: that is an error.
pub fn dependencies(manifest: &str) -> Result<String, String> {
    let mut inside = false;
    let mut lines = Vec::new();
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            inside = trimmed == "[dependencies]" || trimmed.starts_with("[dependencies.");
            if inside && trimmed != "[dependencies]" {
                lines.push(line);
            }
            continue;
        }
        if inside {
            lines.push(line);
        }
    }
    while lines.first().is_some_and(|l| l.trim().is_empty()) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let inherited = lines.iter().find(|l| {
        let code = l.split('#').next().unwrap_or_default();
        code.contains("workspace")
    });
    if let Some(line) = inherited {
        return Err(format!(
            "`{}` inherits from the workspace, which a crate of its own cannot do; \
             give that dependency its version there",
            line.trim()
        ));
    }
    Ok(lines.iter().map(|l| format!("{l}\n")).collect())
}

/// A milestone's Rust source as the crate `hello` needs it: `mN::` paths
/// (`use m4::ThreadPool`) name `hello`, and mdBook's `// ANCHOR: name` and
/// `// ANCHOR_END: name` lines are gone. Nothing else changes.
pub fn adapt_source(text: &str, milestone: &str) -> String {
    let path = format!("{milestone}::");
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if is_anchor(line) {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find(&path) {
            let before = rest[..at].chars().next_back().or(out.chars().next_back());
            let starts_a_path = !before.is_some_and(|c| c.is_alphanumeric() || c == '_');
            out.push_str(&rest[..at]);
            out.push_str(if starts_a_path { "hello::" } else { &path });
            rest = &rest[at + path.len()..];
        }
        out.push_str(rest);
    }
    out
}

/// A comment line that only marks a part of the file for the book: `//` or
/// `<!--`, then `ANCHOR: name` or `ANCHOR_END: name`, as mdBook reads them.
fn is_anchor(line: &str) -> bool {
    let line = line.trim_start();
    let comment = line
        .strip_prefix("//")
        .or_else(|| line.strip_prefix("<!--"))
        .map(str::trim_start);
    comment.is_some_and(|c| c.starts_with("ANCHOR:") || c.starts_with("ANCHOR_END:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_name_hello_and_lose_their_anchors() {
        let source = "use m4::ThreadPool;\n\
                      // ANCHOR: here\n\
                      fn main() {\n    \
                          // ANCHOR_END: here\n    \
                          let pool = m4::ThreadPool::new(4); // m4 is the crate, xm4::y is not\n    \
                          let _ = (pool, xm4::y, m44::z);\n\
                      }\n";
        assert_eq!(
            adapt_source(source, "m4"),
            "use hello::ThreadPool;\n\
             fn main() {\n    \
                 let pool = hello::ThreadPool::new(4); // m4 is the crate, xm4::y is not\n    \
                 let _ = (pool, xm4::y, m44::z);\n\
             }\n"
        );
    }

    #[test]
    fn anchor_lines_are_the_books() {
        assert!(is_anchor("    // ANCHOR: worker\n"));
        assert!(is_anchor("// ANCHOR_END: worker"));
        assert!(is_anchor("<!-- ANCHOR: body -->\n"));
        assert!(!is_anchor("let anchor = \"// ANCHOR: x\";"));
        assert!(!is_anchor("// an ANCHOR: in a sentence"));
    }

    #[test]
    fn dependencies_are_copied_verbatim() {
        let manifest = "[package]\nname = \"m6\"\nversion.workspace = true\n\n\
                        [dependencies]\n# Why.\nctrlc = { version = \"3.5\", features = [\"termination\"] }\n\n\
                        [dev-dependencies]\nx = \"1\"\n";
        assert_eq!(
            dependencies(manifest).unwrap(),
            "# Why.\nctrlc = { version = \"3.5\", features = [\"termination\"] }\n"
        );
        assert_eq!(dependencies("[package]\n\n[dependencies]\n").unwrap(), "");
        let err = dependencies("[dependencies]\nlibc = { workspace = true }\n").unwrap_err();
        assert!(err.contains("libc = { workspace = true }"), "{err}");
    }

    #[test]
    fn the_manifest_is_cargo_new_with_an_empty_workspace() {
        let text = manifest("");
        assert!(text.starts_with(
            "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\n#"
        ));
        assert!(text.ends_with("\n[workspace]\n"));
    }

    #[test]
    fn every_milestone_copies_cleanly() {
        let root = harness::repo_root();
        for m in harness::MILESTONES {
            let files = milestone_copy(&root, m).unwrap();
            for (path, bytes) in &files {
                let text = String::from_utf8_lossy(bytes);
                assert!(!text.contains("ANCHOR"), "{} {}", m.name, path.display());
                assert!(
                    !text.contains(&format!("{}::", m.name)),
                    "{}",
                    path.display()
                );
                assert!(!text.contains("workspace = true"), "{}", path.display());
            }
            let names: Vec<_> = files.iter().map(|(p, _)| p.to_string_lossy()).collect();
            for wanted in [
                "Cargo.toml",
                "src/main.rs",
                "hello.html",
                "404.html",
                ".gitignore",
            ] {
                assert!(names.contains(&wanted.into()), "{}: {names:?}", m.name);
            }
        }
    }
}
