//! Grading a class: every stage of every repository is a job — export the
//! stage's commit, build it, run its checks — and jobs run side by side,
//! each server in a private network namespace of its own, so that every
//! student's fixed port 7878 collides with nothing. Grading is bound by the
//! students' sleeps, not by running one repository after another. Where the
//! machine gives no namespace, jobs run one at a time on its network.

use crate::{
    git, history, readme,
    stages::{STAGES, Stage},
};
use harness::Process;
use serde::Serialize;
use std::{
    collections::{HashMap, VecDeque},
    path::{Path, PathBuf},
    process::Command,
    sync::Mutex,
    thread,
    time::Duration,
};

/// How long one stage's checks may take, server start-up included.
pub const JOB_LIMIT: Duration = Duration::from_secs(300);

/// How a stage ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// No commit claims the stage.
    Missing,
}

/// One stage of one repository.
#[derive(Clone, Debug, Serialize)]
pub struct StageResult {
    pub stage: &'static str,
    /// The full hash of the commit that claims the stage; `null` if none.
    pub commit: Option<String>,
    pub status: Status,
    /// What passed or failed, in one line.
    pub details: String,
    /// The graded commit's message; `null` if none.
    pub message: Option<String>,
    /// Why that commit is the stage's; `null` if none is.
    pub why: Option<String>,
    /// The other commits whose messages name the stage, and why they lost.
    pub others: Vec<history::Rival>,
    /// For a stage no commit claims, graded at another stage's commit
    /// because its code is there: that stage.
    pub found_in: Option<&'static str>,
    /// What of the README counted for the stage: the section's headings,
    /// its words, its screenshot; `null` when no section was found.
    pub readme: Option<readme::Reading>,
    /// The checks that failed, with what they sent, received and expected,
    /// and the hint: what `details` sums up in a line.
    pub failures: Vec<Failure>,
}

/// A check that failed at a stage's commit, as `just check` shows it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Failure {
    pub check: String,
    pub summary: String,
    pub sent: Option<String>,
    pub received: Option<String>,
    pub expected: Option<String>,
    pub hint: Option<String>,
}

/// One repository.
#[derive(Clone, Debug, Serialize)]
pub struct RepoResult {
    /// The path as given on the command line.
    pub repository: String,
    pub stages: Vec<StageResult>,
    /// The branch graded when it is not the default one; `null` otherwise.
    pub branch: Option<String>,
    /// What was read of the branches, when there is something to say: the
    /// branch graded instead of the default one, or another branch that
    /// has stages of its own.
    pub branch_note: Option<String>,
}

/// How to grade.
#[derive(Clone, Debug)]
pub struct Options {
    /// How many stages are checked at the same time.
    pub jobs: usize,
    /// How long one stage's crate may take to build.
    pub build_limit: Duration,
    /// Grade only this stage.
    pub only: Option<&'static Stage>,
}

/// What is known of a repository before its stages run.
struct Plan {
    repository: String,
    path: PathBuf,
    /// The branch and each stage's commit, with why; `None` when the
    /// repository could not be read.
    reading: Option<history::Reading>,
    /// The README's finding for each stage, and how it was read.
    readme: HashMap<&'static str, (readme::Finding, Option<readme::Reading>)>,
    /// Why the repository could not be read at all.
    error: Option<String>,
}

