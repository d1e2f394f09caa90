//! Student repositories for the tests and the benchmark to grade: the
//! module's stages as students commit them (the Rust Book's listings, on the
//! fixed port 7878, pages read from the working directory), with the
//! variations real histories show: drifted messages, extra commits, a
//! skipped bonus, a stage that does not compile, never listens or hangs, a
//! README without screenshots.

use std::{
    fs, io,
    path::Path,
    process::{Command, Stdio},
};

/// How a fixture's history is written.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// How long `/sleep` sleeps (the handout says 10 s; tests use less).
    pub sleep_ms: u64,
    /// Commit messages as students drift from the handout's.
    pub drifted_messages: bool,
    /// An initial commit, reflection commits, fix-ups, a stage committed
    /// twice and a merge commit, besides the stages.
    pub extra_commits: bool,
    /// Whether the bonus is committed.
    pub bonus: bool,
    /// Whether the README embeds screenshots for stages 2 and 3.
    pub screenshots: bool,
    /// One stage whose code is broken, and how.
    pub broken: Option<(&'static str, Broken)>,
}

/// How a stage's code can be broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broken {
    DoesNotCompile,
    NeverListens,
    /// Accepts connections and never answers.
    Hangs,
}

impl Fixture {
    /// Every stage, as the handout asks, with a README that reflects on each.
    pub fn complete(sleep_ms: u64) -> Fixture {
        Fixture {
            sleep_ms,
            drifted_messages: false,
            extra_commits: false,
            bonus: true,
            screenshots: true,
            broken: None,
        }
    }

    /// Writes the repository into `dir`, which must not exist or be empty.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir.join("src"))?;
        git(dir, &["init", "--quiet", "--initial-branch=main"])?;
        let put = |path: &str, text: &[u8]| -> io::Result<()> {
            let path = dir.join(path);
            fs::create_dir_all(path.parent().unwrap())?;
            fs::write(path, text)
        };
        put(
            "Cargo.toml",
            b"[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n",
        )?;
        put(".gitignore", b"/target\n")?;
        put("hello.html", HELLO.as_bytes())?;
        put("404.html", NOT_FOUND.as_bytes())?;
        if self.extra_commits {
            put(
                "src/main.rs",
                b"fn main() {\n    println!(\"Hello, world!\");\n}\n",
            )?;
            commit(dir, "Initial commit")?;
        }
        let stages = ["1", "2", "3", "4", "5", "bonus"];
        for (i, stage) in stages.iter().enumerate() {
            if *stage == "bonus" && !self.bonus {
                break;
            }
            let code = match self.broken {
                Some((broken, how)) if broken == *stage => broken_main(how),
                _ => main_rs(stage, self.sleep_ms),
            };
            if self.extra_commits && *stage == "4" {
                // The same stage committed twice: first without the sleep.
                put("src/main.rs", main_rs("3", self.sleep_ms).as_bytes())?;
                commit(dir, &self.message(stage))?;
            }
            put("src/main.rs", code.as_bytes())?;
            if matches!(*stage, "5" | "bonus") {
                put("src/lib.rs", lib_rs(stage).as_bytes())?;
            }
            let last = i == stages.len() - 1 || (stages[i + 1] == "bonus" && !self.bonus);
            if !self.extra_commits && last {
                self.write_readme(dir, &stages[..=i])?;
            }
            commit(dir, &self.message(stage))?;
            if self.extra_commits {
                self.write_readme(dir, &stages[..=i])?;
                let message = match *stage {
                    "1" => "Commit 1 Reflection notes".to_string(),
                    "3" => "Fixing typo from commit 3".to_string(),
                    _ => format!("Reflection commit {stage}"),
                };
                commit(dir, &message)?;
            }
            if self.extra_commits && *stage == "3" {
                // An edit on the web, merged back.
                git(dir, &["checkout", "--quiet", "-b", "web", "HEAD~1"])?;
                put("NOTES.md", b"Edited on the web.\n")?;
                commit(dir, "Create NOTES.md")?;
                git(dir, &["checkout", "--quiet", "main"])?;
                git(
                    dir,
                    &[
                        "-c",
                        "user.name=Student",
                        "-c",
                        "user.email=student@example.com",
                        "merge",
                        "--quiet",
                        "--no-ff",
                        "-m",
                        "Merge branch 'main' of github.com:student/advprog-modul6",
                        "web",
                    ],
                )?;
            }
        }
        Ok(())
    }

    /// The stage's commit message: the handout's, or a drifted one.
    fn message(&self, stage: &str) -> String {
        let handout = crate::stages::find(stage).unwrap().message;
        if !self.drifted_messages {
            return handout.to_string();
        }
        match stage {
            "1" => "“(1) Handle-connection, check respons".to_string(),
            "2" => "(2)Returning HTML".to_string(),
            "3" => "(3) Validating request and selective responding".to_string(),
            "4" => "(4) Simulation of slow request".to_string(),
            "5" => "(5) multithreaded server using ThreadPool".to_string(),
            _ => "(bonus) improve function".to_string(),
        }
    }

    /// README.md with a reflection for each of `stages`, and screenshots.
    fn write_readme(&self, dir: &Path, stages: &[&str]) -> io::Result<()> {
        let mut readme = String::from("# Module 6: Concurrency\n\n");
        for stage in stages {
            let title = if *stage == "bonus" { "Bonus" } else { stage };
            readme.push_str(&format!(
                "## Commit {title} Reflection notes\n\n{REFLECTION}\n"
            ));
            if self.screenshots && matches!(*stage, "2" | "3") {
                let image = format!("assets/images/commit{stage}.png");
                fs::create_dir_all(dir.join("assets/images"))?;
                fs::write(dir.join(&image), PNG)?;
                readme.push_str(&format!("\n![Commit {stage} screenshot]({image})\n"));
            }
            readme.push('\n');
        }
        fs::write(dir.join("README.md"), readme)
    }
}

