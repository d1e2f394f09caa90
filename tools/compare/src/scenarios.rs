//! The four experiments, each against a freshly started milestone, and the
//! load generator they share: one new connection per request, the request
//! sent in one write, the answer read until the server closes. No connection
//! is ever left open without a request on it, so no scenario kills m1 the
//! way a load generator that abandons connections does.

use crate::server::{self, Model, Server};
use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use serde::Serialize;
use std::{
    io::{self, Read, Write},
    net::{SocketAddr, TcpStream},
    sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
    thread,
    time::{Duration, Instant},
};

/// What a scenario measured, by scenario. Times in milliseconds, memory in
/// KiB.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Metrics {
    Blocked {
        /// `/sleep` requests in flight before the fast `GET /`.
        blockers: u64,
        /// How long the fast `GET /` took.
        wait_ms: f64,
        /// What the model predicts: ⌊blockers / parallel⌋ × sleep.
        theory_ms: f64,
        /// The fast request waited more than half a sleep.
        blocked: bool,
    },
    Burst {
        /// `/sleep` requests sent at once.
        requests: u64,
        /// From the first connection to the last answer; `null` when the
        /// theory was too long to run.
        total_ms: Option<f64>,
        /// What the model predicts: ⌈requests / parallel⌉ × sleep.
        theory_ms: f64,
        /// total / theory: 1.00 is the theory exactly.
        ratio: Option<f64>,
    },
    Idle {
        /// Connections held open without a request.
        idle: u64,
        /// How long `GET /` took; `null` when it got no answer in time.
        wait_ms: Option<f64>,
        /// How long `GET /` was given.
        limit_ms: f64,
    },
    Throughput {
        /// Concurrent clients.
        concurrency: u64,
        /// Requests answered with 200.
        requests: u64,
        /// Requests that failed or got another status.
        errors: u64,
        seconds: f64,
        /// With several rounds: the median of theirs.
        requests_per_second: f64,
        /// Each round's requests per second, in the order they ran.
        requests_per_second_by_round: Vec<f64>,
        p50_ms: f64,
        p90_ms: f64,
        p99_ms: f64,
        max_ms: f64,
        /// CPU time (user + system) the server used per request, in µs;
        /// `null` where `/proc` cannot tell.
        server_cpu_us_per_request: Option<f64>,
        /// The same for the tool: its clients, and the threads that read
        /// what the server prints.
        tool_cpu_us_per_request: Option<f64>,
    },
    Memory {
        /// Connections sent `GET /sleep` and held open together.
        connections: u64,
        /// Resident memory right after start.
        baseline_kib: u64,
        /// Peak resident memory (VmHWM) once the connections were held.
        peak_kib: u64,
        /// Peak virtual memory (VmPeak): reserved, not necessarily used.
        peak_virtual_kib: u64,
        /// The most threads seen while the connections were held.
        peak_threads: u64,
        /// (peak − at start) / connections: what one held connection costs.
        per_connection_kib: f64,
    },
}

/// What a scenario did: requests answered and failed, and its measurements.
pub struct Run {
    pub answered: u64,
    pub errors: u64,
    pub metrics: Metrics,
}

/// How the throughput scenario stops: after exactly this many requests, or
/// once this time is up (requests in flight then still finish).
#[derive(Clone, Copy, Debug)]
pub enum Stop {
    Requests(u64),
    Duration(Duration),
}

