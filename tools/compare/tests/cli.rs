//! The compare tool as students run it: a real process that builds and starts
//! real milestones. Every run here is tiny (short sleeps, few requests) so
//! the whole file takes a few seconds once the milestones are built.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::{
    fs,
    process::{Command as Process, Stdio},
    thread,
    time::{Duration, Instant},
};

/// Runs `compare ARGS --json` and returns the parsed report. The servers'
/// logs go to a temporary folder, removed on return.
fn report(args: &[&str]) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("compare")
        .unwrap()
        .args(args)
        .arg("--json")
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "compare {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "compare {args:?} --json printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// The result row of one milestone in one scenario.
fn row<'a>(report: &'a Value, milestone: &str, scenario: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["milestone"] == milestone && r["scenario"] == scenario)
        .unwrap_or_else(|| panic!("no {milestone} {scenario} row in {report:#}"))
}

/// These keys in the order serde_json keeps them: sorted.
fn sorted(keys: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    keys.sort();
    keys
}

#[test]
fn blocked_with_a_short_sleep_shows_m2_blocked_and_m3_not() {
    let report = report(&[
        "m2",
        "m3",
        "--scenario",
        "blocked",
        "--sleep-ms",
        "200",
        "--blockers",
        "1",
    ]);
    let m2 = &row(&report, "m2", "blocked")["metrics"];
    let m3 = &row(&report, "m3", "blocked")["metrics"];
    // m2 serves the fast request only after the 200 ms sleep; m3 at once.
    // The margins are wide: only the lesson is tested, not the machine.
    assert_eq!(m2["blocked"], true, "{report:#}");
    assert!(m2["wait_ms"].as_f64().unwrap() >= 150.0, "{report:#}");
    assert_eq!(m2["theory_ms"], 200.0);
    assert_eq!(m3["blocked"], false, "{report:#}");
    assert!(m3["wait_ms"].as_f64().unwrap() < 100.0, "{report:#}");
    assert_eq!(m3["theory_ms"], 0.0);
}

#[test]
fn the_settings_line_names_only_the_scenarios_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("compare")
        .unwrap()
        .args(["m3", "--scenario", "blocked", "--sleep-ms", "50"])
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("/sleep takes 50 ms (SLEEP_MS=50); pools: 4 workers; blocked: 4 /sleep"),
        "{first}"
    );
    for other in ["burst", "throughput", "memory"] {
        assert!(!first.contains(other), "{first}");
    }
}

