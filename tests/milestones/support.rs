//! What every milestone test uses: start a milestone as a real process on
//! `127.0.0.1:0` through `harness::Process`, read the port from its
//! `Listening on` line, talk to it over real sockets, and read what it
//! printed.

use harness::{Process, StartError};
use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    os::unix::process::CommandExt,
    path::PathBuf,
    process::{Command, ExitStatus},
    sync::{Arc, Mutex, OnceLock, mpsc},
    thread::{self, JoinHandle},
    time::{Duration, Instant},
};

/// Every milestone's name, in order: the course's one list,
/// `harness::MILESTONES`.
pub fn milestones() -> Vec<&'static str> {
    harness::milestones::names()
}

/// How long a test waits for anything before it calls the server stuck.
/// Far above any timing a test asserts, so it only ends hung tests.
const PATIENCE: Duration = Duration::from_secs(30);

/// The path of a milestone's binary, built on first use (once per test
/// run, with the profile of these tests).
pub fn binary(milestone: &str) -> PathBuf {
    static PROFILE_DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = PROFILE_DIR.get_or_init(|| harness::build_binaries(&milestones()));
    dir.join(milestone)
}

/// A milestone running as a child process in a process group of its own.
/// The group is killed when this is dropped, or when the test's thread ends.
pub struct Server {
    pub milestone: String,
    pub addr: SocketAddr,
    process: Process,
}

impl Server {
    /// Starts `milestone` on `127.0.0.1:0` and waits for its `Listening on`
    /// line: no fixed port, no sleep.
    pub fn start(milestone: &str) -> Server {
        Server::start_with(milestone, &["127.0.0.1:0"])
    }

    /// Starts `milestone` with these arguments; they must make it listen.
    pub fn start_with(milestone: &str, args: &[&str]) -> Server {
        Server::start_with_env(milestone, args, &[])
    }

    /// Starts `milestone` with these arguments and environment variables.
    pub fn start_with_env(milestone: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = command(milestone, args);
        command.envs(env.iter().copied());
        Server::spawn(milestone, command)
    }

