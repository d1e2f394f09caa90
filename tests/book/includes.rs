//! Every `{{#include}}` in the book pulls real, non-empty text from a file in
//! the repository. mdBook itself includes an unknown anchor as nothing at all,
//! without a word: this test is what notices.

use crate::support::{chapters, includes, is_anchor_line, normalize, shown};
use std::fs;

#[test]
fn every_include_resolves_to_non_empty_text() {
    let mut problems = Vec::new();
    let mut count = 0;
    for (chapter, markdown) in chapters() {
        for include in includes(&markdown) {
            count += 1;
            let at = format!("{}: {{{{{}}}}}", shown(&chapter), include.text);
            let file = normalize(&chapter.parent().unwrap().join(&include.path));
            let Ok(text) = fs::read_to_string(&file) else {
                problems.push(format!("{at}: no file {}", shown(&file)));
                continue;
            };
            match &include.anchor {
                None => {
                    if text.trim().is_empty() {
                        problems.push(format!("{at}: the file is empty"));
                    }
                    // mdBook strips anchor comments only from anchored
                    // includes: a whole file would show them.
                    if text.lines().any(is_anchor_line) {
                        problems.push(format!(
                            "{at}: the file has ANCHOR comments, which a whole-file \
                             include shows; include an anchor instead"
                        ));
                    }
                }
                Some(anchor) if anchor.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
                    problems.push(format!(
                        "{at}: line numbers drift when the source changes; \
                         add `// ANCHOR: name` comments and include the anchor"
                    ));
                }
                Some(anchor) => match anchored_lines(&text, anchor) {
                    None => problems.push(format!(
                        "{at}: {} has no `ANCHOR: {anchor}` … `ANCHOR_END: {anchor}`",
                        shown(&file)
                    )),
                    Some(lines) if lines.trim().is_empty() => {
                        problems.push(format!("{at}: the anchor {anchor} is empty"))
                    }
                    Some(_) => {}
                },
            }
        }
    }
    assert!(count > 0, "the book includes nothing");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The lines between `ANCHOR: name` and `ANCHOR_END: name`, without other
/// anchor lines, as mdBook takes them; `None` unless both comments exist.
fn anchored_lines(text: &str, anchor: &str) -> Option<String> {
    let start = format!("ANCHOR: {anchor}");
    let end = format!("ANCHOR_END: {anchor}");
    let mut lines = text.lines();
    lines.find(|l| is_anchor_line(l) && l.trim_end().ends_with(&start))?;
    let mut taken = Vec::new();
    for line in lines {
        if is_anchor_line(line) && line.trim_end().ends_with(&end) {
            return Some(taken.join("\n"));
        }
        if !is_anchor_line(line) {
            taken.push(line);
        }
    }
    None
}

#[test]
fn anchors_in_the_milestones_are_balanced() {
    // An ANCHOR without its ANCHOR_END makes mdBook include up to the end of
    // the file; an ANCHOR_END without a start is a typo.
    let mut problems = Vec::new();
    crate::support::collect_files(&crate::support::root().join("milestones"), &mut |path| {
        let Ok(text) = fs::read_to_string(path) else {
            return;
        };
        let mut open = Vec::new();
        for (number, line) in text.lines().enumerate().filter(|(_, l)| is_anchor_line(l)) {
            let name = line.split(':').nth(1).unwrap_or_default();
            let name = name.trim().trim_end_matches("-->").trim().to_string();
            if line.contains("ANCHOR_END:") {
                if let Some(at) = open.iter().position(|n| *n == name) {
                    open.remove(at);
                } else {
                    problems.push(format!(
                        "{}:{}: ANCHOR_END: {name} closes no open anchor",
                        shown(path),
                        number + 1
                    ));
                }
            } else {
                open.push(name);
            }
        }
        for name in open {
            problems.push(format!("{}: ANCHOR: {name} is never closed", shown(path)));
        }
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
