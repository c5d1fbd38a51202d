//! The JS-facing API (the `js` feature), called through its Rust signatures with the `JsValue`s JS would pass.
//!
//! Covers: `WebSocketClient.connect` resolves once open, text round-trips through `send` and a `MessageIterator`,
//! `close(code, reason)` resolves with the close event; every bad close code (1005, 5000, NaN, -1, 1.5, 70000,
//! Infinity) is an `InvalidCloseCodeError` carrying the code as given, a non-number a `TypeError`, a 124-byte
//! reason a `CloseReasonTooLongError`, and the connection stays open; connect failures are named
//! (`ConnectionClosedError` 1006 for a refused port, `InvalidUrlError`, `ConnectTimeoutError`, `TypeError` for a
//! number as URL); `send` refuses wrong types (`TypeError`) and a connecting socket (`NotOpenError` with
//! `readyState`); the reconnecting client queues, throws `QueueFullError` with the message attached, and hands back
//! the unsent; its options are checked (`RangeError`, `TypeError`, `receiveQueue` and `sendWatermarks` too, and
//! partysocket's names for the same settings, which may not be given together with this package's), and it queues
//! above `sendWatermarks.high`; in acknowledged mode a throwing `tag` hands the message back (delivery through a
//! dropping server is tested from JS in tools/e2e/js-package), and what it throws is read safely (an iframe's error
//! keeps its name, a hostile `Proxy` cannot break out, the value is the `cause`); `isError`; dropping a client
//! closes its connection on the server; a message event's `origin` is the one the browser gives its own socket's,
//! for both clients. The same API as JS sees it, through the package wasm-pack builds, is tested in
//! tools/e2e/js-package.test.mjs.
#![cfg(all(target_arch = "wasm32", feature = "js"))]

use crate::common::{refused_url, server_sees_all_closed, server_stats, unique_tag, url, within};
use browser_ws::js::{is_error, ReconnectingWebSocketClient, WebSocketClient};
use js_sys::{Object, Promise, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

/// A JS object from JSON, as options.
pub(crate) fn object(json: &str) -> Option<JsValue> {
    Some(JSON::parse(json).expect("valid JSON"))
}

pub(crate) fn string(text: &str) -> JsValue {
    JsValue::from_str(text)
}

pub(crate) fn number(value: f64) -> JsValue {
    JsValue::from_f64(value)
}

/// A property of a JS value.
pub(crate) fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &string(key)).expect("an object")
}

/// Checks that `error` is an `Error` called `name` with a message, and returns it.
#[track_caller]
pub(crate) fn assert_named(error: &JsValue, name: &str) -> JsValue {
    assert!(
        error.is_instance_of::<js_sys::Error>(),
        "{error:?} is an Error"
    );
    assert_eq!(
        get(error, "name").as_string().as_deref(),
        Some(name),
        "{error:?}"
    );
    let message = get(error, "message").as_string().unwrap_or_default();
    assert!(!message.is_empty(), "{name} has a message");
    error.clone()
}

pub(crate) async fn connect(route: &str) -> WebSocketClient {
    within(
        "connect",
        WebSocketClient::connect(string(&url(route)), None),
    )
    .await
    .expect("connects")
}

pub(crate) async fn resolve(promise: Promise) -> Result<JsValue, JsValue> {
    within("a promise", JsFuture::from(promise)).await
}

#[wasm_bindgen_test]
async fn connect_send_iterate_close() {
    let client = connect("/echo").await;
    assert_eq!(client.ready_state(), 1);
    // "blob" by default, as in every browser.
    assert_eq!(client.binary_type(), "blob");
    client.set_binary_type(string("arraybuffer")).expect("set");
    let messages = client.messages(None).expect("an iterator");
    client.send(string("héllo")).expect("sent");
    client
        .send(js_sys::Uint8Array::from(&[1u8, 2, 3][..]).into())
        .expect("sent");
    let first = resolve(messages.next()).await.expect("a message");
    assert_eq!(get(&first, "value").as_string().as_deref(), Some("héllo"));
    assert_eq!(get(&first, "done").as_bool(), Some(false));
    let second = get(&resolve(messages.next()).await.expect("a message"), "value");
    let bytes = js_sys::Uint8Array::new(&second.dyn_into::<js_sys::ArrayBuffer>().expect("bytes"));
    assert_eq!(bytes.to_vec(), [1, 2, 3]);
    // A lone surrogate is not valid UTF-16: the browser sends U+FFFD in its place, as it does for raw JS.
    client
        .send(js_sys::JsString::from_char_code1(0xD800).into())
        .expect("sent");
    let third = get(&resolve(messages.next()).await.expect("a message"), "value");
    assert_eq!(third.as_string().as_deref(), Some("\u{FFFD}"));

    let closing = client
        .close(Some(number(4000.0)), Some(string("bye")))
        .expect("a valid close");
    let close: web_sys::CloseEvent = resolve(closing).await.expect("closed").unchecked_into();
    assert_eq!(
        (close.code(), close.reason(), close.was_clean()),
        (4000, "bye".to_owned(), true)
    );
    assert_eq!(client.ready_state(), 3);
    let end = resolve(messages.next()).await.expect("the end");
    assert_eq!(get(&end, "done").as_bool(), Some(true));
}

