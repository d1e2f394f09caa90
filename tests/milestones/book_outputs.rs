//! The program outputs the book quotes come from real runs.
//!
//! Each test here runs a milestone the way a chapter shows, reads that
//! chapter's block, and compares the lines the program printed with the
//! lines the book shows, after [`normalise`] has replaced what varies from
//! run to run (the port, a thread's id) by the values the book shows. The
//! commands a block shows (curl, bash, grep, jq, promtool, ab, wrk) run for
//! real, in a terminal where the reader's would be one ([`transcript`]).
//! What else varies (durations, timestamps, counts, the order of lines that
//! run at the same time) is masked in both texts by a [`Mask`] of its own,
//! so that a changed word, field, line or status still fails; where the
//! prose draws a conclusion from a number, the test asserts it too, with a
//! wide margin.
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
#[derive(Clone)]
pub(crate) struct Block {
    pub(crate) chapter: &'static str,
    pub(crate) line: usize,
    pub(crate) lines: Vec<String>,
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
pub(crate) fn block(chapter: &'static str, key: &str) -> Block {
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
pub(crate) fn normalise(text: &str, addr: Option<SocketAddr>) -> String {
    let mut text = text.to_string();
    if let Some(addr) = addr {
        text = text.replace(&addr.to_string(), "127.0.0.1:7878");
        // curl names the port apart from the address.
        text = text.replace(
            &format!("127.0.0.1 port {}", addr.port()),
            "127.0.0.1 port 7878",
        );
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
    assert_block_masked(block, real, addr, &[]);
}

/// [`assert_block_is`], after `rules` have masked what varies in both texts.
fn assert_block_masked(block: &Block, real: &str, addr: Option<SocketAddr>, rules: &[Mask]) {
    let book = masked(&normalise(&printed(block).join("\n"), None), rules);
    let real = masked(&normalise(real.trim_end_matches('\n'), addr), rules);
    assert_same(block, &book, &real);
}

/// Fails, with both texts and the block's place, unless `real` has the lines
/// of `book`, where a line `…` of the book stands for any number of lines.
pub(crate) fn assert_same(block: &Block, book: &str, real: &str) {
    let book_lines: Vec<&str> = book.lines().collect();
    let real_lines: Vec<&str> = real.lines().collect();
    assert!(
        lines_match(&book_lines, &real_lines),
        "book/src/{}:{} does not show what the real run printed\n--- book ---\n{book}\n--- real run ---\n{real}\n",
        block.chapter,
        block.line
    );
}

/// Whether `real` is `book` where each line `…` of the book (an excerpt's
/// cut) stands for any number of real lines.
fn lines_match(book: &[&str], real: &[&str]) -> bool {
    match book.split_first() {
        None => real.is_empty(),
        Some((&"…", rest)) => (0..=real.len()).any(|skip| lines_match(rest, &real[skip..])),
        Some((line, rest)) => real
            .split_first()
            .is_some_and(|(first, others)| first == line && lines_match(rest, others)),
    }
}

/// What varies from run to run in one kind of line: a pattern and what
/// replaces each of its matches, in the book's lines and the real ones.
pub(crate) type Mask = (&'static str, &'static str);

/// bash's `time`: the three durations.
const TIME: Mask = (r"(?m)^(real|user|sys)\t\d+m\d+\.\d+s$", "$1\tXmX.XXXs");
/// How long curl tried to connect.
const CURL_AFTER: Mask = (r"after \d+ ms", "after N ms");
/// A client's port, as a milestone logs it.
const CLIENT_PORT: Mask = (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT");
/// tracing's timestamps.
const TIMESTAMP: Mask = (
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z",
    "YYYY-MM-DDTHH:MM:SS.SSSSSSZ",
);

/// How long m8 took for a request, as its text log says.
const LATENCY: Mask = (r"latency_ms=[\d.]+", "latency_ms=N");

pub(crate) fn masked(text: &str, rules: &[Mask]) -> String {
    let mut text = text.to_string();
    for (pattern, with) in rules {
        let pattern = regex::Regex::new(pattern).unwrap();
        text = pattern.replace_all(&text, *with).into_owned();
    }
    text
}

/// The seconds of `time`'s `real` line in `text` (4.927 for `real\t0m4.927s`):
/// for the conclusion a chapter draws from it.
fn seconds_of_time(text: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.starts_with("real\t"))
        .unwrap_or_else(|| panic!("no `real` line of `time` in {text:?}"));
    let (minutes, seconds) = line["real\t".len()..]
        .trim_end_matches('s')
        .split_once('m')
        .unwrap();
    minutes.parse::<f64>().unwrap() * 60.0 + seconds.parse::<f64>().unwrap()
}

/// Runs the commands (`$ …`) of `block` one after the other, each in a
/// `bash -c` of its own, as a reader types them in a second terminal:
/// against `addr` rather than 127.0.0.1:7878, in `dir`, with stdout and
/// stderr in one file, as a terminal shows them both, and each of `subs`
/// (such as `$(pgrep -x m3)`, which another test's m3 would confuse)
/// replaced by its value. `before` is called with each command before it
/// runs, to wait for what the server must have done first. Returns the
/// block as this run printed it, the commands included; a command started
/// in the background (`&`) goes on, its output to /dev/null.
pub(crate) fn transcript(
    block: &Block,
    addr: SocketAddr,
    dir: &std::path::Path,
    subs: &[(&str, String)],
    mut before: impl FnMut(&str),
) -> String {
    let bold = regex::Regex::new("\x1b\\[[0-9;]*m").unwrap();
    let mut out = String::new();
    for line in block.lines.iter().filter(|l| l.starts_with("$ ")) {
        before(line);
        let mut command = line["$ ".len()..]
            .replace("127.0.0.1:7878", &addr.to_string())
            .replace("/127.0.0.1/7878", &format!("/127.0.0.1/{}", addr.port()));
        for (what, with) in subs {
            command = command.replace(what, with);
        }
        // Beside the test's other files, not in `dir`, which may be the
        // repository's folder.
        static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("transcript-{}-{run}", std::process::id()));
        let output = fs::File::create(&file).unwrap();
        // In a terminal, as the reader runs it (curl shows no progress meter
        // there); a command that goes on in the background, without one:
        // the terminal's end would hang it up.
        let background = command.trim_end().ends_with('&') || command.contains("& done");
        let mut child = if background {
            let mut bash = std::process::Command::new("bash");
            bash.args(["-c", &format!("exec 2>&1\n{command}")]);
            bash
        } else {
            let mut script = std::process::Command::new("script");
            script.args(["-q", "-e", "-c", &command, "/dev/null"]);
            script
        };
        let mut child = child
            .current_dir(dir)
            .env("SHELL", "/bin/bash")
            .env("LC_ALL", "C")
            .stdin(std::process::Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .expect("bash runs");
        let start = std::time::Instant::now();
        // Its exit status is not shown in a terminal: its output is.
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if start.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!(
                    "book/src/{}:{}: {line} still runs after 60 s",
                    block.chapter, block.line
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // A terminal ends each line with \r\n, and shows a \r\n it is sent
        // as a line end; what it shows in bold (curl's header names) is the
        // same text.
        let printed = fs::read_to_string(&file)
            .unwrap()
            .replace("\r\r\n", "\n")
            .replace("\r\n", "\n");
        let printed = bold.replace_all(&printed, "").into_owned();
        fs::remove_file(&file).unwrap();
        out.push_str(line);
        out.push('\n');
        out.push_str(&printed);
    }
    out
}

/// [`transcript`]'s lines compared with the whole block, commands included,
/// after masking with `rules`; returns the transcript.
fn assert_transcript(
    block: &Block,
    server: &Server,
    subs: &[(&str, String)],
    rules: &[Mask],
    before: impl FnMut(&str),
) -> String {
    let dir = scratch(&format!("{}-{}", block.chapter, block.line));
    let real = transcript(block, server.addr, &dir, subs, before);
    let book = masked(&normalise(&block.lines.join("\n"), None), rules);
    let shown = masked(
        &normalise(real.trim_end_matches('\n'), Some(server.addr)),
        rules,
    );
    assert_same(block, &book, &shown);
    real
}

/// A folder of this run's own for a test, under target/tmp.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "book-outputs-{}-{}",
        std::process::id(),
        name.replace(['/', '.'], "-")
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
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
    ("m1.md", "$ curl -i http://127.0.0.1:7878/", "m1_curl"),
    (
        "m1.md",
        "$ curl -si http://127.0.0.1:7878/ | od -c | head -3",
        "m1_curl",
    ),
    (
        "m1.md",
        "$ curl -si --http1.0 http://127.0.0.1:7878/ | head -1",
        "m1_curl",
    ),
    (
        "m1.md",
        "$ curl -sSi http://127.0.0.1:7878/",
        "m1_empty_connection",
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
        "m3.md",
        "$ curl -si http://127.0.0.1:7878/ | head -1",
        "m3_empty_connection",
    ),
    (
        "m4.md",
        "$ curl -sSi http://127.0.0.1:7878/",
        "m4_empty_connections",
    ),
    (
        "m2.md",
        "$ time curl -s http://127.0.0.1:7878/ > /dev/null",
        "m2_time_behind_sleep",
    ),
    (
        "m3.md",
        "$ time curl -s http://127.0.0.1:7878/ > /dev/null",
        "m3_time_and_threads",
    ),
    (
        "m3.md",
        "$ grep Threads /proc/$(pgrep -x m3)/status",
        "m3_time_and_threads",
    ),
    (
        "m4.md",
        "$ time curl -s http://127.0.0.1:7878/ > /dev/null",
        "m4_time_behind_four_sleeps",
    ),
    (
        "m4.md",
        "Worker 1 got a job; executing.",
        "m4_time_behind_four_sleeps",
    ),
    (
        "m4.md",
        "thread 'main' (9456) panicked",
        "m4_empty_connections",
    ),
    ("m4.md", "thread 'main' (9576) panicked", "m4_zero_workers"),
    ("m5.md", "$ just run m5 127.0.0.1:7878 0", "m5_bad_workers"),
    (
        "m8.md",
        "{route=\"/\"} => 9613",
        "prometheus::the_chapters_queries_under_load",
    ),
    (
        "teachers.md",
        "{{#include teachers/bench.txt}}",
        "grade_bench",
    ),
    (
        "m8.md",
        "{route=\"/sleep\"} => NaN",
        "prometheus::a_series_appears_only_with_its_first_sample",
    ),
    (
        "m7.md",
        "GET / with 2 sleeps in flight: 4.721202 s",
        "m7_blocking_sleep",
    ),
    (
        "m7.md",
        "GET / with 2 sleeps in flight: 0.000602 s",
        "m7_blocking_sleep",
    ),
    ("comparison.md", "Summary:", "oha_against_m4s_sleeps"),
    (
        "benchmarking.md",
        "$ just bench m1 -z 1s -c 16",
        "oha_bench_m1_with_a_deadline",
    ),
    (
        "benchmarking.md",
        "$ ab -n 1000 -c 16 http://127.0.0.1:7878/      # m4",
        "ab_m4_and_m6",
    ),
    (
        "benchmarking.md",
        "$ ab -n 1000 -c 16 http://127.0.0.1:7878/      # m6",
        "ab_m4_and_m6",
    ),
    (
        "benchmarking.md",
        "$ wrk -t 2 -c 16 -d 3s http://127.0.0.1:7878/      # m4",
        "wrk_m4_m6_and_m1",
    ),
    (
        "benchmarking.md",
        "$ wrk -t 2 -c 16 -d 3s http://127.0.0.1:7878/      # m6",
        "wrk_m4_m6_and_m1",
    ),
    (
        "benchmarking.md",
        "$ wrk -t 2 -c 16 -d 2s http://127.0.0.1:7878/      # m1",
        "wrk_m4_m6_and_m1",
    ),
    ("introduction.md", "sandbox: files", "check_sandbox_line"),
    ("teachers.md", "sandbox: files", "check_sandbox_line"),
    ("setup.md", "sandbox: files", "check_sandbox_line_on_macos"),
    (
        "benchmarking.md",
        "$ just compare m9",
        "compare_unknown_milestone",
    ),
    (
        "m4.md",
        "error[E0382]: use of moved value: `receiver`",
        "m4_e0382",
    ),
    (
        "m6.md",
        "$ curl -sS http://127.0.0.1:7878/ -o /dev/null",
        "m6_shutdown",
    ),
    ("m6.md", "Worker 2 got a job; executing.", "m6_shutdown"),
    (
        "m6.md",
        "$ curl -si -X POST http://127.0.0.1:7878/",
        "m6_refusals",
    ),
    (
        "m6.md",
        "127.0.0.1:48526: hung up without sending a byte",
        "m6_refusals",
    ),
    ("m8.md", "$ RUST_LOG=m8=loud just run m8", "m8_bad_rust_log"),
    (
        "m8.md",
        "2026-11-26T03:21:57.475300Z  INFO connection{client=127.0.0.1:50888}",
        "m8_raw_requests",
    ),
    (
        "m8.md",
        "$ curl -s http://127.0.0.1:7878/metrics",
        "m8_metrics_and_log",
    ),
    (
        "m8.md",
        "$ curl -s http://127.0.0.1:7878/metrics | grep -v -e '^#' -e _bucket",
        "m8_metrics_and_log",
    ),
    (
        "m8.md",
        "$ curl -s http://127.0.0.1:7878/metrics | grep 'bucket.*/sleep'",
        "m8_metrics_and_log",
    ),
    ("m8.md", "$ just run m8", "m8_metrics_and_log"),
    ("m8.md", "$ RUST_LOG=warn just run m8", "m8_rust_log_warn"),
    (
        "m8.md",
        "$ RUST_LOG=info,m8::request=off just run m8",
        "m8_rust_log_without_refusals",
    ),
    ("m8.md", "$ grep nothing log.jsonl", "m8_json_log"),
    (
        "m8.md",
        "log_lines_dropped_total 1512",
        "m8_log_nobody_reads",
    ),
    ("m8.md", "request 1476: no answer in 2 s", "m8_blocking_log"),
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
    let bash = "$ bash -c ': < /dev/tcp/127.0.0.1/7878'";
    assert_transcript(&self::block("m1.md", bash), &server, &[], &[], |_| {});
    server
        .wait_for_exit(Duration::from_secs(10))
        .expect("m1 still runs after an empty connection");
    // The harness read the `Listening on` line from stdout to learn the port.
    let real = format!("Listening on http://{}\n{}", server.addr, server.stderr());
    assert_block_is(&block, &real, Some(server.addr));
    // The next client cannot even connect.
    let curl = self::block("m1.md", "$ curl -sSi http://127.0.0.1:7878/");
    assert_transcript(&curl, &server, &[], &[CURL_AFTER], |_| {});
}

#[test]
fn m3_empty_connection() {
    let block = block("m3.md", "thread '<unnamed>' (28249) panicked");
    let server = start("m3", &["127.0.0.1:0"]);
    // The empty connection, then a request that m3 still serves.
    let commands = self::block("m3.md", "$ curl -si http://127.0.0.1:7878/ | head -1");
    assert_transcript(&commands, &server, &[], &[], |_| {});
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
    let commands = self::block("m4.md", "$ curl -sSi http://127.0.0.1:7878/");
    // Whether curl's request arrives before m4 has died varies; the chapter
    // names both outcomes.
    let or_empty = (
        r"curl: \(52\) Empty reply from server",
        "curl: (56) Recv failure: Connection reset by peer",
    );
    let chapter = fs::read_to_string(src_dir().join("m4.md")).unwrap();
    assert!(chapter.contains("`curl: (52) Empty reply from server`"));
    assert_transcript(&commands, &server, &[], &[or_empty], |command| {
        if command.starts_with("$ curl") {
            // Until the dead workers' threads are gone, the receiver is not
            // dropped yet, and a request would wait in the channel for ever.
            server.wait_until("4 panics and no worker left", |s| {
                s.stderr().matches("panicked").count() >= 4 && threads(s.pid()) == 1
            });
        }
    });
    server
        .wait_for_exit(Duration::from_secs(10))
        .expect("m4 exits once its last worker is dead");
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
    // On a free port rather than the book's, which may be in use: m4 binds
    // its address before it builds the pool.
    let (stdout, stderr, code) = run_to_exit("m4", &["127.0.0.1:0", "0"], &[]);
    assert_ne!(code, 0);
    // A panic message starts with an empty line.
    assert_block_is(&block, &format!("{stdout}{stderr}"), None);
}

#[test]
fn m5_bad_workers() {
    let block = block("m5.md", "$ just run m5 127.0.0.1:7878 0");
    let mut real = String::new();
    for arg in ["0", "four"] {
        // The book's address, which m5 names in its message: it refuses the
        // workers before it binds, so the address may be in use.
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

/// The real curl, against m1.
#[test]
fn m1_curl() {
    let server = start("m1", &["127.0.0.1:0"]);
    for key in [
        "$ curl -i http://127.0.0.1:7878/",
        "$ curl -si http://127.0.0.1:7878/ | od -c | head -3",
        "$ curl -si --http1.0 http://127.0.0.1:7878/ | head -1",
    ] {
        assert_transcript(&block("m1.md", key), &server, &[], &[], |_| {});
    }
}

/// Four requests typed as raw bytes with bash's printf; the block shows
/// each answer's first line, and the next block the lines they leave in the
/// log.
#[test]
fn m8_raw_requests() {
    let block = block(
        "m8.md",
        "$ bash -c 'exec 3<>/dev/tcp/127.0.0.1/7878; printf \"GET /\\033[2J HTTP/1.1\\r\\n\\r\\n\" >&3; head -1 <&3'",
    );
    let server = start("m8", &["127.0.0.1:0"]);
    // The log's first line is m8's own `listening`; then one a request.
    let mut lines_before = 1..;
    assert_transcript(&block, &server, &[], &[], |_| {
        let lines = lines_before.next().unwrap();
        server.wait_until("the log's lines", |s| s.stderr().lines().count() >= lines);
    });
    server.wait_until("the log's lines", |s| s.stderr().lines().count() >= 5);
    let log = self::block(
        "m8.md",
        "2026-11-26T03:21:57.475300Z  INFO connection{client=127.0.0.1:50888}",
    );
    let stderr = server.stderr();
    let requests: Vec<&str> = stderr.lines().skip(1).collect();
    assert_block_masked(
        &log,
        &requests.join("\n"),
        None,
        &[TIMESTAMP, CLIENT_PORT, LATENCY],
    );
}

/// The threads of process `pid`, from `/proc/PID/status` as the chapters
/// read them.
fn threads(pid: u32) -> usize {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .map_or(0, |n| n.trim().parse().unwrap())
}

/// The sockets process `pid` has open, its listener included, from
/// `/proc/PID/fd`: one more once it has accepted a connection.
fn sockets(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|entries| {
            entries
                .filter_map(|e| fs::read_link(e.ok()?.path()).ok())
                .filter(|target| target.to_string_lossy().starts_with("socket:"))
                .count()
        })
        .unwrap_or(0)
}

/// Before the timed command, waits until the server has accepted the
/// `/sleep` started in the background, as it has by the time a reader types
/// the next command.
fn after_the_sleep_is_accepted(server: &Server) -> impl FnMut(&str) + '_ {
    |command| {
        if command.starts_with("$ time") {
            server.wait_until("the /sleep accepted", |s| sockets(s.pid()) >= 2);
        }
    }
}

/// m2: the fast request waits almost 5 s behind the `/sleep`.
#[test]
fn m2_time_behind_sleep() {
    let block = block("m2.md", "$ time curl -s http://127.0.0.1:7878/ > /dev/null");
    let server = start("m2", &["127.0.0.1:0"]);
    let real = assert_transcript(
        &block,
        &server,
        &[],
        &[TIME],
        after_the_sleep_is_accepted(&server),
    );
    let waited = seconds_of_time(&real);
    assert!(
        waited >= 4.0,
        "GET / waited only {waited} s behind /sleep on m2"
    );
}

/// m3: the fast request no longer waits; a thread per connection.
#[test]
fn m3_time_and_threads() {
    let block = block("m3.md", "$ time curl -s http://127.0.0.1:7878/ > /dev/null");
    let server = start("m3", &["127.0.0.1:0"]);
    let real = assert_transcript(
        &block,
        &server,
        &[],
        &[TIME],
        after_the_sleep_is_accepted(&server),
    );
    let waited = seconds_of_time(&real);
    assert!(waited < 2.0, "GET / waited {waited} s on m3");

    let block = self::block("m3.md", "$ grep Threads /proc/$(pgrep -x m3)/status");
    // Sleeps long enough that the first are still in flight once the last
    // of the 100 curls has started, however slowly the machine starts them.
    let server = Server::spawn("m3", {
        let mut command = as_a_reader("m3", &["127.0.0.1:0"]);
        command.env("SLEEP_MS", "60000");
        command
    });
    let pid = [("$(pgrep -x m3)", server.pid().to_string())];
    let mut greps = 0;
    assert_transcript(&block, &server, &pid, &[], |command| {
        if command.starts_with("$ grep") {
            greps += 1;
            if greps == 2 {
                // The 100 curls started in the background: wait until they
                // have all been accepted.
                server.wait_until("101 threads", |s| threads(s.pid()) >= 101);
            }
        }
    });
}

/// m4: with four workers busy, the fast request waits for one to come free;
/// the server's terminal shows which worker took each job.
#[test]
fn m4_time_behind_four_sleeps() {
    let block = block("m4.md", "$ time curl -s http://127.0.0.1:7878/ > /dev/null");
    let server = start("m4", &["127.0.0.1:0"]);
    let real = assert_transcript(&block, &server, &[], &[TIME], |_| {});
    let waited = seconds_of_time(&real);
    // The sleeps started 1 s before it, so it waits the 4 s they have left.
    assert!(
        waited >= 3.0,
        "GET / waited only {waited} s behind four sleeps on m4"
    );

    server.wait_for_stdout("got a job", 5);
    let log = self::block("m4.md", "Worker 1 got a job; executing.");
    // The four sleeps go to the four workers in any order, then the fast
    // request to whichever came free first.
    let in_any_order = |text: &str| -> String {
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        assert_eq!(lines.len(), 6, "{text}");
        lines[1..5].sort();
        lines[5] = masked(&lines[5], &[(r"Worker \d", "Worker N")]);
        lines.join("\n")
    };
    let book = in_any_order(&normalise(&log.lines.join("\n"), None));
    let real = format!("Listening on http://{}\n{}", server.addr, server.stdout());
    let real = in_any_order(&normalise(real.trim_end(), Some(server.addr)));
    assert_same(&log, &book, &real);
}

/// m6's graceful shutdown: a client is refused once the server has stopped
/// listening, the `/sleep` in flight is answered, and the server's terminal
/// shows the workers end.
#[test]
fn m6_shutdown() {
    let mut server = start("m6", &["127.0.0.1:0"]);
    let slow = self::block(
        "m6.md",
        "$ curl -s -o /dev/null -w \"curl got %{http_code} after %{time_total} s\\n\" http://127.0.0.1:7878/sleep",
    );
    let sleep = {
        let (block, addr) = (slow, server.addr);
        std::thread::spawn(move || transcript(&block, addr, &scratch("m6-sleep"), &[], |_| {}))
    };
    server.wait_for_stdout("got a job", 1);
    let listener = server.listener_inode();
    server.signal("INT");
    // Refused at once: once m6 has closed its listener.
    server.wait_until("the listener closed", |s| !s.has_socket(&listener));
    let refused = self::block("m6.md", "$ curl -sS http://127.0.0.1:7878/ -o /dev/null");
    assert_transcript(&refused, &server, &[], &[CURL_AFTER], |_| {});

    // The first terminal's curl: `curl got 200 after 5.001078 s`.
    let sleep = sleep.join().unwrap();
    let got = sleep.lines().nth(1).unwrap_or_default();
    let seconds: f64 = got
        .strip_prefix("curl got 200 after ")
        .and_then(|s| s.strip_suffix(" s"))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("the /sleep's curl printed {sleep:?}"));
    assert!(seconds >= 4.0, "the /sleep was answered after {seconds} s");
    let status = server
        .wait_for_exit(Duration::from_secs(15))
        .expect("m6 exits");
    assert_eq!(status.code(), Some(0), "`echo $?` prints 0");
    // The signal handler's own connection hangs up at once.
    assert_eq!(
        masked(&server.stderr(), &[CLIENT_PORT]),
        "127.0.0.1:PORT: hung up without sending a byte; closing the connection\n"
    );

    // The order of the lines varies, since the workers run at the same time
    // as `drop`, and so do the ids of the workers that got the two jobs;
    // `drop` itself shuts the workers down in order.
    let log = self::block("m6.md", "Worker 2 got a job; executing.");
    let in_any_order = |text: &str| -> String {
        let text = masked(text, &[(r"Worker \d got a job", "Worker N got a job")]);
        let mut lines: Vec<&str> = text.lines().collect();
        lines[1..].sort();
        lines.join("\n")
    };
    let real = format!("Listening on http://{}\n{}", server.addr, server.stdout());
    let real = normalise(real.trim_end(), Some(server.addr));
    let drops: Vec<&str> = real
        .lines()
        .filter(|l| l.starts_with("Shutting down worker"))
        .collect();
    assert!(drops.is_sorted(), "{real}");
    let book = in_any_order(&normalise(&log.lines.join("\n"), None));
    assert_same(&log, &book, &in_any_order(&real));
}

/// m6's refusals, with the real curl and bash, and the lines they leave on
/// the server's stderr.
#[test]
fn m6_refusals() {
    let server = start("m6", &["127.0.0.1:0"]);
    let commands = self::block("m6.md", "$ curl -si -X POST http://127.0.0.1:7878/");
    // Each refusal's line is on stderr before the next command, as in the
    // chapter, where one is typed after the other: the lines so far before
    // each command (the `--http1.0` request is served and leaves none).
    let mut lines_before = [0, 1, 2, 2, 3, 4, 5].into_iter();
    let real = assert_transcript(&commands, &server, &[], &[TIME], |command| {
        let lines = lines_before
            .next()
            .unwrap_or_else(|| panic!("no count for {command}"));
        server.wait_until("the refusals' lines", |s| {
            s.stderr().lines().count() >= lines
        });
    });
    // The request that never ends is answered after m6's 5 s.
    let waited = seconds_of_time(&real);
    assert!((4.0..10.0).contains(&waited), "408 after {waited} s");
    server.wait_until("every refusal's line", |s| s.stderr().lines().count() >= 6);
    let log = self::block("m6.md", "127.0.0.1:48526: hung up without sending a byte");
    assert_block_masked(&log, &server.stderr(), None, &[CLIENT_PORT]);
}

/// m8's metrics before any other request, after a few, the buckets of the
/// `/sleep`, and the log lines of the same session.
#[test]
fn m8_metrics_and_log() {
    let server = start("m8", &["127.0.0.1:0"]);
    let first = self::block("m8.md", "$ curl -s http://127.0.0.1:7878/metrics");
    let start_time = (
        r"process_start_time_seconds [\d.]+",
        "process_start_time_seconds N",
    );
    assert_transcript(&first, &server, &[], &[start_time], |_| {});

    // The same lines of one family in any order: a family keeps its series
    // in a hash map. Which families come, and in which order, is fixed.
    let by_family = |text: &str| -> String {
        let family = |line: &str| -> String {
            let name = line.split(['{', ' ']).next().unwrap_or_default();
            let name = ["_sum", "_count", "_bucket"]
                .iter()
                .fold(name, |n, suffix| n.strip_suffix(suffix).unwrap_or(n));
            name.to_string()
        };
        let mut out: Vec<String> = Vec::new();
        let mut run: Vec<&str> = Vec::new();
        for line in text.lines().chain([""]) {
            if run
                .first()
                .is_some_and(|first| line.starts_with("$ ") || family(first) != family(line))
            {
                run.sort();
                out.extend(run.drain(..).map(String::from));
            }
            if line.starts_with("$ ") {
                out.push(line.to_string());
            } else if !line.is_empty() {
                run.push(line);
            }
        }
        out.join("\n")
    };
    let sums = (
        r#"(?m)^(http_request_duration_seconds_sum\{route="[^"]+"\}) [\d.e-]+$"#,
        "$1 N",
    );
    let some = self::block(
        "m8.md",
        "$ curl -s http://127.0.0.1:7878/metrics | grep -v -e '^#' -e _bucket",
    );
    // Each request's log line before the next command, as a reader who
    // types them sees them: the log's lines so far before each command.
    let mut lines_before = [2, 5, 6, 7, 8].into_iter();
    let dir = scratch("m8-metrics");
    let real = transcript(&some, server.addr, &dir, &[], |command| {
        let lines = lines_before
            .next()
            .unwrap_or_else(|| panic!("no count for {command}"));
        server.wait_until("the log's lines", |s| s.stderr().lines().count() >= lines);
    });
    let book = by_family(&masked(
        &normalise(&some.lines.join("\n"), None),
        &[sums, start_time],
    ));
    let shown = by_family(&masked(
        &normalise(&real, Some(server.addr)),
        &[sums, start_time],
    ));
    assert_same(&some, &book, &shown);
    // The sum of the one `/sleep`: its 5 s.
    let sleep: f64 = real
        .lines()
        .find_map(|l| l.strip_prefix(r#"http_request_duration_seconds_sum{route="/sleep"} "#))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no sum for /sleep in {real}"));
    assert!(sleep >= 4.9, "the /sleep took {sleep} s");

    // The log, up to that last /metrics.
    server.wait_until("the log's lines", |s| s.stderr().lines().count() >= 9);
    let log = self::block("m8.md", "$ just run m8");
    let real = format!("Listening on http://{}\n{}", server.addr, server.stderr());
    let metrics_bytes = (
        r#"uri="/metrics" status=200 bytes=\d+"#,
        r#"uri="/metrics" status=200 bytes=N"#,
    );
    assert_block_masked(
        &log,
        &real,
        Some(server.addr),
        &[TIMESTAMP, CLIENT_PORT, LATENCY, metrics_bytes],
    );
    let sleep_ms: f64 = real
        .lines()
        .find(|l| l.contains(r#"uri="/sleep""#))
        .and_then(|l| l.split("latency_ms=").nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no latency for /sleep in {real}"));
    assert!(
        sleep_ms >= 4900.0,
        "the log says the /sleep took {sleep_ms} ms"
    );

    let buckets = self::block(
        "m8.md",
        "$ curl -s http://127.0.0.1:7878/metrics | grep 'bucket.*/sleep'",
    );
    assert_transcript(&buckets, &server, &[], &[], |_| {});
}

/// `curl -s -o /dev/null [-X METHOD] URL`, as the chapter's requests are made.
fn curl(method: &str, addr: SocketAddr, path: &str) {
    let status = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-X",
            method,
            &format!("http://{addr}{path}"),
        ])
        .status()
        .expect("curl runs");
    assert!(status.success(), "curl -X {method} {path}: {status}");
}

/// `RUST_LOG=warn`: no line for the requests, and a warning for a second
/// Ctrl-C with a `/sleep` in flight.
#[test]
fn m8_rust_log_warn() {
    let block = block("m8.md", "$ RUST_LOG=warn just run m8");
    let mut server = Server::spawn("m8", {
        let mut command = as_a_reader("m8", &["127.0.0.1:0"]);
        command.env("RUST_LOG", "warn");
        command
    });
    let _slow = server.get_in_background("/sleep");
    server.wait_until("the /sleep in flight", |s| {
        s.get("/metrics")
            .text()
            .contains("\nhttp_connections_in_flight 2\n")
    });
    let listener = server.listener_inode();
    server.signal("INT");
    server.wait_until("the listener closed", |s| !s.has_socket(&listener));
    server.signal("INT");
    let status = server
        .wait_for_exit(Duration::from_secs(10))
        .expect("m8 exits");
    let real = format!("Listening on http://{}\n{}", server.addr, server.stderr());
    assert_eq!(status.code(), Some(130), "{real}");
    assert_block_masked(&block, &real, Some(server.addr), &[TIMESTAMP]);
}

/// `RUST_LOG=info,m8::request=off`: the POST between the two requests
/// leaves no line.
#[test]
fn m8_rust_log_without_refusals() {
    let block = block("m8.md", "$ RUST_LOG=info,m8::request=off just run m8");
    let server = Server::spawn("m8", {
        let mut command = as_a_reader("m8", &["127.0.0.1:0"]);
        command.env("RUST_LOG", "info,m8::request=off");
        command
    });
    // The log's lines after each request: the refused POST adds none.
    for (method, path, lines) in [("GET", "/", 2), ("POST", "/", 2), ("GET", "/nothing", 3)] {
        curl(method, server.addr, path);
        server.wait_until("the log's lines", |s| s.stderr().lines().count() >= lines);
    }
    let real = format!("Listening on http://{}\n{}", server.addr, server.stderr());
    assert_block_masked(
        &block,
        &real,
        Some(server.addr),
        &[TIMESTAMP, CLIENT_PORT, LATENCY],
    );
}

/// The JSON log in a file, read with grep and jq after three `GET /`, a
/// `GET /nothing` and a `POST`.
#[test]
fn m8_json_log() {
    let block = block("m8.md", "$ grep nothing log.jsonl");
    let server = Server::spawn("m8", {
        let mut command = as_a_reader("m8", &["127.0.0.1:0"]);
        command.env("LOG_FORMAT", "json");
        command
    });
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/"),
        ("GET", "/"),
        ("GET", "/nothing"),
        ("POST", "/"),
    ] {
        curl(method, server.addr, path);
    }
    server.wait_until("the log's lines", |s| s.stderr().lines().count() >= 6);
    let dir = scratch("m8-json");
    fs::write(dir.join("log.jsonl"), server.stderr()).unwrap();
    let real = transcript(&block, server.addr, &dir, &[], |_| {});
    let timestamp = (r#""timestamp":"[^"]+""#, r#""timestamp":"T""#);
    let latency = (r#""latency_ms":[\d.]+"#, r#""latency_ms":N"#);
    let rules = [timestamp, latency, CLIENT_PORT];
    let book = masked(&block.lines.join("\n"), &rules);
    let shown = masked(real.trim_end(), &rules);
    assert_same(&block, &book, &shown);
}

/// Starts `command` (an m8) with its stderr to a pipe that nobody reads, as
/// `2> >(sleep 300)` does; the process and the address it listens on.
fn with_a_log_nobody_reads(mut command: std::process::Command) -> (Child, SocketAddr) {
    let mut m8 = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(m8.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr = line
        .trim()
        .strip_prefix("Listening on http://")
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("m8 printed {line:?}"));
    (Child(m8), addr)
}

/// Kills the process when dropped, when a test fails too.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The chapter's loop, `for i in $(seq 3000); do curl -s -m 2 …`, with the
/// requests sent from here rather than by 3000 curl processes (minutes on a
/// small machine): the first request with no answer in 2 s, as `curl -m 2`
/// waits, if there is one.
fn first_unanswered(block: &Block, addr: SocketAddr) -> Option<usize> {
    let loop_ = block.lines.first().unwrap();
    assert!(
        loop_.starts_with(
            "$ for i in $(seq 3000); do curl -s -m 2 -o /dev/null http://127.0.0.1:7878/ \
             || { echo \"request $i: no answer in 2 s\"; break; }; done"
        ),
        "{loop_}"
    );
    (1..=3000).find(|_| !answered_as_curl_is(addr))
}

/// `GET /` answered with a 200 within 2 s. Like curl, the answer is whole
/// once its `Content-Length` bytes have come, whether or not the server has
/// closed the connection yet: m8 logs after it writes.
fn answered_as_curl_is(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return false;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
        }
        let text = String::from_utf8_lossy(&answer);
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .and_then(|n| n.trim().parse::<usize>().ok());
        if length.is_some_and(|length| body.len() >= length) {
            return head.starts_with("HTTP/1.1 200 OK");
        }
    }
}

/// A log nobody reads: the log drops lines, the requests are answered.
#[test]
fn m8_log_nobody_reads() {
    let _load = one_load_at_a_time();
    let first = block("m8.md", "$ cargo run -q -p m8 2> >(sleep 300)");
    assert_eq!(printed(&first), ["Listening on http://127.0.0.1:7878"]);
    let block = block("m8.md", "log_lines_dropped_total 1512");
    let (_m8, addr) = with_a_log_nobody_reads(as_a_reader("m8", &["127.0.0.1:0"]));
    if let Some(i) = first_unanswered(&block, addr) {
        panic!("request {i}: no answer in 2 s");
    }
    let metrics = section(&block, block.lines[1].as_str());
    let dir = scratch("m8-dropped");
    let real = transcript(&metrics, addr, &dir, &[], |_| {});
    let dropped = (r"log_lines_dropped_total \d+", "log_lines_dropped_total N");
    let book = masked(&metrics.lines.join("\n"), &[dropped]);
    assert_same(&metrics, &book, &masked(real.trim_end(), &[dropped]));
    let n: u64 = real
        .lines()
        .find_map(|l| l.strip_prefix("log_lines_dropped_total "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{real}"));
    assert!(n > 0, "the log dropped no line");
}

/// The same experiment on a copy of m8 whose log waits instead of dropping
/// lines: once the pipe and the queue are full, the runtime's worker
/// threads wait in their log events, and the server answers nobody, not
/// even `/metrics`. With 2 worker threads, the course machine's 2 CPUs.
#[test]
fn m8_blocking_log() {
    let block = block("m8.md", "request 1476: no answer in 2 s");
    let chapter = fs::read_to_string(src_dir().join("m8.md")).unwrap();
    assert!(
        chapter.contains("(`.lossy(false)` in `log::init`)"),
        "m8.md asks for the change this test makes"
    );
    let variant = a_copy_with("m8", "log.rs", ".lossy(true)", ".lossy(false)");
    let _load = one_load_at_a_time();
    let mut command = std::process::Command::new(variant);
    command.arg("127.0.0.1:0").env("TOKIO_WORKER_THREADS", "2");
    let (_m8, addr) = with_a_log_nobody_reads(command);
    let Some(i) = first_unanswered(&block, addr) else {
        panic!("m8 with a blocking log answered 3000 requests");
    };
    // The pipe's 64 KiB hold about 460 lines and the queue 1024 more: the
    // chapter's "about 1480 lines in all", with a wide margin.
    assert!(
        (1000..=2000).contains(&i),
        "request {i} was the first with no answer; the chapter says about 1480"
    );
    let request = (r"request \d+: no answer", "request N: no answer");
    assert_same(
        &block,
        &masked(&block.lines[1], &[request]),
        &masked(&format!("request {i}: no answer in 2 s"), &[request]),
    );
    let metrics = section(&block, block.lines[2].as_str());
    let dir = scratch("m8-blocking-log");
    let real = transcript(&metrics, addr, &dir, &[], |_| {});
    let waited = (r"after \d+ milliseconds", "after N milliseconds");
    let book = masked(&metrics.lines.join("\n"), &[waited]);
    assert_same(&metrics, &book, &masked(real.trim_end(), &[waited]));
}

/// The error that explains `Arc<Mutex<…>>`: m4's pool with `receiver`
/// itself passed to every worker, built in a crate of its own.
#[test]
fn m4_e0382() {
    let block = block("m4.md", "error[E0382]: use of moved value: `receiver`");
    let m4 = harness::repo_root().join("milestones/m4");
    let lib = fs::read_to_string(m4.join("src/lib.rs")).unwrap();
    // The chapter's change: no `Arc<Mutex<…>>` (its comment, its line and
    // the blank line after it go), `receiver` moved into `Worker::new`,
    // which takes an `mpsc::Receiver<Job>` and calls `recv` on it.
    let shared = "        // One receiver shared by every worker: `Arc` lets them all own it,\n        // `Mutex` lets only one of them take a job at a time.\n        let receiver = Arc::new(Mutex::new(receiver));\n\n";
    let broken = [
        (shared, ""),
        (
            "Worker::new(id, Arc::clone(&receiver))",
            "Worker::new(id, receiver)",
        ),
        (
            "receiver: Arc<Mutex<mpsc::Receiver<Job>>>",
            "receiver: mpsc::Receiver<Job>",
        ),
        ("receiver.lock().unwrap().recv()", "receiver.recv()"),
    ]
    .iter()
    .fold(lib, |lib, (from, to)| {
        assert!(
            lib.contains(from),
            "milestones/m4/src/lib.rs has no {from:?}"
        );
        lib.replace(from, to)
    });
    let dir = scratch("m4-e0382");
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"m4\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )
    .unwrap();
    fs::write(dir.join("src/lib.rs"), broken).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or("cargo".to_string());
    let output = std::process::Command::new(cargo)
        .args(["build", "--quiet", "--lib"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .expect("cargo runs");
    assert!(!output.status.success(), "the chapter's change compiles");
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The chapter quotes the error's first lines, up to what it explains.
    let error: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.starts_with("error[E0382]"))
        .take(block.lines.len())
        .collect();
    assert_block_is(&block, &error.join("\n"), None);
    let _ = fs::remove_dir_all(&dir);
}

/// A binary of the course's tools, built once per test run.
fn tool(name: &str) -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| harness::build_binaries(&["check", "compare"]))
        .join(name)
}

/// `just check --repo`'s first line, on a machine that gives every
/// protection (as `tools/check/tests/sandbox.rs` requires of this one): a
/// crate whose server exits at once is enough to print it.
#[test]
fn check_sandbox_line() {
    let dir = scratch("sandbox-crate");
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"student\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )
    .unwrap();
    fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    let output = std::process::Command::new(tool("check"))
        .args(["m1", "--repo"])
        .arg(&dir)
        .output()
        .expect("check runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    for chapter in ["introduction.md", "teachers.md"] {
        assert_block_is(&block(chapter, "sandbox: files"), first, None);
    }
    let _ = fs::remove_dir_all(&dir);
}

/// The first line on macOS, as the set-up chapter quotes it: what the
/// checker prints where none of the protections exists. Nothing here runs
/// macOS, so this is the function that writes the line there
/// (`check::sandbox::elsewhere`, which only a build for macOS calls).
#[test]
fn check_sandbox_line_on_macos() {
    let line = check::sandbox::elsewhere("macOS").to_string();
    assert_block_is(&block("setup.md", "sandbox: files"), &line, None);
}

/// `just compare` with a milestone that does not exist.
#[test]
fn compare_unknown_milestone() {
    let block = block("benchmarking.md", "$ just compare m9");
    let output = std::process::Command::new(tool("compare"))
        .arg("m9")
        .output()
        .expect("compare runs");
    assert_eq!(output.status.code(), Some(2));
    let real = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_block_is(&block, &real, None);
}

/// Held by the tests that load the machine (the load generators, 3000
/// requests, a class graded twice): one at a time, so that together they do
/// not starve the timing tests that run beside them.
fn one_load_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOAD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOAD.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether `program` runs; when it does not, a failure on CI (`.ci/run`
/// installs it), and elsewhere a note and `false`, to skip the test.
fn installed(program: &str, install: &str) -> bool {
    if std::process::Command::new(program)
        .arg("-V")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
    {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "`{program}` is not installed on CI: .ci/run installs it"
    );
    // libtest captures what `eprintln!` prints in a test that passes: written
    // to the handle itself, the note shows.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("note: `{program}` is not installed, so this test is skipped; install it with: {install}\n").as_bytes(),
    );
    false
}

/// Fails unless the block's printed lines, an excerpt "trimmed to the lines
/// that matter", are lines of the real output, in order, after `rules`.
fn assert_excerpt(block: &Block, real: &str, rules: &[Mask]) {
    let book = masked(&normalise(&printed(block).join("\n"), None), rules);
    let real = masked(real, rules);
    let mut real_lines = real.lines();
    let all_there = book.lines().all(|line| real_lines.any(|r| r == line));
    assert!(
        all_there,
        "book/src/{}:{} is not an excerpt of what the real run printed\n--- book ---\n{book}\n--- real run ---\n{real}\n",
        block.chapter, block.line
    );
}

/// Runs a command of the chapter (its `$ ` line, without the comment) against
/// `addr`; what it printed on stdout and stderr.
fn run_shown(command: &str, addr: SocketAddr) -> String {
    let line = command.strip_prefix("$ ").unwrap();
    let line = line.split("  #").next().unwrap().trim_end();
    let line = line.replace("127.0.0.1:7878", &addr.to_string());
    let output = std::process::Command::new("bash")
        .args(["-c", &line])
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("bash runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The number in the first line of `text` that starts with `label`, after it.
fn number_after(text: &str, label: &str) -> f64 {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .and_then(|rest| {
            let number: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            number.parse().ok()
        })
        .unwrap_or_else(|| panic!("no number after {label:?} in:\n{text}"))
}

/// ab sends HTTP/1.0: m4 answers every request with its 404 page, m6 with
/// hello.html. (Debug builds here; the chapter's are release builds, which
/// changes only the rate.)
#[test]
fn ab_m4_and_m6() {
    let _load = one_load_at_a_time();
    if !installed("ab", "sudo apt-get install apache2-utils") {
        return;
    }
    let rate = (r"Requests per second:\s+[\d.]+", "Requests per second: N");
    for (milestone, command) in [
        ("m4", "$ ab -n 1000 -c 16 http://127.0.0.1:7878/      # m4"),
        ("m6", "$ ab -n 1000 -c 16 http://127.0.0.1:7878/      # m6"),
    ] {
        let block = block("benchmarking.md", command);
        let server = start(milestone, &["127.0.0.1:0"]);
        let real = run_shown(command, server.addr);
        assert_excerpt(&block, &real, &[rate]);
        if milestone == "m6" {
            assert!(!real.contains("Non-2xx"), "{real}");
        }
    }
}

/// wrk counts each close without `Connection: close` as a read error, until
/// m6; against m1 it gets no answer at all.
#[test]
fn wrk_m4_m6_and_m1() {
    let _load = one_load_at_a_time();
    if !installed("wrk", "sudo apt-get install wrk") {
        return;
    }
    let requests = (
        r"\d+ requests in [\d.]+s, [\d.]+[KMG]?B read",
        "N requests in Ns, NMB read",
    );
    let rate = (r"Requests/sec:\s+[\d.]+", "Requests/sec: N");
    let reads = (r"read \d+, write 0", "read N, write 0");
    let command = "$ wrk -t 2 -c 16 -d 3s http://127.0.0.1:7878/      # m4";
    let server = start("m4", &["127.0.0.1:0"]);
    let real = run_shown(command, server.addr);
    assert_excerpt(
        &block("benchmarking.md", command),
        &real,
        &[requests, rate, reads],
    );
    // Nearly every request is an "error": all but those of the connections
    // still open at the end, at most one each.
    let done: f64 = real
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no count of requests in:\n{real}"));
    let errors = number_after(&real, "Socket errors: connect 0, read");
    assert!(done > 0.0 && errors >= done - 16.0, "{real}");

    let command = "$ wrk -t 2 -c 16 -d 3s http://127.0.0.1:7878/      # m6";
    let server = start("m6", &["127.0.0.1:0"]);
    let real = run_shown(command, server.addr);
    assert_excerpt(&block("benchmarking.md", command), &real, &[requests, rate]);
    assert!(!real.contains("Socket errors"), "{real}");

    let command = "$ wrk -t 2 -c 16 -d 2s http://127.0.0.1:7878/      # m1";
    let server = start("m1", &["127.0.0.1:0"]);
    let real = run_shown(command, server.addr);
    let time = (r"0 requests in [\d.]+s", "0 requests in Ns");
    // How many of its writes and reads fail varies; that none succeeds
    // does not.
    let writes = (r"read \d+, write \d+, timeout", "read N, write N, timeout");
    assert_excerpt(&block("benchmarking.md", command), &real, &[time, writes]);
}

/// oha's summary: the label of each value, the value masked.
const OHA_SUMMARY: Mask = (
    r"(?m)^(  (Total|Slowest|Fastest|Average|Requests/sec):\t)[\d.]+",
    "${1}N",
);

/// The milliseconds oha reports after `label` in its summary.
fn oha_ms(summary: &str, label: &str) -> f64 {
    number_after(summary, &format!("{label}:\t"))
}

/// oha against m4 with a pool of four and sleeps of 200 ms: 2 s in all,
/// the first four requests take one sleep and every later one two.
#[test]
fn oha_against_m4s_sleeps() {
    let _load = one_load_at_a_time();
    if !installed("oha", "cargo install oha --locked --version 1.16.0") {
        return;
    }
    let block = block("comparison.md", "Summary:");
    let server = Server::spawn("m4", {
        let mut command = as_a_reader("m4", &["127.0.0.1:0", "4"]);
        command.env("SLEEP_MS", "200");
        command
    });
    let chapter = fs::read_to_string(src_dir().join("comparison.md")).unwrap();
    let shown = "oha -n 40 -c 8 --disable-keepalive http://127.0.0.1:7878/sleep";
    assert!(
        chapter.contains(&format!("\n{shown}\n")),
        "comparison.md runs {shown}"
    );
    let real = run_shown(&format!("$ {shown}"), server.addr);
    assert_excerpt(&block, &real, &[OHA_SUMMARY]);
    let total = oha_ms(&real, "Total");
    assert!(
        total >= 1900.0,
        "40 sleeps of 200 ms on 4 workers took {total} ms"
    );
    assert!(oha_ms(&real, "Fastest") >= 200.0, "{real}");
    assert!(oha_ms(&real, "Slowest") >= 400.0, "{real}");
    let average = oha_ms(&real, "Average");
    assert!(
        (350.0..1000.0).contains(&average),
        "average {average} ms, not about 380"
    );
}

/// `just bench m1 -z 1s -c 16`: the compare tool's bench, which builds m1
/// in release and runs oha against it.
#[test]
fn oha_bench_m1_with_a_deadline() {
    let _load = one_load_at_a_time();
    if !installed("oha", "cargo install oha --locked --version 1.16.0") {
        return;
    }
    let block = block("benchmarking.md", "$ just bench m1 -z 1s -c 16");
    let output = std::process::Command::new(tool("compare"))
        .args(["bench", "m1", "--", "-z", "1s", "-c", "16"])
        .output()
        .expect("compare runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Whether m1 dies depends on whether a dropped connection had sent its
    // request: the chapter says so. When it dies, the note is the book's.
    let note = stderr.lines().find(|l| l.starts_with("note: "));
    let mut book = block.clone();
    if note.is_none() {
        assert!(
            book.lines
                .pop()
                .is_some_and(|l| l.starts_with("note: m1 died"))
        );
    }
    let real = format!(
        "{stdout}{}",
        note.map(|n| format!("{n}\n")).unwrap_or_default()
    );
    let rules = [
        OHA_SUMMARY,
        (r"http://127\.0\.0\.1:\d+/", "http://127.0.0.1:PORT/"),
        (r"/tmp/compare-logs-\w+/", "/tmp/compare-logs-X/"),
        (r"\[200\] \d+ responses", "[200] N responses"),
        (
            r"\[\d+\] aborted due to deadline",
            "[N] aborted due to deadline",
        ),
        (
            r"CPU time: oha [\d.]+ s user \+ [\d.]+ s system",
            "CPU time: oha N s user + N s system",
        ),
        (r"CPU time: m1 [\d.]+ s", "CPU time: m1 N s"),
    ];
    let expected = masked(&normalise(&printed(&book).join("\n"), None), &rules);
    let shown = masked(real.trim_end(), &rules);
    assert_same(&book, &expected, &shown);
}

/// A copy of `milestone` with one change in one of its sources, the
/// change a chapter asks the reader to make, built in a crate of its own
/// under target/tmp; the path of its binary. The copies share a target
/// folder kept between runs, so m7's and m8's dependencies (the same
/// tokio) are built once.
fn a_copy_with(milestone: &str, file: &str, from: &str, to: &str) -> PathBuf {
    let original = harness::repo_root().join("milestones").join(milestone);
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.join(format!(
        "book-outputs-{milestone}-{}",
        file.replace('.', "-")
    ));
    fs::create_dir_all(dir.join("src")).unwrap();
    for file in ["hello.html", "404.html"] {
        fs::copy(original.join(file), dir.join(file)).unwrap();
    }
    for entry in fs::read_dir(original.join("src")).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        let text = if path.ends_with(file) {
            assert!(text.contains(from), "{milestone}'s {file} has no {from:?}");
            text.replace(from, to)
        } else {
            text
        };
        fs::write(dir.join("src").join(path.file_name().unwrap()), text).unwrap();
    }
    // The milestone's manifest, with the workspace's settings written out.
    let manifest = fs::read_to_string(original.join("Cargo.toml"))
        .unwrap()
        .replace("rust-version.workspace = true", "")
        .replace("version.workspace = true", "version = \"0.1.0\"")
        .replace("edition.workspace = true", "edition = \"2024\"")
        .replace("publish.workspace = true", "publish = false");
    fs::write(dir.join("Cargo.toml"), format!("{manifest}\n[workspace]\n")).unwrap();
    // The workspace's versions of the dependencies, already downloaded.
    fs::copy(
        harness::repo_root().join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    let target = tmp.join("book-outputs-copies");
    let cargo = std::env::var("CARGO").unwrap_or("cargo".to_string());
    let output = std::process::Command::new(cargo)
        .args(["build", "--quiet", "--offline", "--bin", milestone])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{milestone} with {to:?} does not build:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    target.join("debug").join(milestone)
}

/// m7 with the chapter's change, a blocking sleep inside the task.
fn m7_with_a_blocking_sleep() -> PathBuf {
    let chapter = fs::read_to_string(src_dir().join("m7.md")).unwrap();
    let (timer, blocking) = (
        "tokio::time::sleep(Duration::from_millis(ms)).await;",
        "std::thread::sleep(Duration::from_millis(ms));",
    );
    for line in [
        format!("-            {timer}"),
        format!("+            {blocking}"),
    ] {
        assert!(chapter.contains(&line), "m7.md shows the change {line:?}");
    }
    a_copy_with("m7", "main.rs", timer, blocking)
}

/// m7's classic mistake: with a blocking sleep, two `/sleep` hold both of
/// the runtime's worker threads and `GET /` waits; m7 as it is answers at
/// once. Both with 2 worker threads, the course machine's 2 CPUs.
#[test]
fn m7_blocking_sleep() {
    let blocked = block("m7.md", "GET / with 2 sleeps in flight: 4.721202 s");
    let free = block("m7.md", "GET / with 2 sleeps in flight: 0.000602 s");
    let seconds = |real: &str| -> f64 {
        number_after(
            real.lines().last().unwrap_or_default(),
            "GET / with 2 sleeps in flight:",
        )
    };
    let time = (r"in flight: [\d.]+ s", "in flight: N s");
    let variant = m7_with_a_blocking_sleep();
    let mut command = std::process::Command::new(&variant);
    command.arg("127.0.0.1:0").env("TOKIO_WORKER_THREADS", "2");
    let server = Server::spawn("m7 with a blocking sleep", command);
    let real = assert_transcript(&blocked, &server, &[], &[time], |_| {});
    let waited = seconds(&real);
    assert!(
        waited >= 4.0,
        "GET / waited only {waited} s behind two blocking sleeps"
    );

    let server = Server::spawn("m7", {
        let mut command = as_a_reader("m7", &["127.0.0.1:0"]);
        command.env("TOKIO_WORKER_THREADS", "2");
        command
    });
    let dir = scratch("m7-free");
    let real = transcript(&blocked, server.addr, &dir, &[], |_| {});
    let last = real.lines().last().unwrap_or_default().to_string();
    assert_block_masked(&free, &last, None, &[time]);
    let waited = seconds(&real);
    assert!(
        waited < 2.0,
        "GET / waited {waited} s on m7 with two sleeps in flight"
    );
}

/// `just grade-bench`'s report, recorded in teachers/bench.txt from a run
/// of 30 repositories: the same lines from a short real run of one
/// repository with a `/sleep` of 100 ms, with the numbers masked.
#[test]
fn grade_bench() {
    let _load = one_load_at_a_time();
    let block = block("teachers.md", "{{#include teachers/bench.txt}}");
    let Some(mut just) = harness::just::just(&harness::repo_root()) else {
        return;
    };
    let output = just
        .args(["grade-bench", "1", "100"])
        .output()
        .expect("just runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "just grade-bench 1 100 failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let recorded = fs::read_to_string(src_dir().join("teachers/bench.txt")).unwrap();
    let rules = [
        (
            r"grading \d+ fixture repositories, /sleep of \d+ ms, on \d+ CPUs",
            "grading N fixture repositories, /sleep of N ms, on N CPUs",
        ),
        (
            r"graded in [\d.]+ s in the sandbox, [\d.]+ s without it \([+-][\d.]+ %\)",
            "graded in N s in the sandbox, N s without it (N %)",
        ),
        (
            r"\d+ of \d+ stages passed, \d+ missing",
            "N of N stages passed, N missing",
        ),
    ];
    let book = masked(recorded.trim_end(), &rules);
    assert_same(&block, &book, &masked(stdout.trim_end(), &rules));
    // Every stage of every repository counted: six stages each.
    let counts = |text: &str| -> (u32, u32, u32) {
        let line = text
            .lines()
            .find(|l| l.contains(" stages passed, "))
            .unwrap();
        let n: Vec<u32> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        (n[0], n[1], n[2])
    };
    let (passed, stages, missing) = counts(&stdout);
    assert_eq!(stages, 6, "{stdout}");
    assert!(passed + missing <= stages, "{stdout}");
    assert_eq!(counts(&recorded).1, 6 * 30, "{recorded}");
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
const NOT_YET_REPRODUCED: &[(&str, &str, &str)] = &[];

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

/// The body of the test function `name` in this file, or, for
/// `module::name`, in that module of the test target.
fn test_body(name: &str) -> Option<String> {
    let (source, name) = match name.split_once("::") {
        Some(("prometheus", name)) => (include_str!("prometheus.rs"), name),
        Some((other, _)) => panic!("the guard reads no module {other}"),
        None => (include_str!("book_outputs.rs"), name),
    };
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
                            "{c}:{}: no test {test} in tests/milestones",
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
