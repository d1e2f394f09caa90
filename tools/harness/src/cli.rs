//! How the course's command-line tools speak when the command is wrong:
//! one line on stderr that says what to do, and exit 2 (as ripgrep and just
//! do), never clap's usage block or a panic.

/// Clap's rendered error on one line: its error line, the possible values
/// and the tip, without the usage block, then where to read more:
/// `unexpected argument '--x' found; see `just check --help``.
pub fn one_line(rendered: &str, help: &str) -> String {
    let parts: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more"))
        .collect();
    let joined = parts.join("; ");
    let text = joined.strip_prefix("error: ").unwrap_or(&joined);
    format!("{text}; see `{help}`")
}

/// The command line as `C`, or the exit code to return at once: 0 after
/// `--help` or `--version` (printed), 2 after a one-line error whose last
/// words point at `help`, such as `just check --help`.
///
/// It also lets a closed stdout end the program quietly, as Unix tools do
/// (`just grade … | head`): Rust ignores SIGPIPE, so that `println!` would
/// panic with a backtrace instead.
pub fn parse<C: clap::Parser>(help: &str) -> Result<C, std::process::ExitCode> {
    // SAFETY: restoring a signal's default action, before any thread starts.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL)
    };
    match C::try_parse() {
        Ok(cli) => Ok(cli),
        Err(err) if !err.use_stderr() => {
            let _ = err.print();
            Err(std::process::ExitCode::SUCCESS)
        }
        Err(err) => Err(misuse(&one_line(&err.render().to_string(), help))),
    }
}

/// Prints `error: MESSAGE` on stderr and returns exit code 2.
pub fn misuse(message: &str) -> std::process::ExitCode {
    eprintln!("error: {message}");
    std::process::ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_become_one_line() {
        let rendered = "error: unexpected argument '--x' found\n\n  tip: to pass '--x' as a value, \
                        use '-- --x'\n\nUsage: check <MILESTONE> [CHECK]...\n\nFor more \
                        information, try '--help'.\n";
        assert_eq!(
            one_line(rendered, "just check --help"),
            "unexpected argument '--x' found; tip: to pass '--x' as a value, use '-- --x'; \
             see `just check --help`"
        );
    }
}
