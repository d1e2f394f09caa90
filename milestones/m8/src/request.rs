//! Never trust the client: read its request within one deadline and a size
//! limit, serve only a well-formed `GET`, and refuse anything else with the
//! status that says why, an event in the log, and a bounded goodbye.

use std::time::Duration;
use tokio::{
    io::{self, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ErrorKind},
    time::{Instant, timeout_at},
};
use tracing::info;

// ANCHOR: limits
/// How long a task may wait for a client, in all: for its request, for it
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
const VERSION_NOT_SUPPORTED: &str = "HTTP/1.1 505 HTTP VERSION NOT SUPPORTED";

// ANCHOR: client
/// A client's connection, and the one deadline for everything the client
/// can make a task wait for. Any stream will do: a `TcpStream`, or in the
/// tests a scripted one.
pub struct Client<S> {
    stream: S,
    /// When the task stops waiting for this client: `TIMEOUT` after it took
    /// the connection. Every read and every write waits until then at most,
    /// however the client spreads its bytes.
    deadline: Instant,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// Reads what the client sent, waiting until the deadline at most.
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match timeout_at(self.deadline, self.stream.read(buf)).await {
            Ok(read) => read,
            Err(_) => Err(ErrorKind::TimedOut.into()),
        }
    }

    /// Writes all of `buf`, waiting until the deadline at most.
    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        // Past the deadline a write still gets 1 ms: enough to hand a short
        // answer to the kernel, too little to wait for a client that does
        // not read.
        let deadline = self.deadline.max(Instant::now() + Duration::from_millis(1));
        match timeout_at(deadline, self.stream.write_all(buf)).await {
            Ok(written) => written,
            Err(_) => Err(ErrorKind::TimedOut.into()),
        }
    }
}
// ANCHOR_END: client

// ANCHOR: refusal
/// Why a connection gets no page: a reason from a fixed list, which the
/// metrics count, and the details, which only the log shows.
#[derive(Debug, PartialEq)]
pub struct Refusal {
    pub reason: Reason,
    pub why: String,
}

/// Every reason to refuse a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    HungUp,
    Idle,
    ReadError,
    NotHttp,
    UriTooLong,
    HeadersTooLarge,
    Timeout,
    Malformed,
    Version,
    Method,
}

impl Reason {
    /// The reason's name in the log and in the metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::HungUp => "hung_up",
            Reason::Idle => "idle",
            Reason::ReadError => "read_error",
            Reason::NotHttp => "not_http",
            Reason::UriTooLong => "uri_too_long",
            Reason::HeadersTooLarge => "headers_too_large",
            Reason::Timeout => "timeout",
            Reason::Malformed => "malformed",
            Reason::Version => "version",
            Reason::Method => "method",
        }
    }

    /// The status to answer with, or `None` to close without answering: the
    /// client sent nothing, or cannot be read from.
    pub fn status_line(self) -> Option<&'static str> {
        match self {
            Reason::HungUp | Reason::Idle | Reason::ReadError => None,
            Reason::NotHttp | Reason::Malformed => Some(BAD_REQUEST),
            Reason::Method => Some(METHOD_NOT_ALLOWED),
            Reason::Timeout => Some(REQUEST_TIMEOUT),
            Reason::UriTooLong => Some(URI_TOO_LONG),
            Reason::HeadersTooLarge => Some(HEADERS_TOO_LARGE),
            Reason::Version => Some(VERSION_NOT_SUPPORTED),
        }
    }
}

