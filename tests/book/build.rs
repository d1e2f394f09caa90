//! The book builds, with no warning or error, and every link in the HTML it
//! produces leads somewhere: a file of the book, and the anchor on it.

use crate::support::{book_dir, collect_files, normalize, shown};
use mdbook_driver::{MDBook, config::Config};
use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    io::Write,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, OnceLock},
};

/// What mdBook logged at WARN or ERROR level while building the book.
pub struct Build {
    pub html_dir: PathBuf,
    pub log: String,
}

/// Builds the book once per test run, into the target folder (book/book/ is
/// left alone, so `mdbook serve` can run at the same time).
fn build() -> &'static Build {
    static BUILD: OnceLock<Build> = OnceLock::new();
    BUILD.get_or_init(|| build_into(config(), "book"))
}

/// book/book.toml, as mdBook reads it.
pub fn config() -> Config {
    Config::from_disk(book_dir().join("book.toml"))
        .unwrap_or_else(|e| panic!("book/book.toml: {e:#}"))
}

/// Builds the book with `config` into the target folder's `folder`.
pub fn build_into(mut config: Config, folder: &str) -> Build {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(folder);
    if out.exists() {
        fs::remove_dir_all(&out).unwrap();
    }
    config.build.build_dir = out.clone();

    // mdBook reports a missing include or a bad HTML tag on its log and
    // builds on: collect the log to fail on it.
    let log = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .without_time()
        .with_writer({
            let log = Arc::clone(&log);
            move || LogWriter(Arc::clone(&log))
        })
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        MDBook::load_with_config(book_dir(), config)
            .and_then(|book| book.build())
            .unwrap_or_else(|e| panic!("the book does not build: {e:#}"));
    });
    let log = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    Build {
        // With a single renderer, mdBook writes straight into the
        // build folder; with more, into a folder per renderer.
        html_dir: if out.join("html").is_dir() {
            out.join("html")
        } else {
            out
        },
        log,
    }
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_book_builds_without_warnings() {
    let build = build();
    assert!(
        build.log.trim().is_empty(),
        "mdBook warned while building the book (run `just book` to see it \
         yourself):\n{}",
        build.log
    );
    assert!(build.html_dir.join("index.html").is_file());
}

#[test]
fn every_internal_link_and_anchor_resolves() {
    let html_dir = &build().html_dir;
    let (checked, broken) = broken_links(html_dir);
    assert!(checked > 0, "no link checked in {}", shown(html_dir));
    assert!(
        broken.is_empty(),
        "broken links in the built book (a Markdown link points to a chapter, \
         heading or file that does not exist):\n{}",
        broken.join("\n")
    );
}

/// The internal links of the HTML book in `html_dir` that lead nowhere, and
/// how many links were checked.
pub fn broken_links(html_dir: &Path) -> (usize, Vec<String>) {
    let html_dir = &html_dir.to_path_buf();
    let mut pages = BTreeMap::new();
    collect_files(html_dir, &mut |path| {
        if path.extension().is_some_and(|e| e == "html") {
            pages.insert(path.to_path_buf(), fs::read_to_string(path).unwrap());
        }
    });
    let ids: BTreeMap<&Path, BTreeSet<String>> = pages
        .iter()
        .map(|(path, html)| (path.as_path(), attribute_values(html, "id")))
        .collect();

    let mut broken = Vec::new();
    let mut checked = 0;
    for (page, html) in &pages {
        // mdBook's 404 page resolves its links from the site's root.
        let base = if html.contains("<base href=\"/\">") {
            html_dir.clone()
        } else {
            page.parent().unwrap().to_path_buf()
        };
        let links = attribute_values(html, "href")
            .into_iter()
            .chain(attribute_values(html, "src"));
        for link in links {
            if is_external(&link) {
                continue;
            }
            checked += 1;
            let (file, fragment) = match link.split_once('#') {
                Some((file, fragment)) => (file, Some(fragment)),
                None => (link.as_str(), None),
            };
            let file = file.split('?').next().unwrap();
            let target = if file.is_empty() {
                page.clone()
            } else if let Some(from_root) = file.strip_prefix('/') {
                normalize(&html_dir.join(from_root))
            } else {
                normalize(&base.join(file))
            };
            let target = if target.is_dir() {
                target.join("index.html")
            } else {
                target
            };
            let from = page.strip_prefix(html_dir).unwrap().display();
            if !target.is_file() {
                broken.push(format!("{from}: {link}: no such file"));
                continue;
            }
            if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                let known = ids.get(target.as_path());
                if known.is_none_or(|ids| !ids.contains(fragment)) {
                    broken.push(format!("{from}: {link}: no id {fragment:?} on that page"));
                }
            }
        }
    }
    (checked, broken)
}

/// The values of every `name="…"` attribute in an HTML page. mdBook writes
/// its attributes with double quotes.
fn attribute_values(html: &str, name: &str) -> BTreeSet<String> {
    let needle = format!(" {name}=\"");
    let mut values = BTreeSet::new();
    let mut rest = html;
    while let Some(start) = rest.find(&needle) {
        rest = &rest[start + needle.len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        values.insert(unescape(&rest[..end]));
        rest = &rest[end..];
    }
    values
}

fn unescape(value: &str) -> String {
    value
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

fn is_external(link: &str) -> bool {
    link.contains("://")
        || link.starts_with("//")
        || link.starts_with("mailto:")
        || link.starts_with("javascript:")
        || link.starts_with("data:")
        // Templates of the theme's scripts, filled in by the browser.
        || link.contains("{{")
}
