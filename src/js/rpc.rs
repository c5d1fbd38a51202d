//! The JSON parts of the JavaScript API: `sendJson` on both clients, and `JsonRpcClient`, which is the
//! [request engine](crate::rpc) of the Rust [`RpcClient`](crate::typed::RpcClient) (one engine for both
//! languages: ids, timeouts, the bound on pending requests, failing them when the connection drops) with JS
//! arguments, promises, `AbortSignal`s and events.
//!
//! The JSON is the browser's own (`JSON.stringify`, `JSON.parse`), in the [`BrowserJson`] dialect: a reply's
//! `result` reaches the caller as `JSON.parse` made it, and the package links no JSON library (`serde_json`
//! weighed about a third of its Wasm).

use std::fmt::Write;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::{Rc, Weak};
use std::task::Poll;
use std::time::Duration;

use js_sys::{Array, Object, Promise, Reflect, JSON};
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
use crate::rpc::{
    Dialect, Engine, Incoming, Notice, Notices, RpcBuilder, DROPPED_REQUEST, DROPPED_REQUEST_CODE,
    INVALID_ID,
};
use crate::safe_integer::{safe_integer, safe_unsigned};
use crate::signal::Signal;

/// `JSON.stringify(value)`, reading the caller's value (getters, `toJSON`) before anything is borrowed. Throws
/// what `JSON.stringify` throws (a `TypeError` for a `BigInt` or a cycle, whatever a `toJSON` throws), and a
/// `TypeError` for a value with no JSON form (`undefined`, a function, a symbol).
fn json_text(value: &JsValue, what: &str) -> Result<String, JsValue> {
    JSON::stringify(value)?.as_string().ok_or_else(|| {
        type_error(&format!(
            "{what} has no JSON form (undefined, a function or a symbol)"
        ))
    })
}

/// A caller's params (or a reply's result or error data: `what`) as JSON text; none for `undefined` or anything
/// whose JSON is `null` (`null`, `NaN`, a `toJSON` that returns `null`): JSON-RPC 2.0 leaves `params` out rather
/// than send `null`.
fn params_text(value: Option<&JsValue>, what: &str) -> Result<Option<String>, JsValue> {
    match value {
        Some(value) if !value.is_undefined() => {
            json_text(value, what).map(|text| (text != "null").then_some(text))
        }
        _ => Ok(None),
    }
}

/// JSON as the browser reads and writes it: params are JSON text already (read from the caller before the
/// request exists); results and notification params are what `JSON.parse` makes.
#[derive(Debug)]
struct BrowserJson;

impl Dialect for BrowserJson {
    type Params = Option<String>;
    type Value = JsValue;

