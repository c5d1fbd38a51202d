//! The Rust side of `cargo xtask bench`: the same workloads written with browser-ws's async API
//! ([`browser_ws::Connection`]), its callback API ([`browser_ws::WebSocket`]) and gloo-net 0.6, exported to the
//! benchmark page (tools/bench/page/), which also runs them with the browser's `WebSocket` from plain JS and
//! with the npm package's `WebSocketClient`.
//!
//! Each workload takes the client's name (`bws-async`, `bws-callback`, `gloo-net`) and is written the way a user
//! of that API would write it; the hot loops use no helper that another client does not also pay for. The
//! timing is taken in Rust with `performance.now()`, after the connection is open and before it is closed.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};

use browser_ws::connection::{Overflow, Transport};
use std::fmt::Display;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use futures::future::poll_fn;
use futures::{SinkExt, StreamExt};
use js_sys::{Float64Array, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(inline_js = r#"
export function now() { return performance.now(); }
export function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
// gloo-net 0.6 gives no access to its browser WebSocket, and its close() consumes the socket, detaches the
// listeners and dispatches a synthetic close event at once: nothing tells when the connection has actually
// closed. So the browser's socket is captured as gloo-net creates it (by a subclass of WebSocket, installed only
// for that call), and the browser's own close event, the one whose isTrusted is true, is awaited on it.
let native = null;
let captured = null;
export function start_capture() {
  native = globalThis.WebSocket;
  globalThis.WebSocket = class extends native {
    constructor(...args) {
      super(...args);
      captured = this;
    }
  };
}
export function stop_capture() {
  globalThis.WebSocket = native;
  const socket = captured;
  captured = null;
  return socket;
}
export function trusted_close(ws) {
  return new Promise((resolve) => {
    const on = (event) => {
      if (event.isTrusted) {
        ws.removeEventListener("close", on);
        resolve();
      }
    };
    ws.addEventListener("close", on);
  });
}
"#)]
extern "C" {
    fn now() -> f64;
    fn sleep(ms: u32) -> Promise;
    fn start_capture();
    fn stop_capture() -> web_sys::WebSocket;
    fn trusted_close(ws: &web_sys::WebSocket) -> Promise;
}

type Result<T, E = JsValue> = std::result::Result<T, E>;

fn error(message: impl Display) -> JsValue {
    js_sys::Error::new(&message.to_string()).into()
}

async fn pause(ms: u32) {
    let _ = JsFuture::from(sleep(ms)).await;
}

thread_local! {
    /// The transport of the `bws-async` workloads: `Stream` when the client is `bws-stream`.
    static TRANSPORT: Cell<Transport> = const { Cell::new(Transport::Classic) };
}

/// The client's name, with `bws-stream` run as `bws-async` over `WebSocketStream`.
fn async_client(client: &str) -> &str {
    let stream = client == "bws-stream";
    TRANSPORT.with(|t| {
        t.set(if stream {
            Transport::Stream
        } else {
            Transport::Classic
        })
    });
    if stream {
        "bws-async"
    } else {
        client
    }
}

fn transport() -> Transport {
    TRANSPORT.with(Cell::get)
}

/// Settings of the send-with-backpressure workload: the Rust Sink's watermarks and poll interval, which the
/// other clients copy in their bounded loops.
struct Watermarks {
    high: u32,
    low: u32,
    poll_ms: u32,
}

/// `[p1, p2, ...]` round-trip times in milliseconds of `rounds` 64-byte text messages, one at a time.
#[wasm_bindgen]
pub async fn ping_pong(
    client: String,
    url: String,
    rounds: u32,
    payload: String,
) -> Result<Float64Array> {
    let samples = match async_client(&client) {
        "bws-async" => bws_async::ping_pong(&url, rounds, &payload).await?,
        "bws-callback" => bws_callback::ping_pong(&url, rounds, &payload).await?,
        "gloo-net" => gloo::ping_pong(&url, rounds, &payload).await?,
        other => return Err(error(format!("unknown client {other}"))),
    };
    Ok(Float64Array::from(&samples[..]))
}

/// Milliseconds to send `count` text messages without waiting and receive all their echoes.
#[wasm_bindgen]
pub async fn pipelined(client: String, url: String, count: u32, payload: String) -> Result<f64> {
    match async_client(&client) {
        "bws-async" => bws_async::pipelined(&url, count, &payload).await,
        "bws-callback" => bws_callback::pipelined(&url, count, &payload).await,
        "gloo-net" => gloo::pipelined(&url, count, &payload).await,
        other => Err(error(format!("unknown client {other}"))),
    }
}

/// Milliseconds for `count` echoes, one after the other, of a binary message of `bytes` bytes (each echo is
/// sent again).
#[wasm_bindgen]
pub async fn binary_echo(client: String, url: String, count: u32, bytes: u32) -> Result<f64> {
    let data: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
    match async_client(&client) {
        "bws-async" => bws_async::binary_echo(&url, count, data).await,
        "bws-callback" => bws_callback::binary_echo(&url, count, data).await,
        "gloo-net" => gloo::binary_echo(&url, count, data).await,
        other => Err(error(format!("unknown client {other}"))),
    }
}

/// Milliseconds for `count` echoes, one after the other, of the text message `text` (each echo is sent again).
#[wasm_bindgen]
pub async fn text_echo(client: String, url: String, count: u32, text: String) -> Result<f64> {
    match async_client(&client) {
        "bws-async" => bws_async::text_echo(&url, count, text).await,
        "bws-callback" => bws_callback::text_echo(&url, count, text).await,
        "gloo-net" => gloo::text_echo(&url, count, text).await,
        other => Err(error(format!("unknown client {other}"))),
    }
}

/// Milliseconds for `count` connections, one after the other, each opened, closed with 1000, and its close
/// event received.
#[wasm_bindgen]
pub async fn connect_close(client: String, url: String, count: u32) -> Result<f64> {
    let start = now();
    for _ in 0..count {
        match async_client(&client) {
            "bws-async" => bws_async::close(bws_async::open(&url).await?).await?,
            "bws-callback" => bws_callback::close(bws_callback::open(&url).await?).await?,
            "gloo-net" => gloo::close(gloo::open(&url).await?).await?,
            other => return Err(error(format!("unknown client {other}"))),
        }
    }
    Ok(now() - start)
}

/// `[milliseconds, largest bufferedAmount seen]` to send `total` bytes in binary messages of `chunk` bytes,
/// keeping `bufferedAmount` under `high` (waiting, once above, until it is `low` or less, re-reading it every
/// `poll_ms`), then waiting until it is 0. Not for gloo-net 0.6, which has no way to read `bufferedAmount`.
#[wasm_bindgen]
pub async fn backpressure(
    client: String,
    url: String,
    total: u32,
    chunk: u32,
    high: u32,
    low: u32,
    poll_ms: u32,
) -> Result<Float64Array> {
    let chunk = vec![0x5a_u8; chunk as usize];
    let count = total / chunk.len() as u32;
    let marks = Watermarks { high, low, poll_ms };
    let (elapsed, max) = match async_client(&client) {
        "bws-async" => bws_async::backpressure(&url, count, &chunk, &marks).await?,
        "bws-callback" => bws_callback::backpressure(&url, count, &chunk, &marks).await?,
        other => return Err(error(format!("unknown client {other}"))),
    };
    Ok(Float64Array::from(&[elapsed, f64::from(max)][..]))
}

/// The slow-reader workload: the server floods `count` texts (`url` is a `/flood` route) while the reader takes
/// each with a pause of `delay_ms`. `[milliseconds until the last message was taken, messages taken]`.
/// `bws-classic` is browser-ws over the classic `WebSocket` with a queue of `capacity` and
/// `Overflow::DropOldest` (memory bounded, the oldest dropped); `bws-stream` the same over `WebSocketStream`
/// with `Overflow::Backpressure` (memory bounded, nothing lost); gloo-net queues without bound.
#[wasm_bindgen]
pub async fn slow_reader(
    client: String,
    url: String,
    count: u32,
    delay_ms: u32,
    capacity: u32,
) -> Result<Float64Array> {
    let last = format!("{}:", count.saturating_sub(1));
    let (elapsed, taken) = match client.as_str() {
        "bws-classic" | "bws-stream" => {
            let (transport, overflow) = if client == "bws-stream" {
                (Transport::Stream, Overflow::Backpressure)
            } else {
                (Transport::Classic, Overflow::DropOldest)
            };
            let mut connection = browser_ws::Connection::builder(&url)
                .transport(transport)
                .receive_queue(capacity as usize, overflow)
                .connect()
                .await
                .map_err(error)?;
            let start = now();
            let mut taken = 0u32;
            loop {
                let message = match connection.next().await {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => return Err(error(e)),
                    None => return Err(error("the connection closed")),
                };
                taken += 1;
                // The newest message is never dropped: it ends the run for every policy.
                if message.as_text().is_some_and(|t| t.starts_with(&last)) {
                    break;
                }
                pause(delay_ms).await;
            }
            let elapsed = now() - start;
            bws_async::close(connection).await?;
            (elapsed, taken)
        }
        "gloo-net" => {
            let mut opened = gloo::open(&url).await?;
            let start = now();
            let mut taken = 0u32;
            loop {
                let message = match opened.socket.next().await {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => return Err(error(e)),
                    None => return Err(error("the connection closed")),
                };
                taken += 1;
                if matches!(&message, gloo_net::websocket::Message::Text(t) if t.starts_with(&last))
                {
                    break;
                }
                pause(delay_ms).await;
            }
            let elapsed = now() - start;
            gloo::close(opened).await?;
            (elapsed, taken)
        }
        other => return Err(error(format!("unknown client {other}"))),
    };
    Ok(Float64Array::from(&[elapsed, f64::from(taken)][..]))
}

/// The memory workload: `count` connect/close cycles with `connect().await`, one after the other.
#[wasm_bindgen]
pub async fn cycles(url: String, count: u32) -> Result<f64> {
    let start = now();
    for _ in 0..count {
        bws_async::close(bws_async::open(&url).await?).await?;
    }
    Ok(now() - start)
}

/// The size of this module's Wasm memory, in bytes.
#[wasm_bindgen]
pub fn wasm_memory_bytes() -> f64 {
    use wasm_bindgen::JsCast;
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length()
        .into()
}

/// browser-ws's async API: `connect().await`, then the connection as a `Stream` and a `Sink`.
mod bws_async {
    use super::*;
    use browser_ws::{connect, Connection, Message};

    pub(crate) async fn open(url: &str) -> Result<Connection> {
        match transport() {
            Transport::Classic => connect(url).await.map_err(error),
            other => Connection::builder(url)
                .transport(other)
                .connect()
                .await
                .map_err(error),
        }
    }

    pub(crate) async fn close(connection: Connection) -> Result<()> {
        connection.handle().close().map_err(error)?;
        connection.handle().closed().await;
        Ok(())
    }

    /// `send(..).await`, as the README shows it: `feed` then `flush`, which is done once the browser holds it.
    async fn send(connection: &mut Connection, message: Message) -> Result<()> {
        connection.send(message).await.map_err(error)
    }

    async fn next(connection: &mut Connection) -> Result<Message> {
        match connection.next().await {
            Some(Ok(message)) => Ok(message),
            Some(Err(e)) => Err(error(e)),
            None => Err(error("the connection closed")),
        }
    }

    pub(crate) async fn ping_pong(url: &str, rounds: u32, payload: &str) -> Result<Vec<f64>> {
        let mut connection = open(url).await?;
        let mut samples = Vec::with_capacity(rounds as usize);
        for _ in 0..rounds {
            let start = now();
            send(&mut connection, Message::text(payload)).await?;
            match next(&mut connection).await? {
                Message::Text(text) if text.len() == payload.len() => {}
                other => return Err(error(format!("unexpected reply {other}"))),
            }
            samples.push(now() - start);
        }
        close(connection).await?;
        Ok(samples)
    }

    pub(crate) async fn pipelined(url: &str, count: u32, payload: &str) -> Result<f64> {
        let mut connection = open(url).await?;
        let start = now();
        // `feed` waits only while bufferedAmount is over the high-water mark, which these 10,000 small messages
        // never reach; a `flush` is not needed, the echoes tell when everything went out.
        for _ in 0..count {
            connection
                .feed(Message::text(payload))
                .await
                .map_err(error)?;
        }
        for _ in 0..count {
            if !next(&mut connection).await?.is_text() {
                return Err(error("expected a text echo"));
            }
        }
        let elapsed = now() - start;
        close(connection).await?;
        Ok(elapsed)
    }

    pub(crate) async fn binary_echo(url: &str, count: u32, mut data: Vec<u8>) -> Result<f64> {
        let mut connection = open(url).await?;
        let len = data.len();
        let start = now();
        for _ in 0..count {
            send(&mut connection, Message::Binary(data)).await?;
            data = match next(&mut connection).await? {
                Message::Binary(bytes) if bytes.len() == len => bytes,
                other => return Err(error(format!("unexpected reply {other}"))),
            };
        }
        let elapsed = now() - start;
        close(connection).await?;
        Ok(elapsed)
    }

    pub(crate) async fn text_echo(url: &str, count: u32, mut text: String) -> Result<f64> {
        let mut connection = open(url).await?;
        let len = text.len();
        let start = now();
        for _ in 0..count {
            send(&mut connection, Message::Text(text)).await?;
            text = match next(&mut connection).await? {
                Message::Text(reply) if reply.len() == len => reply,
                other => return Err(error(format!("unexpected reply of {} bytes", other.len()))),
            };
        }
        let elapsed = now() - start;
        close(connection).await?;
        Ok(elapsed)
    }

    pub(crate) async fn backpressure(
        url: &str,
        count: u32,
        chunk: &[u8],
        marks: &Watermarks,
    ) -> Result<(f64, u32)> {
        let mut connection = Connection::builder(url)
            .transport(transport())
            .send_watermarks(marks.high, marks.low)
            .poll_interval(Duration::from_millis(marks.poll_ms.into()))
            .connect()
            .await
            .map_err(error)?;
        let handle = connection.handle().clone();
        let mut max = 0;
        let start = now();
        for _ in 0..count {
            // The Sink's poll_ready holds the send while bufferedAmount is over the watermark.
            connection
                .feed(Message::binary(chunk))
                .await
                .map_err(error)?;
            max = max.max(handle.buffered_amount());
        }
        // Like the raw JS loop, done once the browser's buffer is empty.
        connection.handle().drained().await.map_err(error)?;
        let elapsed = now() - start;
        close(connection).await?;
        Ok((elapsed, max))
    }
}

/// browser-ws's callback API: `WebSocket::open`, `on_message` and `send_*`; the loops run in the callbacks.
mod bws_callback {
    use super::*;
    use browser_ws::{BinaryType, ClientCloseCode, Message, WebSocket};

    type Done = Rc<RefCell<Option<oneshot::Sender<Result<()>>>>>;

    fn done() -> (Done, oneshot::Receiver<Result<()>>) {
        let (tx, rx) = oneshot::channel();
        (Rc::new(RefCell::new(Some(tx))), rx)
    }

    fn finish(done: &Done, result: Result<()>) {
        if let Some(tx) = done.borrow_mut().take() {
            let _ = tx.send(result);
        }
    }

    async fn wait(rx: oneshot::Receiver<Result<()>>) -> Result<()> {
        rx.await.map_err(|_| error("cancelled"))?
    }

    pub(crate) async fn open(url: &str) -> Result<Rc<WebSocket>> {
        let socket = Rc::new(WebSocket::open(url).map_err(error)?);
        socket.set_binary_type(BinaryType::ArrayBuffer);
        let (opened, rx) = done();
        let on_open = {
            let opened = opened.clone();
            socket.on_open(move || finish(&opened, Ok(())))
        };
        let on_close = socket.on_close(move |event| finish(&opened, Err(error(event))));
        wait(rx).await?;
        drop((on_open, on_close));
        Ok(socket)
    }

    pub(crate) async fn close(socket: Rc<WebSocket>) -> Result<()> {
        let (closed, rx) = done();
        let _on_close = socket.on_close(move |_| finish(&closed, Ok(())));
        socket
            .close_with(ClientCloseCode::NORMAL, "")
            .map_err(error)?;
        wait(rx).await
    }

    pub(crate) async fn ping_pong(url: &str, rounds: u32, payload: &str) -> Result<Vec<f64>> {
        let socket = open(url).await?;
        let samples = Rc::new(RefCell::new(Vec::with_capacity(rounds as usize)));
        let start = Rc::new(RefCell::new(0.0));
        let (finished, rx) = done();
        let on_message = {
            let (socket, samples, start) = (socket.clone(), samples.clone(), start.clone());
            let payload = payload.to_owned();
            socket.clone().on_message(move |message| {
                let end = now();
                if !matches!(&message, Message::Text(text) if text.len() == payload.len()) {
                    return finish(&finished, Err(error("unexpected reply")));
                }
                let mut samples = samples.borrow_mut();
                samples.push(end - *start.borrow());
                if samples.len() == rounds as usize {
                    return finish(&finished, Ok(()));
                }
                *start.borrow_mut() = now();
                if let Err(e) = socket.send_text(&payload) {
                    finish(&finished, Err(error(e)));
                }
            })
        };
        *start.borrow_mut() = now();
        socket.send_text(payload).map_err(error)?;
        wait(rx).await?;
        drop(on_message);
        close(socket).await?;
        Ok(samples.take())
    }

    pub(crate) async fn pipelined(url: &str, count: u32, payload: &str) -> Result<f64> {
        let socket = open(url).await?;
        let (finished, rx) = done();
        let mut received = 0;
        let on_message = socket.on_message(move |message| {
            if !message.is_text() {
                return finish(&finished, Err(error("expected a text echo")));
            }
            received += 1;
            if received == count {
                finish(&finished, Ok(()));
            }
        });
        let start = now();
        for _ in 0..count {
            socket.send_text(payload).map_err(error)?;
        }
        wait(rx).await?;
        let elapsed = now() - start;
        drop(on_message);
        close(socket).await?;
        Ok(elapsed)
    }

    /// Sends `first`, then each echo again, until `count` echoes came back.
    async fn echo(url: &str, count: u32, first: Message) -> Result<f64> {
        let socket = open(url).await?;
        let len = first.len();
        let (finished, rx) = done();
        let mut received = 0;
        let on_message = {
            let socket = socket.clone();
            socket.clone().on_message(move |message| {
                if message.len() != len {
                    return finish(&finished, Err(error("unexpected reply")));
                }
                received += 1;
                if received == count {
                    return finish(&finished, Ok(()));
                }
                if let Err(e) = socket.send(&message) {
                    finish(&finished, Err(error(e)));
                }
            })
        };
        let start = now();
        socket.send(&first).map_err(error)?;
        wait(rx).await?;
        let elapsed = now() - start;
        drop(on_message);
        close(socket).await?;
        Ok(elapsed)
    }

    pub(crate) async fn binary_echo(url: &str, count: u32, data: Vec<u8>) -> Result<f64> {
        echo(url, count, Message::Binary(data)).await
    }

    pub(crate) async fn text_echo(url: &str, count: u32, text: String) -> Result<f64> {
        echo(url, count, Message::Text(text)).await
    }

    pub(crate) async fn backpressure(
        url: &str,
        count: u32,
        chunk: &[u8],
        marks: &Watermarks,
    ) -> Result<(f64, u32)> {
        let socket = open(url).await?;
        let mut max = 0;
        let start = now();
        for _ in 0..count {
            if socket.buffered_amount() > marks.high {
                while socket.buffered_amount() > marks.low {
                    pause(marks.poll_ms).await;
                }
            }
            socket.send_bytes(chunk).map_err(error)?;
            max = max.max(socket.buffered_amount());
        }
        while socket.buffered_amount() > 0 {
            pause(marks.poll_ms).await;
        }
        let elapsed = now() - start;
        close(socket).await?;
        Ok((elapsed, max))
    }
}

/// gloo-net 0.6: `gloo_net::websocket::futures::WebSocket`, a `Stream` and a `Sink` of its `Message`.
mod gloo {
    use super::*;
    use gloo_net::websocket::futures::WebSocket;
    use gloo_net::websocket::{Message, State};

    /// A gloo-net socket and the browser's socket inside it (see `start_capture`), to await its close event.
    pub(crate) struct Socket {
        pub(crate) socket: WebSocket,
        raw: web_sys::WebSocket,
    }

    /// `open` returns at once; the Sink's `poll_ready` is pending until the socket is open.
    pub(crate) async fn open(url: &str) -> Result<Socket> {
        start_capture();
        let socket = WebSocket::open(url);
        let raw = stop_capture();
        let mut socket = socket.map_err(error)?;
        poll_fn(|cx| socket.poll_ready_unpin(cx))
            .await
            .map_err(error)?;
        match socket.state() {
            State::Open => Ok(Socket { socket, raw }),
            state => Err(error(format!("not open: {state:?}"))),
        }
    }

    /// gloo-net's `close` cannot wait for the close event: see `start_capture`.
    pub(crate) async fn close(Socket { socket, raw }: Socket) -> Result<()> {
        let closed = JsFuture::from(trusted_close(&raw));
        socket.close(Some(1000), None).map_err(error)?;
        closed.await.map(drop)
    }

    async fn next(socket: &mut WebSocket) -> Result<Message> {
        match socket.next().await {
            Some(Ok(message)) => Ok(message),
            Some(Err(e)) => Err(error(e)),
            None => Err(error("the connection closed")),
        }
    }

    pub(crate) async fn ping_pong(url: &str, rounds: u32, payload: &str) -> Result<Vec<f64>> {
        let mut opened = open(url).await?;
        let socket = &mut opened.socket;
        let mut samples = Vec::with_capacity(rounds as usize);
        for _ in 0..rounds {
            let start = now();
            socket
                .send(Message::Text(payload.to_owned()))
                .await
                .map_err(error)?;
            match next(socket).await? {
                Message::Text(text) if text.len() == payload.len() => {}
                _ => return Err(error("unexpected reply")),
            }
            samples.push(now() - start);
        }
        close(opened).await?;
        Ok(samples)
    }

    pub(crate) async fn pipelined(url: &str, count: u32, payload: &str) -> Result<f64> {
        let mut opened = open(url).await?;
        let socket = &mut opened.socket;
        let start = now();
        for _ in 0..count {
            socket
                .feed(Message::Text(payload.to_owned()))
                .await
                .map_err(error)?;
        }
        for _ in 0..count {
            if !matches!(next(socket).await?, Message::Text(_)) {
                return Err(error("expected a text echo"));
            }
        }
        let elapsed = now() - start;
        close(opened).await?;
        Ok(elapsed)
    }

    async fn echo(url: &str, count: u32, mut message: Message) -> Result<f64> {
        let mut opened = open(url).await?;
        let socket = &mut opened.socket;
        let len = |message: &Message| match message {
            Message::Text(text) => text.len(),
            Message::Bytes(bytes) => bytes.len(),
        };
        let expected = len(&message);
        let start = now();
        for _ in 0..count {
            socket.send(message).await.map_err(error)?;
            message = next(socket).await?;
            if len(&message) != expected {
                return Err(error("unexpected reply"));
            }
        }
        let elapsed = now() - start;
        close(opened).await?;
        Ok(elapsed)
    }

    pub(crate) async fn binary_echo(url: &str, count: u32, data: Vec<u8>) -> Result<f64> {
        echo(url, count, Message::Bytes(data)).await
    }

    pub(crate) async fn text_echo(url: &str, count: u32, text: String) -> Result<f64> {
        echo(url, count, Message::Text(text)).await
    }
}
