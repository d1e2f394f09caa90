//! The Bahasa Indonesia edition: book/po/id.po translates every message of
//! the English book, keeps the code, links and includes of each one, is a
//! valid PO file, follows the English text as it is now, and builds into a
//! book without warnings or broken links.
//!
//! The PO file is read here, with no tool. The tests that need GNU gettext
//! (`msgfmt`) or mdbook-i18n-helpers (`mdbook-gettext`, `mdbook-xgettext`)
//! skip with a note where they are not installed, and fail on CI (`CI`
//! set), where `.ci/run` installs them.

use crate::build::{Build, broken_links, build_into, config};
use crate::support::{book_dir, shown};
use mdbook_driver::{MDBook, builtin_renderers::CmdRenderer};
use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

/// The Indonesian edition's settings, as `just book id` passes them to
/// mdBook through the environment (see the justfile's `book_id`).
const TITLE: &str = "Membangun web server multithreaded, satu milestone demi satu";

fn po_dir() -> PathBuf {
    book_dir().join("po")
}

/// One entry of a PO file.
#[derive(Debug, Default, Clone)]
pub(crate) struct Entry {
    pub(crate) msgid: String,
    pub(crate) msgstr: String,
    pub(crate) fuzzy: bool,
    /// `#:` references: `src/m1.md:12`.
    pub(crate) sources: Vec<String>,
}

impl Entry {
    /// The entry as a person finds it: where it is, and how it starts.
    pub(crate) fn shown(&self) -> String {
        let start: String = self.msgid.chars().take(70).collect();
        let more = if start.len() < self.msgid.len() {
            "…"
        } else {
            ""
        };
        let at = self.sources.first().map_or("", String::as_str);
        format!("{at}: {start:?}{more}")
    }
}

/// The entries of a PO file, without its header and its obsolete (`#~`)
/// entries.
fn parse_po(path: &Path) -> Vec<Entry> {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", shown(path)));
    let mut entries = Vec::new();
    for block in text.split("\n\n") {
        let mut entry = Entry::default();
        let mut field: Option<&mut String> = None;
        let mut any = false;
        for line in block.lines() {
            if let Some(flags) = line.strip_prefix("#,") {
                entry.fuzzy |= flags.split(',').any(|f| f.trim() == "fuzzy");
            } else if let Some(sources) = line.strip_prefix("#:") {
                entry
                    .sources
                    .extend(sources.split_whitespace().map(String::from));
            } else if line.starts_with('#') {
                continue;
            } else if let Some(rest) = line.strip_prefix("msgid ") {
                entry.msgid = unquote(rest);
                field = Some(&mut entry.msgid);
                any = true;
            } else if let Some(rest) = line.strip_prefix("msgstr ") {
                entry.msgstr = unquote(rest);
                field = Some(&mut entry.msgstr);
            } else if line.starts_with('"')
                && let Some(field) = field.as_mut()
            {
                field.push_str(&unquote(line));
            }
        }
        if any && !entry.msgid.is_empty() {
            entries.push(entry);
        }
    }
    entries
}

/// A PO string's text: `"a\"b\n"` → `a"b` and a newline.
fn unquote(quoted: &str) -> String {
    let inner = quoted
        .trim()
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_else(|| panic!("not a PO string: {quoted}"));
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

pub(crate) fn translation() -> &'static Vec<Entry> {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(|| parse_po(&po_dir().join("id.po")))
}

/// Whether `program` is on PATH. When it is not, a note says which test is
/// skipped (written to stderr directly, as libtest's capture would hide
/// `eprintln!`), except on CI, where `.ci/run` installs it and its absence
/// fails the test.
fn installed(program: &str, install: &str, test: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "`{program}` is not installed on CI; .ci/run installs it ({install})"
        );
        let note = format!(
            "note: `{program}` is not installed ({install}); the book test {test} is skipped\n"
        );
        let _ = std::io::stderr().write_all(note.as_bytes());
    }
    found
}

const GETTEXT: &str = "apt-get install gettext";
const I18N_HELPERS: &str = "cargo install mdbook-i18n-helpers --locked --version 0.4.0";

#[test]
fn every_message_is_translated_and_none_is_fuzzy() {
    let entries = translation();
    assert!(entries.len() > 100, "book/po/id.po has hardly any message");
    let missing: Vec<String> = entries
        .iter()
        .filter(|e| e.msgstr.trim().is_empty() || e.fuzzy)
        .map(|e| {
            let why = if e.fuzzy { "fuzzy" } else { "untranslated" };
            format!("  {why}: {}", e.shown())
        })
        .collect();
    assert!(
        missing.is_empty(),
        "book/po/id.po: {} of {} messages have no finished translation \
         (a fuzzy one is shown in English; translate it and remove its \
         `#, fuzzy` line):\n{}",
        missing.len(),
        entries.len(),
        missing.join("\n")
    );
}

