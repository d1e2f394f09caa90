//! The book and the README name the checks of `just check`: every check
//! they name exists in the milestone (or the module's stage) they name it
//! for, and the
//! introduction's table of checks lists, for each milestone, exactly the
//! checks that begin there. A renamed or added check fails this test until
//! the text follows.

use crate::support::{chapters, root, shown, src_dir};
use std::fs;

/// Every `just check mN …` and `just check STAGE …` in `text`: the
/// milestone or stage and the words after it that are check names (not
/// options, their values or paths).
fn commands(text: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("just check ") {
        let line = text[at + "just check ".len()..]
            .split(['\n', '`', '#', ';', ':'])
            .next()
            .unwrap_or_default();
        let mut words = line.split_whitespace();
        let milestone = words.next().unwrap_or_default().to_string();
        let stage = harness::stages::find(&milestone).is_some();
        if harness::milestones::number(&milestone).is_none() && !stage {
            continue; // `just check mN`, the placeholder, or `--help`
        }
        let mut names = Vec::new();
        let mut after_option = false;
        for word in words {
            if word.starts_with("--") {
                after_option =
                    matches!(word, "--repo" | "--addr" | "--build-timeout" | "--workers");
                continue;
            }
            if !after_option
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
            {
                names.push(word.to_string());
            }
            after_option = false;
        }
        found.push((milestone, names));
    }
    found
}

#[test]
fn every_check_named_in_the_book_and_readme_exists() {
    let mut texts = chapters();
    texts.push((
        root().join("README.md"),
        fs::read_to_string(root().join("README.md")).unwrap(),
    ));
    let mut problems = Vec::new();
    let mut seen = 0;
    for (path, text) in texts {
        for (milestone, names) in commands(&text) {
            let Ok(found) = check::target::Target::parse(&milestone) else {
                problems.push(format!(
                    "{}: `just check {milestone}`: no such milestone",
                    shown(&path)
                ));
                continue;
            };
            seen += 1;
            for name in names {
                if let Err(e) = found.select(std::slice::from_ref(&name)) {
                    problems.push(format!(
                        "{}: `just check {milestone} … {name}`: {e}",
                        shown(&path)
                    ));
                }
            }
        }
    }
    assert!(seen > 5, "no `just check` command found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_introductions_table_lists_the_checks_each_milestone_adds() {
    let path = src_dir().join("introduction.md");
    let text = fs::read_to_string(&path).unwrap();
    let table = text
        .split("| milestone | adds the checks |")
        .nth(1)
        .expect("the introduction has a table `| milestone | adds the checks |`");
    for milestone in harness::MILESTONES {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", milestone.name)))
            .unwrap_or_else(|| panic!("{}: no row for {}", shown(&path), milestone.name));
        // The names are the backticked words followed by `:` or `,` or the
        // end of the cell: `root`: …, `shutdown`, ….
        let named: Vec<&str> = row
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|w| check::CHECKS.iter().any(|c| c.name == *w))
            .collect();
        let added: Vec<&str> = check::CHECKS
            .iter()
            .filter(|c| c.from == Some(milestone.name))
            .map(|c| c.name)
            .collect();
        assert_eq!(
            named,
            added,
            "{}: the row of {}",
            shown(&path),
            milestone.name
        );
    }
}

#[test]
fn check_names_are_read_as_the_reader_types_them() {
    assert_eq!(
        commands("run `just check m4 --repo ~/me pool-size` and `just check mN`"),
        [("m4".to_string(), vec!["pool-size".to_string()])]
    );
    assert_eq!(
        commands("just check m1 --addr 127.0.0.1:7878   # against a server"),
        [("m1".to_string(), vec![])]
    );
    assert_eq!(
        commands("`just check 5 --repo ~/me pool-size`, `just check bonus`, `just check --help`"),
        [
            ("5".to_string(), vec!["pool-size".to_string()]),
            ("bonus".to_string(), vec![])
        ]
    );
}
