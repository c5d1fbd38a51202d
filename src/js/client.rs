//! `WebSocketClient`: the browser's WebSocket with promises, typed errors, checked arguments and async
//! iteration.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Event;

use crate::close::{ClientCloseCode, CloseEvent};
use crate::error::Error;
use crate::js::args::{self, Options, SendData};
use crate::js::error::to_js;
use crate::js::events::Events;
use crate::js::iterator::{Fanout, Feed, MessageIterator};
use crate::listener::EventListener;
use crate::socket::WebSocket;
use crate::state::{BinaryType, ReadyState};
use crate::timer::Sleep;

/// A WebSocket connection for JavaScript: the browser's `WebSocket`, with a promise that resolves once it is
/// open, checked arguments, errors with names, a promise of the close event, and async iteration.
///
/// ```js
/// import init, { WebSocketClient } from "browser-ws";
/// await init();
/// const client = await WebSocketClient.connect("wss://example.com/chat", { protocols: ["chat.v1"] });
/// client.send("hello");
/// for await (const data of client) {
///   if (data === "bye") break;
/// }
/// const close = await client.close(4000, "done"); // resolves with the close event
/// ```
///
/// Events (`open`, `message`, `error`, `close`) go to listeners added with `addEventListener` or the
/// `on<type>` properties, with the client as `event.target` and `this`, as on a DOM `WebSocket`.
///
/// Lifetime, as in the DOM: until its `close` event, a client is kept alive even when nothing refers to it, so
/// an unreferenced client with an `onmessage` handler keeps receiving; after it, nothing the client holds
/// keeps it alive and it is garbage-collected like any object. Freeing it (`free()`, `using`) closes the
/// connection (1000) and removes every listener, without further events; pending `next()` calls are then done
/// and `closed` resolves (code 1000, `wasClean: false`).
#[wasm_bindgen(js_name = WebSocketClient)]
#[derive(Debug)]
pub struct WebSocketClient {
    inner: Rc<Inner>,
}

#[derive(Debug)]
struct Inner {
    socket: WebSocket,
    events: Events,
    /// Resolves with the close event.
    closed: Promise,
    state: RefCell<State>,
    _listeners: [EventListener; 4],
}

#[derive(Debug, Default)]
struct State {
    opened: bool,
    /// How it closed, once closed.
    close: Option<CloseEvent>,
    resolve_closed: Option<Function>,
    connect_waker: Option<Waker>,
    fanout: Fanout,
}

#[wasm_bindgen(js_class = WebSocketClient)]
impl WebSocketClient {
    /// Starts connecting to `url` (`ws:`, `wss:`, or `http(s):`, which the browser maps to `ws(s):`), like
    /// `new WebSocket(url)`; the `open` event, or `connect()`, tells when it is open.
    ///
    /// Options: `protocols` (a string or an array of strings), `binaryType` (`"blob"`, the default as in every
    /// browser, or `"arraybuffer"`). Throws `InvalidUrlError`, `InvalidProtocolError`, `SecurityError`, or
    /// `TypeError` for arguments of the wrong type.
    #[wasm_bindgen(constructor)]
    pub fn construct(
        #[wasm_bindgen(unchecked_param_type = "string | URL")] url: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WebSocketClientOptions")] options: Option<
            JsValue,
        >,
    ) -> Result<JsValue, JsValue> {
        Self::new(url, options).map(Self::into_js)
    }

    /// Connects to `url` and resolves with the client once the connection is open. Rejects with a
    /// `ConnectionClosedError` (with `code`, usually 1006, `reason` and `wasClean`) if it closes first, with a
    /// `ConnectTimeoutError` after `options.connectTimeout` milliseconds, or with the constructor's errors.
    #[wasm_bindgen(js_name = connect, unchecked_return_type = "WebSocketClient")]
    pub async fn connect_js(
        #[wasm_bindgen(unchecked_param_type = "string | URL")] url: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ConnectOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        Self::connect(url, options).await.map(Self::into_js)
    }

