//! `start`: makes a student's own crate, outside this repository, to work in.
//!
//! - `start DIR`: the book's starting point, as the module has it: `cargo new
//!   hello` (edition 2024, no dependencies, Hello, world!) with the book's
//!   `hello.html` and `404.html`.
//! - `start mN DIR`: a copy of milestone `mN`, for that chapter's exercises.
//!
//! Either way a new or empty DIR becomes a Git repository on `main` with one
//! commit. A DIR that is a Git repository without a crate (a fresh clone of
//! the GitHub Classroom assignment) gets the crate beside what is there,
//! overwriting nothing, in one commit `(0) Start: …` of the crate's files
//! alone, which claims no stage of the module. The `Cargo.toml` has an
//! empty `[workspace]` table, so the crate stands alone wherever it sits.
//! The milestones' folders stay as they are: the tests and the book read
//! them.

mod existing;
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
/// copies milestone mN instead, for that chapter's exercises. A new or empty
/// DIR becomes a Git repository with one commit; a DIR that is a clone of
/// your assignment's repository gets the crate beside what is there, in a
/// commit "(0) Start: …", and nothing in it is overwritten.
#[derive(Parser, Debug)]
#[command(
    name = "start",
    version,
    max_term_width = 100,
    override_usage = "just start [MILESTONE] DIR",
    after_help = "Examples:\n  \
        just start ~/advprog-modul6     the crate for the module's commits (a clone of your\n                                  \
                                        assignment's repository, or a new folder)\n  \
        just start m4 ~/exercises/m4    a copy of m4, for its chapter's exercises"
)]
struct Cli {
    /// The milestone to copy, m1 … m6; leave it out for the book's starting point
    #[arg(value_name = "MILESTONE")]
    first: Option<OsString>,

    /// The folder to make: a new one, an empty one, or a Git repository
    /// without a crate, outside this repository
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
    let what = match milestone {
        None => "cargo new hello, with the book's hello.html and 404.html".to_string(),
        Some(m) => format!("a copy of milestone {} ({}) of the course", m.name, m.adds),
    };
    if target.kind == place::Kind::Repository {
        return add_to_repository(&target, milestone, &root, files, &what);
    }
    let message = format!("Initial commit: {what}");

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
    next_steps(&target.path, milestone, &root, &commit, None);
    Ok(())
}

/// The crate added to the Git repository `target`, beside what is there,
/// in one commit of its files alone. The commit is made rather than left
/// to the student, as in a new folder, so that the student's "(1)" holds
/// stage 1's work alone; its "(0)" claims no stage of the module.
fn add_to_repository(
    target: &place::Target,
    milestone: Option<&Milestone>,
    root: &Path,
    files: Vec<files::File>,
    what: &str,
) -> Result<(), Failure> {
    let dir = &target.path;
    let repository = git::repository(dir).map_err(Failure::Other)?;
    let addition = existing::plan(dir, files, &target.named).map_err(Failure::Usage)?;
    let message = format!("(0) Start: {what}");
    let paths = addition.paths();
    let commit = files::write(dir, &addition.files)
        .and_then(|()| git::add_and_commit(dir, &paths, &message));
    let commit = match commit {
        Ok(commit) => commit,
        Err(e) => {
            git::unstage(dir, &paths);
            addition.undo(dir);
            return Err(Failure::Other(format!(
                "{e} (what was added is removed: the repository is as it was)"
            )));
        }
    };
    let added = Added {
        repository: &repository,
        gitignore: addition.gitignore,
        message: &message,
    };
    next_steps(dir, milestone, root, &commit, Some(added));
    Ok(())
}

/// What `add_to_repository` did, for the next steps.
struct Added<'a> {
    repository: &'a git::Repository,
    gitignore: existing::Gitignore,
    message: &'a str,
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
fn next_steps(
    dir: &Path,
    milestone: Option<&Milestone>,
    root: &Path,
    commit: &git::Commit,
    added: Option<Added>,
) {
    let dir = place::shell_word(dir);
    let root = place::shell_word(root);
    let what = match milestone {
        None => "the book's starting point (what `cargo new hello` writes, with the\n\
                 book's hello.html and 404.html)"
            .to_string(),
        Some(m) => format!("a copy of milestone {} ({})", m.name, m.adds),
    };
    let mut out = match &added {
        None => format!("Made the crate `hello` in {dir}:\n{what}, committed on branch main.\n"),
        Some(added) => {
            let gitignore = match added.gitignore {
                existing::Gitignore::Written => "a .gitignore with /target was written",
                existing::Gitignore::Appended => "/target was appended to .gitignore",
                existing::Gitignore::Kept => ".gitignore ignores target/ already",
            };
            let branch = match &added.repository.branch {
                Some(branch) => format!("on branch {branch}"),
                None => "on a detached HEAD".to_string(),
            };
            let commits = match added.repository.commits {
                0 => "no commits before this one".to_string(),
                1 => "1 commit before this one".to_string(),
                n => format!("{n} commits before this one"),
            };
            let kept = match added.repository.remotes.as_slice() {
                [] => format!("the history ({commits}) is as it\nwas, and there is no remote."),
                [one] => format!("the history ({commits}) and the\nremote {one} are as they were."),
                many => format!(
                    "the history ({commits}) and the\nremotes {} are as they were.",
                    many.join(", ")
                ),
            };
            format!(
                "Added the crate `hello` to the Git repository in {dir}:\n\
                 {what}, beside what was there; nothing was\n\
                 overwritten, and {gitignore}.\n\
                 It is committed {branch}, as\n    \
                     {message}\n\
                 so that your \"(1)\" commit holds stage 1's work alone: \"(0)\" claims no\n\
                 stage of the module, and the grader starts at \"(1)\". Nothing is pushed;\n\
                 {kept}\n",
                message = added.message,
            )
        }
    };
    let run = match milestone {
        None => "cargo run    # prints Hello, world!",
        Some(_) => "cargo run    # serves http://127.0.0.1:7878 until Ctrl-C",
    };
    out.push_str(&format!("\nNext:\n    cd {dir}\n    {run}\n"));
    if added
        .as_ref()
        .is_some_and(|a| !a.repository.remotes.is_empty())
    {
        out.push_str("    git push     # when you want your remote to have it\n");
    }
    out.push('\n');
    out.push_str(&match milestone {
        None => format!(
            "Then follow the Rust Book's chapter 21 and commit each stage of the\n\
             module with the handout's message, the first one as\n    \
                 {first}\n\
             To check a stage as the grader will, run this in {root}\n\
             after its commit (1 to 5, then bonus):\n    \
                 just check 1 --repo {dir}\n",
            first = harness::STAGES[0].message,
        ),
        Some(m) => format!(
            "Do the exercises of the {name} chapter there, committing as you go.\n\
             To check your work, run this in {root}:\n    \
                 just check {name} --repo {dir}\n",
            name = m.name,
        ),
    });
    let _ = io::stdout().write_all(out.as_bytes());
    if commit.fallback_identity {
        let _ = writeln!(
            io::stderr(),
            "note: git does not know who you are, so the commit is by {}.\n\
             Tell it, then make that commit yours (in {dir}):\n    \
                 git config --global user.name \"Your Name\"\n    \
                 git config --global user.email you@example.com\n    \
                 git commit --amend --reset-author --no-edit",
            commit.author
        );
    }
}