    fn envelope(method: &str, params: Option<String>, id: Option<u64>) -> Result<String, Error> {
        let method = stringify(&JsValue::from_str(method)).ok_or_else(|| Error::Encode {
            message: "the method name has no JSON form".to_owned(),
        })?;
        let mut text = format!(r#"{{"jsonrpc":"2.0","method":{method}"#);
        if let Some(params) = params {
            text.push_str(r#","params":"#);
            text.push_str(&params);
        }
        if let Some(id) = id {
            let _ = write!(text, r#","id":{id}"#);
        }
        text.push('}');
        Ok(text)
    }

    fn dropped_request(id: &JsValue) -> String {
        let id = stringify(id).unwrap_or_else(|| "null".to_owned());
        let code = JsValue::from(DROPPED_REQUEST_CODE);
        let error = error_text(&code, &JsValue::from_str(DROPPED_REQUEST), None);
        reply_text(&id, "error", &error)
    }

    fn classify_text(text: String) -> Incoming<JsValue> {
        let parsed = match JSON::parse(&text) {
            Ok(parsed) => parsed,
            // The SyntaxError's message, read directly: it is no error of the caller's, so it is not kept as
            // the `cause` of one (see `js::cause`).
            Err(thrown) => {
                let message = thrown
                    .dyn_ref::<js_sys::Error>()
                    .map_or_else(|| "not JSON".to_owned(), |error| error.message().into());
                return Incoming::not_rpc(text, message);
            }
        };
        let Some(object) = json_object(&parsed) else {
            return Incoming::not_rpc(text, "not a JSON-RPC object");
        };
        if let Some(method) = member(object, "method").and_then(|method| method.as_string()) {
            let params = member(object, "params").unwrap_or(JsValue::NULL);
            let id = member(object, "id");
            if !id.as_ref().map_or(true, is_valid_id) {
                return Incoming::not_rpc(text, INVALID_ID);
            }
            return Incoming::Other(Ok(Notice::new(method, params, id)));
        }
        let result = member(object, "result");
        let error = member(object, "error").map(|error| rpc_error(&error));
        let id = member(object, "id")
            .and_then(|id| id.as_f64())
            .and_then(safe_unsigned);
        Incoming::reply(text, result, error, id)
    }
}

/// Whether JSON-RPC allows `id` as a request's id: a string, a finite number or `null`.
fn is_valid_id(id: &JsValue) -> bool {
    id.is_string() || id.is_null() || id.as_f64().is_some_and(f64::is_finite)
}

/// `{"jsonrpc":"2.0","id":<id>,"<member>":<value>}`: the reply to the server's request `id`, whose `result` or
/// `error` (`member`) is `value`, all JSON text.
fn reply_text(id: &str, member: &str, value: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"{member}":{value}}}"#)
}

/// A JSON-RPC error object: `code` (an integer) and `message` (a string), written by JS (Rust's integer
/// formatting is not otherwise linked into the package), and `data` (JSON text) unless `None`.
fn error_text(code: &JsValue, message: &JsValue, data: Option<&str>) -> String {
    let [code, message] = [code, message].map(|value| stringify(value).unwrap_or_default());
    let data = data.map_or_else(String::new, |data| format!(r#","data":{data}"#));
    format!(r#"{{"code":{code},"message":{message}{data}}}"#)
}

/// A caller's request id as JSON text, or a `TypeError`.
fn reply_id(id: &JsValue) -> Result<String, JsValue> {
    is_valid_id(id)
        .then(|| stringify(id))
        .flatten()
        .ok_or_else(|| type_error(INVALID_ID))
}

/// A parsed JSON value as an object with members (not an array, not `null`).
fn json_object(value: &JsValue) -> Option<&Object> {
    (value.is_object() && !Array::is_array(value)).then(|| value.unchecked_ref::<Object>())
}

/// A member of an object `JSON.parse` made (own data properties only, so reading runs no code).
fn member(object: &Object, name: &str) -> Option<JsValue> {
    let key = JsValue::from_str(name);
    if !Object::has_own(object, &key) {
        return None;
    }
    Reflect::get(object, &key).ok()
}

/// `JSON.stringify(value)`, if it gives a text.
fn stringify(value: &JsValue) -> Option<String> {
    JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
}

/// The JSON text of a value `JSON.parse` made, which always has one, unless the page has put a `toJSON` on a
/// built-in prototype (`JSON.stringify` calls it; one that throws makes this empty, and `RpcError.data`
/// `undefined`).
fn parsed_text(value: &JsValue) -> String {
    stringify(value).unwrap_or_default()
}

/// A JSON-RPC error object as an [`Error::Rpc`]; a malformed one keeps what it has.
fn rpc_error(error: &JsValue) -> Error {
    let object = json_object(error);
    let code = object
        .and_then(|object| member(object, "code"))
        .and_then(|code| code.as_f64())
        .and_then(safe_integer)
        .unwrap_or(0);
    let message = object
        .and_then(|object| member(object, "message"))
        .and_then(|message| message.as_string())
        .unwrap_or_else(|| parsed_text(error));
    let data = object
        .and_then(|object| member(object, "data"))
        .map(|data| parsed_text(&data));
    Error::Rpc {
        code,
        message,
        data,
    }
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
    rpc: Engine<BrowserJson>,
    events: Rc<Events>,
}

#[wasm_bindgen(js_class = JsonRpcClient)]
impl JsonRpcClient {
    /// Connects to `url` and resolves once open. Options: those of `WebSocketClient.connect` but `binaryType`
    /// (`protocols`, `connectTimeout`), and `timeout` (ms a request waits for its reply, default 30000),
    /// `maxPending` (requests awaiting a reply at once, default 256), `notificationQueue` (notifications and
    /// reports waiting to be dispatched, default 1024; the oldest is dropped when full, a request of the
    /// server's answered with error -32603). Rejects as
    /// `WebSocketClient.connect` does. As a `WebSocketClient`, the client is kept alive while its connection is
    /// open, referred to or not: a request or a `notification` listener still gets its answer.
    #[wasm_bindgen(js_name = connect, unchecked_return_type = "JsonRpcClient")]
    pub async fn connect_js(
        #[wasm_bindgen(unchecked_param_type = "string | URL")] url: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "JsonRpcOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let client = Self::connect(url, options).await?;
        let events = client.events.clone();
        let value = JsValue::from(client);
        events.own(&value);
        Ok(value)
    }

    /// Calls `method` with `params` (anything `JSON.stringify` takes; none if `undefined`, or if its JSON is
    /// `null`) and resolves with the reply's `result`. Options: `timeout` (ms, default the client's), `signal`
    /// (an `AbortSignal`: an abort rejects with `signal.reason` and forgets the request). Rejects with
    /// `RpcError` (`code`, `message`, `data`: the server's error), `RequestTimeoutError` (`id`, `timeout`),
    /// `TooManyRequestsError` (`limit`, not sent), `ConnectionClosedError` once the connection has closed
    /// (requests waiting fail with it too, they are never left pending), `NotOpenError`, what `JSON.stringify`
    /// throws, or a `TypeError`.
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
            let params = params_text(params.as_ref(), "params")?;
            let options = Options::new(options.as_ref(), "options")?;
            let timeout: Duration = options.time_limit("timeout")?.unwrap_or(self.rpc.timeout());
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
            Ok(result)
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
        let params = params_text(params.as_ref(), "params")?;
        self.rpc.notify(&method, params).map_err(|e| to_js(&e))
    }

    /// Answers the server's request `id` (a `notification` event's `detail.id`) with `result` (`null` if
    /// `undefined`). Throws a `TypeError` for an id that is not a string, a finite number or `null`, what
    /// `JSON.stringify` throws, `NotOpenError`, or `ConnectionClosedError` once closed.
    pub fn reply(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | number | null")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "unknown")] result: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let id = reply_id(&id)?;
        let result = params_text(result.as_ref(), "the result")?;
        self.answer(&id, "result", result.as_deref().unwrap_or("null"))
    }

    /// Answers the server's request `id` with an error object: `code` (an integer), `message` and, unless
    /// `undefined` or `null`, `data`. Throws as `reply` does, and a `TypeError` for a code or message of another
    /// type.
    #[wasm_bindgen(js_name = replyError)]
    pub fn reply_error(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | number | null")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] code: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] message: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "unknown")] data: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let id = reply_id(&id)?;
        if code.as_f64().and_then(safe_integer).is_none() {
            return Err(type_error("the code must be an integer"));
        }
        if !message.is_string() {
            return Err(type_error("the message must be a string"));
        }
        let data = params_text(data.as_ref(), "data")?;
        self.answer(&id, "error", &error_text(&code, &message, data.as_deref()))
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
    /// `method` and `params`, and `id` when it is a request of the server's: answer it with `reply` or
    /// `replyError`; a numeric id is what `JSON.parse` reads, inexact past 2^53) and `unexpected` (`detail.error`: an `UnknownReplyError` for a reply no request
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

impl JsonRpcClient {
    /// Sends the reply to the server's request `id` (see [`reply_text`]).
    fn answer(&self, id: &str, member: &str, value: &str) -> Result<(), JsValue> {
        self.rpc
            .reply(reply_text(id, member, value), 0)
            .map_err(|e| to_js(&e))
    }

    /// `JsonRpcClient.connect(url, options)`, for Rust callers (the export resolves with the JS object, which
    /// it keeps alive while the connection is open).
    pub async fn connect(url: JsValue, options: Option<JsValue>) -> Result<JsonRpcClient, JsValue> {
        let options = Options::new(options.as_ref(), "options")?;
        let url = args::url(&url, "url")?;
        let protocols = options.protocols("protocols")?;
        let connect_timeout = options.time_limit("connectTimeout")?;
        let mut settings = RpcBuilder::default();
        if let Some(timeout) = options.time_limit("timeout")? {
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
        let rpc = Engine::over(settings, connection);
        wasm_bindgen_futures::spawn_local(pump(rpc.notices(), Rc::downgrade(&events)));
        Ok(Self { rpc, events })
    }
}

/// Freed (`free()` or garbage collection): the connection closes, which ends the notification pump.
impl Drop for JsonRpcClient {
    fn drop(&mut self) {
        let _ = self.rpc.close();
    }
}

/// Dispatches the notifications and reports, with no borrow held, until the connection has ended.
async fn pump(mut notifications: Notices<BrowserJson>, events: Weak<Events>) {
    use futures_core::Stream;
    while let Some(item) = poll_fn(|cx| std::pin::Pin::new(&mut notifications).poll_next(cx)).await
    {
        let Some(events) = events.upgrade() else {
            break;
        };
        match item {
            Ok(Notice {
                method, params, id, ..
            }) => {
                // `id` only for a request.
                let members = 2 + usize::from(id.is_some());
                let detail = [
                    ("method", method.as_str().into()),
                    ("params", params),
                    ("id", id.unwrap_or_default()),
                ];
                events.dispatch_detail("notification", detail.get(..members).unwrap_or(&detail))
            }
            Err(error) => events.dispatch_detail("unexpected", &[("error", to_js(&error))]),
        }
    }
    // The connection has ended: nothing more can be dispatched, so the client is no longer kept alive.
    if let Some(events) = events.upgrade() {
        events.release();
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    //! Covers: the browser's JSON reads replies, error replies, notifications, replies without a usable id and
    //! messages that are not JSON-RPC as the cases of `rpc::conformance` say (as `serde_json` does them); the
    //! request envelope is JSON-RPC 2.0 with `params` left out when there are none or their JSON is `null`, and
    //! a method name with quotes and non-ASCII is escaped; the error reply to a request the queue dropped.

    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn reads_json_rpc_as_the_conformance_cases_say() {
        crate::rpc::conformance::classifies_as_json_rpc_says::<BrowserJson>(parsed_text);
    }

    #[wasm_bindgen_test]
    fn a_dropped_request_is_answered_with_an_error() {
        assert_eq!(
            BrowserJson::dropped_request(&JsValue::from_str("a\"")),
            format!(
                r#"{{"jsonrpc":"2.0","id":"a\"","error":{{"code":-32603,"message":"{DROPPED_REQUEST}"}}}}"#
            )
        );
    }

    #[wasm_bindgen_test]
    fn envelopes_are_json_rpc() {
        let parse = |text: String| parsed_text(&JSON::parse(&text).expect("JSON"));
        assert_eq!(
            parse(BrowserJson::envelope("ping", None, None).expect("an envelope")),
            r#"{"jsonrpc":"2.0","method":"ping"}"#
        );
        let request = BrowserJson::envelope(r#"a"é\"#, Some("[1,2]".into()), Some(3));
        assert_eq!(
            parse(request.expect("an envelope")),
            r#"{"jsonrpc":"2.0","method":"a\"é\\","params":[1,2],"id":3}"#
        );
        for none in [JsValue::NULL, JsValue::from_f64(f64::NAN)] {
            assert_eq!(params_text(Some(&none), "params").expect("no params"), None);
        }
        assert_eq!(
            params_text(Some(&JSON::parse("[1]").expect("JSON")), "params").expect("params"),
            Some("[1]".to_owned())
        );
    }
}
