//! The README at the last commit, read as GitHub renders it: a reflection
//! section per stage with real text under it, and for stages 2 and 3 a
//! screenshot embedded in that section, in the repository or on the web.
//!
//! The README is parsed as CommonMark with GitHub's extensions
//! (pulldown-cmark) into [`Piece`]s in the order GitHub shows them:
//! headings, words of prose, images, and embeds GitHub shows as text. A
//! stage's section is every piece under the headings that name it.

use crate::stages::{STAGES, Stage};
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};
use regex::Regex;
use serde::Serialize;
use std::{
    collections::{HashMap, HashSet},
    sync::LazyLock,
};

/// The fewest words a reflection needs to count as one.
pub const MIN_WORDS: usize = 20;

/// What the README says about one stage: `Ok` with a note, or the problem.
pub type Finding = Result<String, String>;

/// How the README was read for one stage: the section that counted.
#[derive(Clone, Debug, Serialize)]
pub struct Reading {
    /// The section's headings as written: one, or more when a stage has
    /// several (`Commit 2 Reflection notes` and `Commit 2 Screen Capture`).
    pub headings: Vec<String>,
    /// The words of prose under them, sub-headings included.
    pub words: usize,
    /// The screenshot that counts, for a stage that needs one and has one.
    pub screenshot: Option<Screenshot>,
    /// The section's Markdown as written, its headings left out: what the
    /// HTML report renders.
    #[serde(skip)]
    pub markdown: String,
    /// Every image of the section as written (`![…](dest)`, `<img src>`),
    /// with its path in the repository when it names a file there.
    #[serde(skip)]
    pub images: Vec<(String, Option<String>)>,
}

/// The screenshot that counted for a stage.
#[derive(Clone, Debug, Serialize)]
pub struct Screenshot {
    /// The path in the repository, or the URL of a remote image.
    pub target: String,
    /// `true` for a file of the repository (it is there); `false` for an
    /// image on the web, which cannot be verified offline.
    pub in_repository: bool,
}

static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\p{L}]{2,}").unwrap());
/// An image in the repository, linked through GitHub: `…/blob/main/a.png`,
/// `raw.githubusercontent.com/…/main/a.png` (or `…/refs/heads/main/a.png`).
static GITHUB_FILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^https?://(?:github\.com/[^/]+/[^/]+/(?:blob|raw)|raw\.githubusercontent\.com/[^/]+/[^/]+)/(?:refs/heads/)?[^/]+/([^?#]+)",
    )
    .unwrap()
});
/// Words before a number that make it a stage's: `Commit 2`, `Refleksi 2`,
/// `Milestone 1`; `refl` also catches typos (`Refletion`).
const NUMBER_WORDS: &[&str] = &["commit", "milestone", "stage", "tahap"];
/// The words a short paragraph needs to be taken as a heading (`Reflection 1`).
static HEADING_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)commit|refl|milestone|stage|tahap|bonus").unwrap());
/// Headings that name a stage by its title and no number
/// (`## handle_connection reflection`), from the handout's commit messages.
static TITLES: LazyLock<Vec<(&str, Regex)>> = LazyLock::new(|| {
    [
        ("1", r"handle[\s_-]*conn|check(ing)?\s+respon"),
        ("2", r"return(ing|s)?\s+(an?\s+)?html"),
        ("3", r"validat|selective(ly)?\s+respon"),
        ("4", r"slow\s+(request|response)|simulat"),
        ("5", r"multi[\s_-]*thread|thread[\s_-]*pool"),
        ("bonus", r"improv|\bbuild\b"),
    ]
    .into_iter()
    .map(|(id, words)| (id, Regex::new(words).unwrap()))
    .collect()
});

/// The file that GitHub shows as the repository's README, from the files
/// at HEAD: `README.md` at the root in any case (`Readme.md`, `README.MD`),
/// else one beside a crate in a folder (`hello/README.md` next to
/// `hello/Cargo.toml`).
pub fn readme_path(files: &[String]) -> Option<String> {
    let is_readme = |name: &str| name.eq_ignore_ascii_case("readme.md");
    let at_root = files
        .iter()
        .filter(|f| is_readme(f))
        .min_by_key(|f| (f.as_str() != "README.md", f.as_str()));
    let beside_a_crate = || {
        files
            .iter()
            .filter(|f| {
                f.rsplit_once('/').is_some_and(|(folder, name)| {
                    is_readme(name) && files.contains(&format!("{folder}/Cargo.toml"))
                })
            })
            .min_by_key(|f| (f.matches('/').count(), f.as_str()))
    };
    at_root.or_else(beside_a_crate).cloned()
}

/// The README's findings for every stage, and how each was read, from its
/// text, its path (images are relative to its folder) and the files of the
/// repository (to find the screenshots in).
pub fn findings(
    readme: Option<&str>,
    readme_path: &str,
    files: &[String],
) -> HashMap<&'static str, (Finding, Option<Reading>)> {
    let Some(readme) = readme else {
        return STAGES
            .iter()
            .map(|s| {
                let problem = "there is no README.md at the last commit".to_string();
                (s.id, (Err(problem), None))
            })
            .collect();
    };
    let document = Document::read(readme, readme_path);
    STAGES
        .iter()
        .map(|stage| (stage.id, document.finding(stage, files)))
        .collect()
}

/// One thing of the README, in the order GitHub shows it.
#[derive(Debug)]
enum Piece {
    /// A heading (ATX or setext): 1–6 for `#`…`######`; 7 for a line that
    /// is all bold (`**Commit 3 Reflection notes**`) or a paragraph that is
    /// only a short line naming a stage (`Reflection 1`), as students write.
    Heading { level: u8, text: String, at: usize },
    /// Words of prose: text and inline code, never link URLs or HTML tags.
    Words(usize),
    /// An image's destination as written: `![…](dest)`, `<img src="dest">`.
    Image(String),
    /// An embed that GitHub shows as text (`![text(path)`).
    Broken(String),
}

/// How a heading names a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Naming {
    /// `Commit 2`, `Refleksi 2`, `### 2. …`, `Bonus`, `COMMIT 6`.
    Explicit,
    /// A number elsewhere in it, or the stage's title words.
    Loose,
}

/// The README as pieces, and what is needed to resolve its images.
struct Document {
    pieces: Vec<Piece>,
    /// Its path in the repository, for messages.
    name: String,
    /// Its folder, `""` at the root: relative images start there.
    folder: String,
    /// The repository's files that it embeds as images, anywhere.
    embedded: HashSet<String>,
    /// Its text, for the Markdown of a section.
    source: String,
}

/// A stage's section: the pieces under its headings.
struct Section<'d> {
    headings: Vec<&'d str>,
    words: usize,
    images: Vec<&'d str>,
    broken: Vec<&'d str>,
    /// Its Markdown, headings left out.
    markdown: String,
}

/// Where an image's destination points.
enum Located {
    /// A path in the repository.
    File(String),
    /// An image on the web: GitHub's uploads, image hosts.
    Remote(String),
    /// A path with `\`, which GitHub does not show; with `/` instead.
    Backslash(String),
    /// Anything else (`data:`, `file://`).
    Elsewhere,
}

