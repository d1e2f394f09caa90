//! `check`: runs a milestone's checks (`m3`), or a stage's of the module
//! (`3`, `bonus`: the grader's checks for that stage), against our own
//! milestone, a student's crate (`--repo DIR`) or a server already running
//! (`--addr HOST:PORT`).
//! Exit 0: every check passed; 1: a check failed; 2: misuse, or no server
//! to check (the crate does not build, the server never listens), or
//! nothing was checked (`--addr` with only checks that need `--repo`).

#[cfg(target_os = "linux")]
use check::netns;
use check::{
    cargo, checks, report, sandbox,
    subject::{Facts, Subject},
    target::Target,
};
use clap::Parser;
use harness::cli::misuse;
use std::{
    io::Write,
    net::{SocketAddr, ToSocketAddrs},
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};
#[cfg(target_os = "linux")]
use std::{os::unix::process::CommandExt, process::Command};

/// Check a web server against a milestone's lessons, or a stage of the module.
///
/// A stage (1 … 5, bonus) runs the checks `just grade --stage` runs for it,
/// in the context of a milestone (stage 3: m1's). Without --repo or --addr,
/// checks our own milestone (so the checks prove themselves). Each check prints ✓ or ✗; a failure shows the bytes sent
/// and received, what was expected, a hint and a command that replays it.
#[derive(Parser, Debug)]
#[command(name = "check", version, max_term_width = 100)]
struct Cli {
    /// The milestone whose checks to run (m1, m2, …), or a stage of the
    /// module (1 … 5, bonus)
    #[arg(value_name = "MILESTONE|STAGE")]
    milestone: String,

    /// Run only these checks (and those they need) [default: all of the milestone's or stage's]
    #[arg(value_name = "CHECK")]
    checks: Vec<String>,

    /// Build the crate in DIR and check it (it may bind the fixed port 7878:
    /// it runs in a private network where that collides with nothing)
    #[arg(long, value_name = "DIR", conflicts_with = "addr")]
    repo: Option<PathBuf>,

    /// Check a server already running on HOST:PORT
    #[arg(long, value_name = "HOST:PORT")]
    addr: Option<String>,

    /// Print the results as JSON on stdout
    #[arg(long)]
    json: bool,

    /// With --repo: refuse (exit 2) unless every protection of the sandbox
    /// holds on this machine
    #[arg(long, requires = "repo")]
    require_sandbox: bool,

    /// Internal: run the crate without the sandbox, to measure its cost
    #[arg(long, hide = true, conflicts_with = "require_sandbox")]
    unsandboxed: bool,

    /// With --repo: how long the crate may take to build, in seconds
    #[arg(long, default_value_t = 300, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    build_timeout: u64,

    /// Workers for our own milestones' pools (m4 to m6)
    #[arg(long, default_value_t = 4, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=64))]
    workers: u64,

    /// The folder relative paths start from (`just` passes the one it was
    /// called from)
    #[arg(long, hide = true)]
    cwd: Option<PathBuf>,

