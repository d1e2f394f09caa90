//! The HTML report of `just grade --html DIR`: a static, self-contained
//! folder a teacher opens from the file system. `index.html` holds the class
//! × stage table and the passages students share, with each other or with
//! the course's book (either edition); a page per stage holds every
//! student's reflection on it, those passages marked in the text, a page per
//! student all of theirs.
//!
//! Everything from a student is untrusted: the Markdown is rendered with
//! pulldown-cmark and sanitised with ammonia (no script, handler, form,
//! iframe or style survives); images are shown only when they are regular
//! files inside the repository (no `..`, no absolute path, no symlink on the
//! way, at most [`MAX_IMAGE`] bytes), copied into DIR; remote images become
//! links, never loaded. A Content-Security-Policy is the second wall.

use crate::{
    run::{RepoResult, Status},
    stages::STAGES,
    words::{Word, tokens, windows},
};
use askama::Template;
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use std::{
    collections::{HashMap, HashSet},
    fs,
    path::{Component, Path},
};

/// The largest screenshot copied into the report.
pub const MAX_IMAGE: u64 = 5 * 1024 * 1024;
pub use crate::words::MIN_SHARED;
/// The file that marks a folder as a report this tool wrote (and may replace).
const MARKER: &str = ".grade-report";

/// What a good reflection on each stage covers, written once for the
/// teachers' chapter.
fn rubric(stage: &str) -> &'static str {
    match stage {
        "1" => include_str!("../../../book/src/teachers/rubrics/stage-1.md"),
        "2" => include_str!("../../../book/src/teachers/rubrics/stage-2.md"),
        "3" => include_str!("../../../book/src/teachers/rubrics/stage-3.md"),
        "4" => include_str!("../../../book/src/teachers/rubrics/stage-4.md"),
        "5" => include_str!("../../../book/src/teachers/rubrics/stage-5.md"),
        _ => include_str!("../../../book/src/teachers/rubrics/stage-bonus.md"),
    }
}

/// One student's work on one stage, ready for a page.
struct Entry {
    student: String,
    page: String,
    stage: &'static str,
    status: &'static str,
    details: String,
    commit: String,
    message: String,
    words: usize,
    headings: String,
    /// Sanitised HTML of the reflection.
    html: String,
    /// Copied screenshots (file names in DIR) and notes about the others.
    images: Vec<String>,
    notes: Vec<String>,
    /// Remote screenshots: links, never loaded.
    links: Vec<String>,
    /// Passages shared with another student: (other, words).
    shared: Vec<(String, String)>,
    /// Passages found in the course's book.
    from_book: Vec<String>,
    /// The checks that failed, with their evidence.
    failures: Vec<crate::run::Failure>,
}

struct Student {
    name: String,
    page: String,
}

struct Pair {
    stage: &'static str,
    a: String,
    b: String,
    words: String,
}

#[derive(Template)]
#[template(path = "index.html")]
struct Index<'a> {
    students: &'a [Student],
    stages: Vec<&'static str>,
    cells: Vec<Vec<(&'static str, String)>>,
    summary: String,
    pairs: Vec<&'a Pair>,
    from_book: Vec<&'a Pair>,
}

#[derive(Template)]
#[template(path = "page.html")]
struct Page<'a> {
    title: String,
    rubric: String,
    entries: Vec<&'a Entry>,
    by_student: bool,
}

