//! A raw HTTP/1.1 client for the checks: it sends exact bytes, reads until
//! the server closes the connection, and gives up at a deadline or a size
//! limit, so that no server can hang or flood the checker.

use std::{
    io::{ErrorKind, Read, Write},
    net::{SocketAddr, TcpStream},
    thread::{self, JoinHandle},
    time::{Duration, Instant},
};

/// The most of a response the checker reads.
pub const RESPONSE_LIMIT: usize = 1024 * 1024;

/// A request as curl sends it: `GET {path} HTTP/1.1` and three headers.
pub fn get(path: &str, addr: SocketAddr) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: course-check\r\nAccept: */*\r\n\r\n"
    )
    .into_bytes()
}

/// What happened to one request.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub sent: Vec<u8>,
    pub received: Vec<u8>,
    /// From connecting to the end of the answer (or to the failure).
    pub took: Duration,
    /// How the exchange ended, when it did not end with the server closing
    /// the connection after an answer.
    pub failure: Option<Failure>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Nobody accepted the connection.
    Refused(String),
    /// The deadline passed before the server closed the connection.
    TimedOut(Duration),
    /// The server reset the connection.
    Reset,
    /// The answer was longer than [`RESPONSE_LIMIT`].
    TooLong,
}

impl Exchange {
    /// The response, if the bytes received are one.
    pub fn response(&self) -> Option<Response> {
        Response::parse(&self.received)
    }

    /// One line on how the exchange ended, for a failure message.
    pub fn ending(&self) -> String {
        match &self.failure {
            Some(Failure::Refused(e)) => format!("the connection was refused ({e})"),
            Some(Failure::TimedOut(limit)) if self.received.is_empty() => {
                format!("no answer within {} s", limit.as_secs_f64())
            }
            Some(Failure::TimedOut(limit)) => format!(
                "the server sent {} bytes but did not close the connection within {} s",
                self.received.len(),
                limit.as_secs_f64()
            ),
            Some(Failure::Reset) => "the server reset the connection".to_string(),
            Some(Failure::TooLong) => format!("the answer is longer than {RESPONSE_LIMIT} bytes"),
            None if self.received.is_empty() => {
                "the server closed the connection without sending a byte".to_string()
            }
            None => "the server answered and closed the connection".to_string(),
        }
    }
}

/// Connects, sends `request`, and reads until the server closes, at most
/// `limit` in all.
pub fn exchange(addr: SocketAddr, request: &[u8], limit: Duration) -> Exchange {
    in_background(addr, request, limit).wait()
}

/// An exchange running on a thread of its own, started now.
pub struct Background(JoinHandle<Exchange>);

impl Background {
    pub fn wait(self) -> Exchange {
        self.0.join().expect("the exchange thread does not panic")
    }

    pub fn is_finished(&self) -> bool {
        self.0.is_finished()
    }
}

/// Connects and sends now, so the request is in the server's queue when this
/// returns; reads the answer on another thread.
pub fn in_background(addr: SocketAddr, request: &[u8], limit: Duration) -> Background {
    let start = Instant::now();
    let request = request.to_vec();
    let connected = TcpStream::connect_timeout(&addr, limit.min(Duration::from_secs(5)));
    if let Ok(stream) = &connected {
        let _ = stream.set_write_timeout(Some(limit));
        // A server that closes early may still have answered: read on.
        let _ = (&*stream).write_all(&request);
    }
    Background(thread::spawn(move || {
        let mut exchange = Exchange {
            sent: request,
            received: Vec::new(),
            took: Duration::ZERO,
            failure: None,
        };
        match connected {
            Ok(stream) => {
                let end = read_until_closed(stream, start + limit, &mut exchange.received);
                exchange.failure = end.err().map(|f| match f {
                    Failure::TimedOut(_) => Failure::TimedOut(limit),
                    other => other,
                });
            }
            Err(e) => exchange.failure = Some(Failure::Refused(e.kind().to_string())),
        }
        exchange.took = start.elapsed();
        exchange
    }))
}

fn read_until_closed(
    mut stream: TcpStream,
    deadline: Instant,
    received: &mut Vec<u8>,
) -> Result<(), Failure> {
    let mut buf = [0; 8192];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::TimedOut(Duration::ZERO));
        }
        stream.set_read_timeout(Some(left)).ok();
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                if received.len() + n > RESPONSE_LIMIT {
                    return Err(Failure::TooLong);
                }
                received.extend_from_slice(&buf[..n]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(Failure::TimedOut(Duration::ZERO));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Err(Failure::Reset),
        }
    }
}

/// A response split into its parts.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// Splits the bytes at the first blank line (`\r\n\r\n`); `None` when
    /// there is none.
    pub fn parse(raw: &[u8]) -> Option<Response> {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[..end]);
        let mut lines = head.split("\r\n");
        let status_line = lines.next()?.to_string();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Some(Response {
            status_line,
            headers,
            body: raw[end + 4..].to_vec(),
        })
    }

    /// The value of a header, whatever the case of its name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Bytes as a quoted string with `\r`, `\n`, `\t`, quotes and any other
/// control or non-ASCII byte escaped, cut after `max` bytes:
/// `"HTTP/1.1 200 OK\r\n…"`.
pub fn quote(bytes: &[u8], max: usize) -> String {
    let mut out = String::from("\"");
    for &b in bytes.iter().take(max) {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    if bytes.len() > max {
        out.push_str(&format!(" … ({} bytes in all)", bytes.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_response_is_split_at_the_blank_line() {
        let r = Response::parse(b"HTTP/1.1 200 OK\r\nContent-length: 2\r\n\r\nhi").unwrap();
        assert_eq!(r.status_line, "HTTP/1.1 200 OK");
        assert_eq!(r.header("Content-Length"), Some("2"));
        assert_eq!(r.body, b"hi");
        assert_eq!(Response::parse(b"HTTP/1.1 200 OK\r\n"), None);
    }

    #[test]
    fn quoting_shows_every_byte() {
        assert_eq!(
            quote(b"GET / HTTP/1.1\r\n\r\n", 100),
            r#""GET / HTTP/1.1\r\n\r\n""#
        );
        assert_eq!(quote(b"\x16\x03\"", 100), r#""\x16\x03\"""#);
        assert_eq!(quote(b"abcdef", 3), "\"abc\" … (6 bytes in all)");
    }

    #[test]
    fn a_server_that_never_answers_costs_the_deadline_only() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let start = Instant::now();
        let e = exchange(addr, b"GET / HTTP/1.1\r\n\r\n", Duration::from_millis(300));
        assert!(start.elapsed() < Duration::from_secs(3));
        assert_eq!(
            e.failure,
            Some(Failure::TimedOut(Duration::from_millis(300)))
        );
        assert_eq!(e.ending(), "no answer within 0.3 s");
    }

    #[test]
    fn a_flood_is_cut_at_the_limit() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let chunk = vec![b'x'; 65536];
            while s.write_all(&chunk).is_ok() {}
        });
        let e = exchange(addr, b"GET / HTTP/1.1\r\n\r\n", Duration::from_secs(20));
        assert_eq!(e.failure, Some(Failure::TooLong));
        assert!(e.received.len() <= RESPONSE_LIMIT);
    }
}
