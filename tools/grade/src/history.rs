//! Which commit is each stage's, and on which branch: the reading a careful
//! teaching assistant makes of a student's history, with the reasons.
//!
//! - A commit *names* a stage when its message does ([`stages::claim`]:
//!   `(3) …`, `feat: (3) …`, `create: reflection 6 [BONUS]`).
//! - What it *brings*: its changes (a merge's against its first parent; a
//!   merge of root commits only: all its files). Code is any change outside
//!   README files (any folder, `README*` in any case) and images (`.png`,
//!   `.jpg`, …).
//! - A named commit *counts* for its stage unless its message speaks of the
//!   reflections and it brings no code (`Commit 1 Reflection notes`,
//!   `(1) Add reflection for handle_connection` on the README alone).
//! - The stage's commit is the newest counting commit that brings code;
//!   failing that, the newest counting commit (a README-only `(2) … - Fix
//!   Images` when it is the stage's only one). The others that named the
//!   stage are kept, with why they lost.
//! - A stage that no commit claims is looked for in the commits of the
//!   other stages, by a signature of its code in `src/**/*.rs` at that
//!   commit ([`SIGNATURES`]): the pool (stage 5) in the bonus's commit, a
//!   `build` returning a `Result` (the bonus) in stage 5's. The first
//!   stage, in the module's order, whose commit shows it, is where it is
//!   graded. Stages 1 to 4 have no signature: their code is the start of
//!   every later stage's, so finding it would not say it was ever done.
//! - The branch: the default one (HEAD) unless it holds no stage and
//!   another branch (local, or remote-tracking `refs/remotes/*`) does;
//!   then the branch with the most stages (then the newest tip, a local
//!   branch before a remote-tracking one, then the name). Other branches
//!   with stages of their own (commits the graded branch does not have)
//!   are named.
//!
//! Reading only: nothing in the repository changes.

use crate::{
    git::git,
    stages::{self, STAGES, Stage},
};
use regex::Regex;
use serde::Serialize;
use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
    sync::LazyLock,
};

/// The commit a stage is graded at, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Choice {
    /// Its full hash.
    pub commit: String,
    /// Its subject.
    pub message: String,
    /// Why it is the stage's: `the newest of the 2 commits whose messages
    /// claim stage 4 and change code`, `found in the commit of stage 5: its
    /// build returns a Result`.
    pub why: String,
    /// The other commits whose messages name the stage, newest first, with
    /// why they lost.
    pub others: Vec<Rival>,
    /// For a stage no commit claims, found in another stage's commit: that
    /// stage (`"5"`, `"bonus"`).
    pub found_in: Option<&'static str>,
}

/// A commit that named a stage and is not its commit.
#[derive(Clone, Debug, Serialize)]
pub struct Rival {
    /// Its full hash.
    pub commit: String,
    /// Its subject.
    pub message: String,
    /// Why it lost: `changes only the README and images`.
    pub why: String,
}

impl Rival {
    /// Its short hash and message, as the details show it:
    /// `abc1234 "(2) Returning HTML - Fix Images"`.
    pub fn quoted(&self) -> String {
        format!(
            "{} {:?}",
            &self.commit[..self.commit.len().min(7)],
            self.message
        )
    }
}

/// A repository's reading: the branch graded and each stage's commit.
#[derive(Clone, Debug, Serialize)]
pub struct Reading {
    /// The branch graded (`master`, `origin/master`) when it is not the
    /// default one (HEAD); `None` for the default.
    pub branch: Option<String>,
    /// What was seen of the branches, when there is anything to say: the
    /// default branch holds no stage and another was graded, or other
    /// branches have stages of their own.
    pub branch_note: Option<String>,
    /// The full hash of the graded branch's newest commit (HEAD's for the
    /// default branch): where its README is read.
    pub tip: String,
    /// The commit of each stage that has one, by stage id.
    pub stages: BTreeMap<&'static str, Choice>,
    /// Stages with no commit, by id, with the commits whose messages named
    /// them and why those do not count (`Commit 1 Reflection notes`: about
    /// the reflections, and changes only the README).
    pub passed_over: BTreeMap<&'static str, Vec<Rival>>,
}

