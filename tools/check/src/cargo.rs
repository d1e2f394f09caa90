//! Building what the checks run: one of our milestones, or a student's crate,
//! whose build is as untrusted as its server (it may not compile, or a build
//! script may hang): time-limited, output capped, process group killed.

use harness::Process;
use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

/// How long a student's crate may take to build, by default.
pub const BUILD_LIMIT: Duration = Duration::from_secs(300);

/// Builds milestone `name` of this repository and returns its binary.
pub fn build_milestone(name: &str) -> Result<PathBuf, String> {
    let root = harness::repo_root();
    let binaries = build(&root, &["--package", name], Duration::from_secs(900), false)?;
    binaries
        .into_iter()
        .find(|(target, _)| target == name)
        .map(|(_, path)| path)
        .ok_or_else(|| format!("cargo built {name} but did not say where its binary is"))
}

/// Builds the crate in `dir`, within `limit`, and returns its binary: the
/// only one, or the one named like the package.
pub fn build_crate(dir: &Path, limit: Duration) -> Result<PathBuf, String> {
    let binaries = build(dir, &[], limit, true)?;
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

/// `cargo build` in `dir` with `args`; the binaries it built, by target name.
/// A crate of its `own` builds into its own `target/`, whatever target
/// folder the environment names: crates that share one overwrite each
/// other's `hello` binary (and the grader builds many at once).
fn build(
    dir: &Path,
    args: &[&str],
    limit: Duration,
    own: bool,
) -> Result<Vec<(String, PathBuf)>, String> {
    let cargo = std::env::var("CARGO").unwrap_or("cargo".to_string());
    let mut command = Command::new(&cargo);
    command
        .args(["build", "--message-format=json-render-diagnostics"])
        .args(args)
        .current_dir(dir);
    if own {
        command
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET_DIR");
    }
    let mut process = Process::spawn(command).map_err(|e| format!("cannot run {cargo}: {e}"))?;
    let Some(status) = process.wait_for_exit(limit) else {
        process.kill();
        return Err(format!(
            "`cargo build` did not finish within {} s (a build script that never ends?)",
            limit.as_secs()
        ));
    };
    // The readers may still be copying the last lines.
    process.drain(Duration::from_secs(5));
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
