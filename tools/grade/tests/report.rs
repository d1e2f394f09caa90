//! The HTML report of `grade --html`: its files, its links, each student's
//! section and screenshot on each stage page, read with a real HTML parser;
//! a hostile README kept out; shared passages paired.

use grade::{
    readme, report,
    run::{RepoResult, StageResult, Status},
    stages::STAGES,
};
use scraper::{Html, Selector};
use std::{fs, path::Path, process::Command};

fn page(dir: &Path, name: &str) -> Html {
    let text = fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    Html::parse_document(&text)
}

fn select<'a>(html: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    html.select(&Selector::parse(css).unwrap()).collect()
}

/// Every `href` and `src` of every page is a file of the report (anchors
/// aside) or an external http(s) link.
fn assert_links_resolve(dir: &Path) {
    for entry in fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.ends_with(".html") {
            continue;
        }
        let html = page(dir, &name);
        for element in select(&html, "[href], [src]") {
            let value = element.attr("href").or(element.attr("src")).unwrap();
            if value.starts_with("https://") || value.starts_with("http://") {
                assert_eq!(element.value().name(), "a", "{name}: remote {value} loaded");
                continue;
            }
            let file = value.split('#').next().unwrap();
            let target = if file.is_empty() { name.as_str() } else { file };
            assert!(
                dir.join(target).is_file(),
                "{name}: {value} does not resolve"
            );
        }
    }
}

/// A repository's results as the grader builds them, from its README.
fn result(repository: &str, readme_text: &str, files: &[&str]) -> RepoResult {
    let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
    let mut found = readme::findings(Some(readme_text), "README.md", &files);
    RepoResult {
        repository: repository.to_string(),
        stages: STAGES
            .iter()
            .map(|s| StageResult {
                stage: s.id,
                commit: Some("0123abcd".into()),
                status: Status::Pass,
                details: "✓ root".into(),
                message: Some(format!("Commit {}", s.id)),
                why: None,
                others: Vec::new(),
                found_in: None,
                readme: found.remove(s.id).and_then(|f| f.1),
                failures: Vec::new(),
            })
            .collect(),
        branch: None,
        branch_note: None,
    }
}

#[test]
fn a_fixture_class_gives_a_report_with_every_section_and_screenshot() {
    let class = tempfile::tempdir().unwrap();
    let names = grade::fixtures::class(class.path(), 3, 0).unwrap();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("report");
    let mut args = vec![
        "--unsandboxed".to_string(),
        "--html".into(),
        dir.display().to_string(),
    ];
    args.extend(
        names
            .iter()
            .map(|n| class.path().join(n).display().to_string()),
    );
    let run = Command::new(env!("CARGO_BIN_EXE_grade"))
        .args(&args)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("student-01"),
        "the table is still printed: {stdout}"
    );
    for file in [
        "index.html",
        "style.css",
        "stage-1.html",
        "stage-bonus.html",
        "student-student-01.html",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    assert_links_resolve(&dir);
    let index = page(&dir, "index.html");
    assert_eq!(select(&index, "table.grid tbody tr").len(), 3);
    for stage in ["2", "3"] {
        let html = page(&dir, &format!("stage-{stage}.html"));
        let entries = select(&html, "article.entry");
        assert_eq!(entries.len(), 3, "stage {stage}");
        for (entry, name) in entries.iter().zip(&names) {
            assert!(
                entry.text().any(|t| t.contains(name.as_str())),
                "{name} on stage {stage}"
            );
            let shot = Selector::parse("img.screenshot").unwrap();
            let img = entry
                .select(&shot)
                .next()
                .unwrap_or_else(|| panic!("{name}: no screenshot"));
            assert!(dir.join(img.attr("src").unwrap()).is_file());
            let reflection = Selector::parse(".reflection p").unwrap();
            assert!(
                entry.select(&reflection).next().is_some(),
                "{name}: no reflection"
            );
        }
    }
    // A report written before is replaced; another folder is refused.
    let again = Command::new(env!("CARGO_BIN_EXE_grade"))
        .args(&args)
        .output()
        .unwrap();
    assert!(again.status.success());
    let other = out.path().join("other");
    fs::create_dir(&other).unwrap();
    fs::write(other.join("notes.txt"), "mine").unwrap();
    args[2] = other.display().to_string();
    let refused = Command::new(env!("CARGO_BIN_EXE_grade"))
        .args(&args)
        .output()
        .unwrap();
    // Refused at once, before the class is graded: exit 2, one line.
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.ends_with(
            "exists and is not empty, nor a report written before: choose another folder\n"
        ),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&refused.stdout).lines().count() <= 1,
        "it graded"
    );
    assert!(other.join("notes.txt").is_file());
}

