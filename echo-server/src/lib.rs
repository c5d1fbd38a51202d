//! A loopback-only WebSocket server with scripted scenario routes (`/echo`, `/close`, `/drop`, ...),
//! used by the browser-ws demo, browser tests and benchmarks.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let server = echo_server::Server::bind("127.0.0.1:0".parse().unwrap()).await?.quiet(true);
//! println!("{}", server.url()?); // ws://127.0.0.1:PORT
//! tokio::spawn(server.run());
//! # Ok(())
//! # }
//! ```
//!
//! See `README.md` (or `echo-server --help`) for the routes.

#![deny(missing_docs, missing_debug_implementations)]

pub mod route;
pub mod rpc;
pub mod stats;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::FuturesUnordered;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{sleep, timeout};
use tokio_tungstenite::tungstenite::handshake::server::{
    ErrorResponse, Request as HttpRequest, Response,
};
use tokio_tungstenite::tungstenite::http::{header, HeaderMap, HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{error::ProtocolError, Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use route::{Request, Route, RouteError};
use stats::{OpenGuard, Stats};

/// Largest accepted message and frame (tests send 64 MiB through `/sink`).
pub const MAX_MESSAGE_SIZE: usize = 128 << 20;

/// How long a client may take to send its HTTP request and finish the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `/no-handshake` holds a connection.
const NO_HANDSHAKE_HOLD: Duration = Duration::from_secs(60);
/// How long the server waits for the client's close frame after sending its own.
const CLOSE_ACK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server may take to flush its close reply.
const CLOSE_REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Upper bound for writing a partial message on `/drop?after_bytes=`.
const PARTIAL_WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// The WebSocket settings used for every connection.
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_SIZE))
        .max_frame_size(Some(MAX_MESSAGE_SIZE))
}

/// A bound, not yet running, echo server.
#[derive(Debug)]
pub struct Server {
    /// The first is the one [`Server::bind`] was asked for; see [`Server::bind_endpoints`] for the others.
    listeners: Vec<TcpListener>,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    quiet: bool,
    next_id: AtomicU64,
    stats: Arc<Stats>,
    /// The base URL of every listener, for `/endpoints`.
    endpoints: Vec<String>,
}

impl Shared {
    fn log(&self, line: fmt::Arguments<'_>) {
        if !self.quiet {
            eprintln!("[echo-server] {line}");
        }
    }
}

impl Server {
    /// Binds `addr`, which must be a loopback address (`127.0.0.0/8` or `::1`); port 0 picks a free port.
    pub async fn bind(addr: SocketAddr) -> io::Result<Server> {
        Server::bind_endpoints(addr, 1).await
    }

    /// Binds `addr` and `count - 1` more free ports on its IP address, all serving the same routes and counted
    /// together. A browser opens one connection at a time to a host and port (RFC 6455, section 4.1), and
    /// Chromium then waits about 10 ms before the next: a test that connects thousands of times in a row
    /// goes faster taking turns among the endpoints (`/endpoints` lists them).
    pub async fn bind_endpoints(addr: SocketAddr, count: usize) -> io::Result<Server> {
        check_loopback(addr)?;
        let mut listeners = vec![TcpListener::bind(addr).await?];
        for _ in 1..count {
            listeners.push(TcpListener::bind(SocketAddr::new(addr.ip(), 0)).await?);
        }
        let endpoints = listeners
            .iter()
            .map(|listener| Ok(format!("ws://{}", listener.local_addr()?)))
            .collect::<io::Result<_>>()?;
        let shared = Arc::new(Shared {
            quiet: false,
            next_id: AtomicU64::new(1),
            stats: Arc::default(),
            endpoints,
        });
        Ok(Server { listeners, shared })
    }

    /// Silences the per-connection log lines on stderr.
    pub fn quiet(mut self, quiet: bool) -> Server {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.quiet = quiet;
        }
        self
    }

    /// The address actually bound (the first endpoint's).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match self.listeners.first() {
            Some(listener) => listener.local_addr(),
            None => Err(io::Error::new(io::ErrorKind::NotFound, "no endpoint bound")),
        }
    }

    /// The base URL, `ws://HOST:PORT` (no path).
    pub fn url(&self) -> io::Result<String> {
        Ok(format!("ws://{}", self.local_addr()?))
    }

    /// Accepts connections on every endpoint forever, each on its own task.
    pub async fn run(self) {
        let shared = &self.shared;
        let mut accepting: FuturesUnordered<_> = self
            .listeners
            .iter()
            .map(|listener| accept_forever(listener, shared))
            .collect();
        while accepting.next().await.is_some() {}
    }
}

