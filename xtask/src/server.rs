//! The echo server the browser tests talk to, owned by a guard that stops it on every way out of
//! xtask: normal return, error or panic (Ctrl-C reaches it directly, as it shares our process group).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::cmd;
use crate::workspace::Workspace;

/// The test server's endpoints (`echo-server --endpoints`): the soak test connects to them in turn, since
/// Chromium waits about 10 ms after each handshake before it opens the next connection to the same one; four
/// take most of that wait away (measured with plain JS: 12.3 ms a cycle on one, 6.8 on two, 5.3 on four or
/// seven).
const TEST_ENDPOINTS: &str = "4";

/// How long the server may take to print its URL once built.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `echo-server`; dropping it kills the process and waits for it.
#[derive(Debug)]
pub struct EchoServer {
    child: Child,
    url: String,
    /// Disconnects once both output-draining threads have finished.
    drained: mpsc::Receiver<()>,
}

impl EchoServer {
    /// Builds the server, starts it quietly on a free port for the tests, with `TEST_ENDPOINTS` endpoints, and
    /// waits for its base URL.
    pub fn start(ws: &Workspace) -> Result<EchoServer, String> {
        EchoServer::launch(
            ws,
            &[
                "--addr",
                "127.0.0.1:0",
                "--quiet",
                "--endpoints",
                TEST_ENDPOINTS,
            ],
        )
    }

    /// Builds the server, starts it at `addr` (`HOST:PORT`) and waits for its base URL; `quiet` turns off
    /// its line per connection.
    pub fn start_at(ws: &Workspace, addr: &str, quiet: bool) -> Result<EchoServer, String> {
        let mut args = vec!["--addr", addr];
        if quiet {
            args.push("--quiet");
        }
        EchoServer::launch(ws, &args)
    }

    /// Builds the server, starts it with `args` and waits for its base URL.
    fn launch(ws: &Workspace, args: &[&str]) -> Result<EchoServer, String> {
        cmd::run(ws.cargo().args(["build", "--package", "echo-server"]))?;
        let binary = ws
            .target_dir()
            .join("debug")
            .join(format!("echo-server{}", std::env::consts::EXE_SUFFIX));
        let mut command = ws.command(&binary);
        command.args(args);
        EchoServer::spawn(command, STARTUP_TIMEOUT)
    }

    /// Starts `command` and waits up to `timeout` for the URL on the first line of its stdout.
    fn spawn(mut command: Command, timeout: Duration) -> Result<EchoServer, String> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd::stop_with_xtask(&mut command);
        println!("$ {}", cmd::display(&command));
        let mut child = command.spawn().map_err(|e| {
            let program = command.get_program().to_string_lossy();
            format!("cannot start {program}: {e}")
        })?;

        let (url_tx, url_rx) = mpsc::channel();
        let (drained_tx, drained) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let tx = drained_tx.clone();
        thread::spawn(move || {
            let _done = tx;
            let mut lines = lossy_lines(BufReader::new(stdout));
            if let Some(first) = lines.next() {
                let _ = url_tx.send(first);
            }
            forward(lines);
        });
        thread::spawn(move || {
            let _done = drained_tx;
            forward(lossy_lines(BufReader::new(stderr)));
        });

        // From here on the guard owns the child, so every early return stops it.
        let mut server = EchoServer {
            child,
            url: String::new(),
            drained,
        };
        server.url = match url_rx.recv_timeout(timeout) {
            Ok(line) => parse_url(&line)?,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!(
                    "echo-server printed no URL within {} s",
                    timeout.as_secs_f64()
                ))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = server.child.wait().map_err(|e| e.to_string())?;
                return Err(format!(
                    "echo-server exited before printing its URL ({status})"
                ));
            }
        };
        println!("echo-server: listening at {}", server.url);
        Ok(server)
    }

    /// The base URL, like `ws://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Let the last lines of output through before xtask prints its summary; the bound only
        // matters if something else inherited the pipes.
        let _ = self.drained.recv_timeout(Duration::from_secs(2));
    }
}

