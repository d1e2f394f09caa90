//! The contract every milestone keeps (DEVELOPERS.md): `mN [ADDR]`, one
//! `Listening on http://IP:PORT` line with the real port, HTML found from any
//! working directory, and a clear message when the address cannot be used.
//! From m2 on, `SLEEP_MS` shortens `/sleep` for the classroom tools.

use crate::support::{Server, binary, milestones};
use assert_cmd::Command;
use predicates::prelude::*;
use std::{
    net::TcpListener,
    time::{Duration, Instant},
};

#[test]
fn every_milestone_announces_its_real_port_and_serves_from_any_directory() {
    for milestone in milestones() {
        // start() checks the first line and runs the server from `/`.
        let server = Server::start(milestone);
        assert_ne!(server.addr.port(), 0, "{milestone} printed port 0");
        let response = server.get("/");
        assert_eq!(response.status_line(), "HTTP/1.1 200 OK", "{milestone}");
        assert!(response.body().contains("Hi from Rust"), "{milestone}");
    }
}

#[test]
fn every_milestone_explains_an_address_it_cannot_parse() {
    for milestone in milestones() {
        Command::new(binary(milestone))
            .arg("not-an-address")
            .assert()
            .code(1)
            .stdout("")
            .stderr(
                predicate::str::starts_with("error: cannot listen on not-an-address: ")
                    .and(predicate::str::contains("panicked").not()),
            );
    }
}

#[test]
fn every_milestone_says_what_to_do_when_the_address_is_in_use() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let said = |addr: &str| {
        format!(
            "error: cannot listen on {addr}: Address already in use (os error 98); \
             stop the server using it, or pass another address, e.g. 127.0.0.1:0\n"
        )
    };
    for milestone in milestones() {
        Command::new(binary(milestone))
            .arg(&addr)
            .assert()
            .code(1)
            .stdout("")
            .stderr(said(&addr));
    }
    // m1's chapter quotes the message for the default address.
    let chapter = std::fs::read_to_string(harness::repo_root().join("book/src/m1.md")).unwrap();
    assert!(
        chapter.contains(said("127.0.0.1:7878").trim_end()),
        "book/src/m1.md quotes another message than\n{}",
        said("127.0.0.1:7878")
    );
}

#[test]
fn sleep_ms_shortens_the_sleep_from_m2_on() {
    let with_sleep = harness::MILESTONES.iter().filter(|m| m.has_sleep());
    for milestone in with_sleep.map(|m| m.name) {
        let server = Server::start_with_env(milestone, &["127.0.0.1:0"], &[("SLEEP_MS", "300")]);
        let start = Instant::now();
        let response = server.get("/sleep");
        let took = start.elapsed();
        assert_eq!(response.status_line(), "HTTP/1.1 200 OK", "{milestone}");
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(3),
            "{milestone}: /sleep with SLEEP_MS=300 took {took:?}"
        );
    }
}
