use m8::{
    log,
    metrics::{self, Metrics, Route},
    request::{Client, status_code},
};
use std::{
    env, fs,
    io::{self, ErrorKind, Write},
    net::SocketAddr,
    path::Path,
    process,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{
    net::{TcpListener, TcpSocket, TcpStream},
    signal::unix::{Signal, SignalKind, signal},
};
use tokio_util::task::TaskTracker;
use tracing::{Instrument, error, info, info_span, warn};

// ANCHOR: main
#[tokio::main]
async fn main() {
    let log = log::init().unwrap_or_else(|err| {
        let _ = writeln!(io::stderr(), "error: {err}");
        process::exit(2);
    });
    let addr = env::args().nth(1).unwrap_or("127.0.0.1:7878".to_string());
    let listener = listen(&addr).await.unwrap_or_else(|err| {
        let hint = if err.kind() == ErrorKind::AddrInUse {
            "; stop the server using it, or pass another address, e.g. 127.0.0.1:0"
        } else {
            ""
        };
        let _ = writeln!(io::stderr(), "error: cannot listen on {addr}: {err}{hint}");
        process::exit(1);
    });
    // A task must not wait for a file: the pages are read once, here.
    let pages = Arc::new(Pages::read());
    let metrics = Arc::new(Metrics::new(log.dropped()));
    // ANCHOR_END: main

    // ANCHOR: signals
    // Ctrl-C (SIGINT) and SIGTERM: listening for them before announcing the
    // address means none is missed, and a second one does not wait.
    let mut signals = Signals::new();
    // ANCHOR_END: signals
    let local_addr = listener.local_addr().unwrap();
    let _ = writeln!(io::stdout(), "Listening on http://{local_addr}");
    info!(addr = %local_addr, "listening");

    // ANCHOR: accept
    let tasks = TaskTracker::new();
    let mut accept_errors = AcceptErrors::default();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, client)) => {
                    accept_errors.accepted();
                    let connection = handle_connection(stream, Arc::clone(&pages), Arc::clone(&metrics));
                    tasks.spawn(connection.instrument(info_span!("connection", %client)));
                }
                Err(err) => accept_errors.back_off(err).await,
            },
            () = signals.next() => break,
        }
    }
    info!("shutting down");
    // ANCHOR_END: accept

    // ANCHOR: drain
    // The kernel may hold connections that completed their handshake before
    // the signal but that `accept` has not taken yet: serve them too. `biased`
    // tries `accept` first; when it has nothing ready, `ready` ends the loop.
    loop {
        tokio::select! {
            biased;
            accepted = listener.accept() => match accepted {
                Ok((stream, client)) => {
                    let connection = handle_connection(stream, Arc::clone(&pages), Arc::clone(&metrics));
                    tasks.spawn(connection.instrument(info_span!("connection", %client)));
                }
                Err(err) => accept_errors.back_off(err).await,
            },
            () = std::future::ready(()) => break,
        }
    }
    // Then stop listening, so that new clients are refused at once rather
    // than queued, and wait for every task still serving a connection.
    drop(listener);
    tasks.close();
    info!(
        connections = tasks.len(),
        "waiting for the connections in flight"
    );
    tokio::select! {
        () = tasks.wait() => {}
        () = signals.next() => {
            warn!(connections = tasks.len(), "signalled again: exiting without waiting for the connections");
            log.flush();
            process::exit(130);
        }
    }
    info!("stopped");
    log.flush();
    // ANCHOR_END: drain
}

// ANCHOR: listen
/// Binds `addr` with room for 4096 connections in the kernel's queue (std
/// and tokio ask for 128): a burst of thousands of clients then waits there
/// for `accept`, instead of having its connection attempts dropped and
/// retried a second later.
async fn listen(addr: &str) -> io::Result<TcpListener> {
    let Some(addr) = tokio::net::lookup_host(addr).await?.next() else {
        return Err(io::Error::new(ErrorKind::InvalidInput, "no address found"));
    };
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}
// ANCHOR_END: listen

/// Ctrl-C (SIGINT) and SIGTERM, whichever comes first.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    fn new() -> Signals {
        let listen = |kind| signal(kind).expect("no other runtime handles signals");
        Signals {
            interrupt: listen(SignalKind::interrupt()),
            terminate: listen(SignalKind::terminate()),
        }
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