/// What a translation must keep of its English original, as a multiset:
/// code spans, link and image targets (without their `#fragment`, which
/// follows the translated heading), autolinks, includes, HTML tags and
/// admonition markers.
fn kept(markdown: &str) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    let mut add = |s: String| *found.entry(s).or_insert(0) += 1;
    let mut rest = markdown;
    // Code spans: a run of backticks up to the same run.
    let mut prose = String::new();
    while let Some(start) = rest.find('`') {
        prose.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let fence = &rest[start..start + ticks];
        let after = &rest[start + ticks..];
        match after.find(fence) {
            Some(end) => {
                add(format!("code {fence}{}{fence}", &after[..end]));
                rest = &after[end + ticks..];
            }
            None => {
                rest = after;
            }
        }
    }
    prose.push_str(rest);
    for (at, _) in prose.match_indices("](") {
        let target = prose[at + 2..].split(')').next().unwrap_or_default();
        let target = target.split('#').next().unwrap_or_default();
        add(format!("link ({target})"));
    }
    for piece in prose.split('<').skip(1) {
        let Some(tag) = piece.split('>').next() else {
            continue;
        };
        if tag.contains("://") {
            add(format!("autolink <{tag}>"));
        } else if tag
            .trim_start_matches('/')
            .starts_with(|c: char| c.is_ascii_alphabetic())
        {
            let name: String = tag
                .chars()
                .take_while(|c| *c == '/' || c.is_ascii_alphanumeric())
                .collect();
            add(format!("HTML tag <{name}>"));
        }
    }
    for (at, _) in prose.match_indices("{{#") {
        let include = prose[at..].split("}}").next().unwrap_or_default();
        add(format!("include {include}}}}}"));
    }
    for marker in ["[!NOTE", "[!TIP", "[!IMPORTANT", "[!WARNING", "[!CAUTION"] {
        for _ in prose.matches(marker) {
            add(format!("admonition {marker}]"));
        }
    }
    found
}

