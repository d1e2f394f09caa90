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
