//! A cloneable control handle: state, close, and the final close event, from anywhere, also after `split()`.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::close::{ClientCloseCode, CloseEvent};
use crate::connection::sender::Drained;
use crate::connection::shared::Shared;
use crate::connection::transport::Transport;
use crate::error::Error;
use crate::state::ReadyState;

/// Reads a connection's state and closes it, from any task. Cheap to clone; it keeps the connection alive.
#[derive(Debug, Clone)]
pub struct Handle {
    pub(crate) shared: Rc<Shared>,
}

impl Handle {
    /// The connection's state.
    pub fn ready_state(&self) -> ReadyState {
        self.shared.ready_state()
    }

    /// Bytes queued in the browser but not yet sent: `bufferedAmount`, or with [`Transport::Stream`] the bytes of
    /// writes that have not completed.
    pub fn buffered_amount(&self) -> u32 {
        self.shared.buffered_amount()
    }

    /// The URL as the browser resolved it.
    pub fn url(&self) -> String {
        self.shared.url()
    }

    /// The subprotocol the server selected (empty if none).
    pub fn protocol(&self) -> String {
        self.shared.protocol()
    }

    /// The extensions the server selected (empty if none).
    pub fn extensions(&self) -> String {
        self.shared.extensions()
    }

    /// The transport this connection got: [`Transport::Classic`] or [`Transport::Stream`], never `Auto`.
    pub fn transport(&self) -> Transport {
        self.shared.transport()
    }

    /// The web-sys `WebSocket`, for what this crate does not wrap; `None` with [`Transport::Stream`] (see
    /// [`as_js`](Self::as_js)).
    pub fn as_raw(&self) -> Option<&web_sys::WebSocket> {
        self.shared.as_raw()
    }

    /// The browser object, whichever the transport: a `WebSocket` or a `WebSocketStream`.
    pub fn as_js(&self) -> &wasm_bindgen::JsValue {
        self.shared.as_js()
    }

    /// Closes normally: code 1000, no reason. Harmless if already closing or closed.
    pub fn close(&self) -> Result<(), Error> {
        self.close_with(ClientCloseCode::NORMAL, "")
    }

    /// Closes with a code and a reason of at most 123 UTF-8 bytes (checked first: on error nothing changes).
    pub fn close_with(&self, code: ClientCloseCode, reason: &str) -> Result<(), Error> {
        self.shared.close_with(code, reason)
    }

    /// Ends the message stream after what was already received and closes the socket (best effort), for a
    /// connection presumed dead.
    pub(crate) fn abandon(&self, reason: &str) {
        self.shared.abandon(reason);
    }

    /// Resolves once the browser has handed everything sent so far to the network (`bufferedAmount` is 0): the
    /// wait that `flush` does not do, since `flush` is done as soon as the browser holds the data. Fails with
    /// [`Error::Closed`] if the connection closes with data still buffered (that data never leaves); while it is
    /// closing, the browser still sends what it holds, so the wait goes on.
    pub fn drained(&self) -> Drained {
        Drained::new(self.shared.clone())
    }

    /// Resolves with the close event once the connection has closed (at once if it already has).
    pub fn closed(&self) -> Closed {
        Closed {
            shared: self.shared.clone(),
        }
    }

    /// The close event, if the connection has closed.
    pub fn close_event(&self) -> Option<CloseEvent> {
        self.shared.close_event()
    }

    /// Messages received so far, taken from the stream or not.
    pub fn received_messages(&self) -> u64 {
        self.shared.state().received
    }

    /// How many received messages [`Overflow::DropOldest`](crate::connection::Overflow::DropOldest) discarded.
    pub fn dropped_messages(&self) -> u64 {
        self.shared.state().dropped
    }
}

/// The future of [`Handle::closed`]: the connection's close event.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Closed {
    shared: Rc<Shared>,
}

impl Future for Closed {
    type Output = CloseEvent;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<CloseEvent> {
        self.shared.poll_closed(cx)
    }
}
