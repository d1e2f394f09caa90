//! `grade::history::read` on small repositories written here, one per
//! pattern of real histories: a README-only twin of a stage's commit, a
//! merge that claims a stage, conventional prefixes and a sixth stage,
//! stages combined in one commit, the work on another branch than the
//! default one. Each stage's choice is asserted with its reason. No build:
//! only Git.

mod support;

use grade::history::{Choice, Reading, read};
use harness::student::main_rs;
use std::{fs, path::Path};
use support::Repo;

/// What history reads of the repository.
fn read_repo(repo: &Repo) -> Reading {
    read(&repo.path).unwrap()
}

/// The choice of stage `id`.
fn choice<'a>(reading: &'a Reading, id: &str) -> &'a Choice {
    reading
        .stages
        .get(id)
        .unwrap_or_else(|| panic!("no choice for stage {id}: {reading:#?}"))
}

/// Asserts stage `id`'s commit (by its message), reason, and the others'
/// (message, reason), newest first.
fn assert_choice(
    repo: &Repo,
    reading: &Reading,
    id: &str,
    message: &str,
    why: &str,
    others: &[(&str, &str)],
) {
    let choice = choice(reading, id);
    assert_eq!(
        (choice.message.as_str(), choice.commit.as_str()),
        (message, repo.hash(message).as_str()),
        "stage {id}: {choice:#?}"
    );
    assert_eq!(choice.why, why, "stage {id}");
    let got: Vec<(&str, &str)> = choice
        .others
        .iter()
        .map(|o| (o.message.as_str(), o.why.as_str()))
        .collect();
    assert_eq!(got, others, "stage {id}: the others");
    for other in &choice.others {
        assert_eq!(other.commit, repo.hash(&other.message));
    }
}

fn only(id: &str) -> String {
    let name = if id == "bonus" {
        "the bonus".to_string()
    } else {
        format!("stage {id}")
    };
    format!("the only commit whose message claims {name} and changes code")
}

#[test]
fn the_handouts_history_reads_one_commit_per_stage() {
    let dir = tempfile::tempdir().unwrap();
    grade::fixtures::Fixture::complete(100)
        .write(dir.path())
        .unwrap();
    let repo = Repo::at(dir);
    let reading = read_repo(&repo);
    assert_eq!(reading.branch, None);
    assert_eq!(reading.branch_note, None);
    assert_eq!(reading.tip, repo.git(&["rev-parse", "HEAD"]));
    for stage in grade::stages::STAGES {
        assert_choice(
            &repo,
            &reading,
            stage.id,
            stage.message,
            &only(stage.id),
            &[],
        );
        assert_eq!(choice(&reading, stage.id).found_in, None);
    }
    assert!(reading.passed_over.is_empty());
}

#[test]
fn extra_commits_of_the_fixture_lose_with_their_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let mut fixture = grade::fixtures::Fixture::complete(100);
    fixture.extra_commits = true;
    fixture.write(dir.path()).unwrap();
    let repo = Repo::at(dir);
    let reading = read_repo(&repo);
    let readme_only = "its message is about the reflections and it changes only the README";
    assert_choice(
        &repo,
        &reading,
        "1",
        "(1) Handle-connection, check response",
        &only("1"),
        &[("Commit 1 Reflection notes", readme_only)],
    );
    // The first "(4)" changed nothing; the second brought the sleep.
    let log = repo.git(&["log", "--format=%H %s"]);
    let fours: Vec<&str> = log
        .lines()
        .filter(|l| l.ends_with(" (4) Simulation of slow request."))
        .map(|l| &l[..40])
        .collect();
    let four = choice(&reading, "4");
    assert_eq!(four.commit, fours[0]);
    assert_eq!(four.why, only("4"));
    let others: Vec<(&str, &str)> = four
        .others
        .iter()
        .map(|o| (o.commit.as_str(), o.why.as_str()))
        .collect();
    assert_eq!(
        others,
        [
            (repo.hash("Reflection commit 4").as_str(), readme_only),
            (fours[1], "changes no files"),
        ]
    );
}

