//! The program outputs the book quotes come from real runs.
//!
//! Each test here runs a milestone the way a chapter shows, reads that
//! chapter's block, and compares the lines the program printed with the
//! lines the book shows, after [`normalise`] has replaced what varies from
//! run to run (the port, a thread's id) by the values the book shows.
//!
//! [`every_quoted_output_is_reproduced`] is the guard: every ```console and
//! ```text block of the chapters, and every panic line quoted in prose, is
//! either reproduced by a test named in [`REPRODUCED`], included from a
//! recorded file that a test regenerates ([`RECORDED`]), or is named in
//! [`NOT_YET_REPRODUCED`]; a new one fails the guard, naming its file:line.

use std::{
    fs,
    net::{SocketAddr, TcpListener},
    path::PathBuf,
    time::Duration,
};

use crate::support::{Server, command};

/// A block of the book: its chapter, the line of its opening fence, and its
/// lines with the list indentation and `> ` quote markers removed.
struct Block {
    chapter: &'static str,
    line: usize,
    lines: Vec<String>,
}

fn src_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("book/src")
}

/// Every ```console and ```text block of `chapter` (a path under book/src).
fn blocks(chapter: &'static str) -> Vec<Block> {
    let text = fs::read_to_string(src_dir().join(chapter))
        .unwrap_or_else(|e| panic!("cannot read book/src/{chapter}: {e}"));
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String, Vec<String>)> = None;
    for (i, raw) in text.lines().enumerate() {
        let unquoted = raw
            .strip_prefix("> ")
            .or(raw.strip_prefix(">"))
            .unwrap_or(raw);
        let trimmed = unquoted.trim_start();
        let indent = unquoted.len() - trimmed.len();
        match &mut open {
            None => {
                if trimmed == "```console" || trimmed == "```text" {
                    open = Some((i + 1, " ".repeat(indent), Vec::new()));
                } else if trimmed.starts_with("```") && trimmed.len() > 3 {
                    // Another language: skip to its end as one unit.
                    open = Some((0, " ".repeat(indent), Vec::new()));
                }
            }
            Some((line, prefix, lines)) => {
                if trimmed == "```" {
                    if *line > 0 {
                        blocks.push(Block {
                            chapter,
                            line: *line,
                            lines: std::mem::take(lines),
                        });
                    }
                    open = None;
                } else {
                    let stripped = unquoted.strip_prefix(prefix.as_str()).unwrap_or(unquoted);
                    lines.push(stripped.to_string());
                }
            }
        }
    }
    blocks
}

/// A command (`$ …`) key names its whole line; any other names the start
/// of a printed line.
fn matches(line: &str, key: &str) -> bool {
    if key.starts_with("$ ") {
        line == key
    } else {
        line.starts_with(key)
    }
}

/// The one block of `chapter` that has a line starting with `key`.
fn block(chapter: &'static str, key: &str) -> Block {
    let mut found: Vec<Block> = blocks(chapter)
        .into_iter()
        .filter(|b| b.lines.iter().any(|l| matches(l, key)))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "book/src/{chapter} should have one ```console/```text block with a line starting with {key:?}"
    );
    found.remove(0)
}

/// The part of a block that one command (`$ …`) printed: its line and the
/// lines up to the next command.
fn section(block: &Block, command: &str) -> Block {
    let lines: Vec<String> = block
        .lines
        .iter()
        .skip_while(|l| *l != command)
        .enumerate()
        .take_while(|(i, l)| *i == 0 || !l.starts_with("$ "))
        .map(|(_, l)| l.clone())
        .collect();
    assert!(
        !lines.is_empty(),
        "no {command:?} in book/src/{}:{}",
        block.chapter,
        block.line
    );
    Block {
        chapter: block.chapter,
        line: block.line,
        lines,
    }
}

/// The lines of a block that a program printed: not the commands the reader
/// types (`$ …`), nor the command `just` echoes before it runs it.
fn printed(block: &Block) -> Vec<String> {
    block
        .lines
        .iter()
        .filter(|l| !l.starts_with("$ ") && !l.starts_with("cargo run "))
        .cloned()
        .collect()
}

