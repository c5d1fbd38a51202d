//! A client that reconnects by itself: backoff with jitter, a bounded send queue that never drops silently,
//! optional heartbeat and acknowledged delivery.
//!
//! ```no_run
//! use std::time::Duration;
//! use browser_ws::reconnect::{Backoff, ClientState, ReconnectingClient};
//! use browser_ws::Message;
//! use futures::StreamExt;
//!
//! # async fn run() {
//! let mut client = ReconnectingClient::builder("wss://example.com/feed")
//!     .backoff(Backoff { initial: Duration::from_millis(250), ..Backoff::default() })
//!     .max_attempts(Some(10))
//!     .url_provider(|| async { Ok(format!("wss://example.com/feed?token={}", "fresh")) })
//!     .start();
//! let handle = client.handle().clone();
//! // Queued while not open, sent in order once open; a full queue hands the message back.
//! if let Err(refused) = handle.try_send(Message::text("subscribe")) {
//!     web_sys::console::log_1(&format!("not sent: {}", refused.error).into());
//! }
//! let mut states = handle.state_changes();
//! wasm_bindgen_futures::spawn_local(async move {
//!     while let Some(state) = states.next().await {
//!         if let ClientState::Waiting { delay } = state {
//!             web_sys::console::log_1(&format!("retrying in {delay:?}").into());
//!         }
//!     }
//! });
//! while let Some(Ok(message)) = client.next().await {
//!     web_sys::console::log_1(&message.to_string().into());
//! }
//! let unsent = handle.take_unsent(); // what never reached the server
//! # let _ = unsent;
//! # }
//! ```
//!
//! # Delivery guarantees
//!
//! The WebSocket protocol has no receipts: a message handed to the browser on a connection that then fails
//! may be lost, and nobody can tell. So:
//!
//! - **Default** (at most once): every message is handed to a socket exactly once. Messages given while not
//!   open are queued and delivered in order, before anything newer, as soon as a connection opens. Nothing is
//!   duplicated or reordered; only messages in flight when a connection fails can be lost.
//! - **[`Acknowledgements`]** (at least once): each message is tagged with an id and kept until the server
//!   acknowledges it; after a reconnect the unacknowledged ones are sent again, in order, before anything newer.
//!   A message can then arrive twice (the server deduplicates by id); first arrivals stay in order.
//!
//! Either way, nothing is dropped silently: a full queue returns the message in a [`SendError`], and after
//! the client gives up [`ReconnectHandle::take_unsent`] returns what was never delivered.
//!
//! # Nothing grows on its own account
//!
//! - The send queue is bounded ([`ReconnectBuilder::send_queue`]) and is used while not open *and* while the
//!   browser's buffer is above the high-water mark ([`ReconnectBuilder::send_watermarks`]): a loop of
//!   `try_send` cannot grow the browser's buffer without bound.
//! - The client takes every message off its connection as it arrives, recognises acknowledgements and pongs
//!   there, and keeps the rest in one queue bounded by [`ReconnectBuilder::receive_queue`]. When it is full,
//!   [`Overflow::Fail`](crate::connection::Overflow::Fail) fails that connection (close code 4429), reports
//!   [`Error::ReceiveOverflow`](crate::Error::ReceiveOverflow) in the stream after what was queued, and
//!   reconnects; it never gives up over it.
//! - Dropping the [`ReconnectingClient`] while keeping a [`ReconnectHandle`] (to send only) stops the queueing
//!   of received messages.
//!
//! Timers use the global `setTimeout`, so the client works in workers too; they are cancelled when the client
//! is dropped.

mod client;
mod driver;
mod online;
mod options;
mod outbox;
mod state;

pub use client::{Delivery, ReconnectHandle, ReconnectingClient, SendError};
pub use options::{
    default_should_reconnect, AckReader, Acknowledgements, Backoff, Heartbeat, MessageFilter,
    ReconnectBuilder, Tagger, UrlFuture,
};
pub use state::{ClientState, StateChanges};
