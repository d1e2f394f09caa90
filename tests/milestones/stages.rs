//! The module's first two stages, which come before m1: stage 1 prints the
//! request it reads and answers nothing; stage 2 answers every request with
//! hello.html. Their code is in module/stage1 and module/stage2; as a
//! student's crate, each passes the checks of its stage.

use crate::support::Server;
use std::{
    fs,
    io::{Read, Write},
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::Duration,
};

/// The path of a stage's binary (`stage1`, `stage2`), built on first use
/// with the profile of these tests.
fn binary(stage: &str) -> PathBuf {
    static PROFILE_DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = PROFILE_DIR.get_or_init(|| harness::build_binaries(&["stage1", "stage2", "check"]));
    dir.join(stage)
}

fn start(stage: &str) -> Server {
    let mut command = Command::new(binary(stage));
    command.arg("127.0.0.1:0");
    Server::spawn(stage, command)
}

const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n\r\n";

#[test]
fn stage_1_prints_the_request_head_and_answers_nothing() {
    let server = start("stage1");
    let mut stream = server.connect();
    stream.write_all(REQUEST).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    assert!(answer.is_empty(), "it answered {answer:?}");
    server.wait_for_stdout("]\n", 1);
    assert_eq!(
        server.stdout(),
        "Request: [\n    \"GET / HTTP/1.1\",\n    \"Host: 127.0.0.1\",\n    \
         \"User-Agent: curl/8.0\",\n    \"Accept: */*\",\n]\n"
    );
}

#[test]
fn stage_2_answers_every_request_with_hello_html() {
    let server = start("stage2");
    let page =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("module/stage2/hello.html"))
            .unwrap();
    let expected = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{page}",
        page.len()
    );
    for path in ["/", "/nothing", "/sleep"] {
        assert_eq!(server.get(path).text(), expected, "{path}");
    }
}

/// A copy of `module/STAGE` as a student's crate `hello`, in a temporary
/// folder.
fn students_copy(stage: &str) -> tempfile::TempDir {
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join("hello");
    fs::create_dir_all(dir.join("src")).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("module")
        .join(stage);
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\n[workspace]\n",
    )
    .unwrap();
    fs::copy(source.join("src/main.rs"), dir.join("src/main.rs")).unwrap();
    for page in ["hello.html", "404.html"] {
        if source.join(page).exists() {
            fs::copy(source.join(page), dir.join(page)).unwrap();
        }
    }
    outside
}

#[test]
fn each_stage_passes_the_checks_of_its_stage_as_a_students_crate() {
    for (stage, number, checks) in [("stage1", "1", 1), ("stage2", "2", 1)] {
        let copy = students_copy(stage);
        let output = Command::new(binary("check"))
            .args([number, "--repo"])
            .arg(copy.path().join("hello"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{stage}: {stdout}");
        assert!(
            stdout.ends_with(&format!("\n{checks} passed, 0 failed\n")),
            "{stdout}"
        );
    }
}