async fn accept_forever(listener: &TcpListener, shared: &Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tokio::spawn(handle_connection(Arc::clone(shared), stream, peer));
            }
            Err(err) => {
                // Typically EMFILE under load: back off instead of spinning or exiting.
                shared.log(format_args!("accept failed: {err}"));
                sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Refuses anything but loopback addresses: this server must never be reachable from outside.
pub fn check_loopback(addr: SocketAddr) -> io::Result<()> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "refusing to bind {addr}: only loopback addresses (127.0.0.0/8, [::1]) are allowed"
            ),
        ))
    }
}

/// One accepted WebSocket connection.
struct Conn {
    /// Declared first so that it drops first: `/stats` sees the connection closed before the TCP
    /// connection goes away (and so before the client's `close` event).
    guard: Option<OpenGuard>,
    ws: WebSocketStream<TcpStream>,
}

/// How a connection ended, for the log.
#[derive(Debug)]
enum End {
    ClientClosed(Option<CloseFrame>),
    ServerClosed { code: u16, acknowledged: bool },
    Dropped,
    Vanished,
    Held,
    Error(String),
}

impl End {
    fn from_ws(err: WsError) -> End {
        match err {
            WsError::ConnectionClosed | WsError::AlreadyClosed => End::ClientClosed(None),
            WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) | WsError::Io(_) => {
                End::Vanished
            }
            other => End::Error(other.to_string()),
        }
    }
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::ClientClosed(Some(frame)) => write!(
                f,
                "client closed {} {:?}",
                u16::from(frame.code),
                frame.reason.as_str()
            ),
            End::ClientClosed(None) => write!(f, "client closed (no code)"),
            End::ServerClosed {
                code,
                acknowledged: true,
            } => write!(f, "server closed {code}"),
            End::ServerClosed {
                code,
                acknowledged: false,
            } => write!(f, "server closed {code}, no reply"),
            End::Dropped => write!(f, "dropped by server"),
            End::Vanished => write!(f, "TCP closed without close frame"),
            End::Held => write!(f, "held without handshake"),
            End::Error(err) => write!(f, "error: {err}"),
        }
    }
}

async fn handle_connection(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    // Small messages should leave at once; the routes never rely on coalescing.
    let _ = stream.set_nodelay(true);

    // `/no-handshake` must be recognised before tungstenite answers the request.
    if let Ok(Some(target)) = timeout(HANDSHAKE_TIMEOUT, peek_request_target(&stream)).await {
        if let Ok(request) = Request::parse(&target) {
            if request.route == Route::NoHandshake {
                let guard = shared.stats.open(request.tag);
                let end = hold_without_handshake(stream).await;
                drop(guard);
                shared.log(format_args!(
                    "#{id} {target} -> {end} ({:.1?})",
                    started.elapsed()
                ));
                return;
            }
        }
    }

    let mut accepted: Option<(String, Request, Option<String>, Option<OpenGuard>)> = None;
    let mut target_seen = String::from("?");
    // The signature is tungstenite's `Callback`; its error type is large by design.
    #[allow(clippy::result_large_err)]
    let callback = |req: &HttpRequest, mut response: Response| -> Result<Response, ErrorResponse> {
        let target = req
            .uri()
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        target_seen.clone_from(&target);
        let request = match Request::parse(&target) {
            Ok(request) => request,
            Err(RouteError::NotFound(msg)) => {
                return Err(error_response(StatusCode::NOT_FOUND, msg))
            }
            Err(RouteError::BadParam(msg)) => {
                return Err(error_response(StatusCode::BAD_REQUEST, msg))
            }
        };
        let protocol = if request.no_protocol {
            None
        } else {
            first_offered_protocol(req.headers())
        };
        if let Some(value) = protocol
            .as_deref()
            .and_then(|p| HeaderValue::from_str(p).ok())
        {
            response
                .headers_mut()
                .insert(header::SEC_WEBSOCKET_PROTOCOL, value);
        }
        // Counted before the response is written, so a client that saw `open` also sees it in `/stats`.
        let guard = request
            .route
            .is_counted()
            .then(|| shared.stats.open(request.tag.clone()));
        accepted = Some((target, request, protocol, guard));
        Ok(response)
    };

    let handshake =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(ws_config()));
    let ws = match timeout(HANDSHAKE_TIMEOUT, handshake).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(WsError::Http(response))) => {
            shared.log(format_args!(
                "#{id} {target_seen} -> HTTP {}",
                response.status()
            ));
            return;
        }
        Ok(Err(err)) => {
            shared.log(format_args!(
                "#{id} {peer} {target_seen} -> handshake failed: {err}"
            ));
            return;
        }
        Err(_) => {
            shared.log(format_args!(
                "#{id} {peer} {target_seen} -> handshake timed out"
            ));
            return;
        }
    };
    let Some((target, request, protocol, guard)) = accepted else {
        return;
    };
    let mut conn = Conn { guard, ws };
    let end = match serve(
        &mut conn,
        &shared,
        &request,
        protocol.as_deref().unwrap_or(""),
    )
    .await
    {
        Ok(end) | Err(end) => end,
    };
    drop(conn);
    let proto = protocol.map(|p| format!(" [{p}]")).unwrap_or_default();
    shared.log(format_args!(
        "#{id} {target}{proto} -> {end} ({:.1?})",
        started.elapsed()
    ));
}

