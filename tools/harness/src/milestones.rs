//! The milestones of the course, in order: the one list that the tests, the
//! book's tests, the compare tool, the checker and `just start` read.
//!
//! Adding a milestone: add its folder under `milestones/` and a line to
//! [`MILESTONES`]. A test fails while the folders and this list disagree.

/// How a milestone serves its connections: what its lessons are measured
/// against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// m1: one thread, and no `/sleep` route yet.
    NoSleep,
    /// m2: one thread serves every request in turn.
    OneThread,
    /// m3: a new thread for every connection.
    ThreadPerRequest,
    /// m4 to m6: a pool of workers; the second argument is its size.
    Pool,
    /// m7 on: a task per connection on an async runtime.
    Tasks,
}

/// One milestone: its name (folder, package and binary) and what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Milestone {
    /// `m1`, `m2`, …: the folder under `milestones/`, the package and the binary.
    pub name: &'static str,
    pub kind: Kind,
    /// Whether it handles Ctrl-C and SIGTERM by finishing what it started.
    pub graceful_shutdown: bool,
    /// What it adds, in a few words.
    pub adds: &'static str,
}

impl Milestone {
    /// The position in the course: `m3` is 3.
    pub fn number(&self) -> u32 {
        number(self.name).expect("milestone names are m and a number")
    }

    /// Whether the second argument is the number of workers.
    pub fn takes_workers(&self) -> bool {
        self.kind == Kind::Pool
    }

    /// Whether it has the `GET /sleep` route (and reads `SLEEP_MS`).
    pub fn has_sleep(&self) -> bool {
        self.kind != Kind::NoSleep
    }
}

/// Every milestone, in course order.
pub const MILESTONES: &[Milestone] = &[
    Milestone {
        name: "m1",
        kind: Kind::NoSleep,
        graceful_shutdown: false,
        adds: "a single-threaded server",
    },
    Milestone {
        name: "m2",
        kind: Kind::OneThread,
        graceful_shutdown: false,
        adds: "GET /sleep",
    },
    Milestone {
        name: "m3",
        kind: Kind::ThreadPerRequest,
        graceful_shutdown: false,
        adds: "a thread per connection",
    },
    Milestone {
        name: "m4",
        kind: Kind::Pool,
        graceful_shutdown: false,
        adds: "ThreadPool::new",
    },
    Milestone {
        name: "m5",
        kind: Kind::Pool,
        graceful_shutdown: false,
        adds: "ThreadPool::build",
    },
    Milestone {
        name: "m6",
        kind: Kind::Pool,
        graceful_shutdown: true,
        adds: "graceful shutdown, robust parsing",
    },
    Milestone {
        name: "m7",
        kind: Kind::Tasks,
        graceful_shutdown: true,
        adds: "tokio: a task per connection",
    },
    Milestone {
        name: "m8",
        kind: Kind::Tasks,
        graceful_shutdown: true,
        adds: "logs and metrics",
    },
];

/// The names, in order: `["m1", "m2", …]`.
pub fn names() -> Vec<&'static str> {
    MILESTONES.iter().map(|m| m.name).collect()
}

/// The milestone called `name`, or the one-line error every tool prints for
/// a name that is not one: `no milestone named 'm9'; choose one of: m1 … m6`.
pub fn find(name: &str) -> Result<&'static Milestone, String> {
    MILESTONES
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| unknown(name))
}

/// The error for a name that is not a milestone's.
pub fn unknown(name: &str) -> String {
    format!(
        "no milestone named '{name}'; choose one of: {}",
        names().join(" ")
    )
}

/// The number in a milestone's name: `m3` → 3; `None` for anything else.
pub fn number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('m')?;
    if digits.is_empty() || digits.starts_with('0') || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_in_course_order_without_gaps() {
        for (i, milestone) in MILESTONES.iter().enumerate() {
            assert_eq!(milestone.number(), i as u32 + 1, "{}", milestone.name);
        }
    }

    #[test]
    fn the_folders_under_milestones_are_the_list() {
        let mut folders: Vec<String> = std::fs::read_dir(crate::repo_root().join("milestones"))
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.path().join("Cargo.toml").is_file())
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        folders.sort_by_key(|n| number(n).unwrap_or(u32::MAX));
        assert_eq!(
            folders,
            names(),
            "the folders under milestones/ and harness::MILESTONES \
             (tools/harness/src/milestones.rs) must name the same milestones"
        );
    }

    #[test]
    fn an_unknown_name_is_one_line_listing_the_milestones() {
        assert_eq!(find("m3").unwrap().kind, Kind::ThreadPerRequest);
        assert_eq!(
            find("m99").unwrap_err(),
            format!(
                "no milestone named 'm99'; choose one of: {}",
                names().join(" ")
            )
        );
        assert!(unknown("x").contains("choose one of: m1 m2 m3 "));
    }

    #[test]
    fn milestone_names_are_m_and_a_number() {
        assert_eq!(number("m1"), Some(1));
        assert_eq!(number("m12"), Some(12));
        for bad in ["m", "m0", "m01", "M1", "1", "m1a", "mx", "m+1"] {
            assert_eq!(number(bad), None, "{bad}");
        }
    }
}
