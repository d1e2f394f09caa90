//! The sandbox that every run of a student's code goes through: `cargo
//! fetch` and `cargo build` of its crate (its build scripts and proc macros,
//! and its dependencies'), and its server. Student code may
//!
//! - **files**: write only inside its crate's folder (the stage's copy, with
//!   its `target/`) and a private temporary folder, and read only those, the
//!   toolchain and the system's programs and libraries (Landlock);
//! - **network**: reach nothing but itself, build included (a network
//!   namespace of its own; only `cargo fetch`, which runs no crate code,
//!   reaches the registry);
//! - **processes**: leave nothing behind (a PID namespace, whose end kills
//!   every process in it, `setsid` ones too) and start a bounded number of
//!   processes (a limit per user namespace, or a pids cgroup as root);
//! - **resources**: use bounded memory, CPU time and file sizes;
//! - **rights**: hold no capability, even when the grader runs as root.
//!
//! Each protection is applied where the machine allows it; [`protections`]
//! says which hold, for the first line of the tools' output.
//!
//! The process tree of a sandboxed run: the child that the tool spawns (the
//! warden) unshares the namespaces and forks an init, process 1 of the new
//! PID namespace, which forks the program. Both forward the usual signals
//! (so a Ctrl-C test still reaches the server) and report the program's
//! exit status as their own. When the program ends, the init ends, and the
//! kernel kills whatever is left in the namespace.
//!
//! Every protection is made of Linux's own mechanisms. On other systems
//! (macOS, Windows) [`protections`] names each one as missing, and a
//! sandboxed run is an ordinary child process, as with [`turn_off`].

use harness::Process;
use serde::Serialize;
#[cfg(target_os = "linux")]
use std::{
    ffi::CString,
    os::fd::{AsRawFd, OwnedFd},
    os::unix::process::CommandExt,
    sync::atomic::AtomicU64,
    time::Duration,
};
use std::{
    fmt, fs, io,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        OnceLock,
        atomic::{AtomicBool, Ordering},
    },
};

/// What a sandboxed program is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `cargo fetch`: the only run with the machine's network, to download
    /// the crate's dependencies; it runs no crate code.
    Fetch,
    /// `cargo build --offline`.
    Build,
    /// The crate's own server.
    Server,
}

/// The network a sandboxed program gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// A namespace of its own, whose only interface is a loopback that is up.
    Private,
    /// The namespace of the tool that starts it: the machine's, or a private
    /// one the tool already runs in (the checker next to a student's server).
    Inherited,
}

/// The bounds on each process of a run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Memory: the address space (RLIMIT_AS) for a server, as before the
    /// sandbox; the data segment and private mappings (RLIMIT_DATA) for the
    /// compiler, whose allocator reserves address space it never uses.
    pub memory: u64,
    pub cpu_seconds: u64,
    /// The size of any one file written (RLIMIT_FSIZE: SIGXFSZ past it).
    pub file_size: u64,
    /// How many processes (threads included) may run at once.
    pub processes: u64,
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

impl Kind {
    pub fn limits(self) -> Limits {
        match self {
            Kind::Fetch => Limits {
                memory: 2 * GIB,
                cpu_seconds: 300,
                file_size: 512 * MIB,
                processes: 256,
            },
            Kind::Build => Limits {
                memory: 4 * GIB,
                cpu_seconds: 600,
                file_size: GIB,
                processes: 1024,
            },
            Kind::Server => Limits {
                memory: 4 * GIB,
                cpu_seconds: 300,
                file_size: 64 * MIB,
                processes: 512,
            },
        }
    }
}

/// One protection and whether it holds here.
#[derive(Clone, Debug, Serialize)]
pub struct Protection {
    pub name: &'static str,
    pub in_force: bool,
    /// Why not, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// Which protections hold on this machine.
#[derive(Clone, Debug, Serialize)]
pub struct Protections(pub Vec<Protection>);

impl Protections {
    /// Whether every protection holds.
    pub fn complete(&self) -> bool {
        self.0.iter().all(|p| p.in_force)
    }
}

impl fmt::Display for Protections {
    /// `sandbox: files ✓ network ✓ processes ✗ (no PID namespace: …) …`
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.0.iter().all(|p| p.why.as_deref() == Some(TURNED_OFF)) {
            return write!(
                f,
                "sandbox: off ({TURNED_OFF}: student code runs with all of this user's rights)"
            );
        }
        write!(f, "sandbox:")?;
        for p in &self.0 {
            match (&p.why, p.in_force) {
                (_, true) => write!(f, " {} ✓", p.name)?,
                (Some(why), false) => write!(f, " {} ✗ ({why})", p.name)?,
                (None, false) => write!(f, " {} ✗", p.name)?,
            }
        }
        Ok(())
    }
}

