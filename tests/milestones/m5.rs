//! m5: `ThreadPool::build` returns an error for a pool of 0 workers instead of
//! panicking, and the server explains it in one line. Everything else is m4.

use crate::support::{self, Server, binary};
use assert_cmd::Command;
use m5::{PoolCreationError, ThreadPool};
use predicates::prelude::*;
use std::time::{Duration, Instant};

#[test]
fn root_is_the_hello_page() {
    let server = Server::start("m5");
    insta::assert_snapshot!("root", server.get("/").escaped());
}

#[test]
fn sleep_is_the_hello_page_after_five_seconds() {
    let server = Server::start("m5");
    insta::assert_snapshot!("sleep", server.get_sleep().escaped());
}

#[test]
fn unknown_path_is_not_found() {
    let server = Server::start("m5");
    insta::assert_snapshot!("not_found", server.get("/unknown").escaped());
}

#[test]
fn zero_workers_is_explained_in_one_line() {
    Command::new(binary("m5"))
        .args(["127.0.0.1:0", "0"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "error: a thread pool needs at least one worker, not 0; \
             pass WORKERS of 1 or more after the address, e.g. 127.0.0.1:0 4\n",
        );
}

#[test]
fn workers_that_are_not_a_number_are_explained_in_one_line() {
    Command::new(binary("m5"))
        .args(["127.0.0.1:0", "four"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::starts_with("error: WORKERS must be a whole number, such as 4: ")
                .and(predicate::str::contains("panicked").not()),
        );
}

#[test]
fn the_pool_size_is_the_second_argument() {
    let server = Server::start_with("m5", &["127.0.0.1:0", "2"]);
    let slow: Vec<_> = (0..2).map(|_| server.get_in_background("/sleep")).collect();

    let start = Instant::now();
    assert_eq!(server.get("/").status_line(), "HTTP/1.1 200 OK");
    let waited = start.elapsed();

    assert!(
        waited >= Duration::from_secs(4),
        "GET / took only {waited:?} with 2 workers busy"
    );
    for request in slow {
        assert_eq!(request.wait().0.status_line(), "HTTP/1.1 200 OK");
    }
}

#[test]
fn an_empty_connection_still_kills_a_worker() {
    // With one worker, one empty connection leaves none, as in m4.
    let mut server = Server::start_with("m5", &["127.0.0.1:0", "1"]);
    drop(server.connect());
    server.wait_for_stderr("panicked");
    let status = server.send_until_it_dies();
    assert!(!status.success(), "m5 exited with {status}");
}

#[test]
fn pool_build_refuses_zero_with_an_error_a_student_understands() {
    let err = ThreadPool::build(0).err().expect("build(0) fails");
    assert_eq!(err, PoolCreationError);
    assert_eq!(
        err.to_string(),
        "a thread pool needs at least one worker, not 0"
    );
    let _: &dyn std::error::Error = &err; // usable with `?` and `Box<dyn Error>`
}

#[test]
fn pool_runs_every_job() {
    let pool = ThreadPool::build(4).unwrap();
    support::assert_all_jobs_run(100, |job| pool.execute(job));
}

#[test]
fn pool_runs_its_jobs_in_parallel() {
    let pool = ThreadPool::build(4).unwrap();
    support::assert_jobs_run_in_parallel(4, |job| pool.execute(job));
}

#[test]
fn passes_the_checks_of_m5() {
    crate::checks::assert_passes_its_checks("m5");
}
