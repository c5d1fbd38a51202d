//! The crate's one error type.
//!
//! Errors copy the browser's `name` and `message` into `String`s at once, so no `JsValue` is kept inside and the
//! type is `Clone + PartialEq`: tests can assert whole errors.

use std::fmt;

use wasm_bindgen::{JsCast, JsValue};

use crate::close::CloseEvent;
use crate::quoted::Quoted;
use crate::state::ReadyState;

/// Everything that can go wrong in this crate.
///
/// Every variant says when it happens and what to do about it. New variants may be added in minor releases.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The URL was refused before any connection was made: not parseable, a scheme other than `ws`, `wss`,
    /// `http` or `https`, or a fragment (`#...`). `message` is the browser's (or this crate's) explanation.
    ///
    /// Fix the URL; retrying the same one fails the same way.
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        message: String,
    },
    /// A requested subprotocol is not a valid HTTP token (empty, or contains a space, separator or non-ASCII
    /// character), or was requested twice.
    ///
    /// Fix the list of subprotocols.
    InvalidProtocol {
        /// The offending subprotocol.
        protocol: String,
        /// Why it was refused.
        message: String,
    },
    /// The browser refused to connect for security reasons, e.g. a blocked port or mixed content
    /// (`ws://` from an `https://` page). `message` is the browser's.
    Security {
        /// The browser's explanation.
        message: String,
    },
    /// A close code that a client may not send: only 1000 and 3000..=4999 are allowed by the
    /// [WebSocket standard](https://websockets.spec.whatwg.org/#dom-websocket-close).
    ///
    /// Use [`ClientCloseCode::NORMAL`](crate::ClientCloseCode::NORMAL) or an application code in 3000..=4999.
    InvalidCloseCode(u16),
    /// A close reason longer than 123 bytes once encoded as UTF-8, the most a close frame can carry.
    ///
    /// Shorten the reason; `len` is its length in bytes.
    CloseReasonTooLong {
        /// The reason's length in UTF-8 bytes.
        len: usize,
    },
    /// The socket is not open, so nothing was sent. The browser would throw while connecting and silently discard
    /// after closing; this crate reports both. `state` is the socket's state at the time.
    ///
    /// Wait for the open event (or use the async API, which waits for you), or reconnect.
    NotOpen(ReadyState),
    /// The connection closed. Carries the close event, with the code, the reason and whether the closing
    /// handshake completed. The browser's `error` event carries no information by design; it is folded into the
    /// close event that follows it (usually code 1006, `was_clean == false`).
    Closed(CloseEvent),
    /// The receive queue was full ([`Overflow::Fail`](crate::connection::Overflow::Fail)): the stream yielded the
    /// queued messages, then this, and the connection was closed.
    ///
    /// Take messages faster, raise the capacity, or choose
    /// [`Overflow::DropOldest`](crate::connection::Overflow::DropOldest).
    ReceiveOverflow {
        /// The queue's capacity, in messages.
        capacity: usize,
    },
    /// The connection did not open within the connect timeout; the attempt was abandoned.
    ///
    /// The server may be down or overloaded: retry later, or use the reconnecting client.
    ConnectTimeout {
        /// The timeout that elapsed.
        after: std::time::Duration,
    },
    /// Image data larger than the limit given in [`DrawOptions::max_bytes`](crate::canvas::DrawOptions), refused
    /// before it was read; the canvas is untouched.
    ///
    /// Raise the limit if the image is legitimate, or have the sender shrink it.
    ImageTooLarge {
        /// The data's size in bytes.
        bytes: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// An image with more pixels than [`DrawOptions::max_pixels`](crate::canvas::DrawOptions) allows, refused
    /// from its header before decoding where the format allows (PNG, GIF, BMP, WebP, JPEG), right after decoding
    /// otherwise; the canvas is untouched.
    ///
    /// Raise the limit if the image is legitimate; a small file declaring a huge size is a decompression bomb.
    ImageTooManyPixels {
        /// The image's width in pixels.
        width: u32,
        /// The image's height in pixels.
        height: u32,
        /// The limit, in pixels (width × height).
        limit: u64,
    },
    /// The data is not a decodable image: corrupt or cut short, a format the browser cannot read, or a MIME type
    /// that is not an image type. The canvas is untouched.
    ///
    /// Retrying the same data fails the same way; check what the sender sends.
    ImageDecode {
        /// What went wrong, in the browser's words where it gave any.
        message: String,
    },
    /// The browser produced no image from a canvas: it has no area (width or height 0) or is too large to encode.
    ///
    /// Give the canvas a size the browser can encode.
    ImageEncode {
        /// What went wrong.
        message: String,
    },
    /// The reconnecting client's send queue is full (`messages` messages or `bytes` bytes).
    ///
    /// Wait for the connection (the client's `Sink` does), or raise the limits.
    QueueFull {
        /// The queue's limit in messages.
        messages: usize,
        /// The queue's limit in bytes.
        bytes: usize,
    },
    /// No message arrived within the heartbeat timeout after a ping: the connection was taken as dead.
    HeartbeatTimeout,
    /// The reconnecting client gave up: too many failed attempts, or a close it was told not to retry.
    ///
    /// Its unsent messages can be taken back with `take_unsent`.
    GaveUp,
    /// A value could not be encoded by a [codec](crate::typed::Codec): e.g. a map whose keys are not strings, for
    /// JSON. Nothing was sent. (Features `typed` and `js`.)
    ///
    /// Change the type or its `Serialize` implementation; retrying the same value fails the same way.
    #[cfg(any(feature = "typed", feature = "js"))]
    Encode {
        /// The codec's explanation.
        message: String,
    },
    /// A received message could not be decoded into the expected type: not valid JSON, or JSON of another shape.
    /// The message itself is carried in `raw` (a Blob by its size only), and a typed stream goes on with the next
    /// message. (Features `typed` and `js`.)
    ///
    /// Log or handle `raw` (the peer sent something this version does not understand), or widen the type.
    #[cfg(any(feature = "typed", feature = "js"))]
    Decode {
        /// The message as received (from `RpcClient::call`, the reply's
        /// `result` written back as JSON).
        raw: crate::undecoded::Undecoded,
        /// The codec's explanation.
        message: String,
    },
    /// No reply to request `id` arrived within `after`; the request was forgotten, so a late reply is reported as
    /// [`Error::UnknownReply`]. (Features `typed` and `js`.)
    ///
    /// Retry if the request is idempotent, or give the method a longer timeout.
    #[cfg(any(feature = "typed", feature = "js"))]
    RequestTimeout {
        /// The request's id.
        id: u64,
        /// The timeout that elapsed.
        after: std::time::Duration,
    },
    /// `limit` requests already await their replies, the most [`RpcBuilder::max_pending`](crate::typed::RpcBuilder::max_pending)
    /// allows; this one was not sent. (Features `typed` and `js`.)
    ///
    /// Wait for some replies (or timeouts) first, or raise the limit.
    #[cfg(any(feature = "typed", feature = "js"))]
    TooManyRequests {
        /// The most requests that may await a reply at once.
        limit: usize,
    },
    /// A reply whose id matches no request awaiting one: a reply that came after its request timed out or was
    /// dropped, a duplicate, or a reply with no usable id (`null`, a string). Reported in the notification
    /// stream, with the message as received. (Features `typed` and `js`.)
    ///
    /// Usually harmless (a late reply); many of them point at a server that mixes up ids.
    #[cfg(any(feature = "typed", feature = "js"))]
    UnknownReply {
        /// The reply's id, if it was an unsigned integer.
        id: Option<u64>,
        /// The reply as received.
        raw: String,
    },
    /// The server answered a request with a JSON-RPC error object. (Features `typed` and `js`.)
    ///
    /// `code` says what kind: -32601 method not found, -32602 invalid params, -32700 parse error, ...; others
    /// are the application's.
    #[cfg(any(feature = "typed", feature = "js"))]
    Rpc {
        /// The error's code.
        code: i64,
        /// The error's message.
        message: String,
        /// The error's `data` member as JSON text, if it had one.
        data: Option<String>,
    },
    /// This browser lacks what was asked for: [`Transport::Stream`](crate::connection::Transport::Stream) where
    /// the global scope has no `WebSocketStream` (Firefox, WebKit), or an operation the stream transport does
    /// not have (sending a `Blob`). Nothing was opened or sent.
    ///
    /// Use [`Transport::Auto`](crate::connection::Transport::Auto), which falls back to the classic `WebSocket`,
    /// or read the Blob into bytes first.
    Unsupported {
        /// What is missing, e.g. `WebSocketStream`.
        feature: String,
    },
    /// Any other exception the browser threw, with its `name` and `message` copied.
    Browser {
        /// The exception's name, e.g. `InvalidStateError`.
        name: String,
        /// The exception's message.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl { url, message } => {
                write!(f, "invalid WebSocket URL {}: {message}", Quoted(url))
            }
            Self::InvalidProtocol { protocol, message } => {
                write!(f, "invalid subprotocol {}: {message}", Quoted(protocol))
            }
            Self::Security { message } => write!(f, "connection refused by the browser: {message}"),
            Self::InvalidCloseCode(code) => write!(
                f,
                "close code {code} cannot be sent by a client (allowed: 1000 and 3000..=4999)"
            ),
            Self::CloseReasonTooLong { len } => write!(
                f,
                "close reason is {len} bytes long in UTF-8; at most 123 are allowed"
            ),
            Self::NotOpen(state) => write!(f, "the WebSocket is not open (state: {state})"),
            Self::Closed(event) => write!(f, "the WebSocket closed: {event}"),
            Self::ReceiveOverflow { capacity } => write!(
                f,
                "the receive queue is full ({capacity} messages not taken); the connection was closed"
            ),
            Self::ConnectTimeout { after } => {
                write!(f, "the connection did not open within {} ms", millis(*after))
            }
            Self::ImageTooLarge { bytes, limit } => write!(
                f,
                "the image data is {bytes} bytes long; at most {limit} are allowed"
            ),
            Self::ImageTooManyPixels {
                width,
                height,
                limit,
            } => write!(
                f,
                "the image is {width}×{height} pixels; at most {limit} pixels are allowed"
            ),
            Self::ImageDecode { message } => write!(f, "not a decodable image: {message}"),
            Self::ImageEncode { message } => write!(f, "the canvas could not be encoded: {message}"),
            Self::QueueFull { messages, bytes } => write!(
                f,
                "the send queue is full (at most {messages} messages or {bytes} bytes)"
            ),
            Self::HeartbeatTimeout => f.write_str("no answer to the heartbeat ping: the connection was dropped"),
            Self::GaveUp => f.write_str("the reconnecting client gave up"),
            #[cfg(any(feature = "typed", feature = "js"))]
            Self::Encode { message } => write!(f, "the value could not be encoded: {message}"),
            #[cfg(any(feature = "typed", feature = "js"))]
            Self::Decode { raw, message } => {
                write!(f, "a received message ({raw}) could not be decoded: {message}")
            }
            #[cfg(any(feature = "typed", feature = "js"))]
            Self::RequestTimeout { id, after } => write!(
                f,
                "no reply to request {id} within {} ms",
                millis(*after)
            ),
            #[cfg(any(feature = "typed", feature = "js"))]
            Self::TooManyRequests { limit } => write!(
                f,
                "{limit} requests already await a reply, the most allowed; this one was not sent"
            ),
            #[cfg(any(feature = "typed", feature = "js"))]
            Self::UnknownReply { id: Some(id), .. } => {
                write!(f, "a reply to request {id}, which nothing awaits")
            }
            #[cfg(any(feature = "typed", feature = "js"))]
            Self::UnknownReply { id: None, raw } => {
                write!(f, "a reply with no usable id: {}", Quoted(raw))
            }
            #[cfg(any(feature = "typed", feature = "js"))]
            Self::Rpc { code, message, .. } => {
                write!(f, "the server answered error {code}: {}", Quoted(message))
            }
            Self::Unsupported { feature } => write!(f, "not supported by this browser: {feature}"),
            Self::Browser { name, message } => write!(f, "{name}: {message}"),
        }
    }
}

