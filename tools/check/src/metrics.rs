//! What a `GET /metrics` says: which text format its Content-Type names,
//! whether a real parser of that format accepts its body, and the values of
//! its counters. The parsers are openmetrics-parser's, which are strict; a
//! server's body is untrusted, so a parser that panics on it is a rejection,
//! not a crash of the checker.

use openmetrics_parser::{OpenMetricsValue, PrometheusValue, openmetrics, prometheus};
use std::{
    panic::{self, AssertUnwindSafe},
    sync::Mutex,
};

/// The two text formats Prometheus scrapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`: Prometheus's own text format.
    Prometheus,
    /// `application/openmetrics-text`: its standard successor.
    OpenMetrics,
}

impl Format {
    /// The format a Content-Type names, if it names one of the two.
    pub fn of(content_type: &str) -> Option<Format> {
        let mut parts = content_type.split(';').map(str::trim);
        let media = parts.next()?.to_ascii_lowercase();
        let params: Vec<String> = parts.map(|p| p.replace(' ', "").to_lowercase()).collect();
        match media.as_str() {
            "application/openmetrics-text" => Some(Format::OpenMetrics),
            "text/plain" if params.iter().any(|p| p == "version=0.0.4") => Some(Format::Prometheus),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Prometheus => "the Prometheus text format",
            Format::OpenMetrics => "OpenMetrics",
        }
    }
}

/// One counter's sample, as the text shows it: `http_requests_total{route="/"}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Counter {
    pub series: String,
    pub value: f64,
}

/// The counters of a body in `format`, or why the parser rejects it, in one
/// line.
pub fn counters(body: &str, format: Format) -> Result<Vec<Counter>, String> {
    let mut found = Vec::new();
    let mut add = |family: &str, labels: Vec<(String, String)>, value: f64| {
        let labels: Vec<String> = labels
            .into_iter()
            .map(|(name, value)| format!("{name}={value:?}"))
            .collect();
        let series = match labels.is_empty() {
            true => family.to_string(),
            false => format!("{family}{{{}}}", labels.join(",")),
        };
        found.push(Counter { series, value });
    };
    match format {
        Format::OpenMetrics => {
            let exposition = parse(|| openmetrics::parse_openmetrics(body))?;
            for (name, family) in &exposition.families {
                for sample in family.iter_samples() {
                    if let OpenMetricsValue::Counter(counter) = &sample.value {
                        // The text names a counter's sample NAME_total.
                        add(
                            &format!("{name}_total"),
                            labels(sample.get_labelset().ok()),
                            counter.value.as_f64(),
                        );
                    }
                }
            }
        }
        Format::Prometheus => {
            let exposition = parse(|| prometheus::parse_prometheus(body))?;
            for (name, family) in &exposition.families {
                for sample in family.iter_samples() {
                    if let PrometheusValue::Counter(counter) = &sample.value {
                        add(
                            name,
                            labels(sample.get_labelset().ok()),
                            counter.value.as_f64(),
                        );
                    }
                }
            }
        }
    }
    found.sort_by(|a, b| a.series.cmp(&b.series));
    Ok(found)
}

fn labels(set: Option<openmetrics_parser::LabelSet>) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = set
        .map(|set| {
            set.iter()
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default();
    labels.sort();
    labels
}

/// Runs a parser, with its error, or its panic, as one line.
fn parse<T, E: std::fmt::Display>(parser: impl FnOnce() -> Result<T, E>) -> Result<T, String> {
    // The default hook would print the panic on stderr: silence it while
    // the parser runs. One parse at a time, so that the hook is restored.
    static PARSING: Mutex<()> = Mutex::new(());
    let _one = PARSING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(parser));
    panic::set_hook(hook);
    match result {
        Ok(Ok(parsed)) => Ok(parsed),
        Ok(Err(err)) => Err(one_line(&err.to_string())),
        Err(_) => Err("the parser gave up on it".to_string()),
    }
}

/// A parser's message in one line. A syntax error (pest's) draws the line
/// and a caret under the place: `line 4, column 1: expected sample`.
fn one_line(message: &str) -> String {
    let place = message
        .lines()
        .find_map(|l| l.trim().strip_prefix("--> "))
        .and_then(|at| at.split_once(':'));
    let expected = message.lines().find_map(|l| l.trim().strip_prefix("= "));
    match (place, expected) {
        (Some((line, column)), Some(expected)) => {
            format!("line {line}, column {column}: {expected}")
        }
        _ => message.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENMETRICS: &str = "# HELP http_requests Requests.\n\
        # TYPE http_requests counter\n\
        http_requests_total{status=\"200\",route=\"/\"} 3\n\
        # TYPE in_flight gauge\n\
        in_flight 1\n\
        # EOF\n";

    const PROMETHEUS: &str = "# HELP requests_total Requests.\n\
        # TYPE requests_total counter\n\
        requests_total{path=\"/\"} 3\n\
        requests_total{path=\"/sleep\"} 1\n\
        # TYPE in_flight gauge\n\
        in_flight 1\n";

    #[test]
    fn the_content_type_names_the_format() {
        let of = Format::of;
        assert_eq!(
            of("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            Some(Format::OpenMetrics)
        );
        assert_eq!(
            of("text/plain; version=0.0.4; charset=utf-8"),
            Some(Format::Prometheus)
        );
        assert_eq!(of("text/plain;version=0.0.4"), Some(Format::Prometheus));
        assert_eq!(of("text/plain"), None);
        assert_eq!(of("text/html"), None);
    }

    #[test]
    fn counters_are_read_with_their_labels_and_nothing_else() {
        assert_eq!(
            counters(OPENMETRICS, Format::OpenMetrics).unwrap(),
            [Counter {
                series: "http_requests_total{route=\"/\",status=\"200\"}".to_string(),
                value: 3.0
            }]
        );
        let prometheus = counters(PROMETHEUS, Format::Prometheus).unwrap();
        let series: Vec<&str> = prometheus.iter().map(|c| c.series.as_str()).collect();
        assert_eq!(
            series,
            [
                "requests_total{path=\"/\"}",
                "requests_total{path=\"/sleep\"}"
            ]
        );
    }

    #[test]
    fn a_body_the_parser_rejects_is_one_line_whatever_it_is() {
        // OpenMetrics ends with `# EOF`; Prometheus's format has none.
        assert_eq!(
            counters(PROMETHEUS, Format::OpenMetrics).unwrap_err(),
            "line 7, column 1: expected metricfamily or sample"
        );
        for body in [
            "",
            "requests 1 2 3 4\n",
            "# TYPE x counter\nx_total{a=\"1\",a=\"2\"} 1\n# EOF\n",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\n# EOF\n",
            "<!DOCTYPE html>\n<html></html>\n",
            "\u{0}\u{1}\u{ffff}",
        ] {
            for format in [Format::OpenMetrics, Format::Prometheus] {
                if let Err(err) = counters(body, format) {
                    assert!(!err.is_empty() && !err.contains('\n'), "{body:?}: {err}");
                }
            }
        }
    }
}
