//! The grades as a student × stage table, JSON, or CSV rows.

use crate::run::{RepoResult, Status};
use check::sandbox::Protections;

fn mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "✓",
        Status::Fail => "✗",
        Status::Missing => "–",
    }
}

fn word(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Missing => "missing",
    }
}

/// The table, then a line for every stage that did not pass.
pub fn table(results: &[RepoResult]) -> String {
    let Some(first) = results.first() else {
        return String::new();
    };
    let width = results
        .iter()
        .map(|r| r.repository.chars().count())
        .chain(["repository".len()])
        .max()
        .unwrap_or(10);
    let stages: Vec<&str> = first.stages.iter().map(|s| s.stage).collect();
    let mut out = format!("{:<width$}", "repository");
    for stage in &stages {
        out.push_str(&format!("  {stage:^5}"));
    }
    out.push_str("  passed\n");
    for result in results {
        out.push_str(&format!("{:<width$}", result.repository));
        for stage in &result.stages {
            out.push_str(&format!("  {:^5}", mark(stage.status)));
        }
        let passed = result
            .stages
            .iter()
            .filter(|s| s.status == Status::Pass)
            .count();
        out.push_str(&format!("  {passed}/{}\n", result.stages.len()));
    }
    let mut notes = String::new();
    for result in results {
        if let Some(note) = &result.branch_note {
            notes.push_str(&format!("{}: {note}\n", result.repository));
        }
        for stage in result.stages.iter().filter(|s| s.status != Status::Pass) {
            let commit = stage
                .commit
                .as_deref()
                .map(|c| format!(" ({})", &c[..c.len().min(7)]))
                .unwrap_or_default();
            notes.push_str(&format!(
                "{} stage {}{commit}: {} {}\n",
                result.repository,
                stage.stage,
                mark(stage.status),
                stage.details
            ));
        }
    }
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes);
    }
    out
}

/// The JSON list: one object per repository, each with the protections of
/// the sandbox its code ran in.
pub fn json(results: &[RepoResult], sandbox: &Protections) -> String {
    #[derive(serde::Serialize)]
    struct Graded<'a> {
        #[serde(flatten)]
        result: &'a RepoResult,
        sandbox: &'a Protections,
    }
    let graded: Vec<Graded> = results
        .iter()
        .map(|result| Graded { result, sandbox })
        .collect();
    serde_json::to_string_pretty(&graded).expect("results serialize")
}

/// A spreadsheet's rows: a header, then one row per repository with each
/// stage's status, how many passed, and the details of the others.
pub fn csv(results: &[RepoResult]) -> String {
    let mut out = String::new();
    let Some(first) = results.first() else {
        return out;
    };
    let mut header = vec!["repository".to_string()];
    header.extend(first.stages.iter().map(|s| format!("stage {}", s.stage)));
    header.extend(["passed".to_string(), "details".to_string()]);
    out.push_str(&row(&header));
    for result in results {
        let mut cells = vec![result.repository.clone()];
        cells.extend(result.stages.iter().map(|s| word(s.status).to_string()));
        let passed = result
            .stages
            .iter()
            .filter(|s| s.status == Status::Pass)
            .count();
        cells.push(passed.to_string());
        let details: Vec<String> = result
            .stages
            .iter()
            .filter(|s| s.status != Status::Pass)
            .map(|s| format!("{}: {}", s.stage, s.details))
            .collect();
        cells.push(details.join(" | "));
        out.push_str(&row(&cells));
    }
    out
}

/// One CSV row (RFC 4180): cells with a comma, quote or line break are
/// quoted, quotes doubled.
fn row(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect();
    quoted.join(",") + "\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_when_they_must_be() {
        let cells = [
            "a,b".to_string(),
            "say \"hi\"".to_string(),
            "plain".to_string(),
        ];
        assert_eq!(row(&cells), "\"a,b\",\"say \"\"hi\"\"\",plain\r\n");
    }
}
