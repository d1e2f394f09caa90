//! The benchmarking chapter uses what the tool wrote: every table it includes
//! has its anchor in `results.md`, every chart it shows exists, every test
//! it cites is a test of this package, and every error it quotes is the
//! tool's.

use std::{fs, path::PathBuf};

fn book_src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../book/src")
}

fn chapter() -> String {
    fs::read_to_string(book_src().join("benchmarking.md")).unwrap()
}

/// The targets of `{{#include …}}` and `![…](…)` in the chapter.
fn references(open: &str, close: char) -> Vec<String> {
    let text = chapter();
    text.match_indices(open)
        .map(|(at, _)| {
            let rest = &text[at + open.len()..];
            rest[..rest.find(close).unwrap()].trim().to_string()
        })
        .collect()
}

#[test]
fn every_table_the_chapter_includes_has_its_anchor() {
    let includes = references("{{#include ", '}');
    assert!(includes.len() >= 5, "{includes:?}");
    for include in includes {
        let (file, anchor) = include.split_once(':').expect("an anchor");
        let text = fs::read_to_string(book_src().join(file)).unwrap();
        assert!(
            text.lines().any(|l| l == format!("// ANCHOR: {anchor}"))
                && text
                    .lines()
                    .any(|l| l == format!("// ANCHOR_END: {anchor}")),
            "{file} has no anchor {anchor}: run the command in the chapter again"
        );
    }
}

#[test]
fn every_chart_the_chapter_shows_exists() {
    let images = references("](benchmarking/", ')');
    assert_eq!(images.len(), 4, "{images:?}");
    for image in images {
        let path = book_src().join("benchmarking").join(&image);
        let svg = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{image}: {e}"));
        assert!(svg.starts_with("<svg"), "{image} is not an SVG");
    }
}

#[test]
fn every_test_the_chapter_cites_exists() {
    let cited = references("cargo test -p compare --test ", '\n');
    assert!(!cited.is_empty());
    for command in cited {
        let (file, test) = command.split_once(' ').unwrap();
        let source = fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/{file}.rs")),
        )
        .unwrap();
        assert!(
            source.contains(&format!("fn {test}()")),
            "the chapter cites {file}::{test}, which does not exist"
        );
    }
}

#[test]
fn every_error_the_chapter_quotes_is_what_the_tool_prints() {
    // A console block `$ just compare ARGS`, then (after just's echo of the
    // command) `error: …`: run `compare ARGS` and compare, exit status 2.
    let text = chapter();
    let lines: Vec<&str> = text.lines().collect();
    let mut checked = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(args) = line.strip_prefix("$ just compare ") else {
            continue;
        };
        let quoted = lines[i + 1..]
            .iter()
            .take(2)
            .find(|l| l.starts_with("error: "));
        let Some(quoted) = quoted else { continue };
        assert_cmd::Command::cargo_bin("compare")
            .unwrap()
            .args(args.split_whitespace())
            .assert()
            .code(2)
            .stderr(format!("{quoted}\n"));
        checked += 1;
    }
    assert!(checked > 0, "the chapter quotes no error of the tool");
}