const PROSE: &str = "The server reads the request line by line until the empty line that ends the headers and then it prints what the browser sent";

#[test]
fn a_hostile_readme_leaves_nothing_harmful_in_the_report() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path().join("mallory");
    fs::create_dir_all(root.join("shots")).unwrap();
    // A 50 MiB image, sparse; a symlink to /etc/passwd named as a screenshot.
    let big = fs::File::create(root.join("shots/big.png")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("commit2.png")).unwrap();
    fs::write(repo.path().join("outside.png"), b"\x89PNG outside").unwrap();
    let text = format!(
        "# Reflection\n\n## Commit 1 Reflection notes\n\n{PROSE}.\n\n<script>alert(1)</script>\n\
         <img src=x onerror=\"alert(2)\">\n[click](javascript:alert(3))\n\n\
         <iframe src=\"https://evil.example/\"></iframe>\n\n<form action=\"https://evil.example\"><input></form>\n\n\
         <p style=\"color:red\" onclick=\"alert(4)\">styled</p><style>body{{display:none}}</style>\n\n\
         ## Commit 2 Reflection notes\n\n{PROSE}.\n\n![a](commit2.png)\n![b](shots/big.png)\n\
         ![c](../outside.png)\n![d](https://tracker.example/pixel.png)\n"
    );
    let files = ["README.md", "commit2.png", "shots/big.png"];
    let results = vec![result(&root.display().to_string(), &text, &files)];
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("r");
    report::write(&dir, &results, Path::new("/")).unwrap();
    assert_links_resolve(&dir);
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "html") {
            let html = Html::parse_document(&fs::read_to_string(&path).unwrap());
            for css in [
                "script",
                "iframe",
                "form",
                "input",
                "style",
                "[style]",
                "[onerror]",
                "[onclick]",
            ] {
                assert!(select(&html, css).is_empty(), "{}: {css}", path.display());
            }
            for a in select(&html, "a[href]") {
                assert!(
                    !a.attr("href")
                        .unwrap()
                        .to_lowercase()
                        .starts_with("javascript")
                );
            }
            for img in select(&html, "img") {
                assert!(
                    img.attr("src").is_none_or(|s| s.starts_with("img/")),
                    "{:?}",
                    img.attr("src")
                );
            }
        }
    }
    let copied: Vec<_> = fs::read_dir(dir.join("img")).unwrap().collect();
    assert!(copied.is_empty(), "nothing is copied: {copied:?}");
    let stage2 = fs::read_to_string(dir.join("stage-2.html")).unwrap();
    assert!(
        stage2.contains("https://tracker.example/pixel.png"),
        "the remote image shown as a link"
    );
    assert!(stage2.contains("symbolic link"));
    assert!(stage2.contains("larger than"));
}

