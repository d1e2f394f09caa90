//! m8 with the real thing: a Prometheus server scraping it with the
//! repository's `milestones/m8/prometheus.yml` and answering the queries in
//! `milestones/m8/queries/`, which m8's chapter shows; promtool's checks of
//! both the configuration and m8's metrics; and `just prometheus`.
//!
//! These need Prometheus and promtool (the Debian package `prometheus`).
//! Without them they print a note and pass, except on CI (`CI` set), where
//! `.ci/run` installs them and a missing one fails.

use crate::support::{Server, get_from, send_to};
use harness::Process;
use serde_json::Value;
use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant},
};

/// How long a test waits for Prometheus before it calls it stuck. Its
/// first scrape comes about 5 s after it starts: it gathers the targets it
/// discovered at most every 5 s.
const PATIENCE: Duration = Duration::from_secs(60);

/// The configuration and the queries, as the chapter shows them.
fn m8_file(path: &str) -> PathBuf {
    harness::repo_root().join("milestones/m8").join(path)
}

/// Whether `program` (prometheus or promtool) runs; when it does not, a
/// failure on CI, and elsewhere a note and `false`, to skip the test.
fn installed(program: &str) -> bool {
    if Command::new(program).arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "`{program}` is not installed on CI: .ci/run installs it"
    );
    // libtest captures what `eprintln!` prints in a test that passes, and a
    // skipped test passes: written to the handle itself, the note shows.
    let _ = writeln!(
        std::io::stderr(),
        "note: `{program}` is not installed, so this test is skipped; \
         install it with: sudo apt-get install prometheus"
    );
    false
}

/// A folder of this test's own under target/tmp, removed when dropped. The
/// process id makes it unique: another `cargo test` may run at the same
/// time in the same working tree.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("prometheus-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A Prometheus server, killed with its process group when dropped.
struct Prometheus {
    process: Process,
    addr: SocketAddr,
}

impl Prometheus {
    /// Starts Prometheus with this configuration, its data in `data`, on a
    /// port the system chooses, and finds that port: Prometheus prints it
    /// only inside a log line, so read the socket it listens on from /proc.
    fn start(config: &Path, data: &Path) -> Prometheus {
        let mut command = Command::new("prometheus");
        command
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg("--web.listen-address=127.0.0.1:0");
        let mut process = Process::spawn(command).expect("prometheus starts");
        let addr = wait_to_listen(&mut process, "prometheus", Process::listening_addrs);
        Prometheus { process, addr }
    }

    /// `GET path` of Prometheus's HTTP API, as JSON; `None` until it answers
    /// 200 (it answers 503 while its database opens).
    fn api(&self, path: &str) -> Option<Value> {
        let (status, body) = get_json(self.addr, path);
        (status == 200).then_some(body)
    }

