//! The course's book, both editions, hashed for the report to find the
//! passages a reflection copies from it: every run of 15 words of the prose
//! of every chapter of `book/src` and of every translation of
//! `book/po/id.po`, read as the report reads a reflection (`src/words.rs`).

use std::{env, fs, path::Path};

#[path = "src/words.rs"]
#[allow(dead_code)]
mod words;

fn main() {
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book");
    let (src, po) = (book.join("src"), book.join("po/id.po"));
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-changed={}", po.display());
    let mut text = String::new();
    let mut chapters = Vec::new();
    collect(&src, &mut chapters);
    chapters.sort();
    for chapter in chapters {
        text.push_str(&fs::read_to_string(&chapter).unwrap_or_default());
        text.push_str("\n\n");
    }
    // msgstr "…" and the "…" lines that continue it, unescaped.
    let po = fs::read_to_string(&po).unwrap_or_default();
    let mut in_msgstr = false;
    for line in po.lines() {
        let quoted = if let Some(rest) = line.strip_prefix("msgstr ") {
            in_msgstr = true;
            text.push_str("\n\n");
            rest
        } else if in_msgstr && line.starts_with('"') {
            line
        } else {
            in_msgstr = false;
            continue;
        };
        let inner = quoted.trim().trim_start_matches('"').trim_end_matches('"');
        text.push_str(
            &inner
                .replace("\\n", "\n")
                .replace("\\\"", "\"")
                .replace("\\\\", "\\"),
        );
    }
    let words: Vec<String> = words::tokens(&words::prose_html(&text))
        .into_iter()
        .map(|w| w.text)
        .collect();
    let mut hashes: Vec<u64> = words::windows(&words).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let bytes: Vec<u8> = hashes.iter().flat_map(|h| h.to_le_bytes()).collect();
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("book-windows");
    fs::write(out, bytes).unwrap();
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
}