/// What the machine allows, found once per process.
#[cfg(target_os = "linux")]
struct Machine {
    /// The Landlock ABI version, or why there is none.
    landlock: Result<i32, String>,
    /// Whether a user namespace is made first: for anyone but the real root
    /// (who needs none, and whose process count no user namespace bounds).
    user_namespace: bool,
    net: Result<(), String>,
    pid: Result<(), String>,
    /// How the number of processes is bounded, or why it is not.
    count: Result<Count, String>,
}

#[cfg(target_os = "linux")]
#[derive(Clone, Debug)]
enum Count {
    /// RLIMIT_NPROC, set inside a user namespace of the run's own, where it
    /// counts the run's processes only.
    Rlimit,
    /// A pids cgroup per sandbox, made under this folder (for root, whom
    /// RLIMIT_NPROC does not bind).
    Cgroup(PathBuf),
}

#[cfg(target_os = "linux")]
fn machine() -> &'static Machine {
    static MACHINE: OnceLock<Machine> = OnceLock::new();
    MACHINE.get_or_init(|| {
        // Anyone but root makes a user namespace first, where the process
        // count limit counts the run's processes only; a process that holds
        // the rights of its own user namespace but may make no other makes
        // the others directly.
        let new_user = match real_root() {
            true => None,
            false => Some(try_unshare(libc::CLONE_NEWUSER)),
        };
        let user_namespace = match &new_user {
            None => false,
            Some(made) => made.is_ok() || try_unshare(libc::CLONE_NEWNET).is_err(),
        };
        let user = if user_namespace {
            libc::CLONE_NEWUSER
        } else {
            0
        };
        let namespaces = |flags| try_unshare(user | flags);
        let user_refused = new_user.and_then(Result::err).filter(|_| user_namespace);
        let refused = |what: &str, e: String| match &user_refused {
            Some(why) => format!("no {what}: user namespaces are disabled here ({why})"),
            None => format!("no {what}: {e}"),
        };
        let net = namespaces(libc::CLONE_NEWNET).map_err(|e| refused("network namespace", e));
        let pid = try_own_proc(user).map_err(|e| refused("PID namespace", e));
        // The limit counts per user namespace: without a usable one of its
        // own it would count every process of this user on the machine.
        let count = if user_namespace {
            match net.is_ok() || pid.is_ok() {
                true => Ok(Count::Rlimit),
                false => Err("no process count limit: no user namespace of its own".to_string()),
            }
        } else {
            pids_cgroup().map(Count::Cgroup)
        };
        Machine {
            landlock: landlock_abi(),
            user_namespace,
            net,
            pid,
            count,
        }
    })
}

/// Whether the sandbox is turned off, for measuring what it costs.
static OFF: AtomicBool = AtomicBool::new(false);

/// Why every protection is missing once [`turn_off`] was called.
const TURNED_OFF: &str = "turned off by --unsandboxed";

/// Turns the sandbox off for the rest of this process: student code runs
/// with all of this user's rights. Only for measuring what the sandbox
/// costs (`just grade-bench` times a class both ways).
pub fn turn_off() {
    OFF.store(true, Ordering::Relaxed);
}

/// Whether [`turn_off`] was called.
pub fn is_off() -> bool {
    OFF.load(Ordering::Relaxed)
}

/// Which protections a sandboxed run gets on this machine.
pub fn protections() -> Protections {
    if is_off() {
        let names = ["files", "network", "processes", "resources", "rights"];
        return Protections(
            names
                .into_iter()
                .map(|name| Protection {
                    name,
                    in_force: false,
                    why: Some(TURNED_OFF.to_string()),
                })
                .collect(),
        );
    }
    here()
}

/// Elsewhere than on Linux: none of them.
#[cfg(not(target_os = "linux"))]
fn here() -> Protections {
    elsewhere(if cfg!(target_os = "macos") {
        "macOS"
    } else if cfg!(windows) {
        "Windows"
    } else {
        "this system"
    })
}

/// What a system other than Linux gives: none of the protections, each
/// named with what is missing on `os`.
pub fn elsewhere(os: &str) -> Protections {
    let all = [
        ("files", format!("no Landlock on {os}")),
        (
            "network",
            format!("no network namespace on {os}: the server's port must be free"),
        ),
        ("processes", format!("no PID namespace on {os}")),
        ("resources", format!("no limits on {os}")),
        ("rights", format!("not dropped on {os}")),
    ];
    Protections(
        all.into_iter()
            .map(|(name, why)| Protection {
                name,
                in_force: false,
                why: Some(why),
            })
            .collect(),
    )
}

/// Which protections Linux gives here.
#[cfg(target_os = "linux")]
fn here() -> Protections {
    let m = machine();
    let files = m.landlock.as_ref().map(|_| ()).map_err(Clone::clone);
    let processes = match (&m.pid, &m.count) {
        (Ok(()), Ok(_)) => Ok(()),
        (Err(e), _) | (_, Err(e)) => Err(e.clone()),
    };
    let all = [
        ("files", files),
        ("network", m.net.clone()),
        ("processes", processes),
        ("resources", Ok(())),
        ("rights", Ok(())),
    ];
    Protections(
        all.into_iter()
            .map(|(name, result)| Protection {
                name,
                in_force: result.is_ok(),
                why: result.err(),
            })
            .collect(),
    )
}

