//! How a connection is opened and how it treats its queues: the builder and its settings.

use std::time::Duration;

use crate::connection::shared::Shared;
use crate::connection::stream_link::StreamOps;
use crate::connection::transport::Transport;
use crate::connection::{Connect, Connection};
use crate::error::Error;
use crate::listener::EventListener;

/// How received binary messages are delivered by the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BinaryDelivery {
    /// As bytes, [`Message::Binary`](crate::Message::Binary), received in `ArrayBuffer` mode. The default.
    #[default]
    Bytes,
    /// As the browser's `Blob`, [`Message::Blob`](crate::Message::Blob), received in `Blob` mode: the data may
    /// stay out of Wasm memory, e.g. to draw it with [`canvas`](crate::canvas) helpers. `WebSocketStream` has no
    /// Blob mode: with [`Transport::Stream`] each binary message is wrapped in a new `Blob` (its bytes do not
    /// pass through Wasm memory either).
    Blob,
    /// Received in `Blob` mode, then read into bytes, [`Message::Binary`](crate::Message::Binary). Reading a Blob
    /// is asynchronous; messages still come out in arrival order, and count against the receive queue once read.
    /// A Blob the browser cannot read ends the stream with the browser's error (after the messages received
    /// before it) and closes the connection. With [`Transport::Stream`] the bytes come as bytes at once, as with
    /// [`Bytes`](Self::Bytes).
    BlobBytes,
}

/// What the stream does when the receive queue is full (messages received but not yet taken from the stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Overflow {
    /// Fail the connection: the stream yields the queued messages, then [`Error::ReceiveOverflow`], then ends,
    /// and the socket is closed with [`ClientCloseCode::RECEIVE_OVERFLOW`](crate::ClientCloseCode::RECEIVE_OVERFLOW)
    /// (4429) and the reason `"receive queue full"`, so the server can tell. The default: nothing is lost
    /// silently.
    #[default]
    Fail,
    /// Drop the oldest queued message to make room, and count it
    /// ([`Handle::dropped_messages`](crate::connection::Handle::dropped_messages)). For feeds where only the
    /// latest values matter.
    DropOldest,
    /// Stop reading until the stream takes a message: nothing is lost and the queue never holds more than its
    /// capacity. With [`Transport::Stream`] (or [`Transport::Auto`] where the browser has `WebSocketStream`), the
    /// browser then stops reading the socket, TCP's flow control holds the server's sends back, and reading
    /// resumes as messages are taken. The classic `WebSocket` cannot stop reading: there this policy acts as
    /// [`Fail`](Self::Fail) (nothing is lost silently), so where `Auto` may fall back, give the queue the room
    /// a classic connection needs ([`Handle::transport`](crate::connection::Handle::transport) tells which one a
    /// connection got).
    Backpressure,
}

/// Opens a `WebSocketStream` for the settings, or `None` to use the classic socket.
pub(crate) type StreamOpen = fn(&ConnectionBuilder) -> Result<Option<Box<dyn StreamOps>>, Error>;

/// Opens the stream transport. Only [`ConnectionBuilder::transport`] sets it, so an app that keeps the classic
/// transport links none of the `WebSocketStream` code.
#[derive(Clone, Copy)]
pub(crate) struct StreamOpener(pub(crate) StreamOpen);

/// There is one opener; whether a builder has it follows from its `transport`, which is compared.
impl PartialEq for StreamOpener {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for StreamOpener {}

impl std::fmt::Debug for StreamOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamOpener")
    }
}

/// Reads received Blobs into bytes ([`BinaryDelivery::BlobBytes`]): makes the connection's `message` listener
/// (`blob_reader.rs`). Only [`ConnectionBuilder::binary`] sets it, so an app that never asks for Blob reading
/// links none of its code (the promise machinery included).
#[derive(Clone, Copy)]
pub(crate) struct BlobReader(
    pub(crate) fn(&web_sys::WebSocket, &std::rc::Weak<Shared>) -> EventListener,
);

/// There is one reader; whether a builder has it follows from its `binary`, which is compared.
impl PartialEq for BlobReader {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for BlobReader {}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlobReader")
    }
}

/// What an open connection keeps of its settings: how it fills and drains its queues. (The URL and the
/// subprotocols are the socket's once it exists, so the connection does not hold them.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Queues {
    pub(crate) receive_capacity: usize,
    pub(crate) overflow: Overflow,
    pub(crate) high_water: u32,
    pub(crate) low_water: u32,
    pub(crate) poll_interval: Duration,
}

/// The settings of a connection, made with [`Connection::builder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionBuilder {
    pub(crate) url: String,
    pub(crate) protocols: Vec<String>,
    /// Why `protocols` was refused, found when they were given, so that an app offering none links no check.
    pub(crate) protocol_error: Option<Error>,
    pub(crate) binary: BinaryDelivery,
    pub(crate) blob_reader: Option<BlobReader>,
    pub(crate) queues: Queues,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) transport: Transport,
    pub(crate) stream_opener: Option<StreamOpener>,
}