#[test]
fn a_shared_paragraph_is_paired_and_same_headings_with_other_text_are_not() {
    let a = format!(
        "## Commit 1 Reflection notes\n\nFirst I tried things. {PROSE}, and that was all of it.\n"
    );
    let b = format!(
        "## Commit 1 Reflection notes\n\n**{}**\n",
        PROSE.to_uppercase()
    );
    let c = "## Commit 1 Reflection notes\n\nMy own words about the buffered reader: it wraps the stream, gives lines, and the loop stops at the blank line after headers, which I printed to the terminal.\n";
    let results = vec![
        result("alice", &a, &["README.md"]),
        result("bob", &b, &["README.md"]),
        result("carol", c, &["README.md"]),
    ];
    let out = tempfile::tempdir().unwrap();
    report::write(out.path(), &results, Path::new("/")).unwrap();
    let index = page(out.path(), "index.html");
    let pairs: Vec<String> = select(&index, "ul.pairs li")
        .iter()
        .map(|li| li.text().collect())
        .collect();
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    assert!(
        pairs[0].contains("alice") && pairs[0].contains("bob"),
        "{pairs:?}"
    );
    assert!(
        pairs[0].contains("the server reads the request line by line"),
        "{pairs:?}"
    );
    assert!(!pairs[0].contains("carol"));
    let stage = page(out.path(), "stage-1.html");
    assert_eq!(select(&stage, ".shared mark").len(), 2);
}

/// A paragraph of at least 25 words of `markdown` (a chapter, or the
/// translations), plain prose without code, links or emphasis.
fn prose_of(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.replace('\n', " "))
        .find(|p| {
            p.split_whitespace().count() >= 25
                && !p.contains(['`', '[', '*', '_', '#', '|', '<', '{', '"'])
        })
        .unwrap()
}

#[test]
fn shared_passages_and_the_books_own_are_marked_in_the_text() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let english = prose_of(&fs::read_to_string(root.join("book/src/m2.md")).unwrap());
    // The Indonesian edition's messages, each on one line.
    let po = fs::read_to_string(root.join("book/po/id.po"))
        .unwrap()
        .replace("\"\n\"", "")
        .lines()
        .filter_map(|l| l.strip_prefix("msgstr \""))
        .map(|l| l.trim_end_matches('"').to_string())
        .collect::<Vec<_>>()
        .join("\n\n");
    let indonesian = prose_of(&po);
    let a = format!(
        "## Commit 1 Reflection notes\n\nFirst I tried things. *{PROSE}*, and that was all of it.\n"
    );
    let b = format!("## Commit 1 Reflection notes\n\nIn short: {PROSE}. Then I slept.\n");
    let copier = format!(
        "## Commit 1 Reflection notes\n\nWhat I learned: {english}\n\nDan juga: {indonesian}\n"
    );
    let own = "## Commit 1 Reflection notes\n\nMy own words about the buffered reader: it wraps the stream, gives lines, and the loop stops at the blank line after headers, which I printed to the terminal.\n";
    let results = vec![
        result("alice", &a, &["README.md"]),
        result("bob", &b, &["README.md"]),
        result("copier", &copier, &["README.md"]),
        result("carol", own, &["README.md"]),
    ];
    let out = tempfile::tempdir().unwrap();
    report::write(out.path(), &results, Path::new("/")).unwrap();
    let normal = |s: &str| -> String {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let stage = page(out.path(), "stage-1.html");
    let marked = |student: &str, css: &str| -> String {
        let article = Selector::parse(&format!("article#student-{student}\\.html")).unwrap();
        let entry = stage.select(&article).next().unwrap();
        let mark = Selector::parse(css).unwrap();
        normal(
            &entry
                .select(&mark)
                .flat_map(|m| m.text())
                .collect::<Vec<_>>()
                .join(" "),
        )
    };
    // In place, in the reflection: the shared words, and only them.
    for student in ["alice", "bob"] {
        assert_eq!(
            marked(student, ".reflection mark"),
            normal(PROSE),
            "{student}"
        );
    }
    assert_eq!(
        marked("copier", ".reflection mark.book"),
        format!("{} {}", normal(&english), normal(&indonesian))
    );
    assert_eq!(marked("carol", ".reflection mark"), "");
    let index = page(out.path(), "index.html");
    let listed = |css: &str| -> Vec<String> {
        select(&index, css)
            .iter()
            .map(|li| li.text().collect())
            .collect()
    };
    let pairs = listed("ul.pairs li");
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    assert!(pairs[0].contains("alice") && pairs[0].contains("bob"));
    let book = listed("ul.book-passages li");
    assert_eq!(book.len(), 2, "{book:?}");
    assert!(book.iter().all(|p| p.contains("copier")), "{book:?}");
}