/// Pattern 1: a README- or image-only commit claims its stage only when no
/// commit claims it with code.
#[test]
fn a_readme_or_image_only_commit_loses_to_one_with_code() {
    let repo = Repo::new();
    repo.readme("# advprog-modul6").commit("Initial commit");
    repo.code("1")
        .commit("(1) Handle-connection, check response");
    repo.readme("## Commit 1 Reflection notes\n\nIt reads the request.")
        .commit("(1) Add reflection for handle_connection");
    repo.code("2").commit("(2) Returning HTML");
    repo.put("assets/images/commit2.png", "PNG")
        .readme("![](assets/images/commit2.png)")
        .commit("(2) Returning HTML - Fix Images");
    // Stage 3's code under another message; its only claimant is README-only.
    repo.code("3").commit("validating request");
    repo.readme("## Commit 3 Reflection notes")
        .commit("(3) Validating request and selectively responding");
    repo.put("assets/images/commit3.png", "PNG")
        .commit("(3) screenshot");
    repo.code("4").commit("(4) Simulation of slow request.");
    repo.code("5")
        .commit("(5) Multithreaded server using Threadpool");
    repo.code("bonus").commit("(Bonus) Function improvement");
    repo.readme("## Commit Bonus Reflection notes")
        .commit("(Bonus) Function improvement - Reflection");
    let reading = read_repo(&repo);

    assert_choice(
        &repo,
        &reading,
        "1",
        "(1) Handle-connection, check response",
        &only("1"),
        &[(
            "(1) Add reflection for handle_connection",
            "its message is about the reflections and it changes only the README",
        )],
    );
    assert_choice(
        &repo,
        &reading,
        "2",
        "(2) Returning HTML",
        &only("2"),
        &[(
            "(2) Returning HTML - Fix Images",
            "changes only the README and images",
        )],
    );
    assert_choice(
        &repo,
        &reading,
        "3",
        "(3) screenshot",
        "the newest of the 2 commits whose messages claim stage 3, none of which changes \
         code (it changes only images)",
        &[(
            "(3) Validating request and selectively responding",
            "older, and it changes only the README too (no commit that claims the stage \
             changes code)",
        )],
    );
    assert_choice(
        &repo,
        &reading,
        "bonus",
        "(Bonus) Function improvement",
        &only("bonus"),
        &[(
            "(Bonus) Function improvement - Reflection",
            "its message is about the reflections and it changes only the README",
        )],
    );
}

#[test]
fn a_readme_only_commit_that_alone_claims_its_stage_still_claims_it() {
    let repo = Repo::new();
    repo.code("1")
        .commit("(1) Handle-connection, check response");
    repo.code("2").commit("wip");
    repo.readme("![](commit2.png)").commit("(2) Returning HTML");
    // Only a reflection commit names stage 3: it claims nothing.
    repo.code("3").commit("wip 3");
    repo.readme("## Commit 3 Reflection notes")
        .commit("Commit 3 Reflection notes");
    let reading = read_repo(&repo);
    assert_choice(
        &repo,
        &reading,
        "2",
        "(2) Returning HTML",
        "the only commit whose message claims stage 2, though it changes only the README",
        &[],
    );
    assert!(!reading.stages.contains_key("3"), "{reading:#?}");
    let passed: Vec<(&str, &str)> = reading.passed_over["3"]
        .iter()
        .map(|r| (r.message.as_str(), r.why.as_str()))
        .collect();
    assert_eq!(
        passed,
        [(
            "Commit 3 Reflection notes",
            "its message is about the reflections and it changes only the README"
        )]
    );
}

/// Pattern 2: a merge that claims a stage stands for what it brings in
/// against its first parent; a merge of two root commits for all its files.
#[test]
fn a_merge_stands_for_what_it_brings_in() {
    let repo = Repo::new();
    // The student's own root commit, then GitHub's, merged under "(1)".
    repo.code("1").commit("first");
    repo.git(&["checkout", "--quiet", "--orphan", "github"]);
    repo.git(&["rm", "-r", "--quiet", "--cached", "."]);
    for entry in fs::read_dir(&repo.path).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != ".git" {
            let path = entry.path();
            if path.is_dir() {
                fs::remove_dir_all(path).unwrap();
            } else {
                fs::remove_file(path).unwrap();
            }
        }
    }
    repo.readme("# advprog-modul6").commit("Initial commit");
    repo.git(&["checkout", "--quiet", "main"]);
    repo.merge("github", "(1) Handle-connection, check response");
    repo.readme("## Commit 1 Reflection notes")
        .commit("(1) Handle-connection, check response - README");
    repo.handout(&["2", "3"]);
    // Stage 4 on a branch, merged under its message; then a screenshot.
    repo.git(&["checkout", "--quiet", "-b", "slow"]);
    repo.code("4").commit("sleep");
    repo.git(&["checkout", "--quiet", "main"]);
    repo.merge("slow", "(4) Simulation of slow request.");
    repo.put("assets/images/commit4.png", "PNG")
        .commit("(4) Simulation of slow request. - screenshot");
    // Stage 5 committed, then a merge of README edits under its message.
    repo.handout(&["5"]);
    repo.git(&["checkout", "--quiet", "-b", "docs"]);
    repo.readme("## Commit 5 Reflection notes")
        .commit("Update README.md");
    repo.git(&["checkout", "--quiet", "main"]);
    repo.merge("docs", "(5) Multithreaded server using Threadpool - docs");
    let reading = read_repo(&repo);

    assert_choice(
        &repo,
        &reading,
        "1",
        "(1) Handle-connection, check response",
        "the only commit whose message claims stage 1 and brings in code (a merge of root \
         commits: all its files)",
        &[(
            "(1) Handle-connection, check response - README",
            "changes only the README",
        )],
    );
    assert_choice(
        &repo,
        &reading,
        "4",
        "(4) Simulation of slow request.",
        "the only commit whose message claims stage 4 and brings in code (a merge: what it \
         brings in against its first parent)",
        &[(
            "(4) Simulation of slow request. - screenshot",
            "changes only images",
        )],
    );
    assert_choice(
        &repo,
        &reading,
        "5",
        "(5) Multithreaded server using Threadpool",
        &only("5"),
        &[(
            "(5) Multithreaded server using Threadpool - docs",
            "brings in only the README",
        )],
    );
}

