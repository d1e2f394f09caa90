//! The teachers' answer key: each solution in book/src/teachers/answers/ is
//! a patch against the copy of its milestone that `just start mN DIR`
//! makes. Here each one is applied to such a copy, which then builds and
//! gets the verdicts its exercise names from `just check mN --repo DIR`, and
//! does what its exercise asks.
//!
//! The answer key's chapter (book/src/teachers/answers.md) shows every
//! patch, and every exercise of the chapters has an entry there.

use std::{
    collections::BTreeSet,
    fs,
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::{OnceLock, mpsc},
    time::{Duration, Instant},
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn answers_dir() -> PathBuf {
    root().join("book/src/teachers/answers")
}

/// The course's `start` or `check` binary, built once for all the tests.
fn tool(name: &str) -> PathBuf {
    static PROFILE_DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = PROFILE_DIR.get_or_init(|| harness::build_binaries(&["start", "check"]));
    dir.join(name)
}

/// A student's fresh copy of `milestone`, in a temporary folder, as
/// `just start mN DIR` makes it; the copy is the folder's `mN`.
fn fresh(milestone: &str) -> tempfile::TempDir {
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join(milestone);
    let output = Command::new(tool("start"))
        .arg(milestone)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "start {milestone}: {output:?}");
    if let Some(target) = dependencies_built(milestone) {
        let output = Command::new("cp")
            .arg("-R")
            .arg(target)
            .arg(dir.join("target"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "cp {}: {output:?}",
            target.display()
        );
    }
    outside
}

/// For a milestone with dependencies (tokio, tracing, …), a target folder
/// in which a fresh copy of it was built once, for all of its answers: each
/// copy starts from it, so that cargo compiles the dependencies once, not
/// once per answer, and then only the copy's own crate. Kept between runs
/// under this workspace's target/, so that it is incremental too.
fn dependencies_built(milestone: &str) -> Option<&'static Path> {
    static M7: OnceLock<PathBuf> = OnceLock::new();
    static M8: OnceLock<PathBuf> = OnceLock::new();
    let once = match milestone {
        "m7" => &M7,
        "m8" => &M8,
        _ => return None,
    };
    let target = once.get_or_init(|| {
        let outside = tempfile::tempdir().unwrap();
        let dir = outside.path().join(milestone);
        let output = Command::new(tool("start"))
            .arg(milestone)
            .arg(&dir)
            .output()
            .unwrap();
        assert!(output.status.success(), "start {milestone}: {output:?}");
        let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("answers-dependencies")
            .join(milestone);
        let cargo = std::env::var("CARGO").unwrap_or("cargo".to_string());
        let output = Command::new(cargo)
            .args(["build", "--quiet"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "cargo build of {milestone}: {output:?}"
        );
        target
    });
    Some(target)
}

/// A student's copy of `milestone` with the answer `name` applied, in a
/// temporary folder.
fn patched(milestone: &str, name: &str) -> tempfile::TempDir {
    let outside = fresh(milestone);
    apply(&outside.path().join(milestone), name);
    outside
}

/// `git apply` of the answer `name` in the copy `dir`.
fn apply(dir: &Path, name: &str) {
    let patch = answers_dir().join(format!("{name}.patch"));
    let output = Command::new("git")
        .arg("apply")
        .arg(&patch)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} does not apply to a fresh `just start`: {}",
        patch.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `check MILESTONE --repo DIR CHECKS…`, as the exercise prints it.
fn check(milestone: &str, dir: &Path, checks: &[&str]) -> Output {
    Command::new(tool("check"))
        .arg(milestone)
        .arg("--repo")
        .arg(dir)
        .args(checks)
        .output()
        .unwrap()
}

/// `check MILESTONE --repo DIR CHECKS…` passes: each of `checks` and the
/// checks they need, or with no names every check of the milestone.
fn assert_passes(milestone: &str, dir: &Path, checks: &[&str]) {
    let output = check(milestone, dir, checks);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.ends_with(" passed, 0 failed\n"), "{stdout}");
    for name in checks {
        let passed = format!("✓ {name} ");
        assert!(stdout.lines().any(|l| l.starts_with(&passed)), "{stdout}");
    }
}

/// `check` fails, with a `✗` line for each of `checks`; its stdout.
fn assert_fails(milestone: &str, dir: &Path, checks: &[&str]) -> String {
    let output = check(milestone, dir, checks);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    for name in checks {
        let failed = format!("✗ {name} ");
        assert!(stdout.lines().any(|l| l.starts_with(&failed)), "{stdout}");
    }
    stdout
}