#[test]
fn every_translation_keeps_the_code_links_and_includes_of_its_original() {
    let mut problems = Vec::new();
    for entry in translation() {
        if entry.msgstr.is_empty() {
            continue; // every_message_is_translated_and_none_is_fuzzy
        }
        // A whole code block (program output, a command) is never
        // translated.
        if entry.msgid.starts_with("```") && entry.msgstr != entry.msgid {
            problems.push(format!(
                "  {}: a code block, to copy unchanged",
                entry.shown()
            ));
            continue;
        }
        let (english, indonesian) = (kept(&entry.msgid), kept(&entry.msgstr));
        if english != indonesian {
            let lost: Vec<_> = english
                .iter()
                .filter(|(k, n)| indonesian.get(*k) != Some(n))
                .map(|(k, _)| k.as_str())
                .collect();
            let added: Vec<_> = indonesian
                .iter()
                .filter(|(k, n)| english.get(*k) != Some(n))
                .map(|(k, _)| k.as_str())
                .collect();
            problems.push(format!(
                "  {}\n    English has: {lost:?}\n    Indonesian has: {added:?}",
                entry.shown()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "book/po/id.po: translations must keep the code spans, links, includes \
         and HTML of their English original:\n{}",
        problems.join("\n")
    );
}

#[test]
fn msgfmt_accepts_the_po_file() {
    if !installed("msgfmt", GETTEXT, "msgfmt_accepts_the_po_file") {
        return;
    }
    let output = Command::new("msgfmt")
        .args(["--check", "--statistics", "--output-file=/dev/null"])
        .arg(po_dir().join("id.po"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "msgfmt --check book/po/id.po:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The messages of the English book as it is now, extracted by
/// mdbook-xgettext into the target folder.
fn extract_messages() -> Vec<Entry> {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("book-xgettext");
    if out.exists() {
        fs::remove_dir_all(&out).unwrap();
    }
    let mut config = config();
    config.build.build_dir = out.clone();
    let book = MDBook::load_with_config(book_dir(), config).unwrap();
    let renderer = CmdRenderer::new("xgettext".into(), "mdbook-xgettext".into());
    book.execute_build_process(&renderer)
        .unwrap_or_else(|e| panic!("mdbook-xgettext cannot extract the book: {e:#}"));
    let mut pot = None;
    crate::support::collect_files(&out, &mut |path| {
        if path.file_name().is_some_and(|n| n == "messages.pot") {
            pot = Some(path.to_path_buf());
        }
    });
    parse_po(&pot.expect("mdbook-xgettext wrote no messages.pot"))
}

#[test]
fn the_translation_follows_the_english_text() {
    if !installed(
        "mdbook-xgettext",
        I18N_HELPERS,
        "the_translation_follows_the_english_text",
    ) {
        return;
    }
    let english = extract_messages();
    let committed: BTreeSet<String> = parse_po(&po_dir().join("messages.pot"))
        .into_iter()
        .map(|e| e.msgid)
        .collect();
    let translated: BTreeMap<&str, &Entry> = translation()
        .iter()
        .map(|e| (e.msgid.as_str(), e))
        .collect();
    let current: BTreeSet<&str> = english.iter().map(|e| e.msgid.as_str()).collect();

    let mut problems = Vec::new();
    for entry in &english {
        match translated.get(entry.msgid.as_str()) {
            None => problems.push(format!("  new or changed: {}", entry.shown())),
            Some(t) if t.fuzzy || t.msgstr.trim().is_empty() => {
                problems.push(format!("  untranslated: {}", entry.shown()))
            }
            Some(_) => {}
        }
    }
    for entry in translation() {
        if !current.contains(entry.msgid.as_str()) {
            problems.push(format!("  no longer in the book: {}", entry.shown()));
        }
    }
    let pot_stale =
        english.iter().any(|e| !committed.contains(&e.msgid)) || committed.len() != current.len();
    if pot_stale {
        problems.push("  book/po/messages.pot is not the English book's text".into());
    }
    assert!(
        problems.is_empty(),
        "the English book changed and book/po/id.po has not followed. Run \
         `just book-po`: it extracts book/po/messages.pot and merges it into \
         book/po/id.po with msgmerge, which marks each changed message fuzzy \
         (with the English it had as `#| msgid`), adds the new ones and makes \
         the removed ones obsolete (`#~`; delete them). Then translate these \
         messages:\n{}",
        problems.join("\n")
    );
}

/// The Indonesian edition, built once per test run as `just book id` builds
/// it; `None` where mdbook-gettext is not installed.
fn indonesian() -> Option<&'static Build> {
    static BUILD: OnceLock<Option<Build>> = OnceLock::new();
    BUILD
        .get_or_init(|| {
            if !installed(
                "mdbook-gettext",
                I18N_HELPERS,
                "of the Indonesian edition's build",
            ) {
                return None;
            }
            let mut config = config();
            config.book.language = Some("id".into());
            config.book.title = Some(TITLE.into());
            config
                .set("preprocessor.gettext.after", vec!["links"])
                .unwrap();
            Some(build_into(config, "book-id"))
        })
        .as_ref()
}

#[test]
fn the_indonesian_edition_builds_without_warnings() {
    let Some(build) = indonesian() else { return };
    assert!(
        build.log.trim().is_empty(),
        "mdBook warned while building the Indonesian edition (run `just book \
         id` to see it yourself):\n{}",
        build.log
    );
    let index = fs::read_to_string(build.html_dir.join("index.html")).unwrap();
    assert!(
        index.contains("<html lang=\"id\""),
        "not an Indonesian page"
    );
    assert!(
        index.contains(TITLE),
        "the page has not the Indonesian title"
    );
    let justfile = fs::read_to_string(crate::support::root().join("justfile")).unwrap();
    assert!(
        justfile.contains(&format!("MDBOOK_BOOK__TITLE='{TITLE}'")),
        "the justfile's book_id and this test's TITLE give the Indonesian \
         edition different titles"
    );
}

#[test]
fn every_link_of_the_indonesian_edition_resolves() {
    let Some(build) = indonesian() else { return };
    let (checked, broken) = broken_links(&build.html_dir);
    assert!(checked > 0, "no link checked in {}", shown(&build.html_dir));
    assert!(
        broken.is_empty(),
        "broken links in the Indonesian edition (a link to a heading must use \
         the id of the translated heading):\n{}",
        broken.join("\n")
    );
}

#[test]
fn code_spans_and_links_are_read_as_written() {
    let kept = kept(
        "Run `cargo test` (see [m3](m3.md#try-it), <https://rustup.rs>, \
         <code>x</code>) and {{#include a.rs:main}}; ``a`b``.",
    );
    let names: Vec<&str> = kept.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "HTML tag </code>",
            "HTML tag <code>",
            "autolink <https://rustup.rs>",
            "code ``a`b``",
            "code `cargo test`",
            "include {{#include a.rs:main}}",
            "link (m3.md)",
        ]
    );
}

/// The label of a `<details>` block is HTML, which mdbook-gettext does not
/// translate: theme/language.js does, from a table. Every label the
/// chapters use must be in that table (or start with one of its prefixes).
#[test]
fn every_details_label_has_its_translation_in_the_theme() {
    let script = fs::read_to_string(book_dir().join("theme/language.js")).unwrap();
    let mut missing = BTreeSet::new();
    let mut seen = 0;
    for (chapter, markdown) in crate::support::chapters() {
        for piece in markdown.split("<summary>").skip(1) {
            let label = piece.split("</summary>").next().unwrap_or_default();
            seen += 1;
            let text = strip_tags(label);
            let known = script.contains(&format!("\"{text}\": \""))
                || script.split("const prefixes").nth(1).is_some_and(|table| {
                    table
                        .split('"')
                        .skip(1)
                        .step_by(2)
                        .any(|p| !p.is_empty() && text.starts_with(p) && p.ends_with(' '))
                });
            if !known {
                missing.insert(format!("{}: <summary>{label}</summary>", shown(&chapter)));
            }
        }
    }
    assert!(seen > 0, "no <summary> in the book");
    assert!(
        missing.is_empty(),
        "book/theme/language.js does not translate these <details> labels; add \
         them to its `summaries` table:\n{}",
        missing.into_iter().collect::<Vec<_>>().join("\n")
    );
}

fn strip_tags(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.trim().to_string()
}

/// The Rust terms that stay English in the Indonesian edition, with the
/// gloss a chapter gives them the first time it uses them: the glossary's.
const GLOSSES: [(&str, &str); 6] = [
    ("thread pool", "kumpulan thread"),
    ("graceful shutdown", "penghentian yang tertib"),
    ("ownership", "kepemilikan"),
    ("borrowing", "peminjaman"),
    ("channel", "saluran"),
    ("thread", "utas"),
];

/// Where `term` first occurs in `text` as a word (any case), not as part of
/// a longer term of [`GLOSSES`] such as "thread" in "thread pool".
fn find_term(text: &str, term: &str) -> Option<usize> {
    let lower = text.to_lowercase();
    let longer: Vec<&str> = GLOSSES
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| *t != term && t.contains(term))
        .collect();
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    lower.match_indices(term).map(|(at, _)| at).find(|&at| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + term.len()..].chars().next();
        !is_word(before)
            && !is_word(after)
            && !longer.iter().any(|l| {
                let start = l.find(term).unwrap();
                at >= start && lower[at - start..].starts_with(l)
            })
    })
}