/// The request curl sends, in one write, so the milestones' `BufReader` takes
/// it all and closing leaves no unread bytes behind.
fn request_bytes(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: compare\r\nAccept: */*\r\n\r\n")
        .into_bytes()
}

/// Connects and sends `GET {path}`; the answer is read later.
fn send(addr: SocketAddr, path: &str, patience: Duration) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(patience))?;
    stream.set_write_timeout(Some(patience))?;
    stream.write_all(&request_bytes(path))?;
    Ok(stream)
}

/// Reads the answer until the server closes; returns its status code. An
/// answer cut short (fewer bytes than its `Content-Length`) is an error.
fn answer(mut stream: TcpStream) -> io::Result<u16> {
    let mut bytes = Vec::with_capacity(512);
    stream.read_to_end(&mut bytes)?;
    let invalid = |why: &str| io::Error::new(io::ErrorKind::InvalidData, why.to_string());
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("no end of headers"))?;
    let head = String::from_utf8_lossy(&bytes[..split]);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("no HTTP status line"))?;
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .ok_or_else(|| invalid("no Content-Length"))?;
    if bytes.len() - split - 4 != length {
        return Err(invalid("body shorter or longer than its Content-Length"));
    }
    Ok(status)
}

/// One whole request on a new connection.
fn get(addr: SocketAddr, path: &str, patience: Duration) -> io::Result<u16> {
    answer(send(addr, path, patience)?)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

/// How long any one answer may take before the server counts as stuck: far
/// above what the theory predicts.
fn patience(theory: Duration) -> Duration {
    Duration::from_secs(10) + theory * 3
}

/// `blockers` `/sleep` requests in flight, then one `GET /`: how long does the
/// fast request wait?
pub fn blocked(server: &Server, model: Model, blockers: u64, sleep: Duration) -> Run {
    let theory = model.blocked_theory(blockers, sleep);
    let patience = patience(sleep * blockers as u32);
    let (mut answered, mut errors) = (0, 0);
    let mut wait = Duration::ZERO;
    thread::scope(|s| {
        // Each `/sleep` is connected and sent before the next one, so the
        // server sees them in this order, and all of them before `GET /`.
        let in_flight: Vec<_> = (0..blockers)
            .map(|_| send(server.addr, "/sleep", patience))
            .map(|sent| s.spawn(move || sent.and_then(answer)))
            .collect();
        let start = Instant::now();
        match get(server.addr, "/", patience) {
            Ok(200) => answered += 1,
            _ => errors += 1,
        }
        wait = start.elapsed();
        for request in in_flight {
            match request.join().unwrap() {
                Ok(200) => answered += 1,
                _ => errors += 1,
            }
        }
    });
    Run {
        answered,
        errors,
        metrics: Metrics::Blocked {
            blockers,
            wait_ms: ms(wait),
            theory_ms: ms(theory),
            blocked: wait > sleep / 2,
        },
    }
}

/// `requests` `/sleep` requests at once: how long until the last answer?
/// A few threads connect and send all of them first, then read the
/// answers, so that ten thousand clients cost the tool ten thousand
/// sockets, not ten thousand threads.
pub fn burst(
    server: &Server,
    model: Model,
    requests: u64,
    sleep: Duration,
    bar: &ProgressBar,
) -> Run {
    const SENDERS: u64 = 16;
    let theory = model.burst_theory(requests, sleep);
    let patience = patience(theory);
    let answered = AtomicU64::new(0);
    let start = Instant::now();
    thread::scope(|s| {
        for sender in 0..SENDERS.min(requests) {
            let (answered, start) = (&answered, start);
            let share = (sender..requests).step_by(SENDERS as usize).count();
            s.spawn(move || {
                let sent: Vec<_> = (0..share)
                    .map(|_| {
                        send(
                            server.addr,
                            "/sleep",
                            patience.saturating_sub(start.elapsed()),
                        )
                    })
                    .collect();
                for stream in sent {
                    if let Ok(200) = stream.and_then(answer) {
                        answered.fetch_add(1, Relaxed);
                    }
                    bar.inc(1);
                }
            });
        }
    });
    let total = start.elapsed();
    let answered = answered.into_inner();
    Run {
        answered,
        errors: requests - answered,
        metrics: Metrics::Burst {
            requests,
            total_ms: Some(ms(total)),
            theory_ms: ms(theory),
            ratio: Some((total.as_secs_f64() / theory.as_secs_f64() * 1000.0).round() / 1000.0),
        },
    }
}

/// How long `GET /` may wait behind idle connections.
pub const IDLE_LIMIT: Duration = Duration::from_secs(3);

/// `idle` connections that send nothing, then one `GET /`: does the server
/// still answer at once? (A browser keeps spare connections like these.)
pub fn idle(server: &Server, idle: u64) -> Run {
    let held: Vec<TcpStream> = (0..idle)
        .filter_map(|_| TcpStream::connect(server.addr).ok())
        .collect();
    let start = Instant::now();
    let answer = get(server.addr, "/", IDLE_LIMIT);
    let wait = start.elapsed();
    drop(held);
    let ok = matches!(answer, Ok(200));
    Run {
        answered: ok as u64,
        errors: !ok as u64,
        metrics: Metrics::Idle {
            idle,
            wait_ms: ok.then(|| ms(wait)),
            limit_ms: ms(IDLE_LIMIT),
        },
    }
}

/// `GET /` from `concurrency` clients, a new connection per request, until
/// `stop`: requests per second, latency percentiles, and the CPU time the
/// server and the tool each spent per request. Stops early if the server
/// dies.
pub fn throughput(server: &mut Server, concurrency: u64, stop: Stop, bar: &ProgressBar) -> Run {
    let addr = server.addr;
    let patience = Duration::from_secs(10);
    let claimed = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let errors = AtomicU64::new(0);
    let halt = AtomicBool::new(false);
    let start = Instant::now();
    // Whether this client may start one more request.
    let may_start = || {
        !halt.load(Relaxed)
            && match stop {
                Stop::Requests(n) => claimed.fetch_add(1, Relaxed) < n,
                Stop::Duration(d) => start.elapsed() < d,
            }
    };
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let mut elapsed = Duration::ZERO;
    let cpu_before = (server.cpu_time(), server::own_cpu_time());
    thread::scope(|s| {
        let clients: Vec<_> = (0..concurrency)
            .map(|_| {
                s.spawn(|| {
                    // Microseconds.
                    let mut mine = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
                    while may_start() {
                        let sent = Instant::now();
                        match get(addr, "/", patience) {
                            Ok(200) => {
                                let us = sent.elapsed().as_micros() as u64;
                                mine.saturating_record(us.max(1));
                            }
                            _ => {
                                errors.fetch_add(1, Relaxed);
                            }
                        }
                        done.fetch_add(1, Relaxed);
                    }
                    (mine, Instant::now())
                })
            })
            .collect();
        // Show progress, and stop the clients if the server dies under them.
        while clients.iter().any(|c| !c.is_finished()) {
            match stop {
                Stop::Requests(_) => bar.set_position(done.load(Relaxed)),
                Stop::Duration(_) => bar.set_position(start.elapsed().as_millis() as u64),
            }
            if server.has_exited() {
                halt.store(true, Relaxed);
            }
            thread::sleep(Duration::from_millis(50));
        }
        // The run ends with the last answer, not when this loop notices:
        // its 50 ms naps would add up to 50 ms to a run of a second or two.
        for client in clients {
            let (mine, ended) = client.join().unwrap();
            histogram.add(mine).unwrap();
            elapsed = elapsed.max(ended - start);
        }
    });
    let cpu_after = (server.cpu_time(), server::own_cpu_time());
    let done = done.into_inner();
    let per_request = |before: Option<Duration>, after: Option<Duration>| {
        let used = after?.checked_sub(before?)?;
        (done > 0).then(|| (used.as_secs_f64() * 1e6 / done as f64).round())
    };
    let answered = histogram.len();
    let quantile = |q: f64| {
        if answered == 0 {
            0.0
        } else {
            histogram.value_at_quantile(q) as f64 / 1000.0
        }
    };
    let rate = (answered as f64 / elapsed.as_secs_f64()).round();
    Run {
        answered,
        errors: errors.into_inner(),
        metrics: Metrics::Throughput {
            concurrency,
            requests: answered,
            errors: done - answered,
            seconds: (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            requests_per_second: rate,
            requests_per_second_by_round: vec![rate],
            p50_ms: quantile(0.50),
            p90_ms: quantile(0.90),
            p99_ms: quantile(0.99),
            max_ms: if answered == 0 {
                0.0
            } else {
                histogram.max() as f64 / 1000.0
            },
            server_cpu_us_per_request: per_request(cpu_before.0, cpu_after.0),
            tool_cpu_us_per_request: per_request(cpu_before.1, cpu_after.1),
        },
    }
}

/// `connections` connections, each sent `GET /sleep`, held together for one
/// sleep: the server's peak resident memory and thread count meanwhile.
/// The answers are not awaited: the server is stopped right after.
pub fn memory(server: &Server, connections: u64, sleep: Duration, bar: &ProgressBar) -> Run {
    let baseline = server.status().unwrap_or_default();
    let mut peak_threads = baseline.threads;
    let mut held = Vec::new();
    let mut errors = 0;
    for _ in 0..connections {
        match send(server.addr, "/sleep", patience(sleep)) {
            Ok(stream) => held.push(stream),
            Err(_) => errors += 1,
        }
        bar.inc(1);
    }
    // Every held request is asleep for one sleep once accepted: watch the
    // process for that long.
    let start = Instant::now();
    let mut last = baseline;
    while start.elapsed() < sleep {
        if let Some(status) = server.status() {
            peak_threads = peak_threads.max(status.threads);
            last = status;
        }
        thread::sleep(Duration::from_millis(5));
    }
    drop(held);
    Run {
        answered: 0,
        errors,
        metrics: Metrics::Memory {
            connections,
            baseline_kib: baseline.rss_kib,
            peak_kib: last.peak_kib,
            peak_virtual_kib: last.peak_virtual_kib,
            peak_threads,
            per_connection_kib: ((last.peak_kib.saturating_sub(baseline.rss_kib)) as f64
                / connections as f64
                * 10.0)
                .round()
                / 10.0,
        },
    }
}