/// Whether this process is root in the machine's own user namespace.
#[cfg(target_os = "linux")]
fn real_root() -> bool {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let map = fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
    let initial = map
        .split_whitespace()
        .collect::<Vec<_>>()
        .starts_with(&["0", "0", "4294967295"]);
    uid == 0 && initial
}

/// Whether a child may unshare these namespaces: `true` run in them.
#[cfg(target_os = "linux")]
fn try_unshare(flags: libc::c_int) -> Result<(), String> {
    let mut command = Command::new("true");
    // SAFETY: unshare is a system call.
    unsafe {
        command.pre_exec(move || match libc::unshare(flags) {
            0 => Ok(()),
            _ => Err(io::Error::last_os_error()),
        });
    }
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("a test process ended with {status}")),
        Err(e) => Err(refusal(&e)),
    }
}

/// Why the kernel refused a namespace, in words.
#[cfg(target_os = "linux")]
fn refusal(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EPERM | libc::EACCES) => "the system does not allow it".to_string(),
        Some(libc::ENOSPC) => "user.max_user_namespaces is reached".to_string(),
        Some(libc::EINVAL) => "the kernel does not support it".to_string(),
        _ => e.to_string(),
    }
}

/// Whether a child may make a PID namespace and a mount namespace, and
/// mount a /proc of the new PID namespace there, as the init does: it
/// finds the daemons to end in it.
#[cfg(target_os = "linux")]
fn try_own_proc(user: libc::c_int) -> Result<(), String> {
    let mut command = Command::new("true");
    // SAFETY: system calls only; the forked child makes two mounts and exits.
    unsafe {
        command.pre_exec(move || {
            check(libc::unshare(user | libc::CLONE_NEWPID | libc::CLONE_NEWNS))?;
            match libc::fork() {
                -1 => Err(io::Error::last_os_error()),
                0 => libc::_exit(match mount_own_proc() {
                    true => 0,
                    false => 1,
                }),
                child => {
                    let mut status = 0;
                    libc::waitpid(child, &mut status, 0);
                    match libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
                        true => Ok(()),
                        false => Err(io::Error::from_raw_os_error(libc::EPERM)),
                    }
                }
            }
        });
    }
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("a test process ended with {status}")),
        Err(e) => Err(refusal(&e)),
    }
}

/// In a new PID and mount namespace: mounts a /proc that shows the
/// namespace's processes only, without changing the machine's.
///
/// # Safety
///
/// System calls only.
#[cfg(target_os = "linux")]
unsafe fn mount_own_proc() -> bool {
    // SAFETY: mount with constant C strings.
    unsafe {
        let (none, no_data) = (std::ptr::null(), std::ptr::null());
        libc::mount(
            none,
            c"/".as_ptr(),
            none,
            libc::MS_REC | libc::MS_PRIVATE,
            no_data,
        ) == 0
            && libc::mount(
                c"proc".as_ptr(),
                c"/proc".as_ptr(),
                c"proc".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                no_data,
            ) == 0
    }
}

/// The kernel's Landlock ABI version.
#[cfg(target_os = "linux")]
fn landlock_abi() -> Result<i32, String> {
    // SAFETY: asks for the version only (no attributes, the version flag).
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32, // LANDLOCK_CREATE_RULESET_VERSION
        )
    };
    match version {
        v if v > 0 => Ok(v as i32),
        _ => {
            let e = io::Error::last_os_error();
            Err(match e.raw_os_error() {
                Some(libc::ENOSYS) => "no Landlock: the kernel is older than 5.13".to_string(),
                Some(libc::EOPNOTSUPP) => {
                    "no Landlock: it is not enabled in this kernel".to_string()
                }
                _ => format!("no Landlock: {e}"),
            })
        }
    }
}

/// The pids cgroup a root grader makes its sandboxes' groups in: its own,
/// in the pids hierarchy (cgroup v1) or the unified one (v2), if a group
/// made there gets a `pids.max`.
#[cfg(target_os = "linux")]
fn pids_cgroup() -> Result<PathBuf, String> {
    let own = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let mut candidates = Vec::new();
    for line in own.lines() {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next(), fields.next(), fields.next());
        let (Some(controllers), Some(path)) = (controllers, path) else {
            continue;
        };
        let path = path.trim_start_matches('/');
        if controllers.split(',').any(|c| c == "pids") {
            candidates.push(Path::new("/sys/fs/cgroup/pids").join(path));
        } else if controllers.is_empty() {
            candidates.push(Path::new("/sys/fs/cgroup").join(path));
        }
    }
    for parent in candidates {
        if let Ok(group) = Cgroup::new(&parent, 1) {
            drop(group);
            return Ok(parent);
        }
    }
    Err("no process count limit: no pids cgroup to make a group in".to_string())
}