/// Shows the server's output (after its URL line) on our stderr, so it never blocks on a full pipe.
fn forward(lines: impl Iterator<Item = String>) {
    for line in lines {
        eprintln!("echo-server: {line}");
    }
}

/// The lines of `reader`, decoded leniently: stopping at a bad byte would stop draining the pipe.
fn lossy_lines(mut reader: impl BufRead) -> impl Iterator<Item = String> {
    std::iter::from_fn(move || {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(
                String::from_utf8_lossy(&line)
                    .trim_end_matches(['\n', '\r'])
                    .to_owned(),
            ),
        }
    })
}

/// Checks the first line of the server's stdout.
fn parse_url(line: &str) -> Result<String, String> {
    let url = line.trim();
    if url.starts_with("ws://") && url.len() > "ws://".len() {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(format!(
            "echo-server's first line should be its URL (ws://...), got {line:?}"
        ))
    }
}

/// A `ws://` URL on a loopback port that nothing listens on, so that a connection to it is refused for the
/// whole run: a low port that refuses now (below every ephemeral range, so no server or driver the run starts
/// on port 0 can take it; and off the Fetch standard's bad-port list, so the browser really connects), else a
/// port bound and released at once (reused within the run: very unlikely).
pub fn unused_loopback_url() -> Option<String> {
    let refuses = |port: u16| {
        std::net::TcpStream::connect(("127.0.0.1", port))
            .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
    };
    let port = match [4, 6, 8, 2, 3, 5].into_iter().find(|&port| refuses(port)) {
        Some(port) => port,
        None => std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port(),
    };
    Some(format!("ws://127.0.0.1:{port}/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn output_lines_survive_bad_bytes() {
        let lines: Vec<String> = lossy_lines(&b"ws://a\r\nbad \xff byte\nlast"[..]).collect();
        assert_eq!(lines, ["ws://a", "bad \u{fffd} byte", "last"]);
    }

    #[test]
    fn url_line() {
        assert_eq!(
            parse_url("ws://127.0.0.1:41234\n"),
            Ok("ws://127.0.0.1:41234".into())
        );
        assert_eq!(
            parse_url("ws://127.0.0.1:41234/"),
            Ok("ws://127.0.0.1:41234".into())
        );
        assert!(parse_url("listening on 127.0.0.1:41234").is_err());
        assert!(parse_url("ws://").is_err());
    }

    /// A stand-in server: a shell script.
    fn script(text: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", text]);
        command
    }

    fn is_running(pid: u32) -> bool {
        Path::new(&format!("/proc/{pid}")).exists()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_guard_stops_the_server() {
        let server = EchoServer::spawn(
            script("echo ws://127.0.0.1:9; echo more; echo oops >&2; exec sleep 60"),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(server.url(), "ws://127.0.0.1:9");
        let pid = server.child.id();
        assert!(is_running(pid));
        drop(server);
        assert!(!is_running(pid), "the server survived its guard");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_guard_stops_the_server_on_panic() {
        let (tx, rx) = mpsc::channel();
        let result = thread::spawn(move || {
            let server = EchoServer::spawn(
                script("echo ws://127.0.0.1:9; exec sleep 60"),
                Duration::from_secs(10),
            )
            .unwrap();
            tx.send(server.child.id()).unwrap();
            panic!("a step panicked");
        })
        .join();
        assert!(result.is_err());
        assert!(!is_running(rx.recv().unwrap()));
    }

    #[test]
    #[cfg(unix)]
    fn startup_failures_are_reported() {
        let silent = EchoServer::spawn(script("exec sleep 60"), Duration::from_millis(300));
        assert!(silent.unwrap_err().contains("no URL within"));
        let exits = EchoServer::spawn(script("exit 3"), Duration::from_secs(10));
        assert!(exits
            .unwrap_err()
            .contains("exited before printing its URL"));
        let wrong = EchoServer::spawn(script("echo hello; exec sleep 60"), Duration::from_secs(10));
        assert!(wrong.unwrap_err().contains("should be its URL"));
        let missing = EchoServer::spawn(
            Command::new("/nonexistent/echo-server"),
            Duration::from_secs(1),
        );
        assert!(missing.unwrap_err().contains("cannot start"));
    }
}
