use m6::ThreadPool;
use request::{Client, INTERNAL_ERROR, Refusal};
use std::{
    env, fs,
    io::{self, ErrorKind, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    process,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

mod request;

fn main() {
    let addr = env::args().nth(1).unwrap_or("127.0.0.1:7878".to_string());
    let size = env::args().nth(2).map_or(Ok(4), |size| size.parse());
    let size = size.unwrap_or_else(|err| {
        let _ = writeln!(
            io::stderr(),
            "error: WORKERS must be a whole number, such as 4: {err}"
        );
        process::exit(2);
    });
    let listener = TcpListener::bind(&addr).unwrap_or_else(|err| {
        let hint = if err.kind() == ErrorKind::AddrInUse {
            "; stop the server using it, or pass another address, e.g. 127.0.0.1:0"
        } else {
            ""
        };
        let _ = writeln!(io::stderr(), "error: cannot listen on {addr}: {err}{hint}");
        process::exit(1);
    });
    // `build` returns an error instead of panicking: we explain it and exit.
    let pool = ThreadPool::build(size).unwrap_or_else(|err| {
        let _ = writeln!(
            io::stderr(),
            "error: {err}; pass WORKERS of 1 or more after the address, e.g. {addr} 4"
        );
        process::exit(2);
    });

    // ANCHOR: signals
    // Ctrl-C (SIGINT) and SIGTERM run this handler on a thread of its own.
    // It raises a flag, then wakes the main thread, which is blocked in
    // `accept`, with a connection of its own. A second signal does not wait.
    // Installed before the `Listening on` line: a signal sent as soon as
    // the server says it listens already finds it.
    let shutting_down = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&shutting_down);
    let wake_up = listener.local_addr().unwrap();
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            let _ = writeln!(
                io::stderr(),
                "Signalled again: exiting without waiting for the workers."
            );
            process::exit(130);
        }
        let _ = TcpStream::connect(wake_up);
    })
    .expect("no other signal handler is installed");
    // ANCHOR_END: signals

    let _ = writeln!(
        io::stdout(),
        "Listening on http://{}",
        listener.local_addr().unwrap()
    );

    // ANCHOR: accept
    let mut accept_errors = AcceptErrors::default();
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                accept_errors.accepted();
                pool.execute(|| {
                    handle_connection(stream);
                });
            }
            Err(err) => accept_errors.back_off(err),
        }
        // Checked after `execute`: a connection accepted is always served.
        if shutting_down.load(Ordering::SeqCst) {
            break;
        }
    }
    let _ = writeln!(io::stdout(), "Shutting down.");
    // ANCHOR_END: accept

    // ANCHOR: drain
    // The kernel may hold connections that completed their handshake before
    // the signal but that `accept` has not taken yet: serve them too. Without
    // blocking, `accept` takes them one by one, then says `WouldBlock`.
    let _ = listener.set_nonblocking(true);
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                accept_errors.accepted();
                let _ = stream.set_nonblocking(false);
                pool.execute(|| {
                    handle_connection(stream);
                });
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) => accept_errors.back_off(err),
        }
    }
    // Then stop listening, so that new clients are refused at once rather
    // than queued; dropping the pool at the end of `main` waits for every
    // job queued.
    drop(listener);
    // ANCHOR_END: drain
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
    fn back_off(&mut self, err: io::Error) {
        if self
            .said_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(60))
        {
            let _ = writeln!(
                io::stderr(),
                "error: cannot accept connections: {err}; retrying (said once a minute at most)"
            );
            self.said_at = Some(Instant::now());
        }
        // 5 ms, 10 ms, 20 ms, … 1 s: quick to recover if a descriptor frees
        // up soon, and cheap if none does for a while.
        let wait = Duration::from_millis(5 << self.in_a_row.min(8));
        thread::sleep(wait.min(Duration::from_secs(1)));
        self.in_a_row += 1;
    }

    fn accepted(&mut self) {
        self.in_a_row = 0;
    }
}
// ANCHOR_END: back_off

// ANCHOR: handle_connection
fn handle_connection(stream: TcpStream) {
    let mut client = Client::new(stream);
    let target = match client.read_request() {
        Ok(target) => target,
        Err(refusal) => return client.refuse(refusal),
    };

    let (status_line, filename) = match &target[..] {
        "/" => ("HTTP/1.1 200 OK", "hello.html"),
        "/sleep" => {
            // The book sleeps 5 s; the classroom tools shorten it with SLEEP_MS.
            let ms = env::var("SLEEP_MS").map_or(5000, |ms| ms.parse().unwrap_or(5000));
            thread::sleep(Duration::from_millis(ms));
            ("HTTP/1.1 200 OK", "hello.html")
        }
        _ => ("HTTP/1.1 404 NOT FOUND", "404.html"),
    };

    // The HTML files sit beside Cargo.toml, so any working directory will do.
    let contents = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(filename));
    match contents {
        Ok(contents) => client.respond(status_line, &contents),
        Err(err) => client.refuse(Refusal::Answer(
            INTERNAL_ERROR,
            format!("cannot read {filename}: {err}"),
        )),
    }
}
// ANCHOR_END: handle_connection