#[test]
fn json_has_the_settings_and_one_row_per_milestone_and_scenario() {
    let report = report(&[
        "m3",
        "m1",
        "--sleep-ms",
        "100",
        "--blockers",
        "1",
        "--concurrency",
        "2",
        "--requests",
        "20",
        "--connections",
        "5",
        "--idle",
        "3",
        "--burst",
        "2",
    ]);
    let settings = &report["settings"];
    for (key, value) in [
        ("sleep_ms", 100),
        ("workers", 4),
        ("blockers", 1),
        ("concurrency", 2),
        ("requests", 20),
        ("rounds", 1),
        ("connections", 5),
        ("idle", 3),
    ] {
        assert_eq!(settings[key], value, "settings.{key} in {report:#}");
    }
    assert!(settings["duration_s"].is_null());
    assert!(settings["cpus"].as_u64().unwrap() >= 1);
    assert_eq!(
        report["scenarios"],
        serde_json::json!(["blocked", "burst", "idle", "throughput", "memory"])
    );
    let keys: Vec<_> = report.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, sorted(&["settings", "scenarios", "logs", "results"]));

    // Milestones in course order, each scenario in turn; every row has every key.
    let rows = report["results"].as_array().unwrap();
    let order: Vec<_> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["scenario"].as_str().unwrap(),
                r["milestone"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            "blocked m1",
            "blocked m3",
            "burst m1",
            "burst m3",
            "idle m1",
            "idle m3",
            "throughput m1",
            "throughput m3",
            "memory m1",
            "memory m3"
        ]
    );
    for r in rows {
        let keys: Vec<_> = r.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            sorted(&[
                "milestone",
                "model",
                "scenario",
                "outcome",
                "died_after",
                "note",
                "metrics"
            ])
        );
    }

    // m1 has no /sleep: the scenarios that need it skip it and say why.
    for scenario in ["blocked", "burst"] {
        let m1 = row(&report, "m1", scenario);
        assert_eq!(m1["outcome"], "skipped");
        assert_eq!(m1["note"], "no /sleep route");
        assert!(m1["metrics"].is_null());
    }

    let keys = |r: &Value| -> Vec<String> {
        // serde_json's maps are sorted by key.
        assert_eq!(r["outcome"], "ok", "{r:#}");
        r["metrics"].as_object().unwrap().keys().cloned().collect()
    };
    assert_eq!(
        keys(row(&report, "m3", "blocked")),
        sorted(&["blockers", "wait_ms", "theory_ms", "blocked"])
    );
    assert_eq!(
        keys(row(&report, "m3", "burst")),
        sorted(&["requests", "total_ms", "theory_ms", "ratio"])
    );
    for m in ["m1", "m3"] {
        let throughput = row(&report, m, "throughput");
        assert_eq!(
            keys(throughput),
            sorted(&[
                "concurrency",
                "requests",
                "errors",
                "seconds",
                "requests_per_second",
                "requests_per_second_by_round",
                "p50_ms",
                "p90_ms",
                "p99_ms",
                "max_ms",
                "server_cpu_us_per_request",
                "tool_cpu_us_per_request"
            ])
        );
        // A fixed count is exactly that count: no request lost or added.
        let metrics = &throughput["metrics"];
        assert_eq!(metrics["requests"], 20, "{metrics:#}");
        assert_eq!(metrics["errors"], 0, "{metrics:#}");
        assert!(metrics["p50_ms"].as_f64().unwrap() > 0.0);
        assert!(metrics["p50_ms"].as_f64() <= metrics["p99_ms"].as_f64());
        assert_eq!(
            keys(row(&report, m, "memory")),
            sorted(&[
                "connections",
                "baseline_kib",
                "peak_kib",
                "peak_virtual_kib",
                "peak_threads",
                "per_connection_kib"
            ])
        );
    }
    assert_eq!(
        keys(row(&report, "m3", "idle")),
        sorted(&["idle", "wait_ms", "limit_ms"])
    );
    // m3 answers at once beside idle connections.
    assert!(
        row(&report, "m3", "idle")["metrics"]["wait_ms"]
            .as_f64()
            .unwrap()
            < 1000.0
    );
    // m3 starts a thread per held connection; m1 never has more than one.
    let memory = |m| row(&report, m, "memory")["metrics"].clone();
    assert_eq!(memory("m1")["peak_threads"], 1);
    assert!(memory("m3")["peak_threads"].as_u64().unwrap() > 1);
}

#[test]
fn throughput_counts_the_cpu_time_of_the_server_and_of_the_tool() {
    let report = report(&[
        "m1",
        "--scenario",
        "throughput",
        "--requests",
        "3000",
        "--concurrency",
        "4",
    ]);
    let metrics = &row(&report, "m1", "throughput")["metrics"];
    assert_eq!(metrics["requests"], 3000, "{metrics:#}");
    // Each side spent some CPU on 3000 connections, and neither can have
    // spent more than the machine's CPUs had in the time the run took (plus
    // a clock tick, the unit in which Linux counts it).
    let cpus = report["settings"]["cpus"].as_f64().unwrap();
    let available_us = (metrics["seconds"].as_f64().unwrap() * cpus + 0.01) * 1e6;
    for side in ["server_cpu_us_per_request", "tool_cpu_us_per_request"] {
        let per_request = metrics[side]
            .as_f64()
            .unwrap_or_else(|| panic!("{metrics:#}"));
        assert!(per_request > 0.0, "{side} in {metrics:#}");
        assert!(
            per_request * 3000.0 <= available_us,
            "{side}: more CPU than the machine has, in {metrics:#}"
        );
    }
}