/// A stage's code, recognised in a commit's `src/**/*.rs` (lines that
/// start with `//` left out).
pub struct Signature {
    pub stage: &'static str,
    pattern: Regex,
    /// What was found, for the reason: `its build returns a Result`.
    pub says: &'static str,
}

/// The stages whose code is recognised where no commit claims them: the
/// pool (a `ThreadPool` defined, or `ThreadPool::new`/`::build` called)
/// and the bonus (a `fn build` returning a `Result`).
pub static SIGNATURES: LazyLock<Vec<Signature>> = LazyLock::new(|| {
    vec![
        Signature {
            stage: "5",
            pattern: Regex::new(r"\bstruct\s+ThreadPool\b|\bThreadPool\s*::\s*(?:new|build)\b")
                .unwrap(),
            says: "it has a ThreadPool",
        },
        Signature {
            stage: "bonus",
            pattern: Regex::new(
                r"\bfn\s+build\s*(?:<[^>{]*>)?\s*\([^)]*\)\s*->\s*(?:[\w:]+::)?Result\b",
            )
            .unwrap(),
            says: "its build returns a Result",
        },
    ]
});

/// Reads the repository's history: the branch to grade and each stage's
/// commit there, with the reasons. An error when HEAD has no commit.
pub fn read(repo: &Path) -> Result<Reading, String> {
    let head = git(repo, &["rev-parse", "--verify", "HEAD^{commit}"])?
        .trim()
        .to_string();
    let default = git(repo, &["symbolic-ref", "--short", "-q", "HEAD"])
        .map(|name| name.trim().to_string())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "HEAD".to_string());
    let on_head = Branch::read(repo, &head)?;
    let mut others = Vec::new();
    for branch in branches(repo)? {
        if on_head.commits.contains(&branch.tip) {
            continue; // nothing HEAD does not have
        }
        let Ok(read) = Branch::read(repo, &branch.tip) else {
            continue;
        };
        if !read.own_stages(&on_head).is_empty() {
            others.push((branch, read));
        }
    }
    if !on_head.stages.is_empty() || others.is_empty() {
        let mut note = format!("the default branch {default} is graded");
        for (branch, read) in &others {
            note.push_str(&format!(
                "; the branch {} also has {} (not on {default})",
                branch.name,
                stage_list(&read.own_stages(&on_head))
            ));
        }
        let note = (!others.is_empty()).then_some(note);
        return Ok(on_head.reading(None, note, head));
    }
    // The most stages, then the newest tip, local before remote-tracking,
    // then the name.
    others.sort_by(|(a, a_read), (b, b_read)| {
        (b_read.stages.len(), b.time, b.local)
            .cmp(&(a_read.stages.len(), a.time, a.local))
            .then_with(|| a.name.cmp(&b.name))
    });
    let (Ref { name, tip, .. }, read) = others.remove(0);
    let holds = match on_head.commits.len() {
        1 => format!(" (its only commit: \"{}\")", on_head.first_subject),
        n => format!(" ({n} commits, none of them a stage's)"),
    };
    let ids: Vec<&str> = read.stages.keys().copied().collect();
    let mut note = format!(
        "the default branch {default} holds no stage{holds}: graded the branch {name}, \
         which has {}",
        stage_list(&ids)
    );
    for (other, other_read) in &others {
        let own = other_read.own_stages(&read);
        if !own.is_empty() {
            note.push_str(&format!(
                "; the branch {} also has {} (not on {name})",
                other.name,
                stage_list(&own)
            ));
        }
    }
    Ok(read.reading(Some(name), Some(note), tip))
}

/// `stage 4`, `stages 1, 2, 3, bonus`: stage ids in the module's order.
fn stage_list(ids: &[&str]) -> String {
    let ids: Vec<&str> = STAGES
        .iter()
        .map(|s| s.id)
        .filter(|id| ids.contains(id))
        .collect();
    format!(
        "{} {}",
        if ids.len() == 1 { "stage" } else { "stages" },
        ids.join(", ")
    )
}

