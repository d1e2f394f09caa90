//! The checks, defined once: what each sends, what it expects, which
//! milestones it belongs to, and the concept to revisit when it fails.
//! `just check` runs them, and so do the milestones' own tests.

use crate::{
    http::{self, Background, Exchange, Response},
    metrics::{self as scrape, Format},
    subject::{Launch, Server, Subject},
};
use serde::Serialize;
use std::{
    fs,
    path::Path,
    thread,
    time::{Duration, Instant},
};

/// How long a request that should be answered at once may take.
const QUICK: Duration = Duration::from_secs(5);
/// How long `/sleep` may take when the checker does not know its delay
/// (the book's is 5 s, the module's handout says 10 s).
const SLEEP_LIMIT: Duration = Duration::from_secs(30);
/// The shortest delay that counts as a sleep when it is not known.
const SHORTEST_SLEEP: Duration = Duration::from_millis(500);
/// pool-size: how many `/sleep` it sends at once when the pool's size is
/// not known. More than the module's pool of 4, so that a pool shows.
const BURST: usize = 9;
/// idle-connections: how many connections sit idle while `GET /` is sent,
/// as a browser's spare connections do, many times over.
const IDLE_CONNECTIONS: usize = 100;
/// empty-connections: how many connections that send nothing. More than
/// the module's pool of 4, so that a pool that loses a worker to each dies.
const EMPTY_CONNECTIONS: usize = 8;
/// metrics: how many `GET /` it sends between its two scrapes; a counter of
/// requests goes up by at least as many.
const BETWEEN_SCRAPES: usize = 3;

/// One check.
pub struct Check {
    /// What the user types to select it: `just check m4 pool-size`.
    pub name: &'static str,
    /// The first milestone whose checks include it; `None` for a check of
    /// the module's stages only, run by name.
    pub from: Option<&'static str>,
    /// The last one, when a later milestone's lesson undoes it.
    pub until: Option<&'static str>,
    /// What it checks, in a line.
    pub what: &'static str,
    /// The concept to revisit when it fails, and where the book teaches it.
    pub hint: &'static str,
    /// A check whose result this one builds on: when that one fails, this
    /// one is not run.
    pub needs: Option<&'static str>,
    run: fn(&mut Context) -> Outcome,
}

impl Check {
    /// Whether milestone `number` includes this check.
    pub fn belongs_to(&self, number: u32) -> bool {
        let Some(from) = self.from.and_then(harness::milestones::number) else {
            return false;
        };
        let until = self.until.and_then(harness::milestones::number);
        number >= from && until.is_none_or(|until| number <= until)
    }
}

/// Every check, in the order they run.
pub const CHECKS: &[Check] = &[
    Check {
        name: "prints-request",
        from: None,
        until: None,
        what: "the server accepts a connection and prints the request it read",
        hint: "reading the request: a `BufReader` over the stream, its lines up to the \
               empty one, printed with `println!` (book listing 21-2)",
        needs: None,
        run: prints_request,
    },
    Check {
        name: "root",
        from: Some("m1"),
        until: None,
        what: "GET / answers 200 OK with hello.html and a correct Content-Length",
        hint: "returning HTML: a status line, headers, a blank line, then the body, \
               with a Content-Length that counts its bytes (book listing 21-5)",
        needs: None,
        run: root,
    },
    Check {
        name: "not-found",
        from: Some("m1"),
        until: None,
        what: "any other request answers 404 NOT FOUND with 404.html",
        hint: "validating the request and selectively responding: only `GET / HTTP/1.1` \
               gets hello.html, anything else 404.html (book listings 21-6 and 21-7)",
        needs: None,
        run: not_found,
    },
    Check {
        name: "sleep",
        from: Some("m2"),
        until: None,
        what: "GET /sleep answers 200 OK with hello.html after a delay",
        hint: "simulating a slow request: a `GET /sleep HTTP/1.1` arm that calls \
               `thread::sleep`, then serves hello.html (book listing 21-10)",
        needs: None,
        run: sleep,
    },
    Check {
        name: "blocks",
        from: Some("m2"),
        until: Some("m2"),
        what: "with one thread, GET / waits behind a /sleep in flight",
        hint: "one thread serves one connection at a time, so a slow request holds up \
               every request behind it (book section 21.2, 'Simulating a Slow Request')",
        needs: Some("sleep"),
        run: blocks,
    },
    Check {
        name: "parallel",
        from: Some("m3"),
        until: None,
        what: "GET / does not wait behind a /sleep in flight",
        hint: "serving connections in parallel: a thread for each (`thread::spawn`, \
               book listing 21-11) or a pool of them (listings 21-12 to 21-20)",
        needs: Some("sleep"),
        run: parallel,
    },
    Check {
        name: "pool-size",
        from: Some("m4"),
        // m7 has no pool: a task per connection.
        until: Some("m6"),
        what: "a pool bounds how many requests run at once",
        hint: "a ThreadPool: a fixed number of workers take jobs from one channel, so at \
               most that many requests run at once (book listings 21-12 to 21-20)",
        needs: Some("sleep"),
        run: pool_size,
    },
    Check {
        name: "build-result",
        from: Some("m5"),
        // m7 has no pool: a task per connection.
        until: Some("m6"),
        what: "ThreadPool::build returns a Result instead of panicking",
        hint: "a constructor that can fail returns `Result<ThreadPool, PoolCreationError>` \
               and is called `build`, not `new` (the book's suggestion in section 21.2; \
               our m5)",
        needs: None,
        run: build_result,
    },
    Check {
        name: "shutdown",
        from: Some("m6"),
        until: None,
        what: "Ctrl-C lets the request in flight finish, then the server exits with 0",
        hint: "graceful shutdown: handle Ctrl-C, stop accepting, and let `Drop for \
               ThreadPool` join every worker (book section 21.3; our m6)",
        needs: Some("sleep"),
        run: shutdown,
    },
    Check {
        name: "empty-connections",
        from: Some("m6"),
        until: None,
        what: "connections that send nothing cost no worker and no crash",
        hint: "robust error handling: a client that hangs up without a byte ends its own \
               handling, it does not panic a worker (`match` or `let … else` instead of \
               `unwrap`; our m6)",
        needs: None,
        run: empty_connections,
    },
    Check {
        name: "bad-request",
        from: Some("m6"),
        until: None,
        what: "a malformed request gets 400 BAD REQUEST and the server keeps serving",
        hint: "never trust the client: parse the request line into method, path and \
               version, and answer one that does not parse with 400 (our m6)",
        needs: None,
        run: bad_request,
    },
    Check {
        name: "idle-connections",
        from: Some("m7"),
        until: None,
        what: "connections that send nothing yet do not delay GET /",
        hint: "a task per connection: a connection that waits for its client holds \
               only its own task, not one of a few threads (tokio; our m7)",
        needs: None,
        run: idle_connections,
    },
    Check {
        name: "http-1-0",
        from: Some("m6"),
        until: None,
        what: "GET / HTTP/1.0 (ab, older clients) is served like GET / HTTP/1.1",
        hint: "parsing the request line instead of matching it whole: HTTP/1.0 asks for \
               the same page (our m6)",
        needs: None,
        run: http_1_0,
    },
    Check {
        name: "metrics",
        from: Some("m8"),
        until: None,
        what: "GET /metrics answers in the Prometheus text format, with a counter of requests",
        hint: "monitoring: count every request in a counter (a number that only goes up) \
               and serve the metrics at GET /metrics in the Prometheus text format or \
               OpenMetrics, with the Content-Type that names it (prometheus-client's \
               `Counter`, `Registry` and `encode`; our m8)",
        needs: None,
        run: metrics,
    },
];

