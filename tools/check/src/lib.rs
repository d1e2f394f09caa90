//! The checker behind `just check`: the checks of each milestone, defined
//! once ([`checks`]), or of a stage of the module, as the grader runs them
//! ([`target`]), run against our own milestone, a student's crate or a
//! server already running ([`subject`]), over a raw HTTP client that no
//! server can hang or flood ([`http`]); a `/metrics` is read with a real
//! parser ([`metrics`]). A student's crate is built with a time limit
//! ([`cargo`]) and run in a private network ([`netns`]), so its fixed port
//! 7878 collides with nothing; its build and its server run in the
//! [`sandbox`], which bounds what its code can read, write, reach, start
//! and use.

pub mod cargo;
pub mod checks;
pub mod http;
pub mod metrics;
#[cfg(target_os = "linux")]
pub mod netns;
pub mod report;
pub mod sandbox;
pub mod subject;
pub mod target;

pub use checks::{CHECKS, Check, Outcome, Status};
pub use subject::Subject;
