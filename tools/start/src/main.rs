//! `start`: makes a student's own crate, outside this repository, to work in.
//!
//! - `start DIR`: the book's starting point, as the module has it: `cargo new
//!   hello` (edition 2024, no dependencies, Hello, world!) with the book's
//!   `hello.html` and `404.html`.
//! - `start mN DIR`: a copy of milestone `mN`, for that chapter's exercises.
//!
//! Either way DIR becomes a Git repository on `main` with one commit, and its
//! `Cargo.toml` has an empty `[workspace]` table, so the crate stands alone
//! wherever it sits. The milestones' folders stay as they are: the tests and
//! the book read them.

mod files;
mod git;
mod place;

use clap::Parser;
use harness::Milestone;
use std::{
    ffi::OsString,
    io::{self, Write},
    path::{Path, PathBuf},
    process::ExitCode,
};

/// Make a crate of your own to work in, outside this repository.
///
/// `just start DIR` makes the book's starting point: what `cargo new hello`
/// writes, with the book's hello.html and 404.html. `just start mN DIR`
/// copies milestone mN instead, for that chapter's exercises. Either way DIR
/// becomes a Git repository with one commit.
#[derive(Parser, Debug)]
#[command(
    name = "start",
    version,
    max_term_width = 100,
    override_usage = "just start [MILESTONE] DIR",
    after_help = "Examples:\n  \
        just start ~/advprog-modul6     the crate for the module's commits\n  \
        just start m4 ~/exercises/m4    a copy of m4, for its chapter's exercises"
)]
struct Cli {
    /// The milestone to copy, m1 … m6; leave it out for the book's starting point
    #[arg(value_name = "MILESTONE")]
    first: Option<OsString>,

    /// The folder to make: a new one, or an empty one, outside this repository
    #[arg(value_name = "DIR")]
    second: Option<OsString>,

    /// The folder a relative DIR is relative to [default: the current one].
    /// `just start` passes the folder you typed it in.
    #[arg(long, hide = true, value_name = "FOLDER")]
    cwd: Option<PathBuf>,
}

/// Why it did not make the crate.
#[derive(Debug)]
enum Failure {
    /// The command line asks for something it must not do: exit 2.
    Usage(String),
    /// Something went wrong while making the crate: exit 1.
    Other(String),
}

fn main() -> ExitCode {
    let cli: Cli = match harness::cli::parse("just start --help") {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => fail(failure),
    }
}

fn fail(failure: Failure) -> ExitCode {
    let (message, code) = match failure {
        Failure::Usage(message) => (message, 2),
        Failure::Other(message) => (message, 1),
    };
    let _ = writeln!(io::stderr(), "error: {message}");
    ExitCode::from(code)
}

fn run(cli: Cli) -> Result<(), Failure> {
    let (milestone, dir) = parse_args(cli.first, cli.second)?;
    let here = std::env::current_dir()
        .map_err(|e| Failure::Other(format!("cannot read the current folder: {e}")))?;
    let cwd = match cli.cwd {
        Some(cwd) => here.join(cwd),
        None => here,
    };
    let root = harness::repo_root();
    let target = place::check(&cwd, &dir, &root, milestone).map_err(|e| match e {
        place::Refusal::Usage(message) => Failure::Usage(message),
        place::Refusal::Other(message) => Failure::Other(message),
    })?;

    git::check_installed().map_err(Failure::Other)?;
    let files = match milestone {
        None => files::starting_point(&root),
        Some(m) => files::milestone_copy(&root, m),
    }
    .map_err(Failure::Other)?;
    let message = match milestone {
        None => {
            "Initial commit: cargo new hello, with the book's hello.html and 404.html".to_string()
        }
        Some(m) => format!(
            "Initial commit: a copy of milestone {} ({}) of the course",
            m.name, m.adds
        ),
    };

    let made = place::Made::new(&target.path);
    let commit = files::write(&target.path, &files)
        .and_then(|()| git::init_and_commit(&target.path, &message));
    let commit = match commit {
        Ok(commit) => commit,
        Err(e) => {
            made.undo();
            return Err(Failure::Other(format!("{e} (what was made is removed)")));
        }
    };
    next_steps(&target.path, milestone, &root, &commit);
    Ok(())
}

/// `DIR` or `MILESTONE DIR`. A lone argument that looks like a milestone's
/// name is a forgotten DIR, not a folder called `m4`: `./m4` says that.
fn parse_args(
    first: Option<OsString>,
    second: Option<OsString>,
) -> Result<(Option<&'static Milestone>, PathBuf), Failure> {
    match (first, second) {
        (Some(dir), None) => {
            let lone = dir
                .to_str()
                .filter(|n| harness::milestones::number(n).is_some());
            if let Some(name) = lone {
                harness::milestones::find(name).map_err(Failure::Usage)?;
                return Err(Failure::Usage(format!(
                    "`just start {name}` needs a folder too: `just start {name} ~/exercises/{name}` \
                     copies milestone {name} there (for a folder called {name}, write ./{name})"
                )));
            }
            Ok((None, PathBuf::from(dir)))
        }
        (Some(name), Some(dir)) => {
            let name = name.to_string_lossy();
            let milestone = harness::milestones::find(&name).map_err(Failure::Usage)?;
            Ok((Some(milestone), dir.into()))
        }
        _ => Err(Failure::Usage(
            "say which folder to make: `just start ~/advprog-modul6` for the module's \
             crate, or `just start m4 ~/exercises/m4` for a copy of a milestone"
                .to_string(),
        )),
    }
}

/// What to do now: where the crate is, how to run it, how to check it.
fn next_steps(dir: &Path, milestone: Option<&Milestone>, root: &Path, commit: &git::Commit) {
    let dir = place::shell_word(dir);
    let root = place::shell_word(root);
    let out = match milestone {
        None => format!(
            "Made the crate `hello` in {dir}:\n\
             the book's starting point (what `cargo new hello` writes, with the\n\
             book's hello.html and 404.html), committed on branch main.\n\
             \n\
             Next:\n    \
                 cd {dir}\n    \
                 cargo run    # prints Hello, world!\n\
             \n\
             Then follow the Rust Book's chapter 21 and commit each step. To check\n\
             your server, run this in {root}:\n    \
                 just check m1 --repo {dir}\n\
             m1 is where the module's commit 3 ends; check m2 after commit 4, m4\n\
             after commit 5, and m5 after the bonus.\n"
        ),
        Some(m) => format!(
            "Made the crate `hello` in {dir}:\n\
             a copy of milestone {name} ({adds}), committed on branch main.\n\
             \n\
             Next:\n    \
                 cd {dir}\n    \
                 cargo run    # serves http://127.0.0.1:7878 until Ctrl-C\n\
             \n\
             Do the exercises of the {name} chapter there, committing as you go.\n\
             To check your work, run this in {root}:\n    \
                 just check {name} --repo {dir}\n",
            name = m.name,
            adds = m.adds,
        ),
    };
    let _ = io::stdout().write_all(out.as_bytes());
    if commit.fallback_identity {
        let _ = writeln!(
            io::stderr(),
            "note: git does not know who you are, so the first commit is by {}.\n\
             Tell it, then make that commit yours (in {dir}):\n    \
                 git config --global user.name \"Your Name\"\n    \
                 git config --global user.email you@example.com\n    \
                 git commit --amend --reset-author --no-edit",
            commit.author
        );
    }
}