/// Whether a check passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// Not run: what it needs failed, or it cannot run against this subject.
    Skip,
}

/// What one check found. On a failure: the bytes, what was expected, the
/// hint and a command that replays it.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub check: &'static str,
    pub status: Status,
    /// One line: what happened.
    pub summary: String,
    /// Timing checks: what was measured…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured: Option<String>,
    /// …and what the theory says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theory: Option<String>,
    /// The bytes sent, quoted with `\r\n` visible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    /// The bytes received, quoted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// A command that does the same by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<String>,
}

impl Outcome {
    fn new(status: Status, summary: impl Into<String>) -> Outcome {
        Outcome {
            check: "",
            status,
            summary: summary.into(),
            measured: None,
            theory: None,
            sent: None,
            received: None,
            expected: None,
            hint: None,
            replay: None,
        }
    }

    fn pass(summary: impl Into<String>) -> Outcome {
        Outcome::new(Status::Pass, summary)
    }

    fn fail(summary: impl Into<String>) -> Outcome {
        Outcome::new(Status::Fail, summary)
    }

    fn skip(summary: impl Into<String>) -> Outcome {
        Outcome::new(Status::Skip, summary)
    }

    fn timing(mut self, measured: impl Into<String>, theory: impl Into<String>) -> Outcome {
        self.measured = Some(measured.into());
        self.theory = Some(theory.into());
        self
    }

    fn bytes(mut self, exchange: &Exchange) -> Outcome {
        self.sent = Some(http::quote(&exchange.sent, 300));
        self.received = Some(http::quote(&exchange.received, 300));
        self
    }

    fn expected(mut self, expected: impl Into<String>) -> Outcome {
        self.expected = Some(expected.into());
        self
    }

    fn replay(mut self, replay: impl Into<String>) -> Outcome {
        self.replay = Some(replay.into());
        self
    }
}

/// What the checks of one run share.
struct Context<'a> {
    subject: &'a Subject,
    /// How long `/sleep` takes: known for our milestones, measured by the
    /// `sleep` check otherwise.
    sleep: Option<Duration>,
    /// Where the last server started listened: the replays' address for a
    /// student's crate.
    last_addr: Option<std::net::SocketAddr>,
}

impl Context<'_> {
    fn start(&mut self) -> Result<Server, String> {
        let server = self.subject.start()?;
        self.last_addr = Some(server.addr);
        Ok(server)
    }

    fn sleep(&self) -> Duration {
        self.sleep.unwrap_or(Duration::from_secs(5))
    }

    /// A page from the subject's folder, when the checker knows it.
    fn page(&self, name: &str) -> Option<Vec<u8>> {
        fs::read(self.subject.pages.as_ref()?.join(name)).ok()
    }

    /// The address a student types to replay a check: 7878 for our
    /// milestones (`just run mN`), the real one otherwise.
    fn addr(&self) -> String {
        match (&self.subject.launch, self.last_addr) {
            (Launch::Milestone { .. }, _) | (_, None) => "127.0.0.1:7878".to_string(),
            (_, Some(addr)) => addr.to_string(),
        }
    }

    /// A command to do by hand what a check did, with `ADDR` in `command`
    /// replaced by [`Context::addr`] (and `HOST` and `PORT` by its parts),
    /// after what starts the server.
    fn by_hand(&self, command: &str) -> String {
        let how = match &self.subject.launch {
            Launch::Milestone { milestone, .. } => format!("`just run {}`, then: ", milestone.name),
            Launch::Crate { .. } => "`cargo run` in your crate, then: ".to_string(),
            Launch::Running(_) => String::new(),
        };
        let addr = self.addr();
        let (host, port) = addr.rsplit_once(':').unwrap_or((&addr, "7878"));
        let command = command
            .replace("ADDR", &addr)
            .replace("HOST", host)
            .replace("PORT", port);
        format!("{how}{command}")
    }

    /// How to send the same request by hand.
    fn replay(&self, request: &[u8]) -> String {
        self.by_hand(&replay_command(&self.addr(), request))
    }
}

