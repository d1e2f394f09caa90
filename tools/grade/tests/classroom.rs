//! The GitHub Classroom workflow (classroom/classroom.yml): one grader step
//! per stage with its points, a reporter that reads every step, and each
//! step's command run here against fixture repositories.

use grade::{fixtures::Fixture, stages::STAGES};
use std::{fs, path::PathBuf, process::Command};

/// A grader step of the workflow.
#[derive(Debug)]
struct Step {
    id: String,
    command: String,
    max_score: u32,
}

fn workflow() -> String {
    let path = harness::repo_root().join("classroom/classroom.yml");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The value of `key: value` in a step's lines, unquoted.
fn value(lines: &[&str], key: &str) -> Option<String> {
    lines.iter().find_map(|l| {
        let value = l.trim().strip_prefix(&format!("{key}:"))?.trim();
        Some(value.trim_matches('"').to_string())
    })
}

/// The steps that use the command grader, in order.
fn grader_steps(workflow: &str) -> Vec<Step> {
    workflow
        .split("\n      - name:")
        .skip(1)
        .map(|step| step.lines().collect::<Vec<_>>())
        .filter(|lines| {
            value(lines, "uses")
                .is_some_and(|u| u == "classroom-resources/autograding-command-grader@v1")
        })
        .map(|lines| Step {
            id: value(&lines, "id").expect("a grader step has an id"),
            command: value(&lines, "command").expect("a grader step has a command"),
            max_score: value(&lines, "max-score").unwrap().parse().unwrap(),
        })
        .collect()
}

#[test]
fn one_step_per_stage_and_a_reporter_that_reads_them_all() {
    let workflow = workflow();
    let steps = grader_steps(&workflow);
    let ids: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "stage-1", "stage-2", "stage-3", "stage-4", "stage-5", "bonus"
        ]
    );
    for (step, stage) in steps.iter().zip(STAGES) {
        assert_eq!(
            step.command,
            format!(".course/target/release/grade --stage {} .", stage.id)
        );
        assert!(step.max_score > 0);
    }
    assert_eq!(steps.iter().map(|s| s.max_score).sum::<u32>(), 100);
    assert!(workflow.contains(&format!("runners: {}\n", ids.join(","))));
    for id in ids {
        let env = format!(
            "{}_RESULTS: \"${{{{steps.{id}.outputs.result}}}}\"",
            id.to_uppercase()
        );
        assert!(workflow.contains(&env), "the reporter lacks {env}");
    }
    assert!(workflow.contains(
        "cargo build --release --locked --manifest-path .course/Cargo.toml --package grade"
    ));
    assert!(
        workflow.contains("fetch-depth: 0"),
        "the grader needs the whole history"
    );
}

/// Runs a step's command in `repo`, with the grader this test was built with
/// in place of the one the workflow builds.
fn run_step(step: &Step, repo: &std::path::Path) -> std::process::Output {
    let grader = PathBuf::from(env!("CARGO_BIN_EXE_grade"));
    let command = step
        .command
        .replace(".course/target/release/grade", grader.to_str().unwrap());
    // The command grader runs the command with a shell in the checkout.
    Command::new("sh")
        .args(["-c", &command])
        .current_dir(repo)
        .output()
        .unwrap()
}

#[test]
fn every_steps_command_passes_a_complete_history_and_fails_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let complete = dir.path().join("complete");
    Fixture::complete(1000).write(&complete).unwrap();
    let mut partial = Fixture::complete(1000);
    partial.bonus = false;
    partial.screenshots = false;
    let partial_dir = dir.path().join("partial");
    partial.write(&partial_dir).unwrap();

    let steps = grader_steps(&workflow());
    std::thread::scope(|scope| {
        for step in &steps {
            let (complete, partial_dir) = (&complete, &partial_dir);
            scope.spawn(move || {
                let output = run_step(step, complete);
                assert_eq!(
                    output.status.code(),
                    Some(0),
                    "{}: {}",
                    step.id,
                    String::from_utf8_lossy(&output.stdout)
                );
                let expected = match step.id.as_str() {
                    "stage-2" | "stage-3" | "bonus" => 1,
                    _ => 0,
                };
                let output = run_step(step, partial_dir);
                assert_eq!(
                    output.status.code(),
                    Some(expected),
                    "{} on the partial history: {}",
                    step.id,
                    String::from_utf8_lossy(&output.stdout)
                );
            });
        }
    });
}
