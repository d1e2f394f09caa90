//! A private network for a student's server. Every student's crate binds the
//! fixed address 127.0.0.1:7878; run in a network namespace of its own, it
//! gets its own loopback, so it can neither collide with a server already
//! on 7878 (a milestone left running, another student's crate) nor reach
//! anything but itself.
//!
//! As root the child unshares its network namespace; otherwise it first
//! makes a user namespace in which it may (where the kernel allows users
//! to), as `unshare --net --map-root-user` does. The loopback interface
//! starts down in a new namespace: the child brings it up before `exec`.

use std::{ffi::CString, io, os::unix::process::CommandExt, process::Command};

/// Makes `command` start in a network namespace of its own whose only
/// interface is a loopback that is up. Spawning then fails with the reason
/// (such as `EPERM`) where this machine does not allow it.
pub fn private_network(command: &mut Command) {
    // Everything the child needs is prepared here, before the fork: between
    // fork and exec it may only make system calls, not allocate.
    // SAFETY: getuid and getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let writes: Vec<(CString, Vec<u8>)> = if uid == 0 {
        Vec::new()
    } else {
        vec![
            (c("/proc/self/setgroups"), b"deny".to_vec()),
            (c("/proc/self/uid_map"), format!("0 {uid} 1\n").into_bytes()),
            (c("/proc/self/gid_map"), format!("0 {gid} 1\n").into_bytes()),
        ]
    };
    let flags = if uid == 0 {
        libc::CLONE_NEWNET
    } else {
        libc::CLONE_NEWUSER | libc::CLONE_NEWNET
    };
    // SAFETY: the closure only makes system calls (unshare, open, write,
    // close, socket, ioctl) on data prepared before the fork.
    unsafe {
        command.pre_exec(move || {
            if libc::unshare(flags) != 0 {
                return Err(io::Error::last_os_error());
            }
            for (path, content) in &writes {
                let fd = libc::open(path.as_ptr(), libc::O_WRONLY);
                if fd < 0 {
                    return Err(io::Error::last_os_error());
                }
                let written = libc::write(fd, content.as_ptr().cast(), content.len());
                libc::close(fd);
                if written < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            loopback_up()
        });
    }
}

/// `ip link set lo up`, with one ioctl.
///
/// # Safety
///
/// Makes system calls only; safe between fork and exec.
pub(crate) unsafe fn loopback_up() -> io::Result<()> {
    // SAFETY: plain system calls on a socket this function owns, with an
    // `ifreq` that lives on this stack frame.
    unsafe {
        let socket = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if socket < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut request: libc::ifreq = std::mem::zeroed();
        request.ifr_name[0] = b'l' as libc::c_char;
        request.ifr_name[1] = b'o' as libc::c_char;
        let mut result = libc::ioctl(socket, libc::SIOCGIFFLAGS as _, &mut request);
        if result == 0 {
            request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            result = libc::ioctl(socket, libc::SIOCSIFFLAGS as _, &mut request);
        }
        let error = io::Error::last_os_error();
        libc::close(socket);
        match result {
            0 => Ok(()),
            _ => Err(error),
        }
    }
}

fn c(text: &str) -> CString {
    CString::new(text).expect("no NUL in a path")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run by the test below in a child process: binds BIND_PORT when set.
    #[test]
    fn bind_in_a_child() {
        if let Ok(port) = std::env::var("BIND_PORT") {
            std::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>().unwrap()))
                .expect("the port is free in this namespace");
            println!("bound {port}");
        }
    }

    /// Two processes bind the same port, each in its own namespace, while the
    /// port is taken on the host too.
    #[test]
    fn each_namespace_has_its_own_loopback_and_ports() {
        let host = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = host.local_addr().unwrap().port().to_string();
        for _ in 0..2 {
            let mut command = Command::new(std::env::current_exe().unwrap());
            command
                .args(["--exact", "netns::tests::bind_in_a_child", "--nocapture"])
                .env("BIND_PORT", &port);
            private_network(&mut command);
            match command.output() {
                Ok(output) => {
                    let stdout = String::from_utf8_lossy(&output.stdout);
                    assert!(
                        output.status.success() && stdout.contains(&format!("bound {port}")),
                        "{stdout}{}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
                // A machine that gives this user no namespace: the checker
                // falls back to the host's network, and says so.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES)) => {
                    eprintln!("note: no network namespace here ({e}); test skipped");
                    return;
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
}
