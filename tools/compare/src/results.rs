//! What a run produced, as every output shows it: the scenarios, the
//! settings, and one row per milestone and scenario. `--json` prints a
//! [`Report`]; the tables ([`crate::report`]) and the charts
//! ([`crate::chart`]) are drawn from one.

use crate::scenarios::Metrics;
use clap::ValueEnum;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// K /sleep in flight, then GET /: how long the fast request waits
    Blocked,
    /// N /sleep at once, for each N of --burst: total time against the theory
    Burst,
    /// N idle connections held, then GET /: how long the fast request waits
    Idle,
    /// GET / at concurrency C, a new connection each: requests/s, latency
    Throughput,
    /// peak resident memory while N /sleep connections are held
    Memory,
}

impl Scenario {
    pub const ALL: [Scenario; 5] = [
        Scenario::Blocked,
        Scenario::Burst,
        Scenario::Idle,
        Scenario::Throughput,
        Scenario::Memory,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Blocked => "blocked",
            Scenario::Burst => "burst",
            Scenario::Idle => "idle",
            Scenario::Throughput => "throughput",
            Scenario::Memory => "memory",
        }
    }
}

/// The settings a run used, as they appear in every output.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub sleep_ms: u64,
    pub workers: u64,
    pub blockers: u64,
    /// Throughput: concurrent clients.
    pub concurrency: u64,
    /// Burst: the numbers of `/sleep` sent at once, one run each.
    pub burst: Vec<u64>,
    /// Burst: a run whose theory takes longer than this is not run.
    pub max_seconds: u64,
    /// Idle: connections held open without a request before `GET /`.
    pub idle: u64,
    /// Throughput: seconds per milestone, or `null` when `requests` is set.
    pub duration_s: Option<f64>,
    /// Throughput: requests per milestone, or `null` when `duration_s` is set.
    pub requests: Option<u64>,
    /// Throughput: runs of each milestone; its figures are their medians.
    pub rounds: u64,
    pub connections: u64,
    /// Logical CPUs of this machine.
    pub cpus: usize,
}

/// How a scenario ended for one milestone.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    Died,
    Skipped,
}

/// One milestone in one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub milestone: String,
    pub model: String,
    pub scenario: Scenario,
    pub outcome: Outcome,
    /// Requests answered before the milestone died (`died` only).
    pub died_after: Option<u64>,
    /// Why it was skipped, or its last words when it died.
    pub note: Option<String>,
    pub metrics: Option<Metrics>,
}

/// Everything a run produced: what `--json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub settings: Settings,
    pub scenarios: Vec<Scenario>,
    /// The folder of the servers' logs: each one's stderr, a file per run.
    pub logs: PathBuf,
    pub results: Vec<Row>,
}

/// One row for a milestone's rounds of the throughput scenario: the first
/// that did not end well, or else one with the medians of their figures,
/// their requests, errors and seconds added up, and the slowest request.
pub fn median_row(mut rounds: Vec<Row>) -> Row {
    let failed = rounds
        .iter()
        .position(|r| r.outcome != Outcome::Ok || r.metrics.is_none());
    if rounds.len() == 1 || failed.is_some() {
        return rounds.swap_remove(failed.unwrap_or(0));
    }
    let (mut requests, mut errors, mut seconds, mut max) = (0, 0, 0.0, 0.0_f64);
    let (mut rates, mut p50, mut p90, mut p99) = (vec![], vec![], vec![], vec![]);
    let (mut server, mut tool) = (vec![], vec![]);
    let mut clients = 0;
    for round in &rounds {
        let Some(Metrics::Throughput {
            concurrency,
            requests: answered,
            errors: failed,
            seconds: took,
            requests_per_second,
            p50_ms,
            p90_ms,
            p99_ms,
            max_ms,
            server_cpu_us_per_request,
            tool_cpu_us_per_request,
            ..
        }) = &round.metrics
        else {
            continue;
        };
        clients = *concurrency;
        requests += answered;
        errors += failed;
        seconds += took;
        max = max.max(*max_ms);
        rates.push(*requests_per_second);
        p50.push(*p50_ms);
        p90.push(*p90_ms);
        p99.push(*p99_ms);
        server.push(*server_cpu_us_per_request);
        tool.push(*tool_cpu_us_per_request);
    }
    // A CPU time is known only if every round knew it.
    let cpu = |times: Vec<Option<f64>>| times.into_iter().collect::<Option<Vec<_>>>().map(median);
    let mut row = rounds.swap_remove(0);
    row.metrics = Some(Metrics::Throughput {
        concurrency: clients,
        requests,
        errors,
        seconds,
        requests_per_second: median(rates.clone()),
        requests_per_second_by_round: rates,
        p50_ms: median(p50),
        p90_ms: median(p90),
        p99_ms: median(p99),
        max_ms: max,
        server_cpu_us_per_request: cpu(server),
        tool_cpu_us_per_request: cpu(tool),
    });
    row
}