/// Replaces what varies from run to run by what the book shows: the port
/// the test's server got by 7878, and the id in `thread 'main' (28205)` by
/// `(ID)`, in the book's lines and the real ones alike.
fn normalise(text: &str, addr: Option<SocketAddr>) -> String {
    let mut text = text.to_string();
    if let Some(addr) = addr {
        text = text.replace(&addr.to_string(), "127.0.0.1:7878");
    }
    text.lines()
        .map(thread_id_masked)
        .collect::<Vec<_>>()
        .join("\n")
}

fn thread_id_masked(line: &str) -> String {
    if let Some(start) = line.find("' (")
        && line.starts_with("thread '")
        && let Some(len) = line[start + 3..].find(')')
        && line[start + 3..start + 3 + len]
            .chars()
            .all(|c| c.is_ascii_digit())
    {
        return format!("{}' (ID){}", &line[..start], &line[start + 3 + len + 1..]);
    }
    line.to_string()
}

/// Fails, with both texts and the block's place, if the real output differs
/// from the block's printed lines.
fn assert_block_is(block: &Block, real: &str, addr: Option<SocketAddr>) {
    let book = normalise(&printed(block).join("\n"), None);
    let real = normalise(real.trim_end_matches('\n'), addr);
    assert_eq!(
        book, real,
        "book/src/{}:{} does not show what the real run printed\n--- book ---\n{book}\n--- real run ---\n{real}\n",
        block.chapter, block.line
    );
}

/// A free address, held by a listener so that the milestone cannot bind it.
fn taken_address() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// The command that starts `milestone` as a reader's shell would: without
/// the `RUST_BACKTRACE` a test run may have set, so a panic prints the note
/// the book shows rather than a backtrace.
fn as_a_reader(milestone: &str, args: &[&str]) -> std::process::Command {
    let mut command = command(milestone, args);
    command.env_remove("RUST_BACKTRACE");
    command
}

fn start(milestone: &str, args: &[&str]) -> Server {
    Server::spawn(milestone, as_a_reader(milestone, args))
}

/// Runs a milestone that is expected to exit at once; its stdout and stderr.
fn run_to_exit(milestone: &str, args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    let output = as_a_reader(milestone, args)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {milestone}: {e}"));
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

/// Which test reproduces which block: (chapter, a line the block starts
/// one of its lines with, the test). The guard checks that the test exists
/// in this file and reads that very block.
const REPRODUCED: &[(&str, &str, &str)] = &[
    ("introduction.md", "$ just run m1", "listening_lines"),
    (
        "m6.md",
        "$ cargo run -q -p m6 | head -n1",
        "listening_lines",
    ),
    (
        "m8.md",
        "$ LOG_FORMAT=json cargo run -q -p m8 2> log.jsonl",
        "listening_lines",
    ),
    (
        "m8.md",
        "$ cargo run -q -p m8 2> >(sleep 300)",
        "listening_lines",
    ),
    (
        "m8.md",
        "$ bash -c 'exec 3<>/dev/tcp/127.0.0.1/7878; printf \"GET /\\033[2J HTTP/1.1\\r\\n\\r\\n\" >&3; head -1 <&3'",
        "m8_raw_requests",
    ),
    ("m1.md", "$ curl -i http://127.0.0.1:7878/", "m1_curl_root"),
    (
        "m1.md",
        "$ curl -si --http1.0 http://127.0.0.1:7878/ | head -1",
        "m1_curl_http_1_0",
    ),
    ("m1.md", "error: cannot listen on", "m1_address_in_use"),
    (
        "m1.md",
        "thread 'main' (28205) panicked",
        "m1_empty_connection",
    ),
    (
        "m3.md",
        "thread '<unnamed>' (28249) panicked",
        "m3_empty_connection",
    ),
    (
        "m4.md",
        "thread 'main' (9456) panicked",
        "m4_empty_connections",
    ),
    ("m4.md", "thread 'main' (9576) panicked", "m4_zero_workers"),
    ("m5.md", "$ just run m5 127.0.0.1:7878 0", "m5_bad_workers"),
    ("m8.md", "$ RUST_LOG=m8=loud just run m8", "m8_bad_rust_log"),
];

#[test]
fn m1_address_in_use() {
    let block = block("m1.md", "error: cannot listen on");
    let (_held, addr) = taken_address();
    let (stdout, stderr, code) = run_to_exit("m1", &[&addr.to_string()], &[]);
    assert_ne!(code, 0);
    assert_block_is(&block, &format!("{stdout}{stderr}"), Some(addr));
}

/// The panic of an empty connection, with the location of the `unwrap`.
#[test]
fn m1_empty_connection() {
    let block = block("m1.md", "thread 'main' (28205) panicked");
    let mut server = start("m1", &["127.0.0.1:0"]);
    drop(server.connect());
    server
        .wait_for_exit(Duration::from_secs(10))
        .expect("m1 still runs after an empty connection");
    // The harness read the `Listening on` line from stdout to learn the port.
    let real = format!("Listening on http://{}\n{}", server.addr, server.stderr());
    assert_block_is(&block, &real, Some(server.addr));
}

#[test]
fn m3_empty_connection() {
    let block = block("m3.md", "thread '<unnamed>' (28249) panicked");
    let server = start("m3", &["127.0.0.1:0"]);
    drop(server.connect());
    let stderr = server.wait_for_stderr("RUST_BACKTRACE");
    // The block is an excerpt of the terminal: from the panic's first line.
    assert_block_is(&block, stderr.trim_start_matches('\n'), Some(server.addr));
}

/// Four empty connections kill the four workers; the next request kills
/// `main`, whose `send` fails.
#[test]
fn m4_empty_connections() {
    let block = block("m4.md", "thread 'main' (9456) panicked");
    let mut server = start("m4", &["127.0.0.1:0"]);
    for _ in 0..4 {
        drop(server.connect());
    }
    server.wait_until("4 panics", |s| s.stderr().matches("panicked").count() >= 4);
    server.send_until_it_dies();
    let stderr = server.stderr();
    let main_panic: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.starts_with("thread 'main'"))
        .take(2)
        .collect();
    assert_block_is(&block, &main_panic.join("\n"), Some(server.addr));
}