/// Runs one route. `Err` is an early end (the client closed or vanished); both carry the outcome.
async fn serve(
    conn: &mut Conn,
    shared: &Shared,
    request: &Request,
    protocol: &str,
) -> Result<End, End> {
    match &request.route {
        Route::Echo => {}
        Route::Close {
            code,
            reason,
            after,
            hold,
        } => {
            steps(conn, *after, true).await?;
            let end = server_close(conn, *code, reason).await;
            sleep(*hold).await;
            return Ok(end);
        }
        Route::Drop { after, mid_message } => {
            steps(conn, *after, true).await?;
            if let Some((after_bytes, send)) = *mid_message {
                // Ignore the outcome: the connection is dropped either way.
                let _ = timeout(
                    PARTIAL_WRITE_TIMEOUT,
                    write_partial_binary(conn.ws.get_mut(), send, after_bytes),
                )
                .await;
            }
            return Ok(End::Dropped);
        }
        Route::Binary { bytes } => send(conn, Message::binary(binary_pattern(*bytes))).await?,
        Route::Text { bytes } => send(conn, Message::text(text_pattern(*bytes))).await?,
        Route::Greet { text } => send(conn, Message::text(text.as_str())).await?,
        Route::Protocol => send(conn, Message::text(protocol)).await?,
        Route::Silent | Route::NoHandshake => return Ok(echo_all(conn, false, None).await),
        Route::Slow { delay, echo } => return Ok(echo_all(conn, *echo, Some(*delay)).await),
        Route::Burst { count, bytes } => send_burst(conn, *count, *bytes).await?,
        Route::Flood { count, bytes } => {
            let started = Instant::now();
            send_burst(conn, *count, *bytes).await?;
            let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            if let Some(guard) = &conn.guard {
                guard.flooded(took);
            }
        }
        Route::InvalidUtf8 => {
            let frame = Frame::message(vec![0xff, 0xfe, 0xfd], OpCode::Data(Data::Text), true);
            send(conn, Message::Frame(frame)).await?;
        }
        Route::Stats => {
            let count = shared.stats.snapshot(request.tag.as_deref());
            send(conn, Message::text(count.to_json())).await?;
            return Ok(server_close(conn, 1000, "").await);
        }
        Route::Endpoints => {
            let quoted: Vec<String> = shared.endpoints.iter().map(|u| format!("{u:?}")).collect();
            send(conn, Message::text(format!("[{}]", quoted.join(",")))).await?;
            return Ok(server_close(conn, 1000, "").await);
        }
        Route::Rpc => return Ok(serve_rpc(conn).await),
    }
    Ok(echo_all(conn, true, None).await)
}

/// Sends `count` numbered texts of `bytes` bytes as fast as the connection takes them, flushed once at the end.
async fn send_burst(conn: &mut Conn, count: usize, bytes: usize) -> Result<(), End> {
    for i in 0..count {
        conn.ws
            .feed(Message::text(burst_message(i, bytes)))
            .await
            .map_err(End::from_ws)?;
    }
    conn.ws.flush().await.map_err(End::from_ws)
}