/// Writes `count` repositories under `dir`, named `student-01` …, every
/// fourth one with a variation, for the benchmark.
pub fn class(dir: &Path, count: usize, sleep_ms: u64) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for i in 1..=count {
        let mut fixture = Fixture::complete(sleep_ms);
        match i % 4 {
            1 => fixture.drifted_messages = true,
            2 => fixture.extra_commits = true,
            3 => fixture.bonus = false,
            _ => {}
        }
        let name = format!("student-{i:02}");
        fixture.write(&dir.join(&name))?;
        names.push(name);
    }
    Ok(names)
}

fn git(dir: &Path, args: &[&str]) -> io::Result<()> {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    match status.success() {
        true => Ok(()),
        false => Err(io::Error::other(format!("git {} failed", args.join(" ")))),
    }
}

fn commit(dir: &Path, message: &str) -> io::Result<()> {
    git(dir, &["add", "--all"])?;
    git(
        dir,
        &[
            "-c",
            "user.name=Student",
            "-c",
            "user.email=student@example.com",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "--no-verify",
            "--allow-empty",
            "-m",
            message,
        ],
    )
}

const HELLO: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\">\n    \
                     <title>Hello!</title>\n  </head>\n  <body>\n    <h1>Hello!</h1>\n    \
                     <p>Hi from Rust, running from Student's machine.</p>\n  </body>\n</html>\n";
const NOT_FOUND: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\">\n    \
                         <title>Hello!</title>\n  </head>\n  <body>\n    <h1>Oops!</h1>\n    \
                         <p>Sorry, I don't know what you're asking for.</p>\n  </body>\n</html>\n";

const REFLECTION: &str = "In this commit the server reads what the browser sends through a \
BufReader over the TCP stream, and I learned how an HTTP request and response are laid out: a \
request line, headers, an empty line, then the body. Each step makes the server a little more \
complete, and a little more honest about what it still gets wrong.";

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xff, 0xff, 0x3f,
    0x00, 0x05, 0xfe, 0x02, 0xfe, 0xa7, 0x35, 0x81, 0x84, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The `use` lines and `main` every stage shares up to the pool.