#[test]
fn m4_zero_workers() {
    let block = block("m4.md", "thread 'main' (9576) panicked");
    let (stdout, stderr, code) = run_to_exit("m4", &["127.0.0.1:7878", "0"], &[]);
    assert_ne!(code, 0);
    // A panic message starts with an empty line.
    assert_block_is(&block, &format!("{stdout}{stderr}"), None);
}

#[test]
fn m5_bad_workers() {
    let block = block("m5.md", "$ just run m5 127.0.0.1:7878 0");
    let mut real = String::new();
    for arg in ["0", "four"] {
        let (stdout, stderr, code) = run_to_exit("m5", &["127.0.0.1:7878", arg], &[]);
        real.push_str(&format!("{stdout}{stderr}"));
        if block.lines.iter().any(|l| l == "$ echo $?") && arg == "0" {
            real.push_str(&format!("{code}\n"));
        }
    }
    assert_block_is(&block, &real, None);
}

#[test]
fn m8_bad_rust_log() {
    let block = block("m8.md", "$ RUST_LOG=m8=loud just run m8");
    let (stdout, stderr, code) = run_to_exit("m8", &["127.0.0.1:0"], &[("RUST_LOG", "m8=loud")]);
    assert_eq!(code, 2);
    assert_block_is(&block, &format!("{stdout}{stderr}"), None);
}

