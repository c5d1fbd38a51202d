//! Runs the `echo-server` binary.
//!
//! Covers: the first stdout line is `ws://127.0.0.1:PORT` for `--addr 127.0.0.1:0` and the server answers there;
//! non-loopback addresses, unknown arguments and `--endpoints` out of 1..=16 are refused; `--help` lists the
//! routes.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_echo-server");

#[test]
fn prints_the_bound_url_first_and_serves_it() {
    let mut child = Command::new(BIN)
        .args(["--addr", "127.0.0.1:0", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim_end().to_owned();
    let port: u16 = url
        .strip_prefix("ws://127.0.0.1:")
        .expect(&url)
        .parse()
        .unwrap();
    assert_ne!(port, 0);

    // A raw upgrade request to /echo gets 101.
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        tcp,
        "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    tcp.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");

    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn refuses_non_loopback_and_bad_arguments() {
    for args in [
        &["--addr", "0.0.0.0:0"][..],
        &["--addr=192.0.2.1:9001"],
        &["--bogus"],
        &["--addr"],
        &["--endpoints", "0"],
        &["--endpoints=17"],
        &["--endpoints", "x"],
        &["--endpoints"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
    let out = Command::new(BIN)
        .args(["--addr", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

#[test]
fn help_lists_the_routes() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for route in [
        "/echo",
        "/close",
        "/drop",
        "/binary",
        "/text",
        "/greet",
        "/protocol",
        "/silent",
    ] {
        assert!(help.contains(route), "{route}");
    }
    for route in [
        "/slow",
        "/sink",
        "/burst",
        "/invalid-utf8",
        "/no-handshake",
        "/stats",
        "/endpoints",
    ] {
        assert!(help.contains(route), "{route}");
    }
}