impl Document {
    fn read(readme: &str, name: &str) -> Document {
        let options =
            Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
        let mut reader = Reader::default();
        for (event, range) in Parser::new_ext(readme, options).into_offset_iter() {
            if reader.paragraph.is_none() {
                reader.at = range.start;
            }
            reader.offset = range.start;
            reader.event(event);
        }
        reader.flush();
        let mut document = Document {
            pieces: reader.pieces,
            name: name.to_string(),
            folder: name.rsplit_once('/').map_or("", |(f, _)| f).to_string(),
            embedded: HashSet::new(),
            source: readme.to_string(),
        };
        document.embedded = document
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Image(dest) => match document.locate(dest) {
                    Located::File(path) => Some(path),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        document
    }

    fn finding(&self, stage: &Stage, files: &[String]) -> (Finding, Option<Reading>) {
        let Some(section) = self.section(stage) else {
            return (
                Err(format!(
                    "no reflection section for stage {} in {} (a heading such as \
                     \"Commit {} Reflection notes\")",
                    stage.id,
                    self.name,
                    if stage.id == "bonus" {
                        "Bonus"
                    } else {
                        stage.id
                    }
                )),
                None,
            );
        };
        let quoted = section
            .headings
            .iter()
            .map(|h| format!("\"{h}\""))
            .collect::<Vec<_>>()
            .join(" + ");
        let words = section.words;
        let screenshot = stage
            .screenshot
            .then(|| self.screenshot(stage, &section, &quoted, files));
        let reading = Reading {
            headings: section.headings.iter().map(|h| h.to_string()).collect(),
            words,
            screenshot: screenshot.clone().and_then(Result::ok),
            markdown: section.markdown.clone(),
            images: section
                .images
                .iter()
                .map(|i| {
                    let file = match self.locate(i) {
                        Located::File(path) => Some(path),
                        _ => None,
                    };
                    (i.to_string(), file)
                })
                .collect(),
        };
        let finding = if words < MIN_WORDS {
            Err(format!(
                "the section {quoted} has {words} words of reflection, fewer than {MIN_WORDS}"
            ))
        } else {
            match screenshot {
                None => Ok(format!("{quoted}: {words} words")),
                Some(Ok(shot)) if shot.in_repository => Ok(format!(
                    "{quoted}: {words} words, screenshot {}",
                    shot.target
                )),
                Some(Ok(shot)) => Ok(format!(
                    "{quoted}: {words} words, screenshot {} (remote, not verified offline)",
                    shot.target
                )),
                Some(Err(problem)) => Err(problem),
            }
        };
        (finding, Some(reading))
    }

    /// The section of `stage`: under every heading that names it
    /// explicitly, or if none does, every heading that names it loosely.
    /// Each part ends at the next heading of its level or above, or at the
    /// next one that names another stage explicitly (sections are not
    /// always nested).
    fn section(&self, stage: &Stage) -> Option<Section<'_>> {
        let headings: Vec<(usize, u8, &str)> = self
            .pieces
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                Piece::Heading { level, text, .. } => Some((i, *level, text.as_str())),
                _ => None,
            })
            .collect();
        // The README's own title (`# Building a multithreaded server`)
        // names no stage by its words.
        let title = headings.first().filter(|h| h.1 == 1).map(|h| h.0);
        let named = |naming: Naming| -> Vec<(usize, u8, &str)> {
            headings
                .iter()
                .copied()
                .filter(|&(i, _, text)| names(text, stage, Some(i) == title) == Some(naming))
                .collect()
        };
        let mut chosen = named(Naming::Explicit);
        if chosen.is_empty() {
            chosen = named(Naming::Loose);
        }
        if chosen.is_empty() {
            return None;
        }
        let mut inside = vec![false; self.pieces.len()];
        let mut markdown = String::new();
        for &(start, level, heading) in &chosen {
            let end = headings
                .iter()
                .find(|&&(i, l, text)| {
                    i > start
                        && (l <= level
                            || STAGES.iter().any(|s| {
                                s.id != stage.id && names(text, s, false) == Some(Naming::Explicit)
                            }))
                })
                .map_or(self.pieces.len(), |h| h.0);
            inside[start + 1..end].fill(true);
            markdown.push_str(&self.markdown(start, end, heading));
            markdown.push_str("\n\n");
        }
        let mut section = Section {
            headings: chosen.iter().map(|h| h.2).collect(),
            words: 0,
            images: Vec::new(),
            broken: Vec::new(),
            markdown,
        };
        for (i, piece) in self.pieces.iter().enumerate() {
            if !inside[i] || chosen.iter().any(|h| h.0 == i) {
                continue;
            }
            match piece {
                Piece::Heading { text, .. } => section.words += words(text),
                Piece::Words(n) => section.words += n,
                Piece::Image(dest) => section.images.push(dest),
                Piece::Broken(text) => section.broken.push(text),
            }
        }
        Some(section)
    }

    /// The Markdown from the heading at piece `start` to the piece `end`
    /// (a heading, or the end), without the heading's own line(s).
    fn markdown(&self, start: usize, end: usize, heading: &str) -> String {
        let at = |i: usize| match self.pieces.get(i) {
            Some(Piece::Heading { at, .. }) => (*at).min(self.source.len()),
            _ => self.source.len(),
        };
        let (from, to) = (at(start), at(end));
        let Some(text) = self.source.get(from..to.max(from)) else {
            return String::new();
        };
        let key = |s: &str| {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        };
        let wanted = key(heading);
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let skip = lines
            .iter()
            .position(|l| !wanted.is_empty() && key(l).contains(&wanted))
            .map_or(1, |i| i + 1);
        let mut rest = lines.get(skip..).unwrap_or_default().iter();
        // A setext heading's underline.
        let mut rest_text: String = String::new();
        if let Some(first) = rest.next() {
            let t = first.trim();
            if !(t.len() >= 2 && (t.chars().all(|c| c == '=') || t.chars().all(|c| c == '-'))) {
                rest_text.push_str(first);
            }
        }
        rest.for_each(|l| rest_text.push_str(l));
        rest_text
    }

    /// The screenshot of a section: the first image in the repository, else
    /// the first on the web; or every reason none counts.
    fn screenshot(
        &self,
        stage: &Stage,
        section: &Section,
        quoted: &str,
        files: &[String],
    ) -> Result<Screenshot, String> {
        let mut remote = None;
        let mut problems = Vec::new();
        for &image in &section.images {
            match self.locate(image) {
                Located::File(path) if files.contains(&path) => {
                    return Ok(Screenshot {
                        target: path,
                        in_repository: true,
                    });
                }
                Located::File(path) => problems.push(format!("{path} is not in the repository")),
                Located::Remote(url) => {
                    remote.get_or_insert(url);
                }
                Located::Backslash(slashed) => problems.push(format!(
                    "GitHub does not show {image}: use / in the path ({slashed})"
                )),
                Located::Elsewhere => {
                    problems.push(format!("{image} is not a file in the repository"))
                }
            }
        }
        if let Some(url) = remote {
            return Ok(Screenshot {
                target: url,
                in_repository: false,
            });
        }
        problems.extend(section.broken.iter().map(|b| broken_hint(b)));
        if problems.is_empty() {
            return Err(self.no_screenshot(stage, quoted, files));
        }
        Err(format!(
            "the screenshot of stage {}: {}",
            stage.id,
            problems.join("; ")
        ))
    }

    /// Why a section without any image has no screenshot, naming the
    /// images committed but embedded nowhere (seen in real repositories:
    /// a screenshot at the root that the README never shows).
    fn no_screenshot(&self, stage: &Stage, quoted: &str, files: &[String]) -> String {
        let mut unembedded = files
            .iter()
            .filter(|f| is_image(f) && !self.embedded.contains(*f))
            .filter(|f| !f.split('/').any(|part| part == "target"));
        // One whose name has the stage's number (`commit2.png`) first.
        let number = stage_number(stage);
        let named = unembedded.clone().find(|f| {
            let name = f.rsplit('/').next().unwrap_or(f);
            standalone_numbers(name).iter().any(|&(_, n)| n == number)
        });
        let Some(file) = named.or_else(|| unembedded.next()) else {
            return format!(
                "the section {quoted} embeds no screenshot (`![…](path/to/image.png)`)"
            );
        };
        let path = self.relative(file);
        let path = if path.contains(' ') {
            format!("<{path}>")
        } else {
            path
        };
        format!(
            "the section {quoted} embeds no screenshot: {file} is in the repository but not \
             embedded (embed it with `![…]({path})`)"
        )
    }

    /// Where an image's destination points, from the README's folder.
    fn locate(&self, dest: &str) -> Located {
        let dest = dest.trim();
        if let Some(c) = GITHUB_FILE.captures(dest) {
            return Located::File(percent_decode(&c[1]));
        }
        let lower = dest.to_ascii_lowercase();
        if ["http://", "https://", "//"]
            .iter()
            .any(|p| lower.starts_with(p))
        {
            return Located::Remote(dest.to_string());
        }
        if lower.contains("://") || lower.starts_with("data:") {
            return Located::Elsewhere;
        }
        if dest.contains('\\') {
            return Located::Backslash(dest.replace('\\', "/"));
        }
        let path = percent_decode(dest.split(['?', '#']).next().unwrap_or_default());
        // A leading `/` is the repository's root on GitHub; anything else
        // is relative to the README's folder.
        match path.strip_prefix('/') {
            Some(from_root) => Located::File(normalize("", from_root)),
            None => Located::File(normalize(&self.folder, &path)),
        }
    }

    /// A repository path as the README would write it.
    fn relative(&self, path: &str) -> String {
        if self.folder.is_empty() {
            return path.to_string();
        }
        match path.strip_prefix(&format!("{}/", self.folder)) {
            Some(inside) => inside.to_string(),
            None => format!("/{path}"),
        }
    }
}

