//! `grade`: grades student repositories, stage by stage. Exit 0 when the
//! grading ran (whatever the grades), 2 for a mistake in the command. With
//! `--stage ID` (one repository, one stage, for GitHub Classroom): exit 0
//! when the stage passes, 1 when it does not.

use clap::Parser;
use grade::{
    output, report,
    run::{self, Options, Status},
    stages,
};
use harness::cli::misuse;
use indicatif::{ProgressBar, ProgressStyle};
use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

/// Grade a class: each repository's module stages, found by their commit
/// messages, built and checked at their commits, and its README.
///
/// Prints a student × stage table; --json and --csv print the same
/// results for machines and spreadsheets.
#[derive(Parser, Debug)]
#[command(name = "grade", version, max_term_width = 100)]
struct Cli {
    /// The students' repositories: local Git clones
    #[arg(value_name = "REPO")]
    repositories: Vec<String>,

    /// Print a JSON list, one object per repository
    #[arg(long, conflicts_with = "csv")]
    json: bool,

    /// Print CSV rows for a spreadsheet
    #[arg(long)]
    csv: bool,

    /// Grade only this stage (1 … 5 or bonus) of one repository, and exit
    /// 0 if it passes, 1 if not (for GitHub Classroom's autograding)
    #[arg(long, value_name = "ID")]
    stage: Option<String>,

    /// Also write a report to read in a browser into DIR: the table, a
    /// page per stage with every reflection and screenshot, a page per
    /// student (DIR is created; a report written before is replaced)
    #[arg(long, value_name = "DIR", conflicts_with = "stage")]
    html: Option<PathBuf>,

    /// How many stages are checked at the same time
    #[arg(short, long, default_value_t = 16, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=64))]
    jobs: u64,

    /// How long one stage's crate may take to build, in seconds
    #[arg(long, default_value_t = 300, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    build_timeout: u64,

    /// Refuse (exit 2) unless every protection of the sandbox, in which the
    /// students' code builds and runs, holds on this machine
    #[arg(long)]
    require_sandbox: bool,

    /// The folder relative paths start from (`just` passes the one it was
    /// called from)
    #[arg(long, hide = true)]
    cwd: Option<PathBuf>,

    /// Internal: grade without the sandbox, to measure its cost
    /// (`just grade-bench`)
    #[arg(long, hide = true, conflicts_with = "require_sandbox")]
    unsandboxed: bool,

    /// Internal: a job's crate folder, inside a private network
    #[arg(long, hide = true, requires_all = ["job_binary", "job_stage"])]
    job_dir: Option<PathBuf>,
    #[arg(long, hide = true)]
    job_binary: Option<PathBuf>,
    #[arg(long, hide = true)]
    job_stage: Option<String>,
}

fn main() -> ExitCode {
    let cli: Cli = match harness::cli::parse("just grade --help") {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    if cli.unsandboxed {
        check::sandbox::turn_off();
    }
    if let (Some(dir), Some(binary), Some(stage)) = (&cli.job_dir, &cli.job_binary, &cli.job_stage)
    {
        let Some(stage) = stages::find(stage) else {
            return misuse(&format!("no stage {stage}"));
        };
        println!("{}", run::job(dir, binary, stage));
        return ExitCode::SUCCESS;
    }
    if cli.repositories.is_empty() {
        return misuse("give the students' repositories: `just grade ~/class/*`");
    }
    // The students' servers run the way `check --repo` runs one, which
    // Windows cannot.
    if cfg!(windows) {
        return misuse(
            "grading runs the students' code in a sandbox and private networks that only \
             Linux has: grade in WSL 2, or on Linux",
        );
    }
    let only = match &cli.stage {
        None => None,
        Some(id) => match stages::find(id) {
            Some(stage) => Some(stage),
            None => {
                return misuse(&format!(
                    "no stage '{id}'; choose one of: {}",
                    harness::stages::ids().join(" ")
                ));
            }
        },
    };
    if only.is_some() && cli.repositories.len() != 1 {
        return misuse("--stage grades one repository: give exactly one");
    }
    let cwd = match &cli.cwd {
        Some(cwd) => cwd.clone(),
        None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    };
    for repository in &cli.repositories {
        if !cwd.join(repository).is_dir() {
            return misuse(&format!("{repository} is not a folder"));
        }
    }
    // The first line says which protections of the sandbox hold here: on
    // stdout before the table or a stage's line, on stderr before CSV or
    // JSON (which carries it too), so that those stay data.
    let protections = check::sandbox::protections();
    match cli.json || cli.csv {
        true => eprintln!("{protections}"),
        false => println!("{protections}"),
    }
    if cli.require_sandbox && !protections.complete() {
        return misuse(
            "--require-sandbox: not every protection of the sandbox holds here \
             (see the sandbox line), so nothing was graded",
        );
    }
    // Every build of every stage starts from nothing: incremental
    // compilation would only fill the disk.
    // SAFETY: no other thread runs yet.
    unsafe { std::env::set_var("CARGO_INCREMENTAL", "0") };

    let options = Options {
        jobs: cli.jobs as usize,
        build_limit: Duration::from_secs(cli.build_timeout),
        only,
    };
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("grading [{bar:30}] {pos}/{len} stages ({elapsed})")
            .unwrap()
            .progress_chars("=> "),
    );
    if only.is_some() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    if let Some(dir) = &cli.html
        && let Err(problem) = report::usable(&Path::new(&cwd).join(dir))
    {
        eprintln!("error: {problem}");
        return ExitCode::from(2);
    }
    let results = run::grade(&cli.repositories, Path::new(&cwd), &options, &progress);
    bar.finish_and_clear();

    if let Some(stage) = only {
        let result = &results[0].stages[0];
        let mark = if result.status == Status::Pass {
            "✓"
        } else {
            "✗"
        };
        println!("{mark} stage {}: {}", stage.id, result.details);
        if let Some(note) = &results[0].branch_note {
            println!("  {note}");
        }
        return match result.status {
            Status::Pass => ExitCode::SUCCESS,
            _ => ExitCode::FAILURE,
        };
    }
    if let Some(dir) = &cli.html {
        let started = std::time::Instant::now();
        if let Err(problem) = report::write(&cwd.join(dir), &results, &cwd) {
            eprintln!("error: {problem}");
            return ExitCode::from(1);
        }
        if std::env::var_os("GRADE_REPORT_TIMING").is_some() {
            eprintln!("report written in {:.3} s", started.elapsed().as_secs_f64());
        }
    }
    if cli.json {
        println!("{}", output::json(&results, &protections));
    } else if cli.csv {
        print!("{}", output::csv(&results));
    } else {
        print!("{}", output::table(&results));
    }
    ExitCode::SUCCESS
}
