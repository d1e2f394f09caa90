use std::{
    env,
    io::{BufReader, ErrorKind, prelude::*},
    net::{TcpListener, TcpStream},
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
    let buf_reader = BufReader::new(&mut stream);
    // A request's head is lines ending in CRLF, then one empty line: reading
    // stops there, because a client that waits for an answer sends nothing
    // more, and reading on would wait forever.
    let http_request: Vec<_> = buf_reader
        .lines()
        .map(|result| result.unwrap())
        .take_while(|line| !line.is_empty())
        .collect();

    // Nothing is written back yet: the client waits until the connection
    // closes, at the end of this function, and then reports an empty reply.
    println!("Request: {http_request:#?}");
}
