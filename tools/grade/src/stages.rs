//! The module's stages: one commit each, found in a student's history by
//! the number (or "bonus") its message starts with, not by its exact words,
//! and checked with the checks of `just check`. The list itself is
//! [`harness::stages`], shared with `just check 3`; what is read here is
//! how a commit message names a stage.

use regex::Regex;
use std::sync::LazyLock;

/// The stages and how a stage is found by its id live in the harness,
/// which `just check` reads too: a stage runs the same checks in both.
pub use harness::stages::{STAGES, Stage, find};

/// A stage claim at the start of a message: `(4)`, `[4]`, `4)`, `4.`,
/// `Commit 4:`, `Stage 4 -`, `(Bonus)`, `bonus:`, `Reflection 3`, `(6)` …,
/// after any quotes. `6` is the bonus only where the subject says "bonus"
/// too (`reflection 6 [BONUS]`, `(6) Bonus`): the bonus written as a sixth
/// stage.
static CLAIM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^
        [\s\x22'`“”‘’«»*_>-]*                              # stray quotes, markup
        [(\[]?\s*
        (?:(?:reflections?|refleksi)\s*)?
        (?:(?:commit|stage|milestone|step|part|tahap|langkah|no\.?|nomor)\s*)?
        ([1-6]|bonus)
        (?:\s*[)\]:\-–—]|\.(?:\D|$)|\s|$)",
    )
    .unwrap()
});

/// What may stand before a claim and is read past: a bracketed word
/// (`[REFACTOR]`, `[Perbaikan]`) or a conventional prefix (`fix:`,
/// `feat(server):`, `create:`), after any quotes.
static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^
        [\s\x22'`“”‘’«»*_>-]*
        (?:\[[^\]]*\]|[a-z]+(?:\([^)]*\))?!?:)
        \s*",
    )
    .unwrap()
});

/// `[BONUS]` anywhere in a subject.
static BONUS_TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\[\s*bonus\s*\]").unwrap());

/// What a commit message says of the stages.
#[derive(Clone, Copy, Debug)]
pub struct Claim {
    /// The stage it names.
    pub stage: &'static Stage,
    /// Whether the message is about the README's reflections ("Commit 2
    /// Reflection notes", "fix: reflection 3"): such a commit counts for
    /// its stage only if it also changes code ([`crate::history`]).
    pub reflection: bool,
}

/// The stage a commit message names, if any, and whether it speaks of
/// reflections. Read from the subject (the first line):
///
/// - a claim at its start (`(4)`, `[4]`, `4)`, `4.`, `Commit 4:`, `Stage
///   4 -`, `(Bonus)`, `bonus:`, `Reflection 3`, `(6) Bonus`), or after
///   bracketed words and conventional prefixes, which are read past
///   (`[REFACTOR] fix: …`, `feat: (3) …`, `create: reflection 6 [BONUS]`);
/// - failing that, `[BONUS]` anywhere (`Function improvement [BONUS]`);
/// - a merge's default message (`Merge branch …`, `Merge pull request …`)
///   names nothing.
pub fn claim(message: &str) -> Option<Claim> {
    let subject = message.lines().next().unwrap_or_default();
    let lower = subject.to_lowercase();
    if lower.starts_with("merge ") {
        return None;
    }
    let reflection = lower.contains("reflection") || lower.contains("refleksi");
    let mut rest = subject;
    let id = loop {
        if let Some(id) = CLAIM.captures(rest).and_then(|c| c.get(1)) {
            break Some(id.as_str().to_lowercase());
        }
        match PREFIX.find(rest) {
            Some(prefix) if !prefix.is_empty() => rest = &rest[prefix.end()..],
            _ => break None,
        }
    };
    let stage = match id.as_deref() {
        Some("6") if lower.contains("bonus") => find("bonus"),
        Some("6") => None,
        Some(id) => find(id),
        None if BONUS_TAG.is_match(subject) => find("bonus"),
        None => None,
    }?;
    Some(Claim { stage, reflection })
}

/// The stage a commit message claims by its words alone, if any. Commits
/// about the README's reflections ("Commit 2 Reflection notes") claim
/// nothing here: by their message they are not the stage's code (whether
/// they bring code too is for [`crate::history`] to see, with [`claim`]).
pub fn claimed_by(message: &str) -> Option<&'static Stage> {
    claim(message).filter(|c| !c.reflection).map(|c| c.stage)
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
            // What `just start` commits in a clone of the assignment.
            "(0) Start: cargo new hello, with the book's hello.html and 404.html",
            "(0) Start: a copy of milestone m4 (ThreadPool::new) of the course",
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

    /// The stage `message` names and whether it speaks of reflections.
    fn named(message: &str) -> Option<(&'static str, bool)> {
        super::claim(message).map(|c| (c.stage.id, c.reflection))
    }

    #[test]
    fn prefixes_brackets_and_a_sixth_stage_are_read() {
        for (message, stage) in [
            (
                "feat: (3) Validating request and selectively responding",
                "3",
            ),
            (
                "feat(server): (5) Multithreaded server using Threadpool",
                "5",
            ),
            ("fix!: (4) Simulation of slow request.", "4"),
            ("chore: [2] returning html", "2"),
            ("[FEAT] (1) Handle-connection, check response", "1"),
            ("[Perbaikan] (3) selective responding", "3"),
            ("(6) Bonus", "bonus"),
            ("6. [Bonus] build instead of new", "bonus"),
            ("Commit 6: bonus", "bonus"),
            ("[BONUS] Function improvement", "bonus"),
            ("Function improvement [BONUS]", "bonus"),
            ("feat: function improvement [Bonus]", "bonus"),
            ("(2) Returning HTML - Fix Images", "2"),
        ] {
            assert_eq!(claim(message), Some(stage), "{message}");
            assert_eq!(named(message), Some((stage, false)), "{message}");
        }
    }

    #[test]
    fn reflection_messages_name_their_stage_and_claim_nothing_by_words_alone() {
        for (message, stage) in [
            ("create: reflection 6 [BONUS]", "bonus"),
            ("fix: reflection 3", "3"),
            ("Reflection 2", "2"),
            ("(1) Add reflection for handle_connection", "1"),
            ("(Bonus) Function improvement - Reflection", "bonus"),
            ("Commit 1 Reflection notes", "1"),
            ("Reflection commit 3", "3"),
            ("Refleksi 4", "4"),
        ] {
            assert_eq!(named(message), Some((stage, true)), "{message}");
            assert_eq!(claim(message), None, "{message}");
        }
    }

    #[test]
    fn bracketed_words_and_prefixes_alone_claim_nothing() {
        for message in [
            "[REFACTOR] fix: handle_connection",
            "[Perbaikan] typo di README",
            "fix: image location",
            "docs: update README for commit 3",
            "chore(deps): bump",
            "(6) more",
            "stage 6",
            "Merge pull request #5 from student/bonus",
            "Merge branch 'master' into main [BONUS]",
        ] {
            assert_eq!(named(message), None, "{message}");
        }
    }
}
