//! Paths and Markdown helpers shared by the book's tests.

use std::{
    fs,
    path::{Path, PathBuf},
};

/// The repository root (the root package's folder).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `book/`, where book.toml lives.
pub fn book_dir() -> PathBuf {
    root().join("book")
}

/// `book/src/`, the chapters.
pub fn src_dir() -> PathBuf {
    book_dir().join("src")
}

/// The milestones, in order: the course's one list, `harness::MILESTONES`
/// (a test of harness checks that it names the folders under `milestones/`),
/// so a new milestone joins every check without a code change here.
pub fn milestones() -> Vec<String> {
    harness::milestones::names()
        .into_iter()
        .map(String::from)
        .collect()
}

/// Every Markdown file under `book/src/`, as (path, text), in a stable order.
pub fn chapters() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    collect_files(&src_dir(), &mut |path| {
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path.to_path_buf());
        }
    });
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect()
}

/// Calls `visit` for every file under `dir`, recursively.
pub fn collect_files(dir: &Path, visit: &mut dyn FnMut(&Path)) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(&path, visit);
        } else {
            visit(&path);
        }
    }
}

/// `path` relative to the repository root, for messages.
pub fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// An mdBook include: `{{#include path}}`, `{{#include path:anchor}}`, or the
/// same with `rustdoc_include`.
#[derive(Debug)]
pub struct Include {
    /// The text between `{{` and `}}`, for messages.
    pub text: String,
    pub path: String,
    pub anchor: Option<String>,
}

/// The includes in a chapter's Markdown, in order. Escaped ones (`\{{#...}}`)
/// are text, not includes, and are skipped.
pub fn includes(markdown: &str) -> Vec<Include> {
    let mut found = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("{{#") {
        let escaped = rest[..start].ends_with('\\');
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        rest = &after[end + 2..];
        if escaped {
            continue;
        }
        let mut words = inner.split_whitespace();
        let kind = words.next().unwrap_or_default();
        if kind != "#include" && kind != "#rustdoc_include" {
            continue;
        }
        let target = words.next().unwrap_or_default();
        let (path, anchor) = match target.split_once(':') {
            Some((path, anchor)) => (path, Some(anchor.to_string())),
            None => (target, None),
        };
        found.push(Include {
            text: inner.to_string(),
            path: path.to_string(),
            anchor,
        });
    }
    found
}

/// Whether a line of source is an mdBook anchor comment (`ANCHOR: name` or
/// `ANCHOR_END: name`), which the book hides and the diffs leave out.
pub fn is_anchor_line(line: &str) -> bool {
    let line = line.trim_start();
    let comment = line
        .strip_prefix("//")
        .or_else(|| line.strip_prefix("<!--"))
        .map(str::trim_start);
    comment.is_some_and(|c| c.starts_with("ANCHOR:") || c.starts_with("ANCHOR_END:"))
}

/// `a/b/../c` → `a/c`, without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
