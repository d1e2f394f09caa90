//! Building what the checks run: one of our milestones, or a student's crate,
//! whose build is as untrusted as its server (it may not compile, a build
//! script may hang or attack): its dependencies fetched first, then built
//! offline, both in the [`sandbox`](crate::sandbox), time-limited, output
//! capped, every process they start killed at the end.

use crate::sandbox::{Kind, Network, Sandbox};
use harness::Process;
use std::{
    path::{Path, PathBuf},
    process::{Command, ExitStatus},
    time::Duration,
};

/// How long a student's crate may take to build, by default.
pub const BUILD_LIMIT: Duration = Duration::from_secs(300);

/// Builds milestone `name` of this repository and returns its binary.
pub fn build_milestone(name: &str) -> Result<PathBuf, String> {
    let root = harness::repo_root();
    let cargo = std::env::var("CARGO").unwrap_or("cargo".to_string());
    let mut command = build_command(Command::new(&cargo));
    command.args(["--package", name]).current_dir(&root);
    let process = Process::spawn(command).map_err(|e| format!("cannot run {cargo}: {e}"))?;
    let binaries = built(process, Duration::from_secs(900))?;
    binaries
        .into_iter()
        .find(|(target, _)| target == name)
        .map(|(_, path)| path)
        .ok_or_else(|| format!("cargo built {name} but did not say where its binary is"))
}

/// Builds the crate in `dir`, within `limit` for fetching its dependencies
/// and as much for building it, and returns its binary: the only one, or the
/// one named like the package.
pub fn build_crate(dir: &Path, limit: Duration) -> Result<PathBuf, String> {
    fetch(dir, limit)?;
    // Its own network namespace: a build script reaches nothing. The crate
    // builds into its own `target/`, whatever target folder the tool's
    // environment names (the sandbox passes none of it): crates that share
    // one overwrite each other's `hello` binary, and the grader builds many
    // at once.
    let sandbox = Sandbox::new(Kind::Build, dir, Network::Private)
        .map_err(|e| format!("cannot prepare the sandbox: {e}"))?;
    let mut command = build_command(sandbox.cargo()?);
    command.arg("--offline");
    let process = sandbox
        .spawn(command)
        .map_err(|e| format!("cannot run cargo in the sandbox: {e}"))?;
    let binaries = built(process, limit)?;
    match binaries.len() {
        0 => Err("the crate has no binary: is there a src/main.rs?".to_string()),
        1 => Ok(binaries.into_iter().next().unwrap().1),
        _ => {
            let names: Vec<&str> = binaries.iter().map(|(n, _)| n.as_str()).collect();
            let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
            let chosen = binaries
                .iter()
                .find(|(n, _)| manifest.contains(&format!("default-run = \"{n}\"")))
                .or_else(|| {
                    binaries
                        .iter()
                        .find(|(n, _)| manifest.contains(&format!("name = \"{n}\"")))
                });
            chosen.map(|(_, p)| p.clone()).ok_or_else(|| {
                format!(
                    "the crate has {} binaries ({}); set `default-run` in its Cargo.toml",
                    names.len(),
                    names.join(", ")
                )
            })
        }
    }
}

/// `cargo fetch`: the crate's dependencies downloaded into cargo's home,
/// the only step with the machine's network. Cargo runs no crate code for
/// it, and the sandbox holds it all the same.
fn fetch(dir: &Path, limit: Duration) -> Result<(), String> {
    let sandbox = Sandbox::new(Kind::Fetch, dir, Network::Inherited)
        .map_err(|e| format!("cannot prepare the sandbox: {e}"))?;
    let mut command = sandbox.cargo()?;
    command.args(["fetch", "--quiet"]);
    let mut process = sandbox
        .spawn(command)
        .map_err(|e| format!("cannot run cargo in the sandbox: {e}"))?;
    let status = finish(
        &mut process,
        limit,
        "cargo fetch",
        "its dependencies could not be fetched",
    )?;
    if status.success() {
        return Ok(());
    }
    let error = first_error(&process.stderr());
    Err(match error.contains("failed to parse manifest") {
        true => error,
        false => format!("its dependencies could not be fetched: {error}"),
    })
}

/// Waits for `command` to end within `limit`, or kills it and says so, with
/// `likely` as the likely cause; then for its output to be read to its end.
fn finish(
    process: &mut Process,
    limit: Duration,
    command: &str,
    likely: &str,
) -> Result<ExitStatus, String> {
    let Some(status) = process.wait_for_exit(limit) else {
        process.kill();
        return Err(format!(
            "`{command}` did not finish within {} s ({likely})",
            limit.as_secs()
        ));
    };
    // The readers may still be copying the last lines.
    process.drain(Duration::from_secs(5));
    Ok(status)
}

/// `command` (cargo) as a build that reports its binaries as JSON.
fn build_command(mut command: Command) -> Command {
    command.args(["build", "--message-format=json-render-diagnostics"]);
    command
}

/// The binaries a build reports, by target name, once it ends within
/// `limit`.
fn built(mut process: Process, limit: Duration) -> Result<Vec<(String, PathBuf)>, String> {
    let status = finish(
        &mut process,
        limit,
        "cargo build",
        "a build script that never ends?",
    )?;
    if !status.success() {
        return Err(first_error(&process.stderr()));
    }
    let mut binaries = Vec::new();
    for line in process.stdout().lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let is_bin = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"));
        if let (true, Some(exe)) = (is_bin, message["executable"].as_str()) {
            let name = message["target"]["name"].as_str().unwrap_or_default();
            binaries.push((name.to_string(), PathBuf::from(exe)));
        }
    }
    Ok(binaries)
}

/// The compiler's first error with its location, in one line:
/// `error[E0425]: cannot find value `x` in this scope (src/main.rs:5:13)`.
fn first_error(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let Some(at) = lines.iter().position(|l| l.starts_with("error")) else {
        let last = lines.iter().rev().find(|l| !l.trim().is_empty());
        return format!(
            "`cargo build` failed: {}",
            last.map_or("no message", |l| l.trim())
        );
    };
    let location = lines[at + 1..]
        .iter()
        .take(3)
        .find_map(|l| l.trim_start().strip_prefix("--> "));
    match location {
        Some(location) => format!("{} ({location})", lines[at]),
        None => lines[at].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_error_comes_with_its_location() {
        let stderr = "   Compiling hello v0.1.0\n\
                      error[E0425]: cannot find value `x` in this scope\n \
                      --> src/main.rs:5:13\n  |\n\
                      error: could not compile `hello`\n";
        assert_eq!(
            first_error(stderr),
            "error[E0425]: cannot find value `x` in this scope (src/main.rs:5:13)"
        );
        assert_eq!(
            first_error("warning: x\nfailed to parse manifest\n"),
            "`cargo build` failed: failed to parse manifest"
        );
    }
}
