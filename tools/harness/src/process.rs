//! A server as a child process: started in its own process group, its output
//! captured on threads (so it never blocks on a full pipe) and capped (so a
//! program that prints megabytes costs us a fixed amount of memory), or its
//! stderr written straight to a file, its `Listening on` line read with a
//! deadline, and the whole group killed when the [`Process`] is dropped, or
//! when the thread that started it ends.

use std::{
    fmt,
    fs::File,
    io::{self, Read, Seek, SeekFrom},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Condvar, Mutex},
    thread,
    time::{Duration, Instant},
};

#[cfg(unix)]
use std::os::unix::process::{CommandExt, ExitStatusExt};

/// How much of each of stdout and stderr is kept; the rest is read and
/// counted, not stored.
pub const OUTPUT_LIMIT: usize = 1024 * 1024;

/// How much of the end of a stderr written to a file is read for its last
/// words.
const LAST_WORDS_LIMIT: u64 = 64 * 1024;

/// The longest first line we wait for: a program that prints more than this
/// without a newline is not printing `Listening on http://IP:PORT`.
const FIRST_LINE_LIMIT: usize = 4096;

/// What a program printed on one stream, up to [`OUTPUT_LIMIT`].
#[derive(Default)]
struct Output {
    text: Vec<u8>,
    /// Bytes read past the limit and dropped.
    dropped: u64,
    /// The stream is closed: the program exited or closed it.
    closed: bool,
}

struct Stream {
    output: Mutex<Output>,
    changed: Condvar,
}

impl Stream {
    fn new() -> Arc<Stream> {
        Arc::new(Stream {
            output: Mutex::new(Output::default()),
            changed: Condvar::new(),
        })
    }

    /// A stream nothing is read from: the program writes it elsewhere.
    fn closed() -> Arc<Stream> {
        let stream = Stream::new();
        stream.output.lock().unwrap().closed = true;
        stream
    }

    /// Reads `pipe` to its end on a thread of its own.
    fn read_from(self: &Arc<Self>, mut pipe: impl Read + Send + 'static) {
        let stream = Arc::clone(self);
        thread::spawn(move || {
            let mut buf = [0; 8192];
            loop {
                let n = match pipe.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let mut output = stream.output.lock().unwrap();
                let room = OUTPUT_LIMIT.saturating_sub(output.text.len()).min(n);
                output.text.extend_from_slice(&buf[..room]);
                output.dropped += (n - room) as u64;
                stream.changed.notify_all();
            }
            stream.output.lock().unwrap().closed = true;
            stream.changed.notify_all();
        });
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap().text).into_owned()
    }

    /// Waits until the stream is closed, `patience` at most; whether it is.
    fn wait_closed(&self, patience: Duration) -> bool {
        let output = self.output.lock().unwrap();
        let (output, _) = self
            .changed
            .wait_timeout_while(output, patience, |o| !o.closed)
            .unwrap();
        output.closed
    }
}

/// Why a server did not announce an address to talk to.
#[derive(Debug)]
pub enum StartError {
    /// It exited first; its status and the last thing it said on stderr.
    Exited {
        status: String,
        last_words: Option<String>,
    },
    /// Its first line is not `Listening on http://IP:PORT`.
    NotListening { first_line: String },
    /// It printed no complete first line in time.
    Silent { waited: Duration },
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            StartError::Exited {
                status,
                last_words: Some(words),
            } => write!(f, "it exited ({status}) before listening: {words}"),
            StartError::Exited { status, .. } => {
                write!(f, "it exited ({status}) before listening")
            }
            StartError::NotListening { first_line } => write!(
                f,
                "its first line is {first_line:?}, not `Listening on http://IP:PORT`"
            ),
            StartError::Silent { waited } => write!(
                f,
                "it printed no `Listening on` line within {} s",
                waited.as_secs()
            ),
        }
    }
}

/// A program running as a child process in its own process group.
pub struct Process {
    child: Child,
    stdout: Arc<Stream>,
    stderr: Arc<Stream>,
    /// The file stderr goes to, instead of a pipe, when it does.
    stderr_file: Option<PathBuf>,
    killed: bool,
}