impl std::error::Error for Error {}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// JavaScript's `String(value)`, which throws for some values (a null-prototype object, a `toString` that
    /// throws), hence `catch`.
    #[wasm_bindgen(catch, js_name = String)]
    fn js_string_or_throw(value: &JsValue) -> Result<String, JsValue>;
}

/// A readable form of any JS value, without pulling wasm-bindgen's debug formatter into every app: `String(value)`.
/// Only an object can make that throw (its `toString` throws, or it has none, like `Object.create(null)`), so
/// the fallback names no kind: `typeof` could only say "object" or "function", and would link one more import.
pub(crate) fn js_string(value: &JsValue) -> String {
    if let Some(text) = value.as_string() {
        return text;
    }
    js_string_or_throw(value).unwrap_or_else(|_| "an object with no string form".to_owned())
}

/// Whole milliseconds as a `u64`: a `u128` (what `as_millis` gives) would link its own formatting code.
fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The `name` and `message` of a thrown JS value, whatever it is. (With the `js` feature, the value is
/// remembered as the `cause` of the error made from them: see `js::cause`.)
///
/// Any object's `name` and `message` are read, so an `Error` or `DOMException` of another realm (an iframe's)
/// keeps its name too; the reads are caught, so a throwing getter or a `Proxy` cannot break out. A thrown string
/// is the message. Other values (a number, a symbol) leave the message empty: converting them would take
/// `String(value)`, one more import in every app, for what the browser's own methods never throw. (The JS API
/// keeps the value itself as the error's `cause`.)
pub(crate) fn exception_parts(value: &JsValue) -> (String, String) {
    let (name, message) = if value.is_object() {
        let thrown = value.unchecked_ref::<Thrown>();
        let text = |read: Result<JsValue, JsValue>| read.ok().and_then(|text| text.as_string());
        (
            text(thrown.name()).unwrap_or_else(|| "Error".to_owned()),
            text(thrown.message()).unwrap_or_default(),
        )
    } else {
        ("Error".to_owned(), value.as_string().unwrap_or_default())
    };
    #[cfg(feature = "js")]
    crate::js::cause::remember(&name, &message, value);
    (name, message)
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// Any thrown object, read for its `name` and `message` properties.
    type Thrown;

    #[wasm_bindgen(method, getter, catch)]
    fn name(this: &Thrown) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, getter, catch)]
    fn message(this: &Thrown) -> Result<JsValue, JsValue>;
}

impl Error {
    /// Wraps an exception the browser threw, with no more specific meaning known.
    pub(crate) fn from_exception(value: &JsValue) -> Self {
        let (name, message) = exception_parts(value);
        Self::Browser { name, message }
    }
}