impl ConnectionBuilder {
    /// Default receive queue capacity, in messages.
    pub const DEFAULT_RECEIVE_CAPACITY: usize = 4096;
    /// Default high-water mark of the browser's send buffer, in bytes.
    pub const DEFAULT_HIGH_WATER: u32 = 1 << 20;
    /// Default low-water mark of the browser's send buffer, in bytes.
    pub const DEFAULT_LOW_WATER: u32 = 256 << 10;
    /// Default longest interval at which `bufferedAmount` is polled while waiting for it to drain.
    pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(5);

    pub(crate) fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            protocols: Vec::new(),
            protocol_error: None,
            binary: BinaryDelivery::default(),
            blob_reader: None,
            queues: Queues {
                receive_capacity: Self::DEFAULT_RECEIVE_CAPACITY,
                overflow: Overflow::default(),
                high_water: Self::DEFAULT_HIGH_WATER,
                low_water: Self::DEFAULT_LOW_WATER,
                poll_interval: Self::DEFAULT_POLL_INTERVAL,
            },
            connect_timeout: None,
            transport: Transport::Classic,
            stream_opener: None,
        }
    }

    /// Offers these subprotocols; the server picks at most one.
    /// Each must be a valid token, without repeats; otherwise `connect` fails with [`Error::InvalidProtocol`].
    pub fn protocols<S: AsRef<str>>(mut self, protocols: &[S]) -> Self {
        self.protocol_error = crate::protocol::validate_protocols(protocols).err();
        self.protocols = protocols.iter().map(|p| p.as_ref().to_owned()).collect();
        self
    }

    /// How received binary messages are delivered (default: [`BinaryDelivery::Bytes`]).
    pub fn binary(mut self, delivery: BinaryDelivery) -> Self {
        self.binary = delivery;
        self.blob_reader = (delivery == BinaryDelivery::BlobBytes)
            .then_some(BlobReader(super::blob_reader::listen));
        self
    }

    /// How many received messages may wait to be taken from the stream (default 4096, at least 1), and what
    /// happens beyond that (default [`Overflow::Fail`]).
    pub fn receive_queue(mut self, capacity: usize, overflow: Overflow) -> Self {
        self.queues.receive_capacity = capacity.max(1);
        self.queues.overflow = overflow;
        self
    }

    /// Send backpressure: `Sink::poll_ready` waits while the browser's `bufferedAmount` (with
    /// [`Transport::Stream`]: the bytes of writes not yet completed) is above `high` bytes, until it falls to `low`
    /// or below (defaults 1 MiB and 256 KiB). `low` is capped at `high`. The reconnecting
    /// client queues above `high` instead of handing more to the browser.
    pub fn send_watermarks(mut self, high: u32, low: u32) -> Self {
        self.queues.high_water = high;
        self.queues.low_water = low.min(high);
        self
    }

    /// The longest interval between reads of `bufferedAmount` while a send or
    /// [`drained`](crate::connection::Handle::drained) waits for it (default 5 ms; the first re-read is in the next
    /// task, then they double from 1 ms up to this). The browser has no event for it, so polling is the only
    /// way; it runs only while a task is actually waiting. (The stream transport does not poll: its writes
    /// complete with a promise.)
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.queues.poll_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Which browser API carries the connection (default [`Transport::Classic`]); see [`Transport`].
    /// [`Transport::Stream`] where the browser has no `WebSocketStream` makes `connect` fail with
    /// [`Error::Unsupported`]; [`Transport::Auto`] falls back to the classic `WebSocket` there.
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self.stream_opener = (transport != Transport::Classic)
            .then_some(StreamOpener(crate::connection::stream_link::open));
        self
    }

    /// Gives up with [`Error::ConnectTimeout`] if the connection is not open after `timeout` (default: none,
    /// the browser's own handshake timeout applies, which can take minutes).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Opens the connection; the future resolves once it is open. See [`Connect`].
    pub fn connect(self) -> Connect {
        Connect::new(self)
    }

    /// Checks the settings that can be wrong before anything is opened.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        self.protocol_error.clone().map_or(Ok(()), Err)
    }
}

impl Connection {
    /// Settings for a connection to `url`, to adjust before [`connect`](ConnectionBuilder::connect).
    pub fn builder(url: &str) -> ConnectionBuilder {
        ConnectionBuilder::new(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_keeps_settings_sane() {
        let builder = Connection::builder("ws://localhost/")
            .protocols(&["a", "b"])
            .receive_queue(0, Overflow::DropOldest)
            .send_watermarks(100, 500)
            .poll_interval(Duration::ZERO);
        assert_eq!(builder.protocols, ["a", "b"]);
        assert_eq!(builder.queues.receive_capacity, 1);
        assert_eq!(
            (builder.queues.high_water, builder.queues.low_water),
            (100, 100)
        );
        assert_eq!(builder.queues.poll_interval, Duration::from_millis(1));
        assert!(builder.validate().is_ok());
        assert!(Connection::builder("ws://x/")
            .protocols(&["a b"])
            .validate()
            .is_err());
    }
}
