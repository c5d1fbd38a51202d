//! The callback-level WebSocket: a typed, leak-free wrapper over the browser's `WebSocket`.

use std::cell::RefCell;
use std::rc::Weak;

use js_sys::{Array, ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, Event};

use crate::close::{validate_close_reason, ClientCloseCode, CloseEvent};
use crate::error::{exception_parts, Error};
use crate::listener::{EventListener, Registration};
use crate::message::Message;
use crate::protocol::validate_protocols;
use crate::state::{BinaryType, ReadyState};

/// A browser WebSocket with typed methods and owned event listeners.
///
/// Events are delivered to callbacks registered with [`on_open`](Self::on_open),
/// [`on_message`](Self::on_message), [`on_error`](Self::on_error) and [`on_close`](Self::on_close); each returns
/// an [`EventListener`] that must be kept alive. Only the browser's own events are delivered, never ones a script
/// dispatched. Dropping the socket detaches every listener it handed out, then closes the connection with code
/// 1000 (best effort; no events are delivered after that).
///
/// Binary messages arrive as [`Message::Blob`] unless [`set_binary_type`](Self::set_binary_type) chose
/// [`BinaryType::ArrayBuffer`], as in the DOM. For `connect().await` and `Stream`/`Sink`, see the async API.
///
/// `!Send`: it belongs to the thread (page or worker) that opened it.
#[derive(Debug)]
pub struct WebSocket {
    raw: OwnedSocket,
    listeners: RefCell<Vec<Weak<Registration>>>,
}

/// A browser socket with what every owner of one does: send on it, close it, and close it (with 1000) when
/// dropped if it is still connecting or open. The async connection holds one directly, so it links no walk of a
/// listener registry it never fills; [`WebSocket`] holds one beside its registry.
#[derive(Debug)]
pub(crate) struct OwnedSocket(web_sys::WebSocket);

impl WebSocket {
    /// Opens a connection to `url` (`ws://`, `wss://`, or `http(s)://`, which the browser maps to `ws(s)://`).
    ///
    /// The browser's exceptions become typed errors: [`Error::InvalidUrl`] for an unparseable URL, a bad scheme or
    /// a fragment, [`Error::Security`] for a blocked port. A connection that fails later is reported by the
    /// error and close events (code 1006).
    pub fn open(url: &str) -> Result<Self, Error> {
        Self::create::<&str>(url, &[])
    }

    /// Opens a connection offering the given subprotocols; the server picks at most one
    /// ([`protocol`](Self::protocol) tells which, once open). Each must be a valid token, without repeats
    /// ([`Error::InvalidProtocol`]).
    pub fn open_with_protocols<S: AsRef<str>>(url: &str, protocols: &[S]) -> Result<Self, Error> {
        validate_protocols(protocols)?;
        Self::create(url, protocols)
    }

    /// Opens a connection with subprotocols already checked.
    fn create<S: AsRef<str>>(url: &str, protocols: &[S]) -> Result<Self, Error> {
        OwnedSocket::create(url, protocols).map(|raw| Self {
            raw,
            listeners: RefCell::new(Vec::new()),
        })
    }

    /// Wraps a browser `WebSocket` made elsewhere. Listeners added through this wrapper are detached when it is
    /// dropped, and the connection is closed.
    pub fn from_raw(raw: web_sys::WebSocket) -> Self {
        Self {
            raw: OwnedSocket(raw),
            listeners: RefCell::new(Vec::new()),
        }
    }

    /// The web-sys object, for what this crate does not wrap.
    pub fn as_raw(&self) -> &web_sys::WebSocket {
        &self.raw.0
    }

    /// The connection's state.
    pub fn ready_state(&self) -> ReadyState {
        self.raw.state()
    }

    /// How received binary messages are delivered.
    pub fn binary_type(&self) -> BinaryType {
        BinaryType::from_dom(self.raw.binary_type())
    }

    /// Chooses how received binary messages are delivered, from the next message on.
    pub fn set_binary_type(&self, binary_type: BinaryType) {
        self.raw.set_binary_type(binary_type.to_dom());
    }

    /// Bytes queued by `send` but not yet handed to the network
    /// ([MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/bufferedAmount)), `u32::MAX` past 4 GiB.
    pub fn buffered_amount(&self) -> u32 {
        // Saturating: past 4 GiB it reads `u32::MAX`, never a wrapped small number.
        self.raw.unchecked_ref::<AnySender>().buffered_amount() as u32
    }

    /// The URL as the browser resolved it.
    pub fn url(&self) -> String {
        self.raw.url()
    }

    /// The subprotocol the server selected; empty before open or when none was.
    pub fn protocol(&self) -> String {
        self.raw.protocol()
    }

    /// The extensions the server selected (e.g. `permessage-deflate`); empty before open or when none were.
    pub fn extensions(&self) -> String {
        self.raw.extensions()
    }