#[test]
fn a_class_of_thirty_pairs_only_the_copies_and_the_quote_of_the_book() {
    use grade::fixtures::{book_paragraph, reflection};
    // As fixtures::class writes them: student 7 hands in student 3's words,
    // 17 those of 13, 27 those of 23; 5, 15 and 25 quote the book.
    let results: Vec<RepoResult> = (1..=30)
        .map(|i| {
            let voice = if i % 10 == 7 { i - 4 } else { i };
            let mut readme = String::from("# Module 6\n\n");
            for stage in STAGES {
                let title = if stage.id == "bonus" {
                    "Bonus"
                } else {
                    stage.id
                };
                readme.push_str(&format!(
                    "## Commit {title} Reflection notes\n\n{}\n\n",
                    reflection(voice, stage.id)
                ));
                if i % 10 == 5 && stage.id == "1" {
                    readme.push_str(&format!("From the book: {}\n\n", book_paragraph()));
                }
            }
            result(&format!("student-{i:02}"), &readme, &["README.md"])
        })
        .collect();
    let out = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    report::write(out.path(), &results, Path::new("/")).unwrap();
    // Not a limit (timing is measured, not tested): for the reader of the log.
    println!("a class of 30: report written in {:?}", started.elapsed());
    let index = page(out.path(), "index.html");
    let pairs: Vec<String> = select(&index, "ul.pairs li")
        .iter()
        .map(|li| li.text().collect::<String>())
        .collect();
    let mut expected = Vec::new();
    for (a, b) in [(3, 7), (13, 17), (23, 27)] {
        for stage in STAGES {
            expected.push(format!(
                "Stage {}: student-{a:02} and student-{b:02}",
                stage.id
            ));
        }
    }
    let mut found: Vec<String> = pairs
        .iter()
        .map(|p| p.split(" share:").next().unwrap().to_string())
        .collect();
    found.sort();
    expected.sort();
    assert_eq!(found.len(), expected.len(), "{found:?}");
    assert_eq!(found, expected);
    let book: Vec<String> = select(&index, "ul.book-passages li")
        .iter()
        .map(|li| li.text().collect::<String>())
        .collect();
    assert_eq!(book.len(), 3, "{book:#?}");
    for (li, i) in book.iter().zip([5, 15, 25]) {
        assert!(
            li.starts_with(&format!("Stage 1: student-{i:02} writes")),
            "{li}"
        );
    }
}

#[test]
fn a_failed_check_shows_its_bytes_and_hint_escaped() {
    let text = format!("## Commit 3 Reflection notes\n\n{PROSE}.\n");
    let mut result = result("dave", &text, &["README.md"]);
    let three = result.stages.iter_mut().find(|s| s.stage == "3").unwrap();
    three.status = Status::Fail;
    three.details = "✗ not-found: GET /nothing answered 200 OK".into();
    three.failures = vec![grade::run::Failure {
        check: "not-found".into(),
        summary: "GET /nothing answered 200 OK".into(),
        sent: Some("GET /nothing HTTP/1.1\r\n\r\n".into()),
        received: Some("HTTP/1.1 200 OK\r\n\r\n<script>alert(1)</script>".into()),
        expected: Some("HTTP/1.1 404 NOT FOUND".into()),
        hint: Some("validating the request".into()),
    }];
    let out = tempfile::tempdir().unwrap();
    report::write(out.path(), &[result], Path::new("/")).unwrap();
    let html = page(out.path(), "stage-3.html");
    let failure = select(&html, "dd.failure");
    assert_eq!(failure.len(), 1);
    let text: String = failure[0].text().collect();
    for shown in [
        "✗ not-found",
        "GET /nothing HTTP/1.1",
        "<script>alert(1)</script>",
        "HTTP/1.1 404 NOT FOUND",
        "hint: validating the request",
    ] {
        assert!(text.contains(shown), "{shown:?} in {text}");
    }
    assert!(
        select(&html, "script").is_empty(),
        "the bytes are text, not HTML"
    );
    // A stage that passed shows none.
    assert!(select(&page(out.path(), "stage-2.html"), "dd.failure").is_empty());
}
