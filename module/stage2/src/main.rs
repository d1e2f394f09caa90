use std::{
    env, fs,
    io::{BufReader, ErrorKind, prelude::*},
    net::{TcpListener, TcpStream},
    path::Path,
    process,
};

fn main() {
    let addr = env::args().nth(1).unwrap_or("127.0.0.1:7878".to_string());
    let listener = TcpListener::bind(&addr).unwrap_or_else(|err| {
        let hint = if err.kind() == ErrorKind::AddrInUse {
            "; stop the server using it, or pass another address, e.g. 127.0.0.1:0"
        } else {
            ""
        };
        eprintln!("error: cannot listen on {addr}: {err}{hint}");
        process::exit(1);
    });
    println!("Listening on http://{}", listener.local_addr().unwrap());

    for stream in listener.incoming() {
        let stream = stream.unwrap();

        handle_connection(stream);
    }
}

fn handle_connection(mut stream: TcpStream) {
    let buf_reader = BufReader::new(&stream);
    let http_request: Vec<_> = buf_reader
        .lines()
        .map(|result| result.unwrap())
        .take_while(|line| !line.is_empty())
        .collect();
    println!("Request: {http_request:#?}");

    // Every request gets the same answer, whatever it asked for: a status
    // line, one header, an empty line, then the page.
    let status_line = "HTTP/1.1 200 OK";
    // The HTML file sits beside Cargo.toml, so any working directory will do.
    let contents =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("hello.html")).unwrap();
    // The length of the body in bytes, so that the client knows where it ends.
    let length = contents.len();

    let response = format!("{status_line}\r\nContent-Length: {length}\r\n\r\n{contents}");

    stream.write_all(response.as_bytes()).unwrap();
}
