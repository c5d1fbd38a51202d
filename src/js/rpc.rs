//! The typed parts of the JavaScript API: `sendJson` on both clients, and `JsonRpcClient`, which is the Rust
//! [`RpcClient`] (one request engine for both languages: ids, timeouts, the bound on pending requests, failing
//! them when the connection drops) with JS arguments, promises, `AbortSignal`s and events.
//!
//! **gloo-utils**, chosen for one job: [`JsValueSerdeExt::from_serde`] turns a reply's `result` (a
//! `serde_json::Value`) into a JS value. Its one way to fail, a JSON text that `JSON.parse` rejects, cannot
//! happen with `serde_json`'s output, so its `unwrap_throw` is never reached. Its other half, `into_serde`, is
//! not used: it throws past the Wasm frames (`unwrap_throw`) when `JSON.stringify` throws (a `BigInt`, a cycle,
//! a `toJSON` that throws), so caller values go through [`json_text`], which `catch`es and rethrows the caller's
//! own exception. Its `errors::JsError` is not used either: its `TryFrom<JsValue>` panics on a thrown value that
//! is neither an `Error` nor a string, and [`crate::error::exception_parts`] already copies any thrown value,
//! `DOMException`s included. Its `window()`/`document()` do not exist in workers, where this API must run.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::{Rc, Weak};
use std::task::Poll;
use std::time::Duration;

use gloo_utils::format::JsValueSerdeExt;
use js_sys::{Promise, JSON};
use serde_json::Value;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::connection::Connection;
use crate::error::Error;
use crate::js::args::{self, Options};
use crate::js::client::WebSocketClient;
use crate::js::error::{to_js, type_error};
use crate::js::events::Events;
use crate::js::reconnecting::ReconnectingWebSocketClient;
use crate::listener::EventListener;
use crate::signal::Signal;
use crate::typed::{Notifications, RpcBuilder, RpcClient};

/// `JSON.stringify(value)`, reading the caller's value (getters, `toJSON`) before anything is borrowed. Throws
/// what `JSON.stringify` throws (a `TypeError` for a `BigInt` or a cycle, whatever a `toJSON` throws), and a
/// `TypeError` for a value with no JSON form (`undefined`, a function, a symbol).
fn json_text(value: &JsValue, what: &str) -> Result<String, JsValue> {
    JsValue::from(JSON::stringify(value)?)
        .as_string()
        .ok_or_else(|| {
            type_error(&format!(
                "{what} has no JSON form (undefined, a function or a symbol)"
            ))
        })
}

/// A caller's value as a `serde_json::Value`; `undefined` is `null` (no params).
fn json_value(value: Option<&JsValue>, what: &str) -> Result<Value, JsValue> {
    match value {
        None => Ok(Value::Null),
        Some(value) if value.is_undefined() => Ok(Value::Null),
        Some(value) => {
            let text = json_text(value, what)?;
            serde_json::from_str(&text).map_err(|e| {
                to_js(&Error::Encode {
                    message: e.to_string(),
                })
            })
        }
    }
}

/// A JSON value as a JS value.
fn js_value(value: &Value) -> JsValue {
    <JsValue as JsValueSerdeExt>::from_serde(value).unwrap_or(JsValue::NULL)
}

#[wasm_bindgen(js_class = WebSocketClient)]
impl WebSocketClient {
    /// Sends `value` as JSON text (`JSON.stringify(value)`). Throws what `JSON.stringify` throws, a `TypeError`
    /// for a value with no JSON form, and what `send` throws.
    #[wasm_bindgen(js_name = sendJson)]
    pub fn send_json(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
    ) -> Result<(), JsValue> {
        let text = json_text(&value, "the value")?;
        self.send(JsValue::from(text))
    }
}

#[wasm_bindgen(js_class = ReconnectingWebSocketClient)]
impl ReconnectingWebSocketClient {
    /// Sends or queues `value` as JSON text (`JSON.stringify(value)`), as `send` does: returns `"sent"` or
    /// `"queued"`. Throws what `JSON.stringify` throws, a `TypeError` for a value with no JSON form, and what
    /// `send` throws (with the JSON text as `data`).
    #[wasm_bindgen(js_name = sendJson, unchecked_return_type = "SendResult")]
    pub fn send_json(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
    ) -> Result<String, JsValue> {
        let text = json_text(&value, "the value")?;
        self.send(JsValue::from(text))
    }
}