/// The first event that `add` registers the listener it is given for (a promise's `resolve`: later events
/// change nothing).
fn first_event(add: impl FnOnce(JsValue)) -> Promise {
    let mut resolve = JsValue::UNDEFINED;
    let promise = Promise::new(&mut |resolved, _| resolve = resolved.into());
    add(resolve);
    promise
}

#[wasm_bindgen_test]
async fn a_message_event_has_the_servers_origin() {
    let route = "/greet?text=hi";
    // What the browser sets on its own WebSocket's message events.
    let raw = web_sys::WebSocket::new(&url(route)).expect("a valid URL");
    let raw_message = first_event(|listener| {
        raw.add_event_listener_with_callback("message", listener.unchecked_ref())
            .expect("listens")
    });
    let origin = get(&resolve(raw_message).await.expect("a message"), "origin");
    let _ = raw.close();
    assert!(
        origin.as_string().is_some_and(|o| o.starts_with("ws")),
        "the browser's origin: {origin:?}"
    );

    let client = WebSocketClient::construct(string(&url(route)), None).expect("a valid URL");
    let add: js_sys::Function = get(&client, "addEventListener").unchecked_into();
    let message = first_event(|listener| {
        add.call2(&client, &string("message"), &listener)
            .expect("listens");
    });
    let event = resolve(message).await.expect("a message");
    assert_eq!(get(&event, "origin"), origin, "WebSocketClient");
    let close: js_sys::Function = get(&client, "close").unchecked_into();
    close.call0(&client).expect("closes");

    let reconnecting = ReconnectingWebSocketClient::new(string(&url(route)), None).expect("starts");
    let message = first_event(|listener| {
        reconnecting
            .add_event_listener(string("message"), listener, JsValue::UNDEFINED)
            .expect("listens")
    });
    let event = resolve(message).await.expect("a message");
    assert_eq!(get(&event, "origin"), origin, "ReconnectingWebSocketClient");
    resolve(reconnecting.close(None, None).expect("closes"))
        .await
        .expect("closed");
}

#[wasm_bindgen_test]
async fn bad_close_arguments_are_named_errors_and_change_nothing() {
    let client = connect("/echo").await;
    for code in [
        1005.0,
        1001.0,
        2999.0,
        5000.0,
        f64::NAN,
        -1.0,
        1.5,
        70000.0,
        f64::INFINITY,
    ] {
        let error = client.close(Some(number(code)), None).expect_err("refused");
        let error = assert_named(&error, "InvalidCloseCodeError");
        assert!(
            js_sys::Object::is(&get(&error, "code"), &number(code)),
            "the code as given: {code}"
        );
        assert!(is_error(&error, &string("InvalidCloseCodeError")));
    }
    let error = client
        .close(Some(string("1000")), None)
        .expect_err("refused");
    assert_named(&error, "TypeError");
    let error = client
        .close(None, Some(string(&"x".repeat(124))))
        .expect_err("refused");
    let error = assert_named(&error, "CloseReasonTooLongError");
    assert_eq!(get(&error, "byteLength").as_f64(), Some(124.0));
    assert_eq!(client.ready_state(), 1, "still open");
    // A close code of exactly 1000 and the longest reason go through.
    let closing = client
        .close(Some(number(1000.0)), Some(string(&"é".repeat(61))))
        .expect("valid");
    let close: web_sys::CloseEvent = resolve(closing).await.expect("closed").unchecked_into();
    assert_eq!(close.code(), 1000);
}

