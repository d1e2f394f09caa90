//! The module's stages, in order: the one list that the checker (`just
//! check 3`) and the grader (`just grade --stage 3`) read, so that a stage
//! runs the same checks in both. Each stage is one commit of the module's
//! handout, checked with the checks of `just check` in the context of one
//! of our milestones. How a commit message names its stage is the
//! grader's business (`grade::stages::claim`).

/// One stage of the module.
#[derive(Debug)]
pub struct Stage {
    /// `1` … `5` or `bonus`: what the output and the JSON call it, and what
    /// a student types (`just check 3`, `just grade --stage bonus`).
    pub id: &'static str,
    /// The commit message the handout gives.
    pub message: &'static str,
    /// The checks it runs at its commit (those they need come along).
    pub checks: &'static [&'static str],
    /// The milestone whose context the checks run in: the one `just check`
    /// builds and checks when no crate is given.
    pub milestone: &'static str,
    /// Whether the README must show a screenshot for it.
    pub screenshot: bool,
    /// Its chapter in Part I of the book (under `book/src`), and the
    /// chapter's title, where a failed check sends the student.
    pub chapter: &'static str,
    pub title: &'static str,
}

/// The stages, in order.
pub const STAGES: &[Stage] = &[
    Stage {
        id: "1",
        message: "(1) Handle-connection, check response",
        checks: &["prints-request"],
        milestone: "m1",
        chapter: "module/stage1.md",
        title: "Stage 1: Reading the request",
        screenshot: false,
    },
    Stage {
        id: "2",
        message: "(2) Returning HTML",
        checks: &["root"],
        milestone: "m1",
        chapter: "module/stage2.md",
        title: "Stage 2: Returning HTML",
        screenshot: true,
    },
    Stage {
        id: "3",
        message: "(3) Validating request and selectively responding",
        checks: &["root", "not-found"],
        milestone: "m1",
        chapter: "module/stage3.md",
        title: "Stage 3: Validating the request",
        screenshot: true,
    },
    Stage {
        id: "4",
        message: "(4) Simulation of slow request.",
        checks: &["sleep", "blocks"],
        milestone: "m2",
        chapter: "module/stage4.md",
        title: "Stage 4: A slow request",
        screenshot: false,
    },
    Stage {
        id: "5",
        message: "(5) Multithreaded server using Threadpool",
        checks: &["root", "parallel", "pool-size"],
        milestone: "m4",
        chapter: "module/stage5.md",
        title: "Stage 5: A pool of threads",
        screenshot: false,
    },
    Stage {
        id: "bonus",
        message: "(Bonus) Function improvement",
        checks: &["build-result", "root"],
        milestone: "m5",
        chapter: "module/bonus.md",
        title: "Bonus: `build` instead of `new`",
        screenshot: false,
    },
];

/// The stage called `id` (`1` … `5`, `bonus`, in any case).
pub fn find(id: &str) -> Option<&'static Stage> {
    STAGES.iter().find(|s| s.id.eq_ignore_ascii_case(id))
}

/// The ids, in order: `["1", "2", …, "bonus"]`.
pub fn ids() -> Vec<&'static str> {
    STAGES.iter().map(|s| s.id).collect()
}

impl Stage {
    /// The milestone whose context its checks run in.
    pub fn milestone(&self) -> &'static crate::Milestone {
        crate::milestones::find(self.milestone).expect("a stage names a real milestone")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_runs_in_a_real_milestone() {
        for stage in STAGES {
            assert_eq!(
                stage.milestone().name,
                stage.milestone,
                "stage {}",
                stage.id
            );
        }
    }

    #[test]
    fn stages_are_found_by_their_id_in_any_case() {
        assert_eq!(find("3").unwrap().id, "3");
        assert_eq!(find("BONUS").unwrap().id, "bonus");
        assert_eq!(find("Bonus").unwrap().id, "bonus");
        for bad in ["0", "6", "stage3", "m3", "", " 3"] {
            assert!(find(bad).is_none(), "{bad:?}");
        }
        assert_eq!(ids(), ["1", "2", "3", "4", "5", "bonus"]);
    }
}
