//! m3: a thread per connection. Slow requests no longer block fast ones, and
//! a panic ends one connection's thread instead of the server.

use crate::support::Server;
use std::time::{Duration, Instant};

#[test]
fn root_is_the_hello_page() {
    let server = Server::start("m3");
    insta::assert_snapshot!("root", server.get("/").escaped());
}

#[test]
fn sleep_is_the_hello_page_after_five_seconds() {
    let server = Server::start("m3");
    insta::assert_snapshot!("sleep", server.get_sleep().escaped());
}

#[test]
fn unknown_path_is_not_found() {
    let server = Server::start("m3");
    insta::assert_snapshot!("not_found", server.get("/unknown").escaped());
}

#[test]
fn fast_request_does_not_wait_behind_sleeps() {
    let server = Server::start("m3");
    let slow: Vec<_> = (0..3).map(|_| server.get_in_background("/sleep")).collect();

    let start = Instant::now();
    let fast = server.get("/");
    let waited = start.elapsed();

    assert_eq!(fast.status_line(), "HTTP/1.1 200 OK");
    assert!(waited < Duration::from_secs(2), "GET / took {waited:?}");
    for request in slow {
        assert_eq!(request.wait().0.status_line(), "HTTP/1.1 200 OK");
    }
}

#[test]
fn concurrent_sleeps_finish_in_about_one_sleep() {
    let server = Server::start("m3");
    let start = Instant::now();
    let requests: Vec<_> = (0..6).map(|_| server.get_in_background("/sleep")).collect();
    for request in requests {
        assert_eq!(request.wait().0.status_line(), "HTTP/1.1 200 OK");
    }
    // One after the other they would take 30 s.
    let took = start.elapsed();
    assert!(took < Duration::from_secs(9), "6 sleeps took {took:?}");
}

#[test]
fn empty_connection_kills_only_its_thread() {
    let server = Server::start("m3");
    drop(server.connect()); // connect and hang up without a byte

    server.wait_for_stderr("called `Option::unwrap()` on a `None` value");
    assert_eq!(server.get("/").status_line(), "HTTP/1.1 200 OK");
}

#[test]
fn passes_the_checks_of_m3() {
    crate::checks::assert_passes_its_checks("m3");
}

/// The error codes rustc reports for `source`, compiled as m3's `main.rs`.
fn compiler_errors(name: &str, source: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("m3-exercise-3");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.rs"));
    std::fs::write(&file, source).unwrap();
    let rustc = std::env::var("RUSTC").unwrap_or("rustc".to_string());
    let output = std::process::Command::new(rustc)
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "bin",
            "--emit",
            "metadata",
        ])
        .arg("--out-dir")
        .arg(&dir)
        .arg(&file)
        .env(
            "CARGO_MANIFEST_DIR",
            harness::repo_root().join("milestones/m3"),
        )
        .output()
        .expect("rustc runs");
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|line| line.strip_prefix("error["))
        .map(|rest| rest.split(']').next().unwrap().to_string())
        .collect()
}

#[test]
fn exercise_3_is_one_error_that_move_fixes() {
    // book/src/m3.md, exercise 3: borrow the stream in handle_connection.
    let m3 =
        std::fs::read_to_string(harness::repo_root().join("milestones/m3/src/main.rs")).unwrap();
    let change = |source: &str, from: &str, to: &str| {
        assert!(source.contains(from), "m3's main.rs has no {from:?}");
        source.replace(from, to)
    };
    let borrowed = change(
        &m3,
        "fn handle_connection(mut stream: TcpStream) {",
        "fn handle_connection(mut stream: &TcpStream) {",
    );
    let borrowed = change(
        &borrowed,
        "handle_connection(stream);",
        "handle_connection(&stream);",
    );
    let exercise = change(
        &borrowed,
        "BufReader::new(&stream)",
        "BufReader::new(stream)",
    );
    assert_eq!(compiler_errors("exercise", &exercise), ["E0373"]);
    let fixed = change(&exercise, "thread::spawn(|| {", "thread::spawn(move || {");
    assert_eq!(compiler_errors("fixed", &fixed), Vec::<String>::new());
    // Without the change to BufReader::new, `move` alone is not enough.
    let without = change(&borrowed, "thread::spawn(|| {", "thread::spawn(move || {");
    assert_eq!(compiler_errors("without", &without), ["E0277", "E0599"]);
}