/// A branch, local or remote-tracking.
struct Ref {
    /// `master`, `origin/master`.
    name: String,
    /// The full hash of its newest commit.
    tip: String,
    local: bool,
    /// Its newest commit's time (Unix seconds).
    time: i64,
}

/// The local and remote-tracking branches, one per tip (a local branch
/// before a remote-tracking one), the remotes' `HEAD` left out.
fn branches(repo: &Path) -> Result<Vec<Ref>, String> {
    let refs = git(
        repo,
        &[
            "for-each-ref",
            "--format=%(refname)%09%(objectname)%09%(objecttype)%09%(symref)%09%(committerdate:unix)",
            "refs/heads",
            "refs/remotes",
        ],
    )?;
    let mut found: Vec<Ref> = Vec::new();
    for line in refs.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [refname, tip, kind, symref, time] = fields[..] else {
            continue;
        };
        if kind != "commit" || !symref.is_empty() {
            continue;
        }
        let (name, local) = match refname.strip_prefix("refs/heads/") {
            Some(name) => (name, true),
            None => (
                refname.strip_prefix("refs/remotes/").unwrap_or(refname),
                false,
            ),
        };
        if name.ends_with("/HEAD") {
            continue;
        }
        let branch = Ref {
            name: name.to_string(),
            tip: tip.to_string(),
            local,
            time: time.parse().unwrap_or(0),
        };
        match found.iter_mut().find(|b| b.tip == branch.tip) {
            Some(same) if local && !same.local => *same = branch,
            Some(_) => {}
            None => found.push(branch),
        }
    }
    Ok(found)
}

/// A commit as `git log` gives it.
struct Logged {
    hash: String,
    parents: Vec<String>,
    subject: String,
}

/// What a commit brings in: code, README files, images (or nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Brings {
    code: bool,
    readme: bool,
    images: bool,
    /// How its changes were taken.
    merge: Merge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Merge {
    No,
    /// Against its first parent.
    FirstParent,
    /// A merge of root commits: all its files.
    OfRoots,
}

impl Brings {
    /// `changes only the README and images`, `brings in no files` …: what
    /// a commit that brings no code brings.
    fn describe(&self) -> String {
        let verb = match self.merge {
            Merge::No => "changes",
            _ => "brings in",
        };
        let what = match (self.readme, self.images) {
            (true, true) => "only the README and images",
            (true, false) => "only the README",
            (false, true) => "only images",
            (false, false) => "no files",
        };
        format!("{verb} {what}")
    }

    /// For the winner's reason: how a merge's changes were taken.
    fn merge_note(&self) -> &'static str {
        match self.merge {
            Merge::No => "",
            Merge::FirstParent => " (a merge: what it brings in against its first parent)",
            Merge::OfRoots => " (a merge of root commits: all its files)",
        }
    }
}

/// A commit whose message names a stage.
struct Named<'a> {
    commit: &'a Logged,
    claim: stages::Claim,
    brings: Brings,
}

impl Named<'_> {
    /// Whether it counts for its stage: not a README-only reflection.
    fn counts(&self) -> bool {
        self.brings.code || !self.claim.reflection
    }

    fn rival(&self, why: String) -> Rival {
        Rival {
            commit: self.commit.hash.clone(),
            message: self.commit.subject.clone(),
            why,
        }
    }
}

/// The stages read from one branch.
struct Branch {
    /// Every commit of the branch.
    commits: HashSet<String>,
    /// The subject of its oldest commit, for the note.
    first_subject: String,
    stages: BTreeMap<&'static str, Choice>,
    passed_over: BTreeMap<&'static str, Vec<Rival>>,
}