    /// Internal: the crate's binary, already built; run inside the private
    /// network
    #[arg(long, hide = true)]
    built: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli: Cli = match harness::cli::parse("just check --help") {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let target = match Target::parse(&cli.milestone) {
        Ok(target) => target,
        Err(message) => return misuse(&message),
    };
    let milestone = target.milestone();
    let chosen = match target.select(&cli.checks) {
        Ok(chosen) => chosen,
        Err(message) => return misuse(&message),
    };

    // Windows has neither the sandbox nor a private network: the student
    // starts the server, and the checker checks it where it listens.
    if cfg!(windows) && cli.repo.is_some() {
        return misuse(&without_repo(&cli));
    }

    // Student code runs only with --repo: in the sandbox.
    if cli.unsandboxed {
        sandbox::turn_off();
    }
    let protections = cli.repo.is_some().then(sandbox::protections);

    let mut private_network = false;
    let subject = if let Some(addr) = &cli.addr {
        match resolve(addr) {
            Ok(addr) => Subject::running(addr),
            Err(message) => return misuse(&message),
        }
    } else if let Some(repo) = &cli.repo {
        let dir = match crate_dir(repo, cli.cwd.as_deref()) {
            Ok(dir) => dir,
            Err(message) => return misuse(&message),
        };
        match &cli.built {
            Some(binary) => {
                private_network = true;
                Subject::krate(binary.clone(), &dir)
            }
            None => {
                let facts = Subject::krate(PathBuf::new(), &dir).facts();
                // The first line says which protections hold here.
                let protections = protections.as_ref().expect("with --repo");
                if !cli.json {
                    println!("{protections}");
                }
                if cli.require_sandbox && !protections.complete() {
                    let message = "--require-sandbox: not every protection of the sandbox \
                                   holds here (see the sandbox line), so the crate was not built";
                    return no_server(&cli, target, facts, false, message);
                }
                if !cli.json {
                    println!("Building the crate in {} …", dir.display());
                }
                let binary = match cargo::build_crate(&dir, Duration::from_secs(cli.build_timeout))
                {
                    Ok(binary) => binary,
                    Err(e) => {
                        let message = format!("your crate does not build: {e}");
                        return no_server(&cli, target, facts, false, &message);
                    }
                };
                match run_in_private_network(&binary) {
                    Ok(code) => return code,
                    Err(e) => {
                        eprintln!(
                            "note: no private network here ({e}): your server runs on this \
                             machine's network, where its port must be free"
                        );
                        Subject::krate(binary, &dir)
                    }
                }
            }
        }
    } else {
        if !cli.json {
            println!("Building {} …", milestone.name);
        }
        match cargo::build_milestone(milestone.name) {
            Ok(binary) => Subject::milestone(binary, milestone, cli.workers as usize),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    };

    // A server that cannot start leaves nothing to check: one line, exit 2.
    let first_start = match &cli.addr {
        Some(_) => check_listening(&subject),
        None => subject.start().map(drop),
    };
    if let Err(message) = first_start {
        return no_server(&cli, target, subject.facts(), private_network, &message);
    }

    if !cli.json {
        let place = if private_network {
            ", in a private network"
        } else {
            ""
        };
        println!(
            "Checking {} against {}{place}",
            target.describe(&chosen),
            subject.description
        );
    }
    let mut outcomes = checks::run(&subject, &chosen, |outcome| {
        if !cli.json {
            let mut outcome = outcome.clone();
            report::point_to_chapter(&mut outcome, &target);
            print!("{}", report::lines(&outcome));
            let _ = std::io::stdout().flush();
        }
    });
    for outcome in &mut outcomes {
        report::point_to_chapter(outcome, &target);
    }
    if cli.json {
        let report = report::Report::new(
            target,
            subject.facts(),
            private_network,
            protections,
            None,
            &outcomes,
        );
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
    } else {
        println!("{}", report::summary(&outcomes));
    }
    if report::nothing_checked(&outcomes) {
        // Not a pass: stage 1 against --addr would otherwise look done.
        ExitCode::from(2)
    } else if outcomes.iter().any(|o| o.status == check::Status::Fail) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// What to do instead of `--repo` where it cannot run (Windows): start the
/// server, then check it with `--addr`; said the way the checker was called.
fn without_repo(cli: &Cli) -> String {
    let check = match cli.cwd {
        // `just check` passes --cwd.
        Some(_) => "just check".to_string(),
        None => "cargo run --package check --".to_string(),
    };
    format!(
        "--repo runs your server in a sandbox and a private network that only Linux has \
         (on Windows, use WSL 2 for it): start your server with `cargo run` in your crate, \
         then check it with `{check} {} --addr 127.0.0.1:7878`",
        cli.milestone
    )
}

/// Runs this same command again inside a private network namespace, with
/// the crate's binary already built, and returns its exit code; an error
/// when this machine gives us no namespace.
#[cfg(target_os = "linux")]
fn run_in_private_network(binary: &Path) -> std::io::Result<ExitCode> {
    // /proc/self/exe is this very program even if its file was replaced
    // since it started (a rebuild), where current_exe() would name the
    // new file or a deleted one.
    let mut command = Command::new("/proc/self/exe");
    command
        .args(std::env::args_os().skip(1))
        .arg("--built")
        .arg(binary);
    netns::private_network(&mut command);
    // The inner checker dies with us, and its server with it.
    // SAFETY: prctl is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let status = command.status()?;
    Ok(match status.code() {
        Some(code) => ExitCode::from(code as u8),
        None => ExitCode::from(2),
    })
}

/// Only Linux has network namespaces.
#[cfg(not(target_os = "linux"))]
fn run_in_private_network(_binary: &Path) -> std::io::Result<ExitCode> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "network namespaces are Linux's",
    ))
}

