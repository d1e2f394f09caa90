//! What `grade --json` says of how it read a repository, end to end: the
//! branch it graded, each stage's commit with its message, why it won and
//! the commits that lost, and a stage found in another stage's commit.
//! (`tests/history.rs` tests each rule of the reading on its own.)

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use support::Repo;

const WORDS: &str = "In this commit the server reads the request with a BufReader and answers \
                     it, and I learned how the request line, the headers and the body of an \
                     HTTP message are laid out on the wire.";

fn readme() -> String {
    let mut text = String::from("# Module 6\n");
    for stage in ["1", "2", "3", "4", "5", "Bonus"] {
        text.push_str(&format!(
            "\n## Commit {stage} Reflection notes\n\n{WORDS}\n"
        ));
        if stage == "2" || stage == "3" {
            text.push_str(&format!("\n![](assets/images/commit{stage}.png)\n"));
        }
    }
    text
}

/// main holds only GitHub's "Initial commit"; the work is on master, where
/// stage 5's commit already has the bonus's `build`, and a README-only
/// commit claims stage 2 again after its code.
#[test]
fn the_json_says_which_branch_and_commit_and_why() {
    let outside = tempfile::tempdir().unwrap();
    let student = Repo::init(&outside.path().join("student"));
    let repo = student.path.clone();
    fs::write(repo.join("README.md"), "# advprog-modul6\n").unwrap();
    student.commit("Initial commit");
    student.git(&["checkout", "--quiet", "-b", "master"]);
    harness::attack::write_crate(&repo, &harness::student::main_rs("1", 0), "");
    student.commit("(1) Handle-connection, check response");
    let mut hashes = std::collections::HashMap::new();
    for (stage, code, message) in [
        ("2", "2", "(2) Returning HTML"),
        (
            "3",
            "3",
            "(3) Validating request and selectively responding",
        ),
        ("4", "4", "(4) Simulation of slow request."),
        ("5", "bonus", "(5) Multithreaded server using Threadpool"),
    ] {
        fs::write(
            repo.join("src/main.rs"),
            harness::student::main_rs(code, 500),
        )
        .unwrap();
        if stage == "5" {
            fs::write(repo.join("src/lib.rs"), harness::student::lib_rs("bonus")).unwrap();
        }
        hashes.insert(stage, student.commit(message));
    }
    fs::create_dir_all(repo.join("assets/images")).unwrap();
    for n in ["2", "3"] {
        fs::write(
            repo.join(format!("assets/images/commit{n}.png")),
            b"\x89PNG\r\n\x1a\n",
        )
        .unwrap();
    }
    fs::write(repo.join("README.md"), readme()).unwrap();
    let twin = student.commit("(2) Returning HTML - Fix Images");
    student.git(&["checkout", "--quiet", "main"]);

    let output = Command::cargo_bin("grade")
        .unwrap()
        .current_dir(outside.path())
        .args(["--json", "student"])
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let result = &list[0];
    let stage = |id: &str| {
        result["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(result["branch"], "master", "{result:#}");
    assert!(
        result["branch_note"]
            .as_str()
            .unwrap()
            .contains("graded the branch master"),
        "{result:#}"
    );
    for id in ["1", "2", "3", "4", "5", "bonus"] {
        assert_eq!(stage(id)["status"], "pass", "{:#}", stage(id));
    }
    let two = stage("2");
    assert_eq!(two["commit"], hashes["2"].as_str());
    assert_eq!(two["message"], "(2) Returning HTML");
    assert_eq!(two["others"][0]["commit"], twin.as_str());
    assert_eq!(
        two["others"][0]["message"],
        "(2) Returning HTML - Fix Images"
    );
    assert!(
        two["others"][0]["why"]
            .as_str()
            .unwrap()
            .contains("only the README"),
        "{two:#}"
    );
    let bonus = stage("bonus");
    assert_eq!(bonus["commit"], hashes["5"].as_str());
    assert_eq!(bonus["found_in"], "5");
    assert!(
        bonus["details"]
            .as_str()
            .unwrap()
            .starts_with("no commit claims the bonus; found in the commit of stage 5"),
        "{bonus:#}"
    );
    assert!(stage("4")["why"].as_str().is_some(), "{:#}", stage("4"));
    // The README's section that counted, its words and its screenshot.
    let three = &stage("3")["readme"];
    assert_eq!(
        three["headings"],
        serde_json::json!(["Commit 3 Reflection notes"])
    );
    assert!(three["words"].as_u64().unwrap() >= 20, "{three:#}");
    assert_eq!(
        three["screenshot"],
        serde_json::json!({ "target": "assets/images/commit3.png", "in_repository": true })
    );
}