impl Branch {
    fn read(repo: &Path, tip: &str) -> Result<Branch, String> {
        let log = git(repo, &["log", "--format=%H%x1f%P%x1f%s", tip])?;
        let logged: Vec<Logged> = log
            .lines()
            .filter_map(|line| {
                let mut fields = line.splitn(3, '\x1f');
                Some(Logged {
                    hash: fields.next()?.to_string(),
                    parents: fields
                        .next()?
                        .split_whitespace()
                        .map(str::to_string)
                        .collect(),
                    subject: fields.next()?.to_string(),
                })
            })
            .collect();
        let roots: HashSet<&str> = logged
            .iter()
            .filter(|c| c.parents.is_empty())
            .map(|c| c.hash.as_str())
            .collect();
        let mut named = Vec::new();
        for commit in &logged {
            if let Some(claim) = stages::claim(&commit.subject) {
                let brings = brings(repo, commit, &roots)?;
                named.push(Named {
                    commit,
                    claim,
                    brings,
                });
            }
        }

        let mut chosen = BTreeMap::new();
        let mut passed_over = BTreeMap::new();
        for stage in STAGES {
            let naming: Vec<&Named> = named
                .iter()
                .filter(|n| n.claim.stage.id == stage.id)
                .collect();
            match choose(stage, &naming) {
                Some(choice) => {
                    chosen.insert(stage.id, choice);
                }
                None if !naming.is_empty() => {
                    let rivals = naming.iter().map(|n| n.rival(lost(n, None))).collect();
                    passed_over.insert(stage.id, rivals);
                }
                None => {}
            }
        }
        // The stages no commit claims, looked for in the others' commits.
        let mut sources: HashMap<String, String> = HashMap::new();
        for signature in SIGNATURES.iter() {
            if chosen.contains_key(signature.stage) {
                continue;
            }
            let found = STAGES.iter().find_map(|other| {
                let choice: &Choice = chosen.get(other.id)?;
                if choice.found_in.is_some() {
                    return None;
                }
                let source = sources
                    .entry(choice.commit.clone())
                    .or_insert_with(|| sources_at(repo, &choice.commit));
                signature
                    .pattern
                    .is_match(source)
                    .then(|| (other, choice.commit.clone(), choice.message.clone()))
            });
            if let Some((other, commit, message)) = found {
                let id = signature.stage;
                chosen.insert(
                    id,
                    Choice {
                        commit,
                        message,
                        why: format!(
                            "no commit claims {}; found in the commit of {}: {}",
                            stage_name(id),
                            stage_name(other.id),
                            signature.says
                        ),
                        others: passed_over.remove(id).unwrap_or_default(),
                        found_in: Some(other.id),
                    },
                );
            }
        }
        Ok(Branch {
            commits: logged.iter().map(|c| c.hash.clone()).collect(),
            first_subject: logged.last().map(|c| c.subject.clone()).unwrap_or_default(),
            stages: chosen,
            passed_over,
        })
    }

    /// The stages whose commit `other` does not have.
    fn own_stages(&self, other: &Branch) -> Vec<&'static str> {
        self.stages
            .iter()
            .filter(|(_, c)| !other.commits.contains(&c.commit))
            .map(|(id, _)| *id)
            .collect()
    }

    fn reading(self, branch: Option<String>, branch_note: Option<String>, tip: String) -> Reading {
        Reading {
            branch,
            branch_note,
            tip,
            stages: self.stages,
            passed_over: self.passed_over,
        }
    }
}

/// `stage 3` or `the bonus`.
fn stage_name(id: &str) -> String {
    if id == "bonus" {
        "the bonus".to_string()
    } else {
        format!("stage {id}")
    }
}

