//! "What changed": the book shows the diff between neighbouring milestones,
//! generated from their sources into book/src/diffs/mA-mB.diff. This test
//! regenerates them in memory and fails when the files in the book are stale.
//!
//! The module's chapters (Part I) show the diff from one stage of the
//! handout to the next: the stages are `module/stage1`, `module/stage2`,
//! then milestones ([`MODULE_PATH`]). A step that is also a step between
//! neighbouring milestones shows that milestone's diff; the others are
//! generated into book/src/diffs/module/A-B.diff, checked the same way.
//!
//! Regenerate with `just book-diffs`, which runs
//! `UPDATE_BOOK_DIFFS=1 cargo test --test book diffs`.

use crate::support::{
    chapters, collect_files, includes, is_anchor_line, milestones, root, shown, src_dir,
};
use similar::TextDiff;
use std::{collections::BTreeMap, fs, path::PathBuf};

/// The folder of the generated diffs, relative to book/src/.
const DIFFS: &str = "diffs";

/// The module's stages, in the handout's order, as the code of their
/// commits: stages 1 and 2 come before m1 and have their own folders under
/// `module/`; stage 3 is m1, stage 4 m2, stage 5 m4 (m3 is not a stage) and
/// the bonus m5.
pub const MODULE_PATH: &[&str] = &["stage1", "stage2", "m1", "m2", "m4", "m5"];

/// The folder of a milestone (`m4`) or of a stage of the module (`stage1`).
fn folder(name: &str) -> PathBuf {
    match name.starts_with("stage") {
        true => root().join("module").join(name),
        false => root().join("milestones").join(name),
    }
}

