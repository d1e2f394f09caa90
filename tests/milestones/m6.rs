//! m6: graceful shutdown on Ctrl-C or SIGTERM, and a server that no client
//! can crash or pin down: every bad request gets an answer or a quiet close,
//! a line on stderr, and the server keeps serving.

use crate::support::{self, Server, binary};
use assert_cmd::Command;
use m6::ThreadPool;
use std::{
    io::{ErrorKind, Read, Write},
    net::TcpStream,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

#[test]
fn root_is_the_hello_page_with_connection_close() {
    let server = Server::start("m6");
    insta::assert_snapshot!("root", server.get("/").escaped());
}

#[test]
fn sleep_is_the_hello_page_after_five_seconds() {
    let server = Server::start("m6");
    insta::assert_snapshot!("sleep", server.get_sleep().escaped());
}

#[test]
fn unknown_path_is_not_found() {
    let server = Server::start("m6");
    insta::assert_snapshot!("not_found", server.get("/unknown").escaped());
}

#[test]
fn http_1_0_request_lines_are_served() {
    // ab sends these; m1 to m5 answer them 404.
    let server = Server::start("m6");
    insta::assert_snapshot!(
        "root_http_1_0",
        server.send(b"GET / HTTP/1.0\r\n\r\n").escaped()
    );
}

#[test]
fn hostile_requests_get_clear_answers_and_the_server_keeps_serving() {
    let long_line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(10_000));
    let long_headers = format!(
        "GET / HTTP/1.1\r\n{}\r\n",
        "X-Padding: 0123456789abcdef\r\n".repeat(400)
    );
    // The start of a TLS ClientHello, as sent by `curl https://…`.
    let tls_hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec();
    // Deterministic garbage: a few hundred bytes from a small LCG.
    let garbage: Vec<u8> = (0..300u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("no_request_line", b"\r\n\r\n".to_vec()),
        ("one_word", b"HELLO\r\n\r\n".to_vec()),
        ("two_words", b"GET /\r\n\r\n".to_vec()),
        ("not_utf8", b"GET /\xff\xfe HTTP/1.1\r\n\r\n".to_vec()),
        ("unknown_method", b"DELETE / HTTP/1.1\r\n\r\n".to_vec()),
        (
            "post",
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".to_vec(),
        ),
        ("http_2", b"GET / HTTP/2.0\r\n\r\n".to_vec()),
        ("not_http", b"GET / FTP/1.1\r\n\r\n".to_vec()),
        ("request_line_too_long", long_line.into_bytes()),
        ("headers_too_large", long_headers.into_bytes()),
        ("tls_hello", tls_hello),
        ("binary_garbage", garbage),
    ];

    let server = Server::start("m6");
    for (name, request) in &cases {
        let response = server.send(request);
        insta::assert_snapshot!(format!("hostile_{name}"), response.escaped());
        assert_eq!(
            server.get("/").status_line(),
            "HTTP/1.1 200 OK",
            "after {name}"
        );
    }
    // One line on stderr for each, and nothing panicked.
    server.wait_until("a line for every refusal", |s| {
        s.stderr().matches("; answering HTTP/1.1 ").count() == cases.len()
    });
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
}

#[test]
fn empty_connections_are_closed_quietly() {
    let server = Server::start("m6");
    for _ in 0..10 {
        drop(server.connect());
    }
    assert_eq!(server.get("/").status_line(), "HTTP/1.1 200 OK");
    server.wait_until("10 closed connections", |s| {
        s.stderr()
            .matches("hung up without sending a byte; closing the connection")
            .count()
            == 10
    });
    assert!(!server.stderr().contains("panicked"));
}

#[test]
fn idle_clients_cannot_pin_the_workers() {
    // Browsers open connections they may never use. Four of them would
    // hold all four workers for ever without a read timeout.
    let server = Server::start("m6");
    let mut idle: Vec<TcpStream> = (0..4).map(|_| server.connect()).collect();
    server.wait_for_stdout(" got a job; executing.", 4);

    let start = Instant::now();
    assert_eq!(server.get("/").status_line(), "HTTP/1.1 200 OK");
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );

    for stream in &mut idle {
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).expect("closed by the server");
        assert!(rest.is_empty(), "an idle client got {rest:?}");
    }
    server.wait_until("4 idle connections closed", |s| {
        s.stderr()
            .matches("sent nothing for 5s; closing the connection")
            .count()
            == 4
    });
}

