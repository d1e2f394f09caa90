//! The course's shape: every milestone has its chapter, listed in the table
//! of contents, showing its diff and citing the tests that prove it.

use crate::support::{chapters, includes, milestones, root, shown, src_dir};
use std::fs;

#[test]
fn every_milestone_has_a_chapter_in_the_summary() {
    let summary = fs::read_to_string(src_dir().join("SUMMARY.md")).unwrap();
    let mut missing = Vec::new();
    for milestone in milestones() {
        let chapter = format!("{milestone}.md");
        if !src_dir().join(&chapter).is_file() {
            missing.push(format!("book/src/{chapter} does not exist"));
        }
        if !summary.contains(&format!("]({chapter})")) {
            missing.push(format!("book/src/SUMMARY.md does not list ({chapter})"));
        }
    }
    assert!(
        missing.is_empty(),
        "every folder under milestones/ needs its chapter:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_milestone_chapter_after_the_first_shows_its_generated_diff() {
    let milestones = milestones();
    let mut missing = Vec::new();
    for pair in milestones.windows(2) {
        let (from, to) = (&pair[0], &pair[1]);
        let chapter = src_dir().join(format!("{to}.md"));
        let Ok(markdown) = fs::read_to_string(&chapter) else {
            continue; // every_milestone_has_a_chapter_in_the_summary says so
        };
        let wanted = format!("diffs/{from}-{to}.diff");
        if !includes(&markdown).iter().any(|inc| inc.path == wanted) {
            missing.push(format!(
                "{} does not include {{{{#include {wanted}}}}}",
                shown(&chapter)
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_stage_of_the_module_has_a_chapter_that_shows_its_generated_diff() {
    let summary = fs::read_to_string(src_dir().join("SUMMARY.md")).unwrap();
    let steps = crate::diffs::module_steps();
    let mut problems = Vec::new();
    let mut listed_at = Vec::new();
    // The chapters of Part I, one per stage of the module's handout, in
    // order, as the checker names them when a stage's check fails.
    for (i, stage) in harness::STAGES.iter().enumerate() {
        let chapter = stage.chapter;
        match summary.find(&format!("[{}]({chapter})", stage.title)) {
            Some(at) => listed_at.push(at),
            None => problems.push(format!(
                "book/src/SUMMARY.md does not list [{}]({chapter})",
                stage.title
            )),
        }
        let Ok(markdown) = fs::read_to_string(src_dir().join(chapter)) else {
            problems.push(format!("book/src/{chapter} does not exist"));
            continue;
        };
        if markdown.lines().next() != Some(format!("# {}", stage.title).as_str()) {
            problems.push(format!(
                "book/src/{chapter} is not titled {:?}",
                stage.title
            ));
        }
        if !markdown.contains(&format!("`{}`", stage.message)) {
            problems.push(format!(
                "book/src/{chapter} does not give the handout's commit message `{}`",
                stage.message
            ));
        }
        // The chapter of stage N shows the step from stage N - 1's code.
        if let Some((from, to)) = i.checked_sub(1).map(|step| &steps[step]) {
            let wanted = format!("../{}", crate::diffs::module_diff(from, to));
            if !includes(&markdown).iter().any(|inc| inc.path == wanted) {
                problems.push(format!(
                    "book/src/{chapter} does not include {{{{#include {wanted}}}}}"
                ));
            }
        }
    }
    if !listed_at.is_sorted() {
        problems.push("book/src/SUMMARY.md lists the stages out of order".to_string());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The tests a chapter cites, as it tells the reader to run them:
/// `cargo test --test milestones m1::empty_connection_kills_the_server`.
fn cited_tests(markdown: &str) -> Vec<(String, String)> {
    const COMMAND: &str = "cargo test --test milestones ";
    markdown
        .match_indices(COMMAND)
        .filter_map(|(at, _)| {
            let filter: String = markdown[at + COMMAND.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let (module, test) = filter.split_once("::")?;
            Some((module.to_string(), test.to_string()))
        })
        .collect()
}

#[test]
fn every_test_the_book_cites_exists() {
    let mut problems = Vec::new();
    for (chapter, markdown) in chapters() {
        for (module, test) in cited_tests(&markdown) {
            let file = root().join("tests/milestones").join(format!("{module}.rs"));
            let Ok(source) = fs::read_to_string(&file) else {
                problems.push(format!(
                    "{} cites {module}::, but there is no {}",
                    shown(&chapter),
                    shown(&file)
                ));
                continue;
            };
            if test.is_empty() {
                continue; // `m2::` runs the whole module
            }
            // `#[test]`, or an async test such as `#[tokio::test(…)]`.
            let defined = source.split("#[").skip(1).any(|after| {
                let Some((attribute, rest)) = after.split_once(']') else {
                    return false;
                };
                (attribute == "test" || attribute.starts_with("tokio::test"))
                    && rest.trim_start().starts_with(&format!("fn {test}()"))
                    || rest.trim_start().starts_with(&format!("async fn {test}()"))
                        && attribute.starts_with("tokio::test")
            });
            if !defined {
                problems.push(format!(
                    "{} cites {module}::{test}, but {} has no #[test] fn {test}",
                    shown(&chapter),
                    shown(&file)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_milestone_chapter_cites_a_test_of_its_milestone() {
    let mut problems = Vec::new();
    for milestone in milestones() {
        let chapter = src_dir().join(format!("{milestone}.md"));
        let markdown = fs::read_to_string(&chapter).unwrap_or_default();
        if !cited_tests(&markdown).iter().any(|(m, _)| *m == milestone) {
            problems.push(format!(
                "{} cites no test as `cargo test --test milestones {milestone}::…`",
                shown(&chapter)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn citations_are_read_as_the_reader_types_them() {
    let cited =
        cited_tests("run `cargo test --test milestones m2::fast_request_waits_behind_sleep`.");
    assert_eq!(
        cited,
        [(
            "m2".to_string(),
            "fast_request_waits_behind_sleep".to_string()
        )]
    );
}

/// Output captured from a panic names the line and column of the call that
/// panicked: `panicked at milestones/m1/src/main.rs:33:50:`. When the source
/// moves, the captured output is stale; this catches it.
#[test]
fn captured_panic_locations_still_point_at_a_panicking_call() {
    const AT: &str = "panicked at milestones/";
    let mut problems = Vec::new();
    let mut checked = 0;
    for (chapter, markdown) in chapters() {
        for (at, _) in markdown.match_indices(AT) {
            let location = &markdown[at + "panicked at ".len()..];
            let location = location.split_whitespace().next().unwrap_or_default();
            let location = location.trim_end_matches(':');
            let mut parts = location.rsplitn(3, ':');
            let (Some(column), Some(line), Some(path)) = (parts.next(), parts.next(), parts.next())
            else {
                problems.push(format!("{}: cannot read {location:?}", shown(&chapter)));
                continue;
            };
            let (line, column): (usize, usize) = (line.parse().unwrap(), column.parse().unwrap());
            let source = fs::read_to_string(root().join(path)).unwrap_or_default();
            let text = source.lines().nth(line - 1).unwrap_or_default();
            let call: String = text.chars().skip(column - 1).collect();
            checked += 1;
            let panics = ["unwrap", "expect", "assert", "panic"]
                .iter()
                .any(|name| call.starts_with(name));
            if !panics {
                problems.push(format!(
                    "{} shows a panic at {location}, but that line of the source is now {text:?}: \
                     run the command again and paste its output",
                    shown(&chapter)
                ));
            }
        }
    }
    assert!(checked > 0, "no captured panic found in the book");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
