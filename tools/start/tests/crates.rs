//! The crates `start` makes, built and run: the book's starting point says
//! Hello, world!, a copy of m4 serves the hello page, and every copy is a
//! crate of its own.

mod support;

use std::{
    fs,
    io::{Read, Write},
    net::TcpStream,
    path::Path,
    process::Command,
    time::Duration,
};
use support::{build, git, repo, start};

#[test]
fn start_dir_makes_the_books_starting_point_in_a_git_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("advprog-modul6");
    let output = start().arg(&dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    for next in [
        "cd ",
        "cargo run",
        "    (1) Handle-connection, check response\n",
        "just check 1 --repo ",
    ] {
        assert!(stdout.contains(next), "{next:?} is not in:\n{stdout}");
    }

    let read = |file: &str| fs::read_to_string(dir.join(file)).unwrap();
    let manifest = read("Cargo.toml");
    assert!(
        manifest.starts_with(
            "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n"
        ),
        "{manifest}"
    );
    assert!(manifest.ends_with("\n[workspace]\n"), "{manifest}");
    assert_eq!(
        read("src/main.rs"),
        "fn main() {\n    println!(\"Hello, world!\");\n}\n"
    );
    let m1 = repo().join("milestones/m1");
    for page in ["hello.html", "404.html"] {
        assert_eq!(read(page), fs::read_to_string(m1.join(page)).unwrap());
    }
    assert_eq!(read(".gitignore"), "/target\n");

    assert_eq!(
        git(&dir, &["log", "--format=%s"]),
        "Initial commit: cargo new hello, with the book's hello.html and 404.html\n"
    );
    assert_eq!(git(&dir, &["symbolic-ref", "--short", "HEAD"]), "main\n");
    assert_eq!(git(&dir, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&dir, &["ls-files"]),
        ".gitignore\n404.html\nCargo.toml\nhello.html\nsrc/main.rs\n"
    );

    let binary = build(&dir, "starting-point");
    let output = Command::new(binary).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "Hello, world!\n");
    // The build's target/ is elsewhere here, but a student's is ignored.
    assert_eq!(git(&dir, &["check-ignore", "target"]), "target\n");
}

#[test]
fn start_m4_makes_a_copy_that_builds_and_serves_the_hello_page() {
    let tmp = tempfile::tempdir().unwrap();
    // A folder whose parent does not exist yet.
    let dir = tmp.path().join("exercises/m4");
    let output = start().arg("m4").arg(&dir).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("just check m4 --repo "), "{stdout}");

    let main = fs::read_to_string(dir.join("src/main.rs")).unwrap();
    assert!(main.starts_with("use hello::ThreadPool;\n"), "{main}");
    assert!(!main.contains("m4::"), "{main}");
    assert!(dir.join("src/lib.rs").is_file());
    assert_eq!(
        git(&dir, &["log", "--format=%s"]),
        "Initial commit: a copy of milestone m4 (ThreadPool::new) of the course\n"
    );

    let binary = build(&dir, "m4");
    // Started from elsewhere: it finds its pages beside its Cargo.toml.
    let mut server = Command::new(binary);
    server.arg("127.0.0.1:0").current_dir(tmp.path());
    let mut server = harness::Process::spawn(server).unwrap();
    let addr = server
        .listening_line(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("the copy of m4 did not start: {e}"));
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    server.kill();

    let hello = fs::read_to_string(repo().join("milestones/m4/hello.html")).unwrap();
    assert_eq!(
        response,
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{hello}",
            hello.len()
        )
    );
}

#[test]
fn every_milestone_copy_is_a_crate_of_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    for m in harness::MILESTONES {
        let dir = tmp.path().join(m.name);
        start().arg(m.name).arg(&dir).assert().success();
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(!manifest.contains("workspace = true"), "{manifest}");
        // Its dependencies are the milestone's.
        let own =
            fs::read_to_string(repo().join("milestones").join(m.name).join("Cargo.toml")).unwrap();
        for line in own.lines().filter(|l| l.contains("version = ")) {
            assert!(manifest.contains(line), "{}: {line:?} lost", m.name);
        }
        // Cargo reads it as a workspace of its own, named hello.
        let cargo = std::env::var_os("CARGO").unwrap_or("cargo".into());
        let output = Command::new(cargo)
            .args([
                "metadata",
                "--no-deps",
                "--offline",
                "--format-version",
                "1",
            ])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}: {output:?}", m.name);
        let metadata = String::from_utf8_lossy(&output.stdout);
        let real = dir.canonicalize().unwrap();
        assert!(
            metadata.contains(&format!("\"workspace_root\":\"{}\"", real.display())),
            "{}: {metadata}",
            m.name
        );
        assert!(metadata.contains("\"name\":\"hello\""), "{metadata}");
        let subject = git(&dir, &["log", "--format=%s"]);
        assert!(
            subject.contains(&format!("milestone {} (", m.name)),
            "{subject}"
        );
    }
}

#[test]
fn an_existing_empty_folder_will_do() {
    let tmp = tempfile::tempdir().unwrap();
    start().arg("m2").arg(tmp.path()).assert().success();
    assert!(tmp.path().join("src/main.rs").is_file());
    assert!(tmp.path().join(".git").is_dir());
}

/// Runs `start DIR` with a home folder of its own and no system-wide git
/// configuration, so that only `gitconfig` (if any) tells git who commits.
fn start_with_gitconfig(gitconfig: Option<&str>) -> (tempfile::TempDir, std::process::Output) {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    fs::create_dir(&home).unwrap();
    if let Some(config) = gitconfig {
        fs::write(home.join(".gitconfig"), config).unwrap();
    }
    let mut command = start();
    command
        .arg(tmp.path().join("crate"))
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1");
    for var in [
        "GIT_CONFIG_GLOBAL",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
    ] {
        command.env_remove(var);
    }
    let output = command.output().unwrap();
    (tmp, output)
}

fn author(dir: &Path) -> String {
    git(dir, &["log", "--format=%an <%ae> / %cn <%ce>"])
}

#[test]
fn without_a_git_identity_the_commit_falls_back_and_says_how_to_fix_it() {
    let (tmp, output) = start_with_gitconfig(None);
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("note: git does not know who you are"),
        "{stderr}"
    );
    assert!(
        stderr.contains("git commit --amend --reset-author --no-edit"),
        "{stderr}"
    );
    assert_eq!(
        author(&tmp.path().join("crate")),
        "Student <student@example.com> / Student <student@example.com>\n"
    );
}

#[test]
fn with_a_git_identity_the_commit_is_yours() {
    let (tmp, output) =
        start_with_gitconfig(Some("[user]\n\tname = Ada\n\temail = ada@example.com\n"));
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(
        author(&tmp.path().join("crate")),
        "Ada <ada@example.com> / Ada <ada@example.com>\n"
    );
}