/// The stage's commit among those that name it (newest first), if one
/// counts.
fn choose(stage: &Stage, naming: &[&Named]) -> Option<Choice> {
    let name = stage_name(stage.id);
    let counting: Vec<&&Named> = naming.iter().filter(|n| n.counts()).collect();
    let with_code: Vec<&&Named> = counting.iter().copied().filter(|n| n.brings.code).collect();
    let (winner, mut why) = if let Some(winner) = with_code.first() {
        let why = match with_code.len() {
            1 => format!(
                "the only commit whose message claims {name} and {} code",
                if winner.brings.merge == Merge::No {
                    "changes"
                } else {
                    "brings in"
                }
            ),
            n => {
                format!("the newest of the {n} commits whose messages claim {name} and change code")
            }
        };
        (*winner, why)
    } else {
        let winner = counting.first()?;
        let why = match counting.len() {
            1 => format!(
                "the only commit whose message claims {name}, though it {}",
                winner.brings.describe()
            ),
            n => format!(
                "the newest of the {n} commits whose messages claim {name}, none of which \
                 changes code (it {})",
                winner.brings.describe()
            ),
        };
        (*winner, why)
    };
    why.push_str(winner.brings.merge_note());
    if winner.claim.reflection {
        why.push_str("; its message speaks of the reflections, but it brings code");
    }
    let others = naming
        .iter()
        .filter(|n| n.commit.hash != winner.commit.hash)
        .map(|n| n.rival(lost(n, Some(winner))))
        .collect();
    Some(Choice {
        commit: winner.commit.hash.clone(),
        message: winner.commit.subject.clone(),
        why,
        others,
        found_in: None,
    })
}

/// Why `named` is not its stage's commit, which is `winner` (if any).
fn lost(named: &Named, winner: Option<&Named>) -> String {
    if !named.counts() {
        return format!(
            "its message is about the reflections and it {}",
            named.brings.describe()
        );
    }
    match winner {
        Some(winner) if winner.brings.code && named.brings.code => {
            "older: a newer commit that claims the stage changes code too".to_string()
        }
        Some(winner) if winner.brings.code => named.brings.describe(),
        Some(_) => format!(
            "older, and it {} too (no commit that claims the stage changes code)",
            named.brings.describe()
        ),
        None => named.brings.describe(),
    }
}

/// What `commit` brings in: a root commit its files, another commit its
/// changes, a merge its changes against its first parent, a merge of root
/// commits all its files.
fn brings(repo: &Path, commit: &Logged, roots: &HashSet<&str>) -> Result<Brings, String> {
    let hash = commit.hash.as_str();
    let (files, merge) = match &commit.parents[..] {
        [] | [_] => (
            git(
                repo,
                &[
                    "diff-tree",
                    "--root",
                    "-r",
                    "--no-commit-id",
                    "--name-only",
                    "-z",
                    hash,
                ],
            )?,
            Merge::No,
        ),
        parents if parents.iter().all(|p| roots.contains(p.as_str())) => (
            git(repo, &["ls-tree", "-r", "--name-only", "-z", hash])?,
            Merge::OfRoots,
        ),
        [first, ..] => (
            git(repo, &["diff-tree", "-r", "--name-only", "-z", first, hash])?,
            Merge::FirstParent,
        ),
    };
    let mut brings = Brings {
        code: false,
        readme: false,
        images: false,
        merge,
    };
    for path in files.split('\0').filter(|p| !p.is_empty()) {
        let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
        let extension = name.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
        if name.starts_with("readme") {
            brings.readme = true;
        } else if IMAGES.contains(&extension) {
            brings.images = true;
        } else {
            brings.code = true;
        }
    }
    Ok(brings)
}

/// The extensions of image files.
const IMAGES: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "ico", "avif", "tif", "tiff", "heic",
];

/// The text of `src/**/*.rs` at `commit`, lines that start with `//` left
/// out; empty if it cannot be read.
fn sources_at(repo: &Path, commit: &str) -> String {
    let files = git(
        repo,
        &["ls-tree", "-r", "--name-only", "-z", commit, "--", "src"],
    )
    .unwrap_or_default();
    let mut text = String::new();
    for path in files
        .split('\0')
        .filter(|p| p.starts_with("src/") && p.ends_with(".rs"))
    {
        let source = git(repo, &["show", &format!("{commit}:{path}")]).unwrap_or_default();
        for line in source.lines().filter(|l| !l.trim_start().starts_with("//")) {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}