/// The jobs' results, by repository and stage.
type Checked = HashMap<(usize, &'static str), (Status, String, Vec<Failure>)>;

/// One stage to check.
struct Job {
    repo: usize,
    stage: &'static Stage,
    commit: String,
}

/// Grades `repositories` (paths as given, resolved against `cwd`), calling
/// `progress` after every stage checked with (done, total).
pub fn grade(
    repositories: &[String],
    cwd: &Path,
    options: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<RepoResult> {
    let plans: Vec<Plan> = repositories
        .iter()
        .map(|given| plan(given, &cwd.join(given)))
        .collect();
    let wanted = |stage: &Stage| options.only.is_none_or(|only| only.id == stage.id);
    let jobs: VecDeque<Job> = plans
        .iter()
        .enumerate()
        .flat_map(|(repo, plan)| {
            STAGES
                .iter()
                .filter(|s| wanted(s))
                .filter_map(move |stage| {
                    let choice = plan.choice(stage)?;
                    Some(Job {
                        repo,
                        stage,
                        commit: choice.commit.clone(),
                    })
                })
        })
        .collect();
    let total = jobs.len();
    let private = private_network_available();
    let workers = if private.is_ok() {
        options.jobs.max(1)
    } else {
        1
    };
    if let Err(e) = &private {
        eprintln!(
            "note: no private network here ({e}): the stages run one at a time on this \
             machine's network, where port 7878 must be free"
        );
    }
    let scratch = tempfile::Builder::new()
        .prefix("grade-")
        .tempdir()
        .expect("a temporary folder");

    let queue = Mutex::new(jobs);
    let results: Mutex<Checked> = Mutex::new(HashMap::new());
    let done = Mutex::new(0);
    thread::scope(|scope| {
        for worker in 0..workers {
            let (queue, results, done, plans, scratch) =
                (&queue, &results, &done, &plans, &scratch);
            let private = private.is_ok();
            scope.spawn(move || {
                let mut n = 0;
                loop {
                    let Some(job) = queue.lock().unwrap().pop_front() else {
                        break;
                    };
                    n += 1;
                    let dir = scratch.path().join(format!("w{worker}-{n}"));
                    let outcome = run_job(&plans[job.repo].path, &job, &dir, options, private);
                    let _ = std::fs::remove_dir_all(&dir);
                    results
                        .lock()
                        .unwrap()
                        .insert((job.repo, job.stage.id), outcome);
                    let mut done = done.lock().unwrap();
                    *done += 1;
                    progress(*done, total);
                }
            });
        }
    });

    let results = results.into_inner().unwrap();
    plans
        .into_iter()
        .enumerate()
        .map(|(repo, plan)| RepoResult {
            repository: plan.repository.clone(),
            stages: STAGES
                .iter()
                .filter(|s| wanted(s))
                .map(|stage| stage_result(&plan, stage, results.get(&(repo, stage.id))))
                .collect(),
            branch: plan.reading.as_ref().and_then(|r| r.branch.clone()),
            branch_note: plan.reading.as_ref().and_then(|r| r.branch_note.clone()),
        })
        .collect()
}

fn plan(given: &str, path: &Path) -> Plan {
    let mut plan = Plan {
        repository: given.to_string(),
        path: path.to_path_buf(),
        reading: None,
        readme: HashMap::new(),
        error: None,
    };
    // `git::history` first, for the error's words when there is no history.
    let reading = match git::history(path).and_then(|_| history::read(path)) {
        Ok(reading) => reading,
        Err(e) => {
            plan.error = Some(format!("not a Git repository with commits ({e})"));
            return plan;
        }
    };
    // The README as the graded branch's newest commit has it: HEAD's, or
    // the other branch's when history grades another.
    let tip = &reading.tip;
    let files = git::files_at(path, tip).unwrap_or_default();
    let readme_name = readme::readme_path(&files);
    let readme_text = readme_name
        .as_ref()
        .and_then(|name| git::git(path, &["show", &format!("{tip}:{name}")]).ok());
    plan.readme = readme::findings(
        readme_text.as_deref(),
        readme_name.as_deref().unwrap_or("README.md"),
        &files,
    );
    plan.reading = Some(reading);
    plan
}

impl Plan {
    /// The commit a stage is graded at, as history reads it (on its
    /// branch, with why).
    fn choice(&self, stage: &Stage) -> Option<&history::Choice> {
        self.reading.as_ref()?.stages.get(stage.id)
    }
}

/// Combines a stage's checks with its README finding and what history
/// read of its commit.
fn stage_result(
    plan: &Plan,
    stage: &'static Stage,
    checked: Option<&(Status, String, Vec<Failure>)>,
) -> StageResult {
    let choice = plan.choice(stage);
    let mut result = StageResult {
        stage: stage.id,
        commit: choice.map(|c| c.commit.clone()),
        status: Status::Missing,
        details: String::new(),
        message: choice.map(|c| c.message.clone()),
        why: choice.map(|c| c.why.clone()),
        others: choice.map(|c| c.others.clone()).unwrap_or_default(),
        found_in: choice.and_then(|c| c.found_in),
        readme: plan.readme.get(stage.id).and_then(|found| found.1.clone()),
        failures: Vec::new(),
    };
    if let Some(error) = &plan.error {
        result.details = error.clone();
        return result;
    }
    let Some((status, details, failures)) = checked else {
        result.details = format!(
            "no commit message starts with \"({})\" (the handout's: \"{}\")",
            if stage.id == "bonus" {
                "Bonus"
            } else {
                stage.id
            },
            stage.message
        );
        // The commits that named it and do not count, and why.
        let passed_over = plan
            .reading
            .as_ref()
            .and_then(|r| r.passed_over.get(stage.id))
            .map_or(&[][..], Vec::as_slice);
        result.others = passed_over.to_vec();
        for rival in passed_over {
            result
                .details
                .push_str(&format!("; {}: {}", rival.quoted(), rival.why));
        }
        return result;
    };
    result.failures = failures.clone();
    // A stage graded at another stage's commit says so first.
    let details = match (result.found_in, &result.why) {
        (Some(_), Some(why)) => format!("{why}; {details}"),
        _ => details.clone(),
    };
    let readme = plan
        .readme
        .get(stage.id)
        .map(|found| found.0.clone())
        .unwrap_or_else(|| Err("no README finding".to_string()));
    (result.status, result.details) = match (status, readme) {
        (Status::Pass, Ok(note)) => (Status::Pass, format!("{details}; README: {note}")),
        (Status::Pass, Err(problem)) => (Status::Fail, format!("README: {problem}")),
        (_, Ok(_)) => (Status::Fail, details),
        (_, Err(problem)) => (Status::Fail, format!("{details}; README: {problem}")),
    };
    result
}

/// Exports, builds and checks one stage; its status and a line of details.
fn run_job(
    repo: &Path,
    job: &Job,
    dir: &Path,
    options: &Options,
    private: bool,
) -> (Status, String, Vec<Failure>) {
    let fail = |details: String| (Status::Fail, details, Vec::new());
    if let Err(e) = std::fs::create_dir_all(dir).and_then(|_| git::export(repo, &job.commit, dir)) {
        return fail(e.to_string());
    }
    let (dir, folder) = match crate_folder(dir) {
        Ok(found) => found,
        Err(e) => return fail(e),
    };
    let dir = dir.as_path();
    // A committed target/ (even Windows .exe files) is not the stage's
    // code: the crate is built from its sources alone.
    let _ = std::fs::remove_dir_all(dir.join("target"));
    let binary = match check::cargo::build_crate(dir, options.build_limit) {
        Ok(binary) => binary,
        Err(e) => return fail(format!("does not build: {e}")),
    };
    let mut command = Command::new(this_program());
    command
        .args(["--job-dir"])
        .arg(dir)
        .arg("--job-binary")
        .arg(&binary)
        .args(["--job-stage", job.stage.id]);
    if check::sandbox::is_off() {
        // Turned off: the job's server runs without it too.
        command.arg("--unsandboxed");
    }
    #[cfg(target_os = "linux")]
    if private {
        check::netns::private_network(&mut command);
    }
    // Elsewhere there is none to be had.
    #[cfg(not(target_os = "linux"))]
    let _ = private;
    let mut process = match Process::spawn(command) {
        Ok(process) => process,
        Err(e) => return fail(format!("cannot run the checks: {e}")),
    };
    if process.wait_for_exit(JOB_LIMIT).is_none() {
        process.kill();
        return fail(format!(
            "its checks did not finish within {} s",
            JOB_LIMIT.as_secs()
        ));
    }
    process.drain(Duration::from_secs(5));
    let report: serde_json::Value = match serde_json::from_str(&process.stdout()) {
        Ok(report) => report,
        Err(_) => {
            return fail(format!(
                "the checks ended without a report: {}",
                process.last_words().unwrap_or_default()
            ));
        }
    };
    let (status, details) = job_status(&report);
    let failures = failures(&report);
    match folder {
        Some(folder) => (
            status,
            format!("{details} (the crate in {folder}/)"),
            failures,
        ),
        None => (status, details, failures),
    }
}

/// Where the crate is in an exported commit: at the root, or in the one
/// folder just below it that holds a `Cargo.toml` (`hello/`, as some
/// students commit it); the folder's name when it is not the root.
fn crate_folder(dir: &Path) -> Result<(PathBuf, Option<String>), String> {
    if dir.join("Cargo.toml").is_file() {
        return Ok((dir.to_path_buf(), None));
    }
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the exported commit: {e}"))?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let name = entry.file_name().into_string().ok()?;
            let is_crate = name != "target" && entry.path().join("Cargo.toml").is_file();
            is_crate.then_some(name)
        })
        .collect();
    found.sort();
    match found.as_slice() {
        [] => Err(
            "no Cargo.toml at the repository's root or in a folder below it at this \
                   commit"
                .to_string(),
        ),
        [one] => Ok((dir.join(one), Some(one.clone()))),
        many => Err(format!(
            "no Cargo.toml at the repository's root, and {} folders below it hold one ({}): \
             which is the crate?",
            many.len(),
            many.join(", ")
        )),
    }
}