/// The request curl sends, byte for byte, for `curl URL` (`--http1.0`
/// changes only the version).
fn curl_request(addr: SocketAddr, version: &str) -> Vec<u8> {
    format!("GET / HTTP/{version}\r\nHost: {addr}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
        .into_bytes()
}

/// `curl -i` prints the response as it came, each CRLF as a line end.
#[test]
fn m1_curl_root() {
    let command = "$ curl -i http://127.0.0.1:7878/";
    let block = section(&block("m1.md", command), command);
    let server = start("m1", &["127.0.0.1:0"]);
    let response = server.send(&curl_request(server.addr, "1.1"));
    assert_block_is(&block, &response.text().replace("\r\n", "\n"), None);
}

#[test]
fn m1_curl_http_1_0() {
    let block = block(
        "m1.md",
        "$ curl -si --http1.0 http://127.0.0.1:7878/ | head -1",
    );
    let server = start("m1", &["127.0.0.1:0"]);
    let response = server.send(&curl_request(server.addr, "1.0"));
    assert_block_is(&block, &response.status_line(), None);
}

/// Four requests typed as raw bytes; the block shows each answer's first
/// line. Each `printf` argument is sent as the shell's printf writes it.
#[test]
fn m8_raw_requests() {
    let block = block(
        "m8.md",
        "$ bash -c 'exec 3<>/dev/tcp/127.0.0.1/7878; printf \"GET /\\033[2J HTTP/1.1\\r\\n\\r\\n\" >&3; head -1 <&3'",
    );
    let server = start("m8", &["127.0.0.1:0"]);
    let requests: [&[u8]; 4] = [
        b"GET /\x1b[2J HTTP/1.1\r\n\r\n",
        b"GET /a\"b HTTP/1.1\r\n\r\n",
        b"GET /x\r\n INFO m8: served uri=\"/admin\" HTTP/1.1\r\n\r\n",
        b"PUT\t/ HTTP/1.1\r\n\r\n",
    ];
    let commands = block.lines.iter().filter(|l| l.starts_with("$ ")).count();
    assert_eq!(
        commands,
        requests.len(),
        "book/src/m8.md:{}: one request per command",
        block.line
    );
    let real: Vec<String> = requests
        .iter()
        .map(|r| server.send(r).status_line())
        .collect();
    assert_block_is(&block, &real.join("\n"), None);
}

/// Blocks whose only output is a server's first line. The harness reads
/// that line to learn the port, and fails on any other first line.
#[test]
fn listening_lines() {
    for (chapter, command, milestone) in [
        ("introduction.md", "$ just run m1", "m1"),
        ("m6.md", "$ cargo run -q -p m6 | head -n1", "m6"),
        (
            "m8.md",
            "$ LOG_FORMAT=json cargo run -q -p m8 2> log.jsonl",
            "m8",
        ),
        ("m8.md", "$ cargo run -q -p m8 2> >(sleep 300)", "m8"),
    ] {
        let block = block(chapter, command);
        let server = start(milestone, &["127.0.0.1:0"]);
        let real = format!("Listening on http://{}", server.addr);
        assert_block_is(&block, &real, Some(server.addr));
    }
}

/// Blocks included from a recorded file, and the test that regenerates the
/// file and compares: (chapter, the include line, the test's file, a string
/// that test must contain).
const RECORDED: &[(&str, &str, &str, &str)] = &[(
    "teachers.md",
    "{{#include teachers/grades.txt}}",
    "tools/grade/tests/class.rs",
    "book/src/teachers/grades.txt",
)];

/// Blocks that are not a program's output: a formula, a query read from the
/// repository, what the reader types.
const NOT_OUTPUT: &[(&str, &str)] = &[
    ("benchmarking.md", "requests/s  ≈  CPUs"),
    (
        "m8.md",
        "{{#include ../../milestones/m8/queries/request-rate.promql}}",
    ),
    (
        "m8.md",
        "{{#include ../../milestones/m8/queries/p99-latency.promql}}",
    ),
];

/// Quoted outputs no test reproduces yet: each names why. The guard fails
/// when one of these is gone or has become reproduced, so the list only
/// shrinks.
const NOT_YET_REPRODUCED: &[(&str, &str, &str)] = &[
    ("teachers.md", "sandbox: files", "just check's sandbox line"),
    (
        "teachers.md",
        "{{#include teachers/bench.txt}}",
        "just grade-bench; machine-dependent",
    ),
    ("benchmarking.md", "$ just compare m9", "the compare tool"),
    (
        "benchmarking.md",
        "$ just bench m1 -z 1s -c 16",
        "needs oha; machine-dependent",
    ),
    (
        "benchmarking.md",
        "$ ab -n 1000 -c 16 http://127.0.0.1:7878/      # m4",
        "needs ab; machine-dependent",
    ),
    (
        "benchmarking.md",
        "$ ab -n 1000 -c 16 http://127.0.0.1:7878/      # m6",
        "needs ab; machine-dependent",
    ),
    (
        "benchmarking.md",
        "$ wrk -t 2 -c 16 -d 3s http://127.0.0.1:7878/      # m4",
        "needs wrk; machine-dependent",
    ),
    (
        "benchmarking.md",
        "$ wrk -t 2 -c 16 -d 3s http://127.0.0.1:7878/      # m6",
        "needs wrk; machine-dependent",
    ),
    (
        "benchmarking.md",
        "$ wrk -t 2 -c 16 -d 2s http://127.0.0.1:7878/      # m1",
        "needs wrk; machine-dependent",
    ),
    (
        "comparison.md",
        "Summary:",
        "oha against m4; machine-dependent",
    ),
    (
        "introduction.md",
        "sandbox: files",
        "just check's sandbox line",
    ),
    (
        "m1.md",
        "$ curl -si http://127.0.0.1:7878/ | od -c | head -3",
        "curl",
    ),
    (
        "m1.md",
        "$ curl -sSi http://127.0.0.1:7878/",
        "curl's error",
    ),
    (
        "m2.md",
        "$ time curl -s http://127.0.0.1:7878/ > /dev/null",
        "timings",
    ),
    (
        "m3.md",
        "$ time curl -s http://127.0.0.1:7878/ > /dev/null",
        "timings",
    ),
    (
        "m3.md",
        "$ grep Threads /proc/$(pgrep -x m3)/status",
        "thread counts",
    ),
    (
        "m3.md",
        "$ curl -si http://127.0.0.1:7878/ | head -1",
        "curl",
    ),
    (
        "m4.md",
        "error[E0382]: use of moved value: `receiver`",
        "a cargo build error",
    ),
    (
        "m4.md",
        "$ time curl -s http://127.0.0.1:7878/ > /dev/null",
        "timings",
    ),
    (
        "m4.md",
        "Worker 1 got a job; executing.",
        "worker order varies",
    ),
    (
        "m4.md",
        "$ curl -sSi http://127.0.0.1:7878/",
        "curl's error",
    ),
    (
        "m6.md",
        "$ curl -sS http://127.0.0.1:7878/ -o /dev/null",
        "curl's error",
    ),
    (
        "m6.md",
        "Worker 2 got a job; executing.",
        "shutdown order varies",
    ),
    ("m6.md", "$ curl -si -X POST http://127.0.0.1:7878/", "curl"),
    (
        "m6.md",
        "127.0.0.1:48526: hung up without sending a byte",
        "refusal lines",
    ),
    (
        "m7.md",
        "GET / with 2 sleeps in flight: 4.721202 s",
        "timings",
    ),
    (
        "m7.md",
        "GET / with 2 sleeps in flight: 0.000602 s",
        "timings",
    ),
    (
        "m8.md",
        "$ curl -s http://127.0.0.1:7878/metrics",
        "metrics",
    ),
    (
        "m8.md",
        "$ curl -s http://127.0.0.1:7878/metrics | grep -v -e '^#' -e _bucket",
        "metrics",
    ),
    (
        "m8.md",
        "$ curl -s http://127.0.0.1:7878/metrics | grep 'bucket.*/sleep'",
        "metrics",
    ),
    ("m8.md", "$ just run m8", "the log"),
    ("m8.md", "$ RUST_LOG=warn just run m8", "the log"),
    (
        "m8.md",
        "$ RUST_LOG=info,m8::request=off just run m8",
        "the log",
    ),
    ("m8.md", "$ grep nothing log.jsonl", "the JSON log"),
    ("m8.md", "log_lines_dropped_total 1512", "dropped log lines"),
    ("m8.md", "{route=\"/\"} => 9613", "needs Prometheus"),
    ("m8.md", "request 1476: no answer in 2 s", "a blocked log"),
    (
        "m8.md",
        "2026-11-26T03:21:57.475300Z  INFO connection{client=127.0.0.1:50888}",
        "the log of raw requests",
    ),
    ("m8.md", "{route=\"/sleep\"} => NaN", "needs Prometheus"),
];

/// Prose that quotes a panic: (chapter, the quote), and what checks it.
const PROSE: &[(&str, &str, &str)] = &[
    (
        "introduction.md",
        "`thread 'main' (28205) panicked at …`",
        "the id m1_empty_connection's block shows",
    ),
    (
        "introduction.md",
        "`thread 'main' panicked at …`",
        "the form without an id, of older toolchains",
    ),
    (
        "m1.md",
        "`thread 'main' panicked at`",
        "the form without an id",
    ),
    (
        "teachers/answers.md",
        "(…) panicked at`, the client's address",
        "tests/answers: m3_1_a_panic_names_its_client",
    ),
];

/// Every chapter under book/src, as paths relative to it.
fn chapter_names() -> Vec<&'static str> {
    let mut names = Vec::new();
    let mut dirs = vec![src_dir()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let name = path.strip_prefix(src_dir()).unwrap().to_string_lossy();
                names.push(&*Box::leak(name.into_owned().into_boxed_str()));
            }
        }
    }
    names.sort();
    names
}