/// The crate's server, which check built into `DIR/target`, on a free port.
struct Server {
    child: Child,
    addr: String,
    stdout: mpsc::Receiver<String>,
    printed: Vec<String>,
}

impl Server {
    fn start(dir: &Path, env: &[(&str, &str)]) -> Server {
        Server::start_with(dir, &[], env)
    }

    /// Starts the server with `args` after its address, and waits for its
    /// listening line; the lines it printed before are in `printed`.
    fn start_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(dir.join("target/debug/hello"))
            .arg("127.0.0.1:0")
            .args(args)
            // m8's log level is the test's to choose, not the environment's.
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (sender, stdout) = mpsc::channel();
        let pipe = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut printed = Vec::new();
        let addr = loop {
            let line = stdout
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no listening line after {printed:?}"));
            match line.strip_prefix("Listening on http://") {
                Some(addr) => break addr.to_string(),
                None => printed.push(line),
            }
        };
        Server {
            child,
            addr,
            stdout,
            printed,
        }
    }

    /// Every line the server printed so far, the listening line aside.
    fn printed(&mut self) -> Vec<String> {
        self.printed.extend(self.stdout.try_iter());
        self.printed.clone()
    }

    /// Sends `request` and reads the answer until the server closes.
    fn send(&self, request: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    fn get(&self, target: &str) -> String {
        self.send(&format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n"))
    }

    /// The server's stderr, line by line, read on a thread of its own.
    fn stderr_lines(&mut self) -> mpsc::Receiver<String> {
        let (sender, receiver) = mpsc::channel();
        let stderr = self.child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        receiver
    }

    /// Waits (at most 10 s) for the server to exit, and returns its stderr.
    fn stderr_after_exit(&mut self) -> String {
        let start = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(start.elapsed() < Duration::from_secs(10), "still running");
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        stderr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The answers this file tests, one test each.
const TESTED: [&str; 24] = [
    "m1-1", "m1-2", "m1-3", "m2-3", "m3-1", "m3-2", "m3-3", "m4-1", "m4-2", "m4-3", "m4-4", "m5-1",
    "m5-2", "m5-3", "m6-1", "m6-4", "m7-1", "m7-2", "m7-3", "m8-1", "m8-2", "m8-3", "m8-4", "m8-5",
];

#[test]
fn m1_1_about_is_a_third_route() {
    let copy = patched("m1", "m1-1");
    let dir = copy.path().join("m1");
    assert_passes("m1", &dir, &["root", "not-found"]);
    let server = Server::start(&dir, &[]);
    let about = server.get("/about");
    let page = fs::read_to_string(dir.join("about.html")).unwrap();
    assert_eq!(
        about,
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{page}",
            page.len()
        )
    );
}

#[test]
fn m1_2_without_content_length_both_checks_fail() {
    let copy = patched("m1", "m1-2");
    let dir = copy.path().join("m1");
    let stdout = assert_fails("m1", &dir, &["root", "not-found"]);
    for name in ["root", "not-found"] {
        assert!(
            stdout
                .lines()
                .any(|line| line.starts_with(&format!("✗ {name} "))
                    && line.ends_with("there is no Content-Length header")),
            "{stdout}"
        );
    }
    // The page still arrives whole: the client learns its end from the close.
    let server = Server::start(&dir, &[]);
    let page = fs::read_to_string(dir.join("hello.html")).unwrap();
    assert_eq!(server.get("/"), format!("HTTP/1.1 200 OK\r\n\r\n{page}"));
}

#[test]
fn m1_3_expect_names_the_assumption_and_the_server_still_dies() {
    let copy = patched("m1", "m1-3");
    let dir = copy.path().join("m1");
    assert_passes("m1", &dir, &["root", "not-found"]);
    let mut server = Server::start(&dir, &[]);
    drop(TcpStream::connect(&server.addr).unwrap());
    let stderr = server.stderr_after_exit();
    assert!(
        stderr.contains("the client sends a request line before it hangs up"),
        "{stderr}"
    );
}

#[test]
fn m2_3_sleep_reads_its_duration_from_the_request() {
    let copy = patched("m2", "m2-3");
    let dir = copy.path().join("m2");
    assert_passes("m2", &dir, &["sleep", "blocks"]);
    // SLEEP_MS of a minute: only the request's own `ms` can make it short.
    let server = Server::start(&dir, &[("SLEEP_MS", "60000")]);
    let start = Instant::now();
    let answer = server.get("/sleep?ms=300");
    let took = start.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(30), "slept SLEEP_MS: {took:?}");
}

#[test]
fn m3_1_a_panic_names_its_client() {
    let copy = patched("m3", "m3-1");
    let dir = copy.path().join("m3");
    assert_passes("m3", &dir, &["parallel"]);
    let mut server = Server::start(&dir, &[]);
    let lines = server.stderr_lines();
    let client = TcpStream::connect(&server.addr).unwrap();
    let name = format!("thread 'client {}' (", client.local_addr().unwrap());
    drop(client);
    let line = std::iter::from_fn(|| lines.recv_timeout(Duration::from_secs(10)).ok())
        .find(|line| !line.is_empty())
        .expect("no panic on stderr");
    assert!(
        line.starts_with(&name) && line.contains(") panicked at "),
        "{line}"
    );
    assert!(server.get("/").starts_with("HTTP/1.1 200 OK\r\n"));
}

#[test]
fn m3_2_the_ninth_connection_in_flight_gets_a_503_until_one_ends() {
    let copy = patched("m3", "m3-2");
    let dir = copy.path().join("m3");
    assert_passes("m3", &dir, &["parallel"]);
    let server = Server::start(&dir, &[("SLEEP_MS", "3000")]);
    let sleeping: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut stream = TcpStream::connect(&server.addr).unwrap();
            stream
                .write_all(b"GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            stream
        })
        .collect();
    // Accepted after the eight, while they sleep. It sends nothing: the
    // server answers without reading, and unread bytes would reset the
    // connection before the answer could be read.
    let mut ninth = TcpStream::connect(&server.addr).unwrap();
    ninth
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut answer = String::new();
    ninth.read_to_string(&mut answer).unwrap();
    assert_eq!(
        answer,
        "HTTP/1.1 503 SERVICE UNAVAILABLE\r\nContent-Length: 0\r\n\r\n"
    );
    for mut stream in sleeping {
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    }
    // Each thread stopped counting when it ended.
    for _ in 0..10 {
        assert!(server.get("/").starts_with("HTTP/1.1 200 OK\r\n"));
    }
}

