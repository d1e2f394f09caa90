//! `compare`: builds the chosen milestones in release, starts each one on
//! `127.0.0.1:0` with its stderr going to a file, drives it through the same
//! scenarios, stops it, and reports what each one teaches: a table, JSON,
//! Markdown, SVG charts.

#[cfg(unix)]
mod bench;
mod chart;
mod report;
mod results;
mod scenarios;
mod server;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use results::{Outcome, Report, Row, Scenario, Settings};
use scenarios::Stop;
use server::{Milestone, Model, Server};
use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

/// Compare the milestones: start each one, drive it, stop it, report.
///
/// Every milestone is built in release, started on 127.0.0.1:0 with
/// SLEEP_MS set to --sleep-ms, and started afresh for every scenario, its
/// stderr (its log) written to a file of its own in --logs DIR.
/// `compare bench MILESTONE [OHA ARGS]` load-tests one with oha instead.
#[derive(Parser, Debug)]
#[command(
    name = "compare",
    version,
    max_term_width = 100,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Tool>,

    /// Milestones to compare, e.g. `m2 m3` [default: every one]
    #[arg(value_name = "MILESTONE")]
    milestones: Vec<String>,

    /// Scenarios to run, comma separated [default: all]
    #[arg(short, long, value_enum, value_delimiter = ',', value_name = "NAME")]
    scenario: Vec<Scenario>,

    /// How long /sleep sleeps, in milliseconds (passed to m2 on as SLEEP_MS)
    #[arg(long, default_value_t = 500, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(10..=60_000))]
    sleep_ms: u64,

    /// Workers of the pools (m4 to m6)
    #[arg(short, long, default_value_t = 4, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=256))]
    workers: u64,

    /// blocked: /sleep requests in flight before GET / [default: --workers]
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..=256))]
    blockers: Option<u64>,

    /// throughput: concurrent clients
    #[arg(short, long, default_value_t = 16, value_name = "C",
          value_parser = clap::value_parser!(u64).range(1..=256))]
    concurrency: u64,

    /// burst: how many /sleep at once, comma separated, a run each
    #[arg(long, value_delimiter = ',', default_value = "16,1000", value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=15_000))]
    burst: Vec<u64>,

    /// burst: skip a run whose theory takes longer than this, in seconds
    #[arg(long, default_value_t = 30, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    max_seconds: u64,

    /// idle: connections held open without a request before GET /
    #[arg(long, default_value_t = 100, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=15_000))]
    idle: u64,

    /// throughput: seconds of requests per milestone (in-flight requests finish)
    #[arg(short, long, default_value = "3", value_name = "SECONDS", value_parser = seconds)]
    duration: Duration,

    /// throughput: exactly this many requests per milestone instead of --duration
    #[arg(short = 'n', long, value_name = "N", conflicts_with = "duration",
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    requests: Option<u64>,

    /// throughput: run every milestone this many times, taking turns, and
    /// report the median of the runs
    ///
    /// On a shared machine one run of a second or two can be 10 % off; the
    /// median of runs that alternate between the milestones is steadier.
    #[arg(long, default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=50))]
    rounds: u64,

    /// memory: connections held open together
    #[arg(long, default_value_t = 100, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=15_000))]
    connections: u64,

    /// Print the results as JSON on stdout instead of tables
    #[arg(long)]
    json: bool,

    /// Also write the results as Markdown tables to FILE
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,

    /// Also write one SVG chart per scenario into DIR (DIR/blocked.svg, …)
    #[arg(long, value_name = "DIR")]
    svg: Option<PathBuf>,

    /// Where each server writes its stderr, its log: DIR/MILESTONE-SCENARIO.log
    /// [default: a new folder in the temporary directory, kept]
    #[arg(long, value_name = "DIR")]
    logs: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Tool {
    /// Load-test one milestone's release build with oha, as `just bench` does
    ///
    /// Builds MILESTONE in release, starts it on 127.0.0.1:0, runs `oha
    /// --disable-keepalive --no-tui [OHA ARGS] URL/` with its output passed
    /// through, and then prints the CPU time oha and the milestone used.
    Bench {
        /// The milestone, e.g. `m1`
        milestone: String,
        /// oha's own arguments, e.g. `-n 20000 -c 16`
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "OHA ARGS"
        )]
        oha_args: Vec<String>,
    },
}

