//! The README at the last commit: a reflection section per stage with real
//! text under it, and for stages 2 and 3 a screenshot embedded in that
//! section and present in the repository.

use crate::stages::{STAGES, Stage};
use regex::Regex;
use std::{collections::HashMap, sync::LazyLock};

/// The fewest words a reflection needs to count as one.
pub const MIN_WORDS: usize = 20;

/// What the README says about one stage: `Ok` with a note, or the problem.
pub type Finding = Result<String, String>;

/// A heading: `## Commit 1 Reflection notes`, or a line that is all bold,
/// which some students use as one.
struct Heading {
    line: usize,
    /// 1–6 for `#`…`######`, 7 for a bold line.
    level: usize,
    text: String,
}

static ATX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(#{1,6})\s+(.*?)\s*#*\s*$").unwrap());
static BOLD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\*\*(.+)\*\*:?\s*$").unwrap());
static IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"!\[[^\]]*\]\(\s*<?([^)\s>]+)|<img[^>]*\ssrc\s*=\s*["']([^"']+)["']"#).unwrap()
});
static LINK_TARGET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\]\([^)]*\)").unwrap());
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]+>").unwrap());
static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\p{L}]{2,}").unwrap());
/// An image in the repository, linked through GitHub: `…/blob/main/a.png`.
static GITHUB_FILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^https?://(?:github\.com/[^/]+/[^/]+/(?:blob|raw)/[^/]+|raw\.githubusercontent\.com/[^/]+/[^/]+/[^/]+)/([^?#]+)",
    )
    .unwrap()
});

fn headings(lines: &[&str]) -> Vec<Heading> {
    let mut found = Vec::new();
    let mut in_code = false;
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(c) = ATX.captures(line) {
            found.push(Heading {
                line: i,
                level: c[1].len(),
                text: c[2].to_string(),
            });
        } else if let Some(c) = BOLD.captures(line.trim()) {
            found.push(Heading {
                line: i,
                level: 7,
                text: c[1].to_string(),
            });
        }
    }
    found
}

/// Whether a heading's text names `stage`: its number as a word, or "bonus".
fn names(text: &str, stage: &Stage) -> bool {
    let text = text.to_lowercase();
    if stage.id == "bonus" {
        return text.contains("bonus");
    }
    Regex::new(&format!(r"(^|[^\d.]){}([^\d.]|$)", stage.id))
        .unwrap()
        .is_match(&text)
        && !text.contains("bonus")
}

/// The README's findings for every stage, from its text and the files of
/// the repository (to find the screenshots in).
pub fn findings(readme: Option<&str>, files: &[String]) -> HashMap<&'static str, Finding> {
    let Some(readme) = readme else {
        return STAGES
            .iter()
            .map(|s| {
                (
                    s.id,
                    Err("there is no README.md at the last commit".to_string()),
                )
            })
            .collect();
    };
    let lines: Vec<&str> = readme.lines().collect();
    let headings = headings(&lines);
    STAGES
        .iter()
        .map(|stage| (stage.id, finding(stage, &lines, &headings, files)))
        .collect()
}

fn finding(stage: &Stage, lines: &[&str], headings: &[Heading], files: &[String]) -> Finding {
    let candidates: Vec<&Heading> = headings.iter().filter(|h| names(&h.text, stage)).collect();
    let preferred = candidates.iter().find(|h| {
        let t = h.text.to_lowercase();
        ["reflection", "refleksi", "commit", "milestone", "stage"]
            .iter()
            .any(|w| t.contains(w))
    });
    let Some(heading) = preferred.or(candidates.first()) else {
        return Err(format!(
            "no reflection section for stage {} in README.md (a heading such as \
             \"Commit {} Reflection notes\")",
            stage.id,
            if stage.id == "bonus" {
                "Bonus"
            } else {
                stage.id
            }
        ));
    };
    // The section ends at the next heading of its level or above, or at
    // the next one that names a stage (sections are not always nested).
    let end = headings
        .iter()
        .find(|h| {
            h.line > heading.line
                && (h.level <= heading.level || STAGES.iter().any(|s| names(&h.text, s)))
        })
        .map_or(lines.len(), |h| h.line);
    let section = lines[heading.line + 1..end].join("\n");
    let prose = TAG
        .replace_all(&LINK_TARGET.replace_all(&section, "]"), " ")
        .into_owned();
    let words = WORD.find_iter(&prose).count();
    if words < MIN_WORDS {
        return Err(format!(
            "the section \"{}\" has {words} words of reflection, fewer than {MIN_WORDS}",
            heading.text
        ));
    }
    if !stage.screenshot {
        return Ok(format!("\"{}\": {words} words", heading.text));
    }
    let images: Vec<String> = IMAGE
        .captures_iter(&section)
        .filter_map(|c| c.get(1).or(c.get(2)).map(|m| m.as_str().to_string()))
        .collect();
    if images.is_empty() {
        return Err(format!(
            "the section \"{}\" embeds no screenshot (`![…](path/to/image.png)`)",
            heading.text
        ));
    }
    let mut problems = Vec::new();
    for image in &images {
        match repository_path(image) {
            Some(path) if files.contains(&path) => {
                return Ok(format!(
                    "\"{}\": {words} words, screenshot {path}",
                    heading.text
                ));
            }
            Some(path) => problems.push(format!("{path} is not in the repository")),
            None => problems.push(format!("{image} is not a file in the repository")),
        }
    }
    Err(format!(
        "the screenshot of stage {}: {}",
        stage.id,
        problems.join("; ")
    ))
}

/// The path inside the repository that an image link points at, if any.
fn repository_path(link: &str) -> Option<String> {
    let path = match GITHUB_FILE.captures(link) {
        Some(c) => c[1].to_string(),
        None if link.contains("://") || link.starts_with("data:") => return None,
        None => link
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .trim_start_matches("./")
            .trim_start_matches('/')
            .to_string(),
    };
    Some(path.replace("%20", " "))
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

    #[test]
    fn sections_are_found_by_number_and_need_real_text() {
        let readme = format!(
            "# Module 6\n\n## Commit 1 Reflection notes\n{WORDS}\n\n## Commit 2 Reflection notes\n\
             Too short.\n![page](assets/images/commit2.png)\n\n**Commit 3 Reflection notes**\n{WORDS}\n\
             <img src=\"./img%203.png\" width=\"400\">\n\n### Reflection Bonus\n{WORDS}\n"
        );
        let found = findings(Some(&readme), &files());
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
        let ok = |image: &str| findings(Some(&readme(image)), &files())["2"].clone();
        assert!(ok("![x](assets/images/commit2.png)").is_ok());
        assert!(
            ok("![x](https://github.com/s/advprog/blob/main/assets/images/commit2.png?raw=true)")
                .is_ok()
        );
        assert_eq!(
            ok("![x](assets/images/commit_2.png)").unwrap_err(),
            "the screenshot of stage 2: assets/images/commit_2.png is not in the repository"
        );
        assert_eq!(
            ok("![x](https://example.com/a.png)").unwrap_err(),
            "the screenshot of stage 2: https://example.com/a.png is not a file in the repository"
        );
        assert!(ok("").unwrap_err().contains("embeds no screenshot"));
    }

    #[test]
    fn no_readme_fails_every_stage() {
        let found = findings(None, &[]);
        assert_eq!(found.len(), STAGES.len());
        assert!(found.values().all(Result::is_err));
    }
}
