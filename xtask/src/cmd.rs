//! Running child processes. Each command is echoed before it runs (with the environment variables
//! xtask set for it), so a log shows exactly what to re-run by hand.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

/// The command as a shell line: `VAR=value program arg ...`. PATH is left out (it is long and
/// always the same, see `workspace`), and so is the directory of a program found on it: the tools
/// section of the output says which one that is.
pub fn display(cmd: &Command) -> String {
    let mut words = Vec::new();
    for (key, value) in cmd.get_envs() {
        if let (Some(value), false) = (value, key == "PATH") {
            words.push(format!(
                "{}={}",
                key.to_string_lossy(),
                quote(&value.to_string_lossy())
            ));
        }
    }
    words.push(quote(&shown_program(cmd)));
    words.extend(cmd.get_args().map(|a| quote(&a.to_string_lossy())));
    words.join(" ")
}

/// Runs `cmd` with inherited stdin/stdout/stderr; `Err` says how it failed.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    println!("$ {}", display(cmd));
    let _ = std::io::stdout().flush();
    let status = cmd.status();
    finish(cmd, status)
}

/// Runs `cmd` with its stdout and stderr (and the command line first) written to the file `log`, for
/// commands that run alongside others.
pub fn run_logged(cmd: &mut Command, log: &Path) -> Result<(), String> {
    let cannot = |e: std::io::Error| format!("cannot write {}: {e}", log.display());
    if let Some(dir) = log.parent() {
        fs::create_dir_all(dir).map_err(cannot)?;
    }
    let mut file = File::create(log).map_err(cannot)?;
    writeln!(file, "$ {}", display(cmd)).map_err(cannot)?;
    let stderr = file.try_clone().map_err(cannot)?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(stderr)
        .status();
    finish(cmd, status)
}

fn finish(cmd: &Command, status: std::io::Result<ExitStatus>) -> Result<(), String> {
    let status = status.map_err(|e| format!("cannot run `{}`: {e}", program_name(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", short_name(cmd)))
    }
}

/// Makes the child get SIGTERM when xtask dies, however it dies, so that a SIGTERM (or SIGKILL) to
/// `cargo xtask demo` does not leave Trunk and the echo server running. Linux only (`PR_SET_PDEATHSIG`);
/// elsewhere the children still stop on Ctrl-C, which reaches the whole process group. The signal comes when
/// the *thread* that spawned the child ends: spawn long-lived children from the main thread.
pub fn stop_with_xtask(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::raw::{c_int, c_ulong};
        use std::os::unix::process::CommandExt;
        extern "C" {
            fn prctl(option: c_int, ...) -> c_int;
            fn getppid() -> c_int;
        }
        const PR_SET_PDEATHSIG: c_int = 1;
        const SIGTERM: c_ulong = 15;
        let xtask = std::process::id();
        // SAFETY: runs in the child between fork and exec, where only async-signal-safe calls are allowed:
        // prctl and getppid are system calls that touch no memory of ours.
        unsafe {
            cmd.pre_exec(move || {
                if prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                // xtask may have died before the prctl: then no signal will come. (ESRCH: no allocation here,
                // between fork and exec.)
                if u32::try_from(getppid()).ok() != Some(xtask) {
                    return Err(std::io::Error::from_raw_os_error(3));
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

/// Runs `cmd` silently and returns the first non-empty line of its stdout; `None` if it cannot run
/// or fails. Used for cheap `--version` checks.
pub fn first_line(cmd: &mut Command) -> Option<String> {
    let output = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(String::from)
}

/// A program inside the working directory relative to it (`target/debug/echo-server`), any
/// other by its file name (`cargo`).
fn shown_program(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program());
    if let Some(relative) = cmd
        .get_current_dir()
        .and_then(|dir| program.strip_prefix(dir).ok())
    {
        return relative.to_string_lossy().into_owned();
    }
    program
        .file_name()
        .map_or_else(|| program_name(cmd), |n| n.to_string_lossy().into_owned())
}

fn program_name(cmd: &Command) -> String {
    cmd.get_program().to_string_lossy().into_owned()
}

/// `cargo fmt` rather than `/root/.cargo/bin/cargo fmt --all ...`, for error messages.
fn short_name(cmd: &Command) -> String {
    let program = shown_program(cmd);
    match cmd.get_args().next() {
        Some(first) => format!("{program} {}", first.to_string_lossy()),
        None => program,
    }
}

/// Single-quotes a word for a POSIX shell when it needs it.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_env_but_not_path() {
        let mut cmd = Command::new("cargo");
        cmd.args(["doc", "--target", "wasm32-unknown-unknown"])
            .env("PATH", "/x")
            .env("RUSTDOCFLAGS", "-D warnings");
        assert_eq!(
            display(&cmd),
            "RUSTDOCFLAGS='-D warnings' cargo doc --target wasm32-unknown-unknown"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("ws://127.0.0.1:80"), "ws://127.0.0.1:80");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn programs_are_shown_briefly() {
        let mut cmd = Command::new("/repo/target/debug/echo-server");
        cmd.current_dir("/repo").arg("--quiet");
        assert_eq!(display(&cmd), "target/debug/echo-server --quiet");
    }

    #[test]
    fn short_name_drops_the_directory() {
        let mut cmd = Command::new("/root/.cargo/bin/cargo");
        cmd.args(["fmt", "--all"]);
        assert_eq!(short_name(&cmd), "cargo fmt");
    }
}
