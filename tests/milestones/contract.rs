//! The contract every milestone keeps (CONTRIBUTING.md): `mN [ADDR]`, one
//! `Listening on http://IP:PORT` line with the real port, HTML found from any
//! working directory, and a clear message when the address cannot be used.
//! From m2 on, `SLEEP_MS` shortens `/sleep` for the classroom tools.

use crate::support::{Server, binary, milestones};
use assert_cmd::Command;
use predicates::prelude::*;
use std::{
    net::TcpListener,
    time::{Duration, Instant},
};

#[test]
fn every_milestone_announces_its_real_port_and_serves_from_any_directory() {
    for milestone in milestones() {
        // start() checks the first line and runs the server from `/`.
        let server = Server::start(milestone);
        assert_ne!(server.addr.port(), 0, "{milestone} printed port 0");
        let response = server.get("/");
        assert_eq!(response.status_line(), "HTTP/1.1 200 OK", "{milestone}");
        assert!(response.body().contains("Hi from Rust"), "{milestone}");
    }
}

#[test]
fn every_milestone_explains_an_address_it_cannot_parse() {
    for milestone in milestones() {
        Command::new(binary(milestone))
            .arg("not-an-address")
            .assert()
            .code(1)
            .stdout("")
            .stderr(
                predicate::str::starts_with("error: cannot listen on not-an-address: ")
                    .and(predicate::str::contains("panicked").not()),
            );
    }
}

#[test]
fn every_milestone_says_what_to_do_when_the_address_is_in_use() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let said = |addr: &str| {
        format!(
            "error: cannot listen on {addr}: Address already in use (os error 98); \
             stop the server using it, or pass another address, e.g. 127.0.0.1:0\n"
        )
    };
    for milestone in milestones() {
        Command::new(binary(milestone))
            .arg(&addr)
            .assert()
            .code(1)
            .stdout("")
            .stderr(said(&addr));
    }
    // m1's chapter quotes the message for the default address.
    let chapter = std::fs::read_to_string(harness::repo_root().join("book/src/m1.md")).unwrap();
    assert!(
        chapter.contains(said("127.0.0.1:7878").trim_end()),
        "book/src/m1.md quotes another message than\n{}",
        said("127.0.0.1:7878")
    );
}

#[test]
fn sleep_ms_shortens_the_sleep_from_m2_on() {
    let with_sleep = harness::MILESTONES.iter().filter(|m| m.has_sleep());
    for milestone in with_sleep.map(|m| m.name) {
        let server = Server::start_with_env(milestone, &["127.0.0.1:0"], &[("SLEEP_MS", "300")]);
        let start = Instant::now();
        let response = server.get("/sleep");
        let took = start.elapsed();
        assert_eq!(response.status_line(), "HTTP/1.1 200 OK", "{milestone}");
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(3),
            "{milestone}: /sleep with SLEEP_MS=300 took {took:?}"
        );
    }
}

#[test]
fn the_contract_is_written_down_where_the_code_says() {
    let root = harness::repo_root();
    let contributing = std::fs::read_to_string(root.join("CONTRIBUTING.md"))
        .expect("CONTRIBUTING.md writes down the contract this file tests");
    let mut problems = Vec::new();

    // Every path and every test it names exists.
    for quoted in contributing.split('`').skip(1).step_by(2) {
        let path = quoted.split(':').next().unwrap_or_default();
        let is_path = ["milestones/", "tests/", "tools/", "book/"]
            .iter()
            .any(|p| path.starts_with(p))
            && !path.contains(['*', ' ', '…'])
            && !path.contains("mN"); // a placeholder for any milestone
        if is_path && !root.join(path).exists() {
            problems.push(format!(
                "CONTRIBUTING.md names {path}, which does not exist"
            ));
        }
        if let Some((module, test)) = quoted.split_once("::") {
            let file = root.join("tests/milestones").join(format!("{module}.rs"));
            let defined = std::fs::read_to_string(&file)
                .is_ok_and(|source| source.contains(&format!("fn {test}()")));
            if module.chars().all(|c| c.is_ascii_alphanumeric()) && !defined {
                problems.push(format!("CONTRIBUTING.md cites {quoted}, which is no test"));
            }
        }
    }

    // Every document at the root that a comment refers to exists: this
    // file's own first line once cited one that was never written.
    let mut sources = Vec::new();
    for dir in ["milestones", "tests", "tools"] {
        collect_rs(&root.join(dir), &mut sources);
    }
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let comments = text
            .lines()
            .filter_map(|line| line.split_once("//").map(|(_, c)| c));
        for word in comments
            .flat_map(|c| c.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_')))
        {
            let is_doc = word.ends_with(".md")
                && word.len() > 3
                && word[..word.len() - 3]
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_');
            let in_the_book = root.join("book/src").join(word).is_file();
            if is_doc && !in_the_book && !root.join(word).is_file() {
                problems.push(format!(
                    "{} names {word}, which does not exist",
                    path.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn collect_rs(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && !path.ends_with("target") {
            collect_rs(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_cargo_plugin_the_docs_name_can_be_installed_from_them() {
    // `cargo insta review` was named without a word on how to get it.
    const BUILT_IN: &[&str] = &[
        "add", "bench", "build", "check", "clean", "clippy", "doc", "fetch", "fmt", "init",
        "install", "metadata", "new", "run", "search", "test", "tree", "update",
    ];
    let root = harness::repo_root();
    let mut problems = Vec::new();
    for name in ["README.md", "CONTRIBUTING.md"] {
        let text = std::fs::read_to_string(root.join(name)).unwrap();
        for (at, _) in text.match_indices("cargo ") {
            let word: String = text[at + "cargo ".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            if word.is_empty() || BUILT_IN.contains(&word.as_str()) {
                continue;
            }
            let install = format!("cargo install cargo-{word} --locked --version ");
            let problem = format!("{name} names `cargo {word}`, but not `{install}…`");
            if !text.contains(&install) && !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