/// The checks of a job's report that failed, with their evidence.
fn failures(report: &serde_json::Value) -> Vec<Failure> {
    let text = |o: &serde_json::Value, field: &str| o[field].as_str().map(str::to_string);
    report["outcomes"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|o| o["status"] == "fail")
        .map(|o| Failure {
            check: text(o, "check").unwrap_or_default(),
            summary: text(o, "summary").unwrap_or_default(),
            sent: text(o, "sent"),
            received: text(o, "received"),
            expected: text(o, "expected"),
            hint: text(o, "hint"),
        })
        .collect()
}

/// The status and details of a job's report: `{"error": …}` or
/// `{"outcomes": [{check, status, summary}, …]}`.
fn job_status(report: &serde_json::Value) -> (Status, String) {
    if let Some(error) = report["error"].as_str() {
        return (Status::Fail, error.to_string());
    }
    let outcomes = report["outcomes"].as_array().cloned().unwrap_or_default();
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| o["status"] != "pass")
        .map(|o| {
            format!(
                "✗ {}: {}",
                o["check"].as_str().unwrap_or_default(),
                o["summary"].as_str().unwrap_or_default()
            )
        })
        .collect();
    if failed.is_empty() && !outcomes.is_empty() {
        let names: Vec<&str> = outcomes
            .iter()
            .filter_map(|o| o["check"].as_str())
            .collect();
        (Status::Pass, format!("✓ {}", names.join(", ")))
    } else if failed.is_empty() {
        (Status::Fail, "no check ran".to_string())
    } else {
        (Status::Fail, failed.join("; "))
    }
}