    /// Sends a text message. [`Error::NotOpen`] unless the socket is open.
    pub fn send_text(&self, text: &str) -> Result<(), Error> {
        self.send_value(&JsValue::from_str(text))
    }

    /// Sends a binary message. The bytes are copied into a new JS `Uint8Array` first: a view into Wasm memory
    /// would break if memory is shared or grows. [`Error::NotOpen`] unless the socket is open.
    pub fn send_bytes(&self, bytes: &[u8]) -> Result<(), Error> {
        // Checked before the copy: nothing is copied for a socket that cannot send.
        self.ensure_open()?;
        self.raw.send_open_bytes(bytes)
    }

    /// Sends an `ArrayBuffer` as a binary message. [`Error::NotOpen`] unless the socket is open.
    pub fn send_array_buffer(&self, buffer: &ArrayBuffer) -> Result<(), Error> {
        self.send_value(buffer)
    }

    /// Sends a `Blob` as a binary message. [`Error::NotOpen`] unless the socket is open.
    pub fn send_blob(&self, blob: &Blob) -> Result<(), Error> {
        self.send_value(blob)
    }

    /// Sends what the browser's `send` takes (a string, `ArrayBuffer`, view or `Blob`), through one import
    /// rather than web-sys's four. [`Error::NotOpen`] unless the socket is open.
    pub(crate) fn send_value(&self, data: &JsValue) -> Result<(), Error> {
        self.ensure_open()?;
        self.raw.send_open(data)
    }

    /// Sends any [`Message`]. [`Error::NotOpen`] unless the socket is open.
    pub fn send(&self, message: &Message) -> Result<(), Error> {
        self.ensure_open()?;
        self.raw.send_open_message(message)
    }

    /// Starts the closing handshake with code 1000 and no reason. (The DOM's `close()` sends no code, which the
    /// server sees as 1005; this crate sends 1000 everywhere it closes for you, drop included.) Does nothing if
    /// already closing or closed; a connection still opening is abandoned (error and close events with 1006 follow).
    pub fn close(&self) -> Result<(), Error> {
        self.close_with(ClientCloseCode::NORMAL, "")
    }

    /// Starts the closing handshake with a code and a reason of at most 123 UTF-8 bytes. The reason is checked
    /// before the browser is called: on [`Error::CloseReasonTooLong`] the socket is left untouched.
    pub fn close_with(&self, code: ClientCloseCode, reason: &str) -> Result<(), Error> {
        self.raw.close_with(code, reason)
    }

    /// Calls `callback` when the connection opens.
    pub fn on_open(&self, mut callback: impl FnMut() + 'static) -> EventListener {
        self.listen("open", move |_| callback())
    }

    /// Calls `callback` with every received message, in order.
    pub fn on_message(&self, mut callback: impl FnMut(Message) + 'static) -> EventListener {
        self.listen("message", move |event| callback(message_of(&event)))
    }

    /// Calls `callback` when the browser reports an error. The event carries no detail by design; the close
    /// event that always follows tells how the connection ended.
    pub fn on_error(&self, mut callback: impl FnMut() + 'static) -> EventListener {
        self.listen("error", move |_| callback())
    }

    /// Calls `callback` once the connection has closed, cleanly or not.
    pub fn on_close(&self, mut callback: impl FnMut(CloseEvent) + 'static) -> EventListener {
        self.listen("close", move |event| callback(close_of(&event)))
    }

    /// Registers a listener for a raw event and remembers it, so that dropping the socket detaches it. Only the
    /// browser's own (trusted) events reach `callback`: one dispatched by a script (`dispatchEvent` on
    /// [`as_raw`](Self::as_raw)) says nothing about the connection.
    pub(crate) fn listen(
        &self,
        event_type: &'static str,
        callback: impl FnMut(Event) + 'static,
    ) -> EventListener {
        let listener = EventListener::trusted(self.as_raw(), event_type, callback);
        let mut listeners = self.listeners.borrow_mut();
        listeners.retain(|registration| registration.strong_count() > 0);
        listeners.push(listener.downgrade());
        listener
    }