/// Turns pulldown-cmark's events into [`Piece`]s.
#[derive(Default)]
struct Reader<'a> {
    pieces: Vec<Piece>,
    /// Where in the source the block being read starts.
    at: usize,
    /// Text not yet counted: the parser splits a run of text into events.
    text: String,
    /// The heading being read: where it goes, its level and its text.
    heading: Option<(usize, u8, String)>,
    /// Where the heading being read starts in the source (its block).
    heading_at: usize,
    /// Inside a code block, whose text is not prose.
    code: bool,
    /// Inside an autolink (`<https://…>`), whose text is its URL.
    autolink: bool,
    /// How many lists and block quotes are open: a bold line in them is
    /// not a heading.
    nesting: usize,
    /// Where in the source the event being read starts.
    offset: usize,
    /// The events of a paragraph outside lists and quotes, and where each
    /// starts, read line by line at its end (a line of it may be a bold
    /// heading, whose section starts at that line, not at the paragraph).
    paragraph: Option<Vec<(Event<'a>, usize)>>,
    /// The HTML of an HTML block so far.
    html: Option<String>,
}

impl<'a> Reader<'a> {
    fn event(&mut self, event: Event<'a>) {
        if let Some(paragraph) = &mut self.paragraph {
            if event == Event::End(TagEnd::Paragraph) {
                let events = self.paragraph.take().unwrap_or_default();
                self.paragraph(&events);
            } else {
                paragraph.push((event, self.offset));
            }
            return;
        }
        match event {
            Event::Start(Tag::Paragraph) if self.nesting == 0 => {
                self.flush();
                self.paragraph = Some(Vec::new());
            }
            Event::Start(Tag::Heading { level, .. }) => self.start_heading(level as u8),
            Event::End(TagEnd::Heading(_)) => self.end_heading(),
            Event::Start(Tag::CodeBlock(_)) => {
                self.flush();
                self.code = true;
            }
            Event::End(TagEnd::CodeBlock) => self.code = false,
            Event::Start(Tag::HtmlBlock) => {
                self.flush();
                self.html = Some(String::new());
            }
            Event::End(TagEnd::HtmlBlock) => {
                let html = self.html.take().unwrap_or_default();
                self.read_html(&html);
            }
            Event::Html(html) => match &mut self.html {
                Some(block) => block.push_str(&html),
                None => self.read_html(&html),
            },
            Event::Start(Tag::List(_) | Tag::BlockQuote(_)) => {
                self.flush();
                self.nesting += 1;
            }
            Event::End(TagEnd::List(_) | TagEnd::BlockQuote(_)) => {
                self.flush();
                self.nesting = self.nesting.saturating_sub(1);
            }
            event => self.inline(&event),
        }
    }

    /// A paragraph, line by line: a line that is all bold is a heading, as
    /// is a paragraph that is only a short line naming a stage.
    fn paragraph(&mut self, events: &[(Event<'a>, usize)]) {
        let lines: Vec<&[(Event, usize)]> = events
            .split(|(e, _)| matches!(e, Event::SoftBreak | Event::HardBreak))
            .collect();
        let single = lines.len() == 1;
        for line in lines {
            let offset = line.first().map(|(_, at)| *at);
            let line: Vec<Event> = line.iter().map(|(e, _)| e.clone()).collect();
            let heading = match bold_line(&line) {
                Some(bold) => Some(bold),
                None if single && is_heading_line(&line) => Some(&line[..]),
                None => None,
            };
            match heading {
                Some(inside) => {
                    // The heading's section starts at its own line.
                    self.flush();
                    if let Some(offset) = offset {
                        self.at = offset;
                    }
                    self.start_heading(7);
                    inside.iter().for_each(|e| self.inline(e));
                    self.end_heading();
                }
                None => {
                    line.iter().for_each(|e| self.inline(e));
                    self.text.push('\n');
                }
            }
        }
        self.flush();
    }

    fn inline(&mut self, event: &Event) {
        match event {
            Event::Text(text) if !self.code && !self.autolink => self.prose(text),
            // Inline code is part of a sentence: its words count, but it
            // is never an embed.
            Event::Code(code) if self.heading.is_none() => {
                self.flush();
                self.pieces.push(Piece::Words(words(code)));
            }
            Event::Code(code) => self.prose(code),
            Event::SoftBreak | Event::HardBreak => self.prose("\n"),
            Event::Start(Tag::Image { dest_url, .. }) => {
                self.flush();
                self.pieces.push(Piece::Image(dest_url.to_string()));
            }
            Event::Start(Tag::Link {
                link_type: LinkType::Autolink | LinkType::Email,
                ..
            }) => {
                self.flush();
                self.autolink = true;
            }
            Event::End(TagEnd::Link) => self.autolink = false,
            Event::InlineHtml(html) => self.read_html(html),
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough) => {}
            Event::End(_) | Event::Rule => self.flush(),
            _ => {}
        }
    }

    /// Text of the heading being read, or prose.
    fn prose(&mut self, text: &str) {
        match &mut self.heading {
            Some((_, _, heading)) => heading.push_str(text),
            None => self.text.push_str(text),
        }
    }

    /// HTML: its `<img>`s are images, its text between tags is prose,
    /// its tags and comments are not.
    fn read_html(&mut self, html: &str) {
        self.flush();
        let html = without_comments(html);
        for src in img_sources(&html) {
            self.pieces.push(Piece::Image(src));
        }
        self.prose(&html_text(&html));
        self.flush();
    }

    fn start_heading(&mut self, level: u8) {
        self.flush();
        self.heading = Some((self.pieces.len(), level, String::new()));
        self.heading_at = self.at;
    }

    fn end_heading(&mut self) {
        if let Some((at, level, text)) = self.heading.take() {
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let source = self.heading_at;
            self.pieces.insert(
                at,
                Piece::Heading {
                    level,
                    text,
                    at: source,
                },
            );
        }
    }

    /// Counts the text read so far, and finds embeds GitHub shows as text.
    fn flush(&mut self) {
        if self.heading.is_some() || self.text.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.text);
        let n = words(&text);
        if n > 0 {
            self.pieces.push(Piece::Words(n));
        }
        self.pieces
            .extend(broken_embeds(&text).into_iter().map(Piece::Broken));
    }
}

