//! `cargo xtask demo`: installs what is missing, starts the echo server where Trunk.toml's `[[proxy]]`
//! forwards `/echo`, and runs `trunk serve` until it stops (Ctrl-C), then stops the server.
//!
//! Trunk.toml is the one place that says where the echo server listens: `trunk serve` alone (next to
//! `cargo run -p echo-server`) and this command use the same proxy.

use std::collections::BTreeSet;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::cli::DemoOptions;
use crate::cmd;
use crate::server::EchoServer;
use crate::tools::{self, Tool};
use crate::workspace::Workspace;

/// How long the first build may take before xtask stops waiting to announce the page (Trunk keeps going).
const BUILD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Runs `cargo xtask demo`; returns when Trunk exits.
pub fn run(ws: &Workspace, options: &DemoOptions) -> Result<(), String> {
    println!("\n=== tools");
    let mut needed = BTreeSet::from([Tool::WasmTarget, Tool::WasmBindgen, Tool::Trunk]);
    // Only a release build runs wasm-opt (binaryen 132 from npm; Trunk must not download its own).
    if options.release {
        needed.insert(Tool::NodeTools);
    }
    let missing: Vec<String> = tools::ensure_all(ws, &needed, options.install)
        .into_iter()
        .filter_map(|(tool, result)| result.err().map(|why| format!("{}: {why}", tool.name())))
        .collect();
    if !missing.is_empty() {
        return Err(format!("cannot serve the demo: {}", missing.join("; ")));
    }

    let config = fs::read_to_string(ws.root.join("Trunk.toml"))
        .map_err(|e| format!("cannot read Trunk.toml: {e}"))?;
    let backend = proxy_backend(&config)?;
    let echo_addr = backend_address(&backend)?;
    let page = page_address(options.address, options.port);
    ensure_free(&page.to_string(), "the page (choose another with --port)")?;
    ensure_free(
        &echo_addr,
        "the echo server (Trunk.toml's [[proxy]] backend): is another demo or echo-server running?",
    )?;

    println!("\n=== echo server");
    // Not quiet: a line per connection shows the demo's traffic reaching the server.
    let server = EchoServer::start_at(ws, &echo_addr, false)?;

    println!("\n=== trunk serve");
    let url = page_url(page);
    let echo_url = server.url().to_owned();
    thread::spawn(move || announce_when_up(page, &url, &backend, &echo_url));
    let mut trunk = ws.command("trunk");
    trunk
        .arg("serve")
        .args(["--address", &options.address.to_string()])
        .args(["--port", &options.port.to_string()]);
    if options.release {
        trunk.arg("--release");
    }
    cmd::stop_with_xtask(&mut trunk);
    // Trunk rejects NO_COLOR values other than true and false (NO_COLOR=1 is common).
    if std::env::var_os("NO_COLOR").is_some_and(|v| v != "true" && v != "false") {
        trunk.env("NO_COLOR", "true");
    }
    let result = cmd::run(&mut trunk);
    // Trunk has stopped (or never started): so does the server.
    drop(server);
    result
}

/// The `backend` of the first `[[proxy]]` table in Trunk.toml, e.g. `ws://127.0.0.1:9001/echo`.
fn proxy_backend(config: &str) -> Result<String, String> {
    let mut in_proxy = false;
    for line in config.lines().map(str::trim) {
        if line.starts_with('[') {
            in_proxy = line == "[[proxy]]";
        } else if in_proxy {
            let value = line
                .strip_prefix("backend")
                .map(str::trim_start)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::trim)
                .and_then(|value| {
                    value
                        .strip_prefix('"')
                        .and_then(|v| v.split_once('"'))
                        .map(|(v, _)| v)
                });
            if let Some(value) = value {
                return Ok(value.to_owned());
            }
        }
    }
    Err("Trunk.toml has no [[proxy]] with a backend = \"ws://HOST:PORT/echo\"".to_owned())
}

