//! The milestones as processes: build them in release, start one on
//! `127.0.0.1:0` through `harness::Process`, watch its memory and CPU time by
//! its pid, stop it. Which milestones exist, and what each one does, is
//! `harness::MILESTONES`.

use harness::{Kind, Process};
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

/// How long a milestone may take to print its `Listening on` line.
const STARTUP_PATIENCE: Duration = Duration::from_secs(30);

/// How a milestone serves requests, with the size of its pool: what the
/// theory of each scenario is computed from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Model {
    /// m1: one thread and no `/sleep` route.
    NoSleep,
    /// m2: one thread serves every request in turn.
    OneThread,
    /// m3: a new thread for every connection.
    ThreadPerRequest,
    /// m4 to m6: a pool of this many workers.
    Pool(usize),
    /// m7 on: a task for every connection, on an async runtime.
    TaskPerConnection,
}

impl Model {
    pub fn of(kind: Kind, workers: usize) -> Model {
        match kind {
            Kind::NoSleep => Model::NoSleep,
            Kind::OneThread => Model::OneThread,
            Kind::ThreadPerRequest => Model::ThreadPerRequest,
            Kind::Pool => Model::Pool(workers),
            Kind::Tasks => Model::TaskPerConnection,
        }
    }

    /// How many `/sleep` requests run at the same time; `None`: no limit.
    pub fn parallel(self) -> Option<usize> {
        match self {
            Model::NoSleep | Model::OneThread => Some(1),
            Model::ThreadPerRequest | Model::TaskPerConnection => None,
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
            Model::TaskPerConnection => "a task per connection".to_string(),
        }
    }
}

/// A milestone chosen for the run, with its release binary once built.
#[derive(Clone, Debug)]
pub struct Milestone {
    pub spec: &'static harness::Milestone,
    pub binary: PathBuf,
}

impl Milestone {
    pub fn name(&self) -> &'static str {
        self.spec.name
    }
}