/// Whether a heading names `stage`, and how. A heading with "bonus" names
/// the bonus alone; the bonus is also stage 6 (`### 6. [Bonus] …`,
/// `COMMIT 6`). The README's `title` names no stage loosely.
fn names(text: &str, stage: &Stage, title: bool) -> Option<Naming> {
    let text = text.to_lowercase();
    if text.contains("bonus") {
        return (stage.id == "bonus").then_some(Naming::Explicit);
    }
    let number = stage_number(stage);
    let numbers = standalone_numbers(&text);
    let mine = || numbers.iter().filter(|&&(_, n)| n == number);
    if mine().any(|&(at, _)| is_explicit(&text[..at])) {
        return Some(Naming::Explicit);
    }
    if title {
        return None;
    }
    // A loose 6 would be `Module 6`, the module's own number.
    if (stage.id != "bonus" && mine().next().is_some())
        || TITLES
            .iter()
            .any(|(id, words)| *id == stage.id && words.is_match(&text))
    {
        return Some(Naming::Loose);
    }
    None
}

/// Whether the text before a number makes it a stage's: nothing but
/// punctuation (`1.`, `[3]`), or a word such as `commit`, `refleksi`.
fn is_explicit(before: &str) -> bool {
    let before = before.trim_end_matches(|c: char| !c.is_alphanumeric());
    let word = before
        .rsplit(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or_default();
    before.is_empty() || word.starts_with("refl") || NUMBER_WORDS.contains(&word)
}

/// `1` … `5`, and `6` for the bonus.
fn stage_number(stage: &Stage) -> &'static str {
    if stage.id == "bonus" { "6" } else { stage.id }
}

/// The numbers of a text that stand alone, with where they start: not
/// part of `127.0.0.1` or `1.5`, but `1.` at the end of a number is.
fn standalone_numbers(text: &str) -> Vec<(usize, &str)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let after_dot = start > 0 && bytes[start - 1] == b'.';
        let decimal =
            bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        if !after_dot && !decimal {
            found.push((start, &text[start..i]));
        }
    }
    found
}

/// Whether a paragraph of one line is a heading written as plain text:
/// only text, short, not a sentence, not a path, and naming a stage
/// (`Reflection 1`).
fn is_heading_line(line: &[Event]) -> bool {
    if !line.iter().all(|e| matches!(e, Event::Text(_))) {
        return false;
    }
    let text = plain_text(line);
    let text = text.trim();
    text.starts_with(char::is_alphanumeric)
        && !text.contains(['/', '\\'])
        && text.split_whitespace().count() <= 6
        && !text.ends_with(['.', '?', '!', ',', ';'])
        && HEADING_WORD.is_match(text)
        && STAGES
            .iter()
            .any(|s| names(text, s, false) == Some(Naming::Explicit))
}

/// The inside of a line that is all bold (`**Commit 3 Reflection notes**`,
/// an optional `:` after it).
fn bold_line<'e, 'a>(line: &'e [Event<'a>]) -> Option<&'e [Event<'a>]> {
    if line.first() != Some(&Event::Start(Tag::Strong)) {
        return None;
    }
    let mut depth = 0;
    let end = line.iter().position(|e| {
        match e {
            Event::Start(Tag::Strong) => depth += 1,
            Event::End(TagEnd::Strong) => depth -= 1,
            _ => {}
        }
        depth == 0
    })?;
    let after_is_blank = line[end + 1..]
        .iter()
        .all(|e| matches!(e, Event::Text(t) if t.trim().trim_end_matches(':').is_empty()));
    let inside = &line[1..end];
    (after_is_blank && !plain_text(inside).trim().is_empty()).then_some(inside)
}

/// The text of inline events, without markup.
fn plain_text(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect()
}

/// Words of two letters or more, not counting URLs written out (GitHub
/// shows them as links).
fn words(text: &str) -> usize {
    text.split_whitespace()
        .filter(|token| !token.contains("://") && !token.starts_with("www."))
        .map(|token| WORD.find_iter(token).count())
        .sum()
}

/// The embeds in text that GitHub shows as text, not as an image: a `![`
/// that the parser did not take as an image (`![text(path)`).
fn broken_embeds(text: &str) -> Vec<String> {
    text.match_indices("![")
        .map(|(at, _)| {
            let line = text[at..].lines().next().unwrap_or_default();
            let line = line.find(')').map_or(line, |end| &line[..=end]);
            line.chars().take(80).collect()
        })
        .collect()
}

/// What is wrong with an embed GitHub shows as text.
fn broken_hint(embed: &str) -> String {
    let inner = &embed[2..];
    let close = inner.find(']');
    let open = inner.find('(');
    if open.is_some() && close.is_none_or(|close| open < Some(close)) {
        return format!("`{embed}` is a broken embed, its `]` is missing (write `![text](path)`)");
    }
    let dest = close.and_then(|c| inner[c + 1..].strip_prefix('('));
    if dest.is_some_and(|d| d.trim_end_matches(')').contains(char::is_whitespace)) {
        return format!(
            "`{embed}` is a broken embed, its path has a space (write `![text](<path>)` or %20)"
        );
    }
    format!("`{embed}` is not an image GitHub shows (write `![text](path)`)")
}

/// The `src` of every `<img>` tag in HTML.
fn img_sources(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut sources = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("<img").map(|i| from + i) {
        from = at + 4;
        if !lower[from..].starts_with(|c: char| c.is_whitespace() || c == '/' || c == '>') {
            continue;
        }
        let end = lower[from..].find('>').map_or(lower.len(), |i| from + i);
        let attributes = &html[from..end];
        if let Some(src) = attribute(attributes, "src") {
            sources.push(src.replace("&amp;", "&"));
        }
        from = end;
    }
    sources
}

