//! `ReconnectingWebSocketClient`: the reconnecting client for JavaScript.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

use futures_core::Stream;
use js_sys::{Array, Function, Promise, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::connection::{BinaryDelivery, ConnectionBuilder};
use crate::error::Error;
use crate::js::args::{self, Options, SendData};
use crate::js::client::dom_close_event;
use crate::js::error::{report_error, set, to_js, type_error};
use crate::js::events::Events;
use crate::js::iterator::{Fanout, Feed, MessageIterator};
use crate::message::Message;
use crate::reconnect::{
    Acknowledgements, Backoff, ClientState, Delivery, Heartbeat, ReconnectBuilder, ReconnectHandle,
    ReconnectingClient, StateChanges,
};
use crate::safe_integer::safe_unsigned;
use crate::state::BinaryType;
use crate::state::ReadyState;
use crate::timer::millis_f64;

/// A WebSocket client that reconnects by itself, for JavaScript: jittered exponential backoff, a connect
/// timeout, a minimum uptime before the attempt count resets, a URL provider for fresh tokens, a
/// `shouldReconnect(closeEvent)` hook, an optional heartbeat that detects a dead peer, and a bounded send queue
/// that never drops a message silently (a full queue throws `QueueFullError` with the message attached as
/// `data`; `takeUnsent()` returns what was never sent).
///
/// ```js
/// const client = new ReconnectingWebSocketClient("wss://example.com/feed", {
///   backoff: { initialDelay: 250, maxDelay: 10_000 },
///   heartbeat: { interval: 15_000, timeout: 5_000, ping: "ping", isPong: (data) => data === "pong" },
///   urlProvider: async (url) => `${url}?token=${await freshToken()}`,
/// });
/// client.addEventListener("waiting", (event) => console.log(`retrying in ${event.detail.delay} ms`));
/// client.send("subscribe"); // "sent" or "queued"
/// for await (const data of client) console.log(data);
/// ```
///
/// Events: `connecting` (`detail.attempt`), `open`, `message` (a `MessageEvent`), `disconnected`
/// (`detail.error`: a `ConnectionClosedError` with the close code, a `ConnectTimeoutError`, a
/// `HeartbeatTimeoutError`, or the URL provider's error), `waiting` (`detail.delay` in milliseconds), then
/// finally `gaveup` or `closed`. Freeing the client closes it; no events follow.
#[wasm_bindgen(js_name = ReconnectingWebSocketClient)]
#[derive(Debug)]
pub struct ReconnectingWebSocketClient {
    handle: ReconnectHandle,
    shared: Rc<Shared>,
}

/// What the JS object and the task that feeds its events share.
#[derive(Debug)]
struct Shared {
    events: Events,
    fanout: RefCell<Fanout>,
    /// Resolves once the client has stopped for good.
    finished: Promise,
    resolve_finished: RefCell<Option<Function>>,
    /// Set when the JS object is freed: no events after that.
    freed: Cell<bool>,
    /// Set once the client has stopped for good (`gaveup` or `closed`).
    stopped: Cell<bool>,
    /// Failed attempts since the last connection that stayed up for `minUptime`: the last `connecting` event's
    /// attempt, less one, and one more from its `disconnected` event on (0 once the open connection has stayed up
    /// that long, see `retry_count`).
    retry_count: Cell<u32>,
    /// Set by `reconnect()` until the next attempt: the connection it ends is no failed attempt.
    restarting: Cell<bool>,
    /// When the open connection opened (`Date.now()`); `None` while not open.
    opened_at: Cell<Option<f64>>,
    /// `minUptime`, in milliseconds.
    min_uptime_ms: f64,
    /// `options.debug`: log every state change with `console.debug`.
    debug: bool,
    /// `options.binaryType`.
    binary_type: BinaryType,
}

#[wasm_bindgen(js_class = ReconnectingWebSocketClient)]
impl ReconnectingWebSocketClient {
    /// Starts the client: it connects at once (unless `startClosed`) and keeps reconnecting as `options` say (see
    /// `ReconnectOptions`). `url` is a string, a `URL`, or a function returning one (or a promise of one),
    /// called before every attempt. Throws `TypeError` or `RangeError` for bad options.
    #[wasm_bindgen(constructor)]
    pub fn construct(
        #[wasm_bindgen(
            unchecked_param_type = "string | URL | (() => string | URL | PromiseLike<string | URL>)"
        )]
        url: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ReconnectOptions")] options: Option<
            JsValue,
        >,
    ) -> Result<JsValue, JsValue> {
        let client = Self::new(url, options)?;
        let shared = client.shared.clone();
        let idle = client.handle.state() == ClientState::Idle;
        let value = JsValue::from(client);
        // Kept alive, as the DOM keeps a WebSocket it may still fire events at, until it has stopped for good;
        // an idle client is not (as a closed `WebSocket` is not), until `reconnect()`.
        if idle {
            shared.events.own_weakly(&value);
        } else if !shared.stopped.get() {
            shared.events.own(&value);
        }
        Ok(value)
    }

    /// Sends `data` (as `WebSocketClient.send` takes it) if a connection is open and nothing older is queued,
    /// else queues it: returns `"sent"` or `"queued"`. Throws `QueueFullError` (with `maxMessages`,
    /// `maxBytes`, and the message as `data`) when the queue is full, `NotOpenError` (with `data`) once the
    /// client is closed or gave up, and an error named like what `acknowledgements.tag` threw (with `data`): nothing is dropped
    /// silently.
    #[wasm_bindgen(unchecked_return_type = "SendResult")]
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SendData")] data: JsValue,
    ) -> Result<String, JsValue> {
        let message = SendData::new(&data)?.into_message()?;
        match self.handle.try_send(message) {
            Ok(Delivery::Sent) => Ok("sent".to_owned()),
            Ok(Delivery::Queued) => Ok("queued".to_owned()),
            Err(refused) => {
                let error = to_js(&refused.error);
                set(&error, "data", &data);
                Err(error)
            }
        }
    }

    /// Stops reconnecting and closes the connection, if one is open, with `code` (1000 by default, or
    /// 3000..=4999) and `reason` (at most 123 UTF-8 bytes); bad arguments throw as `WebSocketClient.close`
    /// does. Returns the promise of `finished`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] code: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] reason: Option<JsValue>,
    ) -> Result<Promise, JsValue> {
        let code = args::close_code(code.as_ref())?;
        let reason = args::close_reason(reason.as_ref())?;
        self.handle
            .close_with(code, &reason)
            .map_err(|e| to_js(&e))?;
        Ok(self.shared.finished.clone())
    }

    /// Starts over at once, as partysocket's `reconnect()`: closes the open connection with `code` (1000 by
    /// default, or 3000..=4999) and `reason`, or abandons the attempt in progress or the wait before the next,
    /// then connects again, with `retryCount` back at 0; starts a client made with `startClosed`. Queued
    /// messages stay queued. Throws `GaveUpError` after `gaveup` and `NotOpenError` after `close()`: those are
    /// final (the iterators have ended); make a new client, with `takeUnsent()` to carry the queue over.
    pub fn reconnect(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] code: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] reason: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let code = args::close_code(code.as_ref())?;
        let reason = args::close_reason(reason.as_ref())?;
        self.handle
            .reconnect_with(code, &reason)
            .map_err(|e| to_js(&e))?;
        self.shared.restarting.set(true);
        self.shared.retry_count.set(0);
        // Out of idleness (or already held): kept alive from now on, as a connecting client is.
        self.shared.events.hold();
        Ok(())
    }

    /// How many attempts failed in a row since the last connection that stayed up for `minUptime`, as
    /// partysocket's `retryCount`: 0 while the first attempt runs, 1 from its `disconnected` event on if it failed.
    #[wasm_bindgen(getter, js_name = retryCount)]
    pub fn retry_count(&self) -> u32 {
        if self.shared.stayed_up() {
            0
        } else {
            self.shared.retry_count.get()
        }
    }

    /// Resolves once the client has stopped for good: after `closed` or `gaveup`.
    #[wasm_bindgen(getter, unchecked_return_type = "Promise<void>")]
    pub fn finished(&self) -> Promise {
        self.shared.finished.clone()
    }

    /// Takes the messages that were never sent, oldest first: text as strings, bytes as `Uint8Array`s, Blobs
    /// as themselves; with `acknowledgements`, those not yet acknowledged first, as `tag` made them. Call it
    /// after `gaveup` or `closed` (or before `free()`, which discards them); earlier, it takes them out of the
    /// queue.
    #[wasm_bindgen(js_name = takeUnsent, unchecked_return_type = "Array<string | Uint8Array | Blob>")]
    pub fn take_unsent(&self) -> Array {
        self.handle
            .take_unsent()
            .iter()
            .map(|message| match message {
                Message::Binary(bytes) => Uint8Array::from(bytes.as_slice()).into(),
                other => args::message_data(other),
            })
            .collect()
    }

    /// Where the client is: `"connecting"`, `"open"`, `"disconnected"`, `"waiting"`, `"gaveup"` or
    /// `"closed"`.
    #[wasm_bindgen(getter, unchecked_return_type = "ReconnectState")]
    pub fn state(&self) -> String {
        state_name(&self.handle.state()).to_owned()
    }

    /// The open connection's `readyState`; otherwise `0` (connecting) while the client keeps trying, `3`
    /// (closed) while idle (`startClosed`) and once it has stopped.
    #[wasm_bindgen(getter, js_name = readyState, unchecked_return_type = "ReadyState")]
    pub fn ready_state(&self) -> u16 {
        match self.handle.connection() {
            Some(connection) => connection.ready_state().to_dom(),
            None if matches!(self.handle.state(), ClientState::Idle)
                || self.handle.state().is_final() =>
            {
                ReadyState::Closed.to_dom()
            }
            None => ReadyState::Connecting.to_dom(),
        }
    }

    /// The open connection's `bufferedAmount`, or 0.
    #[wasm_bindgen(getter, js_name = bufferedAmount)]
    pub fn buffered_amount(&self) -> f64 {
        self.handle
            .connection()
            .map_or(0.0, |c| f64::from(c.buffered_amount()))
    }

    /// The open connection's URL, or `""`.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.handle
            .connection()
            .map(|c| c.url())
            .unwrap_or_default()
    }

    /// The open connection's subprotocol, or `""`.
    #[wasm_bindgen(getter)]
    pub fn protocol(&self) -> String {
        self.handle
            .connection()
            .map(|c| c.protocol())
            .unwrap_or_default()
    }

    /// The open connection's extensions, or `""`.
    #[wasm_bindgen(getter)]
    pub fn extensions(&self) -> String {
        self.handle
            .connection()
            .map(|c| c.extensions())
            .unwrap_or_default()
    }

    /// An async iterator over the messages of every connection, received from now on. It ends when the
    /// client is closed, and rejects once with `GaveUpError` if it gave up. See `MessageIterator`.
    pub fn messages(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "MessagesOptions")] options: Option<JsValue>,
    ) -> Result<MessageIterator, JsValue> {
        // The options' getters may call back into the client: read them before borrowing anything.
        let feed = Feed::new(options.as_ref())?;
        Ok(self.shared.fanout.borrow_mut().subscribe(feed))
    }

    /// `for await (const data of client)`: the same as `messages()`.
    #[wasm_bindgen(js_name = "[Symbol.asyncIterator]")]
    pub fn iterator(&self) -> Result<MessageIterator, JsValue> {
        self.messages(None)
    }

    /// Adds a listener, as `EventTarget.addEventListener` does.
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(
        &self,
        event_type: JsValue,
        listener: JsValue,
        options: JsValue,
    ) -> Result<(), JsValue> {
        self.shared.events.add(&event_type, &listener, &options)
    }

    /// Removes a listener, as `EventTarget.removeEventListener` does.
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(
        &self,
        event_type: JsValue,
        listener: JsValue,
        options: JsValue,
    ) -> Result<(), JsValue> {
        self.shared.events.remove(&event_type, &listener, &options)
    }

    /// The `message` handler, or `null`.
    #[wasm_bindgen(
        getter,
        unchecked_return_type = "((event: MessageEvent<MessageData>) => void) | null"
    )]
    pub fn onmessage(&self) -> JsValue {
        self.shared.events.handler("message")
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
        self.shared.events.set_handler("message", &handler)
    }

    /// The `open` handler, or `null`.
    #[wasm_bindgen(getter, unchecked_return_type = "((event: Event) => void) | null")]
    pub fn onopen(&self) -> JsValue {
        self.shared.events.handler("open")
    }

    /// Sets the `open` handler (`null` removes it): called each time a connection opens.
    #[wasm_bindgen(setter)]
    pub fn set_onopen(
        &self,
        #[wasm_bindgen(unchecked_param_type = "((event: Event) => void) | null")] handler: JsValue,
    ) -> Result<(), JsValue> {
        self.shared.events.set_handler("open", &handler)
    }

    /// How received binary messages are delivered: `"blob"` (the default) or `"arraybuffer"`, as the
    /// `binaryType` option set it.
    #[wasm_bindgen(getter, js_name = binaryType, unchecked_return_type = "BinaryType")]
    pub fn binary_type(&self) -> String {
        self.shared.binary_type.as_str().to_owned()
    }

    /// Throws a `TypeError`: the delivery is chosen once, with the `binaryType` option (partysocket lets it be
    /// set later; a setting that would not apply to the connection already open is refused, not ignored).
    #[wasm_bindgen(setter, js_name = binaryType, skip_typescript)]
    pub fn set_binary_type(&self, _value: JsValue) -> Result<(), JsValue> {
        Err(type_error(
            "binaryType is read-only here: pass it as the binaryType option",
        ))
    }

    /// Throws a `TypeError`: this client has no `close` event (partysocket's `onclose` is called at every lost
    /// connection), so a handler would silently never run.
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onclose(&self, _handler: JsValue) -> Result<(), JsValue> {
        Err(type_error(
            "ReconnectingWebSocketClient has no close event: listen for \"disconnected\" (each lost connection, with the close code) or \"closed\" (the end)",
        ))
    }

    /// Throws a `TypeError`: this client has no `error` event, see `set_onclose`.
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onerror(&self, _handler: JsValue) -> Result<(), JsValue> {
        Err(type_error(
            "ReconnectingWebSocketClient has no error event: a failed attempt or a lost connection is a \"disconnected\" event with the error as detail.error",
        ))
    }
}