/// Prose of a message: without code spans and link targets.
fn prose(markdown: &str) -> String {
    let mut text = String::new();
    for (i, piece) in markdown.split('`').enumerate() {
        if i % 2 == 0 {
            text.push_str(piece);
        }
    }
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("](") {
        out.push_str(&rest[..at + 1]);
        rest = rest[at + 2..].split_once(')').map_or("", |(_, r)| r);
    }
    out.push_str(rest);
    out
}

#[test]
fn each_chapter_glosses_the_rust_terms_the_first_time_it_uses_them() {
    let mut chapters: BTreeMap<&str, Vec<(usize, &Entry)>> = BTreeMap::new();
    for entry in translation() {
        // A chapter's title is also its line in the table of contents:
        // titles carry no gloss.
        if entry.msgstr == entry.msgid || entry.sources.iter().any(|s| s.contains("SUMMARY.md")) {
            continue;
        }
        for source in &entry.sources {
            let Some((file, line)) = source.rsplit_once(':') else {
                continue;
            };
            // The glossary defines every term, each in its own entry.
            if !file.ends_with("glossary.md") {
                chapters
                    .entry(file)
                    .or_default()
                    .push((line.parse().unwrap_or(0), entry));
            }
        }
    }
    let mut problems = Vec::new();
    for (file, mut entries) in chapters {
        entries.sort_by_key(|(line, _)| *line);
        for (term, gloss) in GLOSSES {
            let first = entries.iter().find_map(|(line, entry)| {
                let text = prose(&entry.msgstr);
                find_term(&text, term).map(|at| (line, text, at))
            });
            let Some((line, text, at)) = first else {
                continue;
            };
            let after = text[at + term.len()..].trim_start_matches('*');
            if !after.to_lowercase().starts_with(&format!(" ({gloss}")) {
                let shown: String = text[at..].chars().take(60).collect();
                problems.push(format!(
                    "  {file}:{line}: \"{shown}…\" should read \"{term} ({gloss})\""
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "book/po/id.po: the first time a chapter uses one of these Rust terms, \
         it keeps the English and adds the gloss of the glossary:\n{}",
        problems.join("\n")
    );
}
