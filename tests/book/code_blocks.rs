//! Code in the book comes from the milestones through `{{#include}}`. A Rust
//! block written in a chapter instead must compile (or, marked
//! `compile_fail`, must not): the book never shows Rust that was not checked.

use crate::support::{chapters, shown};
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use std::{fs, path::PathBuf, process::Command};

/// A code block of a chapter: its info string and its text.
struct Block {
    at: String,
    info: String,
    code: String,
}

fn blocks() -> Vec<Block> {
    let mut found = Vec::new();
    for (chapter, markdown) in chapters() {
        let mut current: Option<Block> = None;
        for (event, range) in Parser::new(&markdown).into_offset_iter() {
            match event {
                Event::Start(Tag::CodeBlock(kind)) => {
                    let line = markdown[..range.start].lines().count() + 1;
                    let info = match kind {
                        CodeBlockKind::Fenced(info) => info.to_string(),
                        CodeBlockKind::Indented => "(indented)".to_string(),
                    };
                    current = Some(Block {
                        at: format!("{}:{line}", shown(&chapter)),
                        info,
                        code: String::new(),
                    });
                }
                Event::Text(text) => {
                    if let Some(block) = current.as_mut() {
                        block.code.push_str(&text);
                    }
                }
                Event::End(TagEnd::CodeBlock) => found.extend(current.take()),
                _ => {}
            }
        }
    }
    found
}

/// Whether the block's info string makes it Rust, the way rustdoc reads it.
fn is_rust(info: &str) -> bool {
    let first = info.split([',', ' ']).next().unwrap_or_default();
    first == "rust" || info == "(indented)"
}

fn only_includes(code: &str) -> bool {
    code.lines()
        .filter(|line| !line.trim().is_empty())
        .all(|line| {
            line.trim().starts_with("{{#include ") || line.trim().starts_with("{{#rustdoc_include ")
        })
}

#[test]
fn every_code_block_names_its_language() {
    // A block without a language is Rust to rustdoc and plain text to a
    // reader: say which.
    let unnamed: Vec<String> = blocks()
        .into_iter()
        .filter(|b| b.info.trim().is_empty() || b.info == "(indented)")
        .map(|b| {
            format!(
                "{}: a code block without a language (```text, ```console, ```rust …)",
                b.at
            )
        })
        .collect();
    assert!(unnamed.is_empty(), "{}", unnamed.join("\n"));
}

#[test]
fn rust_blocks_are_included_from_sources_or_compile() {
    let mut problems = Vec::new();
    for (n, block) in blocks().into_iter().enumerate() {
        if let Err(problem) = check(&block.info, &block.code, &format!("block{n}")) {
            problems.push(format!("{}: {problem}", block.at));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_tells_rust_that_compiles_from_rust_that_does_not() {
    let good = "fn main() { let v = vec![1]; drop(v); }";
    let bad = "fn main() { let v = vec![1]; drop(v); drop(v); }";
    assert_eq!(check("rust", good, "good"), Ok(()));
    assert!(check("rust", bad, "bad").is_err());
    assert_eq!(check("rust,compile_fail", bad, "bad_marked"), Ok(()));
    assert!(check("rust,compile_fail", good, "good_marked").is_err());
    assert!(check("rust,ignore", bad, "ignored").is_err());
    assert_eq!(check("rust", "{{#include ../x.rs:y}}", "included"), Ok(()));
    assert_eq!(check("console", bad, "console"), Ok(()));
}

/// Checks one code block: Rust must be included from a source, or compile
/// as the info string says.
fn check(info: &str, code: &str, name: &str) -> Result<(), String> {
    if !is_rust(info) || only_includes(code) {
        return Ok(());
    }
    if info.contains("ignore") || info.contains("no_run") {
        return Err(format!("`{info}`: the book checks every Rust block"));
    }
    // rustdoc's hidden lines (`# line`) are part of the program.
    let code: Vec<&str> = code
        .lines()
        .map(|line| {
            if line == "#" {
                ""
            } else {
                line.strip_prefix("# ").unwrap_or(line)
            }
        })
        .collect();
    let code = code.join("\n");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("book-code-blocks");
    fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.rs"));
    fs::write(&file, &code).unwrap();
    let crate_type = if code.contains("fn main") {
        "bin"
    } else {
        "lib"
    };
    let rustc = std::env::var("RUSTC").unwrap_or("rustc".to_string());
    let output = Command::new(rustc)
        .args([
            "--edition",
            "2024",
            "--crate-type",
            crate_type,
            "--emit",
            "metadata",
        ])
        .args(["--crate-name", name, "--out-dir"])
        .arg(&dir)
        .arg(&file)
        .output()
        .expect("rustc runs");
    let should_fail = info.contains("compile_fail");
    match (output.status.success(), should_fail) {
        (true, false) | (false, true) => Ok(()),
        (true, true) => Err("this Rust block is marked compile_fail but compiles".to_string()),
        (false, false) => Err(format!(
            "this Rust block does not compile:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )),
    }
}
