//! What `just check` is asked to check: a milestone's checks (`m3`), or a
//! stage of the module's (`3`, `bonus`), which are the grader's for that
//! stage ([`harness::stages`]), run in the context of the stage's
//! milestone.

use crate::checks::{self, Check};
use harness::{Milestone, Stage};

/// A milestone or a stage, as the first argument names it.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    Milestone(&'static Milestone),
    Stage(&'static Stage),
}

impl Target {
    /// `m1` … `m8` (exactly), or `1` … `5`, `bonus` (in any case); else the
    /// one line that names the choices.
    pub fn parse(name: &str) -> Result<Target, String> {
        if let Ok(milestone) = harness::milestones::find(name) {
            return Ok(Target::Milestone(milestone));
        }
        if let Some(stage) = harness::stages::find(name) {
            return Ok(Target::Stage(stage));
        }
        Err(unknown(name))
    }

    /// The milestone whose context the checks run in, and the one checked
    /// when no crate or address is given.
    pub fn milestone(&self) -> &'static Milestone {
        match self {
            Target::Milestone(milestone) => milestone,
            Target::Stage(stage) => stage.milestone(),
        }
    }

    /// The stage, when one was named.
    pub fn stage(&self) -> Option<&'static Stage> {
        match self {
            Target::Milestone(_) => None,
            Target::Stage(stage) => Some(stage),
        }
    }

    /// Its checks named in `names` (all of them when `names` is empty),
    /// with those they need.
    pub fn select(&self, names: &[String]) -> Result<Vec<&'static Check>, String> {
        match self {
            Target::Milestone(milestone) => checks::select(milestone, names),
            Target::Stage(stage) => checks::select_stage(stage, names),
        }
    }

    /// What the "Checking …" line calls it: `m3`, or `stage 3 ("(3)
    /// Validating request and selectively responding": root, not-found)`
    /// with the checks that run.
    pub fn describe(&self, chosen: &[&Check]) -> String {
        match self {
            Target::Milestone(milestone) => milestone.name.to_string(),
            Target::Stage(stage) => {
                let names: Vec<&str> = chosen.iter().map(|c| c.name).collect();
                format!(
                    "stage {} ({:?}: {})",
                    stage.id,
                    stage.message,
                    names.join(", ")
                )
            }
        }
    }
}

/// The error for a first argument that names neither a milestone nor a
/// stage.
pub fn unknown(name: &str) -> String {
    format!(
        "no milestone or stage named '{name}'; choose a milestone ({}) or a stage of the \
         module ({})",
        harness::milestones::names().join(" "),
        harness::stages::ids().join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestones_and_stages_are_told_apart() {
        assert!(matches!(Target::parse("m3"), Ok(Target::Milestone(m)) if m.name == "m3"));
        assert!(matches!(Target::parse("3"), Ok(Target::Stage(s)) if s.id == "3"));
        assert!(matches!(Target::parse("BONUS"), Ok(Target::Stage(s)) if s.id == "bonus"));
        for bad in ["6", "stage3", "M3", "m0", ""] {
            assert_eq!(Target::parse(bad).unwrap_err(), unknown(bad), "{bad:?}");
        }
        let line = unknown("6");
        assert!(
            line.starts_with("no milestone or stage named '6'; choose a milestone (m1 m2 m3 "),
            "{line}"
        );
        assert!(
            line.ends_with(" m8) or a stage of the module (1 2 3 4 5 bonus)"),
            "{line}"
        );
    }

    #[test]
    fn a_stage_is_checked_in_its_milestones_context() {
        let three = Target::parse("3").unwrap();
        assert_eq!(three.milestone().name, "m1");
        let chosen = three.select(&[]).unwrap();
        assert_eq!(
            three.describe(&chosen),
            "stage 3 (\"(3) Validating request and selectively responding\": root, not-found)"
        );
        let m3 = Target::parse("m3").unwrap();
        assert_eq!(m3.describe(&m3.select(&[]).unwrap()), "m3");
    }
}