/// No server to check: one ✗ line (or the JSON report) and exit 2.
fn no_server(
    cli: &Cli,
    target: Target,
    facts: Facts,
    private_network: bool,
    message: &str,
) -> ExitCode {
    if cli.json {
        let report = report::Report::new(
            target,
            facts,
            private_network,
            cli.repo.is_some().then(sandbox::protections),
            Some(message.to_string()),
            &[],
        );
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
    } else {
        println!("✗ {message}");
    }
    ExitCode::from(2)
}

/// For --addr: whether anything listens there, without connecting (an
/// empty connection kills the book's early servers). Only local addresses
/// can be looked up; others are taken on trust.
fn check_listening(subject: &Subject) -> Result<(), String> {
    let check::subject::Launch::Running(addr) = &subject.launch else {
        return Ok(());
    };
    let local = addr.ip().is_loopback() || addr.ip().is_unspecified();
    // Where the system does not say what listens (macOS, Windows), on trust.
    let Some(ports) = harness::process::listening_ports() else {
        return Ok(());
    };
    if !local || ports.contains(&addr.port()) {
        return Ok(());
    }
    Err(format!(
        "nothing listens on {addr}: start your server first (`cargo run` in your crate), \
         or check our own milestone with `just check MILESTONE`"
    ))
}

/// HOST:PORT as an address; `localhost` as 127.0.0.1 rather than ::1, which
/// the book's servers, bound to 127.0.0.1, do not listen on.
fn resolve(addr: &str) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs().map_or(Vec::new(), Iterator::collect);
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("--addr {addr:?} is not HOST:PORT, e.g. 127.0.0.1:7878"))
}

/// The crate folder, relative to `cwd` when given; it must hold a Cargo.toml.
fn crate_dir(repo: &Path, cwd: Option<&Path>) -> Result<PathBuf, String> {
    let dir = match cwd {
        Some(cwd) if repo.is_relative() => cwd.join(repo),
        _ => repo.to_path_buf(),
    };
    if !dir.join("Cargo.toml").is_file() {
        return Err(format!(
            "{} has no Cargo.toml: give the folder of your crate, e.g. --repo ~/advprog-modul6",
            dir.display()
        ));
    }
    dir.canonicalize()
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On Windows, `--repo` is this one line, in the words the student
    /// typed the command with.
    #[test]
    fn without_repo_says_what_to_run_instead() {
        let cli = Cli::try_parse_from(["check", "m3", "--repo", "x", "--cwd", "/tmp"]).unwrap();
        assert_eq!(
            without_repo(&cli),
            "--repo runs your server in a sandbox and a private network that only Linux has \
             (on Windows, use WSL 2 for it): start your server with `cargo run` in your crate, \
             then check it with `just check m3 --addr 127.0.0.1:7878`"
        );
        let cli = Cli::try_parse_from(["check", "3", "--repo", "x"]).unwrap();
        assert!(
            without_repo(&cli).ends_with("`cargo run --package check -- 3 --addr 127.0.0.1:7878`")
        );
    }
}
