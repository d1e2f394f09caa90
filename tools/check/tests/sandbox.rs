//! `check --repo` against crates that attack the machine that checks them:
//! a build script and a server that try to read and write outside their
//! crate, reach a listener on the host's loopback, leave a `setsid` process
//! behind, fork without end and write a file without end. Each attack is
//! run twice: with the hidden `--unsandboxed`, where it must succeed (so
//! that the test can see it), and in the sandbox, where it must fail.

use assert_cmd::Command;
use harness::attack::{Targets, write_crate};
use predicates::prelude::*;
use std::{
    fs,
    path::Path,
    time::{Duration, Instant},
};

fn check(milestone: &str, dir: &Path) -> Command {
    let mut command = Command::cargo_bin("check").unwrap();
    command
        .args([milestone, "--repo"])
        .arg(dir)
        .timeout(Duration::from_secs(240));
    command
}

fn report(dir: &Path, who: &str) -> String {
    fs::read_to_string(dir.join(format!("report-{who}.txt"))).unwrap_or_default()
}

/// The number after `forked: ` in a report.
fn forked(report: &str) -> u32 {
    report
        .lines()
        .find_map(|l| l.strip_prefix("forked: "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no fork count in {report:?}"))
}

#[test]
fn without_the_sandbox_every_attack_succeeds() {
    let targets = Targets::new("off");
    // The build script's daemon holds cargo's output open, so that crate's
    // build hangs and its server never runs: the server attacks from a
    // crate of its own.
    let builder = targets.attacking_crate("builder", &["build"]);
    let server = targets.attacking_crate("server", &["server"]);
    let start = Instant::now();
    let run = |dir: &Path| {
        let output = check("m1", dir)
            .args(["--unsandboxed", "--build-timeout", "20"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let built = run(&builder);
    let hung = start.elapsed() >= Duration::from_secs(20);
    let served = run(&server);
    assert!(
        built.starts_with("sandbox: off (turned off by --unsandboxed"),
        "{built}"
    );
    let (build, server) = (report(&builder, "build"), report(&server, "server"));
    let mut seen = Vec::new();
    for who in ["build", "server"] {
        for path in targets.written(who) {
            seen.push((format!("{} written", path.display()), path.exists()));
        }
    }
    for (who, report) in [("build", &build), ("server", &server)] {
        seen.push((
            format!("{who}: a classmate's file read"),
            report.contains("secret.txt: read"),
        ));
        seen.push((
            format!("{who}: the course read"),
            report.contains("README.md: read"),
        ));
        seen.push((
            format!("{who}: 1000 processes forked"),
            forked(report) == 1000,
        ));
        seen.push((
            format!("{who}: a 3 GiB file written"),
            report.contains("3 GiB file: true"),
        ));
    }
    // The server runs in the checker's private network even so: only the
    // build reaches the host.
    seen.push((
        "build: the host reached".into(),
        build.contains(": connected"),
    ));
    seen.push(("a connection accepted".into(), targets.connected()));
    seen.push((
        "setsid processes left".into(),
        targets.leftovers().len() >= 2,
    ));
    // The daemon held cargo's output open: the build waited for its limit.
    seen.push((
        "the build hung".into(),
        hung && built.contains("did not finish within 20 s"),
    ));
    seen.push((
        "the server was checked".into(),
        served.ends_with("2 passed, 0 failed\n"),
    ));
    targets.clean();
    let missed: Vec<&str> = seen
        .iter()
        .filter(|(_, happened)| !happened)
        .map(|(what, _)| what.as_str())
        .collect();
    assert!(
        missed.is_empty(),
        "without the sandbox, not seen: {missed:?}\n{built}\n{served}\n{build}\n{server}"
    );
}

#[test]
fn in_the_sandbox_every_attack_fails() {
    let targets = Targets::new("on");
    let dir = targets.attacking_crate("student", &["build", "server"]);
    let start = Instant::now();
    let output = check("m1", &dir)
        .args(["--build-timeout", "120"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let elapsed = start.elapsed();
    let (build, server) = (report(&dir, "build"), report(&dir, "server"));
    let leftovers = targets.leftovers();
    let connected = targets.connected();
    targets.clean();
    assert!(
        stdout.starts_with("sandbox: files ✓ network ✓ processes ✓ resources ✓ rights ✓\n"),
        "this machine gives every protection: {stdout}"
    );
    // The attacks ran, and the crate was checked as usual.
    assert!(stdout.ends_with("2 passed, 0 failed\n"), "{stdout}");
    assert!(!build.is_empty() && !server.is_empty(), "{build}{server}");
    for who in ["build", "server"] {
        for path in targets.written(who) {
            assert!(!path.exists(), "{} was written", path.display());
        }
    }
    for report in [&build, &server] {
        assert!(!report.contains(": read\n"), "{report}");
        assert!(!report.contains(": wrote\n"), "{report}");
        assert!(report.contains("connect 127.0.0.1:"), "{report}");
        assert!(!report.contains(": connected\n"), "{report}");
        assert!(report.contains("3 GiB file: false"), "{report}");
        assert!(report.contains("own /proc: allowed"), "{report}");
    }
    assert!(!connected, "something reached the host's loopback");
    assert!(leftovers.is_empty(), "processes left: {leftovers:?}");
    // Bounded: the server may run 512 processes, the build 1024.
    assert!(forked(&server) < 512, "{server}");
    assert!(forked(&build) < 1024, "{build}");
    // The daemon died with the build: no wait for the time limit.
    assert!(elapsed < Duration::from_secs(100), "took {elapsed:?}");
}

#[test]
fn a_dependency_is_fetched_then_built_offline() {
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join("student");
    let main = harness::student::main_rs("3", 0).replace(
        "    let length = contents.len();\n",
        "    let length = contents.len();\n    let mut digits = itoa::Buffer::new();\n    \
         let _ = digits.format(length);\n",
    );
    assert!(main.contains("itoa::Buffer"));
    write_crate(&dir, &main, "itoa = \"1\"\n");
    check("m1", &dir)
        .assert()
        .code(0)
        .stdout(predicate::str::ends_with("2 passed, 0 failed\n"));
}

#[test]
fn a_dependency_that_does_not_exist_is_one_line() {
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join("student");
    write_crate(
        &dir,
        &harness::student::main_rs("3", 0),
        "no-such-crate-for-the-course-sandbox = \"1\"\n",
    );
    check("m1", &dir).assert().code(2).stdout(
        predicate::str::is_match(
            "\n✗ your crate does not build: its dependencies could not be fetched: error: [^\n]*\
             no-such-crate-for-the-course-sandbox[^\n]*\n$",
        )
        .unwrap(),
    );
}

#[test]
fn the_first_line_and_the_json_say_which_protections_hold() {
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join("student");
    write_crate(&dir, &harness::student::main_rs("3", 0), "");
    let output = check("m1", &dir).arg("--json").output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let in_force = |name: &str| serde_json::json!({ "name": name, "in_force": true });
    assert_eq!(
        report["sandbox"],
        serde_json::json!(["files", "network", "processes", "resources", "rights"].map(in_force))
    );
    check("m1", &dir)
        .arg("--require-sandbox")
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "sandbox: files ✓ network ✓ processes ✓ resources ✓ rights ✓\nBuilding the crate in ",
        ));
}

/// `check` as an ordinary user on a machine that allows no more user
/// namespaces: a user namespace of the test's own, where the checker runs
/// as user 1000 and `user.max_user_namespaces` is used up.
fn without_namespaces(args: &[&str]) -> Option<std::process::Output> {
    let check = assert_cmd::cargo::cargo_bin("check");
    let script = "echo 1 > /proc/sys/user/max_user_namespaces && \
                  exec unshare --user --map-user=1000 --map-group=1000 \"$@\"";
    let output = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "sh", "-c", script, "sh"])
        .arg(check)
        .args(args)
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !stdout.starts_with("sandbox: ") {
        eprintln!(
            "note: this machine cannot make the test's user namespaces ({}); test skipped",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        return None;
    }
    Some(output)
}

#[test]
fn where_namespaces_are_refused_the_first_line_says_so_and_require_sandbox_exits_2() {
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join("student");
    write_crate(&dir, &harness::student::main_rs("3", 0), "");
    let dir = dir.to_str().unwrap();
    let Some(output) = without_namespaces(&["m1", "--repo", dir, "--require-sandbox"]) else {
        return;
    };
    let refused = "sandbox: files ✓ network ✗ (no network namespace: user namespaces are \
                   disabled here (user.max_user_namespaces is reached)) processes ✗ (no PID \
                   namespace: user namespaces are disabled here (user.max_user_namespaces is \
                   reached)) resources ✓ rights ✓\n";
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!(
            "{refused}✗ --require-sandbox: not every protection of the sandbox holds here \
             (see the sandbox line), so the crate was not built\n"
        )
    );
    assert!(!Path::new(dir).join("target").exists(), "it built");
    // Without --require-sandbox it checks all the same, on this machine's
    // network, and says so: what macOS, which has no network namespace,
    // does too (with its own reason in the note).
    let output = without_namespaces(&["m1", "--repo", dir]).unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with(refused), "{stdout}");
    assert!(
        stdout.contains(&format!("\nChecking m1 against the crate in {dir}\n")),
        "not on this machine's network: {stdout}"
    );
    assert!(stdout.ends_with("2 passed, 0 failed\n"), "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let note = stderr
        .lines()
        .find(|l| l.starts_with("note: no private network here ("))
        .unwrap_or_else(|| panic!("no note: {stderr}"));
    assert!(
        note.ends_with(
            "): your server runs on this machine's network, where its port must be free"
        ),
        "{note}"
    );
}
