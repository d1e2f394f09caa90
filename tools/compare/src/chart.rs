//! One SVG bar chart per scenario: a bar per milestone, the theory as a red
//! line across the bar where there is one.

use crate::{
    results::{Outcome, Report, Scenario},
    scenarios::Metrics,
};
use plotters::{
    prelude::*,
    style::text_anchor::{HPos, Pos, VPos},
};
use std::path::Path;

/// A bar: its milestone, its height, the theory's height, the text on it.
struct Bar {
    milestone: String,
    value: Option<f64>,
    theory: Option<f64>,
    label: String,
}

pub fn draw(path: &Path, scenario: Scenario, report: &Report) -> Result<(), String> {
    let s = &report.settings;
    let (caption, unit) = match scenario {
        Scenario::Blocked => (
            format!(
                "blocked: GET / behind {} × /sleep ({} ms)",
                s.blockers, s.sleep_ms
            ),
            "GET / waited (ms)",
        ),
        Scenario::Burst => (
            format!(
                "burst: {} × /sleep ({} ms) at once",
                s.burst.first().copied().unwrap_or_default(),
                s.sleep_ms
            ),
            "all answered after (ms)",
        ),
        Scenario::Idle => (
            format!("idle: GET / after {} idle connections", s.idle),
            "GET / waited (ms)",
        ),
        Scenario::Throughput => (
            format!(
                "throughput: GET /, {} clients, new connection each",
                s.concurrency
            ),
            "requests per second",
        ),
        Scenario::Memory => (
            format!("memory: {} connections held", s.connections),
            "peak resident memory (MiB)",
        ),
    };
    // The burst's chart shows its first size, which every milestone runs.
    let first_burst = s.burst.first().copied();
    let bars: Vec<Bar> = report
        .results
        .iter()
        .filter(|r| r.scenario == scenario)
        .filter(|r| match &r.metrics {
            Some(Metrics::Burst { requests, .. }) => Some(*requests) == first_burst,
            _ => true,
        })
        .map(|row| {
            let (value, theory, label) = match (&row.outcome, &row.metrics) {
                (Outcome::Skipped, _) => (None, None, "skipped".to_string()),
                (Outcome::Died, _) => (
                    None,
                    None,
                    format!("died after {}", row.died_after.unwrap_or_default()),
                ),
                (Outcome::Ok, None) => (None, None, String::new()),
                (Outcome::Ok, Some(m)) => match *m {
                    Metrics::Blocked {
                        wait_ms, theory_ms, ..
                    } => (Some(wait_ms), Some(theory_ms), format!("{wait_ms:.0} ms")),
                    Metrics::Burst {
                        total_ms,
                        theory_ms,
                        ratio,
                        ..
                    } => (
                        total_ms,
                        Some(theory_ms),
                        ratio.map_or("not run".to_string(), |r| format!("×{r:.2}")),
                    ),
                    Metrics::Idle {
                        wait_ms, limit_ms, ..
                    } => match wait_ms {
                        Some(wait) => (Some(wait), None, format!("{wait:.0} ms")),
                        None => (Some(limit_ms), None, "no answer".to_string()),
                    },
                    Metrics::Throughput {
                        requests_per_second,
                        ..
                    } => (
                        Some(requests_per_second),
                        None,
                        format!("{requests_per_second:.0}/s"),
                    ),
                    Metrics::Memory {
                        peak_kib,
                        peak_threads,
                        ..
                    } => {
                        let mib = peak_kib as f64 / 1024.0;
                        (
                            Some(mib),
                            None,
                            format!("{mib:.1} MiB, {peak_threads} thr."),
                        )
                    }
                },
            };
            Bar {
                milestone: row.milestone.clone(),
                value,
                theory,
                label,
            }
        })
        .collect();
    plot(path, &caption, unit, &bars).map_err(|e| e.to_string())
}

fn plot(
    path: &Path,
    caption: &str,
    unit: &str,
    bars: &[Bar],
) -> Result<(), Box<dyn std::error::Error>> {
    let top = bars
        .iter()
        .flat_map(|b| [b.value, b.theory])
        .flatten()
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.2;
    let n = bars.len();
    let root = SVGBackend::new(path, (640, 360)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(64)
        // Plotters' integer ranges include their end: 0..n-1 is n segments.
        .build_cartesian_2d((0..n.max(1) - 1).into_segmented(), 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.max(1))
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) => bars
                .get(*i)
                .map(|b| b.milestone.clone())
                .unwrap_or_default(),
            _ => String::new(),
        })
        .y_desc(unit)
        .y_label_formatter(&|y| {
            if top < 20.0 {
                format!("{y:.1}")
            } else {
                format!("{y:.0}")
            }
        })
        .draw()?;

    chart.draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
        let value = b.value?;
        let mut bar = Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), value),
            ],
            RGBColor(70, 110, 180).filled(),
        );
        bar.set_margin(0, 0, 14, 14);
        Some(bar)
    }))?;
    let theory = bars.iter().enumerate().filter_map(|(i, b)| {
        let t = b.theory?;
        Some(PathElement::new(
            vec![(SegmentValue::Exact(i), t), (SegmentValue::Exact(i + 1), t)],
            RED.stroke_width(3),
        ))
    });
    if bars.iter().any(|b| b.theory.is_some()) {
        chart
            .draw_series(theory)?
            .label("theory")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(3)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
        let y = b.value.unwrap_or(0.0) + top * 0.02;
        Text::new(
            b.label.clone(),
            (SegmentValue::CenterOf(i), y),
            TextStyle::from(("sans-serif", 13).into_font())
                .pos(Pos::new(HPos::Center, VPos::Bottom)),
        )
    }))?;
    root.present()?;
    Ok(())
}
