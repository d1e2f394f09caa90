//! m7: m6's server on tokio, a task per connection instead of a pool of
//! threads. On the wire it is m6, byte for byte; what changes is what a
//! connection costs: a thousand sleeps take one sleep, and idle connections
//! hold nothing but their own task.

use crate::support::{self, Server};
use m7::request::{Client, Refusal};
use std::{
    net::TcpStream,
    time::{Duration, Instant},
};
use tokio_test::io::Builder;

#[test]
fn root_is_the_hello_page_with_connection_close() {
    let server = Server::start("m7");
    insta::assert_snapshot!("root", server.get("/").escaped());
}

/// Every request m6's tests send, hostile ones included, gets the same
/// bytes back from m7 as from m6.
#[test]
fn every_response_is_m6s_byte_for_byte() {
    let env = [("SLEEP_MS", "100")];
    let m6 = Server::start_with_env("m6", &["127.0.0.1:0"], &env);
    let m7 = Server::start_with_env("m7", &["127.0.0.1:0"], &env);
    for request in &support::requests_m6_is_tested_with() {
        let (six, seven) = (m6.send(request), m7.send(request));
        assert_eq!(
            seven.escaped(),
            six.escaped(),
            "m7 and m6 answer {:?} differently",
            String::from_utf8_lossy(request)
        );
    }
}

#[test]
fn a_thousand_sleeps_take_about_one_sleep() {
    let server = Server::start_with_env("m7", &["127.0.0.1:0"], &[("SLEEP_MS", "1000")]);
    let start = Instant::now();
    let requests: Vec<_> = (0..1000)
        .map(|_| server.get_in_background("/sleep"))
        .collect();
    for request in requests {
        assert_eq!(request.wait().0.status_line(), "HTTP/1.1 200 OK");
    }
    // A pool of 4 would take 250 sleeps; tasks take one, and some time to
    // connect a thousand clients.
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "1000 sleeps of 1 s took {took:?}"
    );
}

#[test]
fn a_hundred_idle_connections_do_not_delay_a_request() {
    // m6's four workers would each wait 5 s on an idle connection.
    let server = Server::start("m7");
    let idle: Vec<TcpStream> = (0..100).map(|_| server.connect()).collect();
    let start = Instant::now();
    assert_eq!(server.get("/").status_line(), "HTTP/1.1 200 OK");
    let took = start.elapsed();
    assert!(took < Duration::from_secs(1), "GET / took {took:?}");
    drop(idle);
}

fn shuts_down_gracefully_on(signal: &str) {
    support::assert_loses_no_request_on("m7", signal, |server| {
        server.wait_for_stdout("Shutting down.", 1);
    });
}

#[test]
fn ctrl_c_loses_no_request_in_flight_then_exits_0() {
    shuts_down_gracefully_on("INT");
}

#[test]
fn sigterm_loses_no_request_in_flight_then_exits_0() {
    shuts_down_gracefully_on("TERM");
}

#[test]
fn a_second_ctrl_c_exits_at_once_with_130() {
    let mut server = Server::start_with_env("m7", &["127.0.0.1:0"], &[("SLEEP_MS", "10000")]);
    let _slow = server.get_in_background("/sleep");
    let start = Instant::now();
    server.signal("INT");
    server.wait_for_stdout("Shutting down.", 1);
    server.signal("INT");
    let status = server
        .wait_for_exit(Duration::from_secs(15))
        .expect("m7 exits");
    assert_eq!(status.code(), Some(130));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    server.wait_for_stderr("Signalled again: exiting without waiting for the connections.");
}

#[test]
fn hostile_clients_are_logged_and_the_server_keeps_serving() {
    let server = Server::start("m7");
    for request in [
        &b"HELLO\r\n\r\n"[..],
        b"\x16\x03\x01",
        b"GET / HTTP/2.0\r\n\r\n",
    ] {
        server.send(request);
        assert_eq!(server.get("/").status_line(), "HTTP/1.1 200 OK");
    }
    drop(server.connect()); // an empty connection
    server.wait_until("a line for each", |s| {
        s.stderr().matches("; answering HTTP/1.1 ").count() == 3
            && s.stderr().contains("hung up without sending a byte")
    });
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
}

// In-process: the request handling against a scripted stream, with tokio's
// clock paused where time is the subject, so that 5 s pass in no time.

#[tokio::test]
async fn a_get_request_is_read_from_a_mock_stream() {
    let stream = Builder::new()
        .read(b"GET /sleep HTTP/1.1\r\nHost: example\r\n\r\n")
        .build();
    let mut client = Client::new(stream, "test".into());
    assert_eq!(client.read_request().await, Ok("/sleep".to_string()));
}

#[tokio::test(start_paused = true)]
async fn a_client_trickling_its_request_gets_408_at_the_deadline() {
    // Each piece comes well within 5 s; all of them take 6 s.
    let stream = Builder::new()
        .read(b"GET / HTTP/1.1\r\n")
        .wait(Duration::from_secs(2))
        .read(b"Host: a\r\n")
        .wait(Duration::from_secs(2))
        .read(b"X-Slow: b\r\n")
        .wait(Duration::from_secs(2))
        .read(b"\r\n")
        .build();
    let start = tokio::time::Instant::now();
    let mut client = Client::new(stream, "test".into());
    let refusal = client.read_request().await.unwrap_err();
    assert!(
        matches!(&refusal, Refusal::Answer("HTTP/1.1 408 REQUEST TIMEOUT", _)),
        "{refusal:?}"
    );
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    // What the client sent after the deadline is left unread: the scripted
    // stream would complain about it when dropped, so forget it.
    std::mem::forget(client);
}

#[tokio::test]
async fn a_refusal_answers_with_its_status_and_allow() {
    let stream = Builder::new()
        .read(b"DELETE / HTTP/1.1\r\n\r\n")
        .write(
            b"HTTP/1.1 405 METHOD NOT ALLOWED\r\nAllow: GET\r\nContent-Length: 23\r\n\
              Connection: close\r\n\r\n405 METHOD NOT ALLOWED\n",
        )
        .build();
    let mut client = Client::new(stream, "test".into());
    let refusal = client.read_request().await.unwrap_err();
    // The scripted stream checks every byte written.
    client.refuse(refusal).await;
}

#[test]
fn passes_the_checks_of_m7() {
    crate::checks::assert_passes_its_checks("m7");
}
