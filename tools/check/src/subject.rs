//! What the checks run against: one of our milestones, a student's crate, or
//! a server already running. Each check gets a server of its own where the
//! checker starts it, so that one check's leftovers (a queue of sleeps, a
//! dead worker) never decide another's result.

use crate::sandbox::{Kind, Network, Sandbox};
use harness::{Milestone, Process};
use serde::Serialize;
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Command,
    thread,
    time::{Duration, Instant},
};

/// How long a server may take to start listening.
pub const STARTUP_LIMIT: Duration = Duration::from_secs(10);

/// How `/sleep` lasts in our milestones when the checker starts them.
pub const OWN_SLEEP: Duration = Duration::from_millis(1000);

/// How the checker gets a server to talk to.
pub enum Launch {
    /// Our own milestone's binary: started on `127.0.0.1:0` with `SLEEP_MS`
    /// and WORKERS set; its `Listening on` line gives the address.
    Milestone {
        binary: PathBuf,
        milestone: &'static Milestone,
        workers: usize,
    },
    /// A student's binary, started in its crate's folder (where it reads its
    /// pages) with no arguments; the address it listens on is read from
    /// `/proc`, since it prints none.
    Crate { binary: PathBuf, dir: PathBuf },
    /// A server someone else started.
    Running(SocketAddr),
}

/// What is being checked, and what the checks know about it.
pub struct Subject {
    pub launch: Launch,
    /// Where `hello.html` and `404.html` are, to compare the bodies with.
    pub pages: Option<PathBuf>,
    /// The crate's `src/`, for the checks that read the source.
    pub sources: Option<PathBuf>,
    /// How the subject is described in the first line of the output.
    pub description: String,
    /// A student's pool size, read from `ThreadPool::new(4)` or
    /// `ThreadPool::build(4)` in its `main.rs`.
    pub pool_size: Option<usize>,
}

/// A server the checks can talk to; killed (its whole process group) when
/// dropped, if the checker started it.
pub struct Server {
    pub addr: SocketAddr,
    pub process: Option<Process>,
    /// A student's server's sandbox, removed after the process (the fields
    /// drop in this order).
    pub sandbox: Option<Sandbox>,
}

impl Server {
    /// Whether the process has died; its status and last words if so.
    pub fn death(&mut self) -> Option<String> {
        let process = self.process.as_mut()?;
        let status = process.try_wait()?;
        let mut text = format!("the server died ({})", harness::process::describe(status));
        if let Some(words) = process.last_words() {
            text.push_str(&format!(": {words}"));
        }
        Some(text)
    }
}

/// The facts the JSON output gives about the subject.
#[derive(Clone, Debug, Serialize)]
pub struct Facts {
    pub description: String,
    /// Our milestone's `SLEEP_MS`, when the checker sets it.
    pub sleep_ms: Option<u64>,
    /// The pool's size, when the checker sets it.
    pub workers: Option<usize>,
}

impl Subject {
    /// One of our milestones, from its built binary.
    pub fn milestone(binary: PathBuf, milestone: &'static Milestone, workers: usize) -> Subject {
        let folder = harness::repo_root().join("milestones").join(milestone.name);
        Subject {
            launch: Launch::Milestone {
                binary,
                milestone,
                workers,
            },
            pages: Some(folder.clone()),
            sources: Some(folder.join("src")),
            description: format!("our {} (milestones/{})", milestone.name, milestone.name),
            pool_size: None,
        }
    }

    /// A student's crate in `dir`, from its built binary.
    pub fn krate(binary: PathBuf, dir: &Path) -> Subject {
        Subject {
            launch: Launch::Crate {
                binary,
                dir: dir.to_path_buf(),
            },
            pages: Some(dir.to_path_buf()),
            sources: Some(dir.join("src")),
            description: format!("the crate in {}", dir.display()),
            pool_size: pool_size_in(&dir.join("src/main.rs")),
        }
    }

    /// A server already listening on `addr`.
    pub fn running(addr: SocketAddr) -> Subject {
        Subject {
            launch: Launch::Running(addr),
            pages: None,
            sources: None,
            description: format!("the server on {addr}"),
            pool_size: None,
        }
    }

    pub fn facts(&self) -> Facts {
        let (sleep_ms, workers) = match &self.launch {
            Launch::Milestone {
                milestone, workers, ..
            } => (
                milestone
                    .has_sleep()
                    .then_some(OWN_SLEEP.as_millis() as u64),
                milestone.takes_workers().then_some(*workers),
            ),
            _ => (None, None),
        };
        Facts {
            description: self.description.clone(),
            sleep_ms,
            workers,
        }
    }

