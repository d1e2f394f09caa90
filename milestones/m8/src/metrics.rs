//! What the server counts, for Prometheus to read from `GET /metrics`.
//!
//! Every label value comes from a short list fixed here, never from what a
//! client sent: Prometheus keeps a time series for every value a label ever
//! had, so a client free to invent values (`GET /a`, `GET /b`, …) could
//! make the server, and Prometheus, hold a new series for each request.

use crate::request::Reason;
use prometheus_client::{
    collector::Collector,
    encoding::{
        DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
        text::encode,
    },
    metrics::{
        counter::{ConstCounter, Counter},
        family::Family,
        gauge::Gauge,
        histogram::Histogram,
    },
    registry::Registry,
};
use std::{
    fmt::{self, Write},
    sync::atomic::AtomicU64,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tracing_appender::non_blocking::ErrorCounter;

/// The header that tells Prometheus which format `/metrics` answers in:
/// OpenMetrics, the text format's standard version.
pub const HEADERS: &str =
    "Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n";

// ANCHOR: route
/// The routes, as the metrics name them: every target that is not one of
/// the server's pages is `other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    Root,
    Sleep,
    Metrics,
    Other,
}

impl Route {
    pub fn of(target: &str) -> Route {
        match target {
            "/" => Route::Root,
            "/sleep" => Route::Sleep,
            "/metrics" => Route::Metrics,
            _ => Route::Other,
        }
    }
}
// ANCHOR_END: route

impl EncodeLabelValue for Route {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> fmt::Result {
        encoder.write_str(match self {
            Route::Root => "/",
            Route::Sleep => "/sleep",
            Route::Metrics => "/metrics",
            Route::Other => "other",
        })
    }
}

impl EncodeLabelValue for Reason {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> fmt::Result {
        encoder.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    route: Route,
    status: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    route: Route,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RefusalLabels {
    reason: Reason,
}

// ANCHOR: metrics
/// The server's metrics: numbers in memory that a request changes, a few
/// nanoseconds each; nothing is written anywhere until a scrape asks for
/// them.
pub struct Metrics {
    registry: Registry,
    /// A counter: only ever goes up. Prometheus computes rates from it.
    requests: Family<RequestLabels, Counter>,
    refusals: Family<RefusalLabels, Counter>,
    /// A gauge: goes up and down.
    in_flight: Gauge,
    /// A histogram: how many requests took at most 0.1 ms, 0.25 ms, … 10 s.
    latency: Family<RouteLabels, Histogram>,
}
// ANCHOR_END: metrics

// ANCHOR: buckets
/// The histogram's buckets, in seconds: from a page served on this machine
/// (about 0.1 ms) to the 5 s of `/sleep`.
const BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];
// ANCHOR_END: buckets

impl Metrics {
    /// The metrics, all at zero, and the log's count of lines it dropped.
    pub fn new(log_dropped: ErrorCounter) -> Metrics {
        let mut metrics = Metrics {
            registry: Registry::default(),
            requests: Family::default(),
            refusals: Family::default(),
            in_flight: Gauge::default(),
            latency: Family::new_with_constructor(|| Histogram::new(BUCKETS)),
        };
        let registry = &mut metrics.registry;
        registry.register(
            "http_requests",
            "Requests served, by route and status",
            metrics.requests.clone(),
        );
        registry.register(
            "http_refusals",
            "Connections refused without a page, by reason",
            metrics.refusals.clone(),
        );
        registry.register(
            "http_connections_in_flight",
            "Connections being served",
            metrics.in_flight.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "From taking the connection to handing the last byte to the kernel",
            metrics.latency.clone(),
        );
        // Prometheus's name for when the process started: a restart shows
        // as a jump in it, and explains why every counter went back to zero.
        let start_time = Gauge::<f64, AtomicU64>::default();
        let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH);
        start_time.set(since_epoch.unwrap_or_default().as_secs_f64());
        registry.register(
            "process_start_time_seconds",
            "When the server started, in seconds since 1970",
            start_time,
        );
        registry.register_collector(Box::new(LogDropped(log_dropped)));
        metrics
    }

    // ANCHOR: count
    /// A request was served.
    pub fn served(&self, route: Route, status: u16, latency: Duration) {
        self.requests
            .get_or_create(&RequestLabels { route, status })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(latency.as_secs_f64());
    }

    /// A connection was refused.
    pub fn refused(&self, reason: Reason) {
        self.refusals.get_or_create(&RefusalLabels { reason }).inc();
    }

    /// A connection is being served, until the guard is dropped.
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }
    // ANCHOR_END: count

    /// Every metric, in the text format Prometheus reads.
    pub fn render(&self) -> String {
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

/// Counts a connection in `http_connections_in_flight` while it lives:
/// dropped at the end of the task, however the task ends.
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

// ANCHOR: log_dropped
/// The log's own count of the lines it dropped, read at every scrape.
#[derive(Debug)]
struct LogDropped(ErrorCounter);

impl Collector for LogDropped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let counter = ConstCounter::new(self.0.dropped_lines() as u64);
        let metric = encoder.encode_descriptor(
            "log_lines_dropped",
            "Log lines dropped because the log could not keep up.",
            None,
            counter.metric_type(),
        )?;
        counter.encode(metric)
    }
}
// ANCHOR_END: log_dropped