    fn ensure_open(&self) -> Result<(), Error> {
        match self.ready_state() {
            ReadyState::Open => Ok(()),
            state => Err(Error::NotOpen(state)),
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// The browser's `WebSocket`, where web-sys types it too narrowly: a `send` that takes any payload, and
    /// `bufferedAmount` as the number it is.
    #[wasm_bindgen(js_name = WebSocket)]
    type AnySender;

    #[wasm_bindgen(method, catch)]
    fn send(this: &AnySender, data: &JsValue) -> Result<(), JsValue>;

    /// web-sys reads it as a `u32`, which wraps past 4 GiB (to a small number: a buffer that looks drained).
    #[wasm_bindgen(method, getter, js_name = bufferedAmount)]
    fn buffered_amount(this: &AnySender) -> f64;
}

/// The typed error for what a WebSocket (or WebSocketStream) constructor threw, subprotocols checked already.
pub(crate) fn open_error(url: &str, exception: &JsValue) -> Error {
    let (name, message) = exception_parts(exception);
    match name.as_str() {
        // Subprotocols were checked, so a SyntaxError can only be about the URL.
        "SyntaxError" => Error::InvalidUrl {
            url: url.to_owned(),
            message,
        },
        "SecurityError" => Error::Security { message },
        _ => Error::Browser { name, message },
    }
}

/// The message a trusted `message` event of a `WebSocket` carries. The browser fires that event as a
/// `MessageEvent` whose data is a string, a `Blob` or an `ArrayBuffer` (the
/// [standard](https://websockets.spec.whatwg.org/#feedback-from-the-protocol)), so no other type is checked for:
/// each check would be one more import in every app.
pub(crate) fn message_of(event: &Event) -> Message {
    Message::from_socket_data(event.unchecked_ref::<web_sys::MessageEvent>().data())
}

/// The close event, copied out of a trusted `close` event of a `WebSocket`, which the browser fires as a
/// `CloseEvent`.
pub(crate) fn close_of(event: &Event) -> CloseEvent {
    CloseEvent::from_dom(event.unchecked_ref())
}

/// A length for a JS typed array, which on wasm32 always fits; checked anyway so a 64-bit target cannot truncate.
fn byte_length(len: usize) -> Result<u32, Error> {
    u32::try_from(len).map_err(|_| Error::Browser {
        name: "RangeError".to_owned(),
        message: format!("a binary message of {len} bytes is larger than a browser can send"),
    })
}

impl Drop for WebSocket {
    /// Detaches the listeners handed out; the socket's own drop then closes it.
    fn drop(&mut self) {
        let listeners = std::mem::take(self.listeners.get_mut());
        for registration in listeners.iter().filter_map(Weak::upgrade) {
            registration.detach();
        }
    }
}

impl OwnedSocket {
    /// Opens a connection with subprotocols already checked.
    pub(crate) fn create<S: AsRef<str>>(url: &str, protocols: &[S]) -> Result<Self, Error> {
        let result = if protocols.is_empty() {
            web_sys::WebSocket::new(url)
        } else {
            let list: Array = protocols
                .iter()
                .map(|p| JsValue::from_str(p.as_ref()))
                .collect();
            web_sys::WebSocket::new_with_str_sequence(url, &list)
        };
        result
            .map(Self)
            .map_err(|exception| open_error(url, &exception))
    }

    pub(crate) fn state(&self) -> ReadyState {
        ReadyState::from_dom(self.0.ready_state())
    }

    /// The browser's `send`, for a caller that has checked the socket is open.
    fn send_open(&self, data: &JsValue) -> Result<(), Error> {
        self.0
            .unchecked_ref::<AnySender>()
            .send(data)
            .map_err(|e| Error::from_exception(&e))
    }

    /// Copies `bytes` into a new `Uint8Array` (one copy, without zero-filling first) and sends it, on a socket
    /// the caller found open.
    fn send_open_bytes(&self, bytes: &[u8]) -> Result<(), Error> {
        byte_length(bytes.len())?;
        self.send_open(&Uint8Array::from(bytes))
    }

    /// Sends a [`Message`] on a socket the caller found open (the async API checks the connection's state once
    /// for the send and the watermarks).
    pub(crate) fn send_open_message(&self, message: &Message) -> Result<(), Error> {
        match message {
            Message::Text(text) => self.send_open(&JsValue::from_str(text)),
            Message::Binary(bytes) => self.send_open_bytes(bytes),
            Message::Blob(blob) => self.send_open(blob),
        }
    }

    /// [`WebSocket::close_with`].
    pub(crate) fn close_with(&self, code: ClientCloseCode, reason: &str) -> Result<(), Error> {
        validate_close_reason(reason)?;
        self.0
            .close_with_code_and_reason(code.code(), reason)
            .map_err(|e| Error::from_exception(&e))
    }
}

impl std::ops::Deref for OwnedSocket {
    type Target = web_sys::WebSocket;

    fn deref(&self) -> &web_sys::WebSocket {
        &self.0
    }
}

impl Drop for OwnedSocket {
    fn drop(&mut self) {
        if matches!(self.state(), ReadyState::Connecting | ReadyState::Open) {
            // Best effort, with 1000 like every close this crate makes for you: nothing is listening any more,
            // and close() only throws for bad arguments. Through the same import as `close_with`, so that an app
            // links one `close`.
            let _ = self
                .0
                .close_with_code_and_reason(ClientCloseCode::NORMAL.code(), "");
        }
    }
}
