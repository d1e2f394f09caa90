//! The checker's output: a ✓ or ✗ line per check with the evidence under a
//! failure, a closing count, or one JSON document.

use crate::{
    checks::{Outcome, Status},
    sandbox::Protections,
    subject::Facts,
    target::Target,
};
use serde::Serialize;

/// The width of the check names' column.
const NAME_WIDTH: usize = 18;

/// One check's lines, as printed when it finishes.
pub fn lines(outcome: &Outcome) -> String {
    let mark = match outcome.status {
        Status::Pass => "✓",
        Status::Fail => "✗",
        Status::Skip => "-",
    };
    let mut text = format!(
        "{mark} {:<NAME_WIDTH$} {}\n",
        outcome.check, outcome.summary
    );
    let mut detail = |label: &str, value: &Option<String>| {
        if let Some(value) = value {
            text.push_str(&format!("    {label:<10} {value}\n"));
        }
    };
    detail("measured:", &outcome.measured);
    detail("theory:", &outcome.theory);
    if outcome.status == Status::Fail {
        detail("sent:", &outcome.sent);
        detail("received:", &outcome.received);
        detail("expected:", &outcome.expected);
        detail("hint:", &outcome.hint);
        detail("replay:", &outcome.replay);
    }
    text
}

/// A failed check of a stage of the module also sends the student to the
/// stage's chapter in Part I of the book.
pub fn point_to_chapter(outcome: &mut Outcome, target: &Target) {
    if let (Some(stage), Some(hint)) = (target.stage(), &mut outcome.hint) {
        hint.push_str(&format!(
            "; in this course's book: Part I, \"{}\" (book/src/{})",
            stage.title, stage.chapter
        ));
    }
}

/// Every check asked for was not run: none passed and none failed.
pub fn nothing_checked(outcomes: &[Outcome]) -> bool {
    outcomes.iter().all(|o| o.status == Status::Skip)
}

/// The closing line: `3 passed, 1 failed, 1 not run`, and `: nothing was
/// checked` when no check could run.
pub fn summary(outcomes: &[Outcome]) -> String {
    let count = |status| outcomes.iter().filter(|o| o.status == status).count();
    let mut line = format!(
        "{} passed, {} failed",
        count(Status::Pass),
        count(Status::Fail)
    );
    if count(Status::Skip) > 0 {
        line.push_str(&format!(", {} not run", count(Status::Skip)));
    }
    if nothing_checked(outcomes) {
        line.push_str(": nothing was checked");
    }
    line
}

/// What `--json` prints.
#[derive(Serialize)]
pub struct Report<'a> {
    /// The milestone whose checks ran, or in whose context a stage's ran.
    pub milestone: &'a str,
    /// The stage of the module whose checks ran (`"3"`, `"bonus"`, as
    /// `just grade` calls it); `null` for a milestone's checks.
    pub stage: Option<&'a str>,
    pub subject: Facts,
    /// Whether the server ran in a private network namespace.
    pub private_network: bool,
    /// With --repo: which protections of the sandbox held for the crate's
    /// build and server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<Protections>,
    /// Why no check could run (the crate does not build, the server never
    /// listens); `null` when they ran.
    pub error: Option<String>,
    pub checks: &'a [Outcome],
    pub passed: usize,
    pub failed: usize,
    pub not_run: usize,
}

impl<'a> Report<'a> {
    pub fn new(
        target: Target,
        subject: Facts,
        private_network: bool,
        sandbox: Option<Protections>,
        error: Option<String>,
        checks: &'a [Outcome],
    ) -> Report<'a> {
        let count = |status| checks.iter().filter(|o| o.status == status).count();
        Report {
            milestone: target.milestone().name,
            stage: target.stage().map(|s| s.id),
            subject,
            private_network,
            sandbox,
            error,
            checks,
            passed: count(Status::Pass),
            failed: count(Status::Fail),
            not_run: count(Status::Skip),
        }
    }
}
