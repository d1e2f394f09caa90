//! The `metrics` check against servers that students could write: a
//! scripted server on 127.0.0.1:0 answers `GET /` with a page and counts it,
//! and `GET /metrics` with what the test gives it. Other formats and other
//! names than m8's pass; what a Prometheus server could not read, or a
//! counter that does not count, fails with what was expected.

use check::{Outcome, Status, Subject, checks};
use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering::SeqCst},
    },
    thread,
};

/// What the scripted server answers `GET /metrics` with, given how many
/// `GET /` it served: the Content-Type and the body.
type Metrics = fn(u64) -> (&'static str, String);

/// Starts a server that serves `GET /` and counts it, and answers
/// `GET /metrics` with `metrics`; it lives as long as the test process.
fn serve(metrics: Metrics) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(AtomicU64::new(0));
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let (content_type, body) = if head.starts_with(b"GET /metrics ") {
                metrics(served.load(SeqCst))
            } else {
                served.fetch_add(1, SeqCst);
                ("text/html", "<p>Hello!</p>\n".to_string())
            };
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    addr
}

/// The `metrics` check against the scripted server, and its address.
fn check_at(metrics: Metrics) -> (SocketAddr, Outcome) {
    let addr = serve(metrics);
    let subject = Subject::running(addr);
    let outcomes = checks::run(&subject, &[checks::find("metrics").unwrap()], |_| {});
    (addr, outcomes.into_iter().next().unwrap())
}

fn check(metrics: Metrics) -> Outcome {
    check_at(metrics).1
}

const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[test]
fn a_counter_by_another_name_in_the_prometheus_format_passes() {
    let outcome = check(|served| {
        let body = format!(
            "# HELP hits_total Pages served.\n# TYPE hits_total counter\n\
             hits_total{{page=\"hello\"}} {served}\n\
             # HELP up Whether it runs.\n# TYPE up gauge\nup 1\n"
        );
        (PROMETHEUS, body)
    });
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert_eq!(
        outcome.summary,
        "GET /metrics → the Prometheus text format; hits_total{page=\"hello\"} went from 0 \
         to 3 with 3 × GET / between two scrapes"
    );
}

#[test]
fn openmetrics_without_its_eof_line_is_rejected_by_the_parser() {
    let outcome = check(|served| {
        let body = format!("# TYPE hits counter\nhits_total {served}\n");
        (OPENMETRICS, body)
    });
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert_eq!(
        outcome.summary,
        "GET /metrics: the body is not OpenMetrics: line 3, column 1: expected metricfamily \
         or sample"
    );
    assert!(
        outcome
            .expected
            .as_ref()
            .unwrap()
            .contains("`# EOF` as the last line"),
        "{outcome:#?}"
    );
    assert!(outcome.hint.as_ref().unwrap().contains("our m8"));
    assert!(outcome.received.as_ref().unwrap().contains("hits_total 0"));
}

#[test]
fn a_content_type_that_names_no_metrics_format_fails() {
    let (addr, outcome) = check_at(|served| ("text/plain", format!("hits {served}\n")));
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert_eq!(
        outcome.summary,
        "GET /metrics: the Content-Type is \"text/plain\", which names neither the Prometheus \
         text format nor OpenMetrics"
    );
    assert_eq!(
        outcome.replay.as_deref(),
        Some(format!("curl -i http://{addr}/metrics").as_str())
    );
}

#[test]
fn a_counter_that_does_not_count_the_requests_fails() {
    let outcome = check(|_| {
        let body = "# TYPE hits counter\nhits_total 1\n# TYPE up gauge\nup 1\n# EOF\n";
        (OPENMETRICS, body.to_string())
    });
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert_eq!(
        outcome.summary,
        "GET /metrics: no counter went up by 3 with 3 × GET / between two scrapes: the one \
         that rose most, hits_total, went from 1 to 1"
    );
    assert!(
        outcome
            .expected
            .as_ref()
            .unwrap()
            .starts_with("a counter (`# TYPE NAME counter`) of the requests served, by any name"),
        "{outcome:#?}"
    );
}

#[test]
fn a_gauge_is_not_a_counter() {
    let outcome = check(|served| {
        let body = format!("# TYPE pages gauge\npages {served}\n");
        (PROMETHEUS, body)
    });
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert!(
        outcome
            .summary
            .ends_with("it has no counter (no `# TYPE NAME counter`)"),
        "{outcome:#?}"
    );
}