/// The value of attribute `name` in the attributes of an HTML tag.
fn attribute(attributes: &str, name: &str) -> Option<String> {
    let mut rest = attributes;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let key_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let key = &rest[..key_end];
        rest = rest[key_end..].trim_start();
        let mut value = "";
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (v, r) = match after.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let inner = &after[1..];
                    let close = inner.find(quote).unwrap_or(inner.len());
                    (&inner[..close], inner.get(close + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            value = v;
            rest = r;
        }
        if key.eq_ignore_ascii_case(name) {
            return Some(value.trim().to_string());
        }
        if key.is_empty() {
            // A stray `=`: skip a character so that the loop moves on.
            rest = rest.get(1..).unwrap_or("");
        }
    }
}

/// HTML without its comments, which GitHub does not show.
fn without_comments(html: &str) -> String {
    let mut kept = String::new();
    let mut rest = html;
    while let Some(at) = rest.find("<!--") {
        kept.push_str(&rest[..at]);
        rest = rest[at..]
            .find("-->")
            .map_or("", |end| &rest[at + end + 3..]);
    }
    kept.push_str(rest);
    kept
}

/// The text of HTML between its tags (its comments already gone).
fn html_text(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        text.push_str(&rest[..at]);
        let tag = &rest[at..];
        if !tag[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') {
            // A `<` of the text (`a < b`), not a tag.
            text.push('<');
            rest = &tag[1..];
            continue;
        }
        let end = tag.find('>').map_or(tag.len(), |i| i + 1);
        text.push(' ');
        rest = &tag[end..];
    }
    text.push_str(rest);
    text
}

