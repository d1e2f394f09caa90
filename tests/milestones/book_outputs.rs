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

/// The one block of `chapter` that has a line starting with `key`.
fn block(chapter: &'static str, key: &str) -> Block {
    let mut found: Vec<Block> = blocks(chapter)
        .into_iter()
        .filter(|b| b.lines.iter().any(|l| l.starts_with(key)))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "book/src/{chapter} should have one ```console/```text block with a line starting with {key:?}"
    );
    found.remove(0)
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
