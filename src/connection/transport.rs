//! Which browser API carries a connection: the classic `WebSocket` or `WebSocketStream`.

use crate::error::Error;
use crate::message::Message;

/// Which browser API a [`Connection`](crate::Connection) uses, chosen with
/// [`ConnectionBuilder::transport`](crate::connection::ConnectionBuilder::transport) (and
/// [`ReconnectBuilder::transport`](crate::reconnect::ReconnectBuilder::transport)). The `Connection`, its
/// `Stream`, `Sink` and `Handle` are the same either way; [`Handle::transport`](crate::connection::Handle::transport)
/// tells which one a connection got.
///
/// The difference is what happens when the reader falls behind. The classic
/// [`WebSocket`](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket) delivers every message the moment it
/// arrives, so a full receive queue can only fail the connection or drop. With
/// [`WebSocketStream`](https://developer.mozilla.org/en-US/docs/Web/API/WebSocketStream) messages are read from a
/// `ReadableStream`, and with [`Overflow::Backpressure`](crate::connection::Overflow::Backpressure) a full queue
/// stops reading: the browser stops reading the TCP socket and the server's sends back up. Nothing is lost and
/// memory stays bounded.
///
/// `WebSocketStream` is in Chromium since version 124 (windows and workers); Firefox and WebKit do not have it.
/// What it cannot do the same way: sending a [`Message::Blob`](crate::Message::Blob) is refused with
/// [`Error::Unsupported`](crate::Error::Unsupported) (it takes only strings and bytes; read the Blob first);
/// received binary messages delivered as [`BinaryDelivery::Blob`](crate::connection::BinaryDelivery::Blob) are
/// wrapped in a new `Blob` by the crate; `bufferedAmount` does not exist, so
/// [`Handle::buffered_amount`](crate::connection::Handle::buffered_amount) counts the bytes of writes that have not
/// completed yet, and the send watermarks and `drained()` wait for write completions instead of polling;
/// [`Handle::as_raw`](crate::connection::Handle::as_raw) is `None`.
///
/// The default is `Classic`: apps that never name another transport link none of the `WebSocketStream` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Transport {
    /// `WebSocketStream` where the browser has it (the global scope, window or worker, has a `WebSocketStream`
    /// constructor), else the classic `WebSocket`.
    Auto,
    /// The classic `WebSocket`. The default.
    #[default]
    Classic,
    /// `WebSocketStream`; where the browser has none, `connect` fails with
    /// [`Error::Unsupported`](crate::Error::Unsupported).
    Stream,
}

impl Transport {
    /// Whether this browser (its global scope: a window or a worker) has `WebSocketStream`.
    pub fn stream_available() -> bool {
        crate::connection::stream_link::available()
    }

    /// Whether connections made with it go over `WebSocketStream` in this browser.
    pub(crate) fn is_stream_here(self) -> bool {
        match self {
            Self::Classic => false,
            Self::Stream => true,
            Self::Auto => Self::stream_available(),
        }
    }

    /// [`Error::Unsupported`](crate::Error::Unsupported) if no connection made with it here could send `message`
    /// (a Blob over `WebSocketStream`): for what is refused before it is queued or a connection is opened.
    pub(crate) fn refusal(self, message: &Message) -> Option<Error> {
        (matches!(message, Message::Blob(_)) && self.is_stream_here())
            .then(super::stream_link::blob_over_stream)
    }
}