/// Writes the report of `results` into `dir` (created if missing; a folder
/// that is not empty is refused unless it holds a report this tool wrote,
/// which is replaced). `cwd` is where the repositories' paths start.
pub fn write(dir: &Path, results: &[RepoResult], cwd: &Path) -> Result<(), String> {
    prepare(dir)?;
    let img = dir.join("img");
    fs::create_dir_all(&img).map_err(|e| format!("cannot create {}: {e}", img.display()))?;
    let students = names(results);
    let mut entries: Vec<Entry> = Vec::new();
    for (result, student) in results.iter().zip(&students) {
        let root = cwd.join(&result.repository);
        for (n, stage) in result.stages.iter().enumerate() {
            let mut entry = Entry {
                student: student.name.clone(),
                page: student.page.clone(),
                stage: stage.stage,
                status: match stage.status {
                    Status::Pass => "pass",
                    Status::Fail => "fail",
                    Status::Missing => "missing",
                },
                details: stage.details.clone(),
                commit: stage.commit.clone().unwrap_or_default(),
                message: stage.message.clone().unwrap_or_default(),
                words: 0,
                headings: String::new(),
                html: String::new(),
                images: Vec::new(),
                notes: Vec::new(),
                links: Vec::new(),
                shared: Vec::new(),
                from_book: Vec::new(),
                failures: stage.failures.clone(),
            };
            if let Some(reading) = &stage.readme {
                entry.words = reading.words;
                entry.headings = reading.headings.join(" + ");
                let mut copied: HashMap<String, String> = HashMap::new();
                for (k, (dest, file)) in reading.images.iter().enumerate() {
                    match file {
                        Some(path) => {
                            let stem = student.page.trim_end_matches(".html");
                            match copy_image(
                                &root,
                                path,
                                &img,
                                &format!("{stem}-{}-{n}-{k}", stage.stage),
                            ) {
                                Ok(name) => {
                                    copied.insert(dest.clone(), name.clone());
                                    entry.images.push(name);
                                }
                                Err(note) => entry.notes.push(format!("{path}: {note}")),
                            }
                        }
                        None if dest.starts_with("http://") || dest.starts_with("https://") => {
                            entry.links.push(dest.clone())
                        }
                        None => entry.notes.push(format!("{dest}: not shown")),
                    }
                }
                entry.html = render(&reading.markdown, &copied);
            }
            entries.push(entry);
        }
    }
    let pairs = share(&mut entries);
    let stages: Vec<&'static str> = STAGES.iter().map(|s| s.id).collect();
    let cells = students
        .iter()
        .map(|s| {
            stages
                .iter()
                .map(|id| {
                    entries
                        .iter()
                        .find(|e| e.page == s.page && e.stage == *id)
                        .map_or(("none", String::new()), |e| (e.status, e.details.clone()))
                })
                .collect()
        })
        .collect();
    let passed = entries.iter().filter(|e| e.status == "pass").count();
    let index = Index {
        students: &students,
        stages: stages.clone(),
        cells,
        summary: format!(
            "{} students, {passed} of {} stages pass",
            students.len(),
            entries.len()
        ),
        pairs: pairs.iter().filter(|p| !p.b.is_empty()).collect(),
        from_book: pairs.iter().filter(|p| p.b.is_empty()).collect(),
    };
    let mut files = vec![("index.html".to_string(), render_page(&index)?)];
    for id in &stages {
        let page = Page {
            title: format!("Stage {id}"),
            rubric: render(rubric(id), &HashMap::new()),
            entries: entries.iter().filter(|e| e.stage == *id).collect(),
            by_student: false,
        };
        files.push((format!("stage-{id}.html"), render_page(&page)?));
    }
    for s in &students {
        let page = Page {
            title: s.name.clone(),
            rubric: String::new(),
            entries: entries.iter().filter(|e| e.page == s.page).collect(),
            by_student: true,
        };
        files.push((s.page.clone(), render_page(&page)?));
    }
    files.push((
        "style.css".into(),
        include_str!("../templates/style.css").into(),
    ));
    files.push((MARKER.into(), "written by `just grade --html`\n".into()));
    for (name, text) in files {
        let path = dir.join(&name);
        fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn render_page(t: &impl Template) -> Result<String, String> {
    t.render()
        .map_err(|e| format!("cannot render the report: {e}"))
}

/// Creates `dir`, or empties a report written before.
/// Whether the report may be written into `dir`: a folder that does not
/// exist yet, an empty one, or a report written before. Asked before the
/// class is graded, so that a wrong folder costs no grading time.
pub fn usable(dir: &Path) -> Result<bool, String> {
    if !dir.exists() {
        return Ok(false);
    }
    let entries = fs::read_dir(dir)
        .map_err(|e| format!("{} is not a folder to write into: {e}", dir.display()))?
        .count();
    if entries > 0 && !dir.join(MARKER).is_file() {
        return Err(format!(
            "{} exists and is not empty, nor a report written before: \
             choose another folder",
            dir.display()
        ));
    }
    Ok(entries > 0)
}

fn prepare(dir: &Path) -> Result<(), String> {
    if usable(dir)? {
        fs::remove_dir_all(dir).map_err(|e| format!("cannot replace {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// A file name for each repository's page: its folder's name, reduced to
/// safe characters, unique.
fn names(results: &[RepoResult]) -> Vec<Student> {
    let mut taken = HashSet::new();
    results
        .iter()
        .map(|r| {
            let name = Path::new(&r.repository)
                .file_name()
                .map_or(r.repository.clone(), |n| n.to_string_lossy().into_owned());
            let safe: String = name
                .chars()
                .map(
                    |c| match c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        true => c,
                        false => '_',
                    },
                )
                .collect();
            let mut page = format!("student-{safe}.html");
            let mut n = 2;
            while !taken.insert(page.clone()) {
                page = format!("student-{safe}-{n}.html");
                n += 1;
            }
            Student { name, page }
        })
        .collect()
}

/// Copies the repository's file `path` into `img` as `stem.EXT`, if it is a
/// regular file inside `root` reached through no symlink, of an image type,
/// at most [`MAX_IMAGE`] bytes; else says why not.
pub fn copy_image(root: &Path, path: &str, img: &Path, stem: &str) -> Result<String, String> {
    let relative = Path::new(path);
    let mut here = root.to_path_buf();
    for component in relative.components() {
        match component {
            Component::Normal(part) => here.push(part),
            _ => return Err("not a path inside the repository".into()),
        }
        let meta = fs::symlink_metadata(&here).map_err(|_| "not in the repository".to_string())?;
        if meta.file_type().is_symlink() {
            return Err("a symbolic link, not copied".into());
        }
    }
    let meta = fs::symlink_metadata(&here).map_err(|_| "not in the repository".to_string())?;
    if !meta.is_file() {
        return Err("not a file".into());
    }
    let (Ok(real), Ok(real_root)) = (here.canonicalize(), root.canonicalize()) else {
        return Err("not in the repository".into());
    };
    if !real.starts_with(&real_root) {
        return Err("outside the repository".into());
    }
    if meta.len() > MAX_IMAGE {
        return Err(format!(
            "{} MiB, larger than the {} MiB the report copies",
            meta.len() / (1024 * 1024),
            MAX_IMAGE / (1024 * 1024)
        ));
    }
    let ext = relative
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if !["png", "jpg", "jpeg", "gif", "webp"].contains(&ext.as_str()) {
        return Err("not a PNG, JPEG, GIF or WebP image".into());
    }
    let name = format!("{stem}.{ext}");
    fs::copy(&real, img.join(&name)).map_err(|e| format!("cannot copy: {e}"))?;
    Ok(format!("img/{name}"))
}

/// Markdown from a student, as safe HTML: images shown only when copied
/// (`copied` maps a destination as written to its file in the report),
/// remote ones as links, and everything else through ammonia.
pub fn render(markdown: &str, copied: &HashMap<String, String>) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut events = Vec::new();
    let mut skip = 0usize;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                skip += 1;
                if skip > 1 {
                    continue;
                }
                let dest = dest_url.to_string();
                match copied.get(&dest) {
                    // Shown once, beside the text, not again in it.
                    Some(_) => {}
                    None => {
                        let text = format!("[image: {dest}]");
                        events.push(Event::Start(Tag::Link {
                            link_type: pulldown_cmark::LinkType::Inline,
                            dest_url: CowStr::from(dest),
                            title: CowStr::from(""),
                            id: CowStr::from(""),
                        }));
                        events.push(Event::Text(CowStr::from(text)));
                        events.push(Event::End(TagEnd::Link));
                    }
                }
            }
            Event::End(TagEnd::Image) => skip = skip.saturating_sub(1),
            _ if skip > 0 => {}
            event => events.push(event),
        }
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    let allowed: HashSet<String> = copied.values().cloned().collect();
    ammonia::Builder::default()
        // Only the report marks passages: a student's own <mark> would pass
        // for one of them.
        .rm_tags(["mark"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer nofollow"))
        .attribute_filter(move |element, attribute, value| {
            if element == "img" && attribute == "src" {
                return allowed.contains(value).then(|| value.into());
            }
            // Relative links would lead nowhere in the report.
            if attribute == "href" || attribute == "src" {
                let lower = value.to_ascii_lowercase();
                let absolute = ["http://", "https://", "mailto:"]
                    .iter()
                    .any(|s| lower.starts_with(s));
                return absolute.then(|| value.into());
            }
            Some(value.into())
        })
        .clean(&html)
        .to_string()
}

/// The course's book, both editions: the hash of every run of
/// [`MIN_SHARED`] words of its prose, sorted, as the build script wrote
/// them (eight bytes each, little-endian).
const BOOK_WINDOWS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/book-windows"));

/// Whether a window's hash is one of the book's.
fn in_book(window: u64) -> bool {
    let (mut low, mut high) = (0, BOOK_WINDOWS.len() / 8);
    while low < high {
        let middle = (low + high) / 2;
        let at = middle * 8;
        let hash = u64::from_le_bytes(BOOK_WINDOWS[at..at + 8].try_into().unwrap());
        match hash.cmp(&window) {
            std::cmp::Ordering::Less => low = middle + 1,
            std::cmp::Ordering::Greater => high = middle,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Where a word of a reflection was found besides: nowhere, in another
/// student's reflection on the same stage, or in the course's book.
#[derive(Clone, Copy, PartialEq)]
enum Found {
    Nowhere,
    Classmate,
    Book,
}

/// Runs of at least [`MIN_SHARED`] words, as ranges of word positions,
/// from the positions of the windows that start them.
fn runs(mut at: Vec<usize>) -> Vec<(usize, usize)> {
    at.sort();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for p in at {
        match runs.last_mut() {
            Some((_, end)) if p <= *end => *end = p + MIN_SHARED,
            _ => runs.push((p, p + MIN_SHARED)),
        }
    }
    runs
}

/// Finds the passages of at least [`MIN_SHARED`] words that two students
/// share in the same stage, and those a student shares with the course's
/// book (15-word windows); records them on the entries, marks them in
/// place in each reflection, and returns the pairs (a passage from the book
/// is paired with the book, `b` empty).
fn share(entries: &mut [Entry]) -> Vec<Pair> {
    let words: Vec<Vec<Word>> = entries.iter().map(|e| tokens(&e.html)).collect();
    let texts: Vec<Vec<String>> = words
        .iter()
        .map(|w| w.iter().map(|w| w.text.clone()).collect())
        .collect();
    let mut found: Vec<Vec<Found>> = texts
        .iter()
        .map(|t| vec![Found::Nowhere; t.len()])
        .collect();
    let mut pairs = Vec::new();
    for stage in STAGES.iter().map(|s| s.id) {
        let members: Vec<usize> = (0..entries.len())
            .filter(|&i| entries[i].stage == stage)
            .collect();
        for &i in &members {
            let from_book: Vec<usize> = windows(&texts[i])
                .enumerate()
                .filter(|(_, h)| in_book(*h))
                .map(|(p, _)| p)
                .collect();
            for (start, end) in runs(from_book) {
                found[i][start..end].fill(Found::Book);
                let text = texts[i][start..end].join(" ");
                entries[i].from_book.push(text.clone());
                pairs.push(Pair {
                    stage,
                    a: entries[i].student.clone(),
                    b: String::new(),
                    words: text,
                });
            }
        }
        // Windows two students share, but for those touching the book: two
        // students who quote the book are each shown with the book.
        let mut seen: HashMap<&[String], Vec<(usize, usize)>> = HashMap::new();
        for &i in &members {
            let mut mine = HashSet::new();
            for (p, window) in texts[i].windows(MIN_SHARED).enumerate() {
                let touches_book = found[i][p..p + MIN_SHARED].contains(&Found::Book);
                if !touches_book && mine.insert(window) {
                    seen.entry(window).or_default().push((i, p));
                }
            }
        }
        // Positions in `a` and in `b` of windows they share.
        let mut shared: HashMap<(usize, usize), (Vec<usize>, Vec<usize>)> = HashMap::new();
        for places in seen.values() {
            for (x, &(a, pa)) in places.iter().enumerate() {
                for &(b, pb) in &places[x + 1..] {
                    if a != b {
                        let both = shared.entry((a, b)).or_default();
                        both.0.push(pa);
                        both.1.push(pb);
                    }
                }
            }
        }
        let mut keys: Vec<_> = shared.keys().copied().collect();
        keys.sort();
        for (a, b) in keys {
            let (in_a, in_b) = shared.remove(&(a, b)).unwrap();
            for (start, end) in runs(in_b) {
                mark_classmate(&mut found[b][start..end]);
            }
            for (start, end) in runs(in_a) {
                mark_classmate(&mut found[a][start..end]);
                let text = texts[a][start..end].join(" ");
                let (na, nb) = (entries[a].student.clone(), entries[b].student.clone());
                entries[a].shared.push((nb.clone(), text.clone()));
                entries[b].shared.push((na.clone(), text.clone()));
                pairs.push(Pair {
                    stage,
                    a: na,
                    b: nb,
                    words: text,
                });
            }
        }
    }
    for ((entry, words), found) in entries.iter_mut().zip(&words).zip(&found) {
        entry.html = mark(&entry.html, words, found);
    }
    pairs
}

/// A word shared with a classmate, unless it is the book's already.
fn mark_classmate(found: &mut [Found]) {
    for f in found {
        if *f == Found::Nowhere {
            *f = Found::Classmate;
        }
    }
}

/// `html` with each run of words found elsewhere inside `<mark>` (with the
/// class `book` for the book's), closed before every tag on the way and
/// opened again after it, so that the HTML stays well formed.
fn mark(html: &str, words: &[Word], found: &[Found]) -> String {
    // Byte spans of runs of neighbouring words found in the same place.
    let mut spans: Vec<(usize, usize, Found)> = Vec::new();
    let mut run: Option<(usize, usize, Found)> = None;
    for (word, &f) in words.iter().zip(found) {
        match &mut run {
            Some((_, end, kind)) if *kind == f => *end = word.end,
            _ => {
                spans.extend(run.take());
                if f != Found::Nowhere {
                    run = Some((word.start, word.end, f));
                }
            }
        }
    }
    spans.extend(run);
    if spans.is_empty() {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len() + spans.len() * 32);
    let (mut in_tag, mut in_quote, mut open) = (false, false, false);
    let mut span = 0;
    for (at, c) in html.char_indices() {
        while span < spans.len() && at >= spans[span].1 {
            if open {
                out.push_str("</mark>");
                open = false;
            }
            span += 1;
        }
        if c == '<' && !in_tag {
            in_tag = true;
            if open {
                out.push_str("</mark>");
                open = false;
            }
        }
        let inside = span < spans.len() && at >= spans[span].0;
        if inside && !in_tag && !open {
            out.push_str(match spans[span].2 {
                Found::Book => "<mark class=\"book\">",
                _ => "<mark>",
            });
            open = true;
        }
        out.push(c);
        if in_tag {
            match c {
                '"' => in_quote = !in_quote,
                '>' if !in_quote => in_tag = false,
                _ => {}
            }
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked_everywhere(markdown: &str) -> (String, String) {
        let html = render(markdown, &HashMap::new());
        let words = tokens(&html);
        let found = vec![Found::Classmate; words.len()];
        let marked = mark(&html, &words, &found);
        (html, marked)
    }

    #[test]
    fn words_are_read_outside_tags_and_entities() {
        let html = render(
            "It's **bold** & [a link](https://x.example/?a=\"b>c\") `code` <b>x</b>",
            &HashMap::new(),
        );
        let words: Vec<String> = tokens(&html).into_iter().map(|w| w.text).collect();
        assert_eq!(
            words,
            ["it", "s", "bold", "a", "link", "code", "x"],
            "{html}"
        );
    }

    #[test]
    fn marks_close_before_every_tag_and_change_nothing_else() {
        for markdown in [
            "plain words only here",
            "a **bold _and italic_ run** then [a link](https://example.com) and `code`",
            "1. one\n2. two\n\n> quoted *words*\n\n| a | b |\n|---|---|\n| c | d |\n",
            "<script>alert(1)</script> after & before &amp; <mark>faked</mark>",
        ] {
            let (html, marked) = marked_everywhere(markdown);
            assert_eq!(marked.replace("<mark>", "").replace("</mark>", ""), html);
            // Every <mark> is closed before the next tag opens.
            let mut rest = marked.as_str();
            while let Some(at) = rest.find("<mark>") {
                let after = &rest[at + 6..];
                let close = after.find("</mark>").expect("closed");
                assert!(!after[..close].contains('<'), "{marked}");
                rest = &after[close..];
            }
            assert!(marked.contains("<mark>"), "{marked}");
            assert!(
                !html.contains("<mark>"),
                "a student's own mark is kept: {html}"
            );
        }
    }

    #[test]
    fn runs_join_overlapping_windows() {
        assert_eq!(runs(vec![3, 0, 1, 40]), [(0, 18), (40, 55)]);
    }

    #[test]
    fn the_book_is_known_in_both_editions() {
        let count = BOOK_WINDOWS.len() / 8;
        assert!(count > 20_000, "{count}");
        let text = |s: &str| -> Vec<String> {
            s.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect()
        };
        // A sentence of each edition's opening chapter, and one of nobody's.
        let english = include_str!("../../../book/src/introduction.md").replace('\n', " ");
        // The translations, a message a line (msgmerge wraps them).
        let po = include_str!("../../../book/po/id.po")
            .replace("\"\n\"", "")
            .replace("msgstr \"\"", "msgstr \"")
            .lines()
            .filter(|l| l.starts_with("msgstr "))
            .collect::<Vec<_>>()
            .join("\n");
        for source in [english.as_str(), po.as_str()] {
            let line = source
                .split(['\n', '.'])
                .map(|l| l.trim_start_matches("msgstr ").trim_matches('"'))
                .find(|l| l.split_whitespace().count() > 20 && !l.contains('`') && !l.contains('['))
                .unwrap();
            let words = text(line);
            assert!(in_book(windows(&words).next().unwrap()), "{line}");
        }
        let mine = text(
            "my own sentence about a server that reads lines from a socket and answers each of them with a page of its own",
        );
        assert!(!in_book(windows(&mine).next().unwrap()));
    }
}