/// A pids cgroup of one sandbox, removed when dropped.
#[cfg(target_os = "linux")]
struct Cgroup {
    dir: PathBuf,
}

#[cfg(target_os = "linux")]
impl Cgroup {
    fn new(parent: &Path, max: u64) -> io::Result<Cgroup> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "course-sandbox-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = parent.join(name);
        fs::create_dir(&dir)?;
        let group = Cgroup { dir };
        fs::write(group.dir.join("pids.max"), max.to_string())?;
        Ok(group)
    }
}

#[cfg(target_os = "linux")]
impl Drop for Cgroup {
    fn drop(&mut self) {
        // Its last processes may still be on their way out.
        for _ in 0..200 {
            if fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The Rust toolchain that builds student crates, and cargo's home.
struct Toolchain {
    cargo: PathBuf,
    rustc: PathBuf,
    sysroot: PathBuf,
    cargo_home: PathBuf,
}

fn toolchain() -> Result<&'static Toolchain, String> {
    static TOOLCHAIN: OnceLock<Result<Toolchain, String>> = OnceLock::new();
    TOOLCHAIN
        .get_or_init(|| {
            // The cargo that runs this tool (`cargo run`, `cargo test`) is the
            // toolchain's own binary, not rustup's proxy; otherwise ask rustc.
            let from_cargo = std::env::var_os("CARGO")
                .and_then(|c| fs::canonicalize(c).ok())
                .and_then(|c| Some(c.parent()?.parent()?.to_path_buf()))
                .filter(|root| root.join("bin/rustc").is_file());
            let sysroot = match from_cargo {
                Some(root) => root,
                None => {
                    let output = Command::new("rustc")
                        .args(["--print", "sysroot"])
                        .current_dir("/")
                        .output()
                        .map_err(|e| format!("cannot run rustc: {e}"))?;
                    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
                }
            };
            let home = std::env::var_os("CARGO_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
                .ok_or("neither CARGO_HOME nor HOME is set")?;
            fs::create_dir_all(&home)
                .map_err(|e| format!("cannot make {}: {e}", home.display()))?;
            let toolchain = Toolchain {
                cargo: sysroot.join("bin/cargo"),
                rustc: sysroot.join("bin/rustc"),
                cargo_home: fs::canonicalize(&home).unwrap_or(home),
                sysroot,
            };
            match toolchain.cargo.is_file() && toolchain.rustc.is_file() {
                true => Ok(toolchain),
                false => Err(format!(
                    "no cargo and rustc in the toolchain at {}",
                    toolchain.sysroot.display()
                )),
            }
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The system's programs and libraries, which every sandboxed program may
/// read and run; of /etc, only what the dynamic loader reads.
#[cfg(target_os = "linux")]
const SYSTEM: &[&str] = &[
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/proc",
    "/sys",
    "/dev/urandom",
    "/dev/random",
    "/dev/zero",
];

/// A sandbox for one kind of run in one crate's folder.
pub struct Sandbox {
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    kind: Kind,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    network: Network,
    /// The crate's folder: where student code may write.
    dir: PathBuf,
    /// Its private HOME and TMPDIR, removed with it.
    home: tempfile::TempDir,
    #[cfg(target_os = "linux")]
    cgroup: Option<Cgroup>,
}

impl Sandbox {
    /// A sandbox for `kind` in the crate folder `dir`.
    pub fn new(kind: Kind, dir: &Path, network: Network) -> io::Result<Sandbox> {
        let dir = fs::canonicalize(dir)?;
        let home = tempfile::Builder::new().prefix("sandbox-").tempdir()?;
        #[cfg(target_os = "linux")]
        let cgroup = match &machine().count {
            Ok(Count::Cgroup(parent)) if !OFF.load(Ordering::Relaxed) => {
                Some(Cgroup::new(parent, kind.limits().processes)?)
            }
            _ => None,
        };
        Ok(Sandbox {
            kind,
            network,
            dir,
            home,
            #[cfg(target_os = "linux")]
            cgroup,
        })
    }

    /// A command for `program` that sees only the sandbox's environment:
    /// PATH, a private HOME and TMPDIR, and for cargo the toolchain to use.
    /// Nothing else of the tool's environment (its tokens, say) reaches it.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.env_clear().current_dir(&self.dir);
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command
            .env("HOME", self.home.path())
            .env("TMPDIR", self.home.path());
        command
    }

    /// `cargo ARGS` in the crate's folder, with the toolchain that runs this
    /// tool and cargo's home, and no wrapper a crate's `.cargo/config.toml`
    /// could name (that would run its code at `cargo fetch`).
    pub fn cargo(&self) -> Result<Command, String> {
        let toolchain = toolchain()?;
        let mut command = self.command(&toolchain.cargo);
        command
            .env("CARGO_HOME", &toolchain.cargo_home)
            .env("RUSTC", &toolchain.rustc)
            .env("CARGO_BUILD_RUSTC_WRAPPER", "")
            .env("CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER", "");
        if let Some(incremental) = std::env::var_os("CARGO_INCREMENTAL") {
            command.env("CARGO_INCREMENTAL", incremental);
        }
        Ok(command)
    }

    /// Starts `command` in the sandbox, as a [`Process`] in a group of its
    /// own.
    pub fn spawn(&self, command: Command) -> io::Result<Process> {
        if OFF.load(Ordering::Relaxed) {
            return Process::spawn(command);
        }
        self.confined(command)
    }

    /// Starts `command` with every protection the machine allows.
    #[cfg(target_os = "linux")]
    fn confined(&self, command: Command) -> io::Result<Process> {
        let prepared = self.prepare()?;
        Process::spawn_then(command, move |command| {
            // SAFETY: `enter` makes only async-signal-safe system calls on
            // data prepared before the fork.
            unsafe {
                command.pre_exec(move || enter(&prepared));
            }
        })
    }

    /// Elsewhere than on Linux there is no protection to apply.
    #[cfg(not(target_os = "linux"))]
    fn confined(&self, command: Command) -> io::Result<Process> {
        Process::spawn(command)
    }

    /// The paths student code may read, and those it may also write.
    #[cfg(target_os = "linux")]
    fn paths(&self) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let mut read: Vec<PathBuf> = SYSTEM.iter().map(PathBuf::from).collect();
        let mut write = vec![
            self.dir.clone(),
            self.home.path().to_path_buf(),
            PathBuf::from("/dev/null"),
        ];
        if let Ok(toolchain) = toolchain() {
            match self.kind {
                Kind::Server => {}
                Kind::Build => {
                    read.push(toolchain.sysroot.clone());
                    // The sources of the dependencies `cargo fetch` got, and
                    // cargo's own settings; not its credentials.
                    for part in ["registry", "git", "config.toml", "config"] {
                        read.push(toolchain.cargo_home.join(part));
                    }
                    // The locks cargo takes on its caches, even offline.
                    for lock in [".package-cache", ".package-cache-mutate", ".global-cache"] {
                        let lock = toolchain.cargo_home.join(lock);
                        let _ = fs::OpenOptions::new().create(true).append(true).open(&lock);
                        write.push(lock);
                    }
                }
                Kind::Fetch => {
                    read.push(toolchain.sysroot.clone());
                    // Name resolution and certificates, to reach the registry.
                    read.push(PathBuf::from("/etc"));
                    write.push(toolchain.cargo_home.clone());
                }
            }
        }
        (read, write)
    }

    /// Everything the child needs, made before the fork: between fork and
    /// exec it may make system calls only, not allocate.
    #[cfg(target_os = "linux")]
    fn prepare(&self) -> io::Result<Prepared> {
        let m = machine();
        let limits = self.kind.limits();
        let memory = match self.kind {
            Kind::Server => libc::RLIMIT_AS,
            _ => libc::RLIMIT_DATA,
        };
        let mut rlimits = vec![
            (libc::RLIMIT_CORE, 0),
            (memory, limits.memory),
            (libc::RLIMIT_CPU, limits.cpu_seconds),
            (libc::RLIMIT_FSIZE, limits.file_size),
        ];

        let user_maps = if m.user_namespace && (m.net.is_ok() || m.pid.is_ok()) {
            // SAFETY: getuid and getgid cannot fail.
            let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
            Some([
                (c("/proc/self/setgroups"), b"deny".to_vec()),
                (
                    c("/proc/self/uid_map"),
                    format!("{uid} {uid} 1\n").into_bytes(),
                ),
                (
                    c("/proc/self/gid_map"),
                    format!("{gid} {gid} 1\n").into_bytes(),
                ),
            ])
        } else {
            None
        };
        if matches!(m.count, Ok(Count::Rlimit)) && user_maps.is_some() {
            rlimits.push((libc::RLIMIT_NPROC, limits.processes));
        }
        let new_net = self.network == Network::Private && m.net.is_ok();
        let pid_namespace = m.pid.is_ok();
        let mut unshare = libc::CLONE_NEWIPC;
        if new_net {
            unshare |= libc::CLONE_NEWNET;
        }
        if pid_namespace {
            unshare |= libc::CLONE_NEWPID | libc::CLONE_NEWNS;
        }
        if user_maps.is_none() && m.user_namespace {
            // Without a user namespace an ordinary user may make none.
            unshare = 0;
        }
        let landlock = match m.landlock {
            Ok(_) => self.ruleset()?,
            Err(_) => None,
        };
        let cgroup_procs = self
            .cgroup
            .as_ref()
            .map(|g| c(&g.dir.join("cgroup.procs").to_string_lossy()));
        // SAFETY: sigset_t is plain data; the calls only fill it.
        let waited = unsafe {
            let mut waited: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut waited);
            for signal in FORWARDED {
                libc::sigaddset(&mut waited, signal);
            }
            libc::sigaddset(&mut waited, libc::SIGCHLD);
            waited
        };
        Ok(Prepared {
            cgroup_procs,
            user_maps,
            rlimits,
            unshare,
            loopback: new_net,
            pid_namespace,
            landlock,
            waited,
        })
    }

    /// The Landlock ruleset, made in the tool: the child only applies it.
    #[cfg(target_os = "linux")]
    fn ruleset(&self) -> io::Result<Option<OwnedFd>> {
        use landlock::{
            ABI, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, Scope,
            path_beneath_rules,
        };
        let abi = ABI::V6;
        let (read, write) = self.paths();
        let to_io = |e: landlock::RulesetError| io::Error::other(e.to_string());
        let ruleset = Ruleset::default()
            .handle_access(AccessFs::from_all(abi))
            .map_err(to_io)?
            .scope(Scope::AbstractUnixSocket | Scope::Signal)
            .map_err(to_io)?
            .create()
            .map_err(to_io)?
            .add_rules(path_beneath_rules(&read, AccessFs::from_read(abi)))
            .map_err(to_io)?
            .add_rules(path_beneath_rules(&write, AccessFs::from_all(abi)))
            .map_err(to_io)?;
        Ok(ruleset.into())
    }
}

/// The signals the warden and the init pass on to the program.
#[cfg(target_os = "linux")]
const FORWARDED: [libc::c_int; 6] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

/// What the child applies, prepared by the tool.
#[cfg(target_os = "linux")]
struct Prepared {
    cgroup_procs: Option<CString>,
    user_maps: Option<[(CString, Vec<u8>); 3]>,
    rlimits: Vec<(libc::__rlimit_resource_t, u64)>,
    unshare: libc::c_int,
    loopback: bool,
    pid_namespace: bool,
    landlock: Option<OwnedFd>,
    /// The forwarded signals and SIGCHLD.
    waited: libc::sigset_t,
}

#[cfg(target_os = "linux")]
fn c(text: &str) -> CString {
    CString::new(text).expect("no NUL in a path")
}

#[cfg(target_os = "linux")]
fn check(result: libc::c_int) -> io::Result<()> {
    match result {
        -1 => Err(io::Error::last_os_error()),
        _ => Ok(()),
    }
}

/// Puts the child in the sandbox: run between fork and exec.
///
/// # Safety
///
/// Makes system calls only, on data prepared before the fork.
#[cfg(target_os = "linux")]
unsafe fn enter(p: &Prepared) -> io::Result<()> {
    // SAFETY: system calls on prepared data; see each step.
    unsafe {
        if let Some(procs) = &p.cgroup_procs {
            write_file(procs, b"0")?;
        }
        if let Some(maps) = &p.user_maps {
            check(libc::unshare(libc::CLONE_NEWUSER))?;
            for (path, content) in maps {
                write_file(path, content)?;
            }
        }
        // After the user namespace: there, RLIMIT_NPROC counts this run's
        // processes only.
        for &(resource, limit) in &p.rlimits {
            let limit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            check(libc::setrlimit(resource, &limit))?;
        }
        if p.unshare != 0 {
            check(libc::unshare(p.unshare))?;
        }
        if p.loopback {
            crate::netns::loopback_up()?;
        }
        if p.pid_namespace {
            let mut old: libc::sigset_t = std::mem::zeroed();
            check(libc::sigprocmask(libc::SIG_BLOCK, &p.waited, &mut old))?;
            let mut pipe = [0; 2];
            check(libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC))?;
            match libc::fork() {
                -1 => return Err(io::Error::last_os_error()),
                0 => {
                    libc::close(pipe[0]);
                    init(p, pipe[1]);
                    // The program's process: signals as they were.
                    libc::sigprocmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
                }
                init_pid => {
                    libc::close(pipe[1]);
                    warden(p, init_pid, pipe[0]);
                }
            }
        }
        confine(p)
    }
}

/// Drops every capability and applies the Landlock ruleset: the last step
/// before exec.
///
/// # Safety
///
/// System calls only.
#[cfg(target_os = "linux")]
unsafe fn confine(p: &Prepared) -> io::Result<()> {
    // SAFETY: prctl and capset on structures on this stack frame.
    unsafe {
        // The bounding set first (it takes CAP_SETPCAP), so that exec as root
        // gives nothing back; an ordinary user without a namespace has
        // nothing to drop.
        for cap in 0..64 {
            if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 {
                match io::Error::last_os_error().raw_os_error() {
                    Some(libc::EINVAL) => break,
                    Some(libc::EPERM) => break,
                    _ => return Err(io::Error::last_os_error()),
                }
            }
        }
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
        #[repr(C)]
        struct Header {
            version: u32,
            pid: libc::c_int,
        }
        #[repr(C)]
        #[derive(Clone, Copy)]
        struct Data {
            effective: u32,
            permitted: u32,
            inheritable: u32,
        }
        let header = Header {
            version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
            pid: 0,
        };
        let none = [Data {
            effective: 0,
            permitted: 0,
            inheritable: 0,
        }; 2];
        check(libc::syscall(libc::SYS_capset, &header, none.as_ptr()) as libc::c_int)?;
        check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
        if let (Some(ruleset), true) = (&p.landlock, p.pid_namespace) {
            // The init mounted a /proc of the namespace's own after the
            // ruleset was made: the rule for the machine's /proc does not
            // cover it. Reading it is allowed as before.
            #[repr(C, packed)]
            struct PathBeneath {
                allowed_access: u64,
                parent_fd: libc::c_int,
            }
            let proc = libc::open(c"/proc".as_ptr(), libc::O_PATH | libc::O_CLOEXEC);
            check(proc)?;
            let rule = PathBeneath {
                // LANDLOCK_ACCESS_FS_EXECUTE, _READ_FILE and _READ_DIR.
                allowed_access: 1 | 1 << 2 | 1 << 3,
                parent_fd: proc,
            };
            let added = libc::syscall(
                libc::SYS_landlock_add_rule,
                ruleset.as_raw_fd(),
                1u32, // LANDLOCK_RULE_PATH_BENEATH
                &rule,
                0u32,
            );
            libc::close(proc);
            check(added as libc::c_int)?;
        }
        if let Some(ruleset) = &p.landlock {
            check(
                libc::syscall(libc::SYS_landlock_restrict_self, ruleset.as_raw_fd(), 0u32)
                    as libc::c_int,
            )?;
        }
        Ok(())
    }
}

/// Process 1 of the new PID namespace: forks the program and returns in
/// it; in itself, forwards signals to it, reaps whatever ends, and when the
/// program ends, writes its status to `status` and exits, which ends every
/// process left in the namespace.
///
/// # Safety
///
/// System calls only.
#[cfg(target_os = "linux")]
unsafe fn init(p: &Prepared, status: libc::c_int) {
    // SAFETY: system calls on this frame's data.
    unsafe {
        // The warden's death (its group killed) ends the namespace too.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        // The machine allowed this mount when it was probed.
        if !mount_own_proc() {
            libc::_exit(127);
        }
        let program = libc::fork();
        if program == 0 {
            return;
        }
        if program < 0 {
            libc::_exit(127);
        }
        close_all_but(status);
        let tick = libc::timespec {
            tv_sec: 0,
            tv_nsec: 100_000_000,
        };
        loop {
            let signal = libc::sigtimedwait(&p.waited, std::ptr::null_mut(), &tick);
            if signal == libc::SIGCHLD || signal < 0 {
                let mut wait_status = 0;
                loop {
                    let pid = libc::waitpid(-1, &mut wait_status, libc::WNOHANG);
                    if pid <= 0 {
                        break;
                    }
                    if pid == program {
                        libc::write(status, (&raw const wait_status).cast(), 4);
                        libc::_exit(0);
                    }
                }
                end_orphans(program);
            } else if signal > 0 {
                libc::kill(program, signal);
            }
        }
    }
}

/// Kills every process whose parent is the init, but the program: a daemon
/// that outlived the process that started it (a `setsid` from a build
/// script, which would hold cargo's output open until the build's time
/// limit). A build or a server never leaves one legitimately. Reads the
/// namespace's own /proc, with no allocation.
///
/// # Safety
///
/// System calls only; in the init, where /proc is the namespace's.
#[cfg(target_os = "linux")]
unsafe fn end_orphans(program: libc::pid_t) {
    // SAFETY: getdents64, open, read and kill on this frame's buffers.
    unsafe {
        let dir = libc::open(
            c"/proc".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        );
        if dir < 0 {
            return;
        }
        let mut entries = [0u8; 4096];
        loop {
            let n = libc::syscall(
                libc::SYS_getdents64,
                dir,
                entries.as_mut_ptr(),
                entries.len(),
            );
            if n <= 0 {
                break;
            }
            let mut at = 0;
            while at + 19 < n as usize {
                // struct linux_dirent64: inode (8), offset (8), length (2),
                // type (1), then the name, NUL-terminated.
                let length = u16::from_ne_bytes([entries[at + 16], entries[at + 17]]) as usize;
                if let Some(pid) = decimal(&entries[at + 19..at + length]) {
                    if pid > 1 && pid != program && parent(pid) == Some(1) {
                        libc::kill(pid, libc::SIGKILL);
                    }
                }
                at += length.max(1);
            }
        }
        libc::close(dir);
    }
}

/// The number that `bytes` start with, up to a NUL, if they are digits.
#[cfg(target_os = "linux")]
fn decimal(bytes: &[u8]) -> Option<libc::pid_t> {
    let mut value: libc::pid_t = 0;
    let mut digits = 0;
    for &b in bytes {
        match b {
            b'0'..=b'9' if digits < 9 => {
                value = value * 10 + (b - b'0') as libc::pid_t;
                digits += 1;
            }
            0 => break,
            _ => return None,
        }
    }
    (digits > 0).then_some(value)
}

/// The parent of `pid`, from `/proc/PID/stat`: `pid (name) state ppid …`.
///
/// # Safety
///
/// System calls only.
#[cfg(target_os = "linux")]
unsafe fn parent(pid: libc::pid_t) -> Option<libc::pid_t> {
    let mut path = [0u8; 32];
    path[..6].copy_from_slice(b"/proc/");
    let mut digits = [0u8; 10];
    let mut count = 0;
    let mut rest = pid;
    loop {
        digits[count] = b'0' + (rest % 10) as u8;
        count += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut at = 6;
    for i in (0..count).rev() {
        path[at] = digits[i];
        at += 1;
    }
    for &b in b"/stat\0" {
        path[at] = b;
        at += 1;
    }
    let mut stat = [0u8; 512];
    // SAFETY: open, read, close on a descriptor this function owns.
    let n = unsafe {
        let fd = libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return None;
        }
        let n = libc::read(fd, stat.as_mut_ptr().cast(), stat.len());
        libc::close(fd);
        n
    };
    let stat = &stat[..usize::try_from(n).ok()?];
    let close = stat.iter().rposition(|&b| b == b')')?;
    // ") S 1 …": the state, then the parent.
    let after = stat.get(close + 4..)?;
    decimal(&after[..after.iter().position(|&b| b == b' ')?])
}

/// The child the tool spawned: forwards signals to the init, and when it
/// ends, ends as the program did.
///
/// # Safety
///
/// System calls only.
#[cfg(target_os = "linux")]
unsafe fn warden(p: &Prepared, init: libc::pid_t, status: libc::c_int) -> ! {
    // SAFETY: system calls on this frame's data.
    unsafe {
        close_all_but(status);
        loop {
            let signal = libc::sigwaitinfo(&p.waited, std::ptr::null_mut());
            if signal == libc::SIGCHLD {
                let mut wait_status = 0;
                if libc::waitpid(init, &mut wait_status, libc::WNOHANG) == init {
                    let mut reported: libc::c_int = 0;
                    if libc::read(status, (&raw mut reported).cast(), 4) == 4 {
                        wait_status = reported;
                    }
                    end_as(wait_status);
                }
            } else if signal > 0 {
                libc::kill(init, signal);
            }
        }
    }
}

/// Exits with the wait status `status`: the same code, or death by the
/// same signal.
///
/// # Safety
///
/// System calls only.
#[cfg(target_os = "linux")]
unsafe fn end_as(status: libc::c_int) -> ! {
    // SAFETY: system calls on this frame's data.
    unsafe {
        if libc::WIFSIGNALED(status) {
            let signal = libc::WTERMSIG(status);
            libc::signal(signal, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, signal);
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            libc::kill(libc::getpid(), signal);
            libc::_exit(128 + signal);
        }
        libc::_exit(libc::WEXITSTATUS(status))
    }
}

/// Closes every descriptor from 3 on but `keep`: among them the pipe on
/// which the standard library waits for the exec, which only the program
/// may hold, or spawning would wait for the warden and the init to end.
///
/// # Safety
///
/// System calls only.
#[cfg(target_os = "linux")]
unsafe fn close_all_but(keep: libc::c_int) {
    // SAFETY: close_range on descriptors this process owns.
    unsafe {
        let keep = keep as libc::c_uint;
        let below = keep <= 3 || libc::syscall(libc::SYS_close_range, 3u32, keep - 1, 0u32) == 0;
        let above = libc::syscall(libc::SYS_close_range, keep + 1, u32::MAX, 0u32) == 0;
        if !(below && above) {
            // A kernel older than 5.9: one by one.
            for fd in 3..65536 {
                if fd != keep {
                    libc::close(fd as libc::c_int);
                }
            }
        }
    }
}

/// Writes `content` to the file at `path`.
///
/// # Safety
///
/// System calls only.
#[cfg(target_os = "linux")]
unsafe fn write_file(path: &CString, content: &[u8]) -> io::Result<()> {
    // SAFETY: open, write, close on a descriptor this function owns.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let written = libc::write(fd, content.as_ptr().cast(), content.len());
        let error = io::Error::last_os_error();
        libc::close(fd);
        match written {
            n if n < 0 => Err(error),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What macOS (and Windows) students read as the first line of
    /// `just check --repo`: every protection missing, and why.
    #[test]
    fn elsewhere_than_on_linux_the_first_line_names_every_protection_missing() {
        let protections = elsewhere("macOS");
        assert!(!protections.complete());
        assert_eq!(
            protections.to_string(),
            "sandbox: files ✗ (no Landlock on macOS) network ✗ (no network namespace on \
             macOS: the server's port must be free) processes ✗ (no PID namespace on macOS) \
             resources ✗ (no limits on macOS) rights ✗ (not dropped on macOS)"
        );
    }
}