#[test]
fn m3_3_move_makes_the_borrowing_version_compile() {
    let copy = patched("m3", "m3-3");
    let dir = copy.path().join("m3");
    assert_passes("m3", &dir, &["parallel"]);
}

#[test]
fn m4_1_holding_the_lock_while_a_job_runs_serialises_the_pool() {
    let copy = patched("m4", "m4-1");
    let dir = copy.path().join("m4");
    assert_fails("m4", &dir, &["parallel", "pool-size"]);
}

#[test]
fn m4_2_a_bounded_channel_still_serves_in_parallel() {
    let copy = patched("m4", "m4-2");
    let dir = copy.path().join("m4");
    assert_passes("m4", &dir, &[]);
}

/// `cargo test` in the student's copy.
fn cargo_test(dir: &Path) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or("cargo".to_string());
    Command::new(cargo)
        .args(["test", "--quiet"])
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap()
}

#[test]
fn m4_3_the_test_passes_with_two_workers_and_fails_with_three() {
    let copy = patched("m4", "m4-3");
    let dir = copy.path().join("m4");
    let output = cargo_test(&dir);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("test result: ok. 1 passed"), "{stdout}");
    // A pool of 3 runs three jobs at once: "but not 3" must catch it.
    let test = dir.join("tests/pool.rs");
    let text = fs::read_to_string(&test).unwrap();
    fs::write(
        &test,
        text.replace("ThreadPool::new(2)", "ThreadPool::new(3)"),
    )
    .unwrap();
    let output = cargo_test(&dir);
    assert!(!output.status.success(), "{output:?}");
}

#[test]
fn m4_4_named_workers_say_so_when_they_start() {
    let copy = patched("m4", "m4-4");
    let dir = copy.path().join("m4");
    assert_passes("m4", &dir, &[]);
    let mut server = Server::start_with(&dir, &["2"], &[]);
    // Both workers have started once both answered a request at once.
    assert!(server.get("/").starts_with("HTTP/1.1 200 OK\r\n"));
    let start = Instant::now();
    while server
        .printed()
        .iter()
        .filter(|l| l.ends_with(" started"))
        .count()
        < 2
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            server.printed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut started: Vec<String> = server
        .printed()
        .into_iter()
        .filter(|line| line.ends_with(" started"))
        .collect();
    started.sort();
    assert_eq!(started, ["worker 0 started", "worker 1 started"]);
}

