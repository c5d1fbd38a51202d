//! The async API: `connect().await`, a `Stream` of messages, a `Sink` with backpressure, and a control handle.
//!
//! ```no_run
//! use browser_ws::connection::{Connection, Overflow};
//! use browser_ws::Message;
//! use futures::{SinkExt, StreamExt};
//!
//! # async fn run() -> Result<(), browser_ws::Error> {
//! let connection = Connection::builder("wss://example.com/chat")
//!     .protocols(&["chat.v1"])
//!     .receive_queue(1024, Overflow::Fail)
//!     .connect()
//!     .await?; // resolves once open, or fails with the close event (usually 1006)
//! let (mut sender, mut receiver, handle) = connection.split();
//! sender.send(Message::text("hello")).await?; // waits only while the browser's buffer is too full
//! while let Some(message) = receiver.next().await {
//!     match message? {
//!         Message::Text(text) if text == "bye" => handle.close()?,
//!         other => web_sys::console::log_1(&other.to_string().into()),
//!     }
//! }
//! // A clean close ended the stream; the close event says how.
//! let close = handle.closed().await;
//! # let _ = close;
//! # Ok(())
//! # }
//! ```
//!
//! The same API runs over the classic `WebSocket` or over `WebSocketStream`, whose reading stops while the
//! receive queue is full ([`Overflow::Backpressure`]): see [`Transport`].
//!
//! Everything here is `!Send`: spawn it with `wasm_bindgen_futures::spawn_local`.

mod blob_reader;
mod handle;
mod options;
mod receiver;
mod sender;
mod shared;
mod stream_link;
mod transport;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::future::FusedFuture;
use futures_core::stream::FusedStream;
use futures_core::Stream;
use futures_sink::Sink;

pub use handle::{Closed, Handle};
pub use options::{BinaryDelivery, ConnectionBuilder, Overflow};
pub use receiver::Receiver;
pub use sender::{Drained, Sender};
pub use transport::Transport;

use crate::error::Error;
use crate::message::Message;
use crate::timer::Sleep;
use shared::Shared;
pub(crate) use shared::OVERFLOW_REASON;

/// Opens a connection to `url` with the default settings; see [`Connection::builder`] for the others.
pub fn connect(url: &str) -> Connect {
    Connection::builder(url).connect()
}

/// An open connection: a [`Stream`] of received messages and a [`Sink`] of messages to send.
///
/// [`split`](Self::split) it to send and receive from different tasks; the [`Handle`] closes it from anywhere.
/// Dropping every part (connection, halves, handles) closes the socket and detaches its listeners.
#[derive(Debug)]
pub struct Connection {
    sender: Sender,
    receiver: Receiver,
    handle: Handle,
}

impl Connection {
    fn new(shared: Rc<Shared>) -> Self {
        Self {
            sender: Sender::new(shared.clone()),
            receiver: Receiver {
                shared: shared.clone(),
            },
            handle: Handle { shared },
        }
    }

    /// The control handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Separates sending, receiving and control, e.g. to send from one task and receive in another.
    pub fn split(self) -> (Sender, Receiver, Handle) {
        (self.sender, self.receiver, self.handle)
    }
}

impl Stream for Connection {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.receiver).poll_next(cx)
    }
}

impl FusedStream for Connection {
    fn is_terminated(&self) -> bool {
        self.receiver.is_terminated()
    }
}

impl Sink<Message> for Connection {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.sender).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        Pin::new(&mut self.sender).start_send(message)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.sender).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.sender).poll_close(cx)
    }
}

/// The future of [`connect`]: resolves with the open [`Connection`], or fails with [`Error::Closed`] (the close
/// event, usually 1006, when the server cannot be reached or refuses), [`Error::ConnectTimeout`], or an error
/// about the arguments. Dropping it before it resolves closes the socket and detaches everything.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited; dropping this one abandons the connection"]
pub struct Connect {
    shared: Option<Rc<Shared>>,
    error: Option<Error>,
    timeout: Option<(Sleep, Duration)>,
}

impl Connect {
    fn new(settings: ConnectionBuilder) -> Self {
        let timeout = settings
            .connect_timeout
            .map(|after| (Sleep::new(after), after));
        match Shared::open(settings) {
            Ok(shared) => Self {
                shared: Some(shared),
                error: None,
                timeout,
            },
            Err(error) => Self {
                shared: None,
                error: Some(error),
                timeout: None,
            },
        }
    }
}

impl Future for Connect {
    type Output = Result<Connection, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(error) = self.error.take() {
            return Poll::Ready(Err(error));
        }
        // Polled again after completion: stay pending rather than panic.
        let Some(shared) = &self.shared else {
            return Poll::Pending;
        };
        // Open first: a timeout that fires in the same turn as the open event must not drop an open socket.
        if let Poll::Ready(opened) = shared.poll_open(cx) {
            let shared = shared.clone();
            self.shared = None;
            self.timeout = None;
            return Poll::Ready(opened.map(|()| Connection::new(shared)));
        }
        if let Some((sleep, after)) = &mut self.timeout {
            if Pin::new(sleep).poll(cx).is_ready() {
                let after = *after;
                // Dropping the socket abandons the handshake and detaches the listeners.
                self.shared = None;
                self.timeout = None;
                return Poll::Ready(Err(Error::ConnectTimeout { after }));
            }
        }
        Poll::Pending
    }
}

impl FusedFuture for Connect {
    fn is_terminated(&self) -> bool {
        self.shared.is_none() && self.error.is_none()
    }
}