impl Process {
    /// Starts `command` with no standard input, its output captured, in a
    /// process group of its own, set to receive SIGKILL when the thread that
    /// calls this ends (so a test or a tool that dies leaves nothing behind).
    pub fn spawn(command: Command) -> io::Result<Process> {
        Process::start(command, None, |_| {})
    }

    /// Like [`Process::spawn`], but the program writes its stderr straight
    /// into the file `log`, created or emptied first, as a server in
    /// production writes its log: no pipe and no reader thread in between,
    /// so that what its log costs it is what it would cost there.
    /// [`Process::stderr`] and [`Process::last_words`] read the file.
    pub fn spawn_with_stderr_file(command: Command, log: &Path) -> io::Result<Process> {
        Process::start(command, Some(log), |_| {})
    }

    /// Like [`Process::spawn`], with `last` applied to the command after
    /// everything this module sets up: its `pre_exec` hooks run last in the
    /// child, after the group and the death signal are in place (a sandbox
    /// that forks there needs them already set).
    pub fn spawn_then(command: Command, last: impl FnOnce(&mut Command)) -> io::Result<Process> {
        Process::start(command, None, last)
    }

    fn start(
        mut command: Command,
        stderr_file: Option<&Path>,
        last: impl FnOnce(&mut Command),
    ) -> io::Result<Process> {
        let stderr_to = match stderr_file {
            Some(path) => Stdio::from(File::create(path)?),
            None => Stdio::piped(),
        };
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr_to);
        // Windows has no process groups: there the child alone is killed.
        #[cfg(unix)]
        command.process_group(0);
        die_with_this_thread(&mut command);
        last(&mut command);
        let mut child = command.spawn()?;
        let stdout = Stream::new();
        stdout.read_from(child.stdout.take().unwrap());
        let stderr = match child.stderr.take() {
            Some(pipe) => {
                let stream = Stream::new();
                stream.read_from(pipe);
                stream
            }
            None => Stream::closed(),
        };
        Ok(Process {
            child,
            stdout,
            stderr,
            stderr_file: stderr_file.map(Path::to_path_buf),
            killed: false,
        })
    }

    /// Waits up to `patience` for the first line, which must be
    /// `Listening on http://IP:PORT`, and returns that address.
    pub fn listening_line(&mut self, patience: Duration) -> Result<SocketAddr, StartError> {
        let start = Instant::now();
        let mut output = self.stdout.output.lock().unwrap();
        loop {
            let newline = output.text.iter().position(|&b| b == b'\n');
            if let Some(end) = newline {
                let line = String::from_utf8_lossy(&output.text[..end]);
                let line = line.trim_end();
                return line
                    .strip_prefix("Listening on http://")
                    .and_then(|a| a.parse().ok())
                    .ok_or_else(|| StartError::NotListening {
                        first_line: line.to_string(),
                    });
            }
            if output.text.len() >= FIRST_LINE_LIMIT {
                let line = String::from_utf8_lossy(&output.text[..80]).into_owned();
                return Err(StartError::NotListening {
                    first_line: format!("{line}…"),
                });
            }
            if output.closed {
                drop(output);
                return Err(self.exit_error(patience));
            }
            let waited = start.elapsed();
            if waited >= patience {
                return Err(StartError::Silent { waited: patience });
            }
            output = self
                .stdout
                .changed
                .wait_timeout(output, patience - waited)
                .unwrap()
                .0;
        }
    }

    /// The error for a program whose stdout closed before its first line.
    fn exit_error(&mut self, patience: Duration) -> StartError {
        match self.wait_for_exit(patience) {
            Some(status) => StartError::Exited {
                status: describe(status),
                last_words: self.last_words(),
            },
            None => StartError::NotListening {
                first_line: String::new(),
            },
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has exited, and how.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits for the process to exit by itself; `None` if it still runs
    /// after `timeout`.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            if start.elapsed() >= timeout {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `signal` (such as `libc::SIGINT`) to the process itself.
    #[cfg(unix)]
    pub fn signal(&self, signal: i32) -> io::Result<()> {
        // SAFETY: kill only sends a signal to our own child.
        match unsafe { libc::kill(self.child.id() as libc::pid_t, signal) } {
            0 => Ok(()),
            _ => Err(io::Error::last_os_error()),
        }
    }

    /// Windows has no signals to send.
    #[cfg(not(unix))]
    pub fn signal(&self, _signal: i32) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "Windows has no signals",
        ))
    }

    /// Sends SIGINT, what Ctrl-C in its terminal would send, to the process.
    pub fn interrupt(&self) -> io::Result<()> {
        #[cfg(unix)]
        let signal = libc::SIGINT;
        #[cfg(not(unix))]
        let signal = 2;
        self.signal(signal)
    }

    /// Kills the whole process group with SIGKILL and reaps the process.
    /// Returns once the group is gone (2 s at most): its other processes
    /// (a build script, a server's own children) die asynchronously.
    pub fn kill(&mut self) {
        if !self.killed {
            #[cfg(unix)]
            {
                let group = -(self.child.id() as libc::pid_t);
                // SAFETY: a negative pid names our child's own process group.
                unsafe { libc::kill(group, libc::SIGKILL) };
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
            let start = Instant::now();
            while group_alive(self.child.id()) && start.elapsed() < Duration::from_secs(2) {
                thread::sleep(Duration::from_millis(5));
            }
            self.killed = true;
        }
    }

    /// Everything it printed on stdout so far (up to [`OUTPUT_LIMIT`]).
    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    /// Everything it printed on stderr so far (up to [`OUTPUT_LIMIT`]), from
    /// the pipe or from its file.
    pub fn stderr(&self) -> String {
        match &self.stderr_file {
            Some(path) => read_file(path, 0, OUTPUT_LIMIT as u64),
            None => self.stderr.text(),
        }
    }

    /// How many bytes of stdout and of stderr went past the limit.
    pub fn dropped_bytes(&self) -> (u64, u64) {
        (
            self.stdout.output.lock().unwrap().dropped,
            self.stderr.output.lock().unwrap().dropped,
        )
    }

    /// What it said last on stderr: its panic message if it panicked, or else
    /// its last non-empty line.
    pub fn last_words(&self) -> Option<String> {
        if let Some(path) = &self.stderr_file {
            // The end of the file, where a panic is: a log may be long.
            let length = std::fs::metadata(path).map_or(0, |m| m.len());
            let from = length.saturating_sub(LAST_WORDS_LIMIT);
            return last_words(&read_file(path, from, LAST_WORDS_LIMIT));
        }
        // The reader thread may still be copying the last bytes.
        self.stderr.wait_closed(Duration::from_millis(200));
        last_words(&self.stderr())
    }

    /// For a program that has exited: waits until the readers have copied
    /// everything it printed (its streams are closed), `patience` at most,
    /// which a child it left holding the streams open would cost. Whether
    /// they are.
    pub fn drain(&self, patience: Duration) -> bool {
        let start = Instant::now();
        self.stdout.wait_closed(patience)
            && self
                .stderr
                .wait_closed(patience.saturating_sub(start.elapsed()))
    }

    /// The TCP addresses the process listens on, from `/proc` (from `lsof`
    /// on other Unixes): for a program that does not print where it listens.
    pub fn listening_addrs(&self) -> Vec<SocketAddr> {
        listening_addrs(self.child.id())
    }

    /// The TCP addresses that any process of its group listens on: for a
    /// script that starts the listening program as a child of its own.
    #[cfg(target_os = "linux")]
    pub fn group_listening_addrs(&self) -> Vec<SocketAddr> {
        let members = group_members(self.child.id());
        members.into_iter().flat_map(listening_addrs).collect()
    }

    /// The TCP addresses that any process of its group listens on, from
    /// `lsof`, which macOS has; none on Windows.
    #[cfg(not(target_os = "linux"))]
    pub fn group_listening_addrs(&self) -> Vec<SocketAddr> {
        lsof_listening(&["-g", &self.child.id().to_string()])
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// At most `limit` bytes of the file at `path` from byte `from`, as text;
/// empty if it cannot be read.
fn read_file(path: &Path, from: u64, limit: u64) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut file) = File::open(path) {
        if file.seek(SeekFrom::Start(from)).is_ok() {
            let _ = file.take(limit).read_to_end(&mut bytes);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Whether a process of group `pgid` still runs: zombies, which have
/// exited and wait to be reaped by whoever adopted them, do not count.
#[cfg(target_os = "linux")]
fn group_alive(pgid: u32) -> bool {
    !group_members(pgid).is_empty()
}

/// Whether group `pgid` still has a process (on other Unixes: a zombie
/// counts, until whoever adopted it reaps it).
#[cfg(all(unix, not(target_os = "linux")))]
fn group_alive(pgid: u32) -> bool {
    // SAFETY: signal 0 only asks whether the group exists.
    unsafe { libc::kill(-(pgid as libc::pid_t), 0) == 0 }
}

/// Windows has no groups: the child, killed and reaped, is gone.
#[cfg(not(unix))]
fn group_alive(_pgid: u32) -> bool {
    false
}

/// The processes of group `pgid` that still run (not zombies).
#[cfg(target_os = "linux")]
fn group_members(pgid: u32) -> Vec<u32> {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let pgid = pgid.to_string();
    processes
        .filter_map(|p| {
            let p = p.ok()?;
            let pid: u32 = p.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(p.path().join("stat")).ok()?;
            // pid (comm) state ppid pgrp …: the name may hold spaces.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            (fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid).then_some(pid)
        })
        .collect()
}

/// An exit status as a student reads it: `exit code 101`, `killed by signal 9`.
pub fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    let signal = status.signal();
    #[cfg(not(unix))]
    let signal: Option<i32> = None;
    match (status.code(), signal) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

/// The panic message if the text holds one (`thread … panicked at FILE:`
/// then the message on the next line), or else its last non-empty line.
pub fn last_words(text: &str) -> Option<String> {
    let mut lines = text.lines().map(str::trim);
    if lines.any(|l| l.contains("panicked at")) {
        if let Some(message) = lines.next() {
            return Some(format!("panicked: {message}"));
        }
    }
    text.lines()
        .map(str::trim)
        .rev()
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// Makes the child get SIGKILL when the thread that starts it ends.
#[cfg(target_os = "linux")]
fn die_with_this_thread(command: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the child between fork and exec, and calls
    // only prctl, getppid and _exit, which are async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before prctl: then nobody will signal.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

/// Only Linux has a death signal: elsewhere a child outlives a tool that
/// dies without dropping its [`Process`].
#[cfg(not(target_os = "linux"))]
fn die_with_this_thread(_command: &mut Command) {}

/// The addresses of the TCP sockets in LISTEN state that process `pid`
/// holds: the inodes of its socket descriptors, looked up in the tables of
/// its own network namespace.
#[cfg(target_os = "linux")]
pub fn listening_addrs(pid: u32) -> Vec<SocketAddr> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    let inodes: Vec<String> = fds
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_string(),
            )
        })
        .collect();
    listening_sockets(&format!("/proc/{pid}/net"))
        .into_iter()
        .filter(|(_, inode)| inodes.contains(inode))
        .map(|(addr, _)| addr)
        .collect()
}

/// The TCP addresses that process `pid` listens on, from `lsof`, which
/// macOS has; none on Windows.
#[cfg(not(target_os = "linux"))]
pub fn listening_addrs(pid: u32) -> Vec<SocketAddr> {
    lsof_listening(&["-p", &pid.to_string()])
}

/// Every TCP socket in LISTEN state of this process's network namespace,
/// whoever holds it: for checking that something listens on a port without
/// connecting to it (an empty connection kills the book's first servers).
/// `None` where the system does not say (macOS, Windows: no `/proc`).
#[cfg(target_os = "linux")]
pub fn listening_ports() -> Option<Vec<u16>> {
    Some(
        listening_sockets("/proc/self/net")
            .into_iter()
            .map(|(addr, _)| addr.port())
            .collect(),
    )
}

/// See the Linux version: other systems have no `/proc` to read.
#[cfg(not(target_os = "linux"))]
pub fn listening_ports() -> Option<Vec<u16>> {
    None
}

/// The TCP addresses in LISTEN state of the processes that the `lsof`
/// options `select` name (`-p PID`, `-g PGID`); none where `lsof` cannot
/// run. Linux reads `/proc` instead; this is here for macOS, and tested on
/// Linux.
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn lsof_listening(select: &[&str]) -> Vec<SocketAddr> {
    // -a: every condition at once; -n -P: numbers, not names; -F n: one
    // `n`ADDRESS line per socket, for programs to read.
    let output = Command::new("lsof")
        .args(["-a", "-n", "-P", "-iTCP", "-sTCP:LISTEN", "-Fn"])
        .args(select)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    match output {
        Ok(output) => parse_lsof(&String::from_utf8_lossy(&output.stdout)),
        Err(_) => Vec::new(),
    }
}

/// The addresses of `lsof -F n`'s `n` lines: `n127.0.0.1:7878`,
/// `n[::1]:7878`, and `n*:7878` for every address (0.0.0.0).
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn parse_lsof(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|line| {
            let name = line.strip_prefix('n')?;
            match name.strip_prefix("*:") {
                Some(port) => Some(SocketAddr::from(([0, 0, 0, 0], port.parse().ok()?))),
                None => name.parse().ok(),
            }
        })
        .collect()
}