/// The copy's binary run to its end with `args`, as a student runs it.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(dir.join("target/debug/hello"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn m5_1_a_refused_thread_is_an_error_variant_with_its_source() {
    let copy = patched("m5", "m5-1");
    let dir = copy.path().join("m5");
    assert_passes("m5", &dir, &["build-result"]);
    // The patch's own tests: the variants, and the `io::Error` as source.
    let output = cargo_test(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout.contains("test result: ok. 3 passed"), "{stdout}");
    let output = run(&dir, &["127.0.0.1:0", "0"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: a thread pool needs at least one worker, not 0; \
         pass WORKERS of 1 or more after the address, e.g. 127.0.0.1:0 4\n"
    );
}

#[test]
fn m5_2_an_error_returned_from_main_is_its_debug_form_and_exit_1() {
    let copy = patched("m5", "m5-2");
    let dir = copy.path().join("m5");
    assert_passes("m5", &dir, &["build-result"]);
    let output = run(&dir, &["127.0.0.1:0", "0"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "Error: PoolCreationError\n"
    );
}

#[test]
fn m5_3_the_largest_usize_panics_until_build_has_a_limit() {
    let copy = fresh("m5");
    let dir = copy.path().join("m5");
    // What the exercise has the student see, in m5 as it is.
    assert_passes("m5", &dir, &["build-result"]);
    let output = run(&dir, &["127.0.0.1:0", "18446744073709551615"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(101), "{stderr}");
    assert!(stderr.contains("\ncapacity overflow\n"), "{stderr}");
    let output = run(&dir, &["127.0.0.1:0", "18446744073709551616"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: WORKERS must be a whole number, such as 4: \
         number too large to fit in target type\n"
    );
    // With the answer, the same number is one line and exit status 2.
    apply(&dir, "m5-3");
    assert_passes("m5", &dir, &["build-result"]);
    for size in ["18446744073709551615", "1025"] {
        let output = run(&dir, &["127.0.0.1:0", size]);
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            format!(
                "error: a thread pool has at most 1024 workers, not {size}; \
                 pass WORKERS from 1 to 1024 after the address, e.g. 127.0.0.1:0 4\n"
            )
        );
    }
    let server = Server::start_with(&dir, &["2"], &[]);
    assert!(server.get("/").starts_with("HTTP/1.1 200 OK\r\n"));
}

/// Without closing the channel first, `Drop` waits for workers that wait
/// for jobs: after Ctrl-C the server never exits.
#[test]
fn m6_1_a_pool_that_keeps_its_sender_never_shuts_down() {
    let copy = patched("m6", "m6-1");
    let dir = copy.path().join("m6");
    assert_fails("m6", &dir, &["shutdown"]);
}

/// With `TIMEOUT_MS=1000`, a request left unfinished gets its 408 after
/// about a second instead of five; a value that is not a number is refused.
#[test]
fn m6_4_timeout_ms_sets_the_deadline() {
    let copy = patched("m6", "m6-4");
    let dir = copy.path().join("m6");
    assert_passes("m6", &dir, &["empty-connections", "bad-request"]);
    let mut server = Server::start(&dir, &[("TIMEOUT_MS", "1000")]);
    let lines = server.stderr_lines();
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let start = Instant::now();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: slow").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let took = start.elapsed();
    assert!(
        answer.starts_with("HTTP/1.1 408 REQUEST TIMEOUT\r\n"),
        "{answer}"
    );
    assert!(took >= Duration::from_millis(900), "408 after {took:?}");
    assert!(took < Duration::from_secs(4), "408 after {took:?}");
    let line = lines.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        line.ends_with(
            ": did not finish its request in 1s; answering HTTP/1.1 408 REQUEST TIMEOUT"
        ),
        "{line}"
    );
    let output = Command::new(dir.join("target/debug/hello"))
        .arg("127.0.0.1:0")
        .env("TIMEOUT_MS", "1s")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: TIMEOUT_MS must be a number of milliseconds above 0, such as 5000\n"
    );
}

