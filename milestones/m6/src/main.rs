use m6::ThreadPool;
use std::{
    env, fs,
    io::{self, ErrorKind, prelude::*},
    net::{Shutdown, TcpListener, TcpStream},
    path::Path,
    process,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

const OK: &str = "HTTP/1.1 200 OK";
const BAD_REQUEST: &str = "HTTP/1.1 400 BAD REQUEST";
const NOT_FOUND: &str = "HTTP/1.1 404 NOT FOUND";
const METHOD_NOT_ALLOWED: &str = "HTTP/1.1 405 METHOD NOT ALLOWED";
const REQUEST_TIMEOUT: &str = "HTTP/1.1 408 REQUEST TIMEOUT";
const URI_TOO_LONG: &str = "HTTP/1.1 414 URI TOO LONG";
const HEADERS_TOO_LARGE: &str = "HTTP/1.1 431 REQUEST HEADER FIELDS TOO LARGE";
const INTERNAL_ERROR: &str = "HTTP/1.1 500 INTERNAL SERVER ERROR";
const VERSION_NOT_SUPPORTED: &str = "HTTP/1.1 505 HTTP VERSION NOT SUPPORTED";

/// The most a request line and its headers together may take.
const MAX_HEAD: usize = 8 * 1024;
/// How long a client may take to send its whole request, or to take our
/// response.
const TIMEOUT: Duration = Duration::from_secs(5);

fn main() {
    let addr = env::args().nth(1).unwrap_or("127.0.0.1:7878".to_string());
    let size = env::args().nth(2).map_or(Ok(4), |size| size.parse());
    let size = size.unwrap_or_else(|err| {
        eprintln!("error: WORKERS must be a whole number, such as 4: {err}");
        process::exit(2);
    });
    let listener = TcpListener::bind(&addr).unwrap_or_else(|err| {
        eprintln!("error: cannot listen on {addr}: {err}");
        process::exit(1);
    });
    // `build` returns an error instead of panicking: we explain it and exit.
    let pool = ThreadPool::build(size).unwrap_or_else(|err| {
        eprintln!("error: {err}; pass WORKERS of 1 or more after the address, e.g. {addr} 4");
        process::exit(2);
    });
    println!("Listening on http://{}", listener.local_addr().unwrap());

    // Ctrl-C (SIGINT) and SIGTERM run this handler on a thread of its own.
    // It raises a flag, then wakes the main thread, which is blocked in
    // `accept`, with a connection of its own. A second signal does not wait.
    let shutting_down = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&shutting_down);
    let wake_up = listener.local_addr().unwrap();
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            eprintln!("Signalled again: exiting without waiting for the workers.");
            process::exit(130);
        }
        let _ = TcpStream::connect(wake_up);
    })
    .expect("no other signal handler is installed");

    for stream in listener.incoming() {
        if shutting_down.load(Ordering::SeqCst) {
            break;
        }
        match stream {
            Ok(stream) => pool.execute(|| {
                handle_connection(stream);
            }),
            Err(err) => eprintln!("error: cannot accept a connection: {err}"),
        }
    }

    // Stop listening first, so that new clients are refused at once rather
    // than left waiting; then dropping the pool waits for every job queued.
    drop(listener);
    println!("Shutting down.");
}

fn handle_connection(mut stream: TcpStream) {
    let client = match stream.peer_addr() {
        Ok(addr) => addr.to_string(),
        Err(_) => "a client".to_string(),
    };
    // A client that sends nothing, or never reads, holds its worker for
    // `TIMEOUT` at most.
    let timeouts = stream.set_read_timeout(Some(TIMEOUT));
    if let Err(err) = timeouts.and(stream.set_write_timeout(Some(TIMEOUT))) {
        eprintln!("{client}: cannot set timeouts: {err}");
        return;
    }

    let (status_line, filename) = match read_request(&mut stream) {
        Ok(target) => route(&target),
        Err(Refusal::Close(why)) => {
            eprintln!("{client}: {why}; closing the connection");
            return;
        }
        Err(Refusal::Answer(status_line, why)) => {
            eprintln!("{client}: {why}; answering {status_line}");
            (status_line, None)
        }
    };

    // A refusal has no page of its own: its body is its status.
    let contents = match filename {
        Some(filename) => fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(filename)),
        None => Ok(format!("{}\n", &status_line["HTTP/1.1 ".len()..])),
    };
    let (status_line, contents) = match contents {
        Ok(contents) => (status_line, contents),
        Err(err) => {
            eprintln!("{client}: cannot read {filename:?}: {err}");
            (INTERNAL_ERROR, "500 INTERNAL SERVER ERROR\n".to_string())
        }
    };
    let length = contents.len();

    // `Connection: close` tells clients that expect to reuse the connection
    // (wrk, browsers) that this server closes it after every response.
    let response =
        format!("{status_line}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{contents}");

    if let Err(err) = stream.write_all(response.as_bytes()) {
        eprintln!("{client}: cannot send the response: {err}");
        return;
    }

    if filename.is_none() {
        // A refused client may still be sending. Closing with unread bytes
        // makes the kernel reset the connection, which can destroy the
        // answer before the client reads it: let the client finish first.
        let _ = stream.shutdown(Shutdown::Write);
        let _ = io::copy(&mut (&stream).take(1024 * 1024), &mut io::sink());
    }
}