/// The middle value, or the mean of the two middle ones; at least one value.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(rate: f64, p50_ms: f64, server_cpu: Option<f64>) -> Row {
        Row {
            milestone: "m7".to_string(),
            model: "a task per connection".to_string(),
            scenario: Scenario::Throughput,
            outcome: Outcome::Ok,
            died_after: None,
            note: None,
            metrics: Some(Metrics::Throughput {
                concurrency: 16,
                requests: 1000,
                errors: 1,
                seconds: 1000.0 / rate,
                requests_per_second: rate,
                requests_per_second_by_round: vec![rate],
                p50_ms,
                p90_ms: p50_ms * 2.0,
                p99_ms: p50_ms * 3.0,
                max_ms: rate / 1000.0,
                server_cpu_us_per_request: server_cpu,
                tool_cpu_us_per_request: Some(30.0),
            }),
        }
    }

    fn metrics(row: &Row) -> serde_json::Value {
        serde_json::to_value(row.metrics.as_ref().unwrap()).unwrap()
    }

    #[test]
    fn rounds_make_one_row_of_medians_and_sums() {
        let row = median_row(vec![
            round(40000.0, 0.5, Some(20.0)),
            round(30000.0, 0.7, Some(22.0)),
            round(45000.0, 0.4, Some(19.0)),
        ]);
        let m = metrics(&row);
        assert_eq!(m["requests_per_second"], 40000.0);
        assert_eq!(
            m["requests_per_second_by_round"],
            serde_json::json!([40000.0, 30000.0, 45000.0])
        );
        assert_eq!(m["p50_ms"], 0.5);
        assert_eq!(m["p99_ms"], 1.5);
        assert_eq!(m["server_cpu_us_per_request"], 20.0);
        assert_eq!(
            (m["requests"].clone(), m["errors"].clone()),
            (3000.into(), 3.into())
        );
        assert_eq!(m["max_ms"], 45.0);
    }

    #[test]
    fn the_median_of_an_even_number_of_rounds_is_the_mean_of_the_middle_two() {
        let row = median_row(vec![
            round(40000.0, 0.5, Some(20.0)),
            round(30000.0, 0.7, Some(22.0)),
        ]);
        assert_eq!(metrics(&row)["requests_per_second"], 35000.0);
        assert_eq!(metrics(&row)["server_cpu_us_per_request"], 21.0);
    }

    #[test]
    fn a_cpu_time_unknown_in_one_round_is_unknown() {
        let row = median_row(vec![
            round(40000.0, 0.5, Some(20.0)),
            round(30000.0, 0.7, None),
        ]);
        assert!(metrics(&row)["server_cpu_us_per_request"].is_null());
    }

    #[test]
    fn a_round_that_died_is_the_row() {
        let mut died = round(1.0, 0.5, None);
        died.outcome = Outcome::Died;
        died.died_after = Some(7);
        died.metrics = None;
        let row = median_row(vec![round(40000.0, 0.5, Some(20.0)), died]);
        assert_eq!((row.outcome, row.died_after), (Outcome::Died, Some(7)));
    }
}