// ANCHOR: back_off
/// What the accept loop does when `accept` fails, as it does at every try
/// once the process has no file descriptor left (`ulimit -n`): wait before
/// the next try, longer each time up to 1 s, and say so once a minute at
/// most, not once a try.
#[derive(Default)]
struct AcceptErrors {
    /// How many tries in a row failed: the wait grows with it.
    in_a_row: u32,
    /// When the log last said so.
    said_at: Option<Instant>,
}

impl AcceptErrors {
    async fn back_off(&mut self, err: io::Error) {
        if self
            .said_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(60))
        {
            error!("cannot accept connections: {err}; retrying (said once a minute at most)");
            self.said_at = Some(Instant::now());
        }
        // 5 ms, 10 ms, 20 ms, … 1 s: quick to recover if a descriptor frees
        // up soon, and cheap if none does for a while.
        let wait = Duration::from_millis(5 << self.in_a_row.min(8));
        tokio::time::sleep(wait.min(Duration::from_secs(1))).await;
        self.in_a_row += 1;
    }

    fn accepted(&mut self) {
        self.in_a_row = 0;
    }
}
// ANCHOR_END: back_off

/// The pages, read once at start.
struct Pages {
    hello: String,
    not_found: String,
}

impl Pages {
    /// The HTML files sit beside Cargo.toml, so any working directory will do.
    fn read() -> Pages {
        let read = |filename: &str| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(filename);
            fs::read_to_string(&path).unwrap_or_else(|err| {
                let _ = writeln!(io::stderr(), "error: cannot read {}: {err}", path.display());
                process::exit(1);
            })
        };
        Pages {
            hello: read("hello.html"),
            not_found: read("404.html"),
        }
    }
}

// ANCHOR: handle_connection
async fn handle_connection(stream: TcpStream, pages: Arc<Pages>, metrics: Arc<Metrics>) {
    let mut client = Client::new(stream);
    // Declared after the client, so dropped before it: the gauge goes down
    // before the client sees its connection close.
    let _in_flight = metrics.in_flight();
    let start = Instant::now();
    // A task's future is as big as its biggest state, for as long as the
    // connection lasts. Reading the request (with its 1 KiB buffer),
    // refusing and answering are big and short: each runs in a box of its
    // own, on the heap only while it runs, so that a task asleep in `/sleep`
    // holds a few hundred bytes instead of nearly 2 KiB.
    let target = match Box::pin(client.read_request()).await {
        Ok(target) => target,
        Err(refusal) => {
            metrics.refused(refusal.reason);
            return Box::pin(client.refuse(refusal)).await;
        }
    };

    let route = Route::of(&target);
    let scrape;
    let (status_line, headers, contents) = match route {
        Route::Root => ("HTTP/1.1 200 OK", "", &pages.hello),
        Route::Sleep => {
            // The book sleeps 5 s; the classroom tools shorten it with SLEEP_MS.
            // `tokio::time::sleep` waits without holding a thread.
            let ms = env::var("SLEEP_MS").map_or(5000, |ms| ms.parse().unwrap_or(5000));
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ("HTTP/1.1 200 OK", "", &pages.hello)
        }
        Route::Metrics => {
            scrape = metrics.render();
            ("HTTP/1.1 200 OK", metrics::HEADERS, &scrape)
        }
        Route::Other => ("HTTP/1.1 404 NOT FOUND", "", &pages.not_found),
    };

    // ANCHOR: served
    let sent = Box::pin(client.respond(status_line, headers, contents)).await;
    // Counted and logged before the connection closes: a client that read
    // its whole answer finds itself in the next scrape.
    let (status, latency) = (status_code(status_line), start.elapsed());
    metrics.served(route, status, latency);
    let latency_ms = latency.as_micros() as f64 / 1000.0;
    let uri = target.as_str();
    match sent {
        Ok(bytes) => info!(method = "GET", uri, status, bytes, latency_ms, "served"),
        Err(err) => info!(method = "GET", uri, status, latency_ms, error = %err, "served"),
    }
    // ANCHOR_END: served
}
// ANCHOR_END: handle_connection
