//! m8 is m7 made observable: what the server and its tests share is the
//! request handling, the log's set-up and the metrics.

pub mod log;
pub mod metrics;
pub mod request;
