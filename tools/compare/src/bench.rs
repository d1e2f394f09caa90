//! `compare bench MILESTONE [OHA ARGS]`, which `just bench` runs: one
//! milestone's release build under [oha](https://github.com/hatoo/oha), with
//! the CPU time each side used. The tool's own scenarios measure the same
//! things; this is the cross-check with a load generator everyone knows.

use crate::server::{self, Server};
use std::{
    io::{self, Write},
    os::unix::process::ExitStatusExt,
    process::{Command, ExitCode, ExitStatus},
    time::Duration,
};

/// What to tell a student who has no oha.
const NO_OHA: &str =
    "oha is not installed; install it with: cargo install oha --locked --version 1.16.0";

/// Builds `milestone` in release, starts it on 127.0.0.1:0 through the
/// harness, runs `oha --disable-keepalive --no-tui ARGS URL/` with its output
/// passed through, and prints the CPU time oha and the milestone used. The
/// milestone's stderr, its log, goes to a file, as in the tool's scenarios:
/// m8 logs every request, and a terminal would slow it down and bury oha's
/// summary. Exits as oha does; a milestone that died during the run is a
/// note with its last words, not a failure.
pub fn run(milestone: &str, oha_args: &[String]) -> Result<ExitCode, crate::Failure> {
    use crate::Failure::{Other, Usage};
    let spec = harness::milestones::find(milestone).map_err(Usage)?;
    // Before a build that may take a minute.
    if let Err(e) = Command::new("oha").arg("--version").output() {
        return Err(match e.kind() {
            io::ErrorKind::NotFound => Other(NO_OHA.to_string()),
            _ => Other(format!("cannot run oha: {e}")),
        });
    }
    let built = server::build(&harness::repo_root(), &[spec]).map_err(Other)?;
    let log = crate::new_log_folder()
        .map_err(Other)?
        .join(format!("{}-bench.log", spec.name));
    let mut command = Command::new(&built[0].binary);
    command.arg("127.0.0.1:0");
    let mut server = Server::spawn(spec.name, command, Some(&log)).map_err(Other)?;
    let url = format!("http://{}/", server.addr);

    // These servers close the connection after each answer: a new one per
    // request, as in the tool's throughput scenario.
    let shown: Vec<&str> = ["oha", "--disable-keepalive"]
        .into_iter()
        .chain(oha_args.iter().map(String::as_str))
        .chain([url.as_str()])
        .collect();
    println!("{} ({}, release build)", shown.join(" "), spec.name);
    println!(
        "Log: {}'s stderr is written to {}",
        spec.name,
        log.display()
    );
    let before = server.cpu_time();
    let mut oha = Command::new("oha");
    oha.args(["--disable-keepalive", "--no-tui"])
        .args(oha_args)
        .arg(&url);
    let (status, usage) = run_with_usage(oha).map_err(|e| Other(format!("cannot run oha: {e}")))?;
    println!(
        "CPU time: oha {:.3} s user + {:.3} s system",
        usage.user.as_secs_f64(),
        usage.system.as_secs_f64()
    );
    if let (Some(before), Some(after)) = (before, server.cpu_time()) {
        println!(
            "CPU time: {} {:.2} s (user + system)",
            spec.name,
            after.saturating_sub(before).as_secs_f64()
        );
    }
    let _ = io::stdout().flush();

    // A connection oha abandoned (`-z` does at its deadline) may still kill it.
    if server.exits_within(Duration::from_millis(300)) {
        eprintln!(
            "note: {} died during the run: {}",
            spec.name,
            server.cause_of_death()
        );
    }
    Ok(match (status.code(), status.signal()) {
        (Some(0), _) => ExitCode::SUCCESS,
        (Some(code), _) => ExitCode::from(code.clamp(1, 255) as u8),
        (None, Some(signal)) => ExitCode::from((128 + signal).clamp(1, 255) as u8),
        (None, None) => ExitCode::FAILURE,
    })
}

/// The CPU time a child used, as the shell's `time` reports it.
struct Usage {
    user: Duration,
    system: Duration,
}

/// Runs `command` to its end and returns how it exited and the CPU time it
/// and its own children used: `wait4` reaps it and reads its usage at once.
fn run_with_usage(mut command: Command) -> io::Result<(ExitStatus, Usage)> {
    let child = command.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of that plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child, which nothing else waits for
        // (`child` is dropped without waiting); both pointers are valid.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    drop(child);
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok((
        ExitStatus::from_raw(status),
        Usage {
            user: time(usage.ru_utime),
            system: time(usage.ru_stime),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_s_exit_and_cpu_time_are_both_read() {
        // Busy for a while in user space, then exit 3.
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; exit 3",
        ]);
        let (status, usage) = run_with_usage(command).unwrap();
        assert_eq!(status.code(), Some(3));
        assert!(usage.user + usage.system > Duration::ZERO);
    }
}
