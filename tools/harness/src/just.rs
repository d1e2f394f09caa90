//! Running the justfile's recipes from tests, as users type them.

use std::{io::Write, path::Path, process::Command};

/// `just`, to run in `dir`; `None` when it is not installed, after a note
/// on stderr, except on CI (`CI` set), where `.ci/run` installs it and a
/// missing `just` fails the test. Tests wrap it with
/// `assert_cmd::Command::from_std`.
pub fn just(dir: &Path) -> Option<Command> {
    // libtest captures what `eprintln!` prints in a test that passes, and a
    // skipped test passes: written to the handle itself, the note shows.
    let on_ci = std::env::var_os("CI").is_some();
    find("just", dir, on_ci, &mut std::io::stderr())
}

/// `program`, to run in `dir`, if it runs at all; otherwise a failure on
/// CI, and elsewhere a note on `note` and `None`.
fn find(program: &str, dir: &Path, on_ci: bool, note: &mut dyn Write) -> Option<Command> {
    let found = Command::new(program).arg("--version").output().is_ok();
    if !found {
        assert!(
            !on_ci,
            "`{program}` is not installed on CI: .ci/run installs it"
        );
        let _ = writeln!(
            note,
            "note: `{program}` is not installed, so this test of the justfile is skipped; \
             install it with: cargo install just --locked --version 1.59.0"
        );
        return None;
    }
    let mut command = Command::new(program);
    command.current_dir(dir);
    Some(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_is_a_visible_skip() {
        let mut note = Vec::new();
        let found = find("no-such-just-here", Path::new("/"), false, &mut note);
        assert!(found.is_none());
        let note = String::from_utf8(note).unwrap();
        assert!(
            note.starts_with("note: `no-such-just-here` is not installed"),
            "{note}"
        );
    }

    #[test]
    #[should_panic(expected = "is not installed on CI")]
    fn a_missing_program_fails_on_ci() {
        find("no-such-just-here", Path::new("/"), true, &mut Vec::new());
    }

    #[test]
    fn a_program_that_runs_is_found_in_its_folder() {
        let command = find("sh", Path::new("/tmp"), true, &mut Vec::new()).unwrap();
        assert_eq!(command.get_current_dir(), Some(Path::new("/tmp")));
    }
}