/// Sends `GET /sleep` on a connection of its own and leaves it waiting.
fn start_sleep(server: &Server) -> TcpStream {
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .write_all(b"GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    stream
}

/// Two blocking sleeps would take both of tokio's worker threads on two
/// CPUs; on the blocking pool they leave `GET /` free.
#[test]
fn m7_1_blocking_sleeps_on_the_blocking_pool_leave_get_free() {
    let copy = patched("m7", "m7-1");
    let dir = copy.path().join("m7");
    assert_passes("m7", &dir, &["idle-connections", "parallel"]);
    let server = Server::start(&dir, &[("SLEEP_MS", "3000")]);
    let sleeping: Vec<TcpStream> = (0..4).map(|_| start_sleep(&server)).collect();
    let start = Instant::now();
    assert!(server.get("/").starts_with("HTTP/1.1 200 OK\r\n"));
    let took = start.elapsed();
    assert!(took < Duration::from_millis(1500), "GET / waited {took:?}");
    drop(sleeping);
}

#[test]
fn m7_2_the_101st_connection_waits_until_one_of_100_ends() {
    let copy = patched("m7", "m7-2");
    let dir = copy.path().join("m7");
    // The check's GET / is the 101st client, behind 100 idle ones.
    assert_fails("m7", &dir, &["idle-connections"]);
    let server = Server::start(&dir, &[]);
    // A hundred clients that send nothing: each holds a permit until the
    // server's 5 s deadline, or until it hangs up.
    let mut idle: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    let mut last = TcpStream::connect(&server.addr).unwrap();
    last.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    last.set_read_timeout(Some(Duration::from_millis(1000)))
        .unwrap();
    let mut byte = [0; 1];
    let waited = last.read(&mut byte);
    assert!(
        waited.is_err(),
        "the 101st was answered at once: {waited:?}"
    );
    // One client leaves: its task ends, and its permit lets the 101st in.
    drop(idle.pop());
    last.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut answer = String::new();
    last.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
}

/// One thread is enough for waiting: a thousand sleeps of 1 s still end in
/// a few seconds, not the 250 sleeps a pool of 4 would take, and the checks
/// pass.
#[test]
fn m7_3_one_thread_still_sleeps_in_parallel() {
    let copy = patched("m7", "m7-3");
    let dir = copy.path().join("m7");
    assert_passes("m7", &dir, &["idle-connections", "parallel"]);
    let server = Server::start(&dir, &[("SLEEP_MS", "1000")]);
    let start = Instant::now();
    // The chapter's thousand sleeps, as m7::a_thousand_sleeps_take_about_one_sleep
    // sends them to m7: a pool of 4 would take 250 sleeps.
    let sleeping: Vec<TcpStream> = (0..1000).map(|_| start_sleep(&server)).collect();
    for mut stream in sleeping {
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    }
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "1000 sleeps of 1 s took {took:?}"
    );
}

/// Every series m8 can know in advance is there, at 0, before the first
/// request.
#[test]
fn m8_1_every_known_series_is_there_at_zero_from_the_start() {
    let copy = patched("m8", "m8-1");
    let dir = copy.path().join("m8");
    assert_passes("m8", &dir, &["metrics"]);
    let server = Server::start(&dir, &[]);
    let scrape = server.get("/metrics");
    let lines: Vec<&str> = scrape.lines().collect();
    for series in [
        r#"http_requests_total{route="/",status="200"} 0"#,
        r#"http_requests_total{route="/sleep",status="200"} 0"#,
        r#"http_requests_total{route="/metrics",status="200"} 0"#,
        r#"http_requests_total{route="other",status="404"} 0"#,
        r#"http_request_duration_seconds_count{route="/sleep"} 0"#,
        r#"http_request_duration_seconds_count{route="other"} 0"#,
        r#"http_refusals_total{reason="idle"} 0"#,
        r#"http_refusals_total{reason="method"} 0"#,
        r#"http_refusals_total{reason="read_error"} 0"#,
    ] {
        assert!(lines.contains(&series), "no {series} in:\n{scrape}");
    }
    let refusals = lines
        .iter()
        .filter(|l| l.starts_with("http_refusals_total{"))
        .count();
    assert_eq!(refusals, 10, "one series per reason:\n{scrape}");
}

/// The value of the series `name{labels}` in a scrape.
fn value(scrape: &str, series: &str) -> f64 {
    let line = scrape
        .lines()
        .find(|line| {
            line.strip_prefix(series)
                .is_some_and(|r| r.starts_with(' '))
        })
        .unwrap_or_else(|| panic!("no {series} in:\n{scrape}"));
    line[series.len()..].trim().parse().unwrap()
}