    /// Sends a message: a string as text; an `ArrayBuffer`, an `ArrayBufferView` (e.g. a `Uint8Array`) or a
    /// `Blob` as binary. Throws `NotOpenError` (with `readyState`) unless the connection is open, rather than
    /// queueing or discarding silently; `TypeError` for any other type.
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SendData")] data: JsValue,
    ) -> Result<(), JsValue> {
        let data = SendData::new(&data)?;
        // Each kind as it is, strings included (no round trip through UTF-8 in Wasm memory); `NotOpenError`
        // (with `readyState`) unless open, checked there.
        self.inner
            .socket
            .send_value(data.as_value())
            .map_err(|e| to_js(&e))
    }

    /// Starts the closing handshake and returns the promise of the close event (see `closed`). `code` is 1000
    /// (the default) or 3000..=4999; any other number, 1005, NaN and 1.5 included, throws
    /// `InvalidCloseCodeError` at once, like the DOM's `close`. `reason` (default `""`) may take at most 123
    /// bytes in UTF-8, or `CloseReasonTooLongError` is thrown; the connection is then left as it was.
    /// Harmless when already closing or closed; a connection still opening is abandoned (close code 1006).
    #[wasm_bindgen(unchecked_return_type = "Promise<CloseEvent>")]
    pub fn close(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] code: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] reason: Option<JsValue>,
    ) -> Result<Promise, JsValue> {
        let code = args::close_code(code.as_ref())?;
        let reason = args::close_reason(reason.as_ref())?;
        self.inner
            .socket
            .close_with(code, &reason)
            .map_err(|e| to_js(&e))?;
        Ok(self.inner.closed.clone())
    }

    /// A promise of the close event (`code`, `reason`, `wasClean`), resolved once the connection has closed,
    /// whoever closed it. It never rejects.
    #[wasm_bindgen(getter, unchecked_return_type = "Promise<CloseEvent>")]
    pub fn closed(&self) -> Promise {
        self.inner.closed.clone()
    }

    /// The connection's state: `0` connecting, `1` open, `2` closing, `3` closed (as `WebSocket.CONNECTING`
    /// and so on).
    #[wasm_bindgen(getter, js_name = readyState, unchecked_return_type = "ReadyState")]
    pub fn ready_state(&self) -> u16 {
        self.inner.socket.ready_state().to_dom()
    }

    /// Bytes passed to `send` but not yet handed to the network.
    #[wasm_bindgen(getter, js_name = bufferedAmount)]
    pub fn buffered_amount(&self) -> f64 {
        f64::from(self.inner.socket.buffered_amount())
    }

    /// The subprotocol the server selected; `""` before open or if none.
    #[wasm_bindgen(getter)]
    pub fn protocol(&self) -> String {
        self.inner.socket.protocol()
    }

    /// The extensions the server selected; `""` before open or if none.
    #[wasm_bindgen(getter)]
    pub fn extensions(&self) -> String {
        self.inner.socket.extensions()
    }

    /// The URL as the browser resolved it.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.inner.socket.url()
    }

    /// How binary messages arrive: `"blob"` (the default, as in every browser) or `"arraybuffer"`.
    #[wasm_bindgen(getter, js_name = binaryType, unchecked_return_type = "BinaryType")]
    pub fn binary_type(&self) -> String {
        self.inner.socket.binary_type().as_str().to_owned()
    }

    /// Chooses how binary messages arrive, from the next one on; anything but `"arraybuffer"` or `"blob"` is
    /// a `TypeError`.
    #[wasm_bindgen(setter, js_name = binaryType)]
    pub fn set_binary_type(
        &self,
        #[wasm_bindgen(unchecked_param_type = "BinaryType")] value: JsValue,
    ) -> Result<(), JsValue> {
        let binary_type = binary_type(&value, "binaryType")?;
        self.inner.socket.set_binary_type(binary_type);
        Ok(())
    }

    /// An async iterator over the messages received from now on; see `MessageIterator` for `options`
    /// (`capacity`, `overflow`).
    pub fn messages(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "MessagesOptions")] options: Option<JsValue>,
    ) -> Result<MessageIterator, JsValue> {
        // The options' getters may call back into the client: read them before borrowing anything.
        let feed = Feed::new(options.as_ref())?;
        Ok(self.inner.state.borrow_mut().fanout.subscribe(feed))
    }

    /// `for await (const data of client)`: the same as `messages()`.
    #[wasm_bindgen(js_name = "[Symbol.asyncIterator]")]
    pub fn iterator(&self) -> Result<MessageIterator, JsValue> {
        self.messages(None)
    }

    /// Adds a listener for `open`, `message`, `error` or `close`, as `EventTarget.addEventListener` does.
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(
        &self,
        event_type: JsValue,
        listener: JsValue,
        options: JsValue,
    ) -> Result<(), JsValue> {
        self.inner.events.add(&event_type, &listener, &options)
    }

    /// Removes a listener, as `EventTarget.removeEventListener` does.
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(
        &self,
        event_type: JsValue,
        listener: JsValue,
        options: JsValue,
    ) -> Result<(), JsValue> {
        self.inner.events.remove(&event_type, &listener, &options)
    }

    /// The `open` handler, or `null`.
    #[wasm_bindgen(getter, unchecked_return_type = "((event: Event) => void) | null")]
    pub fn onopen(&self) -> JsValue {
        self.inner.events.handler("open")
    }

    /// Sets the `open` handler (`null` removes it).
    #[wasm_bindgen(setter)]
    pub fn set_onopen(
        &self,
        #[wasm_bindgen(unchecked_param_type = "((event: Event) => void) | null")] handler: JsValue,
    ) -> Result<(), JsValue> {
        self.inner.events.set_handler("open", &handler)
    }

    /// The `message` handler, or `null`.
    #[wasm_bindgen(
        getter,
        unchecked_return_type = "((event: MessageEvent<MessageData>) => void) | null"
    )]
    pub fn onmessage(&self) -> JsValue {
        self.inner.events.handler("message")
    }

    /// Sets the `message` handler (`null` removes it).
    #[wasm_bindgen(setter)]
    pub fn set_onmessage(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "((event: MessageEvent<MessageData>) => void) | null"
        )]
        handler: JsValue,
    ) -> Result<(), JsValue> {
        self.inner.events.set_handler("message", &handler)
    }

    /// The `error` handler, or `null`.
    #[wasm_bindgen(getter, unchecked_return_type = "((event: Event) => void) | null")]
    pub fn onerror(&self) -> JsValue {
        self.inner.events.handler("error")
    }

    /// Sets the `error` handler (`null` removes it). The event carries no detail by design; the `close`
    /// event that always follows says how the connection ended.
    #[wasm_bindgen(setter)]
    pub fn set_onerror(
        &self,
        #[wasm_bindgen(unchecked_param_type = "((event: Event) => void) | null")] handler: JsValue,
    ) -> Result<(), JsValue> {
        self.inner.events.set_handler("error", &handler)
    }

    /// The `close` handler, or `null`.
    #[wasm_bindgen(getter, unchecked_return_type = "((event: CloseEvent) => void) | null")]
    pub fn onclose(&self) -> JsValue {
        self.inner.events.handler("close")
    }

    /// Sets the `close` handler (`null` removes it).
    #[wasm_bindgen(setter)]
    pub fn set_onclose(
        &self,
        #[wasm_bindgen(unchecked_param_type = "((event: CloseEvent) => void) | null")]
        handler: JsValue,
    ) -> Result<(), JsValue> {
        self.inner.events.set_handler("close", &handler)
    }
}

