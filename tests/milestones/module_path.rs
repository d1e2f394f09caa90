//! Part I of the book, walked as a student walks it: a clone of the
//! GitHub Classroom assignment, `start` into it, then each stage's code
//! (the code its chapter includes, in the student's crate `hello`), a
//! commit with the message its chapter gives, the check command its
//! chapter prints, and a reflection in the README under the heading its
//! chapter names, with the screenshot where it asks for one. At the end the
//! grader passes every stage of the repository.
//!
//! The commit messages, headings, screenshot paths and check commands are
//! read from the chapters, so the test fails when a chapter tells the
//! student something the checker or the grader would not accept.

use serde_json::Value;
use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
};

/// The chapters of Part I, in the handout's order, with the folders the
/// code of each stage comes from (the same the chapter includes).
const STAGES: &[(&str, &str)] = &[
    ("module/stage1.md", "module/stage1"),
    ("module/stage2.md", "module/stage2"),
    ("module/stage3.md", "milestones/m1"),
    ("module/stage4.md", "milestones/m2"),
    ("module/stage5.md", "milestones/m4"),
    ("module/bonus.md", "milestones/m5"),
];

/// Where the chapters put the student's clone in their commands.
const CLONE_IN_THE_BOOK: &str = "~/advprog-modul6";

/// A 1×1 PNG, the screenshot.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xff, 0xff, 0x3f,
    0x00, 0x05, 0xfe, 0x02, 0xfe, 0xa7, 0x35, 0x81, 0x84, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The tools' binaries, built on first use with the profile of these tests.
fn tool(name: &str) -> PathBuf {
    static PROFILE_DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = PROFILE_DIR.get_or_init(|| harness::build_binaries(&["start", "check", "grade"]));
    dir.join(name)
}

/// What a chapter tells the student to do for its stage.
#[derive(Debug)]
struct Told {
    message: String,
    heading: String,
    screenshot: Option<String>,
    check: Vec<String>,
}

/// The backticked text of the row `| name | … |` of the chapter's table.
fn row(chapter: &str, markdown: &str, name: &str) -> Option<String> {
    let line = markdown
        .lines()
        .find(|l| l.starts_with(&format!("| {name} |")))
        .unwrap_or_else(|| panic!("book/src/{chapter} has no row `| {name} |`"));
    line.split('`').nth(1).map(str::to_string)
}

fn told(chapter: &str) -> Told {
    let markdown = fs::read_to_string(root().join("book/src").join(chapter)).unwrap();
    let message = row(chapter, &markdown, "commit message").unwrap();
    let heading = row(chapter, &markdown, "README heading").unwrap();
    let screenshot = row(chapter, &markdown, "screenshot");
    // The command of the section "Check it", as printed in its block.
    let section = markdown
        .split("\n## Check it\n")
        .nth(1)
        .unwrap_or_else(|| panic!("book/src/{chapter} has no section `## Check it`"));
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap_or_else(|| panic!("book/src/{chapter}: `## Check it` has no ```sh block"));
    let lines: Vec<&str> = block.lines().collect();
    assert_eq!(lines.len(), 1, "book/src/{chapter}: one command to check");
    let check: Vec<String> = lines[0].split_whitespace().map(String::from).collect();
    let table_check = row(chapter, &markdown, "check it").unwrap();
    assert_eq!(
        table_check, lines[0],
        "book/src/{chapter}: the table and `## Check it` give different commands"
    );
    Told {
        message,
        heading,
        screenshot,
        check,
    }
}

fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A command with a Git identity, as the student's machine has one.
fn as_the_student(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command.current_dir(dir);
    for (key, value) in [
        ("GIT_AUTHOR_NAME", "A Student"),
        ("GIT_AUTHOR_EMAIL", "student@example.com"),
        ("GIT_COMMITTER_NAME", "A Student"),
        ("GIT_COMMITTER_EMAIL", "student@example.com"),
    ] {
        command.env(key, value);
    }
    command
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = run(as_the_student("git", dir).args(args));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What GitHub Classroom hands out: a repository with a README and the
/// autograding workflow, cloned.
fn classroom_clone(dir: &Path) {
    fs::create_dir_all(dir.join(".github/workflows")).unwrap();
    fs::copy(
        root().join("classroom/classroom.yml"),
        dir.join(".github/workflows/classroom.yml"),
    )
    .unwrap();
    fs::write(dir.join("README.md"), "# advprog-modul6\n").unwrap();
    git(dir, &["init", "--quiet", "--initial-branch", "main"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "-m", "Initial commit"]);
    git(
        dir,
        &[
            "remote",
            "add",
            "origin",
            "https://github.com/class/advprog-modul6-student.git",
        ],
    );
}

/// The stage's code into the crate, in the student's form: the crate is
/// `hello`, so `use m4::ThreadPool` is `use hello::ThreadPool`.
fn put_code(from: &str, crate_dir: &Path) {
    let source = root().join(from);
    let package = from.rsplit('/').next().unwrap();
    for file in ["src/main.rs", "src/lib.rs", "hello.html", "404.html"] {
        let Ok(text) = fs::read_to_string(source.join(file)) else {
            continue;
        };
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                !l.starts_with("// ANCHOR:") && !l.starts_with("// ANCHOR_END:")
            })
            .collect();
        let mut text = kept.join("\n") + "\n";
        text = text.replace(&format!("use {package}::"), "use hello::");
        // The sandbox gives the student's server no SLEEP_MS: a shorter
        // default keeps the checks of /sleep quick. The checks measure the
        // delay, whatever it is.
        let long = "map_or(5000, |ms| ms.parse().unwrap_or(5000))";
        if text.contains("SLEEP_MS") {
            assert!(text.contains(long), "{from}/{file}: its /sleep changed");
            text = text.replace(long, "map_or(1000, |ms| ms.parse().unwrap_or(1000))");
        }
        let target = crate_dir.join(file);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, text).unwrap();
    }
}

#[test]
fn a_classroom_clone_that_follows_part_i_passes_every_stage() {
    let home = tempfile::tempdir().unwrap();
    let clone = home.path().join("advprog-modul6");
    fs::create_dir_all(&clone).unwrap();
    classroom_clone(&clone);

    // Beginning the module: `just start ~/advprog-modul6`.
    let start = fs::read_to_string(root().join("book/src/module/start.md")).unwrap();
    assert!(start.contains(&format!("just start {CLONE_IN_THE_BOOK}\n")));
    run(as_the_student(tool("start"), home.path()).arg(&clone));
    let last = git(&clone, &["log", "-1", "--format=%s"]);
    assert!(last.starts_with("(0) Start: "), "{last}");

    let mut readme = fs::read_to_string(clone.join("README.md")).unwrap();
    for (number, (chapter, code)) in STAGES.iter().enumerate() {
        let told = told(chapter);
        let stage = &harness::STAGES[number];
        assert_eq!(told.message, stage.message, "book/src/{chapter}");

        put_code(code, &clone);
        git(&clone, &["add", "-A"]);
        git(&clone, &["commit", "--quiet", "-m", &told.message]);

        // The check, as the chapter prints it, with the clone where it is.
        assert_eq!(told.check[..2], ["just", "check"], "book/src/{chapter}");
        let args: Vec<String> = told.check[2..]
            .iter()
            .map(|a| match a.as_str() {
                CLONE_IN_THE_BOOK => clone.display().to_string(),
                _ => a.clone(),
            })
            .collect();
        let output = Command::new(tool("check")).args(&args).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "book/src/{chapter}: `{}` fails:\n{stdout}{}",
            told.check.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains(&format!("stage {}", stage.id)) && stdout.ends_with(" 0 failed\n"),
            "{stdout}"
        );

        // The reflection, under the chapter's heading, then its commit.
        readme.push_str(&format!(
            "\n{}\n\nWhat this stage changed, in my own words: the server now does one \
             more thing than before, and I can say why each line is there and what \
             it still gets wrong.\n",
            told.heading
        ));
        assert_eq!(
            told.screenshot.is_some(),
            stage.screenshot,
            "book/src/{chapter}: whether a screenshot is needed"
        );
        if let Some(path) = told.screenshot {
            let file = clone.join(&path);
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(&file, PNG).unwrap();
            readme.push_str(&format!("\n![Commit {} screenshot]({path})\n", stage.id));
        }
        fs::write(clone.join("README.md"), &readme).unwrap();
        git(&clone, &["add", "-A"]);
        let reflection = format!("Commit {} Reflection notes", stage.id);
        git(&clone, &["commit", "--quiet", "-m", &reflection]);
    }

    let output = run(Command::new(tool("grade")).arg("--json").arg(&clone));
    let graded: Value = serde_json::from_slice(&output.stdout).unwrap();
    let stages = graded[0]["stages"].as_array().unwrap();
    let results: Vec<(String, String)> = stages
        .iter()
        .map(|s| {
            (
                s["stage"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let every_pass: Vec<(String, String)> = harness::STAGES
        .iter()
        .map(|s| (s.id.to_string(), "pass".to_string()))
        .collect();
    assert_eq!(results, every_pass, "{graded:#}");
}