async fn send(conn: &mut Conn, message: Message) -> Result<(), End> {
    conn.ws.send(message).await.map_err(End::from_ws)
}

/// Receives one data message, echoes it if `echo`, then waits `delay`. Answers a close frame.
async fn step(conn: &mut Conn, echo: bool, delay: Option<Duration>) -> Result<(), End> {
    loop {
        let message = match conn.ws.next().await {
            Some(Ok(message)) => message,
            Some(Err(err)) => return Err(End::from_ws(err)),
            None => return Err(End::ClientClosed(None)),
        };
        match message {
            Message::Text(_) | Message::Binary(_) => {
                if let Some(guard) = &conn.guard {
                    guard.received();
                }
                if echo {
                    send(conn, message).await?;
                }
                if let Some(delay) = delay {
                    sleep(delay).await;
                }
                return Ok(());
            }
            Message::Close(frame) => return Err(answer_close(conn, frame).await),
            // Pings are answered by tungstenite itself.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
}

/// Answers the client's close frame and waits for the stream to end.
async fn answer_close(conn: &mut Conn, frame: Option<CloseFrame>) -> End {
    // Closed for `/stats` before the reply goes out (the client's close event follows it).
    if let Some(guard) = conn.guard.take() {
        guard.client_closed(frame.as_ref().map_or(1005, |f| u16::from(f.code)));
    }
    // Polling again flushes the queued close reply; tungstenite then ends the stream.
    let _ = timeout(CLOSE_REPLY_TIMEOUT, async {
        while conn.ws.next().await.is_some() {}
    })
    .await;
    End::ClientClosed(frame)
}

/// `/rpc`: answers each text message as [`rpc::answer`] says; delayed replies go out while later requests are
/// answered.
async fn serve_rpc(conn: &mut Conn) -> End {
    enum Event {
        Received(Option<Result<Message, WsError>>),
        Due(String),
    }
    let mut later = FuturesUnordered::new();
    // The server's requests awaiting the client's reply, by their id: the id of the `ask` to answer then.
    let mut asked: Vec<(serde_json::Value, serde_json::Value)> = Vec::new();
    loop {
        let event = tokio::select! {
            message = conn.ws.next() => Event::Received(message),
            Some(text) = later.next(), if !later.is_empty() => Event::Due(text),
        };
        let message = match event {
            Event::Due(text) => {
                if let Err(end) = send(conn, Message::text(text)).await {
                    return end;
                }
                continue;
            }
            Event::Received(Some(Ok(message))) => message,
            Event::Received(Some(Err(err))) => return End::from_ws(err),
            Event::Received(None) => return End::ClientClosed(None),
        };
        let text = match message {
            Message::Text(text) => text.to_string(),
            Message::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Message::Close(frame) => return answer_close(conn, frame).await,
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
        };
        for action in rpc::answer(&text) {
            match action {
                rpc::Action::Send(text) => {
                    if let Err(end) = send(conn, Message::text(text)).await {
                        return end;
                    }
                }
                rpc::Action::Later(delay, text) => later.push(async move {
                    sleep(delay).await;
                    text
                }),
                rpc::Action::Drop => return End::Dropped,
                rpc::Action::Ask {
                    asked: request,
                    id,
                    text,
                } => {
                    asked.push((request, id));
                    if let Err(end) = send(conn, Message::text(text)).await {
                        return end;
                    }
                }
                rpc::Action::Replied { id, reply } => {
                    let Some(at) = asked.iter().position(|(request, _)| *request == id) else {
                        continue;
                    };
                    let (_, ask) = asked.remove(at);
                    let text = rpc::reply_text(&ask, reply);
                    if let Err(end) = send(conn, Message::text(text)).await {
                        return end;
                    }
                }
            }
        }
    }
}

async fn steps(conn: &mut Conn, count: usize, echo: bool) -> Result<(), End> {
    for _ in 0..count {
        step(conn, echo, None).await?;
    }
    Ok(())
}

async fn echo_all(conn: &mut Conn, echo: bool, delay: Option<Duration>) -> End {
    loop {
        if let Err(end) = step(conn, echo, delay).await {
            return end;
        }
    }
}

/// Sends a close frame, then waits for the client's reply (data still arriving is discarded).
async fn server_close(conn: &mut Conn, code: u16, reason: &str) -> End {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    };
    if let Err(err) = conn.ws.close(Some(frame)).await {
        return End::from_ws(err);
    }
    let wait_for_reply = async {
        loop {
            match conn.ws.next().await {
                Some(Ok(Message::Close(_))) => {
                    conn.guard = None;
                    return true;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return false,
            }
        }
    };
    let acknowledged = timeout(CLOSE_ACK_TIMEOUT, wait_for_reply)
        .await
        .unwrap_or(false);
    End::ServerClosed { code, acknowledged }
}

/// Writes the header of an unmasked binary frame of `len` bytes and the first `written` bytes of
/// its payload (the `/binary` pattern) straight to the socket, leaving the message unfinished.
async fn write_partial_binary(
    stream: &mut TcpStream,
    len: usize,
    written: usize,
) -> io::Result<()> {
    stream.write_all(&binary_frame_header(len as u64)).await?;
    let payload = binary_pattern(written.min(len));
    stream.write_all(&payload).await?;
    stream.flush().await
}

/// RFC 6455 section 5.2 header: FIN + binary opcode, no mask, 7/16/64-bit payload length.
fn binary_frame_header(len: u64) -> Vec<u8> {
    let mut header = vec![0x82];
    match len {
        0..=125 => header.push(len as u8),
        126..=0xffff => {
            header.push(126);
            header.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            header.push(127);
            header.extend_from_slice(&len.to_be_bytes());
        }
    }
    header
}

/// Waits for the request line, without consuming it, and returns its request target.
/// `None` if the peer closed, or sent something that is not an HTTP request line.
async fn peek_request_target(stream: &TcpStream) -> Option<String> {
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.peek(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        if let Some(end) = buf[..n].iter().position(|&b| b == b'\n') {
            let line = std::str::from_utf8(&buf[..end]).ok()?;
            let mut parts = line.split_ascii_whitespace();
            let _method = parts.next()?;
            return parts.next().map(str::to_owned);
        }
        if n == buf.len() {
            return None;
        }
        // Only part of the request line has arrived; `peek` would return it again at once.
        sleep(Duration::from_millis(5)).await;
    }
}

/// `/no-handshake`: reads and discards whatever arrives, never answers; ends on EOF or after 60 s.
async fn hold_without_handshake(mut stream: TcpStream) -> End {
    let mut buf = [0u8; 4096];
    let drain = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return End::Vanished,
                Ok(_) => {}
            }
        }
    };
    timeout(NO_HANDSHAKE_HOLD, drain).await.unwrap_or(End::Held)
}