    /// Whether the checker starts (and can signal) the server itself.
    pub fn starts_the_server(&self) -> bool {
        !matches!(self.launch, Launch::Running(_))
    }

    /// The pool's size when the checker knows it: it passes it to our
    /// milestones, and reads it in a student's `main.rs`.
    pub fn workers(&self) -> Option<usize> {
        match &self.launch {
            Launch::Milestone {
                milestone, workers, ..
            } if milestone.takes_workers() => Some(*workers),
            _ => self.pool_size,
        }
    }

    /// How long `/sleep` lasts when the checker knows it.
    pub fn known_sleep(&self) -> Option<Duration> {
        match &self.launch {
            Launch::Milestone { milestone, .. } if milestone.has_sleep() => Some(OWN_SLEEP),
            _ => None,
        }
    }

    /// A server to run one check against: a fresh process where the checker
    /// starts it, the same server otherwise.
    pub fn start(&self) -> Result<Server, String> {
        match &self.launch {
            // No probe: an empty connection kills the book's early servers.
            Launch::Running(addr) => Ok(Server {
                addr: *addr,
                process: None,
                sandbox: None,
            }),
            Launch::Milestone {
                binary,
                milestone,
                workers,
            } => {
                let mut command = Command::new(binary);
                command.arg("127.0.0.1:0");
                if milestone.takes_workers() {
                    command.arg(workers.to_string());
                }
                command.env("SLEEP_MS", OWN_SLEEP.as_millis().to_string());
                let mut process = Process::spawn(command)
                    .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
                let addr = process
                    .listening_line(STARTUP_LIMIT)
                    .map_err(|e| format!("{} did not start: {e}", milestone.name))?;
                Ok(Server {
                    addr,
                    process: Some(process),
                    sandbox: None,
                })
            }
            // In the sandbox, in the checker's network: a private one where
            // the machine allows it.
            Launch::Crate { binary, dir } => {
                let sandbox = Sandbox::new(Kind::Server, dir, Network::Inherited)
                    .map_err(|e| format!("cannot prepare the sandbox: {e}"))?;
                let mut process = sandbox
                    .spawn(sandbox.command(binary))
                    .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
                let addr = wait_until_listening(&mut process)?;
                Ok(Server {
                    addr,
                    process: Some(process),
                    sandbox: Some(sandbox),
                })
            }
        }
    }
}

/// The number in `ThreadPool::new(4)` or `ThreadPool::build(4)`, when the
/// file makes its pool with a literal.
fn pool_size_in(main_rs: &Path) -> Option<usize> {
    let text = std::fs::read_to_string(main_rs).ok()?;
    ["ThreadPool::new(", "ThreadPool::build("]
        .iter()
        .find_map(|call| {
            let (_, rest) = text.split_once(call)?;
            let (number, _) = rest.split_once(')')?;
            number.trim().parse().ok()
        })
        .filter(|&n| n > 0 && n <= 64)
}

/// Waits until the process listens on a TCP port, and returns an address to
/// connect to it on. A student's server prints nothing when it listens, and
/// an empty connection kills the book's m1, so the checker does not probe:
/// it looks the socket up in `/proc`, among the processes of the server's
/// group (the sandbox's own processes, and the server).
fn wait_until_listening(process: &mut Process) -> Result<SocketAddr, String> {
    let start = Instant::now();
    loop {
        if let Some(mut addr) = process.group_listening_addrs().into_iter().next() {
            if addr.ip().is_unspecified() {
                addr.set_ip(match addr {
                    SocketAddr::V4(_) => [127, 0, 0, 1].into(),
                    SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            return Ok(addr);
        }
        if let Some(status) = process.try_wait() {
            let mut text = format!(
                "your server exited before it listened ({})",
                harness::process::describe(status)
            );
            if let Some(words) = process.last_words() {
                text.push_str(&format!(": {words}"));
            }
            return Err(text);
        }
        if start.elapsed() >= STARTUP_LIMIT {
            return Err(format!(
                "your server did not listen on any TCP port within {} s \
                 (is `TcpListener::bind` reached?)",
                STARTUP_LIMIT.as_secs()
            ));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_students_pool_size_is_read_from_main() {
        let dir = std::env::temp_dir().join(format!("pool-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let main = dir.join("main.rs");
        for (code, size) in [
            ("let pool = ThreadPool::new(4);", Some(4)),
            ("let pool = ThreadPool::build( 8 ).unwrap();", Some(8)),
            ("let pool = ThreadPool::new(size);", None),
            ("fn main() {}", None),
        ] {
            std::fs::write(&main, code).unwrap();
            assert_eq!(pool_size_in(&main), size, "{code}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
