//! The JSON parts of the JS API (`js` feature), called through their Rust signatures
//! with the `JsValue`s JS would pass, against `/echo` and `/rpc`.
//!
//! Covers: `sendJson` on both clients sends `JSON.stringify`'s text, rethrows what it throws (a `BigInt`, a
//! throwing `toJSON`) and refuses a value with no JSON form (`TypeError`); `JsonRpcClient.request` resolves with
//! the result, rejects with a named `RpcError` (`code`), `RequestTimeoutError` (`id`, `timeout`),
//! `TooManyRequestsError` (`limit`) over `maxPending`, `signal.reason` on an abort (at once for a signal already
//! aborted, also one aborted right after the call, and a script-dispatched `abort` event is ignored), `TypeError`
//! for bad arguments, and `ConnectionClosedError` (1006) for every request waiting when the connection drops;
//! `notification` and `unexpected` events (a late reply as `UnknownReplyError` with its `id`); `notify`;
//! `pendingRequests`; the server's requests (`detail.id`) answered from the event with `reply` and `replyError`,
//! (a string, a number, a `null` id), whose bad arguments throw `TypeError`, and which throws `NotOpenError` once
//! closing.
#![cfg(all(target_arch = "wasm32", feature = "js"))]

use std::cell::RefCell;
use std::rc::Rc;

use crate::common::{until, url, within};
use crate::js_api::{assert_named, connect, get, object, resolve, string};
use browser_ws::js::{JsonRpcClient, ReconnectingWebSocketClient};
use js_sys::{Function, Promise, Reflect, JSON};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

fn json(text: &str) -> JsValue {
    JSON::parse(text).expect("valid JSON")
}

fn stringify(value: &JsValue) -> String {
    JSON::stringify(value).expect("JSON").into()
}