/// `histogram_quantile(q, …)` as Prometheus computes it from the buckets of
/// `route` in `http_request_duration_seconds`: the bucket where the q-th
/// request falls, and a straight line from its lower bound to its upper.
fn quantile(scrape: &str, route: &str, q: f64) -> f64 {
    let prefix = "http_request_duration_seconds_bucket{le=\"";
    let suffix = format!("\",route=\"{route}\"}}");
    let mut buckets: Vec<(f64, f64)> = Vec::new();
    for line in scrape.lines() {
        let Some(rest) = line.strip_prefix(prefix) else {
            continue;
        };
        let Some((le, count)) = rest.split_once(&suffix) else {
            continue;
        };
        let le = match le {
            "+Inf" => f64::INFINITY,
            le => le.parse().unwrap(),
        };
        buckets.push((le, count.trim().parse().unwrap()));
    }
    let total = buckets.last().expect("no buckets").1;
    let rank = q * total;
    let (mut lower, mut below) = (0.0, 0.0);
    for (le, count) in buckets {
        if count >= rank {
            return lower + (le - lower) * (rank - below) / (count - below);
        }
        (lower, below) = (le, count);
    }
    unreachable!("the +Inf bucket holds every request")
}

/// One `/sleep` of 5 s: with a bucket bound at 5.1 s, the p99 reads within
/// 0.1 s of what the request took.
#[test]
fn m8_2_a_bucket_just_above_5_s_puts_the_p99_within_a_tenth() {
    let copy = patched("m8", "m8-2");
    let dir = copy.path().join("m8");
    assert_passes("m8", &dir, &["metrics"]);
    let server = Server::start(&dir, &[("SLEEP_MS", "5000")]);
    assert!(server.get("/sleep").starts_with("HTTP/1.1 200 OK\r\n"));
    let scrape = server.get("/metrics");
    let took = value(
        &scrape,
        r#"http_request_duration_seconds_sum{route="/sleep"}"#,
    );
    let p99 = quantile(&scrape, "/sleep", 0.99);
    assert!((p99 - took).abs() < 0.1, "p99 {p99} for {took} s");
}

/// Waits (at most 10 s) for the next line of `lines` that contains `what`,
/// and returns it with the lines before it.
fn until(lines: &mpsc::Receiver<String>, what: &str) -> Vec<String> {
    let mut seen = Vec::new();
    while !seen.last().is_some_and(|l: &String| l.contains(what)) {
        let line = lines
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no {what:?} after {seen:?}"));
        seen.push(line);
    }
    seen
}