/// Runs one stage's checks against the crate's binary: the job a grader
/// starts in a private network. Prints its report as JSON.
pub fn job(dir: &Path, binary: &Path, stage: &Stage) -> serde_json::Value {
    let subject = check::Subject::krate(binary.to_path_buf(), dir);
    if let Err(error) = subject.start() {
        return serde_json::json!({ "error": error });
    }
    let checks = check::checks::of_stage(stage);
    let outcomes = check::checks::run(&subject, &checks, |_| {});
    serde_json::json!({ "outcomes": outcomes })
}

/// This very program: on Linux even if its file was replaced since it
/// started (a rebuild), where `current_exe()` would name the new file.
fn this_program() -> PathBuf {
    match cfg!(target_os = "linux") {
        true => PathBuf::from("/proc/self/exe"),
        false => std::env::current_exe().unwrap_or_else(|_| PathBuf::from("grade")),
    }
}

/// Only Linux has network namespaces.
#[cfg(not(target_os = "linux"))]
fn private_network_available() -> Result<(), String> {
    Err("network namespaces are Linux's".to_string())
}

/// Whether this machine gives us a private network namespace.
#[cfg(target_os = "linux")]
fn private_network_available() -> Result<(), String> {
    let mut command = Command::new("/bin/true");
    check::netns::private_network(&mut command);
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("a test process ended with {status}")),
        Err(e) => Err(e.to_string()),
    }
}
