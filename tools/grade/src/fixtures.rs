//! Student repositories for the tests and the benchmark to grade: the
//! module's stages as students commit them (the Rust Book's listings, on the
//! fixed port 7878, pages read from the working directory), with the
//! variations real histories show: drifted messages, extra commits, a
//! skipped bonus, a stage that does not compile, never listens or hangs, a
//! README without screenshots.

pub use harness::student::Broken;
use harness::student::{HELLO, NOT_FOUND, broken_main, lib_rs, main_rs};
use std::{
    fs, io,
    path::Path,
    process::{Command, Stdio},
};

/// How a fixture's history is written.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// How long `/sleep` sleeps (the handout says 10 s; tests use less).
    pub sleep_ms: u64,
    /// Commit messages as students drift from the handout's.
    pub drifted_messages: bool,
    /// An initial commit, reflection commits, fix-ups, a stage committed
    /// twice and a merge commit, besides the stages.
    pub extra_commits: bool,
    /// Whether the bonus is committed.
    pub bonus: bool,
    /// Whether the README embeds screenshots for stages 2 and 3.
    pub screenshots: bool,
    /// One stage whose code is broken, and how.
    pub broken: Option<(&'static str, Broken)>,
    /// Whose words the reflections are in: students of a class write
    /// differently ([`reflection`]).
    pub voice: usize,
    /// Whether the reflection on stage 1 quotes a paragraph of the course's
    /// book.
    pub quotes_the_book: bool,
}

impl Fixture {
    /// Every stage, as the handout asks, with a README that reflects on each.
    pub fn complete(sleep_ms: u64) -> Fixture {
        Fixture {
            sleep_ms,
            drifted_messages: false,
            extra_commits: false,
            bonus: true,
            screenshots: true,
            broken: None,
            voice: 0,
            quotes_the_book: false,
        }
    }

    /// Writes the repository into `dir`, which must not exist or be empty.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir.join("src"))?;
        git(dir, &["init", "--quiet", "--initial-branch=main"])?;
        let put = |path: &str, text: &[u8]| -> io::Result<()> {
            let path = dir.join(path);
            fs::create_dir_all(path.parent().unwrap())?;
            fs::write(path, text)
        };
        put(
            "Cargo.toml",
            b"[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n",
        )?;
        put(".gitignore", b"/target\n")?;
        put("hello.html", HELLO.as_bytes())?;
        put("404.html", NOT_FOUND.as_bytes())?;
        if self.extra_commits {
            put(
                "src/main.rs",
                b"fn main() {\n    println!(\"Hello, world!\");\n}\n",
            )?;
            commit(dir, "Initial commit")?;
        }
        let stages = ["1", "2", "3", "4", "5", "bonus"];
        for (i, stage) in stages.iter().enumerate() {
            if *stage == "bonus" && !self.bonus {
                break;
            }
            let code = match self.broken {
                Some((broken, how)) if broken == *stage => broken_main(how),
                _ => main_rs(stage, self.sleep_ms),
            };
            if self.extra_commits && *stage == "4" {
                // The same stage committed twice: first without the sleep.
                put("src/main.rs", main_rs("3", self.sleep_ms).as_bytes())?;
                commit(dir, &self.message(stage))?;
            }
            put("src/main.rs", code.as_bytes())?;
            if matches!(*stage, "5" | "bonus") {
                put("src/lib.rs", lib_rs(stage).as_bytes())?;
            }
            let last = i == stages.len() - 1 || (stages[i + 1] == "bonus" && !self.bonus);
            if !self.extra_commits && last {
                self.write_readme(dir, &stages[..=i])?;
            }
            commit(dir, &self.message(stage))?;
            if self.extra_commits {
                self.write_readme(dir, &stages[..=i])?;
                let message = match *stage {
                    "1" => "Commit 1 Reflection notes".to_string(),
                    "3" => "Fixing typo from commit 3".to_string(),
                    _ => format!("Reflection commit {stage}"),
                };
                commit(dir, &message)?;
            }
            if self.extra_commits && *stage == "3" {
                // An edit on the web, merged back.
                git(dir, &["checkout", "--quiet", "-b", "web", "HEAD~1"])?;
                put("NOTES.md", b"Edited on the web.\n")?;
                commit(dir, "Create NOTES.md")?;
                git(dir, &["checkout", "--quiet", "main"])?;
                git(
                    dir,
                    &[
                        "-c",
                        "user.name=Student",
                        "-c",
                        "user.email=student@example.com",
                        "merge",
                        "--quiet",
                        "--no-ff",
                        "-m",
                        "Merge branch 'main' of github.com:student/advprog-modul6",
                        "web",
                    ],
                )?;
            }
        }
        Ok(())
    }

    /// The stage's commit message: the handout's, or a drifted one.
    fn message(&self, stage: &str) -> String {
        let handout = crate::stages::find(stage).unwrap().message;
        if !self.drifted_messages {
            return handout.to_string();
        }
        match stage {
            "1" => "“(1) Handle-connection, check respons".to_string(),
            "2" => "(2)Returning HTML".to_string(),
            "3" => "(3) Validating request and selective responding".to_string(),
            "4" => "(4) Simulation of slow request".to_string(),
            "5" => "(5) multithreaded server using ThreadPool".to_string(),
            _ => "(bonus) improve function".to_string(),
        }
    }

    /// README.md with a reflection for each of `stages`, and screenshots.
    fn write_readme(&self, dir: &Path, stages: &[&str]) -> io::Result<()> {
        let mut readme = String::from("# Module 6: Concurrency\n\n");
        for stage in stages {
            let title = if *stage == "bonus" { "Bonus" } else { stage };
            readme.push_str(&format!(
                "## Commit {title} Reflection notes\n\n{}\n",
                reflection(self.voice, stage)
            ));
            if self.quotes_the_book && *stage == "1" {
                readme.push_str(&format!("\nFrom the course's book: {}\n", book_paragraph()));
            }
            if self.screenshots && matches!(*stage, "2" | "3") {
                let image = format!("assets/images/commit{stage}.png");
                fs::create_dir_all(dir.join("assets/images"))?;
                fs::write(dir.join(&image), PNG)?;
                readme.push_str(&format!("\n![Commit {stage} screenshot]({image})\n"));
            }
            readme.push('\n');
        }
        fs::write(dir.join("README.md"), readme)
    }
}

