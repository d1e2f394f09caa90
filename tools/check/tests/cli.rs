//! `check` as a student or a teacher types it: against our own milestones
//! (each passes its own checks), a server already running, and misuse.

use assert_cmd::Command;
use harness::{MILESTONES, Process};
use predicates::prelude::*;
use std::{net::TcpListener, time::Duration};

fn check() -> Command {
    Command::cargo_bin("check").unwrap()
}

/// Every milestone passes its own checks: each milestone's tests run them
/// (tests/milestones/checks.rs). Here, as the command line shows it.
#[test]
fn our_m6_passes_its_own_checks() {
    let count = check::checks::of(harness::milestones::find("m6").unwrap()).len();
    check().arg("m6").assert().code(0).stdout(
        predicate::str::starts_with("Building m6 …\nChecking m6 against our m6 (milestones/m6)\n")
            .and(predicate::str::contains(
                "✓ shutdown           Ctrl-C: the /sleep in flight got its page",
            ))
            .and(predicate::str::ends_with(format!(
                "{count} passed, 0 failed\n"
            )))
            .and(predicate::str::contains("✗").not()),
    );
}

#[test]
fn json_lists_every_check_with_its_status() {
    let output = check().args(["m2", "--json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["milestone"], "m2");
    // A milestone's checks, not a stage's (tests/stages.rs).
    assert_eq!(report["stage"], serde_json::Value::Null);
    assert_eq!(report["subject"]["sleep_ms"], 1000);
    assert_eq!(report["error"], serde_json::Value::Null);
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["root", "not-found", "sleep", "blocks"]);
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "pass")
    );
    assert_eq!(report["passed"], 4);
    assert_eq!(report["failed"], 0);
}

#[test]
fn a_check_is_selected_by_name_with_what_it_needs() {
    check().args(["m4", "pool-size"]).assert().code(0).stdout(
        predicate::str::contains("✓ sleep")
            .and(predicate::str::contains("✓ pool-size"))
            .and(predicate::str::contains("root").not())
            .and(predicate::str::contains("measured:  4 of 9 /sleep"))
            .and(predicate::str::contains(
                "theory:    a pool of 4: 4 at once",
            )),
    );
}

#[test]
fn a_running_server_is_checked_at_its_address() {
    let mut command = std::process::Command::new(check::cargo::build_milestone("m3").unwrap());
    command.arg("127.0.0.1:0").env("SLEEP_MS", "700");
    let mut server = Process::spawn(command).unwrap();
    let addr = server.listening_line(Duration::from_secs(30)).unwrap();
    check()
        .args(["m3", "--addr", &addr.to_string()])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains(format!("Checking m3 against the server on {addr}\n"))
                .and(predicate::str::contains("4 passed, 0 failed")),
        );
    // The checker never sent an empty connection: m3's threads did not panic.
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
    server.kill();
}

#[test]
fn shutdown_is_not_run_against_a_server_the_checker_did_not_start() {
    let mut command = std::process::Command::new(check::cargo::build_milestone("m6").unwrap());
    command.arg("127.0.0.1:0").env("SLEEP_MS", "700");
    let mut server = Process::spawn(command).unwrap();
    let addr = server.listening_line(Duration::from_secs(30)).unwrap();
    check()
        .args(["m6", "--addr", &addr.to_string(), "shutdown", "bad-request"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("- shutdown           not run: it sends Ctrl-C")
                .and(predicate::str::contains("✓ bad-request")),
        );
    server.kill();
}

#[test]
fn nothing_listening_at_the_address_is_exit_2_in_one_line() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    check()
        .args(["m1", "--addr", &format!("127.0.0.1:{port}")])
        .assert()
        .code(2)
        .stdout(format!(
            "✗ nothing listens on 127.0.0.1:{port}: start your server first (`cargo run` in \
             your crate), or check our own milestone with `just check MILESTONE`\n"
        ));
}

#[test]
fn misuse_is_one_line_and_exit_2() {
    let names: Vec<&str> = MILESTONES.iter().map(|m| m.name).collect();
    for (args, message) in [
        (
            vec!["m99"],
            format!(
                "error: no milestone or stage named 'm99'; choose a milestone ({}) or a stage \
                 of the module (1 2 3 4 5 bonus)\n",
                names.join(" ")
            ),
        ),
        (
            vec!["m4", "shutdown"],
            "error: m4 has no check named 'shutdown'; its checks: root not-found sleep \
             parallel pool-size\n"
                .to_string(),
        ),
        (
            vec!["m1", "--addr", "nowhere"],
            "error: --addr \"nowhere\" is not HOST:PORT, e.g. 127.0.0.1:7878\n".to_string(),
        ),
        (
            vec!["m1", "--repo", "/nonexistent/crate"],
            "error: /nonexistent/crate has no Cargo.toml: give the folder of your crate, e.g. \
             --repo ~/advprog-modul6\n"
                .to_string(),
        ),
    ] {
        check()
            .args(&args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(message);
    }
    check()
        .args(["m1", "--repo", "/tmp", "--addr", "127.0.0.1:1"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::starts_with("error: the argument '--repo <DIR>' cannot be used with")
                .and(predicate::str::ends_with("see `just check --help`\n"))
                .and(predicate::str::contains("\n").count(1)),
        );
}

#[test]
fn a_closed_stdout_ends_it_quietly() {
    // `just check … | head -n1`: the reader is gone before the output.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_check"))
        .args(["m1", "--json", "--addr", "127.0.0.1:1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
}

/// Stage 1's only check reads what the server prints, which a server the
/// checker did not start keeps to itself: with --addr nothing is checked,
/// and that is not a pass.
#[test]
fn a_stage_with_nothing_to_check_against_addr_is_not_a_pass() {
    let mut command = std::process::Command::new(check::cargo::build_milestone("m1").unwrap());
    command.arg("127.0.0.1:0");
    let mut server = Process::spawn(command).unwrap();
    let addr = server.listening_line(Duration::from_secs(30)).unwrap();
    check()
        .args(["1", "--addr", &addr.to_string()])
        .assert()
        .code(2)
        .stdout(
            predicate::str::contains(
                "- prints-request     not run: it reads what the server prints",
            )
            .and(predicate::str::ends_with(
                "0 passed, 0 failed, 1 not run: nothing was checked\n",
            )),
        );
    server.kill();
}