#[test]
fn each_server_writes_its_log_to_a_file_and_the_output_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let args = ["m7", "m8", "--scenario", "throughput", "--requests", "30"];
    let output = Command::cargo_bin("compare")
        .unwrap()
        .args(args)
        .arg("--logs")
        .arg(&logs)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.lines().nth(1),
        Some(
            format!(
                "Logs: each server's stderr is written to {}/MILESTONE-SCENARIO.log",
                logs.display()
            )
            .as_str()
        ),
        "{stdout}"
    );
    // m8 logs every request at its default level, in the file and nowhere
    // else; m7 logs only what goes wrong.
    let m8 = fs::read_to_string(logs.join("m8-throughput.log")).unwrap();
    let served = m8.lines().filter(|l| l.contains(" served ")).count();
    assert_eq!(served, 30, "{m8}");
    assert_eq!(
        fs::read_to_string(logs.join("m7-throughput.log")).unwrap(),
        ""
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains(" served "));

    // Without --logs, a new folder in the temporary directory, named in the
    // JSON and kept.
    let output = Command::cargo_bin("compare")
        .unwrap()
        .args([
            "m8",
            "--scenario",
            "throughput",
            "--requests",
            "5",
            "--json",
        ])
        .env("TMPDIR", dir.path())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let logs = std::path::PathBuf::from(report["logs"].as_str().unwrap());
    assert_eq!(logs.parent(), Some(dir.path()), "{report:#}");
    assert!(
        logs.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("compare-logs-")
    );
    let m8 = fs::read_to_string(logs.join("m8-throughput.log")).unwrap();
    assert_eq!(m8.lines().filter(|l| l.contains(" served ")).count(), 5);
}

#[test]
fn rounds_run_each_milestone_again_and_report_the_median() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let args = ["m7", "m8", "--scenario", "throughput", "--requests", "20"];
    let output = Command::cargo_bin("compare")
        .unwrap()
        .args(args)
        .args(["--rounds", "3", "--json", "--logs"])
        .arg(&logs)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["settings"]["rounds"], 3);
    // One row per milestone, with every round's requests.
    assert_eq!(report["results"].as_array().unwrap().len(), 2, "{report:#}");
    for m in ["m7", "m8"] {
        let metrics = &row(&report, m, "throughput")["metrics"];
        assert_eq!(metrics["requests"], 60, "{metrics:#}");
        let mut rates: Vec<f64> = metrics["requests_per_second_by_round"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_f64().unwrap())
            .collect();
        rates.sort_by(f64::total_cmp);
        assert_eq!(rates.len(), 3, "{metrics:#}");
        assert_eq!(metrics["requests_per_second"], rates[1], "{metrics:#}");
    }
    // A fresh process for every round, whose log replaces the round
    // before's: the log is as big as one round's.
    let m8 = fs::read_to_string(logs.join("m8-throughput.log")).unwrap();
    assert_eq!(m8.lines().filter(|l| l.contains(" served ")).count(), 20);
    assert_eq!(m8.lines().filter(|l| l.contains(" listening ")).count(), 1);
    assert_eq!(fs::read_dir(&logs).unwrap().count(), 2);
}

#[test]
fn a_log_folder_that_cannot_be_made_is_one_line() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let output = Command::cargo_bin("compare")
        .unwrap()
        .args(["m1", "--scenario", "idle", "--logs"])
        .arg(file.path().join("logs"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: cannot create {}/logs: ",
            file.path().display()
        )),
        "{stderr}"
    );
}

#[test]
fn throughput_ends_with_the_last_answer_not_when_the_progress_loop_looks() {
    // One request takes a millisecond or so; the loop that shows progress
    // looks every 50 ms, and a run timed by it lasted 50 ms at least.
    let report = report(&["m1", "--scenario", "throughput", "--requests", "1"]);
    let metrics = &row(&report, "m1", "throughput")["metrics"];
    assert_eq!(metrics["requests"], 1, "{metrics:#}");
    assert!(metrics["seconds"].as_f64().unwrap() < 0.04, "{metrics:#}");
}

