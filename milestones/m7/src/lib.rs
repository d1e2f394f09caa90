//! m7 has no thread pool: tokio's runtime runs a task for every connection
//! on a few threads of its own. What is left here is what the server and
//! its tests share: the request handling, and a log that never waits.

pub mod log;
pub mod request;
