//! The checks of `just check`, run against our own milestones: each
//! milestone's tests include one that runs every check of its milestone, so
//! the checks a student's crate must pass and the milestones' specification
//! are one definition, not two. (`tools/check/tests/` shows each milestone's
//! checks failing the milestone before it.)

use crate::support::binary;
use check::{Status, Subject, checks, report};

/// Runs every check of `milestone` against our built `milestone`.
pub fn assert_passes_its_checks(milestone: &str) {
    let found = harness::milestones::find(milestone).unwrap();
    let subject = Subject::milestone(binary(milestone), found, 4);
    let outcomes = checks::run(&subject, &checks::of(found), |_| {});
    let failed: String = outcomes
        .iter()
        .filter(|o| o.status != Status::Pass)
        .map(report::lines)
        .collect();
    assert!(failed.is_empty(), "{milestone}:\n{failed}");
    assert_eq!(outcomes.len(), checks::of(found).len());
}
