use m5::ThreadPool;
use std::{
    env, fs,
    io::{BufReader, ErrorKind, prelude::*},
    net::{TcpListener, TcpStream},
    path::Path,
    process, thread,
    time::Duration,
};

fn main() {
    let addr = env::args().nth(1).unwrap_or("127.0.0.1:7878".to_string());
    let size = env::args().nth(2).map_or(Ok(4), |size| size.parse());
    let size = size.unwrap_or_else(|err| {
        eprintln!("error: WORKERS must be a whole number, such as 4: {err}");
        process::exit(2);
    });
    let listener = TcpListener::bind(&addr).unwrap_or_else(|err| {
        let hint = if err.kind() == ErrorKind::AddrInUse {
            "; stop the server using it, or pass another address, e.g. 127.0.0.1:0"
        } else {
            ""
        };
        eprintln!("error: cannot listen on {addr}: {err}{hint}");
        process::exit(1);
    });
    // `build` returns an error instead of panicking: we explain it and exit.
    let pool = ThreadPool::build(size).unwrap_or_else(|err| {
        eprintln!("error: {err}; pass WORKERS of 1 or more after the address, e.g. {addr} 4");
        process::exit(2);
    });
    println!("Listening on http://{}", listener.local_addr().unwrap());

    for stream in listener.incoming() {
        let stream = stream.unwrap();

        // A fixed number of threads serve every connection: a request waits
        // only when all of them are busy.
        pool.execute(|| {
            handle_connection(stream);
        });
    }
}

fn handle_connection(mut stream: TcpStream) {
    let buf_reader = BufReader::new(&stream);
    // On an empty connection this `unwrap` panics and takes its worker with
    // it; once every worker is gone, `execute` panics and the server stops.
    let request_line = buf_reader.lines().next().unwrap().unwrap();

    let (status_line, filename) = match &request_line[..] {
        "GET / HTTP/1.1" => ("HTTP/1.1 200 OK", "hello.html"),
        "GET /sleep HTTP/1.1" => {
            // The book sleeps 5 s; the classroom tools shorten it with SLEEP_MS.
            let ms = env::var("SLEEP_MS").map_or(5000, |ms| ms.parse().unwrap_or(5000));
            thread::sleep(Duration::from_millis(ms));
            ("HTTP/1.1 200 OK", "hello.html")
        }
        _ => ("HTTP/1.1 404 NOT FOUND", "404.html"),
    };

    // The HTML files sit beside Cargo.toml, so any working directory will do.
    let contents =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(filename)).unwrap();
    let length = contents.len();

    let response = format!("{status_line}\r\nContent-Length: {length}\r\n\r\n{contents}");

    stream.write_all(response.as_bytes()).unwrap();
}
