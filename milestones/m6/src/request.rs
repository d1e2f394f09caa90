//! Never trust the client: read its request within one deadline and a size
//! limit, serve only a well-formed `GET`, and refuse anything else with the
//! status that says why, a line in the log, and a bounded goodbye.

use std::{
    io::{self, ErrorKind, Read, Write},
    net::{Shutdown, TcpStream},
    time::{Duration, Instant},
};

// ANCHOR: limits
/// How long a worker may wait for a client, in all: for its request, for it
/// to take the answer, and for it to stop sending after a refusal.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The most a request line and its headers together may take.
const MAX_HEAD: usize = 8 * 1024;
/// The most a refused client may still send before the connection closes.
const MAX_DRAIN: u64 = 1024 * 1024;
// ANCHOR_END: limits

const BAD_REQUEST: &str = "HTTP/1.1 400 BAD REQUEST";
const METHOD_NOT_ALLOWED: &str = "HTTP/1.1 405 METHOD NOT ALLOWED";
const REQUEST_TIMEOUT: &str = "HTTP/1.1 408 REQUEST TIMEOUT";
const URI_TOO_LONG: &str = "HTTP/1.1 414 URI TOO LONG";
const HEADERS_TOO_LARGE: &str = "HTTP/1.1 431 REQUEST HEADER FIELDS TOO LARGE";
pub const INTERNAL_ERROR: &str = "HTTP/1.1 500 INTERNAL SERVER ERROR";
const VERSION_NOT_SUPPORTED: &str = "HTTP/1.1 505 HTTP VERSION NOT SUPPORTED";

// ANCHOR: client
/// A client's connection, and the one deadline for everything the client
/// can make a worker wait for.
pub struct Client {
    stream: TcpStream,
    /// When the worker stops waiting for this client: `TIMEOUT` after it
    /// took the connection. Every read and every write waits until then at
    /// most, however the client spreads its bytes.
    deadline: Instant,
    /// The client's address, for the log.
    addr: String,
}

impl Read for Client {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let time_left = self.deadline.saturating_duration_since(Instant::now());
        if time_left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(time_left))?;
        self.stream.read(buf)
    }
}

impl Write for Client {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Past the deadline a write still gets 1 ms (`set_write_timeout`
        // refuses zero): enough to hand a short answer to the kernel, too
        // little to wait for a client that does not read.
        let time_left = self.deadline.saturating_duration_since(Instant::now());
        let time_left = time_left.max(Duration::from_millis(1));
        self.stream.set_write_timeout(Some(time_left))?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}
// ANCHOR_END: client

/// Why a connection gets no page.
pub enum Refusal {
    /// The client sent nothing: close without answering.
    Close(String),
    /// The client sent something we will not serve: answer with this status.
    Answer(&'static str, String),
}

impl Client {
    /// The deadline starts now, when a worker takes the connection.
    pub fn new(stream: TcpStream) -> Client {
        let addr = match stream.peer_addr() {
            Ok(addr) => addr.to_string(),
            Err(_) => "a client".to_string(),
        };
        Client {
            stream,
            deadline: Instant::now() + TIMEOUT,
            addr,
        }
    }

