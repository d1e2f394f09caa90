//! m3: a thread per connection. Slow requests no longer block fast ones, and
//! a panic ends one connection's thread instead of the server.

use crate::support::Server;
use std::time::{Duration, Instant};

#[test]
fn root_is_the_hello_page() {
    let server = Server::start("m3");
    insta::assert_snapshot!("root", server.get("/").escaped());
}

#[test]
fn sleep_is_the_hello_page_after_five_seconds() {
    let server = Server::start("m3");
    insta::assert_snapshot!("sleep", server.get_sleep().escaped());
}

#[test]
fn unknown_path_is_not_found() {
    let server = Server::start("m3");
    insta::assert_snapshot!("not_found", server.get("/unknown").escaped());
}

#[test]
fn fast_request_does_not_wait_behind_sleeps() {
    let server = Server::start("m3");
    let slow: Vec<_> = (0..3).map(|_| server.get_in_background("/sleep")).collect();

    let start = Instant::now();
    let fast = server.get("/");
    let waited = start.elapsed();

    assert_eq!(fast.status_line(), "HTTP/1.1 200 OK");
    assert!(waited < Duration::from_secs(2), "GET / took {waited:?}");
    for request in slow {
        assert_eq!(request.wait().0.status_line(), "HTTP/1.1 200 OK");
    }
}

#[test]
fn concurrent_sleeps_finish_in_about_one_sleep() {
    let server = Server::start("m3");
    let start = Instant::now();
    let requests: Vec<_> = (0..6).map(|_| server.get_in_background("/sleep")).collect();
    for request in requests {
        assert_eq!(request.wait().0.status_line(), "HTTP/1.1 200 OK");
    }
    // One after the other they would take 30 s.
    let took = start.elapsed();
    assert!(took < Duration::from_secs(9), "6 sleeps took {took:?}");
}

#[test]
fn empty_connection_kills_only_its_thread() {
    let server = Server::start("m3");
    drop(server.connect()); // connect and hang up without a byte

    server.wait_for_stderr("called `Option::unwrap()` on a `None` value");
    assert_eq!(server.get("/").status_line(), "HTTP/1.1 200 OK");
}

#[test]
fn passes_the_checks_of_m3() {
    crate::checks::assert_passes_its_checks("m3");
}
