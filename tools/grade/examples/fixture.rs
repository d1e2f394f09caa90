//! Writes a fixture class for trying the grader by hand:
//! `cargo run -p grade --example fixture -- DIR [COUNT] [SLEEP_MS]`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("error: usage: fixture DIR [COUNT] [SLEEP_MS]");
        std::process::exit(2);
    };
    let count = args.get(1).and_then(|c| c.parse().ok()).unwrap_or(4);
    let sleep_ms = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    match grade::fixtures::class(std::path::Path::new(dir), count, sleep_ms) {
        Ok(names) => println!("{}", names.join(" ")),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
