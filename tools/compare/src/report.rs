//! The results as text: a table per scenario (two for throughput), for the
//! terminal or Markdown.

use crate::{
    results::{Outcome, Report, Row, Scenario, Settings},
    scenarios::Metrics,
};
use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use std::path::Path;

/// The settings a run used, in one line: those of the scenarios it ran.
pub fn settings_line(s: &Settings, scenarios: &[Scenario]) -> String {
    let ran = |scenario| scenarios.contains(&scenario);
    let mut parts = Vec::new();
    if ran(Scenario::Blocked) || ran(Scenario::Burst) || ran(Scenario::Memory) {
        parts.push(format!(
            "/sleep takes {} ms (SLEEP_MS={})",
            s.sleep_ms, s.sleep_ms
        ));
    }
    parts.push(format!("pools: {} workers", s.workers));
    if ran(Scenario::Blocked) {
        parts.push(format!("blocked: {} /sleep in flight", s.blockers));
    }
    if ran(Scenario::Burst) {
        let sizes: Vec<String> = s.burst.iter().map(u64::to_string).collect();
        parts.push(format!(
            "burst: {} × /sleep at once, runs over {} s in theory skipped",
            sizes.join(", "),
            s.max_seconds
        ));
    }
    if ran(Scenario::Idle) {
        parts.push(format!("idle: {} connections", s.idle));
    }
    if ran(Scenario::Throughput) {
        let throughput = match (s.requests, s.duration_s) {
            (Some(n), _) => format!("{n} requests"),
            (None, Some(d)) => format!("{d} s"),
            (None, None) => unreachable!("a run stops after a count or a time"),
        };
        let rounds = if s.rounds > 1 {
            format!(", in {} rounds, the milestones taking turns", s.rounds)
        } else {
            String::new()
        };
        parts.push(format!(
            "throughput: {throughput} per milestone from {} clients{rounds}",
            s.concurrency
        ));
    }
    if ran(Scenario::Memory) {
        parts.push(format!("memory: {} connections", s.connections));
    }
    parts.push(format!("this machine: {} CPUs", s.cpus));
    parts.join("; ")
}

/// Where the servers' logs went, in one line; with the `RUST_LOG` they
/// inherited, when it is set.
pub fn logs_line(dir: &Path, rust_log: Option<String>) -> String {
    let mut line = format!(
        "Logs: each server's stderr is written to {}/MILESTONE-SCENARIO.log",
        dir.display()
    );
    if let Some(filter) = rust_log {
        line.push_str(&format!(
            " (RUST_LOG={filter:?} from the environment: not the default level)"
        ));
    }
    line
}

/// One table of a scenario's results. Throughput has two, its requests and
/// latencies and then the CPU time each side spent, so that each fits a page.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Part {
    Main,
    Cpu,
}

fn parts(scenario: Scenario) -> &'static [Part] {
    match scenario {
        Scenario::Throughput => &[Part::Main, Part::Cpu],
        _ => &[Part::Main],
    }
}

/// The mdBook anchor of a table in the Markdown output.
fn anchor(scenario: Scenario, part: Part) -> String {
    match part {
        Part::Main => scenario.name().to_string(),
        Part::Cpu => format!("{}-cpu", scenario.name()),
    }
}

/// What a table shows, in one sentence.
fn title(scenario: Scenario, part: Part, s: &Settings) -> String {
    let medians = if scenario == Scenario::Throughput && s.rounds > 1 {
        format!("; medians of {} rounds", s.rounds)
    } else {
        String::new()
    };
    if part == Part::Cpu {
        return format!(
            "{}: CPU time per request (user + system, from /proc/PID/stat), {} clients{medians}",
            scenario.name(),
            s.concurrency
        );
    }
    match scenario {
        Scenario::Blocked => format!(
            "blocked: {} × GET /sleep in flight, then GET /: how long does GET / wait?",
            s.blockers
        ),
        Scenario::Burst => {
            "burst: N × GET /sleep at once: how long until the last answer?".to_string()
        }
        Scenario::Idle => format!(
            "idle: {} connections that send nothing, then GET /: how long does GET / wait?",
            s.idle
        ),
        Scenario::Throughput => format!(
            "throughput: GET / from {} clients, a new connection per request{}",
            s.concurrency,
            if medians.is_empty() {
                medians
            } else {
                format!("{medians} (the lowest and highest requests/s in brackets)")
            }
        ),
        Scenario::Memory => format!(
            "memory: {} connections, each sent GET /sleep, held together",
            s.connections
        ),
    }
}

