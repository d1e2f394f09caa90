//! m1: a single-threaded server that answers `GET / HTTP/1.1` with
//! hello.html and anything else with 404.html.

use crate::support::Server;
use predicates::prelude::*;
use std::time::Duration;

#[test]
fn root_is_the_hello_page() {
    let server = Server::start("m1");
    insta::assert_snapshot!("root", server.get("/").escaped());
}

#[test]
fn unknown_path_is_not_found() {
    let server = Server::start("m1");
    insta::assert_snapshot!("not_found", server.get("/unknown").escaped());
}

#[test]
fn content_length_counts_the_body_bytes() {
    let server = Server::start("m1");
    for path in ["/", "/unknown"] {
        let response = server.get(path);
        let header = format!("Content-Length: {}\r\n", response.body().len());
        assert!(response.text().contains(&header), "{path}: no {header:?}");
    }
}

#[test]
fn only_the_exact_request_line_matches_so_http_1_0_gets_404() {
    // ab sends HTTP/1.0 request lines: every one of them gets the 404 page.
    let server = Server::start("m1");
    let response = server.send(b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(response.status_line(), "HTTP/1.1 404 NOT FOUND");
}

#[test]
fn empty_connection_kills_the_server() {
    let mut server = Server::start("m1");
    drop(server.connect()); // connect and hang up without a byte

    let status = server
        .wait_for_exit(Duration::from_secs(10))
        .expect("m1 still runs after an empty connection");
    assert!(!status.success(), "m1 exited with {status}");
    let stderr = server.stderr();
    assert!(
        predicate::str::contains("panicked")
            .and(predicate::str::contains(
                "called `Option::unwrap()` on a `None` value"
            ))
            .eval(&stderr),
        "stderr:\n{stderr}"
    );
}

#[test]
fn passes_the_checks_of_m1() {
    crate::checks::assert_passes_its_checks("m1");
}