    // ANCHOR: read_request
    /// Reads the request line and the headers, `MAX_HEAD` bytes at most, and
    /// returns the target of a well-formed `GET` request, such as `/sleep`.
    pub fn read_request(&mut self) -> Result<String, Refusal> {
        let mut head = Vec::new();
        let mut buffer = [0; 1024];

        let end = loop {
            let end = end_of_head(&head);
            // Text protocols have no control bytes; TLS and binary garbage
            // do, from their first bytes on. A body may have any bytes: only
            // the head is checked.
            let control = |b: &u8| b.is_ascii_control() && !b"\r\n\t".contains(b);
            if head[..end.unwrap_or(head.len())].iter().any(control) {
                return Err(Refusal::Answer(
                    BAD_REQUEST,
                    "sent control bytes: this is not HTTP/1".into(),
                ));
            }
            if let Some(end) = end {
                break end;
            }
            // Never read past `MAX_HEAD`: what the client sent decides the
            // answer, not how its bytes were split into reads.
            if head.len() >= MAX_HEAD {
                return Err(match head.contains(&b'\n') {
                    true => Refusal::Answer(
                        HEADERS_TOO_LARGE,
                        format!("sent more than {MAX_HEAD} bytes of headers"),
                    ),
                    false => Refusal::Answer(
                        URI_TOO_LONG,
                        format!("sent a request line over {MAX_HEAD} bytes"),
                    ),
                });
            }
            let room = buffer.len().min(MAX_HEAD - head.len());
            match self.read(&mut buffer[..room]) {
                Ok(0) if head.is_empty() => {
                    return Err(Refusal::Close("hung up without sending a byte".into()));
                }
                Ok(0) => break head.len(), // the client stopped sending: make do with what came
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
        };
        // Bytes after the head are a body, which a `GET` does not need.
        parse(&head[..end])
    }
    // ANCHOR_END: read_request

    /// Sends a page: the status line, the headers, and `contents`.
    pub fn respond(mut self, status_line: &str, contents: &str) {
        if let Err(err) = self.send(status_line, "", contents) {
            self.log(&format!("cannot send the response: {err}"));
        }
    }

    // ANCHOR: refuse
    /// Says why in the log, then closes, or answers with the status and lets
    /// the client finish sending.
    pub fn refuse(mut self, refusal: Refusal) {
        let (status_line, why) = match refusal {
            Refusal::Close(why) => return self.log(&format!("{why}; closing the connection")),
            Refusal::Answer(status_line, why) => (status_line, why),
        };
        self.log(&format!("{why}; answering {status_line}"));
        // A 405 names the methods that are allowed.
        let allow = match status_line {
            METHOD_NOT_ALLOWED => "Allow: GET\r\n",
            _ => "",
        };
        // A refusal has no page of its own: its body is its status.
        let contents = format!("{}\n", &status_line["HTTP/1.1 ".len()..]);
        if let Err(err) = self.send(status_line, allow, &contents) {
            return self.log(&format!("cannot send the response: {err}"));
        }
        // A refused client may still be sending. Closing with unread bytes
        // makes the kernel reset the connection, which can destroy the
        // answer before the client reads it: let the client finish first,
        // within `MAX_DRAIN` bytes and the same deadline.
        let _ = self.stream.shutdown(Shutdown::Write);
        let _ = io::copy(&mut (&mut self).take(MAX_DRAIN), &mut io::sink());
    }
    // ANCHOR_END: refuse

    fn send(&mut self, status_line: &str, headers: &str, contents: &str) -> io::Result<()> {
        let length = contents.len();
        // `Connection: close` tells clients that expect to reuse the
        // connection (wrk, browsers) that this server closes it after every
        // response.
        let response = format!(
            "{status_line}\r\n{headers}Content-Length: {length}\r\nConnection: close\r\n\r\n{contents}"
        );
        self.write_all(response.as_bytes())
    }

    // ANCHOR: log
    /// Writes a line about this client on stderr. Not `eprintln!`, which
    /// panics when stderr is gone (a closed pipe, a full disk): a lost log
    /// line must not cost the request, nor the worker.
    fn log(&self, line: &str) {
        let _ = writeln!(io::stderr(), "{}: {line}", self.addr);
    }
    // ANCHOR_END: log
}

fn timed_out(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Where the head ends: just after the blank line that ends the headers,
/// `\r\n` or, from netcat, `\n`.
fn end_of_head(head: &[u8]) -> Option<usize> {
    (0..head.len()).find_map(|i| match &head[i..] {
        [b'\n', b'\n', ..] => Some(i + 2),
        [b'\n', b'\r', b'\n', ..] => Some(i + 3),
        _ => None,
    })
}

// ANCHOR: parse
/// Checks the head, and returns the target of a well-formed `GET`.
fn parse(head: &[u8]) -> Result<String, Refusal> {
    let bad = |why: &str| Refusal::Answer(BAD_REQUEST, why.to_string());
    // A carriage return ends a line only before a line feed: alone, it
    // could make another program see two lines where we see one.
    let lone_cr = |(i, &b): (usize, &u8)| b == b'\r' && head.get(i + 1) != Some(&b'\n');
    if head.iter().enumerate().any(lone_cr) {
        return Err(bad("sent a carriage return without a line feed"));
    }
    let Some(line_end) = head.iter().position(|&b| b == b'\n') else {
        return Err(bad("hung up before the end of the request line"));
    };
    let Ok(request_line) = std::str::from_utf8(&head[..line_end]) else {
        return Err(bad("sent a request line that is not UTF-8"));
    };
    let request_line = request_line.strip_suffix('\r').unwrap_or(request_line);

    // A request line is three words: `GET /sleep HTTP/1.1`. What the client
    // sent reaches the log escaped (`{:?}`, `escape_debug`), so that it
    // cannot move the cursor or fake a line of its own.
    let words: Vec<&str> = request_line.split(' ').collect();
    let [method, target, version] = words[..] else {
        return Err(bad(&format!(
            "sent a malformed request line {request_line:?}"
        )));
    };
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(match version.starts_with("HTTP/") {
            true => Refusal::Answer(
                VERSION_NOT_SUPPORTED,
                format!("asked for {}", version.escape_debug()),
            ),
            false => bad(&format!("sent a malformed request line {request_line:?}")),
        });
    }
    if method != "GET" {
        return Err(Refusal::Answer(
            METHOD_NOT_ALLOWED,
            format!(
                "asked to {} {}",
                method.escape_debug(),
                target.escape_debug()
            ),
        ));
    }
    Ok(target.to_string())
}
// ANCHOR_END: parse