fn headers(scenario: Scenario, part: Part) -> Vec<&'static str> {
    let mut headers = vec!["milestone", "serves with"];
    headers.extend(match (scenario, part) {
        (_, Part::Cpu) => vec!["requests/s", "server CPU/req", "tool CPU/req"],
        (Scenario::Blocked, _) => vec!["GET / waited", "theory", "verdict"],
        (Scenario::Burst, _) => vec!["N", "all answered after", "theory", "ratio"],
        (Scenario::Idle, _) => vec!["GET / waited", "verdict"],
        (Scenario::Throughput, _) => vec!["requests", "errors", "requests/s", "p50", "p90", "p99"],
        (Scenario::Memory, _) => {
            vec![
                "RSS at start",
                "peak RSS",
                "per connection",
                "peak virtual",
                "peak threads",
            ]
        }
    });
    headers
}

fn millis(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn micros(us: Option<f64>) -> String {
    us.map_or_else(|| "?".to_string(), |us| format!("{us:.0} µs"))
}

/// Requests per second; with several rounds, their median and then the
/// lowest and the highest: `41669 (37195–45788)`.
fn rate_and_range(rate: f64, by_round: &[f64]) -> String {
    if by_round.len() < 2 {
        return format!("{rate:.0}");
    }
    let lowest = by_round.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = by_round.iter().copied().fold(0.0, f64::max);
    format!("{rate:.0} ({lowest:.0}–{highest:.0})")
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The cells of one row, after the milestone and its model.
fn cells(row: &Row, part: Part) -> Vec<String> {
    // A burst not run: its size and its theory, which say why.
    if let (
        Outcome::Skipped,
        Some(Metrics::Burst {
            requests,
            theory_ms,
            ..
        }),
    ) = (row.outcome, &row.metrics)
    {
        return vec![
            requests.to_string(),
            "not run".to_string(),
            millis(*theory_ms),
            "—".to_string(),
        ];
    }
    let outcome = match (row.outcome, &row.metrics) {
        (Outcome::Skipped, _) => format!("skipped: {}", row.note.as_deref().unwrap_or("not run")),
        (Outcome::Died, _) => format!(
            "died after {} requests{}",
            row.died_after.unwrap_or_default(),
            row.note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
        (Outcome::Ok, None) => "no result".to_string(),
        (Outcome::Ok, Some(metrics)) => {
            return match *metrics {
                Metrics::Blocked {
                    wait_ms,
                    theory_ms,
                    blocked,
                    ..
                } => vec![
                    millis(wait_ms),
                    millis(theory_ms),
                    if blocked { "blocked" } else { "not blocked" }.to_string(),
                ],
                Metrics::Burst {
                    requests,
                    total_ms,
                    theory_ms,
                    ratio,
                } => vec![
                    requests.to_string(),
                    total_ms.map_or("not run".to_string(), millis),
                    millis(theory_ms),
                    ratio.map_or("—".to_string(), |r| format!("{r:.2}")),
                ],
                Metrics::Idle {
                    wait_ms, limit_ms, ..
                } => match wait_ms {
                    Some(wait) => vec![
                        millis(wait),
                        if wait < 1000.0 {
                            "not delayed"
                        } else {
                            "delayed"
                        }
                        .to_string(),
                    ],
                    None => vec![
                        format!("over {}", millis(limit_ms)),
                        "no answer".to_string(),
                    ],
                },
                Metrics::Throughput {
                    requests,
                    errors,
                    requests_per_second,
                    ref requests_per_second_by_round,
                    p50_ms,
                    p90_ms,
                    p99_ms,
                    server_cpu_us_per_request,
                    tool_cpu_us_per_request,
                    ..
                } => match part {
                    Part::Main => vec![
                        requests.to_string(),
                        errors.to_string(),
                        rate_and_range(requests_per_second, requests_per_second_by_round),
                        millis(p50_ms),
                        millis(p90_ms),
                        millis(p99_ms),
                    ],
                    Part::Cpu => vec![
                        format!("{requests_per_second:.0}"),
                        micros(server_cpu_us_per_request),
                        micros(tool_cpu_us_per_request),
                    ],
                },
                Metrics::Memory {
                    baseline_kib,
                    peak_kib,
                    peak_virtual_kib,
                    peak_threads,
                    per_connection_kib,
                    ..
                } => vec![
                    mib(baseline_kib),
                    mib(peak_kib),
                    format!("{per_connection_kib:.1} KiB"),
                    mib(peak_virtual_kib),
                    peak_threads.to_string(),
                ],
            };
        }
    };
    vec![outcome]
}

/// The rows of one table, cells padded to the headers.
fn grid(scenario: Scenario, part: Part, rows: &[Row]) -> Vec<Vec<String>> {
    let width = headers(scenario, part).len();
    rows.iter()
        .filter(|r| r.scenario == scenario)
        .map(|row| {
            let mut line = vec![row.milestone.clone(), row.model.clone()];
            line.extend(cells(row, part));
            line.resize(width, String::new());
            line
        })
        .collect()
}

/// A scenario's results as terminal tables, each under its title.
pub fn table(scenario: Scenario, rows: &[Row], settings: &Settings) -> String {
    let tables: Vec<String> = parts(scenario)
        .iter()
        .map(|&part| {
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(headers(scenario, part));
            for line in grid(scenario, part, rows) {
                table.add_row(line);
            }
            for column in 2..headers(scenario, part).len() {
                if let Some(c) = table.column_mut(column) {
                    c.set_cell_alignment(CellAlignment::Right);
                }
            }
            format!("{}\n{table}", title(scenario, part, settings))
        })
        .collect();
    tables.join("\n\n")
}

/// Every scenario's results as Markdown: the settings, then a title and a
/// table per scenario (two for throughput), each between mdBook anchors so
/// that a chapter can include one at a time: `{{#include results.md:blocked}}`,
/// `{{#include results.md:throughput-cpu}}`. mdBook drops the anchor lines
/// from what it includes; they are `//` lines rather than HTML comments so
/// that a line ends with its anchor's name, as the book's own include checks
/// expect.
pub fn markdown(report: &Report) -> String {
    let command: Vec<String> = std::env::args().skip(1).collect();
    let mut out = format!(
        "<!-- Written by `compare {}`: do not edit, run it again. -->\n\n",
        command.join(" ")
    );
    out.push_str(&format!(
        "// ANCHOR: settings\nSettings: {}.\n",
        settings_line(&report.settings, &report.scenarios)
    ));
    out.push_str("// ANCHOR_END: settings\n");
    for &scenario in &report.scenarios {
        for &part in parts(scenario) {
            let name = anchor(scenario, part);
            out.push_str(&format!(
                "\n// ANCHOR: {name}\n**{}**\n\n",
                title(scenario, part, &report.settings)
            ));
            let headers = headers(scenario, part);
            out.push_str(&format!("| {} |\n", headers.join(" | ")));
            let align: Vec<&str> = (0..headers.len())
                .map(|i| if i < 2 { "---" } else { "---:" })
                .collect();
            out.push_str(&format!("|{}|\n", align.join("|")));
            for line in grid(scenario, part, &report.results) {
                let line: Vec<String> = line.iter().map(|c| c.replace('|', "\\|")).collect();
                out.push_str(&format!("| {} |\n", line.join(" | ")));
            }
            out.push_str(&format!("// ANCHOR_END: {name}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logs_line_says_where_and_whether_rust_log_changed_the_level() {
        let dir = Path::new("/tmp/compare-logs-x");
        assert_eq!(
            logs_line(dir, None),
            "Logs: each server's stderr is written to /tmp/compare-logs-x/MILESTONE-SCENARIO.log"
        );
        assert_eq!(
            logs_line(dir, Some("warn".to_string())),
            "Logs: each server's stderr is written to /tmp/compare-logs-x/MILESTONE-SCENARIO.log \
             (RUST_LOG=\"warn\" from the environment: not the default level)"
        );
    }

    fn report(server_cpu: Option<f64>) -> Report {
        Report {
            settings: Settings {
                sleep_ms: 500,
                workers: 4,
                blockers: 4,
                concurrency: 16,
                burst: vec![16, 10000],
                max_seconds: 30,
                idle: 100,
                duration_s: None,
                requests: Some(1000),
                rounds: 1,
                connections: 100,
                cpus: 2,
            },
            scenarios: vec![Scenario::Throughput],
            logs: "/tmp/compare-logs-test".into(),
            results: vec![Row {
                milestone: "m1".to_string(),
                model: "one thread, no /sleep".to_string(),
                scenario: Scenario::Throughput,
                outcome: Outcome::Ok,
                died_after: None,
                note: None,
                metrics: Some(Metrics::Throughput {
                    concurrency: 16,
                    requests: 1000,
                    errors: 0,
                    seconds: 0.05,
                    requests_per_second: 20000.0,
                    requests_per_second_by_round: vec![20000.0],
                    p50_ms: 0.6,
                    p90_ms: 0.8,
                    p99_ms: 1.2,
                    max_ms: 3.0,
                    server_cpu_us_per_request: server_cpu,
                    tool_cpu_us_per_request: Some(48.0),
                }),
            }],
        }
    }

    /// The lines between an anchor and its end.
    fn anchored<'a>(text: &'a str, name: &str) -> &'a str {
        let start = format!("// ANCHOR: {name}\n");
        let from = text.find(&start).unwrap_or_else(|| panic!("{text}")) + start.len();
        let to = text.find(&format!("// ANCHOR_END: {name}\n")).unwrap();
        &text[from..to]
    }

    #[test]
    fn throughput_is_two_tables_each_under_its_anchor() {
        let text = markdown(&report(Some(24.0)));
        let main = anchored(&text, "throughput");
        assert!(main.ends_with(
            "| milestone | serves with | requests | errors | requests/s | p50 | p90 | p99 |\n\
             |---|---|---:|---:|---:|---:|---:|---:|\n\
             | m1 | one thread, no /sleep | 1000 | 0 | 20000 | 0.6 ms | 0.8 ms | 1.2 ms |\n"
        ));
        let cpu = anchored(&text, "throughput-cpu");
        assert!(cpu.ends_with(
            "| milestone | serves with | requests/s | server CPU/req | tool CPU/req |\n\
             |---|---|---:|---:|---:|\n\
             | m1 | one thread, no /sleep | 20000 | 24 µs | 48 µs |\n"
        ));
    }

    #[test]
    fn the_settings_line_names_only_the_scenarios_that_ran() {
        let settings = report(None).settings;
        assert_eq!(
            settings_line(&settings, &[Scenario::Blocked]),
            "/sleep takes 500 ms (SLEEP_MS=500); pools: 4 workers; \
             blocked: 4 /sleep in flight; this machine: 2 CPUs"
        );
        assert_eq!(
            settings_line(&settings, &[Scenario::Throughput]),
            "pools: 4 workers; throughput: 1000 requests per milestone from 16 clients; \
             this machine: 2 CPUs"
        );
        // Every scenario: the line of the recorded run in the book.
        assert_eq!(
            settings_line(&settings, &Scenario::ALL),
            "/sleep takes 500 ms (SLEEP_MS=500); pools: 4 workers; \
             blocked: 4 /sleep in flight; \
             burst: 16, 10000 × /sleep at once, runs over 30 s in theory skipped; \
             idle: 100 connections; throughput: 1000 requests per milestone from 16 clients; \
             memory: 100 connections; this machine: 2 CPUs"
        );
    }

    #[test]
    fn with_rounds_the_tables_say_so_and_show_the_range_of_requests_per_second() {
        let mut report = report(Some(24.0));
        report.settings.rounds = 3;
        let Some(Metrics::Throughput {
            requests_per_second_by_round,
            ..
        }) = &mut report.results[0].metrics
        else {
            unreachable!()
        };
        *requests_per_second_by_round = vec![20000.0, 18000.0, 23000.0];
        let text = markdown(&report);
        let main = anchored(&text, "throughput");
        assert!(main.starts_with(
            "**throughput: GET / from 16 clients, a new connection per request; \
             medians of 3 rounds (the lowest and highest requests/s in brackets)**"
        ));
        assert!(main.contains("| 1000 | 0 | 20000 (18000–23000) | 0.6 ms |"));
        assert!(anchored(&text, "throughput-cpu").starts_with(
            "**throughput: CPU time per request (user + system, from /proc/PID/stat), \
             16 clients; medians of 3 rounds**"
        ));
        assert!(anchored(&text, "settings").contains(
            "throughput: 1000 requests per milestone from 16 clients, \
             in 3 rounds, the milestones taking turns;"
        ));
    }

    #[test]
    fn a_cpu_time_proc_could_not_give_is_a_question_mark() {
        let text = markdown(&report(None));
        assert!(anchored(&text, "throughput-cpu").contains("| 20000 | ? | 48 µs |"));
    }
}