/// The process ids of the running children of `parent` named `name`.
fn children_named(parent: u32, name: &str) -> Vec<u32> {
    procfs::process::all_processes()
        .unwrap()
        .flatten()
        .filter_map(|process| process.stat().ok())
        .filter(|stat| stat.comm == name && stat.ppid == parent as i32)
        .map(|stat| stat.pid as u32)
        .collect()
}

/// The process id of the child named `name` that `parent` starts, once it
/// has started (the tool builds the milestones first).
fn started_child(parent: u32, name: &str) -> u32 {
    let start = Instant::now();
    loop {
        if let Some(&pid) = children_named(parent, name).first() {
            return pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "compare never started {name}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_milestone_that_dies_is_a_result_and_the_next_one_still_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let compare = Process::new(env!("CARGO_BIN_EXE_compare"))
        .env("TMPDIR", tmp.path())
        .args([
            "m1",
            "m3",
            "--scenario",
            "throughput",
            "--duration",
            "2",
            "--concurrency",
            "2",
        ])
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the tool to build and start m1, let it serve a while, then
    // kill it the hard way, as a panic would end it.
    let m1 = started_child(compare.id(), "m1");
    thread::sleep(Duration::from_millis(500));
    let killed = Process::new("kill")
        .args(["-KILL", &m1.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    let output = compare.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "a dead milestone is no failure of the tool"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let m1 = row(&report, "m1", "throughput");
    assert_eq!(m1["outcome"], "died", "{m1:#}");
    assert!(m1["died_after"].as_u64().unwrap() > 0, "{m1:#}");
    assert_eq!(m1["note"], "killed by signal 9");
    assert!(m1["metrics"].is_null());
    let m3 = row(&report, "m3", "throughput");
    assert_eq!(m3["outcome"], "ok", "{m3:#}");
}

/// Whether process `pid` has ended: gone, or a zombie nobody reaped yet.
fn has_ended(pid: u32) -> bool {
    match procfs::process::Process::new(pid as i32).and_then(|p| p.stat()) {
        Err(_) => true,
        Ok(stat) => stat.state == 'Z',
    }
}

#[test]
fn a_killed_tool_leaves_no_milestone_running() {
    let tmp = tempfile::tempdir().unwrap();
    let mut compare = Process::new(env!("CARGO_BIN_EXE_compare"))
        .env("TMPDIR", tmp.path())
        .args(["m6", "--scenario", "throughput", "--duration", "60"])
        .args(["--concurrency", "1", "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let m6 = started_child(compare.id(), "m6");
    // SIGKILL: the tool gets no chance to stop its server itself. (m6, as
    // m1 would die anyway of the connections the dead tool abandons.)
    compare.kill().unwrap();
    compare.wait().unwrap();
    let killed = Instant::now();
    while !has_ended(m6) {
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "m6 (pid {m6}) still runs after compare was killed"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// `compare ARGS` must fail with exit 2 and exactly one line on stderr that
/// contains `expected`.
fn misuse(args: &[&str], expected: &str) {
    let output = Command::cargo_bin("compare")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "compare {args:?}: {stderr}");
    assert!(
        output.stdout.is_empty(),
        "compare {args:?} printed on stdout"
    );
    assert_eq!(stderr.lines().count(), 1, "compare {args:?}:\n{stderr}");
    assert!(stderr.starts_with("error: "), "compare {args:?}: {stderr}");
    assert!(stderr.contains(expected), "compare {args:?}: {stderr}");
}

#[test]
fn bad_arguments_get_one_line_and_exit_2() {
    misuse(&["m9"], "no milestone named 'm9'; choose one of: m1 m2 m3");
    misuse(&["--scenario", "fast"], "invalid value 'fast'");
    misuse(
        &["--scenario", "fast"],
        "blocked, burst, idle, throughput, memory",
    );
    misuse(&["--concurrency", "0"], "--concurrency");
    misuse(&["--sleep-ms", "soon"], "--sleep-ms");
    misuse(&["--duration", "0"], "more than 0 and at most 600");
    misuse(
        &["--duration", "2", "--requests", "10"],
        "cannot be used with",
    );
    misuse(&["--fast"], "unexpected argument '--fast'");
    misuse(&["--rounds", "0"], "--rounds");
    misuse(
        &["bench", "m9"],
        "no milestone named 'm9'; choose one of: m1 m2 m3",
    );
    misuse(&["bench"], "<MILESTONE>");
}

/// A stand-in for oha in a folder of its own: prints its arguments and
/// exits 3. Put the folder first on PATH ([`with_first_on_path`]).
fn fake_oha() -> tempfile::TempDir {
    fake_oha_doing("echo \"oha got: $*\"\nexit 3")
}

/// A stand-in for oha that runs this bash script, which finds the URL's
/// host in `$host` and its port in `$port`.
fn fake_oha_doing(script: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let oha = dir.path().join("oha");
    let url = "url=\"${@: -1}\"; url=${url#http://}; url=${url%/}; host=${url%:*}; port=${url##*:}";
    fs::write(&oha, format!("#!/bin/bash\n{url}\n{script}\n")).unwrap();
    fs::set_permissions(&oha, fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// PATH with `dir` first.
fn with_first_on_path(dir: &std::path::Path) -> std::ffi::OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&path)))
        .unwrap()
}

#[test]
fn bench_runs_oha_against_the_milestone_and_exits_as_oha_does() {
    let oha = fake_oha();
    Command::cargo_bin("compare")
        .unwrap()
        .args(["bench", "m4", "--", "-n", "20", "-c", "2"])
        .env("PATH", with_first_on_path(oha.path()))
        .assert()
        .code(3)
        .stdout(
            predicate::str::is_match(
                "^oha --disable-keepalive -n 20 -c 2 http://127.0.0.1:[0-9]+/ \\(m4, release build\\)\n\
                 Log: m4's stderr is written to [^\n]+/compare-logs-[^/\n]+/m4-bench.log\n\
                 oha got: --disable-keepalive --no-tui -n 20 -c 2 http://127.0.0.1:[0-9]+/\n\
                 CPU time: oha [0-9.]+ s user \\+ [0-9.]+ s system\n\
                 CPU time: m4 [0-9.]+ s \\(user \\+ system\\)\n$",
            )
            .unwrap(),
        );
}

#[test]
fn bench_writes_the_milestone_s_log_to_a_file_not_the_terminal() {
    // Three requests, as oha would send them.
    let oha = fake_oha_doing(
        "for i in 1 2 3; do\n\
         exec 3<>/dev/tcp/$host/$port\n\
         printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' >&3\n\
         cat <&3 >/dev/null\n\
         exec 3<&-\n\
         done",
    );
    let tmp = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("compare")
        .unwrap()
        .args(["bench", "m8", "--", "-n", "3"])
        .env("PATH", with_first_on_path(oha.path()))
        .env("TMPDIR", tmp.path())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stdout.contains(" served ") && !stderr.contains(" served "),
        "{output:?}"
    );
    let log = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Log: m8's stderr is written to "))
        .unwrap_or_else(|| panic!("no Log line in {stdout}"));
    assert!(log.starts_with(&tmp.path().display().to_string()), "{log}");
    let log = fs::read_to_string(log).unwrap();
    assert_eq!(
        log.lines().filter(|l| l.contains(" served ")).count(),
        3,
        "{log}"
    );
}

#[test]
fn bench_says_what_killed_a_milestone_that_died() {
    // A connection that sends nothing: m1 reads no request line and panics.
    // Like a real run, the fake one ends after the server has died (on a
    // loaded machine m1 may take a while to accept): it waits, 10 s at
    // most, until the port refuses connections.
    let oha = fake_oha_doing(
        "exec 3<>/dev/tcp/$host/$port\nexec 3<&-\n\
         for _ in $(seq 200); do\n\
             (exec 3<>/dev/tcp/$host/$port) 2>/dev/null || break\n\
             sleep 0.05\n\
         done",
    );
    let tmp = tempfile::tempdir().unwrap();
    Command::cargo_bin("compare")
        .unwrap()
        .args(["bench", "m1"])
        .env("PATH", with_first_on_path(oha.path()))
        .env("TMPDIR", tmp.path())
        .assert()
        .success()
        // After whatever Cargo said while building.
        .stderr(predicate::str::ends_with(
            "\nnote: m1 died during the run: \
             panicked: called `Option::unwrap()` on a `None` value\n",
        ));
}

#[test]
fn bench_without_oha_says_how_to_install_it() {
    if ["/usr/bin/oha", "/bin/oha"]
        .iter()
        .any(|p| std::path::Path::new(p).exists())
    {
        eprintln!("note: oha is installed system-wide; cannot hide it");
        return;
    }
    // Before building anything: PATH has no Cargo either.
    Command::cargo_bin("compare")
        .unwrap()
        .args(["bench", "m1"])
        .env("PATH", "/usr/bin:/bin")
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            "error: oha is not installed; install it with: \
             cargo install oha --locked --version 1.16.0\n",
        );
}

#[test]
fn help_lists_the_scenarios_and_exits_0() {
    Command::cargo_bin("compare")
        .unwrap()
        .arg("--help")
        .assert()
        .success()
        .stdout(
            predicates::str::contains("throughput").and(predicates::str::contains("--sleep-ms")),
        );
}

#[test]
fn markdown_and_svg_outputs_hold_a_table_and_a_chart_per_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let markdown = dir.path().join("results/results.md");
    let charts = dir.path().join("charts");
    Command::cargo_bin("compare")
        .unwrap()
        .args([
            "m2",
            "m3",
            "--scenario",
            "blocked,memory",
            "--sleep-ms",
            "20",
        ])
        .args(["--blockers", "1", "--connections", "3", "--markdown"])
        .arg(&markdown)
        .arg("--svg")
        .arg(&charts)
        .arg("--logs")
        .arg(dir.path().join("logs"))
        .assert()
        .success();

    let text = fs::read_to_string(&markdown).unwrap();
    // The book includes each table by its anchor.
    for anchor in ["settings", "blocked", "memory"] {
        assert!(text.contains(&format!("\n// ANCHOR: {anchor}\n")), "{text}");
        assert!(
            text.contains(&format!("\n// ANCHOR_END: {anchor}\n")),
            "{text}"
        );
    }
    assert!(text.contains("| m2 | one thread | "), "{text}");
    assert!(text.contains("| blocked |"), "{text}");
    assert!(text.contains("| not blocked |"), "{text}");
    assert!(
        !text.contains("ANCHOR: burst"),
        "only the chosen scenarios: {text}"
    );

    let mut files: Vec<_> = fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["blocked.svg", "memory.svg"]);
    let svg = fs::read_to_string(charts.join("blocked.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(
        svg.contains(">\nm2\n</text>") || svg.contains(">m2</text>"),
        "{svg}"
    );
    assert!(svg.contains("theory"));
}

#[test]
fn a_burst_runs_once_per_size_and_skips_what_its_theory_says_is_too_long() {
    let report = report(&[
        "m2",
        "m7",
        "--scenario",
        "burst",
        "--sleep-ms",
        "100",
        "--burst",
        "3,200",
        "--max-seconds",
        "5",
    ]);
    let rows: Vec<(String, u64, String)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["milestone"].as_str().unwrap().to_string(),
                r["metrics"]["requests"].as_u64().unwrap(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("m2", 3, "ok"),
        ("m7", 3, "ok"),
        ("m2", 200, "skipped"),
        ("m7", 200, "ok"),
    ];
    let expected: Vec<(String, u64, String)> = expected
        .iter()
        .map(|(m, n, o)| (m.to_string(), *n, o.to_string()))
        .collect();
    assert_eq!(rows, expected);
    let skipped = &report["results"][2];
    // One thread: 200 sleeps of 100 ms, one after the other.
    assert_eq!(skipped["metrics"]["theory_ms"], 20000.0);
    assert!(skipped["metrics"]["total_ms"].is_null());
    assert_eq!(
        skipped["note"],
        "200 × /sleep would take 20 s in theory, over --max-seconds 5"
    );
    // A task per connection: 200 sleeps take about one.
    let m7 = &report["results"][3]["metrics"];
    assert!(m7["total_ms"].as_f64().unwrap() < 2000.0, "{m7}");
}
