//! A typed, leak-free WebSocket client for the browser.
//!
//! `browser-ws` wraps the browser's [`WebSocket`](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket)
//! for Rust code compiled to WebAssembly, in layers:
//!
//! - [`WebSocket`], the callback level: typed getters ([`ReadyState`], [`BinaryType`], `buffered_amount`, ...),
//!   `send` for text, bytes, `ArrayBuffer` and `Blob` (an error, not a silent no-op, when not open), and `close`
//!   with the browser's rules checked in Rust first ([`ClientCloseCode`], at most 123 bytes of reason). Events go
//!   to closures owned by [`EventListener`]s that remove themselves on drop: nothing leaks.
//! - [`connection`], the async API: [`connect`]`(url).await` resolves once open, a [`Connection`] is a `Stream`
//!   and a `Sink` with backpressure on `bufferedAmount`, and `split()` gives a control handle that can close
//!   from anywhere. It runs over the classic `WebSocket` or over `WebSocketStream`
//!   ([`connection::Transport`]), where a full receive queue stops the reading of the socket
//!   ([`connection::Overflow::Backpressure`]): a slow reader slows the server instead of losing messages.
//! - [`reconnect`]: a client that reconnects with jittered backoff, queues while disconnected without ever
//!   dropping a message silently, detects dead peers with a heartbeat, and can resend until acknowledged.
//! - [`canvas`]: draw a received `Blob` image on a canvas and turn a canvas into a `Blob` to send.
//!
//! Errors are one [`Error`] enum that keeps no `JsValue`, so it is `Clone + PartialEq`. Everything here is
//! `!Send`, like the JS objects it wraps: use it from the page or worker that made it (with
//! `wasm_bindgen_futures::spawn_local` for the async parts).
//!
//! # Example
//!
//! ```no_run
//! use browser_ws::{connect, ClientCloseCode, Message};
//! use futures::{SinkExt, StreamExt};
//!
//! # async fn run() -> Result<(), browser_ws::Error> {
//! let mut connection = connect("wss://example.com/echo").await?; // resolves once open
//! connection.send(Message::text("hello")).await?;
//! if let Some(reply) = connection.next().await {
//!     web_sys::console::log_1(&format!("server said {}", reply?).into());
//! }
//! connection.handle().close_with(ClientCloseCode::new(4000)?, "done")?;
//! let close = connection.handle().closed().await;
//! web_sys::console::log_1(&format!("closed: {close}").into());
//! # Ok(())
//! # }
//! ```
//!
//! The callback level, for code that prefers events to futures:
//!
//! ```no_run
//! use browser_ws::{Message, WebSocket};
//!
//! # fn main() -> Result<(), browser_ws::Error> {
//! let socket = WebSocket::open("wss://example.com/echo")?;
//! // Keep the listeners: dropping one removes it.
//! let _on_message = socket.on_message(|message| match message {
//!     Message::Text(text) => web_sys::console::log_1(&text.into()),
//!     other => web_sys::console::log_1(&format!("binary: {other}").into()),
//! });
//! let _on_close = socket.on_close(|event| web_sys::console::log_1(&format!("closed: {event}").into()));
//! // Sending before the open event is an error, not a silent no-op.
//! assert!(socket.send_text("too early").is_err());
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs, missing_debug_implementations)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod canvas;
mod close;
pub mod connection;
#[cfg(feature = "demo")]
mod demo;
mod error;
#[cfg(feature = "js")]
pub mod js;
mod listener;
mod message;
mod promise;
mod protocol;
mod quoted;
pub mod reconnect;
#[cfg(any(feature = "typed", feature = "js"))]
mod rpc;
#[cfg(any(feature = "typed", feature = "js"))]
mod safe_integer;
mod signal;
mod socket;
mod state;
mod timer;
#[cfg(feature = "typed")]
pub mod typed;
#[cfg(any(feature = "typed", feature = "js"))]
mod undecoded;

pub use close::{
    validate_close_reason, ClientCloseCode, CloseCode, CloseEvent, MAX_CLOSE_REASON_BYTES,
};
pub use connection::{connect, Connection};
pub use error::Error;
pub use listener::EventListener;
pub use message::Message;
pub use protocol::validate_protocols;
pub use socket::WebSocket;
pub use state::{BinaryType, ReadyState};

/// The README's Rust examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
