//! The JavaScript/TypeScript API of the npm package, behind the `js` feature.
//!
//! Everything `#[wasm_bindgen]`-exported lives here. A `#[wasm_bindgen]` export in a dependency always ends up
//! in the final Wasm binary, so Rust users who do not enable `js` carry none of it.
//!
//! Build the package with `wasm-pack build --release --target web -- --features js` (or `--target bundler`).
//! It exports:
//!
//! - [`WebSocketClient`]: `await WebSocketClient.connect(url, options)` resolves once open (or rejects with
//!   the close event as a `ConnectionClosedError`), `send` for `string | ArrayBuffer | ArrayBufferView | Blob`,
//!   `close(code, reason)` returning the promise of the close event, the DOM's getters, `open`/`message`/
//!   `error`/`close` events through `addEventListener` or `on<type>`, and `for await (const data of client)`.
//! - [`ReconnectingWebSocketClient`]: the [reconnecting client](crate::reconnect) with its options, `send`
//!   returning `"sent"` or `"queued"`, state-change events and `takeUnsent()`.
//! - [`JsonRpcClient`]: JSON-RPC 2.0 over one connection, `request(method, params, { timeout, signal })`
//!   resolving with the result, `notify`, `notification` and `unexpected` events, `reply`/`replyError` to the
//!   server's requests (a `notification` with an `id`); and `sendJson(value)` on both
//!   clients, in the browser's own JSON (the request engine is the Rust `RpcClient`'s).
//! - [`MessageIterator`], what `for await` uses.
//! - `drawBlob` and `canvasToBlob` ([`draw_blob`], [`canvas_to_blob`]): the [canvas](crate::canvas) helpers.
//! - `isError(error, name)` ([`is_error`]): a TypeScript type guard for the errors below.
//!
//! Errors are real JS `Error` objects whose `name` tells what happened, with the details as properties, each an
//! instance of the exported class of that name (a subclass of `Error`, so `instanceof` works):
//!
//! | `name` | when | properties |
//! |---|---|---|
//! | `InvalidUrlError` | the URL was refused | `url` |
//! | `InvalidProtocolError` | a subprotocol is not a valid token, or repeated | `protocol` |
//! | `SecurityError` | the browser refused to connect (blocked port, mixed content) | |
//! | `InvalidCloseCodeError` | a close code other than 1000 or 3000..=4999 | `code` (as given) |
//! | `CloseReasonTooLongError` | a close reason over 123 UTF-8 bytes | `byteLength` |
//! | `NotOpenError` | `send` while not open | `readyState` (and `data` from the reconnecting client) |
//! | `ConnectionClosedError` | the connection closed before it opened, or uncleanly while iterating | `code`, `reason`, `wasClean` |
//! | `ReceiveOverflowError` | an iterator's queue was full with `overflow: "fail"` | `capacity` |
//! | `ConnectTimeoutError` | the connection did not open in time | `timeout` (ms) |
//! | `ImageTooLargeError` | image data over `maxBytes` | `bytes`, `limit` |
//! | `ImageTooManyPixelsError` | an image over `maxPixels` | `width`, `height`, `limit` |
//! | `ImageDecodeError` | data that is not a decodable image | |
//! | `ImageEncodeError` | a canvas the browser cannot encode | |
//! | `QueueFullError` | the reconnecting client's send queue is full | `maxMessages`, `maxBytes`, `data` |
//! | `HeartbeatTimeoutError` | no answer to a heartbeat ping (in a `disconnected` event) | |
//! | `GaveUpError` | the reconnecting client gave up (from its iterator) | |
//! | `EncodeError` | params that JSON cannot hold | |
//! | `DecodeError` | a received message that is not JSON-RPC (in an `unexpected` event) | `data` (the message; `null` for a Blob) |
//! | `RequestTimeoutError` | no reply to a request in time | `id`, `timeout` (ms) |
//! | `TooManyRequestsError` | `maxPending` requests already await a reply; not sent | `limit` |
//! | `UnknownReplyError` | a reply no request awaits (in an `unexpected` event) | `id` (or `null`), `data` (the reply's text) |
//! | `RpcError` | the server answered with a JSON-RPC error | `code`, `data` |
//!
//! Arguments of the wrong type are a `TypeError`, numbers out of range a `RangeError` (durations are
//! milliseconds from 0 to 2147483647, `setTimeout`'s limit; time limits, such as `connectTimeout`, `timeout` and
//! the heartbeat's, more than 0); any other exception the browser throws keeps its own name. No argument can
//! make the Wasm module panic or trap.

