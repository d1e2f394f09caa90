//! Crates that attack the machine that checks or grades them, for the
//! sandbox's tests: a build script and a server that try to read and write
//! outside their crate, reach a listener on the host's loopback, leave a
//! `setsid` process behind, fork without end and write a file without end,
//! and write what they managed into a report in their crate's folder.

use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
};

/// What the attacks aim at, outside the crate.
pub struct Targets {
    /// A folder of the test's beside the crate, with a classmate's secret.
    pub outside: tempfile::TempDir,
    /// A listener on the host's loopback.
    pub listener: TcpListener,
    /// A word unique to this test, in every file and process the attack
    /// makes outside.
    pub marker: String,
    pub home: PathBuf,
}

impl Targets {
    pub fn new(name: &str) -> Targets {
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir(outside.path().join("classmate")).unwrap();
        fs::write(
            outside.path().join("classmate/secret.txt"),
            "a classmate's work",
        )
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Targets {
            outside,
            listener,
            marker: format!("sandbox-attack-{name}-{}", std::process::id()),
            home: PathBuf::from(std::env::var_os("HOME").expect("HOME is set")),
        }
    }

    /// The files an attack by `who` writes outside, if it can.
    pub fn written(&self, who: &str) -> Vec<PathBuf> {
        vec![
            self.outside.path().join(format!("{who}-wrote")),
            PathBuf::from(format!("/tmp/{}-{who}", self.marker)),
            PathBuf::from(format!("/var/tmp/{}-{who}", self.marker)),
            self.home.join(format!("{}-{who}", self.marker)),
        ]
    }