/// The LISTEN sockets of the `tcp` and `tcp6` tables in `net`, with their
/// inodes.
#[cfg(target_os = "linux")]
fn listening_sockets(net: &str) -> Vec<(SocketAddr, String)> {
    let mut sockets = Vec::new();
    for table in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("{net}/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            if fields.len() > 9 && fields[3] == "0A" {
                if let Some(addr) = parse_proc_addr(fields[1]) {
                    sockets.push((addr, fields[9].to_string()));
                }
            }
        }
    }
    sockets
}

/// `0100007F:1EC6` → 127.0.0.1:7878. The address is the kernel's memory in
/// hexadecimal: four 32-bit words in host byte order; the port is plain.
#[cfg(target_os = "linux")]
fn parse_proc_addr(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let words: Vec<u32> = (0..ip.len() / 8)
        .map(|i| u32::from_str_radix(&ip[i * 8..i * 8 + 8], 16).ok())
        .collect::<Option<_>>()?;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let ip: std::net::IpAddr = match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok()?.into(),
        16 => <[u8; 16]>::try_from(bytes).ok()?.into(),
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Process {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        Process::spawn(command).unwrap()
    }

    #[test]
    fn the_listening_line_gives_the_address() {
        let mut p = sh("echo 'Listening on http://127.0.0.1:4242'; sleep 30");
        let addr = p.listening_line(Duration::from_secs(10)).unwrap();
        assert_eq!(addr, "127.0.0.1:4242".parse().unwrap());
    }

    #[test]
    fn a_program_that_exits_first_is_reported_with_its_last_words() {
        let mut p = sh("echo 'error: cannot listen' >&2; exit 3");
        let err = p.listening_line(Duration::from_secs(10)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "it exited (exit code 3) before listening: error: cannot listen"
        );
    }

    #[test]
    fn another_first_line_or_silence_is_reported() {
        let mut p = sh("echo hello; sleep 30");
        let err = p.listening_line(Duration::from_secs(10)).unwrap_err();
        assert!(err.to_string().contains("\"hello\""), "{err}");

        let mut p = sh("sleep 30");
        let start = Instant::now();
        let err = p.listening_line(Duration::from_millis(300)).unwrap_err();
        assert!(matches!(err, StartError::Silent { .. }), "{err}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn output_is_capped_and_the_rest_counted() {
        // 3 MiB on stdout: the reader keeps 1 MiB and counts the rest.
        let mut p = sh("head -c 3145728 /dev/zero | tr '\\0' x");
        p.wait_for_exit(Duration::from_secs(20)).expect("it exits");
        let start = Instant::now();
        while p.dropped_bytes().0 < 2 * 1024 * 1024 && start.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(p.stdout().len(), OUTPUT_LIMIT);
        assert_eq!(p.dropped_bytes().0, 2 * 1024 * 1024);
    }

    #[test]
    fn stderr_can_go_to_a_file_and_is_read_from_there() {
        let dir = std::env::temp_dir().join(format!("harness-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("stderr.log");
        std::fs::write(&log, "an older log\n").unwrap();
        let mut command = Command::new("sh");
        // A long log, then a panic: the last words are found at its end.
        command.args([
            "-c",
            "echo 'Listening on http://127.0.0.1:4242'; seq 100000 >&2; \
             printf \"thread 'main' panicked at src/main.rs:1:1:\\nboom\\n\" >&2; exit 101",
        ]);
        let mut p = Process::spawn_with_stderr_file(command, &log).unwrap();
        assert_eq!(
            p.listening_line(Duration::from_secs(10)).unwrap(),
            "127.0.0.1:4242".parse().unwrap()
        );
        p.wait_for_exit(Duration::from_secs(10)).expect("it exits");
        let written = std::fs::read_to_string(&log).unwrap();
        assert!(written.starts_with("1\n2\n"), "the file was emptied first");
        assert!(written.ends_with("boom\n"));
        assert!(p.stderr().starts_with("1\n2\n"));
        assert_eq!(p.last_words().unwrap(), "panicked: boom");
        assert_eq!(p.dropped_bytes(), (0, 0));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dropping_it_kills_the_whole_group() {
        let p = sh("sleep 60 & echo $!; wait");
        let start = Instant::now();
        while !p.stdout().ends_with('\n') && start.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(10));
        }
        let grandchild: u32 = p.stdout().trim().parse().unwrap();
        let group = p.pid();
        assert!(group_alive(group));
        drop(p);
        // Gone when drop returns: no process of the group runs (at most a
        // zombie waits for whoever adopted it to reap it).
        assert!(!group_alive(group), "a process of the group still runs");
        let state = std::fs::read_to_string(format!("/proc/{grandchild}/stat")).unwrap_or_default();
        assert!(
            state.is_empty() || state.contains(") Z "),
            "sleep still runs: {state}"
        );
    }

    #[test]
    fn a_listening_socket_is_found_in_proc() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(listening_addrs(std::process::id()).contains(&addr));
        assert!(listening_ports().unwrap().contains(&addr.port()));
    }

    #[test]
    fn lsof_finds_the_same_listening_socket_as_proc() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        if Command::new("lsof").arg("-v").output().is_err() {
            eprintln!("note: no lsof here; test skipped");
            return;
        }
        // Other tests of this process listen too, at the same time: lsof
        // lists theirs beside this one.
        let pid = std::process::id().to_string();
        assert!(lsof_listening(&["-p", &pid]).contains(&addr));
        // By process group, as `group_listening_addrs` asks on macOS.
        // SAFETY: getpgrp cannot fail.
        let group = unsafe { libc::getpgrp() }.to_string();
        assert!(lsof_listening(&["-g", &group]).contains(&addr));
    }

    #[test]
    fn lsof_names_are_read_as_addresses() {
        let text = "p123\nf3\nn127.0.0.1:7878\nf4\nn*:8080\nf5\nn[::1]:80\n";
        assert_eq!(
            parse_lsof(text),
            [
                "127.0.0.1:7878".parse::<SocketAddr>().unwrap(),
                "0.0.0.0:8080".parse().unwrap(),
                "[::1]:80".parse().unwrap(),
            ]
        );
    }

    #[test]
    fn proc_addresses_are_read_in_host_byte_order() {
        assert_eq!(
            parse_proc_addr("0100007F:1EC6"),
            Some("127.0.0.1:7878".parse().unwrap())
        );
        assert_eq!(
            parse_proc_addr("00000000000000000000000001000000:0050"),
            Some("[::1]:80".parse().unwrap())
        );
    }

    #[test]
    fn last_words_prefer_the_panic_message() {
        let stderr = "thread 'main' panicked at src/main.rs:3:5:\nboom\nnote: run with …\n";
        assert_eq!(last_words(stderr).unwrap(), "panicked: boom");
        assert_eq!(last_words("a\nb\n\n").unwrap(), "b");
        assert_eq!(last_words(""), None);
    }
}