mod args;
mod canvas;
pub(crate) mod cause;
mod client;
mod error;
mod events;
mod iterator;
mod reconnecting;
mod rpc;

pub use canvas::{canvas_to_blob, draw_blob};
pub use client::WebSocketClient;
pub use iterator::MessageIterator;
pub use reconnecting::ReconnectingWebSocketClient;
pub use rpc::JsonRpcClient;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

/// The `readyState` constants of the DOM's `WebSocket`, static and on instances, and `dispatchEvent`, for a
/// client class: one getter pair per constant.
macro_rules! ready_state_constants {
    ($class:ident, $js:literal) => {
        ready_state_constants!($class, $js, [
            (CONNECTING, connecting_constant, connecting_state, Connecting, "0"),
            (OPEN, open_constant, open_state, Open, "1"),
            (CLOSING, closing_constant, closing_state, Closing, "2"),
            (CLOSED, closed_constant, closed_state, Closed, "3"),
        ]);
    };
    ($class:ident, $js:literal, [$(($name:ident, $constant:ident, $on_instance:ident, $state:ident, $value:literal),)*]) => {
        #[wasm_bindgen(js_class = $js)]
        impl $class {
            $(
                #[doc = concat!("`", $value, "`, as `WebSocket.", stringify!($name), "`.")]
                #[wasm_bindgen(getter = $name, unchecked_return_type = $value)]
                pub fn $constant() -> u16 {
                    crate::state::ReadyState::$state.to_dom()
                }

                #[doc = concat!("`", $value, "`, as `webSocket.", stringify!($name), "`.")]
                #[wasm_bindgen(getter = $name, unchecked_return_type = $value)]
                pub fn $on_instance(&self) -> u16 {
                    Self::$constant()
                }
            )*

            /// Dispatches `event` to the client's listeners, as `EventTarget.dispatchEvent` does (with the client
            /// as `event.target`): `false` if a listener called `preventDefault()` on a cancelable event.
            #[wasm_bindgen(js_name = dispatchEvent)]
            pub fn dispatch_event(
                &self,
                #[wasm_bindgen(unchecked_param_type = "Event")] event: JsValue,
            ) -> Result<bool, JsValue> {
                self.events().dispatch_from_js(&event)
            }
        }
    };
}

ready_state_constants!(WebSocketClient, "WebSocketClient");
ready_state_constants!(ReconnectingWebSocketClient, "ReconnectingWebSocketClient");