fn refusal(reason: Reason, why: impl Into<String>) -> Refusal {
    Refusal {
        reason,
        why: why.into(),
    }
}
// ANCHOR_END: refusal

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// The deadline starts now, when a task takes the connection.
    pub fn new(stream: S) -> Client<S> {
        Client {
            stream,
            deadline: Instant::now() + TIMEOUT,
        }
    }

    // ANCHOR: read_request
    /// Reads the request line and the headers, `MAX_HEAD` bytes at most, and
    /// returns the target of a well-formed `GET` request, such as `/sleep`.
    pub async fn read_request(&mut self) -> Result<String, Refusal> {
        let mut head = Vec::new();
        let mut buffer = [0; 1024];

        let end = loop {
            let end = end_of_head(&head);
            // Text protocols have no control bytes; TLS and binary garbage
            // do, from their first bytes on. A body may have any bytes: only
            // the head is checked.
            let control = |b: &u8| b.is_ascii_control() && !b"\r\n\t".contains(b);
            if head[..end.unwrap_or(head.len())].iter().any(control) {
                return Err(refusal(
                    Reason::NotHttp,
                    "sent control bytes: this is not HTTP/1",
                ));
            }
            if let Some(end) = end {
                break end;
            }
            // Never read past `MAX_HEAD`: what the client sent decides the
            // answer, not how its bytes were split into reads.
            if head.len() >= MAX_HEAD {
                return Err(match head.contains(&b'\n') {
                    true => refusal(
                        Reason::HeadersTooLarge,
                        format!("sent more than {MAX_HEAD} bytes of headers"),
                    ),
                    false => refusal(
                        Reason::UriTooLong,
                        format!("sent a request line over {MAX_HEAD} bytes"),
                    ),
                });
            }
            let room = buffer.len().min(MAX_HEAD - head.len());
            match self.read(&mut buffer[..room]).await {
                Ok(0) if head.is_empty() => {
                    return Err(refusal(Reason::HungUp, "hung up without sending a byte"));
                }
                Ok(0) => break head.len(), // the client stopped sending: make do with what came
                Ok(n) => head.extend_from_slice(&buffer[..n]),
                Err(err) if timed_out(&err) && head.is_empty() => {
                    return Err(refusal(
                        Reason::Idle,
                        format!("sent nothing for {TIMEOUT:?}"),
                    ));
                }
                Err(err) if timed_out(&err) => {
                    return Err(refusal(
                        Reason::Timeout,
                        format!("did not finish its request in {TIMEOUT:?}"),
                    ));
                }
                Err(err) => {
                    return Err(refusal(
                        Reason::ReadError,
                        format!("cannot read the request: {err}"),
                    ));
                }
            }
        };
        // Bytes after the head are a body, which a `GET` does not need.
        parse(&head[..end])
    }
    // ANCHOR_END: read_request

    // ANCHOR: refuse
    /// Says why in the log, then closes, or answers with the status and lets
    /// the client finish sending.
    pub async fn refuse(&mut self, refusal: Refusal) {
        // ANCHOR: refused
        // One event for each refusal, with the reason as a field of its own.
        let (reason, why) = (refusal.reason.as_str(), refusal.why.as_str());
        let Some(status_line) = refusal.reason.status_line() else {
            return info!(reason, why, "refused");
        };
        // ANCHOR_END: refused
        let status = status_code(status_line);
        // A 405 names the methods that are allowed.
        let allow = match status_line {
            METHOD_NOT_ALLOWED => "Allow: GET\r\n",
            _ => "",
        };
        // A refusal has no page of its own: its body is its status.
        let contents = format!("{}\n", &status_line["HTTP/1.1 ".len()..]);
        if let Err(err) = self.respond(status_line, allow, &contents).await {
            return info!(reason, why, status, error = %err, "refused");
        }
        info!(reason, why, status, "refused");
        // A refused client may still be sending. Closing with unread bytes
        // makes the kernel reset the connection, which can destroy the
        // answer before the client reads it: let the client finish first,
        // within `MAX_DRAIN` bytes and the same deadline.
        let _ = self.stream.shutdown().await;
        let mut drained = 0;
        let mut buffer = [0; 1024];
        while drained < MAX_DRAIN {
            match self.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n as u64,
            }
        }
    }
    // ANCHOR_END: refuse

    /// Sends a page: the status line, the headers, and `contents`; returns
    /// how many bytes it sent.
    pub async fn respond(
        &mut self,
        status_line: &str,
        headers: &str,
        contents: &str,
    ) -> io::Result<usize> {
        let length = contents.len();
        // `Connection: close` tells clients that expect to reuse the
        // connection (wrk, browsers) that this server closes it after every
        // response.
        let response = format!(
            "{status_line}\r\n{headers}Content-Length: {length}\r\nConnection: close\r\n\r\n{contents}"
        );
        self.write_all(response.as_bytes()).await?;
        Ok(response.len())
    }
}

/// The number in a status line: 404 in `HTTP/1.1 404 NOT FOUND`.
pub fn status_code(status_line: &str) -> u16 {
    let code = status_line.split(' ').nth(1);
    code.and_then(|code| code.parse().ok()).unwrap_or(0)
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
    let bad = |why: &str| refusal(Reason::Malformed, why);
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
            true => refusal(
                Reason::Version,
                format!("asked for {}", version.escape_debug()),
            ),
            false => bad(&format!("sent a malformed request line {request_line:?}")),
        });
    }
    if method != "GET" {
        return Err(refusal(
            Reason::Method,
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