/// The body of the test function `name` in this file.
fn test_body(name: &str) -> Option<String> {
    let source = include_str!("book_outputs.rs");
    let start = source.find(&format!("\nfn {name}() {{\n"))?;
    let end = source[start..].find("\n}\n")?;
    Some(source[start..start + end].to_string())
}

#[test]
fn every_quoted_output_is_reproduced() {
    let mut problems = Vec::new();
    let mut used =
        vec![
            false;
            REPRODUCED.len() + RECORDED.len() + NOT_OUTPUT.len() + NOT_YET_REPRODUCED.len()
        ];
    for chapter in chapter_names() {
        for b in blocks(chapter) {
            if printed(&b).iter().all(|l| l.trim().is_empty()) {
                continue; // only what the reader types
            }
            let has = |key: &str| b.lines.iter().any(|l| matches(l, key));
            let mut covered = 0;
            for (i, (c, key, test)) in REPRODUCED.iter().enumerate() {
                if *c == chapter && has(key) {
                    covered += 1;
                    used[i] = true;
                    match test_body(test) {
                        Some(body)
                            if body.contains(&format!("{c:?}"))
                                && body.contains(&format!("{key:?}")) => {}
                        Some(_) => problems.push(format!(
                            "{c}:{}: test {test} does not read this block",
                            b.line
                        )),
                        None => problems.push(format!(
                            "{c}:{}: no test {test} in tests/milestones/book_outputs.rs",
                            b.line
                        )),
                    }
                }
            }
            let offset = REPRODUCED.len();
            for (i, (c, include, file, needle)) in RECORDED.iter().enumerate() {
                if *c == chapter && has(include) {
                    covered += 1;
                    used[offset + i] = true;
                    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(file);
                    if !fs::read_to_string(&path).is_ok_and(|t| t.contains(needle)) {
                        problems.push(format!(
                            "{c}:{}: {file} does not regenerate {needle}",
                            b.line
                        ));
                    }
                }
            }
            let offset = offset + RECORDED.len();
            for (i, (c, key)) in NOT_OUTPUT.iter().enumerate() {
                if *c == chapter && has(key) {
                    covered += 1;
                    used[offset + i] = true;
                }
            }
            let offset = offset + NOT_OUTPUT.len();
            for (i, (c, key, _)) in NOT_YET_REPRODUCED.iter().enumerate() {
                if *c == chapter && has(key) {
                    covered += 1;
                    used[offset + i] = true;
                }
            }
            match covered {
                1 => {}
                0 => problems.push(format!(
                    "book/src/{chapter}:{}: a quoted output that no test reproduces: {:?}",
                    b.line,
                    b.lines.first()
                )),
                _ => problems.push(format!(
                    "book/src/{chapter}:{}: named {covered} times in this file's lists",
                    b.line
                )),
            }
        }
    }
    if let Some(i) = used.iter().position(|u| !u) {
        problems.push(format!(
            "entry {i} of this file's lists names no block of the book (stale)"
        ));
    }

    // Prose quotes of a panic, outside the blocks.
    for chapter in chapter_names() {
        let text = fs::read_to_string(src_dir().join(chapter)).unwrap();
        let mut fenced = false;
        for (n, line) in text.lines().enumerate() {
            if line.trim_start_matches(['>', ' ']).starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if fenced || !line.contains("panicked at") {
                continue;
            }
            let known = PROSE
                .iter()
                .any(|(c, quote, _)| *c == chapter && line.contains(quote));
            if !known {
                problems.push(format!(
                    "book/src/{chapter}:{}: a panic quoted in prose that no test reproduces",
                    n + 1
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