    /// Waits until `done` returns something, asking again every 100 ms;
    /// fails the test after [`PATIENCE`] with what `state` says then.
    fn wait_for<T>(
        &self,
        what: &str,
        done: impl Fn() -> Option<T>,
        state: impl Fn() -> String,
    ) -> T {
        let start = Instant::now();
        loop {
            if let Some(found) = done() {
                return found;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "after {PATIENCE:?}, still no {what}: {}\nprometheus's log:\n{}",
                state(),
                self.process.stderr()
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The result of an instant query: one value per `route` label, as
    /// Prometheus computed it (NaN included).
    fn query_by_route(&self, promql: &str) -> Option<Vec<(String, f64)>> {
        let path = format!("/api/v1/query?query={}", encode(promql));
        let (status, answer) = get_json(self.addr, &path);
        if status == 503 {
            return None; // its database is not open yet
        }
        // A query Prometheus cannot run is a 400 or a 422 that says why.
        assert_eq!(answer["status"], "success", "{promql}: {answer}");
        assert_eq!(answer["data"]["resultType"], "vector", "{answer}");
        let result = answer["data"]["result"].as_array().unwrap();
        Some(
            result
                .iter()
                .map(|series| {
                    let route = series["metric"]["route"].as_str().unwrap_or("").to_string();
                    let value = series["value"][1].as_str().unwrap().parse().unwrap();
                    (route, value)
                })
                .collect(),
        )
    }
}

/// `GET path` with HTTP/1.0, which makes Go's server send the body whole,
/// without chunks, and close the connection: its status and JSON body.
fn get_json(addr: SocketAddr, path: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).expect("prometheus accepts connections");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("prometheus answers");
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Percent-encodes a query for a URL: every byte but the unreserved ones.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The repository's prometheus.yml with m8's real address instead of the
/// book's, written into `dir`.
fn config_for(addr: SocketAddr, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(m8_file("prometheus.yml")).unwrap();
    assert_eq!(
        text.matches("\"127.0.0.1:7878\"").count(),
        1,
        "prometheus.yml names m8's address, the book's, once:\n{text}"
    );
    let config = dir.join("prometheus.yml");
    std::fs::write(&config, text.replace("127.0.0.1:7878", &addr.to_string())).unwrap();
    config
}

/// m8 on a free port, its /sleep taking 300 ms: in the histogram's bucket
/// from 0.25 s to 0.5 s.
fn start_m8() -> Server {
    Server::start_with_env("m8", &["127.0.0.1:0"], &[("SLEEP_MS", "300")])
}

/// Requests m8 counts under the routes `/`, `other` and `/sleep`, and a
/// refusal, sent at the same time: together they take one `/sleep`.
fn some_requests(m8: &Server) {
    let slow: Vec<_> = (0..2).map(|_| m8.get_in_background("/sleep")).collect();
    for path in ["/", "/", "/", "/nowhere", "/nowhere"] {
        m8.get(path);
    }
    send_to(m8.addr, b"HELLO\r\n\r\n");
    for request in slow {
        request.wait();
    }
}

#[test]
fn prometheus_scrapes_m8_and_answers_the_chapters_queries() {
    if !installed("prometheus") {
        return;
    }
    let m8 = start_m8();
    // A first round, so that every series exists from the first scrape on:
    // a rate needs two samples of a series, and a series scraped for the
    // first time has one.
    some_requests(&m8);
    let scratch = Scratch::new("scrape");
    let config = config_for(m8.addr, &scratch.0);
    let prometheus = Prometheus::start(&config, &scratch.0.join("data"));

    // Prometheus's list of targets: the one in the configuration, with the
    // outcome of its last scrape.
    let targets = || {
        let targets = prometheus.api("/api/v1/targets")?;
        targets["data"]["activeTargets"].as_array().cloned()
    };
    let scraped = prometheus.wait_for(
        "scrape of m8 without error",
        || {
            let target = targets()?.into_iter().next()?;
            (target["health"] == "up" && target["lastError"] == "").then_some(target)
        },
        || targets().map_or("no answer".into(), |t| Value::Array(t).to_string()),
    );
    assert_eq!(
        scraped["scrapeUrl"],
        format!("http://{}/metrics", m8.addr),
        "{scraped}"
    );
    assert_eq!(scraped["labels"]["job"], "m8", "{scraped}");

    // A second round, which the next scrapes see as increases.
    some_requests(&m8);
    let rate = std::fs::read_to_string(m8_file("queries/request-rate.promql")).unwrap();
    let p99 = std::fs::read_to_string(m8_file("queries/p99-latency.promql")).unwrap();
    let routes = ["/", "other", "/sleep"];
    let of = |values: &[(String, f64)], route: &str| {
        values.iter().find(|(r, _)| r == route).map(|(_, v)| *v)
    };
    let (_, latencies) = prometheus.wait_for(
        "rate and p99 for every route requested",
        || {
            let rates = prometheus.query_by_route(&rate)?;
            let latencies = prometheus.query_by_route(&p99)?;
            let ready = routes.iter().all(|route| {
                of(&rates, route).is_some_and(|r| r > 0.0)
                    && of(&latencies, route).is_some_and(f64::is_finite)
            });
            // Prometheus's own scrapes are requests too, counted under
            // /metrics once answered: from its second scrape on.
            let ready = ready && of(&rates, "/metrics").is_some_and(|r| r > 0.0);
            ready.then_some((rates, latencies))
        },
        || {
            format!(
                "rate {:?}, p99 {:?}",
                prometheus.query_by_route(&rate),
                prometheus.query_by_route(&p99)
            )
        },
    );
    // Every request to /sleep took more than 0.25 s, and one to / far less.
    let sleep = of(&latencies, "/sleep").unwrap();
    assert!(sleep >= 0.25, "p99 of /sleep: {latencies:?}");
    let root = of(&latencies, "/").unwrap();
    assert!(root < 0.25, "p99 of /: {latencies:?}");

    let log = prometheus.process.stderr();
    let complaints: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("level=warn") || l.contains("level=error"))
        .collect();
    assert!(complaints.is_empty(), "prometheus complained:\n{log}");
}

/// m8 scraped by a Prometheus of its own, with the chapter's two queries
/// (`queries/*.promql`), once Prometheus has a rate of its own scrapes of
/// `/metrics`. Prometheus stops before its folder goes, and m8 last.
struct Scraped {
    prometheus: Prometheus,
    _scratch: Scratch,
    m8: Server,
    rate: String,
    p99: String,
}

impl Scraped {
    fn start(name: &str) -> Scraped {
        let m8 = Server::start("m8");
        let scratch = Scratch::new(name);
        let config = config_for(m8.addr, &scratch.0);
        let prometheus = Prometheus::start(&config, &scratch.0.join("data"));
        let scraped = Scraped {
            prometheus,
            _scratch: scratch,
            m8,
            rate: std::fs::read_to_string(m8_file("queries/request-rate.promql")).unwrap(),
            p99: std::fs::read_to_string(m8_file("queries/p99-latency.promql")).unwrap(),
        };
        scraped.prometheus.wait_for(
            "a rate of /metrics",
            || scraped.of(&scraped.rate, "/metrics"),
            || format!("{:?}", scraped.prometheus.query_by_route(&scraped.rate)),
        );
        scraped
    }

    /// The value of `promql` for `route`, if Prometheus has one.
    fn of(&self, promql: &str, route: &str) -> Option<f64> {
        let values = self.prometheus.query_by_route(promql)?;
        values.into_iter().find(|(r, _)| r == route).map(|(_, v)| v)
    }
}

/// m8's chapter: right after a restart, one `/sleep` served has a rate of
/// 0 and a p99 of NaN, since its series starts at 1; the second shows, as
/// 9.95 s for a sleep of 5 s. The chapter's commands, with the real curl and
/// promtool, in the repository's folder.
#[test]
fn a_series_appears_only_with_its_first_sample() {
    if !installed("prometheus") || !installed("promtool") {
        return;
    }
    use crate::book_outputs::{Mask, assert_same, block, masked, normalise, transcript};
    let block = block("m8.md", "{route=\"/sleep\"} => NaN");
    let scraped = Scraped::start("first-sample");
    let (m8, prometheus) = (&scraped.m8, &scraped.prometheus);
    let (rate, p99) = (&scraped.rate, &scraped.p99);
    let of = |promql: &str, route: &str| scraped.of(promql, route);
    let mut sleeps = 0;
    let url = format!("http://{}", prometheus.addr);
    let subs = [("http://127.0.0.1:9090", url)];
    let real = transcript(&block, m8.addr, &harness::repo_root(), &subs, |command| {
        if command.starts_with("$ curl") {
            sleeps += 1;
        } else if command.contains("request-rate") {
            // Two scrapes since the first /sleep: its series has a rate.
            prometheus.wait_for(
                "a rate of /sleep",
                || of(rate, "/sleep"),
                || format!("{:?}", prometheus.query_by_route(rate)),
            );
        } else if sleeps == 2 {
            // A scrape since the second /sleep.
            prometheus.wait_for(
                "a p99 of /sleep",
                || of(p99, "/sleep").filter(|v| v.is_finite()),
                || format!("{:?}", prometheus.query_by_route(p99)),
            );
        }
    });
    // What varies: the values of /metrics, the moments of the queries, and
    // the order of the series in an answer.
    let rules: [Mask; 2] = [
        (
            r#"\{route="/metrics"\} => [\d.e+-]+"#,
            r#"{route="/metrics"} => N"#,
        ),
        (r"@\[[\d.]+\]", "@[T]"),
    ];
    let in_any_order = |text: &str| -> String {
        let mut out: Vec<String> = Vec::new();
        let mut answer: Vec<String> = Vec::new();
        for line in masked(text, &rules).lines().chain(["$ "]) {
            if line.starts_with("$ ") {
                answer.sort();
                out.append(&mut answer);
                out.push(line.to_string());
            } else {
                answer.push(line.to_string());
            }
        }
        out.pop();
        out.join("\n")
    };
    let book = in_any_order(&block.lines.join("\n"));
    let shown = in_any_order(&normalise(real.trim_end(), Some(m8.addr)));
    assert_same(&block, &book, &shown);
}

/// m8's chapter asks Prometheus for the request rate and the p99 latency
/// by route, under load with a few `/sleep` beside it. Here the load is
/// lighter and shorter than the chapter's minute of oha (about 200 `GET /`
/// a second from this test, for some 20 s, less than the queries' window of
/// a minute, which makes `rate` read low), so the rates differ and are
/// masked; the routes and the p99 of a 5 s sleep, 9.95 s, do not.
#[test]
fn the_chapters_queries_under_load() {
    if !installed("prometheus") || !installed("promtool") {
        return;
    }
    use crate::book_outputs::{Mask, assert_same, block, masked, normalise, transcript};
    let block = block("m8.md", "{route=\"/\"} => 9613");
    let scraped = Scraped::start("under-load");
    let (m8, prometheus) = (&scraped.m8, &scraped.prometheus);
    let (rate, p99) = (&scraped.rate, &scraped.p99);
    // Three sleeps one after the other, and the load beside them until the
    // chapter's queries have been asked.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let addr = m8.addr;
    let sleeps = thread::spawn(move || {
        for _ in 0..3 {
            get_from(addr, "/sleep");
        }
    });
    let load = {
        let done = std::sync::Arc::clone(&done);
        thread::spawn(move || {
            let start = Instant::now();
            while !done.load(std::sync::atomic::Ordering::SeqCst) && start.elapsed() < PATIENCE {
                get_from(addr, "/");
                thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let url = format!("http://{}", prometheus.addr);
    let subs = [("http://127.0.0.1:9090", url)];
    let routes = ["/", "/metrics", "/sleep"];
    let real = transcript(&block, m8.addr, &harness::repo_root(), &subs, |command| {
        // Every route in each answer: a rate for each, and a p99 for each
        // once a second sleep has been scraped (the first one only created
        // its series).
        let promql = if command.contains("request-rate") {
            rate
        } else {
            p99
        };
        prometheus.wait_for(
            "an answer for every route",
            || {
                let values = prometheus.query_by_route(promql)?;
                routes
                    .iter()
                    .all(|route| values.iter().any(|(r, v)| r == route && v.is_finite()))
                    .then_some(())
            },
            || format!("{:?}", prometheus.query_by_route(promql)),
        );
    });
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    load.join().unwrap();
    sleeps.join().unwrap();
    // What varies: every rate, the p99 of / and /metrics (not that of
    // /sleep), the moments of the queries, and the order of the series in
    // an answer.
    let every_value: Mask = (r"=> [\d.e+-]+ @", "=> N @");
    let but_sleep: Mask = (
        r#"\{route="(/|/metrics)"\} => [\d.e+-]+"#,
        r#"{route="$1"} => N"#,
    );
    let moment: Mask = (r"@\[[\d.]+\]", "@[T]");
    let in_any_order = |text: &str| -> String {
        let mut out: Vec<String> = Vec::new();
        let mut answer: Vec<String> = Vec::new();
        let mut rule = every_value;
        for line in text.lines().chain(["$ "]) {
            if line.starts_with("$ ") {
                answer.sort();
                out.append(&mut answer);
                out.push(line.to_string());
                rule = if line.contains("request-rate") {
                    every_value
                } else {
                    but_sleep
                };
            } else {
                answer.push(masked(line, &[rule, moment]));
            }
        }
        out.pop();
        out.join("\n")
    };
    let book = in_any_order(&block.lines.join("\n"));
    let shown = in_any_order(&normalise(real.trim_end(), Some(m8.addr)));
    assert_same(&block, &book, &shown);
}

#[test]
fn promtool_finds_nothing_wrong_with_the_config_or_m8s_metrics() {
    if !installed("promtool") {
        return;
    }
    let config = m8_file("prometheus.yml");
    let output = Command::new("promtool")
        .args(["check", "config"])
        .arg(&config)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(said.contains(" SUCCESS: "), "{said}");

    // Every family shows, the refusals' included.
    let m8 = start_m8();
    some_requests(&m8);
    let metrics = get_from(m8.addr, "/metrics").body();
    assert!(metrics.contains("\nhttp_refusals_total{"), "{metrics}");
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let classic = classic_text_format(&metrics);
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(classic.as_bytes())
        .unwrap();
    let output = promtool.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    // promtool lints names (a counter ends in _total, units are base units,
    // every metric has its help) and says nothing when all is well.
    assert!(
        output.status.success() && said.is_empty(),
        "promtool check metrics ({}):\n{said}\non:\n{classic}",
        output.status
    );
}

/// OpenMetrics text as the classic Prometheus text format, the only one
/// promtool 2.42 reads. In OpenMetrics a counter's family is `name` and its
/// sample `name_total`; in the classic format, both are `name_total`. Read
/// as it is, every counter would be a sample without help.
fn classic_text_format(openmetrics: &str) -> String {
    let counters: Vec<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    openmetrics
        .lines()
        .map(|line| {
            for kind in ["# HELP ", "# TYPE "] {
                if let Some(rest) = line.strip_prefix(kind) {
                    let name = rest.split(' ').next().unwrap();
                    if counters.contains(&name) {
                        return format!("{kind}{name}_total{}\n", &rest[name.len()..]);
                    }
                }
            }
            format!("{line}\n")
        })
        .collect()
}

/// `just prometheus`, to run from the repository root with `args`; `None`
/// to skip when just is not installed.
fn just_prometheus(args: &[&str]) -> Option<Command> {
    let mut just = harness::just(&harness::repo_root())?;
    just.arg("prometheus").args(args);
    Some(just)
}

#[test]
fn just_prometheus_without_prometheus_says_how_to_install_it() {
    let Some(mut just) = just_prometheus(&[]) else {
        return;
    };
    // Every program of PATH but prometheus and promtool, wherever they are
    // installed: a machine without them.
    let scratch = Scratch::new("no-prometheus");
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for program in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = program.file_name();
            if name != "prometheus" && name != "promtool" {
                // The first of a name on PATH wins, as it does for a shell.
                let _ = std::os::unix::fs::symlink(program.path(), scratch.0.join(&name));
            }
        }
    }
    // With PATH set, Command looks `just` up in the new PATH: it is there.
    let output = just.env("PATH", &scratch.0).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: prometheus is not installed; install it with: sudo apt-get install prometheus\n"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn just_prometheus_refuses_a_bad_or_taken_port_in_one_line() {
    if !installed("prometheus") {
        return;
    }
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    for (port, code, error) in [
        (
            "abc",
            2,
            "error: 'abc' is not a port; pass a number from 1 to 65535, such as 9091\n".to_string(),
        ),
        (
            &port,
            1,
            format!(
                "error: 127.0.0.1:{port} is taken (by the service the prometheus package \
                 starts? stop it with: sudo systemctl stop prometheus); or pass another \
                 port, such as: just prometheus 9091\n"
            ),
        ),
    ] {
        let Some(mut just) = just_prometheus(&[port]) else {
            return;
        };
        let output = just.output().unwrap();
        assert_eq!(output.status.code(), Some(code), "{output:?}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), error);
    }
}

#[test]
fn just_prometheus_runs_the_repositorys_config_and_cleans_up_on_ctrl_c() {
    if !installed("prometheus") {
        return;
    }
    // Port 0, which the recipe passes on, since a test takes no fixed port;
    // its temporary data folder in one the test watches.
    let Some(mut just) = just_prometheus(&["0"]) else {
        return;
    };
    let tmp = Scratch::new("recipe");
    just.env("TMPDIR", &tmp.0);
    let mut recipe = Process::spawn(just).expect("just starts");
    // Prometheus is the recipe's grandchild, in its process group.
    let prometheus = Prometheus {
        addr: wait_to_listen(
            &mut recipe,
            "just prometheus",
            Process::group_listening_addrs,
        ),
        process: recipe,
    };
    // The configuration it runs with, as Prometheus read it (with its
    // defaults filled in), once its database is open: the repository's.
    // The test stops it before its first scrape, which would go to the
    // book's address, 127.0.0.1:7878, whatever listens there.
    let config = prometheus.wait_for(
        "configuration from /api/v1/status/config",
        || {
            let answer = prometheus.api("/api/v1/status/config")?;
            answer["data"]["yaml"].as_str().map(str::to_string)
        },
        String::new,
    );
    for line in [
        "- job_name: m8\n",
        "  scrape_interval: 1s\n",
        "  metrics_path: /metrics\n",
        "    - 127.0.0.1:7878\n",
    ] {
        assert!(config.contains(line), "no {line:?} in:\n{config}");
    }
    let mut recipe = prometheus.process;
    // The command it shows, then Prometheus's log.
    let stderr = recipe.stderr();
    let data = stderr
        .lines()
        .next()
        .and_then(|command| {
            command.strip_prefix(
                "prometheus --config.file=milestones/m8/prometheus.yml --storage.tsdb.path=",
            )
        })
        .and_then(|rest| rest.strip_suffix(" --web.listen-address=127.0.0.1:0"))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("not the command expected:\n{stderr}"));
    assert!(data.starts_with(&tmp.0), "{}", data.display());
    assert!(
        data.join("wal").is_dir(),
        "no database in {}",
        data.display()
    );

    // Ctrl-C in a terminal signals the whole foreground process group.
    // SAFETY: a negative pid names the recipe's own process group.
    unsafe { libc::kill(-(recipe.pid() as libc::pid_t), libc::SIGINT) };
    recipe
        .wait_for_exit(PATIENCE)
        .expect("just prometheus stops on Ctrl-C");
    assert!(!data.exists(), "{} is left behind", data.display());
}

/// The first address `listening` finds for `process` (the program named
/// `what`), from /proc: for programs that do not print where they listen.
fn wait_to_listen(
    process: &mut Process,
    what: &str,
    listening: impl Fn(&Process) -> Vec<SocketAddr>,
) -> SocketAddr {
    let start = Instant::now();
    loop {
        if let Some(addr) = listening(process).first() {
            return *addr;
        }
        if let Some(status) = process.try_wait() {
            panic!(
                "{what} exited ({}) before listening:\n{}",
                harness::process::describe(status),
                process.stderr()
            );
        }
        assert!(
            start.elapsed() < PATIENCE,
            "{what} does not listen after {PATIENCE:?}:\n{}",
            process.stderr()
        );
        thread::sleep(Duration::from_millis(20));
    }
}
