//! The Indonesian edition writes numbers as Indonesian readers read them: a
//! decimal comma and a space between thousands (`5,004 detik`, `52 446
//! request`, `0,92 kali`), where English writes `5.004 s`, `52,446` and
//! `0.92`. Code, commands, links and program output keep their numbers as
//! they are, and so do version numbers.
//!
//! Each message is compared with its English original: every number the
//! English prose writes the English way must appear in the translation's
//! prose in its Indonesian form, and not in its English form.

use crate::support::book_dir;
use crate::translation::{Entry, translation};
use std::fs;

/// The words before a number that make it a version, not a quantity:
/// `Rust 1.91`, `rustc 1.95`, `Linux 5.13`, `Ubuntu 24.04`. A version with
/// two dots (`1.95.0`) is never a quantity and needs no word.
const VERSION_OF: [&str; 5] = ["rust", "rustc", "linux", "ubuntu", "mdbook"];

/// Rust's versions as the prose names them without the word "Rust" ("from
/// 1.91 on"): the minor versions of Rust 1 that a chapter may cite.
fn is_rust_version(number: &str) -> bool {
    number
        .strip_prefix("1.")
        .is_some_and(|minor| minor.len() == 2 && minor.parse::<u32>().is_ok_and(|m| m >= 80))
}

/// A message's prose: without code blocks and their comments, code spans, link targets,
/// `{{#…}}` directives, HTML tags and URLs, whose numbers are not prose.
fn prose(markdown: &str) -> String {
    // A code block, or a comment of one, which the book's gettext tool
    // offers for translation on its own.
    let trimmed = markdown.trim_start();
    if trimmed.starts_with("```") || trimmed.starts_with("//") || markdown.starts_with("    ") {
        return String::new();
    }
    let mut text = String::new();
    for (i, piece) in markdown.split('`').enumerate() {
        if i % 2 == 0 {
            text.push_str(piece);
        } else {
            text.push(' ');
        }
    }
    let cut = |text: &str, open: &str, close: char| {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(open) {
            out.push_str(&rest[..at]);
            out.push(' ');
            rest = rest[at + open.len()..]
                .split_once(close)
                .map_or("", |(_, r)| r);
        }
        out.push_str(rest);
        out
    };
    let text = cut(&text, "](", ')');
    let text = cut(&text, "{{#", '}');
    let text = cut(&text, "<", '>');
    let text = cut(&text, "http://", ' ');
    cut(&text, "https://", ' ')
}

/// A number as written: digits with `.` or `,` between them.
#[derive(Debug, PartialEq)]
struct Number<'a> {
    text: &'a str,
    /// The word before it, lowercased.
    word_before: String,
}

/// The numbers of `text`, except those glued to a word (`p99`, `m7`,
/// `HTTP/1.1`); `127.0.0.1` is kept whole, with its three dots.
fn numbers(text: &str) -> Vec<Number<'_>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len()
            && (bytes[i].is_ascii_digit()
                || (matches!(bytes[i], b'.' | b',')
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)))
        {
            i += 1;
        }
        let mut before = text[..start].chars().rev();
        let (before, word) = (before.next(), before.next());
        // `HTTP/1.1` is a name; `1/6.6` is a fraction.
        let path = before == Some('/') && word.is_some_and(char::is_alphabetic);
        let glued = path
            || before.is_some_and(|c| c.is_alphanumeric() || "_.-+".contains(c))
            || bytes
                .get(i)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
        if !glued {
            let word_before = text[..start]
                .split_whitespace()
                .next_back()
                .unwrap_or("")
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            found.push(Number {
                text: &text[start..i],
                word_before,
            });
        }
    }
    found
}

/// The Indonesian form of a number the English prose writes the English
/// way, or `None` when it has nothing to change (`42`, `18 002`) or is not
/// a quantity (a version).
fn indonesian(number: &Number) -> Option<String> {
    let text = number.text;
    let dots = text.matches('.').count();
    let commas = text.matches(',').count();
    if dots + commas == 0 || dots > 1 {
        return None;
    }
    if dots == 1 && (VERSION_OF.contains(&number.word_before.as_str()) || is_rust_version(text)) {
        return None;
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let groups: Vec<&str> = whole.split(',').collect();
    let thousands = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3);
    if groups.len() > 1 && !thousands {
        return None; // such as `16,1000`: a list, not one number
    }
    let mut out = groups.join(" ");
    if !fraction.is_empty() {
        out.push(',');
        out.push_str(fraction);
    }
    Some(out)
}