/// Builds these milestones in release with Cargo and returns their binaries,
/// in the order given. Cargo's own progress and errors go to our stderr.
pub fn build(
    root: &Path,
    milestones: &[&'static harness::Milestone],
) -> Result<Vec<Milestone>, String> {
    let names: Vec<&str> = milestones.iter().map(|m| m.name).collect();
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
    for name in &names {
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
    let mut binaries: Vec<(String, PathBuf)> = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let name = message["target"]["name"].as_str().unwrap_or_default();
        if let Some(exe) = message["executable"].as_str() {
            binaries.push((name.to_string(), PathBuf::from(exe)));
        }
    }
    milestones
        .iter()
        .map(|&spec| {
            let (_, binary) = binaries
                .iter()
                .find(|(name, _)| name == spec.name)
                .ok_or("cargo built the milestones but did not say where")?;
            Ok(Milestone {
                spec,
                binary: binary.clone(),
            })
        })
        .collect()
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

/// A milestone running as a child process, in a process group of its own.
/// The group is killed when this is dropped, or when the thread that
/// started it ends (for the tool, its main thread): a tool killed with
/// SIGKILL leaves no server behind on a port.
pub struct Server {
    pub addr: std::net::SocketAddr,
    process: Process,
}

impl Server {
    /// Starts the milestone on `127.0.0.1:0` with `SLEEP_MS` set and, for a
    /// pool, the number of workers, its stderr going to the file `log`;
    /// waits for its `Listening on` line.
    pub fn start(
        milestone: &Milestone,
        workers: usize,
        sleep_ms: u64,
        log: &Path,
    ) -> Result<Server, String> {
        let mut command = Command::new(&milestone.binary);
        command.arg("127.0.0.1:0");
        if milestone.spec.takes_workers() {
            command.arg(workers.to_string());
        }
        command.env("SLEEP_MS", sleep_ms.to_string());
        Server::spawn(milestone.name(), command, Some(log))
    }

    /// Starts `command`, a milestone's, with its stderr going to the file
    /// `log` or else to a pipe the harness reads, and waits for its
    /// `Listening on` line.
    pub fn spawn(name: &str, command: Command, log: Option<&Path>) -> Result<Server, String> {
        let program = command.get_program().to_string_lossy().into_owned();
        let process = match log {
            // A server's log is part of its cost: written to a file, as in
            // production, it costs the server what it would cost there.
            Some(log) => Process::spawn_with_stderr_file(command, log),
            None => Process::spawn(command),
        };
        let mut process = process.map_err(|e| match log {
            Some(log) => format!("cannot start {program}, its log in {}: {e}", log.display()),
            None => format!("cannot start {program}: {e}"),
        })?;
        // m4 on prints a line per request: the harness reads every line, so
        // the pipe never fills up, and keeps a bounded amount of them.
        match process.listening_line(STARTUP_PATIENCE) {
            Ok(addr) => Ok(Server { addr, process }),
            Err(err) => Err(format!("{name} did not start: {err}")),
        }
    }

    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Whether the process has ended by itself.
    pub fn has_exited(&mut self) -> bool {
        self.process.try_wait().is_some()
    }

    /// Whether the process ends within `patience`: a server that just lost a
    /// connection may be in the middle of dying.
    pub fn exits_within(&mut self, patience: Duration) -> bool {
        self.process.wait_for_exit(patience).is_some()
    }

    /// Why the process ended: the last line it printed on stderr (its panic
    /// message when it died of one), or else its exit status.
    pub fn cause_of_death(&mut self) -> String {
        if let Some(words) = self.process.last_words() {
            return words;
        }
        match self.process.try_wait() {
            Some(status) => harness::process::describe(status),
            None => "no longer answers".to_string(),
        }
    }

    /// The CPU time the server has used so far, user and system, all its
    /// threads together (those that have ended too). Read from `/proc`:
    /// elsewhere than on Linux, not known.
    #[cfg(not(target_os = "linux"))]
    pub fn cpu_time(&self) -> Option<Duration> {
        None
    }

    #[cfg(not(target_os = "linux"))]
    pub fn status(&self) -> Option<Status> {
        None
    }

    /// The CPU time the server has used so far, user and system, all its
    /// threads together (those that have ended too).
    #[cfg(target_os = "linux")]
    pub fn cpu_time(&self) -> Option<Duration> {
        cpu_time(procfs::process::Process::new(self.pid() as i32).ok()?)
    }

    #[cfg(target_os = "linux")]
    pub fn status(&self) -> Option<Status> {
        let status = procfs::process::Process::new(self.pid() as i32)
            .ok()?
            .status()
            .ok()?;
        Some(Status {
            rss_kib: status.vmrss?,
            peak_kib: status.vmhwm?,
            peak_virtual_kib: status.vmpeak?,
            threads: status.threads,
        })
    }
}

/// The CPU time this process (the tool) has used so far, all its threads.
#[cfg(target_os = "linux")]
pub fn own_cpu_time() -> Option<Duration> {
    cpu_time(procfs::process::Process::myself().ok()?)
}

/// Not known elsewhere than on Linux.
#[cfg(not(target_os = "linux"))]
pub fn own_cpu_time() -> Option<Duration> {
    None
}

/// User plus system time, which `/proc/PID/stat` counts in clock ticks.
#[cfg(target_os = "linux")]
fn cpu_time(process: procfs::process::Process) -> Option<Duration> {
    let stat = process.stat().ok()?;
    let ticks = stat.utime + stat.stime;
    Some(Duration::from_secs_f64(
        ticks as f64 / procfs::ticks_per_second() as f64,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLEEP: Duration = Duration::from_millis(500);

    #[test]
    fn each_kind_of_milestone_has_its_model() {
        let model = |name| Model::of(harness::milestones::find(name).unwrap().kind, 3);
        assert_eq!(model("m1"), Model::NoSleep);
        assert_eq!(model("m2"), Model::OneThread);
        assert_eq!(model("m3"), Model::ThreadPerRequest);
        for name in ["m4", "m5", "m6"] {
            assert_eq!(model(name), Model::Pool(3));
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
    fn the_tools_own_cpu_time_grows_as_it_works() {
        let before = own_cpu_time().expect("/proc/self/stat is readable");
        let start = std::time::Instant::now();
        let mut spin = 0u64;
        while own_cpu_time().unwrap() <= before && start.elapsed() < Duration::from_secs(10) {
            spin = spin.wrapping_add(1);
        }
        assert!(own_cpu_time().unwrap() > before, "after {spin} turns");
    }
}