/// The offered subprotocol the server selects: the first one in the first `Sec-WebSocket-Protocol` header.
fn first_offered_protocol(headers: &HeaderMap) -> Option<String> {
    let offered = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .next()?;
    let first = offered.to_str().ok()?.split(',').next()?.trim();
    (!first.is_empty()).then(|| first.to_owned())
}

fn error_response(status: StatusCode, message: String) -> ErrorResponse {
    let body = format!("{message}\n");
    let mut response = ErrorResponse::new(None);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    *response.body_mut() = Some(body);
    response
}

/// `/binary` payload: byte `i` is `i % 251`.
pub fn binary_pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// `/text` payload: `abc...zabc...` of `len` bytes.
pub fn text_pattern(len: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect()
}

/// The `i`-th `/burst` message: `i:` padded with `.` to `len` bytes (never shorter than `i:`).
pub fn burst_message(i: usize, len: usize) -> String {
    let mut message = format!("{i}:");
    let pad = len.saturating_sub(message.len());
    message.extend(std::iter::repeat_n('.', pad));
    message
}

#[cfg(test)]
mod tests {
    //! Covers: frame header encoding for all three length forms, payload patterns, burst numbering.

    use super::*;

    #[test]
    fn encodes_binary_frame_headers() {
        assert_eq!(binary_frame_header(5), [0x82, 5]);
        assert_eq!(binary_frame_header(126), [0x82, 126, 0, 126]);
        assert_eq!(
            binary_frame_header(70_000),
            [0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]
        );
    }

    #[test]
    fn builds_patterns() {
        assert_eq!(binary_pattern(253)[250..], [250, 0, 1]);
        assert_eq!(text_pattern(28), "abcdefghijklmnopqrstuvwxyzab");
        assert_eq!(burst_message(7, 6), "7:....");
        assert_eq!(burst_message(1234, 2), "1234:");
    }
}
