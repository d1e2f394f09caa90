//! The milestones as processes: find them, build them in release, start one
//! on `127.0.0.1:0`, read its port, watch its memory and CPU time, stop it.

use std::{
    fs,
    io::{BufRead, BufReader, Read},
    net::SocketAddr,
    os::unix::process::{CommandExt, ExitStatusExt},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    thread,
    time::Duration,
};

/// How long a milestone may take to print its `Listening on` line.
const STARTUP_PATIENCE: Duration = Duration::from_secs(30);

/// The milestones the course plans, in order. A name outside this list is a
/// typo; a name in it whose folder does not exist yet is skipped with a note.
pub const PLANNED: [&str; 6] = ["m1", "m2", "m3", "m4", "m5", "m6"];

/// How a milestone serves requests, from its number: what the theory of each
/// scenario is computed from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Model {
    /// m1: one thread and no `/sleep` route.
    NoSleep,
    /// m2: one thread serves every request in turn.
    OneThread,
    /// m3: a new thread for every connection.
    ThreadPerRequest,
    /// m4 on: a pool of this many workers.
    Pool(usize),
}

impl Model {
    pub fn of(number: u32, workers: usize) -> Model {
        match number {
            1 => Model::NoSleep,
            2 => Model::OneThread,
            3 => Model::ThreadPerRequest,
            _ => Model::Pool(workers),
        }
    }

    /// How many `/sleep` requests run at the same time; `None`: no limit.
    pub fn parallel(self) -> Option<usize> {
        match self {
            Model::NoSleep | Model::OneThread => Some(1),
            Model::ThreadPerRequest => None,
            Model::Pool(n) => Some(n),
        }
    }

    /// blocked: how long `GET /` waits behind `blockers` sleeps, in theory.
    /// It is request `blockers + 1`, so it starts once ⌊blockers / P⌋ rounds
    /// of sleeps are over, where P is how many requests run at once.
    pub fn blocked_theory(self, blockers: u64, sleep: Duration) -> Duration {
        match self.parallel() {
            Some(p) => sleep * (blockers / p as u64) as u32,
            None => Duration::ZERO,
        }
    }

    /// burst: how long `requests` sleeps sent at once take, in theory:
    /// ⌈requests / P⌉ rounds of one sleep each.
    pub fn burst_theory(self, requests: u64, sleep: Duration) -> Duration {
        match self.parallel() {
            Some(p) => sleep * requests.div_ceil(p as u64) as u32,
            None => sleep,
        }
    }

    pub fn has_sleep(self) -> bool {
        self != Model::NoSleep
    }

    pub fn describe(self) -> String {
        match self {
            Model::NoSleep => "one thread, no /sleep".to_string(),
            Model::OneThread => "one thread".to_string(),
            Model::ThreadPerRequest => "a thread per request".to_string(),
            Model::Pool(n) => format!("pool of {n}"),
        }
    }
}

/// A milestone chosen for the run, with its release binary once built.
#[derive(Clone, Debug)]
pub struct Milestone {
    pub name: String,
    pub number: u32,
    pub binary: PathBuf,
}

/// The workspace root: this package sits in `tools/compare`.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The number in a milestone's name: `m3` → 3.
pub fn number(name: &str) -> Option<u32> {
    name.strip_prefix('m')?
        .parse()
        .ok()
        .filter(|n| *n > 0 && name.len() > 1 && !name[1..].starts_with('0'))
}

/// The milestones present in `milestones/`, in numeric order.
pub fn present(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root.join("milestones"))
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter(|e| e.path().join("Cargo.toml").is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| number(n).is_some())
                .collect()
        })
        .unwrap_or_default();
    names.sort_by_key(|n| number(n));
    names
}

