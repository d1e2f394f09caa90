//! m2: `GET /sleep HTTP/1.1` sleeps 5 s before answering. With one thread,
//! every client behind it waits.

use crate::support::Server;
use std::time::{Duration, Instant};

#[test]
fn root_is_the_hello_page() {
    let server = Server::start("m2");
    insta::assert_snapshot!("root", server.get("/").escaped());
}

#[test]
fn sleep_is_the_hello_page_after_five_seconds() {
    let server = Server::start("m2");
    insta::assert_snapshot!("sleep", server.get_sleep().escaped());
}

#[test]
fn unknown_path_is_not_found() {
    let server = Server::start("m2");
    insta::assert_snapshot!("not_found", server.get("/unknown").escaped());
}

#[test]
fn fast_request_waits_behind_sleep() {
    let server = Server::start("m2");
    let slow = server.get_in_background("/sleep");

    let start = Instant::now();
    let fast = server.get("/");
    let waited = start.elapsed();
    let (slow, _) = slow.wait();

    assert_eq!(fast.status_line(), "HTTP/1.1 200 OK");
    assert_eq!(slow.status_line(), "HTTP/1.1 200 OK");
    assert!(
        waited >= Duration::from_secs(4),
        "GET / took only {waited:?}"
    );
}

#[test]
fn passes_the_checks_of_m2() {
    crate::checks::assert_passes_its_checks("m2");
}