impl ReconnectingWebSocketClient {
    /// `new ReconnectingWebSocketClient(url, options)`, for Rust callers (the export returns the JS object).
    pub fn new(
        url: JsValue,
        options: Option<JsValue>,
    ) -> Result<ReconnectingWebSocketClient, JsValue> {
        let options = Options::new(options.as_ref(), "options")?;
        let builder = builder(&url, &options)?;
        let debug = options.boolean("debug")?.unwrap_or(false);
        let events = Events::new()?;
        let mut resolve = None;
        let finished = Promise::new(&mut |resolve_fn, _reject| resolve = Some(resolve_fn));
        let shared = Rc::new(Shared {
            events,
            fanout: RefCell::new(Fanout::default()),
            finished,
            resolve_finished: RefCell::new(resolve),
            freed: Cell::new(false),
            stopped: Cell::new(false),
            retry_count: Cell::new(0),
            restarting: Cell::new(false),
            opened_at: Cell::new(None),
            min_uptime_ms: millis_f64(builder.min_uptime),
            debug,
            binary_type: if builder.connection.binary == BinaryDelivery::Blob {
                BinaryType::Blob
            } else {
                BinaryType::ArrayBuffer
            },
        });
        let client = builder.start();
        let handle = client.handle().clone();
        // Subscribed before the client's task first runs, so no state change is missed.
        let states = handle.state_changes();
        wasm_bindgen_futures::spawn_local(pump(client, states, shared.clone()));
        Ok(Self { handle, shared })
    }
}

