//! The book's specification: it builds without a warning, every include and
//! link resolves, every milestone has its chapter, and the diffs it shows are
//! the milestones' real diffs; its Bahasa Indonesia edition translates all
//! of it and builds as cleanly.
//!
//! Needs no mdbook CLI: `mdbook-driver` builds the book in-process.
//! `cargo test --test book` runs these alone; `just book-diffs` regenerates
//! the diffs under book/src/diffs/.

mod build;
mod chapters;
mod checks;
mod code_blocks;
mod diffs;
mod includes;
mod numbers;
mod support;
mod translation;