const SINGLE_THREADED_MAIN: &str = r#"fn main() {
    let listener = TcpListener::bind("127.0.0.1:7878").unwrap();

    for stream in listener.incoming() {
        let stream = stream.unwrap();

        handle_connection(stream);
    }
}
"#;

/// `src/main.rs` at a stage, as the Rust Book's listings have it.
fn main_rs(stage: &str, sleep_ms: u64) -> String {
    match stage {
        // Listing 21-2.
        "1" => format!(
            "use std::{{\n    io::{{BufReader, prelude::*}},\n    net::{{TcpListener, TcpStream}},\n}};\n\n\
             {SINGLE_THREADED_MAIN}\n{}",
            r#"fn handle_connection(mut stream: TcpStream) {
    let buf_reader = BufReader::new(&mut stream);
    let http_request: Vec<_> = buf_reader
        .lines()
        .map(|result| result.unwrap())
        .take_while(|line| !line.is_empty())
        .collect();

    println!("Request: {http_request:#?}");
}
"#
        ),
        // Listing 21-5.
        "2" => format!(
            "use std::{{\n    fs,\n    io::{{BufReader, prelude::*}},\n    net::{{TcpListener, TcpStream}},\n}};\n\n\
             {SINGLE_THREADED_MAIN}\n{}",
            r#"fn handle_connection(mut stream: TcpStream) {
    let buf_reader = BufReader::new(&stream);
    let http_request: Vec<_> = buf_reader
        .lines()
        .map(|result| result.unwrap())
        .take_while(|line| !line.is_empty())
        .collect();
    println!("Request: {http_request:#?}");

    let status_line = "HTTP/1.1 200 OK";
    let contents = fs::read_to_string("hello.html").unwrap();
    let length = contents.len();

    let response = format!("{status_line}\r\nContent-Length: {length}\r\n\r\n{contents}");

    stream.write_all(response.as_bytes()).unwrap();
}
"#
        ),
        // Listing 21-9.
        "3" => format!(
            "use std::{{\n    fs,\n    io::{{BufReader, prelude::*}},\n    net::{{TcpListener, TcpStream}},\n}};\n\n\
             {SINGLE_THREADED_MAIN}\n{}",
            r#"fn handle_connection(mut stream: TcpStream) {
    let buf_reader = BufReader::new(&stream);
    let request_line = buf_reader.lines().next().unwrap().unwrap();

    let (status_line, filename) = if request_line == "GET / HTTP/1.1" {
        ("HTTP/1.1 200 OK", "hello.html")
    } else {
        ("HTTP/1.1 404 NOT FOUND", "404.html")
    };

    let contents = fs::read_to_string(filename).unwrap();
    let length = contents.len();

    let response = format!("{status_line}\r\nContent-Length: {length}\r\n\r\n{contents}");

    stream.write_all(response.as_bytes()).unwrap();
}
"#
        ),
        // Listing 21-10, then 21-12 on the pool, then the bonus's `build`.
        _ => {
            let (uses, main) = match stage {
                "4" => ("", SINGLE_THREADED_MAIN.to_string()),
                _ => {
                    let make = match stage {
                        "5" => "ThreadPool::new(4)",
                        _ => "ThreadPool::build(4).unwrap()",
                    };
                    (
                        "use hello::ThreadPool;\n",
                        format!(
                            "fn main() {{\n    let listener = TcpListener::bind(\"127.0.0.1:7878\").unwrap();\n    \
                             let pool = {make};\n\n    for stream in listener.incoming() {{\n        \
                             let stream = stream.unwrap();\n\n        pool.execute(|| {{\n            \
                             handle_connection(stream);\n        }});\n    }}\n}}\n"
                        ),
                    )
                }
            };
            format!(
                "{uses}use std::{{\n    fs,\n    io::{{BufReader, prelude::*}},\n    net::{{TcpListener, TcpStream}},\n    \
                 thread,\n    time::Duration,\n}};\n\n{main}\n{}",
                r#"fn handle_connection(mut stream: TcpStream) {
    let buf_reader = BufReader::new(&stream);
    let request_line = buf_reader.lines().next().unwrap().unwrap();

    let (status_line, filename) = match &request_line[..] {
        "GET / HTTP/1.1" => ("HTTP/1.1 200 OK", "hello.html"),
        "GET /sleep HTTP/1.1" => {
            thread::sleep(Duration::from_millis(SLEEP_MS));
            ("HTTP/1.1 200 OK", "hello.html")
        }
        _ => ("HTTP/1.1 404 NOT FOUND", "404.html"),
    };

    let contents = fs::read_to_string(filename).unwrap();
    let length = contents.len();

    let response = format!("{status_line}\r\nContent-Length: {length}\r\n\r\n{contents}");

    stream.write_all(response.as_bytes()).unwrap();
}
"#
                .replace("SLEEP_MS", &sleep_ms.to_string())
            )
        }
    }
}

