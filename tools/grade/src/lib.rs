//! The grader behind `just grade`: for each student repository, the commit
//! of each module stage ([`stages`]), chosen, with its branch, as a
//! teaching assistant would and with the reasons ([`history`]), built and
//! checked at that commit with the checks of `just check` in a private
//! network of its own ([`run`]), and the README's reflections and
//! screenshots at the last commit ([`readme`]); reported as a table, JSON
//! or CSV ([`output`]). [`fixtures`] builds the repositories the tests and
//! the benchmark grade.

pub mod fixtures;
pub mod git;
pub mod history;
pub mod output;
pub mod readme;
pub mod report;
pub mod run;
pub mod stages;
pub mod words;