/// Why a connection gets no page.
enum Refusal {
    /// The client sent nothing: close without answering.
    Close(String),
    /// The client sent something we will not serve: answer with this status.
    Answer(&'static str, String),
}

/// Reads the request line and the headers, `MAX_HEAD` bytes at most, and
/// returns the target of a well-formed `GET` request, such as `/sleep`.
fn read_request(stream: &mut TcpStream) -> Result<String, Refusal> {
    let mut head = Vec::new();
    let mut buffer = [0; 1024];
    let timed_out =
        |err: &io::Error| matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut);

    // A deadline for the whole request, not a timeout per read: a client
    // that sends one byte every few seconds must not hold a worker for hours.
    let deadline = Instant::now() + TIMEOUT;

    // The headers end with a blank line, `\r\n` or, from netcat, `\n`.
    while !(head.windows(2).any(|w| w == b"\n\n") || head.windows(3).any(|w| w == b"\n\r\n")) {
        let time_left = deadline.saturating_duration_since(Instant::now());
        // `set_read_timeout` refuses a zero duration: wait at least 1 ms.
        let time_left = time_left.max(Duration::from_millis(1));
        let read = stream
            .set_read_timeout(Some(time_left))
            .and_then(|()| stream.read(&mut buffer));
        match read {
            Ok(0) if head.is_empty() => {
                return Err(Refusal::Close("hung up without sending a byte".into()));
            }
            Ok(0) => break, // the client stopped sending: make do with what came
            Ok(n) => head.extend_from_slice(&buffer[..n]),
            Err(err) if timed_out(&err) && head.is_empty() => {
                return Err(Refusal::Close(format!("sent nothing for {TIMEOUT:?}")));
            }
            Err(err) if timed_out(&err) => {
                return Err(Refusal::Answer(
                    REQUEST_TIMEOUT,
                    format!("did not finish its request in {TIMEOUT:?}"),
                ));
            }
            Err(err) => return Err(Refusal::Close(format!("cannot read the request: {err}"))),
        }
        // Text protocols have no control bytes; TLS and binary garbage do.
        if head
            .iter()
            .any(|&b| b.is_ascii_control() && !b"\r\n\t".contains(&b))
        {
            return Err(Refusal::Answer(
                BAD_REQUEST,
                "sent control bytes: this is not HTTP/1".into(),
            ));
        }
        if head.len() > MAX_HEAD {
            return Err(if head[..MAX_HEAD].contains(&b'\n') {
                Refusal::Answer(
                    HEADERS_TOO_LARGE,
                    format!("sent more than {MAX_HEAD} bytes of headers"),
                )
            } else {
                Refusal::Answer(
                    URI_TOO_LONG,
                    format!("sent a request line over {MAX_HEAD} bytes"),
                )
            });
        }
    }

    let bad = |why: String| Refusal::Answer(BAD_REQUEST, why);
    let Some(line_end) = head.iter().position(|&b| b == b'\n') else {
        return Err(bad("hung up before the end of the request line".into()));
    };
    let Ok(request_line) = std::str::from_utf8(&head[..line_end]) else {
        return Err(bad("sent a request line that is not UTF-8".into()));
    };
    let request_line = request_line.trim_end_matches('\r');

    // A request line is three words: `GET /sleep HTTP/1.1`.
    let words: Vec<&str> = request_line.split(' ').collect();
    let [method, target, version] = words[..] else {
        return Err(bad(format!(
            "sent a malformed request line {request_line:?}"
        )));
    };
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(match version.starts_with("HTTP/") {
            true => Refusal::Answer(VERSION_NOT_SUPPORTED, format!("asked for {version}")),
            false => bad(format!("sent a malformed request line {request_line:?}")),
        });
    }
    if method != "GET" {
        return Err(Refusal::Answer(
            METHOD_NOT_ALLOWED,
            format!("asked to {method} {target}"),
        ));
    }
    Ok(target.to_string())
}

/// The status line and the page that answer a `GET` of `target`.
fn route(target: &str) -> (&'static str, Option<&'static str>) {
    match target {
        "/" => (OK, Some("hello.html")),
        "/sleep" => {
            // The book sleeps 5 s; the classroom tools shorten it with SLEEP_MS.
            let ms = env::var("SLEEP_MS").map_or(5000, |ms| ms.parse().unwrap_or(5000));
            thread::sleep(Duration::from_millis(ms));
            (OK, Some("hello.html"))
        }
        _ => (NOT_FOUND, Some("404.html")),
    }
}
