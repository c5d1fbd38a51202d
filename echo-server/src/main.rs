//! `echo-server [--addr HOST:PORT] [--endpoints N] [--quiet]`: prints `ws://HOST:PORT` as the first stdout line, then serves.

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use echo_server::{check_loopback, Server};

const DEFAULT_ADDR: &str = "127.0.0.1:9001";

const HELP: &str = "\
echo-server: loopback-only WebSocket test server with scripted routes

USAGE:
    echo-server [--addr HOST:PORT] [--endpoints N] [--quiet]

OPTIONS:
    --addr HOST:PORT   loopback address to bind [default: 127.0.0.1:9001]; port 0 picks a free port
    --endpoints N      also listen on N-1 free ports of the same address, for clients that connect
                       many times in a row (see /endpoints) [default: 1, at most 16]
    -q, --quiet        no per-connection log lines on stderr (also: ECHO_SERVER_QUIET=1)
    -h, --help         print this help

The first stdout line is the bound base URL, e.g. `ws://127.0.0.1:9001`; logs go to stderr.

ROUTES (query values are URL-decoded):
    /echo                               echo text as text, binary as binary
    /close?code=1000&reason=&after=0    echo `after` messages, then close with code and reason; with
          &hold_ms=0                    hold_ms, keep TCP open that long after the close handshake
    /drop?after=0                       echo `after` messages, then drop TCP without a close frame
    /drop?after_bytes=B&send=1048576    start a `send`-byte binary message, drop TCP after B payload bytes
    /binary?bytes=1024                  send one binary message, byte i = i % 251; then echo
    /text?bytes=1024                    send one text message, a..z repeating; then echo
    /greet?text=hello                   send `text` at once; then echo
    /protocol                           send the negotiated subprotocol (\"\" if none); then echo
    /silent                             read and ignore everything; answer close
    /slow?ms=100                        echo, pausing `ms` after each received message
    /sink?ms=100                        like /slow without echo
    /burst?count=1000&bytes=16          send `count` texts of `bytes` bytes: \"0:....\", \"1:....\"; then echo
    /flood?count=1000&bytes=16          like /burst, and record the time the sending took (floodMs in /stats)
    /invalid-utf8                       send a text frame that is not UTF-8
    /no-handshake                       read the HTTP request, never answer (held up to 60 s)
    /endpoints                          send the base URLs of every endpoint as a JSON array; close 1000
    /stats?tag=T                        send {\"open\":O,\"total\":N,\"received\":R,...} for tag T (all if no
                                        tag; R: data messages received, /rpc aside); close 1000
    /rpc                                JSON-RPC 2.0: echo, add, sleep {ms,value}, notify {method,params,count},
                                        stray {id}, garbage, malformed (result and error), drop,
                                        ask {method,params,id} (the client's reply to that request)

ON EVERY ROUTE:
    tag=T            count this connection under T for /stats
    protocol=none    select no subprotocol (otherwise the first offered one is selected)
Unknown paths get HTTP 404, bad parameter values HTTP 400.
";

struct Args {
    addr: SocketAddr,
    endpoints: usize,
    quiet: bool,
}

/// The most `--endpoints` accepts.
const MAX_ENDPOINTS: usize = 16;

enum Parsed {
    Run(Args),
    Help,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut addr = None;
    let mut endpoints = 1;
    let mut quiet =
        std::env::var_os("ECHO_SERVER_QUIET").is_some_and(|v| !v.is_empty() && v != "0");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "-q" | "--quiet" => quiet = true,
            "--addr" => {
                addr = Some(
                    args.next()
                        .ok_or("--addr needs a value, e.g. --addr 127.0.0.1:0")?,
                )
            }
            "--endpoints" => {
                endpoints = parse_endpoints(args.next().as_deref())?;
            }
            other => {
                if let Some(value) = other.strip_prefix("--addr=") {
                    addr = Some(value.to_owned());
                } else if let Some(value) = other.strip_prefix("--endpoints=") {
                    endpoints = parse_endpoints(Some(value))?;
                } else {
                    return Err(format!("unexpected argument {other:?}"));
                }
            }
        }
    }
    let addr = resolve(addr.as_deref().unwrap_or(DEFAULT_ADDR))?;
    Ok(Parsed::Run(Args {
        addr,
        endpoints,
        quiet,
    }))
}

/// Parses the value of `--endpoints`: 1 to `MAX_ENDPOINTS`.
fn parse_endpoints(value: Option<&str>) -> Result<usize, String> {
    let value = value.ok_or("--endpoints needs a value, e.g. --endpoints 4")?;
    match value.parse() {
        Ok(n) if (1..=MAX_ENDPOINTS).contains(&n) => Ok(n),
        _ => Err(format!(
            "bad --endpoints {value:?}: expected 1 to {MAX_ENDPOINTS}"
        )),
    }
}

/// Parses `HOST:PORT` (an IP address or a name such as `localhost`) into one loopback address.
fn resolve(text: &str) -> Result<SocketAddr, String> {
    let candidates: Vec<SocketAddr> = match text.parse() {
        Ok(addr) => vec![addr],
        Err(_) => text
            .to_socket_addrs()
            .map_err(|err| format!("bad --addr {text:?}: {err} (expected HOST:PORT)"))?
            .collect(),
    };
    // Prefer IPv4 so that `localhost` prints `ws://127.0.0.1:PORT`.
    let first = candidates
        .iter()
        .find(|a| a.is_ipv4())
        .or(candidates.first());
    let addr = *first.ok_or_else(|| format!("--addr {text:?} resolves to no address"))?;
    check_loopback(addr).map_err(|err| err.to_string())?;
    Ok(addr)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("echo-server: {err}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let server = match Server::bind_endpoints(args.addr, args.endpoints).await {
        Ok(server) => server.quiet(args.quiet),
        Err(err) => {
            eprintln!("echo-server: cannot bind {}: {err}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let url = match server.url() {
        Ok(url) => url,
        Err(err) => {
            eprintln!("echo-server: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    // A parent that stopped reading is no reason to stop serving.
    let _ = writeln!(stdout, "{url}").and_then(|()| stdout.flush());
    drop(stdout);
    server.run().await;
    ExitCode::SUCCESS
}
