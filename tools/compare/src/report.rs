//! The results as text: one table per scenario, for the terminal or Markdown.

use crate::{Outcome, Report, Row, Scenario, Settings, scenarios::Metrics};
use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

/// The settings a run used, in one line.
pub fn settings_line(s: &Settings) -> String {
    let throughput = match (s.requests, s.duration_s) {
        (Some(n), _) => format!("{n} requests"),
        (None, Some(d)) => format!("{d} s"),
        (None, None) => unreachable!("a run stops after a count or a time"),
    };
    format!(
        "/sleep takes {} ms (SLEEP_MS={}); pools: {} workers; blocked: {} /sleep in flight; \
         burst and throughput: concurrency {}; throughput: {throughput} per milestone; \
         memory: {} connections; this machine: {} CPUs",
        s.sleep_ms, s.sleep_ms, s.workers, s.blockers, s.concurrency, s.connections, s.cpus
    )
}

/// What a scenario measures, in one sentence.
pub fn title(scenario: Scenario, s: &Settings) -> String {
    match scenario {
        Scenario::Blocked => format!(
            "blocked: {} × GET /sleep in flight, then GET /: how long does GET / wait?",
            s.blockers
        ),
        Scenario::Burst => format!(
            "burst: {} × GET /sleep at once: how long until the last answer?",
            s.concurrency
        ),
        Scenario::Throughput => format!(
            "throughput: GET / from {} clients, a new connection per request",
            s.concurrency
        ),
        Scenario::Memory => format!(
            "memory: {} connections, each sent GET /sleep, held together",
            s.connections
        ),
    }
}

fn headers(scenario: Scenario) -> Vec<&'static str> {
    let mut headers = vec!["milestone", "serves with"];
    headers.extend(match scenario {
        Scenario::Blocked => vec!["GET / waited", "theory", "verdict"],
        Scenario::Burst => vec!["all answered after", "theory", "ratio"],
        Scenario::Throughput => vec![
            "requests",
            "errors",
            "requests/s",
            "p50",
            "p90",
            "p99",
            "server CPU/req",
            "tool CPU/req",
        ],
        Scenario::Memory => vec!["RSS at start", "peak RSS", "peak virtual", "peak threads"],
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

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The cells of one row, after the milestone and its model.
fn cells(row: &Row) -> Vec<String> {
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
                    total_ms,
                    theory_ms,
                    ratio,
                    ..
                } => vec![millis(total_ms), millis(theory_ms), format!("{ratio:.2}")],
                Metrics::Throughput {
                    requests,
                    errors,
                    requests_per_second,
                    p50_ms,
                    p90_ms,
                    p99_ms,
                    server_cpu_us_per_request,
                    tool_cpu_us_per_request,
                    ..
                } => vec![
                    requests.to_string(),
                    errors.to_string(),
                    format!("{requests_per_second:.0}"),
                    millis(p50_ms),
                    millis(p90_ms),
                    millis(p99_ms),
                    micros(server_cpu_us_per_request),
                    micros(tool_cpu_us_per_request),
                ],
                Metrics::Memory {
                    baseline_kib,
                    peak_kib,
                    peak_virtual_kib,
                    peak_threads,
                    ..
                } => vec![
                    mib(baseline_kib),
                    mib(peak_kib),
                    mib(peak_virtual_kib),
                    peak_threads.to_string(),
                ],
            };
        }
    };
    vec![outcome]
}

/// The rows of one scenario, cells padded to the headers.
fn grid(scenario: Scenario, rows: &[Row]) -> Vec<Vec<String>> {
    let width = headers(scenario).len();
    rows.iter()
        .filter(|r| r.scenario == scenario)
        .map(|row| {
            let mut line = vec![row.milestone.clone(), row.model.clone()];
            line.extend(cells(row));
            line.resize(width, String::new());
            line
        })
        .collect()
}

/// A scenario's results as a terminal table under its title.
pub fn table(scenario: Scenario, rows: &[Row], settings: &Settings) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(headers(scenario));
    for line in grid(scenario, rows) {
        table.add_row(line);
    }
    for column in 2..headers(scenario).len() {
        if let Some(c) = table.column_mut(column) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    format!("{}\n{table}", title(scenario, settings))
}

/// Every scenario's results as Markdown: the settings, then a title and a
/// table per scenario, each between mdBook anchors so that a chapter can
/// include one at a time: `{{#include results.md:blocked}}`. mdBook drops
/// the anchor lines from what it includes; they are `//` lines rather than
/// HTML comments so that a line ends with its anchor's name, as the book's
/// own include checks expect.
pub fn markdown(report: &Report) -> String {
    let command: Vec<String> = std::env::args().skip(1).collect();
    let mut out = format!(
        "<!-- Written by `compare {}`: do not edit, run it again. -->\n\n",
        command.join(" ")
    );
    out.push_str(&format!(
        "// ANCHOR: settings\nSettings: {}.\n",
        settings_line(&report.settings)
    ));
    for note in &report.missing {
        out.push_str(&format!("\nNote: {note}.\n"));
    }
    out.push_str("// ANCHOR_END: settings\n");
    for &scenario in &report.scenarios {
        let name = scenario.name();
        out.push_str(&format!(
            "\n// ANCHOR: {name}\n**{}**\n\n",
            title(scenario, &report.settings)
        ));
        let headers = headers(scenario);
        out.push_str(&format!("| {} |\n", headers.join(" | ")));
        let align: Vec<&str> = (0..headers.len())
            .map(|i| if i < 2 { "---" } else { "---:" })
            .collect();
        out.push_str(&format!("|{}|\n", align.join("|")));
        for line in grid(scenario, &report.results) {
            let line: Vec<String> = line.iter().map(|c| c.replace('|', "\\|")).collect();
            out.push_str(&format!("| {} |\n", line.join(" | ")));
        }
        out.push_str(&format!("// ANCHOR_END: {name}\n"));
    }
    out
}