#[wasm_bindgen_test]
async fn send_json_sends_json_text_and_rethrows_what_stringify_throws() {
    let client = connect("/echo").await;
    let messages = client.messages(None).expect("an iterator");
    client.send_json(json(r#"{"a":[1,"é"]}"#)).expect("sent");
    let echoed = get(&resolve(messages.next()).await.expect("a message"), "value");
    assert_eq!(echoed.as_string().as_deref(), Some(r#"{"a":[1,"é"]}"#));

    let big = client
        .send_json(js_sys::BigInt::from(1u64).into())
        .expect_err("a BigInt");
    assert_named(&big, "TypeError");
    let hostile = js_sys::Object::new();
    let to_json = Function::new_no_args("throw new RangeError('mine')");
    Reflect::set(&hostile, &string("toJSON"), &to_json).expect("set");
    let thrown = client.send_json(hostile.into()).expect_err("toJSON throws");
    assert_named(&thrown, "RangeError");
    assert_eq!(get(&thrown, "message").as_string().as_deref(), Some("mine"));
    assert_named(
        &client
            .send_json(JsValue::UNDEFINED)
            .expect_err("no JSON form"),
        "TypeError",
    );

    let reconnecting =
        ReconnectingWebSocketClient::new(string(&url("/echo")), None).expect("started");
    assert_eq!(reconnecting.send_json(json("[1]")).as_deref(), Ok("queued"));
    let _ = reconnecting.close(None, None);
}

async fn rpc(options: &str) -> JsonRpcClient {
    within(
        "connect",
        JsonRpcClient::connect(string(&url("/rpc")), object(options)),
    )
    .await
    .expect("connects")
}

fn request(rpc: &JsonRpcClient, method: &str, params: &str, options: Option<JsValue>) -> Promise {
    rpc.request(string(method), Some(json(params)), options)
}

/// The `detail`s of the events seen.
type Details = Rc<RefCell<Vec<JsValue>>>;

/// Records the `detail` of every event of `event_type`.
fn record(
    rpc: &JsonRpcClient,
    event_type: &str,
) -> (Details, Closure<dyn FnMut(web_sys::CustomEvent)>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let into = seen.clone();
    let listener =
        Closure::new(move |event: web_sys::CustomEvent| into.borrow_mut().push(event.detail()));
    rpc.add_event_listener(&string(event_type), listener.as_ref(), &JsValue::UNDEFINED)
        .expect("listening");
    (seen, listener)
}

#[wasm_bindgen_test]
async fn requests_resolve_with_results_and_reject_with_named_errors() {
    let rpc = rpc(r#"{"timeout": 5000}"#).await;
    let (notifications, _n) = record(&rpc, "notification");
    let (unexpected, _u) = record(&rpc, "unexpected");

    let sum = resolve(request(&rpc, "add", "[1, 2]", None))
        .await
        .expect("a sum");
    assert_eq!(sum.as_f64(), Some(3.0));
    let echoed = resolve(request(&rpc, "echo", r#"{"a":{"b":[true,null]}}"#, None))
        .await
        .expect("an echo");
    assert_eq!(stringify(&echoed), r#"{"a":{"b":[true,null]}}"#);

    let missing = resolve(request(&rpc, "nope", "null", None))
        .await
        .expect_err("no method");
    let missing = assert_named(&missing, "RpcError");
    assert_eq!(get(&missing, "code").as_f64(), Some(-32601.0));

    // Far apart, as in tests/browser/typed.rs: a stalled page takes a reply already received before the timer.
    let late = resolve(request(
        &rpc,
        "sleep",
        r#"{"ms": 2000}"#,
        object(r#"{"timeout": 50}"#),
    ))
    .await
    .expect_err("a timeout");
    let late = assert_named(&late, "RequestTimeoutError");
    assert_eq!(get(&late, "timeout").as_f64(), Some(50.0));
    let id = get(&late, "id");
    until("the late reply", || !unexpected.borrow().is_empty()).await;
    let report = get(&unexpected.borrow()[0], "error");
    assert_named(&report, "UnknownReplyError");
    assert_eq!(get(&report, "id"), id);

    let params = r#"{"method": "tick", "params": {"n": 1}}"#;
    resolve(request(&rpc, "notify", params, None))
        .await
        .expect("notified");
    assert_eq!(notifications.borrow().len(), 1);
    let notification = notifications.borrow()[0].clone();
    assert_eq!(
        get(&notification, "method").as_string().as_deref(),
        Some("tick")
    );
    assert_eq!(stringify(&get(&notification, "params")), r#"{"n":1}"#);
    assert!(
        !Reflect::has(&notification, &string("id")).expect("an object"),
        "a notification has no id"
    );

    rpc.notify(string("ignored"), None).expect("sent");
    let bad = resolve(rpc.request(JsValue::from(1), None, None))
        .await
        .expect_err("a number");
    assert_named(&bad, "TypeError");
    let bad = resolve(request(&rpc, "echo", "1", object(r#"{"signal": 1}"#)))
        .await
        .expect_err("not a signal");
    assert_named(&bad, "TypeError");
    assert_eq!(rpc.pending_requests(), 0);
}

#[wasm_bindgen_test]
async fn the_server_s_requests_are_answered_from_the_notification_event() {
    let rpc = Rc::new(rpc("{}").await);
    // The listener answers as a page would: a result to a string id, no result to a null one, an error object
    // to a number.
    let answering = rpc.clone();
    let listener = Closure::<dyn FnMut(_)>::new(move |event: web_sys::CustomEvent| {
        let id = get(&event.detail(), "id");
        let answered = if id.is_string() {
            answering.reply(id, Some(json("[3]")))
        } else if id.is_null() {
            answering.reply(id, None)
        } else {
            let data = Some(json(r#"{"why":1}"#));
            answering.reply_error(id, JsValue::from(-32000), string("no"), data)
        };
        answered.expect("answered");
    });
    rpc.add_event_listener(
        &string("notification"),
        listener.as_ref(),
        &JsValue::UNDEFINED,
    )
    .expect("listening");
    let ask = |id: &str| {
        let params = format!(r#"{{"method": "add", "params": [1, 2], "id": {id}}}"#);
        resolve(request(&rpc, "ask", &params, None))
    };
    // The server's reply to `ask` is the client's answer, whole (serde_json sorts its keys).
    assert_eq!(
        stringify(&ask(r#""q""#).await.expect("answered")),
        r#"{"id":"q","jsonrpc":"2.0","result":[3]}"#
    );
    assert_eq!(
        stringify(&ask("7").await.expect("answered")),
        r#"{"error":{"code":-32000,"data":{"why":1},"message":"no"},"id":7,"jsonrpc":"2.0"}"#
    );
    assert_eq!(
        stringify(&ask("null").await.expect("answered")),
        r#"{"id":null,"jsonrpc":"2.0","result":null}"#
    );

    for id in [
        JsValue::UNDEFINED,
        js_sys::Object::new().into(),
        JsValue::from_f64(f64::NAN),
        JsValue::from_f64(f64::INFINITY),
    ] {
        assert_named(&rpc.reply(id, None).expect_err("not an id"), "TypeError");
    }
    let code = rpc.reply_error(JsValue::from(1), JsValue::from(1.5), string("m"), None);
    assert_named(&code.expect_err("not an integer"), "TypeError");
    let message = rpc.reply_error(JsValue::from(1), JsValue::from(1), JsValue::from(2), None);
    assert_named(&message.expect_err("not a string"), "TypeError");
    let result = rpc.reply(JsValue::from(1), Some(js_sys::BigInt::from(1u64).into()));
    assert_named(&result.expect_err("a BigInt"), "TypeError");
    rpc.close().expect("closing");
    let late = rpc.reply(JsValue::from(1), None).expect_err("closing");
    assert_named(&late, "NotOpenError");
}

#[wasm_bindgen_test]
async fn an_abort_rejects_with_the_reason_and_forgets_the_request() {
    let rpc = rpc("{}").await;
    let controller = web_sys::AbortController::new().expect("a controller");
    let options = js_sys::Object::new();
    Reflect::set(&options, &string("signal"), &controller.signal()).expect("set");
    let slow = request(
        &rpc,
        "sleep",
        r#"{"ms": 5000}"#,
        Some(options.clone().into()),
    );
    until("sent", || rpc.pending_requests() == 1).await;
    // A script-dispatched event is no abort.
    let fake = web_sys::Event::new("abort").expect("an event");
    controller
        .signal()
        .dispatch_event(&fake)
        .expect("dispatched");
    controller.abort_with_reason(&string("stop"));
    let reason = resolve(slow).await.expect_err("aborted");
    assert_eq!(reason.as_string().as_deref(), Some("stop"));
    assert_eq!(rpc.pending_requests(), 0);
    let again = resolve(request(&rpc, "echo", "1", Some(options.into())))
        .await
        .expect_err("already aborted");
    assert_eq!(again.as_string().as_deref(), Some("stop"));
    // Aborted in the same task as the call, before the request's own task first runs: nothing is sent.
    let controller = web_sys::AbortController::new().expect("a controller");
    let options = js_sys::Object::new();
    Reflect::set(&options, &string("signal"), &controller.signal()).expect("set");
    let at_once = request(&rpc, "sleep", r#"{"ms": 5000}"#, Some(options.into()));
    controller.abort_with_reason(&string("now"));
    let reason = resolve(at_once).await.expect_err("aborted");
    assert_eq!(reason.as_string().as_deref(), Some("now"));
    assert_eq!(rpc.pending_requests(), 0);
}

#[wasm_bindgen_test]
async fn max_pending_bounds_requests_and_a_drop_fails_every_waiting_one() {
    let rpc = rpc(r#"{"maxPending": 2}"#).await;
    let slow = request(&rpc, "sleep", r#"{"ms": 5000}"#, None);
    let dropping = request(&rpc, "drop", "null", None);
    let refused = resolve(request(&rpc, "echo", "1", None))
        .await
        .expect_err("over the limit");
    let refused = assert_named(&refused, "TooManyRequestsError");
    assert_eq!(get(&refused, "limit").as_f64(), Some(2.0));
    for pending in [slow, dropping] {
        let error = resolve(pending).await.expect_err("dropped");
        let error = assert_named(&error, "ConnectionClosedError");
        assert_eq!(get(&error, "code").as_f64(), Some(1006.0));
    }
    let after = resolve(request(&rpc, "echo", "1", None))
        .await
        .expect_err("closed");
    assert_named(&after, "ConnectionClosedError");
    assert!(rpc.notify(string("x"), None).is_err());
}
