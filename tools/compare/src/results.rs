//! What a run produced, as every output shows it: the scenarios, the
//! settings, and one row per milestone and scenario. `--json` prints a
//! [`Report`]; the tables ([`crate::report`]) and the charts
//! ([`crate::chart`]) are drawn from one.

use crate::scenarios::Metrics;
use clap::ValueEnum;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// K /sleep in flight, then GET /: how long the fast request waits
    Blocked,
    /// C /sleep at once: total time against the theory
    Burst,
    /// GET / at concurrency C, a new connection each: requests/s, latency
    Throughput,
    /// peak resident memory while N /sleep connections are held
    Memory,
}

impl Scenario {
    pub const ALL: [Scenario; 4] = [
        Scenario::Blocked,
        Scenario::Burst,
        Scenario::Throughput,
        Scenario::Memory,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Blocked => "blocked",
            Scenario::Burst => "burst",
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
    pub concurrency: u64,
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
    pub results: Vec<Row>,
}