impl ReconnectingWebSocketClient {
    /// The client's event target.
    pub(crate) fn events(&self) -> &Events {
        &self.shared.events
    }
}

impl Drop for ReconnectingWebSocketClient {
    fn drop(&mut self) {
        self.shared.freed.set(true);
        // Harmless if it already stopped; the task then ends and drops the client.
        let _ = self.handle.close();
    }
}

/// The settings, from the constructor's arguments.
fn builder(url: &JsValue, options: &Options) -> Result<ReconnectBuilder, JsValue> {
    let provider = options.function("urlProvider")?;
    let (base, provider) = match (url.dyn_ref::<Function>(), provider) {
        (Some(_), Some(_)) => return Err(type_error(
            "give the URL provider either as the url argument or as options.urlProvider, not both",
        )),
        (Some(function), None) => (String::new(), Some(function.clone())),
        (None, provider) => (args::url(url, "url")?, provider),
    };
    let mut builder = ReconnectingClient::builder(&base);
    if let Some(provider) = provider {
        builder = builder.url_provider(move || call_url_provider(provider.clone(), base.clone()));
    }
    // One read: a getter answers once.
    match options.get("protocols")? {
        Some(value) if value.is_function() => {
            let provider: Function = value.unchecked_into();
            builder = builder.protocols_provider(move || call_protocols_provider(provider.clone()));
        }
        Some(value) => {
            builder = builder.protocols(&protocols_or_none(&value, &options.name("protocols"))?)
        }
        None => {}
    }
    if let Some(closed) = options.boolean("startClosed")? {
        builder = builder.start_closed(closed);
    }
    // `"blob"` by default, as in every browser.
    if options.one_of("binaryType", &["arraybuffer", "blob"])? != Some("arraybuffer") {
        builder = builder.binary(BinaryDelivery::Blob);
    }
    let backoff = options.nested("backoff")?;
    let defaults = Backoff::default();
    let millis = |o: &Options, key: &str| o.millis(key);
    let factor = |o: &Options, key: &str| o.number(key, 1.0, f64::MAX);
    builder = builder.backoff(Backoff {
        initial: either(
            &backoff,
            "initialDelay",
            options,
            "minReconnectionDelay",
            millis,
        )?
        .unwrap_or(defaults.initial),
        max: either(
            &backoff,
            "maxDelay",
            options,
            "maxReconnectionDelay",
            millis,
        )?
        .unwrap_or(defaults.max),
        factor: either(
            &backoff,
            "factor",
            options,
            "reconnectionDelayGrowFactor",
            factor,
        )?
        .unwrap_or(defaults.factor),
        jitter: backoff
            .number("jitter", 0.0, 1.0)?
            .unwrap_or(defaults.jitter),
    });
    builder = builder.max_attempts(
        either(options, "maxAttempts", options, "maxRetries", max_attempts)?.flatten(),
    );
    if let Some(uptime) = options.millis("minUptime")? {
        builder = builder.min_uptime(uptime);
    }
    if let Some(timeout) = either(
        options,
        "connectTimeout",
        options,
        "connectionTimeout",
        |o: &Options, key: &str| o.time_limit(key),
    )? {
        builder = builder.connect_timeout(timeout);
    }
    let defaults = ReconnectingClient::builder("");
    // `Infinity` (partysocket's default) leaves the count unbounded: `maxQueuedBytes` still bounds the queue.
    let count = |o: &Options, key: &str| o.count_or_unbounded(key, 1);
    let messages = either(
        options,
        "maxQueuedMessages",
        options,
        "maxEnqueuedMessages",
        count,
    )?;
    let bytes = options.count("maxQueuedBytes", 0)?;
    builder = builder.send_queue(
        messages.unwrap_or(defaults.queue_messages),
        bytes.unwrap_or(defaults.queue_bytes),
    );
    if options.get("receiveQueue")?.is_some() {
        let (capacity, overflow) = options.nested("receiveQueue")?.receive_queue()?;
        let capacity = capacity.unwrap_or(ConnectionBuilder::DEFAULT_RECEIVE_CAPACITY);
        builder = builder.receive_queue(capacity, overflow);
    }
    if options.get("sendWatermarks")?.is_some() {
        let marks = options.nested("sendWatermarks")?;
        let byte_count = |key: &str| marks.integer(key, 0.0, f64::from(u32::MAX));
        // Whole numbers within u32's range: exact.
        let high = byte_count("high")?.map_or(ConnectionBuilder::DEFAULT_HIGH_WATER, |n| n as u32);
        let low =
            byte_count("low")?.map_or(ConnectionBuilder::DEFAULT_LOW_WATER.min(high), |n| n as u32);
        builder = builder.send_watermarks(high, low);
    }
    if let Some(heartbeat) = heartbeat(options)? {
        builder = builder.heartbeat(heartbeat);
    }
    if let Some(acknowledgements) = acknowledgements(options)? {
        builder = builder.acknowledgements(acknowledgements);
    }
    if let Some(hook) = options.function("shouldReconnect")? {
        builder = builder.should_reconnect(move |close| {
            match hook.call1(&JsValue::UNDEFINED, &dom_close_event(close)) {
                Ok(answer) => answer.is_truthy(),
                Err(exception) => {
                    report_error(&exception);
                    false
                }
            }
        });
    }
    if let Some(retry) = options.boolean("retryOnOnline")? {
        builder = builder.retry_on_online(retry);
    }
    Ok(builder)
}