    /// The processes whose command line holds the marker.
    pub fn leftovers(&self) -> Vec<u32> {
        fs::read_dir("/proc")
            .unwrap()
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
                let cmdline = fs::read(entry.path().join("cmdline")).ok()?;
                String::from_utf8_lossy(&cmdline)
                    .contains(&self.marker)
                    .then_some(pid)
            })
            .collect()
    }

    /// Whether anything connected to the listener since the last call.
    pub fn connected(&self) -> bool {
        let mut any = false;
        while self.listener.accept().is_ok() {
            any = true;
        }
        any
    }

    /// Undoes what an unsandboxed attack did.
    pub fn clean(&self) {
        for who in ["build", "server"] {
            for path in self.written(who) {
                let _ = fs::remove_file(path);
            }
        }
        // The daemons lead process groups of their own (setsid), with
        // their `sleep` in them.
        #[cfg(unix)]
        for pid in self.leftovers() {
            // SAFETY: kill only sends a signal.
            unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
        }
        self.connected();
    }

    /// `attack.rs`: one function, `attack(who)`, that the build script and
    /// the server both call, and that writes what it managed into
    /// `report-WHO.txt` in the crate's folder (where it may write).
    pub fn attack_rs(&self, who_writes: &[&str]) -> String {
        let quote = |p: &Path| format!("{:?}", p.display().to_string());
        let course = crate::repo_root().join("README.md");
        let secret = self.outside.path().join("classmate/secret.txt");
        let port = self.listener.local_addr().unwrap().port();
        let writes: Vec<String> = who_writes
            .iter()
            .map(|who| {
                let paths: Vec<String> = self.written(who).iter().map(|p| quote(p)).collect();
                format!("(\"{who}\", [{}])", paths.join(", "))
            })
            .collect();
        format!(
            r#"
#[allow(dead_code)]
fn attack(who: &str) {{
    use std::io::{{Seek, SeekFrom, Write}};
    // Once per crate: the checker starts its server for every check.
    if std::path::Path::new(&format!("report-{{who}}.txt")).exists() {{
        return;
    }}
    let mut report = String::new();
    for path in [{secret}, {course}, "/etc/shadow"] {{
        let got = if std::fs::read(path).is_ok() {{ "read" }} else {{ "denied" }};
        report.push_str(&format!("read {{path}}: {{got}}\n"));
    }}
    for (writer, paths) in [{writes}] {{
        if writer == who {{
            for path in paths {{
                let got = if std::fs::write(path, "attack").is_ok() {{ "wrote" }} else {{ "denied" }};
                report.push_str(&format!("write {{path}}: {{got}}\n"));
            }}
        }}
    }}
    // Not an attack: what a program may read of itself.
    let own = if std::fs::read("/proc/self/status").is_ok() {{ "allowed" }} else {{ "refused" }};
    report.push_str(&format!("own /proc: {{own}}\n"));
    let host = std::net::SocketAddr::from(([127, 0, 0, 1], {port}));
    let got = match std::net::TcpStream::connect_timeout(&host, std::time::Duration::from_secs(2)) {{
        Ok(_) => "connected",
        Err(_) => "denied",
    }};
    report.push_str(&format!("connect {{host}}: {{got}}\n"));
    // A daemon that leaves the process group, and holds our output open.
    let daemon = std::process::Command::new("setsid")
        .args(["sh", "-c", "sleep 600; true {marker}-{{who}}"])
        .spawn()
        .is_ok();
    report.push_str(&format!("setsid: {{daemon}}\n"));
    // A fork bomb, stopped at 1000 so that it ends without a sandbox too.
    // Its processes are ended once counted, so that the build can go on.
    let mut children = Vec::new();
    while children.len() < 1000 {{
        match std::process::Command::new("sleep").arg("600").spawn() {{
            Ok(child) => children.push(child),
            Err(_) => break,
        }}
    }}
    report.push_str(&format!("forked: {{}}\n", children.len()));
    for mut child in children {{
        let _ = child.kill();
        let _ = child.wait();
    }}
    // A file far larger than any a crate needs, written sparse: past the
    // limit on a file's size the write fails (SIGXFSZ ignored).
    unsafe extern "C" {{
        fn signal(signum: i32, handler: usize) -> usize;
    }}
    unsafe {{ signal(25, 1) }};
    let written = std::fs::File::create(format!("big-{{who}}"))
        .and_then(|mut file| {{
            file.seek(SeekFrom::Start(3 << 30))?;
            file.write_all(b"x")
        }})
        .is_ok();
    let _ = std::fs::remove_file(format!("big-{{who}}"));
    report.push_str(&format!("3 GiB file: {{written}}\n"));
    std::fs::write(format!("report-{{who}}.txt"), report).unwrap();
}}
"#,
            secret = quote(&secret),
            course = quote(&course),
            writes = writes.join(", "),
            marker = self.marker,
        )
    }

    /// A crate whose build script, server or both (`who`) attack, and whose
    /// server then serves as the module's commit 3 does.
    pub fn attacking_crate(&self, name: &str, who: &[&str]) -> PathBuf {
        let dir = self.outside.path().join(name);
        let mut main = crate::student::main_rs("3", 0);
        if who.contains(&"server") {
            main = main.replace(
                "fn main() {\n",
                "include!(\"attack.rs\");\n\nfn main() {\n    attack(\"server\");\n",
            );
        }
        write_crate(&dir, &main, "");
        fs::write(dir.join("src/attack.rs"), self.attack_rs(who)).unwrap();
        if who.contains(&"build") {
            fs::write(
                dir.join("build.rs"),
                "include!(\"src/attack.rs\");\n\nfn main() {\n    attack(\"build\");\n}\n",
            )
            .unwrap();
        }
        dir
    }
}

/// A crate named `hello` in `dir` with the book's pages, this `main.rs` and
/// these dependencies.
pub fn write_crate(dir: &Path, main_rs: &str, dependencies: &str) {
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [dependencies]\n{dependencies}\n[workspace]\n"
        ),
    )
    .unwrap();
    let milestone = crate::repo_root().join("milestones/m1");
    for page in ["hello.html", "404.html"] {
        fs::copy(milestone.join(page), dir.join(page)).unwrap();
    }
    fs::write(dir.join("src/main.rs"), main_rs).unwrap();
}