/// Pattern 3: conventional prefixes and bracketed words are read past, `6`
/// is the bonus written as a sixth stage, and a reflection commit that
/// brings the stage's code claims it.
#[test]
fn prefixes_brackets_and_a_sixth_stage_are_read() {
    let repo = Repo::new();
    repo.handout(&["1", "2"]);
    repo.code("3")
        .commit("feat: (3) Validating request and selectively responding");
    repo.readme("## Commit 3 Reflection notes")
        .commit("fix: reflection 3");
    repo.handout(&["4"]);
    repo.code("5")
        .commit("[FEAT] (5) Multithreaded server using Threadpool");
    repo.put("src/main.rs", &format!("{}// tidied\n", main_rs("5", 100)))
        .commit("[REFACTOR] fix: handle_connection");
    repo.code("bonus")
        .readme("## COMMIT 6 [BONUS]")
        .commit("create: reflection 6 [BONUS]");
    let reading = read_repo(&repo);

    assert_choice(
        &repo,
        &reading,
        "3",
        "feat: (3) Validating request and selectively responding",
        &only("3"),
        &[(
            "fix: reflection 3",
            "its message is about the reflections and it changes only the README",
        )],
    );
    assert_choice(
        &repo,
        &reading,
        "5",
        "[FEAT] (5) Multithreaded server using Threadpool",
        &only("5"),
        &[],
    );
    assert_choice(
        &repo,
        &reading,
        "bonus",
        "create: reflection 6 [BONUS]",
        "the only commit whose message claims the bonus and changes code; its message \
         speaks of the reflections, but it brings code",
        &[],
    );

    // "(6) Bonus" is the bonus too.
    let six = Repo::new();
    six.handout(&["1", "2", "3", "4", "5"]);
    six.code("bonus").commit("(6) Bonus");
    assert_choice(
        &six,
        &read_repo(&six),
        "bonus",
        "(6) Bonus",
        &only("bonus"),
        &[],
    );
}

/// Pattern 4: a stage no commit claims is graded at the commit of another
/// stage that brings its code.
#[test]
fn combined_stages_are_graded_where_their_code_arrives() {
    // `build` returning a Result already in stage 5's commit, no bonus commit.
    let early = Repo::new();
    early.handout(&["1", "2", "3", "4"]);
    early
        .code("bonus")
        .commit("(5) Multithreaded server using Threadpool");
    early.readme("done").commit("Update README.md");
    let reading = read_repo(&early);
    assert_choice(
        &early,
        &reading,
        "5",
        "(5) Multithreaded server using Threadpool",
        &only("5"),
        &[],
    );
    assert_choice(
        &early,
        &reading,
        "bonus",
        "(5) Multithreaded server using Threadpool",
        "no commit claims the bonus; found in the commit of stage 5: its build returns a Result",
        &[],
    );
    assert_eq!(choice(&reading, "bonus").found_in, Some("5"));
    assert_eq!(choice(&reading, "5").found_in, None);

    // The pool and `build` together in the bonus's commit, no "(5)"; a
    // README-only reflection for stage 5 does not count, and is said.
    let late = Repo::new();
    late.handout(&["1", "2", "3", "4"]);
    late.readme("## Commit 5 Reflection notes")
        .commit("Reflection commit 5");
    late.code("bonus").commit("(Bonus) Function improvement");
    let reading = read_repo(&late);
    assert_choice(
        &late,
        &reading,
        "5",
        "(Bonus) Function improvement",
        "no commit claims stage 5; found in the commit of the bonus: it has a ThreadPool",
        &[(
            "Reflection commit 5",
            "its message is about the reflections and it changes only the README",
        )],
    );
    assert_eq!(choice(&reading, "5").found_in, Some("bonus"));
    assert!(reading.passed_over.is_empty());

    // Stage 5's `new` is no bonus; a pool in a commit that claims no stage
    // is not looked at.
    let plain = Repo::new();
    plain.handout(&["1", "2", "3", "4", "5"]);
    assert!(!read_repo(&plain).stages.contains_key("bonus"));
    let unclaimed = Repo::new();
    unclaimed.handout(&["1", "2", "3", "4"]);
    unclaimed.code("bonus").commit("thread pool");
    let reading = read_repo(&unclaimed);
    assert!(!reading.stages.contains_key("5"), "{reading:#?}");
    assert!(!reading.stages.contains_key("bonus"), "{reading:#?}");
}