/// A setting that partysocket and reconnecting-websocket call `theirs` (in `options`) and this package `ours`
/// (in `home`), read with `read`: either name works, both at once is a `TypeError`.
fn either<T>(
    home: &Options,
    ours: &str,
    options: &Options,
    theirs: &str,
    read: impl Fn(&Options, &str) -> Result<Option<T>, JsValue>,
) -> Result<Option<T>, JsValue> {
    match (read(home, ours)?, read(options, theirs)?) {
        (Some(_), Some(_)) => Err(type_error(&format!(
            "{} and options.{theirs} are the same setting: give one",
            home.name(ours)
        ))),
        (ours, theirs) => Ok(ours.or(theirs)),
    }
}

/// `maxAttempts` (failed attempts, a whole number from 1) or `maxRetries` (attempts after the first one fails,
/// from 0, as partysocket counts): `Some(None)` for no limit (`null` or `Infinity`, the default).
fn max_attempts(options: &Options, key: &str) -> Result<Option<Option<u32>>, JsValue> {
    let retries = key == "maxRetries";
    match options.get(key)? {
        None => Ok(None),
        Some(value) if value.is_null() || value.as_f64() == Some(f64::INFINITY) => Ok(Some(None)),
        Some(value) => {
            let min = if retries { 0.0 } else { 1.0 };
            let max = f64::from(u32::MAX) - 1.0;
            let count = args::integer(&value, &options.name(key), min, max)?;
            // Exact: a whole number within u32's range; a retry count is one attempt fewer.
            Ok(Some(Some(count as u32 + u32::from(retries))))
        }
    }
}

