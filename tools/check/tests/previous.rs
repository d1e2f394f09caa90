//! The checks prove themselves: each milestone's checks fail the milestone
//! before it, on the concept the new milestone adds, with the right message.
//! (That each milestone passes its own checks is tested in cli.rs.)

use check::{
    Outcome, Status, checks, report,
    subject::{OWN_SLEEP, Subject},
};

/// Runs the checks of milestone `of` against our milestone `against`.
fn check(of: &str, against: &str) -> Vec<Outcome> {
    let binary = check::cargo::build_milestone(against).unwrap_or_else(|e| panic!("{e}"));
    let milestone = harness::milestones::find(against).unwrap();
    let subject = Subject::milestone(binary, milestone, 4);
    checks::run(
        &subject,
        &checks::of(harness::milestones::find(of).unwrap()),
        |_| {},
    )
}

/// The names of the checks that ended with `status`.
fn with(outcomes: &[Outcome], status: Status) -> Vec<&'static str> {
    outcomes
        .iter()
        .filter(|o| o.status == status)
        .map(|o| o.check)
        .collect()
}

/// The output of the checks that did not pass, as a student sees it, with
/// the timings and ports that change from run to run replaced.
fn failures(outcomes: &[Outcome]) -> String {
    outcomes
        .iter()
        .filter(|o| o.status != Status::Pass)
        .map(report::lines)
        .collect()
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d+\.\d\d s", "[T] s");
    settings.add_filter(r"Host: 127\.0\.0\.1:\d+", "Host: 127.0.0.1:[PORT]");
    settings
}

#[test]
fn m2_checks_fail_m1_on_the_sleep_route() {
    let outcomes = check("m2", "m1");
    assert_eq!(with(&outcomes, Status::Fail), ["sleep"]);
    assert_eq!(with(&outcomes, Status::Skip), ["blocks"]);
    settings().bind(|| insta::assert_snapshot!(failures(&outcomes)));
}

#[test]
fn m3_checks_fail_m2_on_parallelism() {
    let outcomes = check("m3", "m2");
    assert_eq!(with(&outcomes, Status::Fail), ["parallel"]);
    let parallel = outcomes.iter().find(|o| o.check == "parallel").unwrap();
    // The fast request waited the whole sleep behind the slow one.
    assert!(
        parallel.measured.as_ref().unwrap().contains("after 1.0"),
        "{parallel:?}, sleep {OWN_SLEEP:?}"
    );
    settings().bind(|| insta::assert_snapshot!(failures(&outcomes)));
}

#[test]
fn m4_checks_fail_m3_on_the_pool_size() {
    let outcomes = check("m4", "m3");
    assert_eq!(with(&outcomes, Status::Fail), ["pool-size"]);
    settings().bind(|| insta::assert_snapshot!(failures(&outcomes)));
}

#[test]
fn m5_checks_fail_m4_on_build() {
    let outcomes = check("m5", "m4");
    assert_eq!(with(&outcomes, Status::Fail), ["build-result"]);
    settings().bind(|| insta::assert_snapshot!(failures(&outcomes)));
}

#[test]
fn m6_checks_fail_m5_on_shutdown_and_hostile_input() {
    let outcomes = check("m6", "m5");
    assert_eq!(
        with(&outcomes, Status::Fail),
        ["shutdown", "empty-connections", "bad-request", "http-1-0"]
    );
    let mut settings = settings();
    // m5 loses a worker to each empty connection; whether the last GET /
    // finds the process dead or queued behind dead workers is a race.
    settings.add_filter(
        r"(after 8 connections that sent nothing, GET /: ).*",
        "$1[the server died, or no answer]",
    );
    // Killed by SIGINT, m5 closes the connection in flight, or resets it
    // when the signal comes before its worker read the request.
    settings.add_filter(
        r"the server (reset the connection|closed the connection without sending a byte)",
        "the server [closed or reset the connection]",
    );
    settings.bind(|| insta::assert_snapshot!(failures(&outcomes)));
}

#[test]
fn m7_checks_fail_m6_on_idle_connections() {
    let outcomes = check("m7", "m6");
    assert_eq!(with(&outcomes, Status::Fail), ["idle-connections"]);
    settings().bind(|| insta::assert_snapshot!(failures(&outcomes)));
}

#[test]
fn m8_checks_fail_m7_on_metrics() {
    let outcomes = check("m8", "m7");
    assert_eq!(with(&outcomes, Status::Fail), ["metrics"]);
    settings().bind(|| insta::assert_snapshot!(failures(&outcomes)));
}