/// `curl -i http://ADDR/PATH` for a request as curl sends it, or else
/// `printf '…' | nc HOST PORT` with the exact bytes.
pub fn replay_command(addr: &str, request: &[u8]) -> String {
    let text = String::from_utf8_lossy(request);
    if let Some(path) = text
        .strip_prefix("GET ")
        .and_then(|rest| rest.split_once(" HTTP/1.1\r\nHost: "))
        .map(|(path, _)| path)
        .filter(|_| text.contains("User-Agent: course-check"))
    {
        return format!("curl -i http://{addr}{path}");
    }
    let (host, port) = addr.rsplit_once(':').unwrap_or((addr, "7878"));
    let escaped: String = request
        .iter()
        .map(|&b| match b {
            b'\r' => "\\r".to_string(),
            b'\n' => "\\n".to_string(),
            b'\'' => "'\\''".to_string(),
            b'\\' => "\\\\".to_string(),
            b'%' => "%%".to_string(),
            0x20..=0x7e => (b as char).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect();
    format!("printf '{escaped}' | nc {host} {port}")
}

/// The check called `name`.
pub fn find(name: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.name == name)
}

/// The checks named in `names` and the checks they need, in the order
/// they run, whatever milestone they belong to: the module's stages pick
/// their checks this way.
pub fn named(names: &[&str]) -> Result<Vec<&'static Check>, String> {
    if let Some(name) = names.iter().find(|n| find(n).is_none()) {
        return Err(format!("there is no check named '{name}'"));
    }
    Ok(CHECKS
        .iter()
        .filter(|c| {
            names.contains(&c.name)
                || CHECKS
                    .iter()
                    .any(|d| d.needs == Some(c.name) && names.contains(&d.name))
        })
        .collect())
}

/// The checks of milestone `milestone`, in order.
pub fn of(milestone: &harness::Milestone) -> Vec<&'static Check> {
    CHECKS
        .iter()
        .filter(|c| c.belongs_to(milestone.number()))
        .collect()
}

/// The checks of a stage of the module, in order, with those they need:
/// what `just grade` runs at the stage's commit and `just check 3` runs.
pub fn of_stage(stage: &harness::Stage) -> Vec<&'static Check> {
    named(stage.checks).expect("a stage names real checks")
}

/// The checks of `stage` named in `names` (all of them when `names` is
/// empty), with the checks they need added before them.
pub fn select_stage(
    stage: &harness::Stage,
    names: &[String],
) -> Result<Vec<&'static Check>, String> {
    let all = of_stage(stage);
    if let Some(name) = names.iter().find(|n| !all.iter().any(|c| c.name == *n)) {
        let list: Vec<&str> = all.iter().map(|c| c.name).collect();
        return Err(format!(
            "stage {} has no check named '{name}'; its checks: {}",
            stage.id,
            list.join(" ")
        ));
    }
    if names.is_empty() {
        return Ok(all);
    }
    let wanted = |name: &str| names.iter().any(|n| n == name);
    Ok(all
        .iter()
        .copied()
        .filter(|c| {
            wanted(c.name)
                || all
                    .iter()
                    .any(|d| d.needs == Some(c.name) && wanted(d.name))
        })
        .collect())
}

/// The checks of `milestone` named in `names` (all of them when `names` is
/// empty), with the checks they need added before them.
pub fn select(
    milestone: &harness::Milestone,
    names: &[String],
) -> Result<Vec<&'static Check>, String> {
    let all = of(milestone);
    if names.is_empty() {
        return Ok(all);
    }
    // A check of the module's stages only (`prints-request`) is run by name
    // with any milestone.
    let runnable = |c: &Check| c.from.is_none() || all.iter().any(|a| a.name == c.name);
    for name in names {
        if !CHECKS.iter().any(|c| c.name == name && runnable(c)) {
            let list: Vec<&str> = all.iter().map(|c| c.name).collect();
            return Err(format!(
                "{} has no check named '{name}'; its checks: {}",
                milestone.name,
                list.join(" ")
            ));
        }
    }
    Ok(CHECKS
        .iter()
        .filter(|c| runnable(c))
        .filter(|c| {
            names.iter().any(|n| n == c.name)
                || CHECKS
                    .iter()
                    .any(|d| d.needs == Some(c.name) && names.iter().any(|n| n == d.name))
        })
        .collect())
}