/// A JSON-RPC 2.0 client over one connection, for JavaScript.
///
/// ```js
/// const rpc = await JsonRpcClient.connect("wss://example.com/rpc", { timeout: 5000, maxPending: 64 });
/// const sum = await rpc.request("add", [1, 2]);                  // 3
/// const controller = new AbortController();
/// const slow = rpc.request("report", { day: 1 }, { signal: controller.signal, timeout: 60_000 });
/// controller.abort();                                            // slow rejects with signal.reason
/// rpc.addEventListener("notification", (e) => console.log(e.detail.method, e.detail.params));
/// rpc.close();
/// ```
#[wasm_bindgen(js_name = JsonRpcClient)]
#[derive(Debug)]
pub struct JsonRpcClient {
    rpc: RpcClient,
    events: Rc<Events>,
}

#[wasm_bindgen(js_class = JsonRpcClient)]
impl JsonRpcClient {
    /// Connects to `url` and resolves once open. Options: those of `WebSocketClient.connect` but `binaryType`
    /// (`protocols`, `connectTimeout`), and `timeout` (ms a request waits for its reply, default 30000),
    /// `maxPending` (requests awaiting a reply at once, default 256), `notificationQueue` (notifications and
    /// reports waiting to be dispatched, default 1024; the oldest is dropped when full). Rejects as
    /// `WebSocketClient.connect` does.
    pub async fn connect(
        #[wasm_bindgen(unchecked_param_type = "string | URL")] url: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "JsonRpcOptions")] options: Option<JsValue>,
    ) -> Result<JsonRpcClient, JsValue> {
        let options = Options::new(options.as_ref(), "options")?;
        let url = args::url(&url, "url")?;
        let protocols = options.protocols("protocols")?;
        let connect_timeout = options.millis("connectTimeout")?;
        let mut settings = RpcBuilder::default();
        if let Some(timeout) = options.millis("timeout")? {
            settings = settings.timeout(timeout);
        }
        if let Some(limit) = options.count("maxPending", 1)? {
            settings = settings.max_pending(limit);
        }
        if let Some(capacity) = options.count("notificationQueue", 1)? {
            settings = settings.notification_queue(capacity);
        }
        let mut builder = Connection::builder(&url).protocols(&protocols);
        if let Some(timeout) = connect_timeout {
            builder = builder.connect_timeout(timeout);
        }
        let connection = builder.connect().await.map_err(|e| to_js(&e))?;
        let events = Rc::new(Events::new()?);
        let rpc = settings.over(connection);
        wasm_bindgen_futures::spawn_local(pump(rpc.notifications(), Rc::downgrade(&events)));
        Ok(Self { rpc, events })
    }