impl WebSocketClient {
    /// `new WebSocketClient(url, options)`, for Rust callers (the export returns the JS object).
    pub fn new(url: JsValue, options: Option<JsValue>) -> Result<WebSocketClient, JsValue> {
        let options = Options::new(options.as_ref(), "options")?;
        Self::open(&url, &options)
    }

    /// `WebSocketClient.connect(url, options)`, for Rust callers (the export resolves with the JS object).
    pub async fn connect(
        url: JsValue,
        options: Option<JsValue>,
    ) -> Result<WebSocketClient, JsValue> {
        let options = Options::new(options.as_ref(), "options")?;
        let timeout = options.time_limit("connectTimeout")?;
        let client = Self::open(&url, &options)?;
        let mut opened = pin!(poll_fn(|cx| client.inner.poll_open(cx)));
        let mut timer = timeout.map(|after| (Box::pin(Sleep::new(after)), after));
        poll_fn(|cx| {
            if let Some((sleep, after)) = &mut timer {
                if sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(to_js(&Error::ConnectTimeout { after: *after })));
                }
            }
            opened.as_mut().poll(cx)
        })
        .await?;
        // On error `client` is dropped here, which abandons the connection.
        Ok(client)
    }

    /// The client as a JS object, which the client keeps alive (as the DOM keeps a `WebSocket` it may still fire
    /// events at) until its close event has been dispatched.
    fn into_js(self) -> JsValue {
        let inner = self.inner.clone();
        let value = JsValue::from(self);
        if inner.state.borrow().close.is_none() {
            inner.events.own(&value);
        }
        value
    }

    /// The client's event target.
    pub(crate) fn events(&self) -> &Events {
        &self.inner.events
    }

    /// Opens the socket and attaches the client's own listeners, in the same task, so nothing is missed.
    fn open(url: &JsValue, options: &Options) -> Result<Self, JsValue> {
        let url = args::url(url, "url")?;
        let protocols = options.protocols("protocols")?;
        let binary = match options.get("binaryType")? {
            Some(value) => binary_type(&value, "options.binaryType")?,
            // As in every browser.
            None => BinaryType::Blob,
        };
        let events = Events::new()?;
        let socket = WebSocket::open_with_protocols(&url, &protocols).map_err(|e| to_js(&e))?;
        socket.set_binary_type(binary);
        events.set_origin(&socket.url());
        let mut resolve_closed = None;
        let closed = Promise::new(&mut |resolve, _reject| resolve_closed = Some(resolve));
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
            let listen = |event_type: &'static str, handle: fn(&Inner, Event)| {
                let weak = weak.clone();
                socket.listen(event_type, move |event| {
                    if let Some(inner) = weak.upgrade() {
                        handle(&inner, event);
                    }
                })
            };
            let listeners = [
                listen("open", Inner::handle_open),
                listen("message", Inner::handle_message),
                listen("error", |inner, _| inner.events.dispatch_plain("error")),
                listen("close", Inner::handle_close),
            ];
            Inner {
                socket,
                events,
                closed,
                state: RefCell::new(State {
                    resolve_closed,
                    ..State::default()
                }),
                _listeners: listeners,
            }
        });
        Ok(Self { inner })
    }
}