/// A milestone's (or a stage's) files as the diff sees them: path relative
/// to its folder → text, with the book's anchor comments left out.
fn files_of(milestone: &str) -> BTreeMap<String, String> {
    let dir = folder(milestone);
    let mut files = BTreeMap::new();
    collect_files(&dir, &mut |path| {
        let relative = path.strip_prefix(&dir).unwrap();
        if relative.starts_with("target") {
            return;
        }
        let Ok(text) = fs::read_to_string(path) else {
            return; // not text: nothing a diff could show
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        let kept: Vec<&str> = text.lines().filter(|line| !is_anchor_line(line)).collect();
        files.insert(relative, kept.join("\n") + "\n");
    });
    files
}

fn is_package_name(line: &str) -> bool {
    let name = line
        .strip_prefix("name = \"")
        .and_then(|rest| rest.strip_suffix('"'));
    let number = name.and_then(|n| n.strip_prefix('m').or_else(|| n.strip_prefix("stage")));
    number.is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// The unified diff from milestone `from` to milestone `to`: sources first,
/// then the rest, each file with three lines of context.
pub fn diff(from: &str, to: &str) -> String {
    let mut old = files_of(from);
    // Every package is named after its folder: not a lesson. Give the old
    // manifest the new name, so the line is context, not a change.
    if let Some(manifest) = old.get_mut("Cargo.toml") {
        let renamed: Vec<String> = manifest
            .lines()
            .map(|line| match is_package_name(line) {
                true => format!("name = \"{to}\""),
                false => line.to_string(),
            })
            .collect();
        *manifest = renamed.join("\n") + "\n";
    }
    let new = files_of(to);
    let mut paths: Vec<&String> = old.keys().chain(new.keys()).collect();
    paths.sort_by_key(|path| (!path.starts_with("src/"), path.to_string()));
    paths.dedup();

    let mut out = String::new();
    for path in paths {
        let (before, after) = (old.get(path), new.get(path));
        if before == after {
            continue;
        }
        let header_old = before.map_or("/dev/null".to_string(), |_| format!("{from}/{path}"));
        let header_new = after.map_or("/dev/null".to_string(), |_| format!("{to}/{path}"));
        let empty = String::new();
        let text_diff = TextDiff::from_lines(before.unwrap_or(&empty), after.unwrap_or(&empty));
        out.push_str(
            &text_diff
                .unified_diff()
                .context_radius(3)
                .header(&header_old, &header_new)
                .to_string(),
        );
    }
    out
}

/// Each pair of neighbouring milestones, with the file that holds its diff,
/// then each step of the module that is not one of them.
fn expected() -> Vec<(String, String, PathBuf)> {
    let mut pairs: Vec<(String, String, PathBuf)> = milestones()
        .windows(2)
        .map(|pair| {
            let (from, to) = (&pair[0], &pair[1]);
            let file = src_dir().join(DIFFS).join(format!("{from}-{to}.diff"));
            (from.clone(), to.clone(), file)
        })
        .collect();
    for (from, to) in module_steps() {
        if !pairs.iter().any(|(f, t, _)| *f == from && *t == to) {
            let file = src_dir().join(module_diff(&from, &to));
            pairs.push((from, to, file));
        }
    }
    pairs
}

/// The module's steps, from one stage's code to the next.
pub fn module_steps() -> Vec<(String, String)> {
    MODULE_PATH
        .windows(2)
        .map(|pair| (pair[0].to_string(), pair[1].to_string()))
        .collect()
}

/// The diff a module chapter includes for the step `from` → `to`, relative
/// to book/src: the milestones' own when they are neighbours.
pub fn module_diff(from: &str, to: &str) -> String {
    let milestones = milestones();
    let neighbours = milestones
        .windows(2)
        .any(|pair| pair[0] == from && pair[1] == to);
    match neighbours {
        true => format!("{DIFFS}/{from}-{to}.diff"),
        false => format!("{DIFFS}/module/{from}-{to}.diff"),
    }
}

/// The chapters that include `file`, for the message that names them.
fn chapters_including(file: &std::path::Path) -> Vec<String> {
    chapters()
        .into_iter()
        .filter(|(chapter, markdown)| {
            includes(markdown)
                .iter()
                .any(|inc| chapter.parent().unwrap().join(&inc.path) == file)
        })
        .map(|(chapter, _)| shown(&chapter))
        .collect()
}

#[test]
fn diffs_in_the_book_are_fresh() {
    let update = std::env::var_os("UPDATE_BOOK_DIFFS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (from, to, file) in expected() {
        let diff = diff(&from, &to);
        if fs::read_to_string(&file).ok().as_ref() == Some(&diff) {
            continue;
        }
        if update {
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(&file, &diff).unwrap();
            eprintln!("wrote {}", shown(&file));
            continue;
        }
        let shown_in = chapters_including(&file);
        let shown_in = if shown_in.is_empty() {
            "no chapter includes it yet".to_string()
        } else {
            format!("shown in {}", shown_in.join(", "))
        };
        stale.push(format!(
            "{} ({shown_in}) is not the diff from {} to {}",
            shown(&file),
            shown(&folder(&from)),
            shown(&folder(&to))
        ));
    }

    // A diff of milestones that are no longer neighbours is stale too.
    let wanted: Vec<PathBuf> = expected().into_iter().map(|(_, _, f)| f).collect();
    let dir = src_dir().join(DIFFS);
    if dir.is_dir() {
        collect_files(&dir, &mut |path| {
            if path.extension().is_some_and(|e| e == "diff") && !wanted.iter().any(|w| w == path) {
                if update {
                    fs::remove_file(path).unwrap();
                    eprintln!("removed {}", shown(path));
                } else {
                    stale.push(format!(
                        "{} is not the diff of two neighbouring milestones or stages",
                        shown(path)
                    ));
                }
            }
        });
    }

    assert!(
        stale.is_empty(),
        "the book's generated diffs are stale:\n{}\n\
         Regenerate them with `just book-diffs` \
         (UPDATE_BOOK_DIFFS=1 cargo test --test book diffs), \
         then reread the chapters that show them: their text may need to change too.",
        stale.join("\n")
    );
}

#[test]
fn the_diff_leaves_out_anchor_comments_and_package_names() {
    assert!(is_anchor_line("    // ANCHOR: worker_loop"));
    assert!(is_anchor_line("// ANCHOR_END: worker_loop"));
    assert!(is_anchor_line("<!-- ANCHOR: body -->"));
    assert!(!is_anchor_line("let anchor = 1; // ANCHOR is a word"));
    assert!(is_package_name("name = \"m12\""));
    assert!(is_package_name("name = \"stage2\""));
    assert!(!is_package_name("name = \"course\""));
    assert!(!is_package_name("name = \"stage\""));

    let milestones = milestones();
    let diff = diff(&milestones[0], &milestones[1]);
    assert!(!diff.contains("ANCHOR"), "{diff}");
    assert!(!diff.contains("/Cargo.toml\n"), "{diff}");
    assert!(
        diff.starts_with(&format!("--- {}/src/", milestones[0])),
        "{diff}"
    );
}

#[test]
fn the_module_steps_from_stage_to_stage() {
    assert_eq!(
        module_diff("stage1", "stage2"),
        "diffs/module/stage1-stage2.diff"
    );
    assert_eq!(module_diff("m2", "m4"), "diffs/module/m2-m4.diff");
    assert_eq!(module_diff("m1", "m2"), "diffs/m1-m2.diff");
    let diff = diff("stage2", "m1");
    assert!(
        diff.starts_with("--- stage2/src/main.rs\n+++ m1/src/main.rs\n"),
        "{diff}"
    );
    assert!(diff.contains("+++ m1/404.html\n"), "{diff}");
    assert!(!diff.contains("/Cargo.toml\n"), "{diff}");
    assert!(!diff.contains("+++ m1/hello.html"), "{diff}");
}
