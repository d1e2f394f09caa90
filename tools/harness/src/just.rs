//! Running the justfile's recipes from tests, as users type them.

use std::{path::Path, process::Command};

/// `just`, to run in `dir`; `None` when it is not installed, after a note
/// on stderr, except on CI (`CI` set), where `.ci/run` installs it and a
/// missing `just` fails the test. Tests wrap it with
/// `assert_cmd::Command::from_std`.
pub fn just(dir: &Path) -> Option<Command> {
    let found = std::process::Command::new("just")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "`just` is not installed on CI"
        );
        eprintln!("note: `just` is not installed; this justfile test is skipped");
        return None;
    }
    let mut just = Command::new("just");
    just.current_dir(dir);
    Some(just)
}