    /// Starts `milestone` on `127.0.0.1:0` allowed only `limit` open file
    /// descriptors (`ulimit -n`), so that a test can make it run out.
    pub fn start_with_fd_limit(milestone: &str, args: &[&str], limit: u64) -> Server {
        let mut command = command(milestone, args);
        let mut current = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct it is given.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut current) },
            0
        );
        let lowered = libc::rlimit {
            rlim_cur: limit,
            rlim_max: current.rlim_max,
        };
        // SAFETY: the closure runs in the child between fork and exec and
        // calls only setrlimit, which is async-signal-safe.
        unsafe {
            command.pre_exec(
                move || match libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) {
                    0 => Ok(()),
                    _ => Err(std::io::Error::last_os_error()),
                },
            );
        }
        Server::spawn(milestone, command)
    }

    /// Starts `command`, a milestone's (or `just run` of one), and waits for
    /// its `Listening on` line.
    pub fn spawn(milestone: &str, command: Command) -> Server {
        Server::spawn_within(milestone, command, PATIENCE)
    }

    /// [`Server::spawn`], waiting up to `patience` for the line: `just run`
    /// runs cargo first, which waits for any other build of the same target
    /// folder that a test beside it started.
    pub fn spawn_within(milestone: &str, command: Command, patience: Duration) -> Server {
        let args: Vec<_> = command.get_args().map(|a| a.to_owned()).collect();
        let mut process =
            Process::spawn(command).unwrap_or_else(|e| panic!("cannot start {milestone}: {e}"));
        let addr = match process.listening_line(patience) {
            Ok(addr) => addr,
            // This message already ends with its last words on stderr.
            Err(err @ StartError::Exited { .. }) => panic!("{milestone} {args:?}: {err}"),
            Err(err) => panic!("{milestone} {args:?}: {err}; stderr:\n{}", process.stderr()),
        };
        Server {
            milestone: milestone.to_string(),
            addr,
            process,
        }
    }

    /// Sends `GET {path} HTTP/1.1` the way curl does and reads the whole answer.
    pub fn get(&self, path: &str) -> Response {
        get_from(self.addr, path)
    }

    /// Sends these bytes and reads until the server closes the connection.
    pub fn send(&self, request: &[u8]) -> Response {
        send_to(self.addr, request)
    }

    /// Sends `GET /sleep` and checks that the answer took the book's 5 s.
    pub fn get_sleep(&self) -> Response {
        let start = Instant::now();
        let response = self.get("/sleep");
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(4900),
            "/sleep took only {took:?}"
        );
        response
    }

    /// Connects and sends `GET {path}` now; the answer is read on another
    /// thread. When this returns, the request is in the server's accept queue
    /// ahead of every connection made after it.
    pub fn get_in_background(&self, path: &str) -> InFlight {
        let mut stream = self.connect();
        stream
            .write_all(get_request(path).as_bytes())
            .expect("request sent");
        InFlight(thread::spawn(move || {
            let response = read_response(stream);
            (response, Instant::now())
        }))
    }

    /// A connection with timeouts, so a stuck server fails a test instead of
    /// hanging it.
    pub fn connect(&self) -> TcpStream {
        connect(self.addr)
    }

    /// Waits for the process to exit by itself; `None` if it is still running
    /// after `timeout`. Once it has exited, also waits until everything it
    /// printed has been read, so that `stdout()` and `stderr()` hold its last
    /// words: a panic's message may still be in the pipe when it exits.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let status = self.process.wait_for_exit(timeout)?;
        self.process.drain(Duration::from_secs(5));
        Some(status)
    }

    /// For a pool whose workers are all dead: sends requests until one makes
    /// `execute` fail and the process exit, and returns how it exited.
    pub fn send_until_it_dies(&mut self) -> ExitStatus {
        for _ in 0..10 {
            // A request sent just before the last worker's receiver is
            // dropped waits in the channel for ever: send, do not read.
            if let Ok(mut stream) = TcpStream::connect(self.addr) {
                let _ = stream.write_all(get_request("/").as_bytes());
            }
            if let Some(status) = self.wait_for_exit(Duration::from_secs(1)) {
                return status;
            }
        }
        panic!("{} still runs with every worker dead", self.milestone);
    }

    /// Waits until the server's stderr contains `text`, and returns all of it.
    pub fn wait_for_stderr(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} on stderr"), |s| {
            s.stderr().contains(text)
        });
        self.stderr()
    }

    /// Waits until the server's stdout contains `text` `times` times.
    pub fn wait_for_stdout(&self, text: &str, times: usize) {
        self.wait_until(&format!("{text:?} {times} times on stdout"), |s| {
            s.stdout().matches(text).count() >= times
        });
    }

    /// Waits until `done` holds; fails the test after a long while.
    pub fn wait_until(&self, what: &str, done: impl Fn(&Server) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < PATIENCE,
                "{} never printed {what}; stdout:\n{}\nstderr:\n{}",
                self.milestone,
                self.stdout(),
                self.stderr()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal such as `INT` or `TERM` to the server itself (not to
    /// its process group), as `kill -INT PID` does.
    pub fn signal(&self, name: &str) {
        let number = match name {
            "INT" => libc::SIGINT,
            "TERM" => libc::SIGTERM,
            "HUP" => libc::SIGHUP,
            "QUIT" => libc::SIGQUIT,
            "KILL" => libc::SIGKILL,
            "STOP" => libc::SIGSTOP,
            "CONT" => libc::SIGCONT,
            other => panic!("the tests know no signal named {other:?}"),
        };
        if let Err(e) = self.process.signal(number) {
            panic!("kill -{name} {}: {e}", self.process.pid());
        }
    }

    /// Everything the server printed on stdout after its first line so far.
    pub fn stdout(&self) -> String {
        let stdout = self.process.stdout();
        match stdout.split_once('\n') {
            Some((_, rest)) => rest.to_string(),
            None => String::new(),
        }
    }

    /// Everything the server printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.process.stderr()
    }

    /// The server's process id, for what a reader finds with `pgrep`.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The inode of the server's listening socket, from `/proc`, while it
    /// listens: for [`Server::has_socket`] to tell when it is closed.
    /// (`/proc/net/tcp` is no consistent snapshot: a read may miss an entry
    /// while other sockets come and go, so it is read until it shows it.)
    pub fn listener_inode(&self) -> String {
        let port = format!(":{:04X}", self.addr.port());
        let find = || -> Option<String> {
            let table = std::fs::read_to_string(format!("/proc/{}/net/tcp", self.pid())).ok()?;
            table.lines().skip(1).find_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                (fields.len() > 9 && fields[1].ends_with(&port) && fields[3] == "0A")
                    .then(|| fields[9].to_string())
            })
        };
        let start = Instant::now();
        loop {
            if let Some(inode) = find() {
                return inode;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "{} listens on no socket",
                self.milestone
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the server still holds the socket `inode` open (its fd table
    /// in `/proc`, which is read whole): a server that has closed its
    /// listener refuses every connection from then on.
    pub fn has_socket(&self, inode: &str) -> bool {
        let target = format!("socket:[{inode}]");
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).is_ok_and(|fds| {
            fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
                .any(|link| link.to_string_lossy() == target)
        })
    }

    /// The CPU time the server has used so far, user and system, all its
    /// threads together.
    pub fn cpu_time(&self) -> Duration {
        let process = procfs::process::Process::new(self.process.pid() as i32)
            .unwrap_or_else(|e| panic!("{} has no /proc entry: {e}", self.milestone));
        let stat = process.stat().expect("/proc/PID/stat is readable");
        let ticks = stat.utime + stat.stime;
        Duration::from_secs_f64(ticks as f64 / procfs::ticks_per_second() as f64)
    }
}

/// The command that starts `milestone` with these arguments, from `/`: not
/// the crate folder, since a milestone must find its HTML from anywhere.
pub fn command(milestone: &str, args: &[&str]) -> Command {
    let mut command = Command::new(binary(milestone));
    command.args(args).current_dir("/");
    command
}

/// A request sent by [`Server::get_in_background`], answered on its own thread.
pub struct InFlight(JoinHandle<(Response, Instant)>);

impl InFlight {
    /// The response and the moment it was completely read.
    pub fn wait(self) -> (Response, Instant) {
        self.0.join().expect("the reading thread did not panic")
    }
}

/// A complete raw HTTP response, as the bytes arrived.
pub struct Response {
    pub raw: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    pub fn status_line(&self) -> String {
        self.text().lines().next().unwrap_or_default().to_string()
    }

    /// The body: everything after the blank line that ends the headers.
    pub fn body(&self) -> String {
        let text = self.text();
        match text.split_once("\r\n\r\n") {
            Some((_, body)) => body.to_string(),
            None => panic!("no end of headers in {text:?}"),
        }
    }

    /// The response for a snapshot: every byte as sent, with each `\r` shown
    /// as the two characters `\r`, since snapshots keep only `\n`.
    pub fn escaped(&self) -> String {
        self.text().replace('\r', "\\r")
    }
}

/// A connection to `addr` with timeouts, so a stuck server fails a test
/// instead of hanging it.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr)
        .unwrap_or_else(|e| panic!("cannot connect to the server at {addr}: {e}"));
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Sends these bytes to `addr` and reads until the server closes the
/// connection: for a server that a test started itself.
pub fn send_to(addr: SocketAddr, request: &[u8]) -> Response {
    let mut stream = connect(addr);
    stream.write_all(request).expect("request sent");
    read_response(stream)
}

/// Sends `GET {path} HTTP/1.1` to `addr` the way curl does.
pub fn get_from(addr: SocketAddr, path: &str) -> Response {
    send_to(addr, get_request(path).as_bytes())
}

fn get_request(path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: course-tests\r\nAccept: */*\r\n\r\n"
    )
}

fn read_response(mut stream: TcpStream) -> Response {
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .expect("the server answered and closed the connection");
    Response { raw }
}

/// A job for a thread pool, as the tests hand them over.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// Hands `n` jobs to `execute` and checks that every one of them runs.
pub fn assert_all_jobs_run(n: usize, execute: impl Fn(Job)) {
    let (done, finished) = mpsc::channel();
    for i in 0..n {
        let done = done.clone();
        execute(Box::new(move || done.send(i).unwrap()));
    }
    let mut ran: Vec<usize> = (0..n)
        .map(|_| finished.recv_timeout(PATIENCE).expect("a job ran"))
        .collect();
    ran.sort();
    assert_eq!(ran, (0..n).collect::<Vec<_>>());
}

/// Hands `n` jobs to `execute` that can finish only once all `n` are running
/// at the same time; fails if they do not meet within a few seconds. (A
/// `Barrier` would do, but jobs stuck at a barrier would hang the test.)
pub fn assert_jobs_run_in_parallel(n: usize, execute: impl Fn(Job)) {
    let arrived = Arc::new((Mutex::new(0), std::sync::Condvar::new()));
    let (done, finished) = mpsc::channel();
    for _ in 0..n {
        let (arrived, done) = (Arc::clone(&arrived), done.clone());
        execute(Box::new(move || {
            let (count, all_here) = &*arrived;
            let mut count = count.lock().unwrap();
            *count += 1;
            all_here.notify_all();
            let timeout = Duration::from_secs(5);
            let (count, _) = all_here
                .wait_timeout_while(count, timeout, |c| *c < n)
                .unwrap();
            done.send(*count == n).unwrap();
        }));
    }
    for _ in 0..n {
        let met = finished.recv_timeout(PATIENCE).expect("a job ran");
        assert!(met, "{n} jobs did not all run at the same time");
    }
}

/// Every request m6's tests send, hostile ones included: what m7 and m8
/// must answer exactly as m6 does.
pub fn requests_m6_is_tested_with() -> Vec<Vec<u8>> {
    let long_line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(10_000));
    let long_headers = format!(
        "GET / HTTP/1.1\r\n{}\r\n",
        "X-Padding: 0123456789abcdef\r\n".repeat(400)
    );
    vec![
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        b"GET /unknown HTTP/1.1\r\n\r\n".to_vec(),
        b"GET / HTTP/1.0\r\n\r\n".to_vec(),
        b"GET /sleep HTTP/1.1\r\n\r\n".to_vec(),
        b"\r\n\r\n".to_vec(),
        b"HELLO\r\n\r\n".to_vec(),
        b"GET /\r\n\r\n".to_vec(),
        b"GET /\xff\xfe HTTP/1.1\r\n\r\n".to_vec(),
        b"DELETE / HTTP/1.1\r\n\r\n".to_vec(),
        b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".to_vec(),
        b"GET / HTTP/2.0\r\n\r\n".to_vec(),
        b"GET / FTP/1.1\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\r\n\r\n".to_vec(),
        long_line.into_bytes(),
        long_headers.into_bytes(),
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
    ]
}

/// Sends `signal` to `milestone` with 50 `/sleep` requests in flight, some
/// still in the kernel's queue, and checks that every one is answered, that
/// new connections are refused once `shutting_down` says the server stopped
/// accepting, and that it exits 0.
pub fn assert_loses_no_request_on(milestone: &str, signal: &str, shutting_down: impl Fn(&Server)) {
    let mut server = Server::start_with_env(milestone, &["127.0.0.1:0"], &[("SLEEP_MS", "1000")]);
    let slow: Vec<_> = (0..50)
        .map(|_| server.get_in_background("/sleep"))
        .collect();
    // No waiting for the server to take them: the ones still in the
    // kernel's queue when the signal comes are served too.
    server.signal(signal);
    shutting_down(&server);
    let refused = TcpStream::connect(server.addr).map(|_| ()).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    for request in slow {
        let response = request.wait().0;
        assert_eq!(
            response.status_line(),
            "HTTP/1.1 200 OK",
            "{}",
            response.text()
        );
        assert!(response.body().ends_with("</html>\n"));
    }
    let status = server
        .wait_for_exit(Duration::from_secs(15))
        .unwrap_or_else(|| panic!("{milestone} exits"));
    assert!(status.success(), "{milestone} exited with {status}");
}