/// `heartbeat: { interval, timeout, ping = "ping", isPong }`.
fn heartbeat(options: &Options) -> Result<Option<Heartbeat>, JsValue> {
    if options.get("heartbeat")?.is_none() {
        return Ok(None);
    }
    let heartbeat = options.nested("heartbeat")?;
    let positive = |key: &str| -> Result<std::time::Duration, JsValue> {
        heartbeat.time_limit(key)?.ok_or_else(|| {
            type_error(&format!(
                "options.heartbeat.{key} is required (milliseconds)"
            ))
        })
    };
    let (interval, timeout) = (positive("interval")?, positive("timeout")?);
    let ping = match heartbeat.get("ping")? {
        Some(ping) => SendData::new(&ping)?.into_message()?,
        None => Message::text("ping"),
    };
    let mut beat = Heartbeat::new(interval, timeout, ping);
    if let Some(is_pong) = heartbeat.function("isPong")? {
        beat = beat.with_pong(move |message| {
            match is_pong.call1(&JsValue::UNDEFINED, &args::message_data(message)) {
                Ok(answer) => answer.is_truthy(),
                Err(exception) => {
                    report_error(&exception);
                    false
                }
            }
        });
    }
    Ok(Some(beat))
}

/// `acknowledgements: { tag, acknowledges }`, both required.
fn acknowledgements(options: &Options) -> Result<Option<Acknowledgements>, JsValue> {
    if options.get("acknowledgements")?.is_none() {
        return Ok(None);
    }
    let acks = options.nested("acknowledgements")?;
    let required = |key: &str| {
        acks.function(key)?.ok_or_else(|| {
            type_error(&format!(
                "options.acknowledgements.{key} is required (a function)"
            ))
        })
    };
    let (tag, acknowledges) = (required("tag")?, required("acknowledges")?);
    let tag = move |id: u64, message: &Message| {
        // Ids count from 1, one a message: far below 2^53, so exact as a JS number.
        let id = JsValue::from_f64(id as f64);
        let tagged = tag
            .call2(&JsValue::UNDEFINED, &id, &args::message_data(message))
            .map_err(|exception| Error::from_exception(&exception))?;
        match SendData::new(&tagged) {
            Ok(data) => data
                .into_message()
                .map_err(|exception| Error::from_exception(&exception)),
            Err(_) => Err(Error::Browser {
                name: "TypeError".into(),
                message: "options.acknowledgements.tag must return a string, an ArrayBuffer, an \
                          ArrayBufferView or a Blob"
                    .into(),
            }),
        }
    };
    let acknowledges = move |message: &Message| {
        let answer = acknowledges.call1(&JsValue::UNDEFINED, &args::message_data(message));
        let id_of = |id: &JsValue| id.as_f64().and_then(safe_unsigned).filter(|&id| id >= 1);
        match answer.map(|id| (id.is_null() || id.is_undefined(), id_of(&id))) {
            Ok((true, _)) => None,
            Ok((false, Some(id))) => Some(id),
            Ok(_) => {
                report_error(&type_error(
                    "options.acknowledgements.acknowledges must return a whole number from 1, null or \
                     undefined",
                ));
                None
            }
            Err(exception) => {
                report_error(&exception);
                None
            }
        }
    };
    Ok(Some(Acknowledgements::fallible(tag, acknowledges)))
}