/// Builds these milestones in release with Cargo and returns their binaries.
/// Cargo's own progress and errors go to our stderr.
pub fn build(root: &Path, names: &[String]) -> Result<Vec<Milestone>, String> {
    let cargo = std::env::var("CARGO").unwrap_or("cargo".to_string());
    let mut command = Command::new(&cargo);
    command
        .args([
            "build",
            "--release",
            "--message-format=json-render-diagnostics",
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"));
    for name in names {
        command.args(["--package", name]);
    }
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo build --release` of {} failed",
            names.join(" ")
        ));
    }
    // One JSON message per line; the artifacts of binaries carry their path.
    let mut built = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let name = message["target"]["name"].as_str().unwrap_or_default();
        let exe = message["executable"].as_str();
        if let (true, Some(exe)) = (names.iter().any(|n| n == name), exe) {
            built.push(Milestone {
                name: name.to_string(),
                number: number(name).unwrap_or_default(),
                binary: PathBuf::from(exe),
            });
        }
    }
    built.sort_by_key(|m| m.number);
    built.dedup_by_key(|m| m.number);
    if built.len() != names.len() {
        return Err("cargo built the milestones but did not say where".to_string());
    }
    Ok(built)
}

/// Memory and threads of a running process, from `/proc/PID/status`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Status {
    /// Resident memory now (VmRSS), KiB.
    pub rss_kib: u64,
    /// The peak resident memory so far (VmHWM), KiB.
    pub peak_kib: u64,
    /// The peak virtual memory so far (VmPeak), KiB: address space reserved,
    /// such as each thread's stack, whether or not it is touched.
    pub peak_virtual_kib: u64,
    pub threads: u64,
}

/// A milestone running as a child process. Killed when dropped.
pub struct Server {
    pub addr: SocketAddr,
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts the milestone on `127.0.0.1:0` with `SLEEP_MS` set and, from m4
    /// on, the number of workers; waits for its `Listening on` line.
    pub fn start(milestone: &Milestone, workers: usize, sleep_ms: u64) -> Result<Server, String> {
        let mut command = Command::new(&milestone.binary);
        command.arg("127.0.0.1:0");
        if matches!(Model::of(milestone.number, workers), Model::Pool(_)) {
            command.arg(workers.to_string());
        }
        die_with_this_thread(&mut command);
        let mut child = command
            .env("SLEEP_MS", sleep_ms.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", milestone.binary.display()))?;

        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut buf = [0; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });

        // The first line gives the port; every line after it (m4 on prints
        // one per request) is read and dropped, so the pipe never fills up.
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout);
            let mut first = String::new();
            let _ = lines.read_line(&mut first);
            let _ = tx.send(first);
            let _ = std::io::copy(&mut lines, &mut std::io::sink());
        });
        let mut server = Server {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            child,
            stderr,
        };
        let line = rx.recv_timeout(STARTUP_PATIENCE).unwrap_or_default();
        match line
            .trim_end()
            .strip_prefix("Listening on http://")
            .and_then(|a| a.parse().ok())
        {
            Some(addr) => server.addr = addr,
            None => {
                let _ = server.child.kill();
                let _ = server.child.wait();
                return Err(format!(
                    "{} printed {:?} instead of `Listening on http://IP:PORT`{}",
                    milestone.name,
                    line.trim_end(),
                    last_line(&server.stderr.lock().unwrap())
                        .map(|l| format!("; stderr: {l}"))
                        .unwrap_or_default()
                ));
            }
        }
        Ok(server)
    }

    /// Whether the process has ended by itself.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Whether the process ends within `patience`: a server that just lost a
    /// connection may be in the middle of dying.
    pub fn exits_within(&mut self, patience: Duration) -> bool {
        let step = Duration::from_millis(10);
        let mut waited = Duration::ZERO;
        while waited < patience {
            if self.has_exited() {
                return true;
            }
            thread::sleep(step);
            waited += step;
        }
        self.has_exited()
    }

    /// Why the process ended: the last line it printed on stderr (its panic
    /// message when it died of one), or else its exit status.
    pub fn cause_of_death(&mut self) -> String {
        // The reader thread may still be copying the last bytes.
        thread::sleep(Duration::from_millis(50));
        if let Some(line) = last_line(&self.stderr.lock().unwrap()) {
            return line;
        }
        match self.child.try_wait() {
            Ok(Some(status)) => match (status.code(), status.signal()) {
                (Some(code), _) => format!("exit code {code}"),
                (None, Some(signal)) => format!("killed by signal {signal}"),
                (None, None) => status.to_string(),
            },
            _ => "no longer answers".to_string(),
        }
    }

    /// The CPU time the server has used so far, user and system, all its
    /// threads together (those that have ended too).
    pub fn cpu_time(&self) -> Option<Duration> {
        cpu_time(&format!("/proc/{}/stat", self.child.id()))
    }

    pub fn status(&self) -> Option<Status> {
        let text = fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let field = |name: &str| -> Option<u64> {
            let line = text.lines().find(|l| l.starts_with(name))?;
            line[name.len()..].split_whitespace().next()?.parse().ok()
        };
        Some(Status {
            rss_kib: field("VmRSS:")?,
            peak_kib: field("VmHWM:")?,
            peak_virtual_kib: field("VmPeak:")?,
            threads: field("Threads:")?,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Makes the child get SIGKILL when the thread that starts it ends, which
/// for the milestones is the tool's main thread: a tool killed with SIGKILL
/// (or dying any other way) leaves no server behind on a port.
fn die_with_this_thread(command: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the child between fork and exec, and calls
    // only prctl, getppid and _exit, which are async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl: then nobody will signal.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

/// The CPU time this process (the tool) has used so far, all its threads.
pub fn own_cpu_time() -> Option<Duration> {
    cpu_time("/proc/self/stat")
}

/// User plus system time from a `/proc/…/stat` file, which counts them in
/// clock ticks (usually 100 a second).
fn cpu_time(path: &str) -> Option<Duration> {
    let ticks = stat_ticks(&fs::read_to_string(path).ok()?)?;
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (per_second > 0).then(|| Duration::from_secs_f64(ticks as f64 / per_second as f64))
}

/// utime + stime, fields 14 and 15 of `pid (comm) state ppid …`. The name
/// may hold spaces and parentheses: count from the last `)`.
fn stat_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// The panic message if the text holds one (`thread … panicked at FILE:` then
/// the message on the next line), or else its last line.
fn last_line(text: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const SLEEP: Duration = Duration::from_millis(500);

    #[test]
    fn each_milestone_number_has_its_model() {
        assert_eq!(Model::of(1, 4), Model::NoSleep);
        assert_eq!(Model::of(2, 4), Model::OneThread);
        assert_eq!(Model::of(3, 4), Model::ThreadPerRequest);
        for n in 4..=6 {
            assert_eq!(Model::of(n, 3), Model::Pool(3));
        }
    }

    #[test]
    fn the_fast_request_waits_for_whole_rounds_of_sleeps() {
        let ms = |d: Duration| d.as_millis();
        assert_eq!(ms(Model::OneThread.blocked_theory(4, SLEEP)), 2000);
        assert_eq!(ms(Model::ThreadPerRequest.blocked_theory(4, SLEEP)), 0);
        assert_eq!(ms(Model::Pool(4).blocked_theory(3, SLEEP)), 0);
        assert_eq!(ms(Model::Pool(4).blocked_theory(4, SLEEP)), 500);
        assert_eq!(ms(Model::Pool(4).blocked_theory(8, SLEEP)), 1000);
        assert_eq!(ms(Model::Pool(2).blocked_theory(3, SLEEP)), 500);
    }

    #[test]
    fn a_burst_takes_one_sleep_per_round() {
        let ms = |d: Duration| d.as_millis();
        assert_eq!(ms(Model::OneThread.burst_theory(16, SLEEP)), 8000);
        assert_eq!(ms(Model::ThreadPerRequest.burst_theory(16, SLEEP)), 500);
        assert_eq!(ms(Model::Pool(4).burst_theory(16, SLEEP)), 2000);
        assert_eq!(ms(Model::Pool(4).burst_theory(17, SLEEP)), 2500);
        assert_eq!(ms(Model::Pool(2).burst_theory(10, SLEEP)), 2500);
    }

    #[test]
    fn cpu_ticks_are_user_plus_system_whatever_the_name() {
        let stat = "4242 (m6 (x) y) S 1 4242 4242 0 -1 4194560 150 0 0 0 1234 567 0 0 20 0 6 0";
        assert_eq!(stat_ticks(stat), Some(1234 + 567));
        assert_eq!(stat_ticks("4242 (m6) S 1"), None);
        assert!(own_cpu_time().is_some());
    }

    #[test]
    fn milestone_names_are_m_and_a_number() {
        assert_eq!(number("m1"), Some(1));
        assert_eq!(number("m12"), Some(12));
        for bad in ["m", "m0", "m01", "M1", "1", "m1a", "mx"] {
            assert_eq!(number(bad), None, "{bad}");
        }
    }
}