/// `%20` and the like decoded, as GitHub does for a path.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// `path` from `folder`, with `.` and `..` resolved.
fn normalize(folder: &str, path: &str) -> String {
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// Whether a file is an image a screenshot could be.
fn is_image(path: &str) -> bool {
    let Some((_, extension)) = path.rsplit_once('.') else {
        return false;
    };
    ["png", "jpg", "jpeg", "gif", "webp", "bmp"]
        .iter()
        .any(|e| extension.eq_ignore_ascii_case(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: &str = "The handle_connection function wraps the stream in a BufReader, reads \
                         the request line by line until the empty line, and prints what the \
                         browser sent, which shows the format of a request.";

    fn files() -> Vec<String> {
        vec!["assets/images/commit2.png".into(), "img 3.png".into()]
    }

    /// The findings of a README at the root, without their readings.
    fn graded(readme: &str, files: &[&str]) -> HashMap<&'static str, Finding> {
        let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        findings(Some(readme), "README.md", &files)
            .into_iter()
            .map(|(id, (finding, _))| (id, finding))
            .collect()
    }

    /// Stage 2's finding for a README whose stage 2 section is `section`.
    fn stage_2(section: &str, files: &[&str]) -> Finding {
        let readme =
            format!("# Module 6\n\n## Commit 2 Reflection notes\n\n{WORDS}\n\n{section}\n");
        graded(&readme, files)["2"].clone()
    }

    // The handout's README, and the tests written against the regular
    // expressions this module used before: their assertions are kept.

    #[test]
    fn a_bold_heading_inside_a_paragraph_starts_its_section_at_its_own_line() {
        let readme = format!(
            "## Commit 1 Reflection notes\n\nStage one: {WORDS}\n**Commit 2 Reflection notes**\n\
             Stage two: {WORDS}\n"
        );
        let found = findings(Some(&readme), "README.md", &files());
        let text = |id: &str| found[id].1.as_ref().unwrap().markdown.clone();
        assert!(text("1").contains("Stage one:"), "{}", text("1"));
        assert!(!text("1").contains("Stage two:"), "{}", text("1"));
        assert!(text("2").contains("Stage two:"), "{}", text("2"));
        assert!(!text("2").contains("Stage one:"), "{}", text("2"));
        assert!(!text("2").contains("**Commit 2"), "{}", text("2"));
        assert_eq!(
            found["1"].0.as_ref().unwrap(),
            "\"Commit 1 Reflection notes\": 33 words"
        );
    }

    #[test]
    fn sections_are_found_by_number_and_need_real_text() {
        let readme = format!(
            "# Module 6\n\n## Commit 1 Reflection notes\n{WORDS}\n\n## Commit 2 Reflection notes\n\
             Too short.\n![page](assets/images/commit2.png)\n\n**Commit 3 Reflection notes**\n{WORDS}\n\
             <img src=\"./img%203.png\" width=\"400\">\n\n### Reflection Bonus\n{WORDS}\n"
        );
        let found: HashMap<_, _> = findings(Some(&readme), "README.md", &files())
            .into_iter()
            .map(|(id, (finding, _))| (id, finding))
            .collect();
        assert!(found["1"].is_ok(), "{:?}", found["1"]);
        assert!(
            found["2"].as_ref().unwrap_err().contains("fewer than 20"),
            "{:?}",
            found["2"]
        );
        assert_eq!(
            found["3"].as_ref().unwrap(),
            "\"Commit 3 Reflection notes\": 31 words, screenshot img 3.png"
        );
        assert!(
            found["4"]
                .as_ref()
                .unwrap_err()
                .starts_with("no reflection section for stage 4")
        );
        assert!(found["bonus"].is_ok());
    }

    #[test]
    fn screenshots_must_be_embedded_and_in_the_repository() {
        let readme = |image: &str| format!("## Commit 2 Reflection notes\n{WORDS}\n{image}\n");
        let ok = |image: &str| {
            findings(Some(&readme(image)), "README.md", &files())["2"]
                .0
                .clone()
        };
        assert!(ok("![x](assets/images/commit2.png)").is_ok());
        assert!(
            ok("![x](https://github.com/s/advprog/blob/main/assets/images/commit2.png?raw=true)")
                .is_ok()
        );
        assert_eq!(
            ok("![x](assets/images/commit_2.png)").unwrap_err(),
            "the screenshot of stage 2: assets/images/commit_2.png is not in the repository"
        );
        // A web image counts now (see `a_remote_image_counts_unverified`):
        // what is not a file in the repository is a `data:` image.
        assert_eq!(
            ok("![x](data:image/png;base64,iVBORw0KGgo=)").unwrap_err(),
            "the screenshot of stage 2: data:image/png;base64,iVBORw0KGgo= is not a file in \
             the repository"
        );
        assert!(ok("").unwrap_err().contains("embeds no screenshot"));
    }

    #[test]
    fn no_readme_fails_every_stage() {
        let found = findings(None, "README.md", &[]);
        assert_eq!(found.len(), STAGES.len());
        assert!(found.values().all(|(finding, _)| finding.is_err()));
    }

    #[test]
    fn the_handouts_readme_grades_as_before() {
        let mut readme = String::from("# Module 6: Concurrency\n\n");
        for title in ["1", "2", "3", "4", "5", "Bonus"] {
            readme.push_str(&format!(
                "## Commit {title} Reflection notes\n\n{WORDS}\n\n"
            ));
            if matches!(title, "2" | "3") {
                readme.push_str(&format!(
                    "![Commit {title} screenshot](assets/images/commit{title}.png)\n\n"
                ));
            }
        }
        let found = graded(
            &readme,
            &["assets/images/commit2.png", "assets/images/commit3.png"],
        );
        for (id, note) in [
            ("1", "\"Commit 1 Reflection notes\": 31 words"),
            (
                "2",
                "\"Commit 2 Reflection notes\": 33 words, screenshot assets/images/commit2.png",
            ),
            (
                "3",
                "\"Commit 3 Reflection notes\": 33 words, screenshot assets/images/commit3.png",
            ),
            ("4", "\"Commit 4 Reflection notes\": 31 words"),
            ("5", "\"Commit 5 Reflection notes\": 31 words"),
            ("bonus", "\"Commit Bonus Reflection notes\": 31 words"),
        ] {
            assert_eq!(found[id], Ok(note.to_string()), "stage {id}");
        }
    }

    // Headings as real repositories write them.

    #[test]
    fn headings_as_students_write_them_name_their_stages() {
        for (heading, stage, text) in [
            (
                "## Commit 2 : Returning HTML",
                "2",
                "Commit 2 : Returning HTML",
            ),
            (
                "### Commit 1 Reflection Notes: title",
                "1",
                "Commit 1 Reflection Notes: title",
            ),
            ("## Refleksi 2", "2", "Refleksi 2"),
            ("Reflection 1", "1", "Reflection 1"),
            (
                "### 1. What handle_connection does",
                "1",
                "1. What handle_connection does",
            ),
            (
                "### 6. [Bonus] build instead of new",
                "bonus",
                "6. [Bonus] build instead of new",
            ),
            ("## COMMIT 4 REFLECTION", "4", "COMMIT 4 REFLECTION"),
            ("## COMMIT 6 [BONUS]", "bonus", "COMMIT 6 [BONUS]"),
            ("## Commit 6", "bonus", "Commit 6"),
            ("## Commit 3", "3", "Commit 3"),
            ("## Bonus Commit", "bonus", "Bonus Commit"),
            ("## Commit Bonus", "bonus", "Commit Bonus"),
            ("# Reflection Bonus", "bonus", "Reflection Bonus"),
            (
                "## (Bonus) Function improvement",
                "bonus",
                "(Bonus) Function improvement",
            ),
            (
                "### Bonus Reflection Notes",
                "bonus",
                "Bonus Reflection Notes",
            ),
            (
                "## Commit 5 Refletion notes",
                "5",
                "Commit 5 Refletion notes",
            ),
            ("## Refletion 5", "5", "Refletion 5"),
            (
                "**Commit 3 Reflection notes**",
                "3",
                "Commit 3 Reflection notes",
            ),
            (
                "**Commit 3 Reflection notes**:",
                "3",
                "Commit 3 Reflection notes",
            ),
        ] {
            let readme = format!(
                "# Module 6: Concurrency\n\n{heading}\n\n{WORDS}\n\n![shot](assets/images/commit2.png)\n"
            );
            let found = graded(&readme, &["assets/images/commit2.png"]);
            let note = found[stage].as_ref();
            assert!(
                note.is_ok_and(|n| n.starts_with(&format!("\"{text}\": "))),
                "{heading:?} should be stage {stage}'s section: {note:?}"
            );
            for other in STAGES.iter().filter(|s| s.id != stage) {
                assert!(
                    found[other.id].is_err(),
                    "{heading:?} named stage {}",
                    other.id
                );
            }
        }
    }

    #[test]
    fn headings_that_name_a_stage_by_its_title_and_no_number() {
        for (heading, stage) in [
            ("## handle_connection reflection", "1"),
            ("## Handle-connection, check response", "1"),
            ("## Returning HTML", "2"),
            ("## Validating request and selectively responding", "3"),
            ("## Simulation of slow request", "4"),
            ("## Multithreaded server using ThreadPool", "5"),
            ("## Function improvement", "bonus"),
            ("## Using build instead of new", "bonus"),
        ] {
            let readme = format!(
                "# Module 6: Concurrency\n\n{heading}\n\n{WORDS}\n\n![shot](assets/images/commit2.png)\n"
            );
            let found = graded(&readme, &["assets/images/commit2.png"]);
            assert!(found[stage].is_ok(), "{heading:?}: {:?}", found[stage]);
        }
    }

    #[test]
    fn the_readmes_title_names_no_stage() {
        for title in [
            "# Module 6: Concurrency",
            "# Building a multithreaded web server",
        ] {
            let found = graded(&format!("{title}\n\n{WORDS}\n"), &[]);
            assert!(found.values().all(Result::is_err), "{title:?}: {found:?}");
        }
    }

    #[test]
    fn a_paragraph_is_a_heading_only_when_it_is_a_short_line_naming_a_stage() {
        // `Reflection 1` alone is a heading; the same words in a sentence,
        // or followed by text in the same paragraph, are not.
        let found = graded(&format!("Reflection 1\n\n{WORDS}\n"), &[]);
        assert!(found["1"].is_ok(), "{:?}", found["1"]);
        for text in [
            format!("Reflection 1 is about {WORDS}"),
            format!("As in reflection 1.\n\n{WORDS}"),
        ] {
            let found = graded(&text, &[]);
            assert!(found["1"].is_err(), "{text:?}: {:?}", found["1"]);
        }
    }

    // Sections.

    #[test]
    fn a_section_holds_its_sub_headings() {
        // An empty `## Milestone 1 Reflection` with its text under `###`.
        let readme = format!(
            "## Milestone 1 Reflection\n\n### What I learned\n\n{WORDS}\n\n\
             ## Milestone 2 Reflection\n\nShort.\n"
        );
        assert_eq!(
            graded(&readme, &[])["1"],
            Ok("\"Milestone 1 Reflection\": 33 words".to_string())
        );
    }

    #[test]
    fn a_sub_heading_with_a_loose_number_does_not_end_a_section() {
        // `4` in a sub-heading of stage 5 is not stage 4, which has its own.
        let readme = format!(
            "## Commit 4 Reflection notes\n\n{WORDS}\n\n## Commit 5 Reflection notes\n\n\
             ### Why 4 workers and not 40\n\n{WORDS}\n"
        );
        let found = graded(&readme, &[]);
        assert_eq!(
            found["5"],
            Ok("\"Commit 5 Reflection notes\": 35 words".to_string())
        );
        assert_eq!(
            found["4"],
            Ok("\"Commit 4 Reflection notes\": 31 words".to_string())
        );
    }

    #[test]
    fn a_section_ends_at_a_deeper_heading_that_names_another_stage() {
        let readme = format!(
            "## Commit 1 Reflection notes\n\n{WORDS}\n\n### Commit 2 Reflection notes\n\nShort.\n"
        );
        let found = graded(&readme, &[]);
        assert_eq!(
            found["1"],
            Ok("\"Commit 1 Reflection notes\": 31 words".to_string())
        );
        assert!(found["2"].as_ref().unwrap_err().contains("fewer than 20"));
    }

    #[test]
    fn two_headings_of_a_stage_are_one_section() {
        let readme = format!(
            "## Commit 2 Reflection notes\n\n{WORDS}\n\n## Commit 3 Reflection notes\n\n{WORDS}\n\n\
             ## Commit 2 Screen Capture\n\n![page](assets/images/commit2.png)\n"
        );
        assert_eq!(
            graded(&readme, &["assets/images/commit2.png"])["2"],
            Ok(
                "\"Commit 2 Reflection notes\" + \"Commit 2 Screen Capture\": 32 words, \
                screenshot assets/images/commit2.png"
                    .to_string()
            )
        );
    }

    #[test]
    fn setext_headings_count() {
        let readme = format!(
            "Commit 1 Reflection notes\n=========================\n\n{WORDS}\n\n\
             Commit 4 Reflection notes\n-------------------------\n{WORDS}\n"
        );
        let found = graded(&readme, &[]);
        assert!(found["1"].is_ok(), "{:?}", found["1"]);
        assert!(found["4"].is_ok(), "{:?}", found["4"]);
    }

    #[test]
    fn words_are_prose_not_code_blocks_urls_or_tags() {
        let section = |body: &str| {
            graded(&format!("## Commit 1 Reflection notes\n\n{body}\n"), &[])["1"].clone()
        };
        // 31 words in a code block are code, not a reflection.
        assert!(section(&format!("```text\n{WORDS}\n```")).is_err());
        assert!(section(&format!("    {WORDS}")).is_err());
        // Inline code counts: it is part of a sentence.
        assert_eq!(
            section(&format!("{WORDS} `handle_connection`")),
            Ok("\"Commit 1 Reflection notes\": 33 words".to_string())
        );
        // Link URLs, written out or not, and HTML tags do not.
        let noise = "[the book](https://doc.rust-lang.org/book/ch21-01-single-threaded.html) \
                     https://github.com/rust-lang/book <https://example.com/some/long/path> \
                     <span class=\"note\" title=\"words words words\"></span>";
        assert_eq!(
            section(&format!("{WORDS} {noise}")),
            Ok("\"Commit 1 Reflection notes\": 33 words".to_string())
        );
    }

    // Images as GitHub renders them.

    #[test]
    fn html_images_count() {
        let files = ["assets/images/commit2.png"];
        for image in [
            "<p align=\"center\">\n  <img alt=\"page\" src=\"assets/images/commit2.png\" width=\"500\"/>\n</p>",
            "See <img src='assets/images/commit2.png'> here.",
            "<img src=assets/images/commit2.png>",
            "<IMG WIDTH=400 SRC=\"./assets/images/commit2.png\">",
        ] {
            let found = stage_2(image, &files);
            assert!(
                found
                    .as_ref()
                    .is_ok_and(|n| n.ends_with("words, screenshot assets/images/commit2.png")),
                "{image}: {found:?}"
            );
        }
        // A commented-out image is not shown.
        assert!(stage_2("<!-- <img src=\"assets/images/commit2.png\"> -->", &files).is_err());
    }

    #[test]
    fn angle_brackets_and_percent_encoding_in_paths() {
        let files = ["assets/images/commit 2.png", "assets/images/commit(2).png"];
        for image in [
            "![x](<assets/images/commit 2.png>)",
            "![x](assets/images/commit%202.png)",
            "![x](assets/images/commit%282%29.png)",
            "![x](<./assets/images/commit(2).png>)",
        ] {
            assert!(
                stage_2(image, &files).is_ok(),
                "{image}: {:?}",
                stage_2(image, &files)
            );
        }
    }

    #[test]
    fn names_with_spaces_parentheses_or_brackets() {
        for (image, file) in [
            ("![x](commit3(1).png)", "commit3(1).png"),
            ("![x]([3]hello.png)", "[3]hello.png"),
            ("![x](<my screenshot.png>)", "my screenshot.png"),
            (
                "![x](my%20screenshot.png \"the page\")",
                "my screenshot.png",
            ),
        ] {
            assert_eq!(
                stage_2(image, &[file]),
                Ok(format!(
                    "\"Commit 2 Reflection notes\": 31 words, screenshot {file}"
                )),
                "{image}"
            );
        }
    }

    #[test]
    fn a_leading_slash_is_the_repositorys_root() {
        assert!(
            stage_2(
                "![x](/assets/images/commit2.png)",
                &["assets/images/commit2.png"]
            )
            .is_ok()
        );
    }

    #[test]
    fn github_links_to_a_file_of_the_repository_count_as_that_file() {
        let files = ["assets/images/commit 2.png".to_string()];
        for url in [
            "https://github.com/s/advprog/blob/main/assets/images/commit%202.png?raw=true",
            "https://github.com/s/advprog/raw/master/assets/images/commit%202.png",
            "https://raw.githubusercontent.com/s/advprog/main/assets/images/commit%202.png",
            "https://raw.githubusercontent.com/s/advprog/refs/heads/main/assets/images/commit%202.png",
        ] {
            // From the repository's root, wherever the README is.
            let readme = format!("## Commit 2 Reflection notes\n\n{WORDS}\n\n![x]({url})\n");
            let found = findings(Some(&readme), "hello/README.md", &files);
            assert_eq!(
                found["2"].0,
                Ok("\"Commit 2 Reflection notes\": 31 words, screenshot assets/images/commit 2.png"
                    .to_string()),
                "{url}"
            );
        }
    }

    #[test]
    fn images_are_relative_to_a_readme_in_a_subfolder() {
        let files: Vec<String> = [
            "hello/Cargo.toml",
            "hello/README.md",
            "hello/assets/images/commit2.png",
            "screenshots/commit3.png",
        ]
        .map(String::from)
        .to_vec();
        let readme = format!(
            "## Commit 2 Reflection notes\n\n{WORDS}\n\n![a](./assets/images/commit2.png)\n\n\
             ## Commit 3 Reflection notes\n\n{WORDS}\n\n![b](../screenshots/commit3.png)\n\n\
             ## Commit 4 Reflection notes\n\n{WORDS}\n\n![c](assets/images/commit4.png)\n"
        );
        let found = findings(Some(&readme), "hello/README.md", &files);
        assert_eq!(
            found["2"].0,
            Ok("\"Commit 2 Reflection notes\": 31 words, screenshot hello/assets/images/commit2.png"
                .to_string())
        );
        assert_eq!(
            found["3"].0,
            Ok(
                "\"Commit 3 Reflection notes\": 31 words, screenshot screenshots/commit3.png"
                    .to_string()
            )
        );
        // From the root, with a leading slash; not from the README's folder.
        let readme =
            format!("## Commit 3 Reflection notes\n\n{WORDS}\n\n![b](/screenshots/commit3.png)\n");
        assert!(
            findings(Some(&readme), "hello/README.md", &files)["3"]
                .0
                .is_ok()
        );
        let readme =
            format!("## Commit 3 Reflection notes\n\n{WORDS}\n\n![b](screenshots/commit3.png)\n");
        assert_eq!(
            findings(Some(&readme), "hello/README.md", &files)["3"].0,
            Err(
                "the screenshot of stage 3: hello/screenshots/commit3.png is not in the repository"
                    .to_string()
            )
        );
        // Messages name the README where it is.
        assert!(
            found["1"]
                .0
                .as_ref()
                .unwrap_err()
                .starts_with("no reflection section for stage 1 in hello/README.md")
        );
    }

    #[test]
    fn a_remote_image_counts_unverified() {
        for url in [
            "https://github.com/user-attachments/assets/5c2f3a0e-8d1b-4c3e-9f4a-2b7d6e1c0a9f",
            "https://github.com/student/advprog-modul6/assets/123456/0c5b7e2a-1f3d-4b6a-8e9c-7d2a1b3c4e5f",
            "https://i.imgur.com/abc123.png",
            "https://example.com/a.png",
        ] {
            let want: Finding = Ok(format!(
                "\"Commit 2 Reflection notes\": 31 words, screenshot {url} \
                 (remote, not verified offline)"
            ));
            assert_eq!(stage_2(&format!("![x]({url})"), &[]), want);
            // GitHub's editor writes an `<img>` with no alt words.
            assert_eq!(
                stage_2(
                    &format!("<img width=\"1440\" alt=\"image\" src=\"{url}\" />"),
                    &[]
                ),
                want
            );
        }
    }

    #[test]
    fn a_file_in_the_repository_counts_before_a_remote_image() {
        assert_eq!(
            stage_2(
                "![a](https://github.com/user-attachments/assets/5c2f)\n![b](assets/images/commit2.png)",
                &["assets/images/commit2.png"]
            ),
            Ok(
                "\"Commit 2 Reflection notes\": 31 words, screenshot assets/images/commit2.png"
                    .to_string()
            )
        );
    }

    #[test]
    fn a_backslash_path_fails_with_its_hint() {
        assert_eq!(
            stage_2("![x](images\\image_2.png)", &["images/image_2.png"]),
            Err(
                "the screenshot of stage 2: GitHub does not show images\\image_2.png: use / in \
                 the path (images/image_2.png)"
                    .to_string()
            )
        );
    }

    #[test]
    fn an_image_committed_but_not_embedded_fails_with_its_hint() {
        assert_eq!(
            stage_2("", &["src/main.rs", "commit2.png"]),
            Err(
                "the section \"Commit 2 Reflection notes\" embeds no screenshot: commit2.png is \
                 in the repository but not embedded (embed it with `![…](commit2.png)`)"
                    .to_string()
            )
        );
        // The one with the stage's number first; one embedded elsewhere is
        // not named.
        let readme = format!(
            "## Commit 2 Reflection notes\n\n{WORDS}\n\n## Commit 3 Reflection notes\n\n{WORDS}\n\n\
             ![b](img/commit3.png)\n"
        );
        assert_eq!(
            graded(
                &readme,
                &["img/commit3.png", "img/other.png", "img/commit_2.jpg"]
            )["2"],
            Err(
                "the section \"Commit 2 Reflection notes\" embeds no screenshot: \
                 img/commit_2.jpg is in the repository but not embedded (embed it with \
                 `![…](img/commit_2.jpg)`)"
                    .to_string()
            )
        );
        // Built files are not screenshots.
        assert_eq!(
            stage_2("", &["target/doc/static.files/favicon-32x32.png"]),
            Err(
                "the section \"Commit 2 Reflection notes\" embeds no screenshot \
                 (`![…](path/to/image.png)`)"
                    .to_string()
            )
        );
    }

    #[test]
    fn a_broken_embed_fails_with_its_hint() {
        assert_eq!(
            stage_2(
                "![page(assets/images/commit2.png)",
                &["assets/images/commit2.png"]
            ),
            Err(
                "the screenshot of stage 2: `![page(assets/images/commit2.png)` is a broken \
                 embed, its `]` is missing (write `![text](path)`)"
                    .to_string()
            )
        );
        assert_eq!(
            stage_2(
                "![page](assets/images/commit 2.png)",
                &["assets/images/commit 2.png"]
            ),
            Err(
                "the screenshot of stage 2: `![page](assets/images/commit 2.png)` is a broken \
                 embed, its path has a space (write `![text](<path>)` or %20)"
                    .to_string()
            )
        );
        // In code, it is an example, not an embed.
        assert!(
            stage_2("`![page(a.png)`", &[])
                .unwrap_err()
                .contains("embeds no screenshot")
        );
    }

    // Which file is the README, and what the grader read.

    #[test]
    fn the_readme_is_found_at_the_root_in_any_case_or_beside_the_crate() {
        let pick =
            |files: &[&str]| readme_path(&files.iter().map(|f| f.to_string()).collect::<Vec<_>>());
        for name in ["README.md", "Readme.md", "README.MD", "readme.md"] {
            assert_eq!(pick(&["Cargo.toml", name]), Some(name.to_string()));
        }
        assert_eq!(
            pick(&["readme.md", "README.md"]),
            Some("README.md".to_string())
        );
        assert_eq!(
            pick(&["hello/Cargo.toml", "hello/README.md", "hello/src/main.rs"]),
            Some("hello/README.md".to_string())
        );
        assert_eq!(
            pick(&["README.md", "hello/Cargo.toml", "hello/README.md"]),
            Some("README.md".to_string())
        );
        // A README in a folder without a crate is not the repository's.
        assert_eq!(pick(&["Cargo.toml", "docs/README.md"]), None);
        assert_eq!(pick(&["Cargo.toml", "src/main.rs"]), None);
    }

    #[test]
    fn the_reading_shows_the_section_its_words_and_its_screenshot() {
        let readme = format!(
            "## Commit 2 Reflection notes\n\n{WORDS}\n\n## Commit 2 Screen Capture\n\n\
             ![x](https://github.com/user-attachments/assets/5c2f)\n\n\
             ## Commit 3 Reflection notes\n\nShort.\n\n![y](assets/images/commit3.png)\n"
        );
        let files = ["assets/images/commit3.png".to_string()];
        let found = findings(Some(&readme), "README.md", &files);
        let reading = found["2"].1.as_ref().unwrap();
        assert_eq!(
            reading.headings,
            ["Commit 2 Reflection notes", "Commit 2 Screen Capture"]
        );
        assert_eq!(reading.words, 31);
        let shot = reading.screenshot.as_ref().unwrap();
        let url = "https://github.com/user-attachments/assets/5c2f";
        assert_eq!((shot.target.as_str(), shot.in_repository), (url, false));
        // A section that fails is still shown as read.
        let reading = found["3"].1.as_ref().unwrap();
        assert!(found["3"].0.is_err());
        assert_eq!(reading.headings, ["Commit 3 Reflection notes"]);
        assert_eq!(reading.words, 1);
        let shot = reading.screenshot.as_ref().unwrap();
        assert_eq!(shot.target, "assets/images/commit3.png");
        assert!(shot.in_repository);
        // No section, nothing read.
        assert!(found["4"].1.is_none());
        assert_eq!(
            serde_json::to_value(&found["3"].1).unwrap(),
            serde_json::json!({
                "headings": ["Commit 3 Reflection notes"],
                "words": 1,
                "screenshot": {"target": "assets/images/commit3.png", "in_repository": true}
            })
        );
    }

    /// A README is written by a student: whatever it holds, reading it
    /// ends with findings, never a panic.
    #[test]
    fn odd_and_broken_markdown_never_panics() {
        let pieces = [
            "# Commit 2 Reflection notes\n",
            "![",
            "](",
            "<img src=",
            "<img src=\"é",
            "%",
            "%e2%82",
            "%zz",
            "<",
            ">",
            "**",
            "Reflection 1\n",
            "```\n",
            "\\",
            "/",
            "../../..",
            "ß",
            "🦀",
            "\r\n",
            "=====\n",
            "<!--",
            "-->",
            "[3]",
            "(1)",
            " ",
            "\n\n",
            "![a](b",
            "<a href=",
        ];
        let files: Vec<String> = vec!["a.png".into(), "assets/images/commit2.png".into()];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..2000 {
            let mut readme = String::new();
            for _ in 0..(seed % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                readme.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            let found = findings(Some(&readme), "hello/README.md", &files);
            assert_eq!(found.len(), STAGES.len(), "{readme:?}");
        }
    }
}