/// A `User-Agent`, whatever the case of its name, is a field of `served`;
/// a request without one has no such field.
#[test]
fn m8_3_the_user_agent_is_a_field_of_the_served_event() {
    let copy = patched("m8", "m8-3");
    let dir = copy.path().join("m8");
    assert_passes("m8", &dir, &["root", "bad-request"]);
    let mut server = Server::start(&dir, &[]);
    let lines = server.stderr_lines();
    let answer = server.send("GET / HTTP/1.1\r\nHost: x\r\nuser-agent: answer-key/1.0\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    let served = until(&lines, " served ").pop().unwrap();
    assert!(
        served.ends_with(r#" user_agent="answer-key/1.0""#),
        "{served}"
    );
    assert!(server.get("/").starts_with("HTTP/1.1 200 OK\r\n"));
    let served = until(&lines, " served ").pop().unwrap();
    assert!(!served.contains("user_agent"), "{served}");
}

/// The counter goes up by every byte of every answer, headers included.
#[test]
fn m8_4_the_bytes_counter_counts_every_byte_sent_by_route() {
    let copy = patched("m8", "m8-4");
    let dir = copy.path().join("m8");
    assert_passes("m8", &dir, &["metrics"]);
    let server = Server::start(&dir, &[]);
    let root: usize = (0..2).map(|_| server.get("/").len()).sum();
    let other = server.get("/nope").len();
    let scrape = server.get("/metrics");
    let counted = |route: &str| {
        value(
            &scrape,
            &format!("http_response_bytes_total{{route=\"{route}\"}}"),
        )
    };
    assert_eq!(counted("/"), root as f64);
    assert_eq!(counted("other"), other as f64);
}

/// With `RUST_LOG=hello=debug` the head's size is logged before `served`;
/// without `RUST_LOG` it is not.
#[test]
fn m8_5_the_debug_event_shows_only_when_debug_is_on() {
    let copy = patched("m8", "m8-5");
    let dir = copy.path().join("m8");
    assert_passes("m8", &dir, &["root"]);
    // What curl 7.88.1 sends to the book's address: the key's 78 bytes.
    let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1:7878\r\nUser-Agent: curl/7.88.1\r\n\
                   Accept: */*\r\n\r\n";
    let mut server = Server::start(&dir, &[("RUST_LOG", "hello=debug")]);
    let lines = server.stderr_lines();
    assert!(server.send(request).starts_with("HTTP/1.1 200 OK\r\n"));
    let seen = until(&lines, " served ");
    let debug = " read the head bytes=78";
    assert!(
        seen.iter()
            .any(|l| l.contains(" DEBUG ") && l.ends_with(&debug)),
        "{seen:?}"
    );
    let mut server = Server::start(&dir, &[]);
    let lines = server.stderr_lines();
    assert!(server.send(request).starts_with("HTTP/1.1 200 OK\r\n"));
    let seen = until(&lines, " served ");
    assert!(
        !seen.iter().any(|l| l.contains("read the head")),
        "{seen:?}"
    );
}

/// The exercises that ask to observe, not to change: the check each one
/// names passes on an unchanged copy, where the student runs it.
#[test]
fn the_checks_of_the_exercises_that_observe_pass_on_an_unchanged_copy() {
    // m2's exercises 1 and 2: `blocks` measures what the tabs and the
    // three sleeps show.
    let copy = fresh("m2");
    assert_passes("m2", &copy.path().join("m2"), &["blocks"]);
    // m6's exercise 3: a pool that finishes its jobs, then exits.
    let copy = fresh("m6");
    assert_passes("m6", &copy.path().join("m6"), &["shutdown"]);
}

/// The exercises of a chapter: the items of the ordered list under its
/// `## Exercises` heading, as `mN-K`.
fn exercises() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for entry in fs::read_dir(root().join("book/src")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if !(name.starts_with('m') && name[1..].parse::<u32>().is_ok()) {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let Some((_, section)) = text.split_once("\n## Exercises\n") else {
            continue;
        };
        let section = section.split("\n## ").next().unwrap();
        for line in section.lines() {
            if let Some((number, _)) = line.split_once(". ")
                && !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit())
            {
                found.insert(format!("{name}-{number}"));
            }
        }
    }
    found
}

/// The exercises the answer key answers: its `### mN, exercise K` headings.
fn answered() -> BTreeSet<String> {
    let key = fs::read_to_string(root().join("book/src/teachers/answers.md")).unwrap();
    key.lines()
        .filter_map(|line| line.strip_prefix("### "))
        .filter_map(|heading| {
            let (milestone, rest) = heading.split_once(", exercise ")?;
            let number = rest.split(':').next()?.trim();
            Some(format!("{milestone}-{number}"))
        })
        .collect()
}

/// Exercises the answer key does not answer yet. Answering one means taking
/// it out of this list; a new exercise without an answer fails the test.
const UNANSWERED: [&str; 0] = [];

#[test]
fn every_exercise_has_its_answer_and_every_patch_its_exercise_and_test() {
    let exercises = exercises();
    assert!(exercises.len() > 20, "{exercises:?}");
    let answered = answered();
    let unanswered: BTreeSet<String> = UNANSWERED.iter().map(|s| s.to_string()).collect();
    let expected: BTreeSet<String> = exercises.difference(&unanswered).cloned().collect();
    assert_eq!(
        answered, expected,
        "the answer key's headings against the exercises"
    );
    assert!(unanswered.is_subset(&exercises), "{unanswered:?}");

    let key = fs::read_to_string(root().join("book/src/teachers/answers.md")).unwrap();
    let mut patches = BTreeSet::new();
    for entry in fs::read_dir(answers_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        assert_eq!(path.extension().unwrap(), "patch", "{}", path.display());
        assert!(answered.contains(&name), "{name}.patch answers no exercise");
        assert!(
            key.contains(&format!("{{{{#include answers/{name}.patch}}}}")),
            "answers.md does not show {name}.patch"
        );
        patches.insert(name);
    }
    let tested: BTreeSet<String> = TESTED.iter().map(|s| s.to_string()).collect();
    assert_eq!(patches, tested, "every patch has its test here");
}