    /// Calls `method` with `params` (anything `JSON.stringify` takes; none if `undefined`) and resolves with
    /// the reply's `result`. Options: `timeout` (ms, default the client's), `signal` (an `AbortSignal`: an abort
    /// rejects with `signal.reason` and forgets the request). Rejects with `RpcError` (`code`, `message`,
    /// `data`: the server's error), `RequestTimeoutError` (`id`, `timeout`), `TooManyRequestsError` (`limit`,
    /// not sent), `ConnectionClosedError` once the connection has closed (requests waiting fail with it too,
    /// they are never left pending), `NotOpenError`, what `JSON.stringify` throws, or a `TypeError`.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] method: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "unknown")] params: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        // Every caller value is read here, before the request exists.
        let read = || -> Result<_, JsValue> {
            let method = method
                .as_string()
                .ok_or_else(|| type_error("the method must be a string"))?;
            let params = json_value(params.as_ref(), "params")?;
            let options = Options::new(options.as_ref(), "options")?;
            let timeout: Duration = options.millis("timeout")?.unwrap_or(self.rpc.timeout());
            let signal = match options.get("signal")? {
                None => None,
                Some(signal) => Some(
                    signal
                        .dyn_into::<web_sys::AbortSignal>()
                        .map_err(|_| type_error("options.signal must be an AbortSignal"))?,
                ),
            };
            Ok((method, params, timeout, signal))
        };
        let (method, params, timeout, signal) = match read() {
            Ok(read) => read,
            Err(error) => return Promise::reject(&error),
        };
        if let Some(signal) = signal.as_ref().filter(|signal| signal.aborted()) {
            return Promise::reject(&signal.reason());
        }
        let rpc = self.rpc.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let aborted = Rc::new(Signal::default());
            // Only a real abort counts: a script may dispatch an `abort` event on a signal that is not aborted.
            let _on_abort = signal.clone().map(|signal| {
                let aborted = aborted.clone();
                let target = signal.clone();
                EventListener::new(&target, "abort", move |_| {
                    if signal.aborted() {
                        aborted.fire();
                    }
                })
            });
            let mut call = pin!(rpc.request(&method, params, timeout));
            let result = poll_fn(|cx| {
                // `aborted` too: an abort before this task first ran, when no listener was there yet, is only
                // seen there (and then nothing was sent). Polling the signal registers the wake-up.
                if let Some(signal) = &signal {
                    if signal.aborted() || aborted.poll(cx).is_ready() {
                        return Poll::Ready(Err(signal.reason()));
                    }
                }
                call.as_mut()
                    .poll(cx)
                    .map(|result| result.map_err(|e| to_js(&e)))
            })
            .await?;
            Ok(js_value(&result))
        })
    }

    /// Sends a notification: `method` with `params`, no id, no reply. Throws what `JSON.stringify` throws,
    /// `NotOpenError`, `ConnectionClosedError` once closed, or a `TypeError`.
    pub fn notify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] method: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "unknown")] params: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let method = method
            .as_string()
            .ok_or_else(|| type_error("the method must be a string"))?;
        let params = json_value(params.as_ref(), "params")?;
        self.rpc
            .notify_value(&method, params)
            .map_err(|e| to_js(&e))
    }

    /// How many requests await a reply.
    #[wasm_bindgen(getter, js_name = pendingRequests)]
    pub fn pending_requests(&self) -> u32 {
        u32::try_from(self.rpc.pending_requests()).unwrap_or(u32::MAX)
    }

    /// How many notifications the full queue dropped.
    #[wasm_bindgen(getter, js_name = droppedNotifications)]
    pub fn dropped_notifications(&self) -> f64 {
        self.rpc.dropped_notifications() as f64
    }

    /// Closes the connection (1000); requests awaiting a reply reject with `ConnectionClosedError`.
    pub fn close(&self) -> Result<(), JsValue> {
        self.rpc.close().map_err(|e| to_js(&e))
    }

    /// `addEventListener(type, listener, options)`: `notification` (a `CustomEvent` whose `detail` has
    /// `method` and `params`) and `unexpected` (`detail.error`: an `UnknownReplyError` for a reply no request
    /// awaits, a late one included, or a `DecodeError` for a message that is not JSON-RPC).
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(
        &self,
        event_type: &JsValue,
        listener: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue> {
        self.events.add(event_type, listener, options)
    }

    /// `removeEventListener(type, listener, options)`.
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(
        &self,
        event_type: &JsValue,
        listener: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue> {
        self.events.remove(event_type, listener, options)
    }
}

/// Freed (`free()` or garbage collection): the connection closes, which ends the notification pump.
impl Drop for JsonRpcClient {
    fn drop(&mut self) {
        let _ = self.rpc.close();
    }
}

/// Dispatches the notifications and reports, with no borrow held, until the connection has ended.
async fn pump(mut notifications: Notifications, events: Weak<Events>) {
    use futures_core::Stream;
    while let Some(item) = poll_fn(|cx| std::pin::Pin::new(&mut notifications).poll_next(cx)).await
    {
        let Some(events) = events.upgrade() else {
            break;
        };
        match item {
            Ok(notification) => events.dispatch_detail(
                "notification",
                &[
                    ("method", notification.method.as_str().into()),
                    ("params", js_value(&notification.params)),
                ],
            ),
            Err(error) => events.dispatch_detail("unexpected", &[("error", to_js(&error))]),
        }
    }
}
