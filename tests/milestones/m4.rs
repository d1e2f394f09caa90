//! m4: a pool of worker threads fed through a channel. At most WORKERS
//! requests run at once; one more waits for a free worker. A panicking
//! request still kills its worker, and with all of them gone, the server.

use crate::support::{self, Server, binary};
use assert_cmd::Command;
use m4::ThreadPool;
use predicates::prelude::*;
use std::time::{Duration, Instant};

#[test]
fn root_is_the_hello_page() {
    let server = Server::start("m4");
    insta::assert_snapshot!("root", server.get("/").escaped());
}

#[test]
fn sleep_is_the_hello_page_after_five_seconds() {
    let server = Server::start("m4");
    insta::assert_snapshot!("sleep", server.get_sleep().escaped());
}

#[test]
fn unknown_path_is_not_found() {
    let server = Server::start("m4");
    insta::assert_snapshot!("not_found", server.get("/unknown").escaped());
}

#[test]
fn a_worker_announces_every_job() {
    let server = Server::start("m4");
    server.get("/");
    server.wait_for_stdout(" got a job; executing.", 1);
    assert!(
        server.stdout().starts_with("Worker "),
        "{}",
        server.stdout()
    );
}

#[test]
fn pool_of_four_keeps_root_free_while_three_sleep() {
    let server = Server::start("m4");
    let slow: Vec<_> = (0..3).map(|_| server.get_in_background("/sleep")).collect();

    let start = Instant::now();
    assert_eq!(server.get("/").status_line(), "HTTP/1.1 200 OK");
    let waited = start.elapsed();

    assert!(waited < Duration::from_secs(2), "GET / took {waited:?}");
    for request in slow {
        assert_eq!(request.wait().0.status_line(), "HTTP/1.1 200 OK");
    }
}

#[test]
fn pool_of_four_makes_root_wait_while_four_sleep() {
    let server = Server::start("m4");
    let slow: Vec<_> = (0..4).map(|_| server.get_in_background("/sleep")).collect();

    let start = Instant::now();
    assert_eq!(server.get("/").status_line(), "HTTP/1.1 200 OK");
    let waited = start.elapsed();

    assert!(
        waited >= Duration::from_secs(4),
        "GET / took only {waited:?}"
    );
    for request in slow {
        assert_eq!(request.wait().0.status_line(), "HTTP/1.1 200 OK");
    }
}

#[test]
fn each_empty_connection_kills_a_worker_until_the_server_dies() {
    let mut server = Server::start("m4");
    let panics = |s: &Server| s.stderr().matches("panicked").count();

    for _ in 0..3 {
        drop(server.connect());
    }
    server.wait_until("3 panics", |s| panics(s) >= 3);
    // One worker is left, and it still serves.
    assert_eq!(server.get("/").status_line(), "HTTP/1.1 200 OK");

    drop(server.connect());
    server.wait_until("4 panics", |s| panics(s) >= 4);
    // No worker is left to receive, so `execute`'s `send(...).unwrap()`
    // panics on the next connection and takes the main thread down.
    let status = server.send_until_it_dies();
    assert!(!status.success(), "m4 exited with {status}");
    assert!(server.stderr().contains("SendError"), "{}", server.stderr());
}

#[test]
fn zero_workers_panics_on_the_assert_in_new() {
    Command::new(binary("m4"))
        .args(["127.0.0.1:0", "0"])
        .assert()
        .failure()
        .stdout("")
        .stderr(predicate::str::contains("assertion failed: size > 0"));
}

#[test]
#[should_panic(expected = "assertion failed: size > 0")]
fn pool_new_panics_on_zero() {
    ThreadPool::new(0);
}

#[test]
fn pool_runs_every_job() {
    let pool = ThreadPool::new(4);
    support::assert_all_jobs_run(100, |job| pool.execute(job));
}

#[test]
fn pool_runs_its_jobs_in_parallel() {
    let pool = ThreadPool::new(4);
    support::assert_jobs_run_in_parallel(4, |job| pool.execute(job));
}

#[test]
fn passes_the_checks_of_m4() {
    crate::checks::assert_passes_its_checks("m4");
}