impl Drop for Inner {
    /// Freed while connecting or open: close normally (1000) rather than with no code (which the server sees as
    /// 1005); the socket's own drop then removes every listener, so no event follows. What waits for the end
    /// ends now: `closed` resolves with a close event of code 1000 and `wasClean: false` (the closing handshake
    /// is not awaited) and every iterator is done.
    fn drop(&mut self) {
        if matches!(
            self.socket.ready_state(),
            ReadyState::Connecting | ReadyState::Open
        ) {
            let _ = self.socket.close_with(ClientCloseCode::NORMAL, "");
        }
        let state = self.state.get_mut();
        state.fanout.end(None);
        if let Some(resolve) = state.resolve_closed.take() {
            let close = CloseEvent {
                code: ClientCloseCode::NORMAL.into(),
                reason: String::new(),
                was_clean: false,
            };
            let _ = resolve.call1(&JsValue::UNDEFINED, &dom_close_event(&close));
        }
    }
}

/// A DOM `CloseEvent` with the close's fields (`undefined` if the browser cannot make one).
pub(crate) fn dom_close_event(close: &CloseEvent) -> JsValue {
    let init = web_sys::CloseEventInit::new();
    init.set_code(close.code.code());
    init.set_reason(&close.reason);
    init.set_was_clean(close.was_clean);
    web_sys::CloseEvent::new_with_event_init_dict("close", &init)
        .map_or(JsValue::UNDEFINED, JsValue::from)
}

impl Inner {
    fn handle_open(&self, _: Event) {
        let waker = {
            let mut state = self.state.borrow_mut();
            state.opened = true;
            state.connect_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        self.events.dispatch_plain("open");
    }

    fn handle_message(&self, event: Event) {
        let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() else {
            return;
        };
        let data = event.data();
        self.state.borrow_mut().fanout.push(&data);
        self.events.dispatch_message(&data);
    }

    fn handle_close(&self, event: Event) {
        let Some(event) = event.dyn_ref::<web_sys::CloseEvent>() else {
            return;
        };
        let close = CloseEvent::from_dom(event);
        let (resolve, waker) = {
            let mut state = self.state.borrow_mut();
            state.close = Some(close.clone());
            let error = (!close.was_clean).then(|| to_js(&Error::Closed(close.clone())));
            state.fanout.end(error);
            (state.resolve_closed.take(), state.connect_waker.take())
        };
        // Copies: the browser's event is still being dispatched, so it cannot be dispatched again; and the one
        // `closed` keeps has no `target`, which would keep the client alive.
        if let Some(resolve) = resolve {
            let _ = resolve.call1(&JsValue::UNDEFINED, &dom_close_event(&close));
        }
        if let Some(waker) = waker {
            waker.wake();
        }
        if let Ok(event) = dom_close_event(&close).dyn_into::<Event>() {
            self.events.dispatch(&event);
        }
        // The last event: from now on only the client's JS object (if any) holds what its listeners reach.
        self.events.release();
    }

    /// Ready once open (`Ok`) or closed before opening (`ConnectionClosedError`).
    fn poll_open(&self, cx: &mut Context<'_>) -> Poll<Result<(), JsValue>> {
        let mut state = self.state.borrow_mut();
        if state.opened {
            return Poll::Ready(Ok(()));
        }
        if let Some(close) = &state.close {
            return Poll::Ready(Err(to_js(&Error::Closed(close.clone()))));
        }
        state.connect_waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// `"arraybuffer"` or `"blob"`.
pub(crate) fn binary_type(value: &JsValue, name: &str) -> Result<BinaryType, JsValue> {
    Ok(match args::one_of(value, name, &["arraybuffer", "blob"])? {
        "blob" => BinaryType::Blob,
        _ => BinaryType::ArrayBuffer,
    })
}