/// Calls the URL provider with the base URL and awaits its answer, if it is a promise.
async fn call_url_provider(provider: Function, base: String) -> Result<String, Error> {
    let value = answer(provider.call1(&JsValue::UNDEFINED, &JsValue::from_str(&base))).await?;
    args::url_string(&value).ok_or_else(|| Error::InvalidUrl {
        url: String::new(),
        message: format!(
            "the URL provider returned {}, not a string or a URL",
            value.js_typeof().as_string().unwrap_or_default()
        ),
    })
}

/// Calls the protocols provider and awaits its answer, if it is a promise.
async fn call_protocols_provider(provider: Function) -> Result<Vec<String>, Error> {
    let value = answer(provider.call0(&JsValue::UNDEFINED)).await?;
    protocols_or_none(&value, "the protocols provider's answer")
        .map_err(|exception| Error::from_exception(&exception))
}

/// Subprotocols as partysocket takes them: `null` (or `undefined`) for none, a string, or an array of strings.
fn protocols_or_none(value: &JsValue, name: &str) -> Result<Vec<String>, JsValue> {
    if value.is_null() || value.is_undefined() {
        return Ok(Vec::new());
    }
    args::protocols(value, name)
}

/// What a provider's call gave, awaited if it is a promise; what it threw or rejected with becomes the error
/// (with the thrown value as its JS `cause`).
async fn answer(call: Result<JsValue, JsValue>) -> Result<JsValue, Error> {
    let thrown = |exception: JsValue| Error::from_exception(&exception);
    let value = call.map_err(thrown)?;
    JsFuture::from(Promise::resolve(&value))
        .await
        .map_err(thrown)
}

