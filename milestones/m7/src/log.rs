//! Logging without waiting. A task that blocked on a write to stderr (a
//! pipe nobody reads, a full disk) would hold one of the runtime's few
//! threads, and every task waiting for that thread. So a task only hands
//! its line to a channel, and a thread of its own writes it; when the
//! channel is full, the line is dropped and counted, never waited for.

use std::{
    io::{self, Write},
    sync::{
        OnceLock,
        atomic::{AtomicU64, Ordering},
        mpsc::{self, SyncSender},
    },
    thread,
    time::Duration,
};

/// How many lines may wait for the logging thread.
const BACKLOG: usize = 1024;

enum Message {
    Line(String),
    /// Answer once every line before this one is written.
    Flush(mpsc::Sender<()>),
}

static LOG: OnceLock<SyncSender<Message>> = OnceLock::new();
static DROPPED: AtomicU64 = AtomicU64::new(0);

fn sender() -> &'static SyncSender<Message> {
    LOG.get_or_init(|| {
        let (sender, receiver) = mpsc::sync_channel(BACKLOG);
        thread::spawn(move || {
            for message in receiver {
                match message {
                    Message::Line(line) => {
                        let mut stderr = io::stderr().lock();
                        let dropped = DROPPED.swap(0, Ordering::Relaxed);
                        if dropped > 0 {
                            let _ = writeln!(stderr, "({dropped} log lines dropped)");
                        }
                        // A failed write loses this line, nothing else.
                        let _ = writeln!(stderr, "{line}");
                    }
                    Message::Flush(done) => {
                        let _ = done.send(());
                    }
                }
            }
        });
        sender
    })
}

/// Logs `line` on stderr, from the logging thread; never waits.
pub fn line(line: String) {
    if sender().try_send(Message::Line(line)).is_err() {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Waits, one second at most, until the lines logged so far are written:
/// before the process exits.
pub fn flush() {
    let (done, written) = mpsc::channel();
    if sender().try_send(Message::Flush(done)).is_ok() {
        let _ = written.recv_timeout(Duration::from_secs(1));
    }
}
