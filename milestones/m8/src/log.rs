//! Logging with `tracing`. The server emits events: a message, fields
//! (`status = 200`), a level, inside spans (`connection{client=…}`). What
//! becomes of them is decided once, here: `RUST_LOG` chooses which to keep,
//! `LOG_FORMAT` whether to write text or JSON lines.
//!
//! As in m7, no task waits for stderr: the lines go through a bounded queue
//! to a thread of their own, and when the queue is full a line is dropped,
//! and counted, rather than waited for.

use std::{
    env,
    io::{self, IsTerminal},
};
use tracing::level_filters::LevelFilter;
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

/// How many lines may wait for the logging thread.
const BACKLOG: usize = 1024;

// ANCHOR: init
/// Sends the events of this process to stderr, from now until the returned
/// guard is dropped; fails on a `RUST_LOG` or `LOG_FORMAT` it cannot read.
pub fn init() -> Result<Log, String> {
    // `RUST_LOG=warn`, `RUST_LOG=m8=debug`, …; `info` when it is not set.
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env()
        .map_err(|err| format!("RUST_LOG is not a filter tracing understands: {err}"))?;
    let json = match env::var("LOG_FORMAT").as_deref() {
        Err(env::VarError::NotPresent) | Ok("text") => false,
        Ok("json") => true,
        _ => return Err("LOG_FORMAT must be text or json".to_string()),
    };

    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(BACKLOG)
        .lossy(true)
        .thread_name("log")
        .finish(io::stderr());
    let dropped = writer.error_counter();
    // Colours for a person at a terminal, none in a file.
    let layer = fmt::layer()
        .with_writer(writer)
        .with_ansi(io::stderr().is_terminal());
    let subscriber = tracing_subscriber::registry().with(filter);
    if json {
        // One JSON object per line: the event's fields at the top level,
        // the span's under "span".
        let layer = layer.json().flatten_event(true).with_span_list(false);
        subscriber.with(layer).init();
    } else {
        subscriber.with(layer).init();
    }
    Ok(Log { guard, dropped })
}
// ANCHOR_END: init

/// The logging thread's handle.
pub struct Log {
    guard: WorkerGuard,
    dropped: ErrorCounter,
}

impl Log {
    /// How many lines the log dropped so far, kept up to date.
    pub fn dropped(&self) -> ErrorCounter {
        self.dropped.clone()
    }

    /// Waits, about a second at most, until the lines logged so far are
    /// written: before the process exits.
    pub fn flush(self) {
        drop(self.guard);
    }
}