/// The JS name of a state.
fn state_name(state: &ClientState) -> &'static str {
    match state {
        ClientState::Idle => "idle",
        ClientState::Connecting { .. } => "connecting",
        ClientState::Open => "open",
        ClientState::Disconnected(_) => "disconnected",
        ClientState::Waiting { .. } => "waiting",
        ClientState::GaveUp => "gaveup",
        ClientState::Closed => "closed",
    }
}

#[wasm_bindgen]
extern "C" {
    /// `console.debug(label, state)`, for `options.debug`.
    #[wasm_bindgen(js_namespace = console, js_name = debug)]
    fn console_debug(label: &str, state: &str);
}

/// What the client's task reports.
enum Report {
    State(ClientState),
    Message(Result<Message, Error>),
}

/// Turns the client's state changes and messages into events and iterator items until it has stopped, state
/// changes first, so that `open` precedes the messages of that connection.
async fn pump(mut client: ReconnectingClient, mut states: StateChanges, shared: Rc<Shared>) {
    let (mut states_done, mut messages_done) = (false, false);
    loop {
        let report = poll_fn(|cx| {
            if !states_done {
                match Pin::new(&mut states).poll_next(cx) {
                    Poll::Ready(Some(state)) => return Poll::Ready(Some(Report::State(state))),
                    Poll::Ready(None) => states_done = true,
                    Poll::Pending => {}
                }
            }
            if !messages_done {
                match Pin::new(&mut client).poll_next(cx) {
                    Poll::Ready(Some(item)) => return Poll::Ready(Some(Report::Message(item))),
                    Poll::Ready(None) => messages_done = true,
                    Poll::Pending => {}
                }
            }
            if states_done && messages_done {
                Poll::Ready(None)
            } else {
                Poll::Pending
            }
        })
        .await;
        match report {
            None => break,
            Some(Report::State(state)) => {
                if state == ClientState::Open {
                    if let Some(connection) = client.handle().connection() {
                        shared.events.set_origin(&connection.url());
                    }
                }
                shared.state_changed(&state);
            }
            Some(Report::Message(Ok(message))) => shared.received(&message),
            // Lost before they reached the iterators: those live now say so; the client goes on.
            Some(Report::Message(Err(error @ Error::ReceiveOverflow { .. }))) => {
                shared.fanout.borrow_mut().fail(&to_js(&error));
            }
            Some(Report::Message(Err(error))) => {
                shared.fanout.borrow_mut().end(Some(to_js(&error)));
            }
        }
    }
    shared.fanout.borrow_mut().end(None);
}