/// Writes `count` repositories under `dir`, named `student-01` …, every
/// fourth one with a variation, for the benchmark.
pub fn class(dir: &Path, count: usize, sleep_ms: u64) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for i in 1..=count {
        let mut fixture = Fixture::complete(sleep_ms);
        // Every student writes their own reflections, but for one in ten
        // who hands in the words of the student four before, and one in
        // ten who quotes the book.
        fixture.voice = if i % 10 == 7 { i - 4 } else { i };
        fixture.quotes_the_book = i % 10 == 5;
        match i % 4 {
            1 => fixture.drifted_messages = true,
            2 => fixture.extra_commits = true,
            3 => fixture.bonus = false,
            _ => {}
        }
        let name = format!("student-{i:02}");
        fixture.write(&dir.join(&name))?;
        names.push(name);
    }
    Ok(names)
}

fn git(dir: &Path, args: &[&str]) -> io::Result<()> {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    match status.success() {
        true => Ok(()),
        false => Err(io::Error::other(format!("git {} failed", args.join(" ")))),
    }
}

fn commit(dir: &Path, message: &str) -> io::Result<()> {
    git(dir, &["add", "--all"])?;
    git(
        dir,
        &[
            "-c",
            "user.name=Student",
            "-c",
            "user.email=student@example.com",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "--no-verify",
            "--allow-empty",
            "-m",
            message,
        ],
    )
}

/// A reflection on `stage` in the words of student `voice`: the same
/// sentences for everyone, but a number of the student's own in every run of
/// 15 words (the report's tests check it), so that two voices share no passage the report
/// would pair.
pub fn reflection(voice: usize, stage: &str) -> String {
    let template = match stage {
        "1" => {
            "I ran it {0} times and opened the page in a browser. Each time the terminal \
             printed {1} lines: the request line, then the headers. The loop stopped at line \
             {2}, the empty one, since a blank line ends the headers; that took me {3} minutes \
             to see."
        }
        "2" => {
            "My server answered all {0} of my requests with the page and a status \
             line. The length header said {1} bytes when I counted them again with curl. I \
             took {2} screenshots of the page in the browser and kept number {3}, which \
             shows its title."
        }
        "3" => {
            "Before the change, {0} lines of the if and the else were the same. I moved \
             what differs, {1} values, into one pair: a status line and a file name, {2} \
             words. One match returns it in {3} lines, and /bad gave the 404 page {4} times."
        }
        "4" => {
            "With one window on /sleep, a second request waited {0} seconds, then {1} more \
             on try {2}. One thread serves one connection at a time, so my {3} requests \
             queued behind it; {4} of them timed out in my browser."
        }
        "5" => {
            "The pool has {0} workers on my laptop, sharing one receiver ({1} lines) behind \
             a mutex in an Arc. I opened /sleep {2} times at once and the other pages still \
             came back in {3} milliseconds, until request {4} found every worker busy."
        }
        _ => {
            "Build returns a Result, so a size of {0} gives an error instead of a panic. I \
             wrote {1} lines of a test for it and called it {2} times with sizes up to \
             {3} workers."
        }
    };
    (0..5).fold(template.to_string(), |text, k| {
        text.replace(&format!("{{{k}}}"), &(10 + 5 * voice + k).to_string())
    })
}

/// The first paragraph of the book's m1 chapter that is plain prose of at
/// least 25 words, as a student who copies it hands it in.
pub fn book_paragraph() -> String {
    include_str!("../../../book/src/m1.md")
        .split("\n\n")
        .map(|p| p.replace('\n', " "))
        .find(|p| p.split_whitespace().count() >= 25 && !p.contains(['[', '<', '>', '|', '#', '{']))
        .expect("m1.md has a paragraph of plain prose")
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xff, 0xff, 0x3f,
    0x00, 0x05, 0xfe, 0x02, 0xfe, 0xa7, 0x35, 0x81, 0x84, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];