/// Whether `error` is an `Error` called `name`: `isError(e, "QueueFullError")`. In TypeScript it narrows `e`
/// to that error's interface, with its properties.
#[wasm_bindgen(js_name = isError, skip_typescript)]
pub fn is_error(error: &JsValue, name: &JsValue) -> bool {
    match (error.dyn_ref::<js_sys::Error>(), name.as_string()) {
        (Some(error), Some(name)) => error.name() == name,
        _ => false,
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A received message's data: text as a `string`, binary as an `ArrayBuffer` or, with `binaryType: "blob"`, a `Blob`. */
export type MessageData = string | ArrayBuffer | Blob;

/** What `send` takes: a string is sent as text, the others as binary. */
export type SendData = string | ArrayBuffer | ArrayBufferView | Blob;

/** How binary messages arrive. */
export type BinaryType = "arraybuffer" | "blob";

/** `WebSocket.CONNECTING` (0), `OPEN` (1), `CLOSING` (2) or `CLOSED` (3). */
export type ReadyState = 0 | 1 | 2 | 3;

/** What `ReconnectingWebSocketClient.send` did: handed the message to the open connection, or queued it to send in order once one is open. */
export type SendResult = "sent" | "queued";

/** Where a `ReconnectingWebSocketClient` is; `idle` (made with `startClosed`) until `reconnect()`; `gaveup` and `closed` are final. */
export type ReconnectState = "idle" | "connecting" | "open" | "disconnected" | "waiting" | "gaveup" | "closed";

/** Options of `new WebSocketClient(url, options)`. */
export interface WebSocketClientOptions {
  /** Subprotocols to offer; the server selects at most one (see `protocol`). Each must be a valid token. */
  protocols?: string | readonly string[];
  /** How binary messages arrive (default `"blob"`, as in every browser). */
  binaryType?: BinaryType;
}

/** Options of `WebSocketClient.connect(url, options)`. */
export interface ConnectOptions extends WebSocketClientOptions {
  /** Milliseconds to wait for the connection to open before rejecting with a `ConnectTimeoutError` (default: no limit but the browser's). */
  connectTimeout?: number;
}

/** Options of `messages(options)`. */
export interface MessagesOptions {
  /** How many messages may wait to be taken (default 4096, at least 1). */
  capacity?: number;
  /** When the queue is full: end the iterator with a `ReceiveOverflowError` after the queued messages (`"fail"`, the default), or drop the oldest message (`"drop-oldest"`, counted in `dropped`). */
  overflow?: "fail" | "drop-oldest";
}

/** Exponential backoff with jitter: after `n` failed attempts the client waits `min(maxDelay, initialDelay * factor^(n-1))`, shortened by a random fraction of at most `jitter`. */
export interface BackoffOptions {
  /** Milliseconds (default 500). */
  initialDelay?: number;
  /** Milliseconds (default 30000). */
  maxDelay?: number;
  /** At least 1 (default 2). */
  factor?: number;
  /** From 0 to 1 (default 0.5). */
  jitter?: number;
}

/** A periodic ping that detects a dead peer: every `interval` ms while open, `ping` is sent; if no message at all arrives within `timeout` ms after it, the connection is dropped and reconnected. */
export interface HeartbeatOptions {
  /** Milliseconds between pings. */
  interval: number;
  /** Milliseconds to wait for any message after a ping. */
  timeout: number;
  /** The ping (default `"ping"`). */
  ping?: SendData;
  /** Recognises the answer, which is then kept out of the messages. */
  isPong?: (data: MessageData) => boolean;
}

/** Options of `new ReconnectingWebSocketClient(url, options)`. */
export interface ReconnectOptions extends Omit<WebSocketClientOptions, "protocols"> {
  /** Subprotocols to offer on every attempt (`null` for none), or a function called before each attempt (after the URL provider) that returns them or a promise of them, e.g. to carry a fresh token (partysocket's `ProtocolsProvider`). A throw, a rejection or an invalid subprotocol counts as a failed attempt. */
  protocols?: string | readonly string[] | null | (() => string | readonly string[] | null | undefined | PromiseLike<string | readonly string[] | null | undefined>);
  /** Do not connect until `reconnect()` is called (default `false`); `send` queues meanwhile, and `readyState` is `3`. */
  startClosed?: boolean;
  backoff?: BackoffOptions;
  /** Give up after this many consecutive failed attempts (one that does not open, or closes within `minUptime`; a connection failed for a receive-queue overflow is none); `null` or `Infinity` (the default) never gives up. */
  maxAttempts?: number | null;
  /** Milliseconds a connection must stay open before the attempt count resets (default 5000). */
  minUptime?: number;
  /** Milliseconds one attempt may take to open (default 10000). */
  connectTimeout?: number;
  /** The most messages queued while not open or while the browser's buffer is above `sendWatermarks.high` (default 1000); more throws `QueueFullError`. */
  maxQueuedMessages?: number;
  /** The most bytes queued while not open (default 1048576); one larger message is still taken by an empty queue. */
  maxQueuedBytes?: number;
  /** The client's queue of received messages, as in Rust's `ReconnectBuilder::receive_queue` (default capacity 4096, `overflow: "fail"`). This client takes each message off it as it arrives, to dispatch it and feed the iterators (which have queues of their own: `messages(options)`), so it only fills when a burst arrives faster than the page's event loop runs; `"fail"` then closes that connection with code 4429 (the server can tell) and reconnects, `"drop-oldest"` drops. */
  receiveQueue?: MessagesOptions;
  /** Send backpressure in bytes of `bufferedAmount` (default `high` 1048576, `low` 262144): above `high`, `send` queues (bounded by `maxQueuedMessages`/`maxQueuedBytes`) instead of handing more to the browser, and the queue goes out as the buffer falls to `low`. */
  sendWatermarks?: { high?: number; low?: number };
  heartbeat?: HeartbeatOptions;
  /** Called before every attempt with the `url` argument; returns the URL to use (e.g. with a fresh token), or a promise of it. A throw or rejection counts as a failed attempt. */
  urlProvider?: (url: string) => string | URL | PromiseLike<string | URL>;
  /** Decides, from a close the client did not ask for, whether to reconnect. The default retries after 1001, 1005, 1006, 1011, 1012, 1013 and 1014 only. */
  shouldReconnect?: (close: CloseEvent) => boolean;
  /** Retry at once, cutting a wait short, when the browser goes back online or the page becomes visible (default `true`). */
  retryOnOnline?: boolean;
  acknowledgements?: AcknowledgementOptions;
  /** partysocket's and reconnecting-websocket's name for `maxAttempts`, counted as they count: retries after the first attempt (`maxRetries: n` is `maxAttempts: n + 1`); `Infinity` never gives up. Give one of the two. */
  maxRetries?: number;
  /** partysocket's name for `backoff.initialDelay` (ms). */
  minReconnectionDelay?: number;
  /** partysocket's name for `backoff.maxDelay` (ms). */
  maxReconnectionDelay?: number;
  /** partysocket's name for `backoff.factor`. */
  reconnectionDelayGrowFactor?: number;
  /** partysocket's name for `connectTimeout` (ms). */
  connectionTimeout?: number;
  /** partysocket's name for `maxQueuedMessages`; a full queue still throws `QueueFullError` rather than dropping. */
  maxEnqueuedMessages?: number;
  /** Log every state change with `console.debug` (default `false`). */
  debug?: boolean;
}

/** Acknowledged, at-least-once delivery: each message sent gets an id (1, 2, 3, ...) and is kept, counting against the queue limits, until the server acknowledges it; after a reconnect, unacknowledged messages are sent again, in order, before anything newer. The server must tolerate duplicates. */
export interface AcknowledgementOptions {
  /** Makes what is sent from the id and the data given to `send` (as a string, `ArrayBuffer` or `Blob`), e.g. `JSON.stringify({ id, data })`. If it throws, or returns something `send` does not take, `send` throws an error of the same name and message (with the message as `data`), and the id goes to the next message. It may read the client; a `send` from inside it throws `InvalidStateError`. */
  tag: (id: number, data: MessageData) => SendData;
  /** The id a received message acknowledges, or `null`/`undefined` if it is not an acknowledgement. Acknowledgements are delivered as messages too. */
  acknowledges: (data: MessageData) => number | null | undefined;
}

/** Options of `drawBlob`. */
export interface DrawOptions {
  /** How the image is placed on the cleared canvas (default `"contain"`). */
  fit?: "contain" | "natural" | "stretch" | "resize-canvas";
  /** The most bytes of encoded data accepted (default 16 MiB). */
  maxBytes?: number;
  /** The most pixels (width × height) accepted (default 16777216). */
  maxPixels?: number;
  /** Which browser facility decodes (default `"auto"`). */
  decoder?: "auto" | "image-bitmap" | "image-element";
}

/** An image's size in pixels. */
export interface ImageSize {
  width: number;
  height: number;
}

/** The events of a `WebSocketClient`. */
export interface WebSocketClientEventMap {
  open: Event;
  message: MessageEvent<MessageData>;
  error: Event;
  close: CloseEvent;
}

/** The events of a `ReconnectingWebSocketClient`. */
export interface ReconnectingWebSocketClientEventMap {
  connecting: CustomEvent<{ attempt: number }>;
  open: Event;
  message: MessageEvent<MessageData>;
  disconnected: CustomEvent<{ error: ConnectionClosedError | ConnectTimeoutError | HeartbeatTimeoutError | Error }>;
  waiting: CustomEvent<{ delay: number }>;
  gaveup: Event;
  closed: Event;
}

export interface WebSocketClient {
  addEventListener<K extends keyof WebSocketClientEventMap>(type: K, listener: (event: WebSocketClientEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof WebSocketClientEventMap>(type: K, listener: (event: WebSocketClientEventMap[K]) => void, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

export interface ReconnectingWebSocketClient {
  addEventListener<K extends keyof ReconnectingWebSocketClientEventMap>(type: K, listener: (event: ReconnectingWebSocketClientEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof ReconnectingWebSocketClientEventMap>(type: K, listener: (event: ReconnectingWebSocketClientEventMap[K]) => void, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/** Options of `JsonRpcClient.connect(url, options)`. */
export interface JsonRpcOptions {
  /** Subprotocols to offer. */
  protocols?: string | readonly string[];
  /** Milliseconds to wait for the connection to open (`ConnectTimeoutError` after that). */
  connectTimeout?: number;
  /** Milliseconds a request waits for its reply by default (default 30000). */
  timeout?: number;
  /** Requests that may await a reply at once (default 256, at least 1); one more rejects with `TooManyRequestsError`, unsent. */
  maxPending?: number;
  /** Notifications and reports waiting to be dispatched (default 1024, at least 1); when full the oldest is dropped (`droppedNotifications`), and a request of the server's dropped so is answered with error -32603. */
  notificationQueue?: number;
}

/** Options of `JsonRpcClient.request(method, params, options)`. */
export interface RequestOptions {
  /** Milliseconds to wait for the reply (default: the client's `timeout`). */
  timeout?: number;
  /** Aborting it rejects the request with `signal.reason` and forgets it. */
  signal?: AbortSignal;
}

/** The events of a `JsonRpcClient`. */
export interface JsonRpcClientEventMap {
  /** `id` is there when the server sent a request: answer it with `reply` or `replyError`. */
  notification: CustomEvent<{ method: string; params: unknown; id?: string | number | null }>;
  unexpected: CustomEvent<{ error: UnknownReplyError | DecodeError | Error }>;
}

export interface JsonRpcClient {
  addEventListener<K extends keyof JsonRpcClientEventMap>(type: K, listener: (event: JsonRpcClientEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof JsonRpcClientEventMap>(type: K, listener: (event: JsonRpcClientEventMap[K]) => void, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/** The URL was refused before any connection was made. */
export class InvalidUrlError extends Error { name: "InvalidUrlError"; url: string }
/** A subprotocol is not a valid token, or was given twice. */
export class InvalidProtocolError extends Error { name: "InvalidProtocolError"; protocol: string }
/** The browser refused to connect for security reasons (a blocked port, mixed content). */
export class SecurityError extends Error { name: "SecurityError" }
/** A close code other than 1000 or 3000..=4999; `code` is the value given. */
export class InvalidCloseCodeError extends Error { name: "InvalidCloseCodeError"; code: number }
/** A close reason longer than 123 bytes in UTF-8. */
export class CloseReasonTooLongError extends Error { name: "CloseReasonTooLongError"; byteLength: number }
/** Nothing was sent: the connection is not open. From the reconnecting client, `data` is the message. */
export class NotOpenError extends Error { name: "NotOpenError"; readyState: ReadyState; data?: SendData }
/** The connection closed (before it opened, or uncleanly while iterating). */
export class ConnectionClosedError extends Error { name: "ConnectionClosedError"; code: number; reason: string; wasClean: boolean }
/** An iterator's queue was full with `overflow: "fail"`. */
export class ReceiveOverflowError extends Error { name: "ReceiveOverflowError"; capacity: number }
/** The connection did not open within `timeout` milliseconds. */
export class ConnectTimeoutError extends Error { name: "ConnectTimeoutError"; timeout: number }
/** Image data larger than `limit` bytes. */
export class ImageTooLargeError extends Error { name: "ImageTooLargeError"; bytes: number; limit: number }
/** An image with more than `limit` pixels. */
export class ImageTooManyPixelsError extends Error { name: "ImageTooManyPixelsError"; width: number; height: number; limit: number }
/** The data is not a decodable image. */
export class ImageDecodeError extends Error { name: "ImageDecodeError" }
/** The browser could not encode the canvas. */
export class ImageEncodeError extends Error { name: "ImageEncodeError" }
/** The reconnecting client's send queue is full; `data` is the message, not sent. */
export class QueueFullError extends Error { name: "QueueFullError"; maxMessages: number; maxBytes: number; data: SendData }
/** No message arrived within the heartbeat timeout after a ping. */
export class HeartbeatTimeoutError extends Error { name: "HeartbeatTimeoutError" }
/** The reconnecting client gave up. */
export class GaveUpError extends Error { name: "GaveUpError" }

/** Params that JSON cannot hold. */
export class EncodeError extends Error { name: "EncodeError" }
/** A received message that is not JSON-RPC; `data` is the message (`null` for a Blob). */
export class DecodeError extends Error { name: "DecodeError"; data: string | ArrayBuffer | null }
/** No reply to request `id` within `timeout` milliseconds; a reply that comes later is an `UnknownReplyError`. */
export class RequestTimeoutError extends Error { name: "RequestTimeoutError"; id: number; timeout: number }
/** `limit` requests already await a reply; this one was not sent. */
export class TooManyRequestsError extends Error { name: "TooManyRequestsError"; limit: number }
/** A reply that no request awaits (late, duplicate, or with no usable id); `data` is its text. */
export class UnknownReplyError extends Error { name: "UnknownReplyError"; id: number | null; data: string }
/** The server's JSON-RPC error object: `message` is its message, `data` its data if any. */
export class RpcError extends Error { name: "RpcError"; code: number; data?: unknown }

/** Every error this package defines, by name. */
export interface ErrorMap {
  InvalidUrlError: InvalidUrlError;
  InvalidProtocolError: InvalidProtocolError;
  SecurityError: SecurityError;
  InvalidCloseCodeError: InvalidCloseCodeError;
  CloseReasonTooLongError: CloseReasonTooLongError;
  NotOpenError: NotOpenError;
  ConnectionClosedError: ConnectionClosedError;
  ReceiveOverflowError: ReceiveOverflowError;
  ConnectTimeoutError: ConnectTimeoutError;
  ImageTooLargeError: ImageTooLargeError;
  ImageTooManyPixelsError: ImageTooManyPixelsError;
  ImageDecodeError: ImageDecodeError;
  ImageEncodeError: ImageEncodeError;
  QueueFullError: QueueFullError;
  HeartbeatTimeoutError: HeartbeatTimeoutError;
  GaveUpError: GaveUpError;
  EncodeError: EncodeError;
  DecodeError: DecodeError;
  RequestTimeoutError: RequestTimeoutError;
  TooManyRequestsError: TooManyRequestsError;
  UnknownReplyError: UnknownReplyError;
  RpcError: RpcError;
}

/** The name of an error this package defines. */
export type ErrorName = keyof ErrorMap;

/** Any error this package defines. */
export type BrowserWsError = ErrorMap[ErrorName];

/** Whether `error` is an `Error` called `name`; narrows it to that error's type. */
export function isError<N extends ErrorName>(error: unknown, name: N): error is ErrorMap[N];
"#;