/// Runs `checks` against `subject` in order, calling `each` with every
/// outcome as it comes.
pub fn run(
    subject: &Subject,
    checks: &[&'static Check],
    mut each: impl FnMut(&Outcome),
) -> Vec<Outcome> {
    let mut context = Context {
        subject,
        sleep: subject.known_sleep(),
        last_addr: None,
    };
    let mut outcomes: Vec<Outcome> = Vec::new();
    for check in checks {
        let failed_need = check.needs.filter(|need| {
            outcomes
                .iter()
                .any(|o| o.check == *need && o.status != Status::Pass)
        });
        let mut outcome = match failed_need {
            Some(need) => Outcome::skip(format!("not run: it needs `{need}`, which did not pass")),
            None => (check.run)(&mut context),
        };
        outcome.check = check.name;
        if outcome.status == Status::Fail {
            outcome.hint = Some(check.hint.to_string());
        }
        each(&outcome);
        outcomes.push(outcome);
    }
    outcomes
}

fn cannot_start(why: String) -> Outcome {
    Outcome::fail(format!("cannot start the server: {why}"))
}

/// A duration as the output shows it: `5.01 s`.
fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Why `exchange` is not `status` with the page `page` (when known) and a
/// Content-Length that counts the body; `None` when it is.
fn wrong_page(
    exchange: &Exchange,
    status: &str,
    page: Option<&[u8]>,
    page_name: &str,
) -> Option<String> {
    let Some(response) = exchange.response() else {
        return Some(
            match exchange.received.is_empty() || exchange.failure.is_some() {
                true => exchange.ending(),
                false => {
                    "the answer has no blank line (\\r\\n\\r\\n) after its headers".to_string()
                }
            },
        );
    };
    if response.status_line != status {
        return Some(format!(
            "the status line is {}, not {status:?}",
            http::quote(response.status_line.as_bytes(), 80)
        ));
    }
    if let Some(why) = wrong_length(&response) {
        return Some(why);
    }
    match page {
        Some(page) if response.body != page => Some(format!(
            "the body ({} bytes) is not {page_name} ({} bytes)",
            response.body.len(),
            page.len()
        )),
        None if response.body.is_empty() => Some("the body is empty".to_string()),
        _ => exchange.failure.as_ref().map(|_| exchange.ending()),
    }
}

fn wrong_length(response: &Response) -> Option<String> {
    let Some(value) = response.header("Content-Length") else {
        return Some("there is no Content-Length header".to_string());
    };
    match value.parse::<usize>() {
        Ok(n) if n == response.body.len() => None,
        Ok(n) => Some(format!(
            "Content-Length says {n}, but the body has {} bytes",
            response.body.len()
        )),
        Err(_) => Some(format!("Content-Length {value:?} is not a number")),
    }
}

/// Checks one GET against an expected status and page.
fn page_check(
    context: &mut Context,
    path: &str,
    status: &str,
    page_name: &str,
    limit: Duration,
) -> (Outcome, Option<Exchange>) {
    let server = match context.start() {
        Ok(server) => server,
        Err(why) => return (cannot_start(why), None),
    };
    let request = http::get(path, server.addr);
    let exchange = http::exchange(server.addr, &request, limit);
    let page = context.page(page_name);
    let outcome = match wrong_page(&exchange, status, page.as_deref(), page_name) {
        None => Outcome::pass(format!(
            "GET {path} → {status} with {page_name}, Content-Length: {}",
            exchange.response().map_or(0, |r| r.body.len())
        )),
        Some(why) => Outcome::fail(format!("GET {path}: {why}"))
            .bytes(&exchange)
            .expected(format!(
                "{status:?}, a Content-Length header that counts the body's bytes, a blank \
                 line, then {page_name}"
            ))
            .replay(context.replay(&request)),
    };
    (outcome, Some(exchange))
}

fn prints_request(context: &mut Context) -> Outcome {
    if !context.subject.starts_the_server() {
        return Outcome::skip("not run: it reads what the server prints; check it with --repo DIR");
    }
    let server = match context.start() {
        Ok(server) => server,
        Err(why) => return cannot_start(why),
    };
    let request = http::get("/", server.addr);
    let exchange = http::exchange(server.addr, &request, QUICK);
    let process = server.process.as_ref().expect("the checker started it");
    let printed = |p: &harness::Process| {
        let out = p.stdout();
        out.contains("GET / HTTP/1.1") && out.contains("course-check")
    };
    let patience = Instant::now() + Duration::from_secs(2);
    while !printed(process) && Instant::now() < patience {
        thread::sleep(Duration::from_millis(10));
    }
    if printed(process) {
        return Outcome::pass("it printed the request line and headers it read");
    }
    let stdout = process.stdout();
    Outcome::fail(match stdout.trim().is_empty() {
        true => "it printed nothing for the request".to_string(),
        false => format!(
            "it printed {}, not the request",
            http::quote(stdout.trim().as_bytes(), 120)
        ),
    })
    .bytes(&exchange)
    .expected("the request on stdout: `GET / HTTP/1.1`, then its headers")
    .replay(context.replay(&request))
}

fn root(context: &mut Context) -> Outcome {
    page_check(context, "/", "HTTP/1.1 200 OK", "hello.html", QUICK).0
}

fn not_found(context: &mut Context) -> Outcome {
    page_check(
        context,
        "/nothing",
        "HTTP/1.1 404 NOT FOUND",
        "404.html",
        QUICK,
    )
    .0
}

fn sleep(context: &mut Context) -> Outcome {
    let known = context.subject.known_sleep();
    let limit = known.map_or(SLEEP_LIMIT, |s| s + QUICK);
    let (outcome, exchange) = page_check(context, "/sleep", "HTTP/1.1 200 OK", "hello.html", limit);
    let Some(exchange) = exchange else {
        return outcome;
    };
    if outcome.status != Status::Pass {
        return outcome;
    }
    let took = exchange.took;
    let shortest = known.map_or(SHORTEST_SLEEP, |s| s.mul_f64(0.9));
    let theory = match known {
        Some(s) => format!("SLEEP_MS makes it sleep {}", secs(s)),
        None => "whatever its delay is (the book sleeps 5 s, the module's handout 10 s)".into(),
    };
    let measured = format!("answered after {}", secs(took));
    if took < shortest {
        return Outcome::fail(format!(
            "GET /sleep answered after {}: it did not sleep",
            secs(took)
        ))
        .timing(measured, theory)
        .bytes(&exchange)
        .expected(format!("HTTP/1.1 200 OK after at least {}", secs(shortest)))
        .replay(context.by_hand("time curl -i http://ADDR/sleep"));
    }
    context.sleep = Some(took);
    Outcome::pass("GET /sleep → HTTP/1.1 200 OK with hello.html, after a delay")
        .timing(measured, theory)
}

/// Sends `/sleep` and, once it is in the server's queue, `GET /`. Whether
/// `GET /` waited for the sleep (half a sleep or more) is the lesson of
/// both `blocks` (it must) and `parallel` (it must not); this returns the
/// outcome for `should_wait`.
fn fast_beside_slow(context: &mut Context, should_wait: bool) -> Outcome {
    let server = match context.start() {
        Ok(server) => server,
        Err(why) => return cannot_start(why),
    };
    let sleep = context.sleep();
    let slow = http::in_background(
        server.addr,
        &http::get("/sleep", server.addr),
        sleep + SLEEP_LIMIT,
    );
    let fast = http::exchange(server.addr, &http::get("/", server.addr), sleep + QUICK);
    settle(context, vec![slow]);
    let measured = format!(
        "GET / answered after {} with a /sleep in flight",
        secs(fast.took)
    );
    let theory = format!(
        "one thread: GET / waits for the sleep, about {}; in parallel: at once",
        secs(sleep)
    );
    if let Some(why) = wrong_page(&fast, "HTTP/1.1 200 OK", None, "hello.html") {
        return Outcome::fail(format!("GET / with a /sleep in flight: {why}"))
            .timing(measured, theory)
            .bytes(&fast)
            .replay(context.replay(&fast.sent));
    }
    let waited = fast.took >= sleep / 2;
    let replay = context.by_hand("curl http://ADDR/sleep & time curl http://ADDR/");
    match (should_wait, waited) {
        (true, true) => {
            Outcome::pass("GET / waits behind a /sleep in flight").timing(measured, theory)
        }
        (false, false) => {
            Outcome::pass("GET / does not wait behind a /sleep in flight").timing(measured, theory)
        }
        (true, false) => Outcome::fail(format!(
            "GET / answered after {} while a /sleep was in flight: it did not wait",
            secs(fast.took)
        ))
        .timing(measured, theory)
        .bytes(&fast)
        .expected(format!("GET / to wait about {}", secs(sleep)))
        .replay(replay),
        (false, true) => Outcome::fail(format!(
            "GET / waited {} behind a /sleep: requests are served one at a time",
            secs(fast.took)
        ))
        .timing(measured, theory)
        .bytes(&fast)
        .expected("GET / answered at once while /sleep sleeps")
        .replay(replay),
    }
}

/// Waits for requests still in flight when the checker did not start the
/// server, so that the next check finds it idle. A server the checker
/// started is killed instead.
fn settle(context: &Context, in_flight: Vec<Background>) {
    if !context.subject.starts_the_server() {
        for request in in_flight {
            request.wait();
        }
    }
}

fn blocks(context: &mut Context) -> Outcome {
    fast_beside_slow(context, true)
}

fn parallel(context: &mut Context) -> Outcome {
    fast_beside_slow(context, false)
}

fn pool_size(context: &mut Context) -> Outcome {
    let server = match context.start() {
        Ok(server) => server,
        Err(why) => return cannot_start(why),
    };
    let sleep = context.sleep();
    let workers = context.subject.workers();
    let sent = workers.map_or(BURST, |w| 2 * w + 1);
    let start = Instant::now();
    let limit = sleep * (sent as u32 + 1) + QUICK;
    let requests: Vec<Background> = (0..sent)
        .map(|_| http::in_background(server.addr, &http::get("/sleep", server.addr), limit))
        .collect();
    // The first round ends after about one sleep; the second after two.
    // Count the answers until half a sleep after the first one.
    let first_deadline = start + sleep * 2 + QUICK;
    while !requests.iter().any(Background::is_finished) && Instant::now() < first_deadline {
        thread::sleep(Duration::from_millis(5));
    }
    let first = start.elapsed();
    let cutoff = Instant::now() + sleep / 2;
    while Instant::now() < cutoff && !requests.iter().all(Background::is_finished) {
        thread::sleep(Duration::from_millis(5));
    }
    let finished: Vec<usize> = (0..sent).filter(|&i| requests[i].is_finished()).collect();
    let at_once = finished.len();
    let answered_ok = requests
        .into_iter()
        .enumerate()
        .filter(|(i, _)| finished.contains(i))
        .map(|(_, r)| r.wait())
        .filter(|e| {
            e.response()
                .is_some_and(|r| r.status_line == "HTTP/1.1 200 OK")
        })
        .count();
    if !context.subject.starts_the_server() {
        // Let the rest drain so the next check finds the server idle.
        thread::sleep(sleep * (sent as u32).div_ceil(at_once.max(1) as u32));
    }
    let measured = format!(
        "{at_once} of {sent} /sleep sent at once answered in the first round (after {})",
        secs(first)
    );
    if at_once == 0 {
        return Outcome::fail(format!(
            "none of {sent} /sleep sent at once was answered within {}",
            secs(first)
        ))
        .timing(measured, "a pool answers its first round after one sleep")
        .replay(context.by_hand("for i in $(seq 9); do curl -s http://ADDR/sleep & done; wait"));
    }
    if answered_ok < at_once {
        return Outcome::fail(format!(
            "{} of the {at_once} answers in the first round are not 200 OK",
            at_once - answered_ok
        ))
        .timing(measured, "every /sleep answered 200 OK");
    }
    let (bounded, theory) = match workers {
        Some(w) => (
            at_once == w,
            format!("a pool of {w}: {w} at once, the rest in later rounds"),
        ),
        None => (
            (2..sent).contains(&at_once),
            format!(
                "a pool of N workers: N at once (the module's pool: 4), the rest in later \
                 rounds; a thread per request: all {sent}; one thread: 1"
            ),
        ),
    };
    if bounded {
        return Outcome::pass(format!(
            "{at_once} of {sent} /sleep ran at once: the pool bounds them"
        ))
        .timing(measured, theory);
    }
    let why = if at_once == sent {
        format!("all {sent} /sleep ran at once: nothing bounds the number of threads")
    } else if at_once == 1 {
        format!("the {sent} /sleep ran one at a time: nothing runs in parallel")
    } else {
        format!("{at_once} of {sent} /sleep ran at once")
    };
    Outcome::fail(why)
        .timing(measured, theory)
        .expected("a fixed number of requests at once, the rest waiting for a worker")
        .replay(context.by_hand(
            "for i in $(seq 9); do curl -s -o /dev/null -w '%{time_total}\\n' http://ADDR/sleep & done; wait",
        ))
}

fn build_result(context: &mut Context) -> Outcome {
    let Some(src) = &context.subject.sources else {
        return Outcome::skip("not run: it reads the crate's source; check it with --repo DIR");
    };
    let mut files = Vec::new();
    rust_files(src, &mut files, 0);
    let mut builds = Vec::new();
    for file in &files {
        let Ok(text) = fs::read_to_string(file) else {
            continue;
        };
        for (at, _) in text.match_indices("fn build") {
            let signature: String = text[at..]
                .chars()
                .take_while(|&c| c != '{' && c != ';')
                .take(300)
                .collect();
            let signature = signature.split_whitespace().collect::<Vec<_>>().join(" ");
            let name = file
                .strip_prefix(src.parent().unwrap_or(src))
                .unwrap_or(file);
            builds.push((name.display().to_string(), signature));
        }
    }
    let fallible = builds.iter().find(|(_, s)| s.contains("-> Result<"));
    let replay = "grep -rn 'fn build' src/";
    match (fallible, builds.first()) {
        (Some((file, signature)), _) => Outcome::pass(format!("{file}: `{signature}`")),
        (None, Some((file, signature))) => {
            Outcome::fail(format!("{file}: `{signature}` returns no Result"))
                .expected("`pub fn build(size: usize) -> Result<ThreadPool, PoolCreationError>`")
                .replay(replay)
        }
        (None, None) => Outcome::fail(
            "no `fn build` in src/: the pool is still made by a `new` that panics on 0",
        )
        .expected("`pub fn build(size: usize) -> Result<ThreadPool, PoolCreationError>`")
        .replay(replay),
    }
}

/// The `.rs` files under `dir`, at most a few levels and a few hundred deep.
fn rust_files(dir: &Path, files: &mut Vec<std::path::PathBuf>, depth: usize) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if files.len() >= 500 {
            return;
        }
        if path.is_dir() && depth < 4 {
            rust_files(&path, files, depth + 1);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

fn shutdown(context: &mut Context) -> Outcome {
    if !context.subject.starts_the_server() {
        return Outcome::skip(
            "not run: it sends Ctrl-C, so the checker must start the server (use --repo DIR)",
        );
    }
    if cfg!(windows) {
        return Outcome::skip(
            "not run: it sends Ctrl-C as a signal, which Windows does not have (use WSL 2)",
        );
    }
    let mut server = match context.start() {
        Ok(server) => server,
        Err(why) => return cannot_start(why),
    };
    let sleep = context.sleep();
    let request = http::get("/sleep", server.addr);
    let said_before = said(&server);
    let slow = http::in_background(server.addr, &request, sleep + SLEEP_LIMIT);
    // Give the server the request before the signal: wait until it says
    // something (the book's workers print "got a job"), a quarter sleep at most.
    let patience = Instant::now() + sleep / 4;
    while said(&server) == said_before && Instant::now() < patience {
        thread::sleep(Duration::from_millis(5));
    }
    let signalled = Instant::now();
    let process = server.process.as_mut().expect("the checker started it");
    if let Err(e) = process.interrupt() {
        return Outcome::fail(format!("cannot send SIGINT to the server: {e}"));
    }
    let status = process.wait_for_exit(sleep + QUICK * 2);
    let exited_after = signalled.elapsed();
    let answer = slow.wait();
    let page = context.page("hello.html");
    let page_wrong = wrong_page(&answer, "HTTP/1.1 200 OK", page.as_deref(), "hello.html");
    let theory = format!(
        "graceful: the request in flight gets its page, then the server exits with code 0, \
         within about {} of the signal",
        secs(sleep)
    );
    let how_it_ended = match status {
        Some(status) => format!(
            "the server ended ({}) {} after Ctrl-C",
            harness::process::describe(status),
            secs(exited_after)
        ),
        None => format!("the server still ran {} after Ctrl-C", secs(exited_after)),
    };
    let in_flight = match &page_wrong {
        None => "got its page".to_string(),
        Some(why) => format!("got no page ({why})"),
    };
    let measured = format!("{how_it_ended}; the /sleep in flight {in_flight}");
    let replay = context.by_hand(
        "`curl -i http://ADDR/sleep` in a second terminal, and Ctrl-C in the first while it sleeps",
    );
    match (status, &page_wrong) {
        (Some(status), None) if status.success() => Outcome::pass(
            "Ctrl-C: the /sleep in flight got its page, then the server exited with 0",
        )
        .timing(measured, theory),
        _ => Outcome::fail(format!(
            "Ctrl-C: the /sleep in flight {in_flight}, and the server did not exit with 0"
        ))
        .timing(measured, theory)
        .bytes(&answer)
        .expected("the /sleep in flight answered HTTP/1.1 200 OK with hello.html, then exit code 0")
        .replay(replay),
    }
}

/// How much the server has printed so far.
fn said(server: &Server) -> usize {
    server
        .process
        .as_ref()
        .map_or(0, |p| p.stdout().len() + p.stderr().len())
}

fn empty_connections(context: &mut Context) -> Outcome {
    let mut server = match context.start() {
        Ok(server) => server,
        Err(why) => return cannot_start(why),
    };
    for _ in 0..EMPTY_CONNECTIONS {
        if let Ok(stream) = std::net::TcpStream::connect_timeout(&server.addr, QUICK) {
            drop(stream);
        }
    }
    let request = http::get("/", server.addr);
    let after = http::exchange(server.addr, &request, QUICK);
    let replay = context.by_hand(&format!(
        "for i in $(seq {EMPTY_CONNECTIONS}); do nc -z HOST PORT; done; curl -i http://ADDR/"
    ));
    match wrong_page(&after, "HTTP/1.1 200 OK", None, "hello.html") {
        None => Outcome::pass(format!(
            "GET / → HTTP/1.1 200 OK after {EMPTY_CONNECTIONS} connections that sent nothing"
        )),
        Some(why) => {
            let why = server.death().unwrap_or(why);
            Outcome::fail(format!(
                "after {EMPTY_CONNECTIONS} connections that sent nothing, GET /: {why}"
            ))
            .bytes(&after)
            .expected("HTTP/1.1 200 OK: the server still serves")
            .replay(replay)
        }
    }
}

fn idle_connections(context: &mut Context) -> Outcome {
    let server = match context.start() {
        Ok(server) => server,
        Err(why) => return cannot_start(why),
    };
    let idle: Vec<_> = (0..IDLE_CONNECTIONS)
        .filter_map(|_| std::net::TcpStream::connect_timeout(&server.addr, QUICK).ok())
        .collect();
    let request = http::get("/", server.addr);
    let exchange = http::exchange(server.addr, &request, QUICK);
    drop(idle);
    let measured = format!(
        "GET / answered after {} with {IDLE_CONNECTIONS} idle connections open",
        secs(exchange.took)
    );
    let theory = "a task per connection: at once; a pool of N: once the idle connections \
                  that hold its N workers time out";
    let replay = context.by_hand(&format!(
        "for i in $(seq {IDLE_CONNECTIONS}); do (sleep 10 | nc HOST PORT &); done; time curl -i http://ADDR/"
    ));
    match wrong_page(&exchange, "HTTP/1.1 200 OK", None, "hello.html") {
        None if exchange.took < Duration::from_secs(1) => Outcome::pass(format!(
            "GET / is not delayed by {IDLE_CONNECTIONS} idle connections"
        ))
        .timing(measured, theory),
        None => Outcome::fail(format!(
            "GET / waited {} behind {IDLE_CONNECTIONS} idle connections",
            secs(exchange.took)
        ))
        .timing(measured, theory)
        .bytes(&exchange)
        .expected("GET / answered at once")
        .replay(replay),
        Some(why) => Outcome::fail(format!(
            "GET / with {IDLE_CONNECTIONS} idle connections open: {why}"
        ))
        .timing(measured, theory)
        .bytes(&exchange)
        .expected("HTTP/1.1 200 OK, at once")
        .replay(replay),
    }
}

fn bad_request(context: &mut Context) -> Outcome {
    let mut server = match context.start() {
        Ok(server) => server,
        Err(why) => return cannot_start(why),
    };
    let request = b"HELLO\r\n\r\n".to_vec();
    let exchange = http::exchange(server.addr, &request, QUICK);
    let replay = context.replay(&request);
    let status = exchange.response().map(|r| r.status_line);
    let refused = status
        .as_deref()
        .is_some_and(|s| s.starts_with("HTTP/1.1 400") || s.starts_with("HTTP/1.0 400"));
    if !refused {
        let why = match &status {
            Some(line) => format!("the status line is {}", http::quote(line.as_bytes(), 80)),
            None => exchange.ending(),
        };
        return Outcome::fail(format!("a request line that is not HTTP: {why}"))
            .bytes(&exchange)
            .expected("\"HTTP/1.1 400 BAD REQUEST\", then the server keeps serving")
            .replay(replay);
    }
    let after = http::exchange(server.addr, &http::get("/", server.addr), QUICK);
    match wrong_page(&after, "HTTP/1.1 200 OK", None, "hello.html") {
        None => Outcome::pass("HELLO → 400, and GET / is still served"),
        Some(why) => Outcome::fail(format!(
            "after answering 400, GET /: {}",
            server.death().unwrap_or(why)
        ))
        .bytes(&after)
        .expected("HTTP/1.1 200 OK: the server still serves")
        .replay(replay),
    }
}

fn http_1_0(context: &mut Context) -> Outcome {
    let server = match context.start() {
        Ok(server) => server,
        Err(why) => return cannot_start(why),
    };
    let request = b"GET / HTTP/1.0\r\n\r\n".to_vec();
    let exchange = http::exchange(server.addr, &request, QUICK);
    let page = context.page("hello.html");
    let status = exchange
        .response()
        .map(|r| r.status_line)
        .unwrap_or_default();
    let wrong = match status.as_str() {
        "HTTP/1.1 200 OK" | "HTTP/1.0 200 OK" => {
            wrong_page(&exchange, &status, page.as_deref(), "hello.html")
        }
        _ => wrong_page(&exchange, "HTTP/1.1 200 OK", page.as_deref(), "hello.html"),
    };
    match wrong {
        None => Outcome::pass(format!("GET / HTTP/1.0 → {status} with hello.html")),
        Some(why) => Outcome::fail(format!("GET / HTTP/1.0: {why}"))
            .bytes(&exchange)
            .expected("\"HTTP/1.1 200 OK\" with hello.html, as for HTTP/1.1")
            .replay(context.replay(&request)),
    }
}

/// One `GET /metrics`, read: its format and its counters.
struct Scrape {
    exchange: Exchange,
    format: Format,
    counters: Vec<scrape::Counter>,
}

/// What a `GET /metrics` must be, for the failures' `expected:`.
const METRICS_ANSWER: &str = "\"HTTP/1.1 200 OK\", a Content-Type of `text/plain; \
                              version=0.0.4` (the Prometheus text format) or \
                              `application/openmetrics-text` (OpenMetrics), and the metrics \
                              in that format";

/// `GET /metrics`, parsed by a parser of the format its Content-Type names;
/// the check's failure when it is not one.
fn scrape_metrics(context: &Context, addr: std::net::SocketAddr) -> Result<Scrape, Box<Outcome>> {
    let request = http::get("/metrics", addr);
    let exchange = http::exchange(addr, &request, QUICK);
    let fail = |why: String, expected: &str| {
        Box::new(
            Outcome::fail(format!("GET /metrics: {why}"))
                .bytes(&exchange)
                .expected(expected)
                .replay(context.replay(&request)),
        )
    };
    if let Some(why) = wrong_page(&exchange, "HTTP/1.1 200 OK", None, "the metrics") {
        return Err(fail(why, METRICS_ANSWER));
    }
    let response = exchange.response().expect("wrong_page found a response");
    let format = match response.header("Content-Type") {
        None => {
            return Err(fail(
                "there is no Content-Type header".into(),
                METRICS_ANSWER,
            ));
        }
        Some(value) => match Format::of(value) {
            Some(format) => format,
            None => {
                let why = format!(
                    "the Content-Type is {}, which names neither the Prometheus text format \
                     nor OpenMetrics",
                    http::quote(value.as_bytes(), 80)
                );
                return Err(fail(why, METRICS_ANSWER));
            }
        },
    };
    let body = String::from_utf8_lossy(&response.body);
    match scrape::counters(&body, format) {
        Ok(counters) => Ok(Scrape {
            exchange,
            format,
            counters,
        }),
        Err(why) => {
            let ending = match format {
                Format::OpenMetrics => ", and `# EOF` as the last line",
                Format::Prometheus => "",
            };
            Err(fail(
                format!("the body is not {}: {why}", format.name()),
                &format!(
                    "a body that a parser of {} accepts: `# HELP` and `# TYPE` lines, then \
                     the samples of each metric{ending}",
                    format.name()
                ),
            ))
        }
    }
}

fn metrics(context: &mut Context) -> Outcome {
    let server = match context.start() {
        Ok(server) => server,
        Err(why) => return cannot_start(why),
    };
    let before = match scrape_metrics(context, server.addr) {
        Ok(scrape) => scrape,
        Err(outcome) => return *outcome,
    };
    for _ in 0..BETWEEN_SCRAPES {
        http::exchange(server.addr, &http::get("/", server.addr), QUICK);
    }
    let n = BETWEEN_SCRAPES as f64;
    // The counter that went up the most, with its values before and after.
    let went_up = |after: &Scrape| {
        after
            .counters
            .iter()
            .map(|counter| {
                let was = before
                    .counters
                    .iter()
                    .find(|c| c.series == counter.series)
                    .map_or(0.0, |c| c.value);
                (counter, was)
            })
            .max_by(|(a, a_was), (b, b_was)| (a.value - a_was).total_cmp(&(b.value - b_was)))
            .map(|(counter, was)| (counter.clone(), was))
    };
    // A server may count a request just after its client has the answer:
    // scrape again for up to a second before concluding.
    let patience = Instant::now() + Duration::from_secs(1);
    let (after, most) = loop {
        let after = match scrape_metrics(context, server.addr) {
            Ok(scrape) => scrape,
            Err(outcome) => return *outcome,
        };
        let most = went_up(&after);
        if most.as_ref().is_some_and(|(c, was)| c.value - was >= n) || Instant::now() >= patience {
            break (after, most);
        }
        thread::sleep(Duration::from_millis(100));
    };
    let between = format!("{BETWEEN_SCRAPES} × GET / between two scrapes");
    let found = match &most {
        Some((counter, was)) if counter.value - was >= n => {
            return Outcome::pass(format!(
                "GET /metrics → {}; {} went from {was} to {} with {between}",
                after.format.name(),
                counter.series,
                counter.value
            ));
        }
        Some((counter, was)) => format!(
            "the one that rose most, {}, went from {was} to {}",
            counter.series, counter.value
        ),
        None => "it has no counter (no `# TYPE NAME counter`)".to_string(),
    };
    Outcome::fail(format!(
        "GET /metrics: no counter went up by {BETWEEN_SCRAPES} with {between}: {found}"
    ))
    .bytes(&after.exchange)
    .expected(format!(
        "a counter (`# TYPE NAME counter`) of the requests served, by any name and labels \
         (ours: `http_requests_total{{route=\"/\",status=\"200\"}}`), up by at least \
         {BETWEEN_SCRAPES} from one scrape to the next"
    ))
    .replay(context.by_hand(&format!(
        "curl -s http://ADDR/metrics; for i in $(seq {BETWEEN_SCRAPES}); do curl -s -o /dev/null \
         http://ADDR/; done; curl -s http://ADDR/metrics"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_needs_come_first() {
        for (i, check) in CHECKS.iter().enumerate() {
            assert!(
                CHECKS[..i].iter().all(|c| c.name != check.name),
                "{}",
                check.name
            );
            if let Some(need) = check.needs {
                assert!(CHECKS[..i].iter().any(|c| c.name == need), "{need}");
            }
            if let Some(from) = check.from {
                assert!(harness::milestones::find(from).is_ok(), "{from}");
            }
        }
    }

    #[test]
    fn a_milestone_has_the_checks_that_still_apply() {
        let names = |m: &str| -> Vec<&str> {
            of(harness::milestones::find(m).unwrap())
                .iter()
                .map(|c| c.name)
                .collect()
        };
        assert_eq!(names("m1"), ["root", "not-found"]);
        assert_eq!(names("m2"), ["root", "not-found", "sleep", "blocks"]);
        assert_eq!(names("m3"), ["root", "not-found", "sleep", "parallel"]);
        assert_eq!(
            names("m4"),
            ["root", "not-found", "sleep", "parallel", "pool-size"]
        );
        assert_eq!(
            names("m8"),
            [
                "root",
                "not-found",
                "sleep",
                "parallel",
                "shutdown",
                "empty-connections",
                "bad-request",
                "idle-connections",
                "http-1-0",
                "metrics"
            ]
        );
    }

    #[test]
    fn selecting_a_check_brings_what_it_needs() {
        let m4 = harness::milestones::find("m4").unwrap();
        let chosen = select(m4, &["pool-size".to_string()]).unwrap();
        let names: Vec<&str> = chosen.iter().map(|c| c.name).collect();
        assert_eq!(names, ["sleep", "pool-size"]);
        assert_eq!(
            select(m4, &["shutdown".to_string()]).err().unwrap(),
            "m4 has no check named 'shutdown'; its checks: root not-found sleep parallel pool-size"
        );
    }

    #[test]
    fn a_stage_has_its_checks_and_what_they_need() {
        let names = |id: &str| -> Vec<&str> {
            of_stage(harness::stages::find(id).unwrap())
                .iter()
                .map(|c| c.name)
                .collect()
        };
        assert_eq!(names("1"), ["prints-request"]);
        assert_eq!(names("3"), ["root", "not-found"]);
        assert_eq!(names("4"), ["sleep", "blocks"]);
        assert_eq!(names("5"), ["root", "sleep", "parallel", "pool-size"]);
        assert_eq!(names("bonus"), ["root", "build-result"]);
        for stage in harness::STAGES {
            assert!(named(stage.checks).is_ok(), "stage {}", stage.id);
        }
    }

    #[test]
    fn selecting_a_stages_check_brings_what_it_needs() {
        let five = harness::stages::find("5").unwrap();
        let chosen = select_stage(five, &["pool-size".to_string()]).unwrap();
        let names: Vec<&str> = chosen.iter().map(|c| c.name).collect();
        assert_eq!(names, ["sleep", "pool-size"]);
        let three = harness::stages::find("3").unwrap();
        assert_eq!(
            select_stage(three, &["sleep".to_string()]).err().unwrap(),
            "stage 3 has no check named 'sleep'; its checks: root not-found"
        );
    }

    #[test]
    fn replays_are_curl_for_plain_gets_and_nc_for_the_rest() {
        let addr = "127.0.0.1:7878";
        let get = http::get("/sleep", addr.parse().unwrap());
        assert_eq!(
            replay_command(addr, &get),
            "curl -i http://127.0.0.1:7878/sleep"
        );
        assert_eq!(
            replay_command(addr, b"HELLO\r\n\r\n"),
            "printf 'HELLO\\r\\n\\r\\n' | nc 127.0.0.1 7878"
        );
    }
}