/// Whether `text` holds `number` as a whole number, not as part of a longer
/// one.
fn holds(text: &str, number: &str) -> bool {
    let part_of_number = |c: Option<char>, next: Option<char>| match c {
        Some(c) if c.is_ascii_digit() => true,
        Some('.' | ',') => next.is_some_and(|n| n.is_ascii_digit()),
        _ => false,
    };
    text.match_indices(number).any(|(at, _)| {
        let mut before = text[..at].chars().rev();
        let (b1, b2) = (before.next(), before.next());
        let mut after = text[at + number.len()..].chars();
        let (a1, a2) = (after.next(), after.next());
        !part_of_number(b1, b2) && !part_of_number(a1, a2)
    })
}

/// The tables that `compare` writes, which the book includes: program
/// output, the same in both editions.
fn program_output() -> Vec<String> {
    let dir = book_dir().join("src/benchmarking");
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        if text.starts_with("<!-- Written by `compare") {
            files.push(text);
        }
    }
    assert!(
        !files.is_empty(),
        "no table written by compare in book/src/benchmarking"
    );
    files
}

/// What is wrong with the numbers of one translated message.
fn problems(entry: &Entry, output: &[String]) -> Vec<String> {
    if output.iter().any(|file| file.contains(entry.msgid.trim())) {
        return Vec::new();
    }
    let english = prose(&entry.msgid);
    let translated = prose(&entry.msgstr);
    let mut found = Vec::new();
    for number in numbers(&english) {
        let Some(form) = indonesian(&number) else {
            continue;
        };
        if holds(&translated, number.text) || !holds(&translated, &form) {
            found.push(format!(
                "{}: writes {} where Indonesian reads {form}",
                entry.shown(),
                number.text
            ));
        }
    }
    found
}

#[test]
fn the_indonesian_edition_writes_numbers_the_indonesian_way() {
    let output = program_output();
    let found: Vec<String> = translation()
        .iter()
        .flat_map(|entry| problems(entry, &output))
        .collect();
    assert!(
        found.is_empty(),
        "{} numbers of book/po/id.po are written the English way (a decimal comma \
         and a space between thousands in prose: 5,004 detik, 52 446 request):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(msgid: &str, msgstr: &str) -> Entry {
        Entry {
            msgid: msgid.to_string(),
            msgstr: msgstr.to_string(),
            ..Entry::default()
        }
    }

    #[test]
    fn english_numbers_in_indonesian_prose_are_found() {
        let msgid = "m8 serves 38,580 requests/s against 42,054: 0.92 × in 5.004 s, 1/6.6.";
        let good = "m8 melayani 38 580 request/detik, m7 42 054: 0,92 × dalam 5,004 detik, 1/6,6.";
        assert_eq!(problems(&entry(msgid, good), &[]), Vec::<String>::new());
        for bad in [
            "m8 melayani 38,580 request/detik, m7 42 054: 0,92 × dalam 5,004 detik, 1/6,6.",
            "m8 melayani 38 580 request/detik, m7 42 054: 0.92 × dalam 5,004 detik, 1/6,6.",
            "m8 melayani 38 580 request/detik, m7 42 054: 0,92 × dalam 5.004 detik, 1/6,6.",
            "m8 melayani 38 580 request/detik, m7 42 054: × dalam 5,004 detik, 1/6,6.",
            "m8 melayani 38 580 request/detik, m7 42 054: 0,92 × dalam 5,004 detik, 1/6.6.",
        ] {
            assert_eq!(problems(&entry(msgid, bad), &[]).len(), 1, "{bad}");
        }
    }

    #[test]
    fn code_versions_addresses_and_output_keep_their_numbers() {
        for msgid in [
            "Rust 1.88 or newer; from 1.91 on, a panic names its thread",
            "`SLEEP_MS=0.5` and `127.0.0.1:7878`, HTTP/1.1, p99.9",
            "```console\n$ time curl\nreal 0m4.927s\n```",
            "/// A histogram: how many requests took at most 0.1 ms",
            "Linux 5.13, Ubuntu 24.04, Rust 1.95.0, [oha] 1.16.0",
            "[m4](m4.md#a-1.5) `--burst 16,1000`",
        ] {
            assert_eq!(
                problems(&entry(msgid, msgid), &[]),
                Vec::<String>::new(),
                "{msgid}"
            );
        }
        let table = "| m1 | 0.4 ms |".to_string();
        assert!(problems(&entry("0.4 ms", "0.4 ms"), &[table]).is_empty());
        assert_eq!(problems(&entry("0.4 ms", "0.4 ms"), &[]).len(), 1);
    }
}