#[test]
fn a_slow_request_gets_request_timeout() {
    let server = Server::start("m6");
    let mut stream = server.connect();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: slow").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8(response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 408 REQUEST TIMEOUT\r\n"),
        "{response}"
    );
}

#[test]
fn a_client_sending_a_byte_a_second_gets_request_timeout_in_time() {
    // Each byte arrives well within a 5 s read timeout: only a deadline for
    // the whole request stops this client from holding its worker for hours.
    let server = Server::start("m6");
    let mut stream = server.connect();
    let start = Instant::now();
    let mut sent = 0;
    for byte in b"GET / HTTP/1.1\r\nHost: trickle.example\r\n"
        .iter()
        .cycle()
    {
        if stream.write_all(&[*byte]).is_err() || start.elapsed() > Duration::from_secs(20) {
            break; // the server hung up, or the test gives up
        }
        sent += 1;
        std::thread::sleep(Duration::from_secs(1));
        if server.stderr().contains("did not finish its request") {
            break;
        }
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 408 REQUEST TIMEOUT\r\n"),
        "after {sent} bytes: {response:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
}

fn shuts_down_gracefully_on(signal: &str) {
    let mut server = Server::start("m6");
    let slow: Vec<_> = (0..3).map(|_| server.get_in_background("/sleep")).collect();
    server.wait_for_stdout(" got a job; executing.", 3);

    server.signal(signal);
    server.wait_for_stdout("Shutting down.", 1);
    // The listener is closed: new clients are refused, not left waiting.
    let refused = TcpStream::connect(server.addr).map(|_| ()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);

    // Every request in flight gets its complete page.
    for request in slow {
        let response = request.wait().0;
        assert_eq!(response.status_line(), "HTTP/1.1 200 OK");
        assert!(
            response.body().ends_with("</html>\n"),
            "{}",
            response.text()
        );
    }
    let status = server
        .wait_for_exit(Duration::from_secs(15))
        .expect("m6 exits");
    assert!(status.success(), "m6 exited with {status}");
    let stdout = server.stdout();
    for id in 0..4 {
        assert!(
            stdout.contains(&format!("Shutting down worker {id}\n")),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!("Worker {id} disconnected; shutting down.\n")),
            "{stdout}"
        );
    }
}

#[test]
fn ctrl_c_lets_requests_in_flight_finish_then_exits_0() {
    shuts_down_gracefully_on("INT");
}

#[test]
fn sigterm_lets_requests_in_flight_finish_then_exits_0() {
    shuts_down_gracefully_on("TERM");
}

#[test]
fn a_second_ctrl_c_exits_at_once_with_130() {
    let mut server = Server::start("m6");
    let _slow = server.get_in_background("/sleep");
    server.wait_for_stdout(" got a job; executing.", 1);

    let start = Instant::now();
    server.signal("INT");
    server.wait_for_stdout("Shutting down.", 1);
    server.signal("INT");
    let status = server
        .wait_for_exit(Duration::from_secs(15))
        .expect("m6 exits");

    assert_eq!(status.code(), Some(130));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
    server.wait_for_stderr("Signalled again: exiting without waiting for the workers.");
}

#[test]
fn zero_workers_is_explained_in_one_line() {
    Command::new(binary("m6"))
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
fn pool_build_refuses_zero() {
    assert!(ThreadPool::build(0).is_err());
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
fn dropping_the_pool_runs_every_queued_job_first() {
    let count = Arc::new(AtomicUsize::new(0));
    let pool = ThreadPool::build(4).unwrap();
    for _ in 0..1000 {
        let count = Arc::clone(&count);
        pool.execute(move || {
            count.fetch_add(1, Ordering::SeqCst);
        });
    }
    drop(pool);
    assert_eq!(count.load(Ordering::SeqCst), 1000);
}

#[test]
fn panicking_jobs_leave_every_worker_alive() {
    let pool = ThreadPool::build(4).unwrap();
    for i in 0..1000 {
        pool.execute(move || panic!("job {i} panics on purpose"));
    }
    // All four workers are still there: four jobs can run at once.
    support::assert_jobs_run_in_parallel(4, |job| pool.execute(job));
}

#[test]
fn passes_the_checks_of_m6() {
    crate::checks::assert_passes_its_checks("m6");
}
