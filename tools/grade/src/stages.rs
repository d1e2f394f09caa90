//! The module's stages: one commit each, found in a student's history by
//! the number (or "bonus") its message starts with, not by its exact words,
//! and checked with the checks of `just check`.

use regex::Regex;
use std::sync::LazyLock;

/// One stage of the module.
#[derive(Debug)]
pub struct Stage {
    /// `1` … `5` or `bonus`: what the output and the JSON call it.
    pub id: &'static str,
    /// The commit message the handout gives.
    pub message: &'static str,
    /// The checks it runs at its commit (those they need come along).
    pub checks: &'static [&'static str],
    /// The milestone whose context the checks run in.
    pub milestone: &'static str,
    /// Whether the README must show a screenshot for it.
    pub screenshot: bool,
}

/// The stages, in order.
pub const STAGES: &[Stage] = &[
    Stage {
        id: "1",
        message: "(1) Handle-connection, check response",
        checks: &["prints-request"],
        milestone: "m1",
        screenshot: false,
    },
    Stage {
        id: "2",
        message: "(2) Returning HTML",
        checks: &["root"],
        milestone: "m1",
        screenshot: true,
    },
    Stage {
        id: "3",
        message: "(3) Validating request and selectively responding",
        checks: &["root", "not-found"],
        milestone: "m1",
        screenshot: true,
    },
    Stage {
        id: "4",
        message: "(4) Simulation of slow request.",
        checks: &["sleep", "blocks"],
        milestone: "m2",
        screenshot: false,
    },
    Stage {
        id: "5",
        message: "(5) Multithreaded server using Threadpool",
        checks: &["root", "parallel", "pool-size"],
        milestone: "m4",
        screenshot: false,
    },
    Stage {
        id: "bonus",
        message: "(Bonus) Function improvement",
        checks: &["build-result", "root"],
        milestone: "m5",
        screenshot: false,
    },
];

/// The stage called `id` (`1` … `5`, `bonus`, in any case).
pub fn find(id: &str) -> Option<&'static Stage> {
    STAGES.iter().find(|s| s.id.eq_ignore_ascii_case(id))
}

/// A stage claim at the start of a message: `(4)`, `[4]`, `4)`, `4.`,
/// `Commit 4:`, `Stage 4 -`, `(Bonus)`, `bonus:` …, after any quotes.
static CLAIM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^
        [\s\x22'`“”‘’«»*_>-]*                              # stray quotes, markup
        [(\[]?\s*
        (?:(?:commit|stage|milestone|step|part|tahap|langkah|no\.?|nomor)\s*)?
        ([1-5]|bonus)
        (?:\s*[)\]:\-–—]|\.(?:\D|$)|\s|$)",
    )
    .unwrap()
});

/// The stage a commit message claims, if any. Commits about the README's
/// reflections ("Commit 2 Reflection notes") claim nothing: they are not
/// the stage's code.
pub fn claimed_by(message: &str) -> Option<&'static Stage> {
    let subject = message.lines().next().unwrap_or_default();
    let lower = subject.to_lowercase();
    if lower.contains("reflection") || lower.contains("refleksi") || lower.starts_with("merge ") {
        return None;
    }
    let id = CLAIM.captures(subject)?.get(1)?.as_str().to_lowercase();
    find(&id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(message: &str) -> Option<&'static str> {
        claimed_by(message).map(|s| s.id)
    }

    #[test]
    fn the_handouts_messages_claim_their_stages() {
        for stage in STAGES {
            assert_eq!(claim(stage.message), Some(stage.id), "{}", stage.message);
        }
    }

    #[test]
    fn drifted_messages_still_claim_their_stages() {
        for (message, stage) in [
            ("(1) Handle-connection, check respons", "1"),
            ("“(1) Handle-connection, check response", "1"),
            ("\"(2) Returning HTML\"", "2"),
            ("(3) Validating request and selective responding", "3"),
            ("(4) Simulation of slow request", "4"),
            ("(5) Multithreaded server using ThreadPool", "5"),
            ("(Bonus) Function Improvement", "bonus"),
            ("(bonus) improve function", "bonus"),
            ("[5] thread pool", "5"),
            ("3) validating request", "3"),
            ("Commit 4: slow request", "4"),
            ("stage 2 - returning html", "2"),
            ("(2)Returning HTML", "2"),
            ("Bonus: build instead of new", "bonus"),
        ] {
            assert_eq!(claim(message), Some(stage), "{message}");
        }
    }

    #[test]
    fn other_commits_claim_nothing() {
        for message in [
            "Initial commit",
            "initialized",
            "Commit 1 Reflection notes",
            "Reflection commit 3",
            "fix: image location",
            "Fixing typo from commit 3",
            "Update README.md",
            "Merge branch 'main' of github.com:student/advprog-modul6",
            "(6) more",
            "(12) nope",
            "1.5 release",
        ] {
            assert_eq!(claim(message), None, "{message}");
        }
    }
}
