//! End-to-end tests: each module is the specification of one milestone,
//! checked against the real binary over real sockets.
//!
//! `cargo test --test milestones m2::` runs one milestone's tests.

mod book_outputs;
mod checks;
mod contract;
mod just;
mod m1;
mod m2;
mod m3;
mod m4;
mod m5;
mod m6;
mod m7;
mod m8;
mod module_path;
mod prometheus;
mod stages;
mod support;