/// `src/lib.rs` at stage 5 (the book's listing 21-20) or the bonus.
fn lib_rs(stage: &str) -> String {
    let constructor = match stage {
        "5" => {
            "    pub fn new(size: usize) -> ThreadPool {\n        assert!(size > 0);\n\n        \
             let (sender, receiver) = mpsc::channel();\n        let receiver = Arc::new(Mutex::new(receiver));\n        \
             let mut workers = Vec::with_capacity(size);\n        for id in 0..size {\n            \
             workers.push(Worker::new(id, Arc::clone(&receiver)));\n        }\n\n        \
             ThreadPool { workers, sender }\n    }\n"
        }
        _ => {
            "    pub fn build(size: usize) -> Result<ThreadPool, PoolCreationError> {\n        \
             if size == 0 {\n            return Err(PoolCreationError);\n        }\n\n        \
             let (sender, receiver) = mpsc::channel();\n        let receiver = Arc::new(Mutex::new(receiver));\n        \
             let mut workers = Vec::with_capacity(size);\n        for id in 0..size {\n            \
             workers.push(Worker::new(id, Arc::clone(&receiver)));\n        }\n\n        \
             Ok(ThreadPool { workers, sender })\n    }\n"
        }
    };
    let error = if stage == "5" {
        ""
    } else {
        "#[derive(Debug)]\npub struct PoolCreationError;\n\n"
    };
    format!(
        "use std::{{\n    sync::{{Arc, Mutex, mpsc}},\n    thread,\n}};\n\n\
         pub struct ThreadPool {{\n    workers: Vec<Worker>,\n    sender: mpsc::Sender<Job>,\n}}\n\n\
         type Job = Box<dyn FnOnce() + Send + 'static>;\n\n{error}\
         impl ThreadPool {{\n{constructor}\n    pub fn execute<F>(&self, f: F)\n    where\n        \
         F: FnOnce() + Send + 'static,\n    {{\n        let job = Box::new(f);\n\n        \
         self.sender.send(job).unwrap();\n    }}\n}}\n\n\
         struct Worker {{\n    id: usize,\n    thread: thread::JoinHandle<()>,\n}}\n\n\
         impl Worker {{\n    fn new(id: usize, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) -> Worker {{\n        \
         let thread = thread::spawn(move || {{\n            loop {{\n                \
         let job = receiver.lock().unwrap().recv().unwrap();\n\n                \
         println!(\"Worker {{id}} got a job; executing.\");\n\n                job();\n            }}\n        }});\n\n        \
         Worker {{ id, thread }}\n    }}\n}}\n"
    )
}

/// A `main.rs` broken as `how` says.
fn broken_main(how: Broken) -> String {
    match how {
        Broken::DoesNotCompile => "fn main() {\n    let port: u16 = \"7878\";\n}\n".to_string(),
        Broken::NeverListens => "fn main() {\n    loop {\n        \
                                 std::thread::sleep(std::time::Duration::from_secs(1));\n    }\n}\n"
            .to_string(),
        Broken::Hangs => "fn main() {\n    let listener = std::net::TcpListener::bind(\"127.0.0.1:7878\").unwrap();\n    \
                          let mut held = Vec::new();\n    for stream in listener.incoming() {\n        \
                          held.push(stream);\n    }\n}\n"
            .to_string(),
    }
}
