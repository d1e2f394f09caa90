//! Student crates as the module's students write them: `src/main.rs` (and
//! `src/lib.rs`) at each stage of the module, as the Rust Book's listings
//! have them, on the fixed port 7878 with the pages read from the working
//! directory; and broken ones. The checker's and the grader's tests build
//! their crates and repositories from these.

/// How a stage's code can be broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broken {
    DoesNotCompile,
    NeverListens,
    /// Accepts connections and never answers.
    Hangs,
}

/// A student's `hello.html`, personalised as the module asks.
pub const HELLO: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\">\n    \
                     <title>Hello!</title>\n  </head>\n  <body>\n    <h1>Hello!</h1>\n    \
                     <p>Hi from Rust, running from Student's machine.</p>\n  </body>\n</html>\n";
/// A student's `404.html`.
pub const NOT_FOUND: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\">\n    \
                         <title>Hello!</title>\n  </head>\n  <body>\n    <h1>Oops!</h1>\n    \
                         <p>Sorry, I don't know what you're asking for.</p>\n  </body>\n</html>\n";

/// The `use` lines and `main` every stage shares up to the pool.
const SINGLE_THREADED_MAIN: &str = r#"fn main() {
    let listener = TcpListener::bind("127.0.0.1:7878").unwrap();

    for stream in listener.incoming() {
        let stream = stream.unwrap();

        handle_connection(stream);
    }
}
"#;

/// `src/main.rs` at a stage (`1` … `5`, `bonus`), as the Rust Book's
/// listings have it, with `/sleep` sleeping `sleep_ms`.
pub fn main_rs(stage: &str, sleep_ms: u64) -> String {
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
pub fn lib_rs(stage: &str) -> String {
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
pub fn broken_main(how: Broken) -> String {
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