/// Pattern 5: the default branch holds only GitHub's "Initial commit"; the
/// work is on `master` (locally) or `origin/master` (in a clone).
#[test]
fn another_branch_is_graded_when_the_default_one_holds_no_stage() {
    let repo = Repo::new();
    repo.readme("# advprog-modul6").commit("Initial commit");
    repo.git(&["checkout", "--quiet", "--orphan", "master"]);
    repo.git(&["rm", "-r", "--quiet", "--cached", "."]);
    fs::remove_file(repo.path.join("README.md")).unwrap();
    repo.handout(&["1", "2", "3", "4", "5", "bonus"]);
    repo.git(&["checkout", "--quiet", "main"]);
    let master_tip = repo.git(&["rev-parse", "master"]);

    let reading = read_repo(&repo);
    assert_eq!(reading.branch.as_deref(), Some("master"));
    assert_eq!(
        reading.branch_note.as_deref(),
        Some(
            "the default branch main holds no stage (its only commit: \"Initial commit\"): \
             graded the branch master, which has stages 1, 2, 3, 4, 5, bonus"
        )
    );
    assert_eq!(reading.tip, master_tip);
    for stage in grade::stages::STAGES {
        assert_choice(
            &repo,
            &reading,
            stage.id,
            stage.message,
            &only(stage.id),
            &[],
        );
    }

    // A clone of the default branch has the work as origin/master only.
    let clone = repo.clone_beside();
    assert_eq!(clone.git(&["branch", "--format=%(refname:short)"]), "main");
    let reading = read_repo(&clone);
    assert_eq!(reading.branch.as_deref(), Some("origin/master"));
    assert_eq!(reading.tip, master_tip);
    let five = choice(&reading, "5");
    assert_eq!(
        five.commit,
        repo.hash("(5) Multithreaded server using Threadpool")
    );
    // Its commits export from the clone.
    let out = tempfile::tempdir().unwrap();
    grade::git::export(&clone.path, &five.commit, out.path()).unwrap();
    let main = fs::read_to_string(out.path().join("src/main.rs")).unwrap();
    assert!(main.contains("ThreadPool::new(4)"), "{main}");

    // The JSON the integration will carry.
    let json = serde_json::to_value(&reading).unwrap();
    assert_eq!(json["branch"], "origin/master");
    assert_eq!(json["stages"]["5"]["found_in"], serde_json::Value::Null);
    assert!(json["stages"]["bonus"]["why"].is_string());
}

/// Pattern 5, the other way: both branches have stages; the default one is
/// graded and the other named.
#[test]
fn the_default_branch_wins_and_another_with_stages_is_named() {
    let repo = Repo::new();
    repo.handout(&["1", "2", "3"]);
    repo.git(&["checkout", "--quiet", "-b", "experiment"]);
    repo.handout(&["4"]);
    repo.git(&["checkout", "--quiet", "main"]);
    repo.readme("notes").commit("Update README.md");
    // A branch with nothing main lacks is not named.
    repo.git(&["branch", "old", "HEAD~1"]);

    let reading = read_repo(&repo);
    assert_eq!(reading.branch, None);
    assert_eq!(
        reading.branch_note.as_deref(),
        Some(
            "the default branch main is graded; the branch experiment also has stage 4 (not on main)"
        )
    );
    assert_eq!(reading.tip, repo.git(&["rev-parse", "main"]));
    assert!(!reading.stages.contains_key("4"));
    assert_choice(
        &repo,
        &reading,
        "3",
        "(3) Validating request and selectively responding",
        &only("3"),
        &[],
    );
}

#[test]
fn a_folder_without_commits_is_an_error() {
    let repo = Repo::new();
    assert!(read(&repo.path).is_err());
    assert!(read(Path::new("/nonexistent/student")).is_err());
}