#[wasm_bindgen_test]
async fn connect_failures_are_named() {
    let refused = WebSocketClient::connect(string(refused_url()), None)
        .await
        .expect_err("refused");
    let refused = assert_named(&refused, "ConnectionClosedError");
    assert_eq!(get(&refused, "code").as_f64(), Some(1006.0));
    assert_eq!(get(&refused, "wasClean").as_bool(), Some(false));

    let invalid = WebSocketClient::connect(string("ftp://127.0.0.1/"), None)
        .await
        .expect_err("invalid");
    let invalid = assert_named(&invalid, "InvalidUrlError");
    assert_eq!(
        get(&invalid, "url").as_string().as_deref(),
        Some("ftp://127.0.0.1/")
    );

    let wrong = WebSocketClient::connect(number(42.0), None)
        .await
        .expect_err("not a URL");
    assert_named(&wrong, "TypeError");

    let timeout = WebSocketClient::connect(
        string(&url("/no-handshake")),
        object(r#"{"connectTimeout": 100}"#),
    )
    .await
    .expect_err("times out");
    let timeout = assert_named(&timeout, "ConnectTimeoutError");
    assert_eq!(get(&timeout, "timeout").as_f64(), Some(100.0));

    let negative =
        WebSocketClient::connect(string(&url("/echo")), object(r#"{"connectTimeout": -1}"#))
            .await
            .expect_err("refused");
    assert_named(&negative, "RangeError");
}

#[wasm_bindgen_test]
async fn send_checks_types_and_state() {
    let client = WebSocketClient::new(string(&url("/echo")), None).expect("connecting");
    assert_eq!(client.ready_state(), 0);
    let early = client.send(string("early")).expect_err("not open");
    let early = assert_named(&early, "NotOpenError");
    assert_eq!(get(&early, "readyState").as_f64(), Some(0.0));
    for wrong in [
        number(1.0),
        JsValue::NULL,
        JsValue::UNDEFINED,
        JsValue::TRUE,
    ] {
        assert_named(&client.send(wrong).expect_err("wrong type"), "TypeError");
    }
    assert_named(
        &client
            .set_binary_type(string("text"))
            .expect_err("wrong value"),
        "TypeError",
    );
}

#[wasm_bindgen_test]
async fn the_reconnecting_queue_never_drops_silently() {
    let client = ReconnectingWebSocketClient::new(
        string(refused_url()),
        object(r#"{"maxQueuedMessages": 1, "maxAttempts": 1}"#),
    )
    .expect("started");
    assert_eq!(client.send(string("a")).as_deref(), Ok("queued"));
    let full = client.send(string("b")).expect_err("full");
    let full = assert_named(&full, "QueueFullError");
    assert_eq!(get(&full, "data").as_string().as_deref(), Some("b"));
    assert_eq!(get(&full, "maxMessages").as_f64(), Some(1.0));
    resolve(client.finished()).await.expect("gave up");
    assert_eq!(client.state(), "gaveup");
    let unsent = client.take_unsent();
    assert_eq!(unsent.length(), 1);
    assert_eq!(unsent.get(0).as_string().as_deref(), Some("a"));
    let late = client.send(string("c")).expect_err("finished");
    assert_named(&late, "NotOpenError");
}

/// `{ tag, acknowledges }` as JS functions: messages go out as `id:data`, and an echoed `id:data` would
/// acknowledge `id`. `tag` throws a `RangeError` for `"bad"`.
fn acknowledgements() -> JsValue {
    let acks = js_sys::Object::new();
    let tag = js_sys::Function::new_with_args(
        "id, data",
        "if (data === 'bad') throw new RangeError('untaggable'); return id + ':' + data;",
    );
    let acknowledges = js_sys::Function::new_with_args(
        "data",
        "const id = Number(String(data).split(':')[0]); return id >= 1 ? id : null;",
    );
    Reflect::set(&acks, &string("tag"), &tag).expect("settable");
    Reflect::set(&acks, &string("acknowledges"), &acknowledges).expect("settable");
    acks.into()
}

#[wasm_bindgen_test]
async fn a_throwing_tag_hands_the_message_back() {
    let options = object(r#"{"maxAttempts": 1}"#).expect("options");
    Reflect::set(&options, &string("acknowledgements"), &acknowledgements()).expect("settable");
    let client =
        ReconnectingWebSocketClient::new(string(refused_url()), Some(options)).expect("started");
    assert_eq!(client.send(string("a")).as_deref(), Ok("queued"));
    let refused = client.send(string("bad")).expect_err("the tag throws");
    let refused = assert_named(&refused, "RangeError");
    assert_eq!(get(&refused, "data").as_string().as_deref(), Some("bad"));
    assert_eq!(client.send(string("b")).as_deref(), Ok("queued"));
    resolve(client.finished()).await.expect("gave up");
    let unsent: Vec<Option<String>> = client.take_unsent().iter().map(|m| m.as_string()).collect();
    assert_eq!(unsent, [Some("1:a".to_owned()), Some("2:b".to_owned())]);
}

/// What the caller's code throws is read for its `name` and `message` whatever it is: an error of another realm
/// (an iframe's `RangeError`, which is no `instanceof Error` here) keeps its name and message, and a `Proxy` whose
/// every read throws cannot break out of the reading. The thrown value is the error's `cause` either way.
#[wasm_bindgen_test]
async fn thrown_values_of_any_kind_are_read_safely() {
    let make = js_sys::Function::new_no_args(
        "const frame = document.createElement('iframe');
         document.body.appendChild(frame);
         const foreign = new frame.contentWindow.RangeError('from another realm');
         const hostile = new Proxy({}, { get() { throw new Error('read'); }, has() { throw new Error('has'); } });
         return [foreign, hostile, frame];",
    );
    let thrown: js_sys::Array = make.call0(&JsValue::NULL).expect("made").unchecked_into();
    let (foreign, hostile) = (thrown.get(0), thrown.get(1));
    // Removed at the end: some engines cut off the objects of a removed frame.
    let frame = thrown.get(2);
    assert!(
        !foreign.is_instance_of::<js_sys::Error>(),
        "of another realm"
    );
    let tag = js_sys::Function::new_with_args("id, data", "throw globalThis.__bwsThrown;");
    let acks = js_sys::Object::new();
    Reflect::set(&acks, &string("tag"), &tag).expect("settable");
    Reflect::set(
        &acks,
        &string("acknowledges"),
        &js_sys::Function::new_no_args("return null;"),
    )
    .expect("settable");
    let options = object(r#"{"maxAttempts": 1}"#).expect("options");
    Reflect::set(&options, &string("acknowledgements"), &acks).expect("settable");
    let client =
        ReconnectingWebSocketClient::new(string(refused_url()), Some(options)).expect("started");
    let global = js_sys::global();

    Reflect::set(&global, &string("__bwsThrown"), &foreign).expect("settable");
    let refused = client.send(string("a")).expect_err("the tag throws");
    let refused = assert_named(&refused, "RangeError");
    assert_eq!(
        get(&refused, "message").as_string().as_deref(),
        Some("from another realm")
    );
    assert!(
        Object::is(&get(&refused, "cause"), &foreign),
        "the thrown value is the cause"
    );

    Reflect::set(&global, &string("__bwsThrown"), &hostile).expect("settable");
    let refused = client.send(string("b")).expect_err("the tag throws");
    assert!(refused.is_instance_of::<js_sys::Error>(), "{refused:?}");
    assert_eq!(get(&refused, "name").as_string().as_deref(), Some("Error"));
    assert!(
        Object::is(&get(&refused, "cause"), &hostile),
        "the thrown value is the cause"
    );

    Reflect::delete_property(&global, &string("__bwsThrown")).expect("deletable");
    js_sys::Function::new_with_args("frame", "frame.remove();")
        .call1(&JsValue::NULL, &frame)
        .expect("removed");
    resolve(client.finished()).await.expect("gave up");
    assert_eq!(client.take_unsent().length(), 0, "nothing was queued");
}

#[wasm_bindgen_test]
async fn the_reconnecting_client_queues_above_its_send_watermark() {
    let client = ReconnectingWebSocketClient::new(
        string(&url("/echo")),
        object(r#"{"sendWatermarks": {"high": 1024, "low": 0}, "receiveQueue": {"capacity": 8}}"#),
    )
    .expect("started");
    let opened = first_event(|listener| {
        client
            .add_event_listener(
                string("open"),
                listener,
                object(r#"{"once": true}"#).expect("JSON"),
            )
            .expect("listens")
    });
    resolve(opened).await.expect("opens");
    let big: JsValue = js_sys::Uint8Array::new_with_length(64 << 10).into();
    assert_eq!(client.send(big).as_deref(), Ok("sent"));
    // 64 KiB in the browser's buffer, above the mark: the next message waits in the client's queue.
    assert_eq!(client.send(string("after")).as_deref(), Ok("queued"));
    let _ = client.close(None, None).expect("closes");
}

#[wasm_bindgen_test]
fn reconnecting_options_are_checked() {
    for (options, name) in [
        (r#"{"backoff": {"factor": 0.5}}"#, "RangeError"),
        (r#"{"backoff": {"jitter": 1.5}}"#, "RangeError"),
        (r#"{"maxAttempts": 0}"#, "RangeError"),
        (r#"{"maxQueuedMessages": 2.5}"#, "RangeError"),
        (r#"{"heartbeat": {"interval": 10}}"#, "TypeError"),
        (r#"{"binaryType": "text"}"#, "TypeError"),
        (r#"{"protocols": [1]}"#, "TypeError"),
        (r#"{"acknowledgements": {}}"#, "TypeError"),
        (r#"{"receiveQueue": {"capacity": 0}}"#, "RangeError"),
        (r#"{"receiveQueue": {"overflow": "drop"}}"#, "TypeError"),
        (r#"{"sendWatermarks": {"high": -1}}"#, "RangeError"),
        (r#"{"sendWatermarks": {"low": 1.5}}"#, "RangeError"),
        (r#""fast""#, "TypeError"),
        // partysocket's and reconnecting-websocket's names are checked the same way, and may not be given
        // together with this package's name for the same setting.
        (r#"{"maxRetries": -1}"#, "RangeError"),
        (r#"{"maxRetries": 1.5}"#, "RangeError"),
        (r#"{"maxRetries": 1, "maxAttempts": 2}"#, "TypeError"),
        (r#"{"minReconnectionDelay": -1}"#, "RangeError"),
        (
            r#"{"minReconnectionDelay": 5, "backoff": {"initialDelay": 5}}"#,
            "TypeError",
        ),
        (
            r#"{"maxReconnectionDelay": 5, "backoff": {"maxDelay": 5}}"#,
            "TypeError",
        ),
        (r#"{"reconnectionDelayGrowFactor": 0.5}"#, "RangeError"),
        (r#"{"connectionTimeout": -1}"#, "RangeError"),
        (
            r#"{"connectionTimeout": 5, "connectTimeout": 5}"#,
            "TypeError",
        ),
        (r#"{"maxEnqueuedMessages": 0}"#, "RangeError"),
        (
            r#"{"maxEnqueuedMessages": 5, "maxQueuedMessages": 5}"#,
            "TypeError",
        ),
        (r#"{"debug": 1}"#, "TypeError"),
    ] {
        let error = ReconnectingWebSocketClient::new(string(&url("/echo")), object(options))
            .expect_err(options);
        assert_named(&error, name);
    }
}

#[wasm_bindgen_test]
fn is_error_checks_class_and_name() {
    let error: JsValue = js_sys::Error::new("x").into();
    Reflect::set(&error, &string("name"), &string("GaveUpError")).expect("settable");
    assert!(is_error(&error, &string("GaveUpError")));
    assert!(!is_error(&error, &string("QueueFullError")));
    assert!(!is_error(&string("GaveUpError"), &string("GaveUpError")));
    assert!(!is_error(&error, &number(1.0)));
}

#[wasm_bindgen_test]
async fn dropping_a_client_closes_its_connection() {
    let tag = &unique_tag("js-api-drop");
    let client = connect(&format!("/echo?tag={tag}")).await;
    assert_eq!(server_stats(tag).await.0, 1);
    drop(client);
    server_sees_all_closed(tag).await;
    // And a dropped reconnecting client stops.
    let client = ReconnectingWebSocketClient::new(string(&url(&format!("/echo?tag={tag}"))), None)
        .expect("started");
    let finished = client.finished();
    // Open, not only counted by the server (which counts before its handshake reply reaches the browser): a
    // connection dropped while the handshake is under way is one Firefox keeps for over 10 s.
    crate::common::until("the client to open", || client.ready_state() == 1).await;
    drop(client);
    resolve(finished).await.expect("finished");
    server_sees_all_closed(tag).await;
}
