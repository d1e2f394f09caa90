//! Words as the report compares them: lowercase letters and digits, read
//! from HTML outside its tags and entities (case, spacing and punctuation
//! aside, what a reader reads), and runs of [`MIN_SHARED`] of them hashed.
//! The build script uses this file too, to hash the course's book once.

/// The shortest run of words two texts share that the report marks.
pub const MIN_SHARED: usize = 15;

/// A word of some HTML, and where it stands in it (bytes), so that it can
/// be marked in place.
pub struct Word {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// The words of well-formed HTML (as sanitised or rendered), outside its
/// tags and entities.
pub fn tokens(html: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let (mut in_tag, mut in_quote, mut in_entity) = (false, false, false);
    for (at, c) in html.char_indices() {
        let letter = !in_tag && !in_entity && c != '<' && c != '&' && c.is_alphanumeric();
        if letter {
            current
                .get_or_insert_with(|| (at, String::new()))
                .1
                .extend(c.to_lowercase());
        } else if let Some((start, text)) = current.take() {
            words.push(Word {
                text,
                start,
                end: at,
            });
        }
        match c {
            '<' if !in_tag => in_tag = true,
            '"' if in_tag => in_quote = !in_quote,
            '>' if in_tag && !in_quote => in_tag = false,
            '&' if !in_tag => in_entity = true,
            ';' if in_entity => in_entity = false,
            c if in_entity && !c.is_alphanumeric() && c != '#' => in_entity = false,
            _ => {}
        }
    }
    if let Some((start, text)) = current {
        words.push(Word {
            text,
            start,
            end: html.len(),
        });
    }
    words
}

/// The prose of a Markdown text as HTML: its code blocks and raw HTML left
/// out (a student's reflection is compared with the book's sentences, not
/// with the code it includes).
pub fn prose_html(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut in_code = false;
    let prose = Parser::new_ext(markdown, Options::ENABLE_TABLES).filter(|e| {
        match e {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            _ => {}
        }
        !in_code && !matches!(e, Event::Html(_) | Event::InlineHtml(_))
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, prose);
    html
}

/// The hash of every window of [`MIN_SHARED`] words of `words`, in order:
/// each word hashed once (FNV-1a, the same in the build script and the
/// tool), each window a polynomial of its words' hashes.
pub fn windows(words: &[String]) -> impl Iterator<Item = u64> + '_ {
    let hashes: Vec<u64> = words
        .iter()
        .map(|w| {
            w.bytes().fold(0xcbf29ce484222325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
            })
        })
        .collect();
    (0..words.len().saturating_sub(MIN_SHARED - 1)).map(move |p| {
        hashes[p..p + MIN_SHARED]
            .iter()
            .fold(0u64, |h, w| h.wrapping_mul(0x100000001b3).wrapping_add(*w))
    })
}