impl Shared {
    /// Whether the open connection has stayed up for `minUptime` (false while not open).
    fn stayed_up(&self) -> bool {
        self.opened_at
            .get()
            .is_some_and(|at| js_sys::Date::now() - at >= self.min_uptime_ms)
    }

    fn received(&self, message: &Message) {
        let data = args::message_data(message);
        self.fanout.borrow_mut().push(&data);
        if !self.freed.get() {
            self.events.dispatch_message(&data);
        }
    }

    fn state_changed(&self, state: &ClientState) {
        match state {
            ClientState::Connecting { attempt } => {
                self.restarting.set(false);
                self.retry_count.set(attempt.saturating_sub(1));
            }
            // The attempt that just ended failed, unless its connection stayed up for `minUptime` or `reconnect()`
            // ended it: as in partysocket, `disconnected` and `waiting` listeners see it counted.
            ClientState::Disconnected(_) if self.restarting.get() || self.stayed_up() => {
                self.retry_count.set(0);
            }
            ClientState::Disconnected(_) => {
                self.retry_count
                    .set(self.retry_count.get().saturating_add(1));
            }
            _ => {}
        }
        self.opened_at
            .set((*state == ClientState::Open).then(js_sys::Date::now));
        if self.debug {
            console_debug("browser-ws:", state_name(state));
        }
        if state.is_final() {
            self.stopped.set(true);
            let resolve = self.resolve_finished.borrow_mut().take();
            if let Some(resolve) = resolve {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        }
        if !self.freed.get() {
            self.dispatch_state(state);
        }
        if state.is_final() {
            // The last event: from now on only the client's JS object (if any) holds what its listeners reach.
            self.events.release();
        }
    }

    fn dispatch_state(&self, state: &ClientState) {
        let name = state_name(state);
        match state {
            ClientState::Connecting { attempt } => self
                .events
                .dispatch_detail(name, &[("attempt", (*attempt).into())]),
            ClientState::Disconnected(error) => self
                .events
                .dispatch_detail(name, &[("error", to_js(error))]),
            ClientState::Waiting { delay } => self
                .events
                .dispatch_detail(name, &[("delay", JsValue::from_f64(millis_f64(*delay)))]),
            ClientState::Open | ClientState::GaveUp | ClientState::Closed => {
                self.events.dispatch_plain(name);
            }
            // Where a client made with `startClosed` begins: no event, as a `WebSocket` has none before `open`.
            _ => {}
        }
    }
}