/// A whole number of seconds or a decimal one, above 0 and at most 600.
fn seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 600.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err("expected seconds, more than 0 and at most 600, e.g. 3 or 0.5".to_string()),
    }
}

fn main() -> ExitCode {
    let cli: Cli = match harness::cli::parse("compare --help") {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match run(cli) {
        Ok(code) => code,
        Err(Failure::Usage(message)) => harness::cli::misuse(&message),
        Err(Failure::Other(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    /// The command line asks for something impossible: exit 2.
    Usage(String),
    /// Something went wrong while running: exit 1.
    Other(String),
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    if let Some(Tool::Bench {
        milestone,
        oha_args,
    }) = &cli.command
    {
        #[cfg(unix)]
        return bench::run(milestone, oha_args);
        #[cfg(not(unix))]
        let _ = oha_args;
        #[cfg(not(unix))]
        return Err(Failure::Other(format!(
            "`compare bench {milestone}` measures oha's CPU time with wait4, which Windows \
             does not have: run it in WSL 2"
        )));
    }
    let root = harness::repo_root();
    let chosen = choose(&cli.milestones).map_err(Failure::Usage)?;
    // Make the output folders now: a typo should not cost a whole run.
    let markdown_dir = cli.markdown.as_ref().and_then(|p| p.parent());
    for dir in [markdown_dir, cli.svg.as_deref(), cli.logs.as_deref()]
        .into_iter()
        .flatten()
    {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::Other(format!("cannot create {}: {e}", dir.display())))?;
        }
    }
    // The servers write their logs to files, as a server in production
    // does: a pipe that the tool reads would measure the tool instead.
    let logs = match &cli.logs {
        Some(dir) => dir.clone(),
        None => new_log_folder().map_err(Failure::Other)?,
    };

    let milestones = server::build(&root, &chosen).map_err(Failure::Other)?;
    let scenarios = if cli.scenario.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        Scenario::ALL
            .into_iter()
            .filter(|s| cli.scenario.contains(s))
            .collect()
    };
    let stop = match cli.requests {
        Some(n) => Stop::Requests(n),
        None => Stop::Duration(cli.duration),
    };
    let settings = Settings {
        sleep_ms: cli.sleep_ms,
        workers: cli.workers,
        blockers: cli.blockers.unwrap_or(cli.workers),
        concurrency: cli.concurrency,
        burst: cli.burst.clone(),
        max_seconds: cli.max_seconds,
        idle: cli.idle,
        duration_s: match stop {
            Stop::Duration(d) => Some(d.as_secs_f64()),
            Stop::Requests(_) => None,
        },
        requests: cli.requests,
        rounds: cli.rounds,
        connections: cli.connections,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if !cli.json {
        println!("{}", report::settings_line(&settings, &scenarios));
        println!(
            "{}",
            report::logs_line(&logs, std::env::var("RUST_LOG").ok())
        );
    }

    // Ten thousand connections need as many descriptors, in the tool and
    // in the milestone, which inherits the limit.
    raise_descriptor_limit();
    let mut results = Vec::new();
    for &scenario in &scenarios {
        let rows = match scenario {
            Scenario::Throughput => throughput_rounds(&milestones, &settings, stop, &logs),
            _ => once_each(&milestones, scenario, &settings, stop, &logs),
        };
        if !cli.json {
            println!("\n{}", report::table(scenario, &rows, &settings));
        }
        results.extend(rows);
    }

    let report = Report {
        settings,
        scenarios,
        logs,
        results,
    };
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
    }
    if let Some(path) = &cli.markdown {
        std::fs::write(path, report::markdown(&report))
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(dir) = &cli.svg {
        for &scenario in &report.scenarios {
            let path = dir.join(format!("{}.svg", scenario.name()));
            chart::draw(&path, scenario, &report)
                .map_err(|e| Failure::Other(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A new folder in the temporary directory for the servers' logs, kept
/// after the run so that they can be read.
fn new_log_folder() -> Result<PathBuf, String> {
    let dir = tempfile::Builder::new()
        .prefix("compare-logs-")
        .tempdir()
        .map_err(|e| {
            let tmp = std::env::temp_dir();
            format!("cannot create a folder in {}: {e}", tmp.display())
        })?;
    Ok(dir.keep())
}

/// The milestones to run, in course order, once each: those asked for, or
/// every one. A name that is not a milestone's is an error.
fn choose(asked: &[String]) -> Result<Vec<&'static harness::Milestone>, String> {
    if asked.is_empty() {
        return Ok(harness::MILESTONES.iter().collect());
    }
    let mut chosen = Vec::new();
    for name in asked {
        let milestone = harness::milestones::find(name)?;
        if !chosen.contains(&milestone) {
            chosen.push(milestone);
        }
    }
    chosen.sort_by_key(|m| m.number());
    Ok(chosen)
}

/// Windows has no such limit to raise.
#[cfg(not(unix))]
fn raise_descriptor_limit() {}

/// Raises this process's limit on open files to its hard limit.
#[cfg(unix)]
fn raise_descriptor_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write `limit`.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// A scenario other than throughput against each milestone, once for each
/// size of burst (once for the other scenarios).
fn once_each(
    milestones: &[Milestone],
    scenario: Scenario,
    settings: &Settings,
    stop: Stop,
    logs: &Path,
) -> Vec<Row> {
    let sizes = match scenario {
        Scenario::Burst => settings.burst.clone(),
        _ => vec![0],
    };
    let mut rows = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        for milestone in milestones {
            // A milestone without /sleep is said to be skipped once.
            if i > 0 && !milestone.spec.has_sleep() {
                continue;
            }
            let log = match scenario {
                Scenario::Burst => format!("{}-{}-{size}.log", milestone.name(), scenario.name()),
                _ => format!("{}-{}.log", milestone.name(), scenario.name()),
            };
            let label = format!("{:<3} {:<10}", milestone.name(), scenario.name());
            let job = Job {
                scenario,
                size,
                stop,
                label: &label,
                log: &logs.join(log),
            };
            rows.push(run_one(milestone, settings, job));
        }
    }
    rows
}

/// The throughput scenario, `settings.rounds` times: in each round every
/// milestone runs once, a fresh process each time, and each round starts
/// with the next milestone, so that none always runs first. One row per
/// milestone, in course order: the median of its rounds, or its first round
/// that did not end well.
fn throughput_rounds(
    milestones: &[Milestone],
    settings: &Settings,
    stop: Stop,
    logs: &Path,
) -> Vec<Row> {
    let scenario = Scenario::Throughput;
    let rounds = settings.rounds as usize;
    let mut by_milestone: Vec<Vec<Row>> = vec![Vec::new(); milestones.len()];
    for round in 0..rounds {
        for i in turns(milestones.len(), round) {
            let milestone = &milestones[i];
            // Each round's process writes over the log of the round before:
            // a log as big as one round's, however many rounds.
            let log = format!("{}-{}.log", milestone.name(), scenario.name());
            let label = if rounds == 1 {
                format!("{:<3} {:<10}", milestone.name(), scenario.name())
            } else {
                format!(
                    "{:<3} {} {}/{rounds}",
                    milestone.name(),
                    scenario.name(),
                    round + 1
                )
            };
            let job = Job {
                scenario,
                size: 0,
                stop,
                label: &label,
                log: &logs.join(log),
            };
            by_milestone[i].push(run_one(milestone, settings, job));
        }
    }
    by_milestone.into_iter().map(results::median_row).collect()
}

/// The order of the milestones, by index, in round `round` (from 0): each
/// round starts one further, so that each milestone runs first as often.
fn turns(milestones: usize, round: usize) -> impl Iterator<Item = usize> {
    (0..milestones).map(move |i| (i + round) % milestones)
}

/// What to run once: a scenario, the burst's number of requests (`size`),
/// when throughput stops, the progress bar's label, and the file the
/// server's stderr goes to.
struct Job<'a> {
    scenario: Scenario,
    size: u64,
    stop: Stop,
    label: &'a str,
    log: &'a Path,
}

/// One scenario against a fresh process of one milestone.
fn run_one(milestone: &Milestone, settings: &Settings, job: Job) -> Row {
    let Job {
        scenario,
        size,
        stop,
        label,
        log,
    } = job;
    let model = Model::of(milestone.spec.kind, settings.workers as usize);
    let mut row = Row {
        milestone: milestone.name().to_string(),
        model: model.describe(),
        scenario,
        outcome: Outcome::Ok,
        died_after: None,
        note: None,
        metrics: None,
    };
    if !model.has_sleep() && matches!(scenario, Scenario::Blocked | Scenario::Burst) {
        row.outcome = Outcome::Skipped;
        row.note = Some("no /sleep route".to_string());
        return row;
    }
    let sleep = Duration::from_millis(settings.sleep_ms);
    if scenario == Scenario::Burst {
        let theory = model.burst_theory(size, sleep);
        if theory > Duration::from_secs(settings.max_seconds) {
            row.outcome = Outcome::Skipped;
            row.note = Some(format!(
                "{size} × /sleep would take {:.0} s in theory, over --max-seconds {}",
                theory.as_secs_f64(),
                settings.max_seconds
            ));
            row.metrics = Some(scenarios::Metrics::Burst {
                requests: size,
                total_ms: None,
                theory_ms: theory.as_secs_f64() * 1000.0,
                ratio: None,
            });
            return row;
        }
    }
    let started = Server::start(milestone, settings.workers as usize, settings.sleep_ms, log);
    let mut server = match started {
        Ok(server) => server,
        Err(message) => {
            row.outcome = Outcome::Skipped;
            row.note = Some(message);
            return row;
        }
    };
    let run = match scenario {
        Scenario::Blocked => {
            let bar = spinner(label, format!("{} × /sleep, then GET /", settings.blockers));
            let run = scenarios::blocked(&server, model, settings.blockers, sleep);
            bar.finish_and_clear();
            run
        }
        Scenario::Burst => {
            let bar = bar(label, size, "/sleep answered");
            let run = scenarios::burst(&server, model, size, sleep, &bar);
            bar.finish_and_clear();
            run
        }
        Scenario::Idle => {
            let bar = spinner(
                label,
                format!("{} idle connections, then GET /", settings.idle),
            );
            let run = scenarios::idle(&server, settings.idle);
            bar.finish_and_clear();
            run
        }
        Scenario::Throughput => {
            let bar = match stop {
                Stop::Requests(n) => self::bar(label, n, "requests"),
                Stop::Duration(d) => self::bar(label, d.as_millis() as u64, "ms"),
            };
            let run = scenarios::throughput(&mut server, settings.concurrency, stop, &bar);
            bar.finish_and_clear();
            run
        }
        Scenario::Memory => {
            let bar = bar(label, settings.connections, "connections");
            let run = scenarios::memory(&server, settings.connections, sleep, &bar);
            bar.finish_and_clear();
            run
        }
    };
    // A server that refused or dropped requests may be dying: give it a moment.
    let died =
        server.has_exited() || (run.errors > 0 && server.exits_within(Duration::from_millis(500)));
    if died {
        row.outcome = Outcome::Died;
        row.died_after = Some(run.answered);
        row.note = Some(server.cause_of_death());
    } else {
        row.metrics = Some(run.metrics);
    }
    row
}

fn bar(label: &str, length: u64, unit: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(&format!(
        "{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{elapsed}})"
    ))
    .unwrap()
    .progress_chars("=> ");
    ProgressBar::new(length)
        .with_style(style)
        .with_prefix(label.to_string())
}

fn spinner(label: &str, message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner()
        .with_style(ProgressStyle::with_template("{prefix} {spinner} {msg} ({elapsed})").unwrap())
        .with_prefix(label.to_string())
        .with_message(message);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

#[cfg(test)]
mod tests {
    use super::{choose, turns};

    #[test]
    fn each_round_starts_with_the_next_milestone() {
        let order = |round| turns(3, round).collect::<Vec<_>>();
        assert_eq!(order(0), [0, 1, 2]);
        assert_eq!(order(1), [1, 2, 0]);
        assert_eq!(order(2), [2, 0, 1]);
        assert_eq!(order(3), [0, 1, 2]);
    }

    fn names(list: &str) -> Vec<String> {
        list.split_whitespace().map(str::to_string).collect()
    }

    fn chosen(list: &str) -> Vec<&'static str> {
        choose(&names(list))
            .unwrap()
            .iter()
            .map(|m| m.name)
            .collect()
    }

    #[test]
    fn milestones_run_in_course_order_once_each() {
        assert_eq!(chosen("m3 m1 m3"), ["m1", "m3"]);
    }

    #[test]
    fn no_name_means_every_milestone() {
        assert_eq!(chosen(""), harness::milestones::names());
    }

    #[test]
    fn a_name_that_is_not_a_milestone_is_the_harness_error() {
        assert_eq!(
            choose(&names("m2 m99")).unwrap_err(),
            harness::milestones::unknown("m99")
        );
    }
}