/// `HOST:PORT` of a `ws://HOST:PORT/path` backend; the echo server only binds loopback addresses.
fn backend_address(backend: &str) -> Result<String, String> {
    let authority = backend
        .strip_prefix("ws://")
        .map(|rest| rest.split('/').next().unwrap_or(rest))
        .filter(|authority| !authority.is_empty())
        .ok_or_else(|| {
            format!("Trunk.toml's proxy backend {backend:?} is not a ws://HOST:PORT URL")
        })?;
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p != 0));
    if !has_port {
        return Err(format!(
            "Trunk.toml's proxy backend {backend:?} needs an explicit port"
        ));
    }
    Ok(authority.to_owned())
}

/// Where to reach the page: the unspecified address (`0.0.0.0`, `::`) is reached on loopback.
fn page_address(address: IpAddr, port: u16) -> SocketAddr {
    let reachable = match address {
        IpAddr::V4(a) if a.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(a) if a.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    };
    SocketAddr::new(reachable, port)
}

/// `http://127.0.0.1:8080/`, `http://[::1]:8080/`.
fn page_url(page: SocketAddr) -> String {
    format!("http://{page}/")
}

/// Fails early, with `what` in the message, if something already listens at `addr`: Trunk and the echo
/// server would only fail later, less clearly (and a poll for the page would find the other server).
fn ensure_free(addr: &str, what: &str) -> Result<(), String> {
    match TcpListener::bind(addr) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("{addr} is not available for {what}: {e}")),
    }
}

/// Prints the page's URL once Trunk has built the page and started serving it.
fn announce_when_up(page: SocketAddr, url: &str, backend: &str, echo_url: &str) {
    let started = Instant::now();
    while started.elapsed() < BUILD_TIMEOUT {
        if TcpStream::connect_timeout(&page, Duration::from_millis(500)).is_ok() {
            println!(
                "\n==> browser-ws demo: {url}\n    ws://{page}/echo is proxied to {backend} (echo-server at \
                 {echo_url}); Ctrl-C stops Trunk and the echo server\n"
            );
            return;
        }
        thread::sleep(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_backend_comes_from_trunk_toml() {
        let config = r#"
[build]
target = "www/index.html"

[serve]
port = 8080

[[proxy]]
# comment
ws = true
backend = "ws://127.0.0.1:9001/echo" # trailing comment
"#;
        assert_eq!(proxy_backend(config), Ok("ws://127.0.0.1:9001/echo".into()));
        assert!(proxy_backend("[serve]\nbackend = \"ws://x:1/\"").is_err());
        assert!(proxy_backend("").is_err());
    }

    #[test]
    fn the_repository_trunk_toml_proxies_echo_to_the_echo_server() {
        let ws = Workspace::detect().unwrap();
        let config = fs::read_to_string(ws.root.join("Trunk.toml")).unwrap();
        let backend = proxy_backend(&config).unwrap();
        assert!(backend.ends_with("/echo"), "{backend}");
        assert!(config.contains("ws = true"));
        backend_address(&backend).unwrap();
    }

    #[test]
    fn backend_addresses() {
        assert_eq!(
            backend_address("ws://127.0.0.1:9001/echo"),
            Ok("127.0.0.1:9001".into())
        );
        assert_eq!(
            backend_address("ws://[::1]:9001/echo"),
            Ok("[::1]:9001".into())
        );
        assert_eq!(
            backend_address("ws://localhost:9001"),
            Ok("localhost:9001".into())
        );
        assert!(backend_address("ws://127.0.0.1/echo").is_err());
        assert!(backend_address("ws://127.0.0.1:0/echo").is_err());
        assert!(backend_address("http://127.0.0.1:9001/echo").is_err());
        assert!(backend_address("ws:///echo").is_err());
    }

    #[test]
    fn page_urls() {
        let url = |address: &str, port| page_url(page_address(address.parse().unwrap(), port));
        assert_eq!(url("127.0.0.1", 8080), "http://127.0.0.1:8080/");
        assert_eq!(url("0.0.0.0", 8080), "http://127.0.0.1:8080/");
        assert_eq!(url("::1", 80), "http://[::1]:80/");
        assert_eq!(url("::", 8080), "http://[::1]:8080/");
    }

    #[test]
    fn a_busy_address_is_reported() {
        let busy = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = busy.local_addr().unwrap().to_string();
        let error = ensure_free(&addr, "the test").unwrap_err();
        assert!(error.contains("not available for the test"), "{error}");
        drop(busy);
    }
}
