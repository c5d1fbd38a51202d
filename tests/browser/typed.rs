//! Typed messages (feature `typed`) against the echo server's `/echo` and `/rpc` routes.
//!
//! Covers: a typed connection sends and receives structs as JSON; a message that does not decode is a `Decode`
//! error carrying the raw message and the stream goes on; a typed `Sender`/`Receiver` pair after `split()`; a typed
//! reconnecting client; JSON-RPC calls (result decoded, a JSON-RPC error reply as `Error::Rpc`, a result of the
//! wrong shape as `Decode`); server notifications, non-JSON-RPC messages and stray replies reported in the
//! notification stream; a malformed reply (both `result` and `error`) fails its request at once; a request timeout,
//! and its late reply reported as an unknown id; the bound on requests awaiting a reply; requests failed with the
//! close event (not hung) when the connection drops, and later ones too; over a reconnecting client, requests in
//! flight failed by the drop (one that waited in the client's queue behind the high-water mark too) and a request
//! after it answered on the next connection, and once the client gave up every request fails with `GaveUp`; two
//! notification views waiting at once are both woken; dropping the last `RpcClient` closes the connection; the
//! server's requests come with their id and are answered with a result or an error object carrying it back
//! (a string, a number, `null`), a notification takes no reply, and a reply fails once closed; over a
//! reconnecting client a reply goes only to the connection that asked (refused after a reconnect); a request
//! a full notification queue drops is answered with error -32603.

use std::time::Duration;

use crate::common::{sleep, until, url, within};
use browser_ws::reconnect::{Backoff, ReconnectingClient};
use browser_ws::typed::{Notification, RpcClient, TypedExt, Undecoded};
use browser_ws::{connect, CloseCode, Error, Message, ReadyState};
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wasm_bindgen_test::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Point {
    x: i32,
    y: i32,
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// A reconnecting client's backoff for these tests: 50 ms between attempts, always.
fn quick_retry() -> Backoff {
    Backoff {
        initial: ms(50),
        max: ms(50),
        factor: 1.0,
        jitter: 0.0,
    }
}

#[wasm_bindgen_test]
async fn a_typed_connection_sends_and_receives_structs() {
    let mut points = connect(&url("/echo"))
        .await
        .unwrap()
        .typed::<Point, Point>();
    points.send(Point { x: 1, y: -2 }).await.unwrap();
    let echoed = within("the echo", points.next()).await;
    assert_eq!(echoed, Some(Ok(Point { x: 1, y: -2 })));
    // What went over the wire is JSON text.
    points
        .get_mut()
        .send(Message::json(&json!({"x": 5, "y": 6})).unwrap())
        .await
        .unwrap();
    assert_eq!(
        within("the echo", points.next()).await,
        Some(Ok(Point { x: 5, y: 6 }))
    );
}

#[wasm_bindgen_test]
async fn a_message_that_does_not_decode_is_reported_with_the_message_and_the_stream_goes_on() {
    let mut points = connect(&url("/echo"))
        .await
        .unwrap()
        .typed::<Point, Point>();
    points
        .get_mut()
        .send(Message::text("not json"))
        .await
        .unwrap();
    points
        .get_mut()
        .send(Message::binary(*br#"{"x":1}"#))
        .await
        .unwrap();
    points.send(Point { x: 3, y: 4 }).await.unwrap();
    match within("the first echo", points.next()).await {
        Some(Err(Error::Decode { raw, .. })) => {
            assert_eq!(raw, Undecoded::Text("not json".into()));
            assert_eq!(raw.into_message(), Some(Message::text("not json")));
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    match within("the second echo", points.next()).await {
        Some(Err(Error::Decode { raw, message })) => {
            assert_eq!(raw, Undecoded::Binary(br#"{"x":1}"#.to_vec()));
            assert!(message.contains('y'), "{message}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(
        within("the third echo", points.next()).await,
        Some(Ok(Point { x: 3, y: 4 }))
    );
}

#[wasm_bindgen_test]
async fn typed_halves_after_split() {
    let (sender, receiver, handle) = connect(&url("/echo")).await.unwrap().split();
    let mut sender = sender.typed::<(), Vec<String>>();
    let mut receiver = receiver.typed::<Vec<String>, ()>();
    sender.send(vec!["a".into(), "b".into()]).await.unwrap();
    assert_eq!(
        within("the echo", receiver.next()).await,
        Some(Ok(vec!["a".to_owned(), "b".to_owned()]))
    );
    handle.close().unwrap();
    assert_eq!(within("the end", receiver.next()).await, None);
}

#[wasm_bindgen_test]
async fn a_typed_reconnecting_client() {
    let mut client = ReconnectingClient::new(&url("/echo")).typed::<Point, Point>();
    client.send(Point { x: 7, y: 8 }).await.unwrap();
    assert_eq!(
        within("the echo", client.next()).await,
        Some(Ok(Point { x: 7, y: 8 }))
    );
    client.get_ref().handle().close().unwrap();
}

async fn rpc() -> RpcClient {
    RpcClient::new(connect(&url("/rpc")).await.unwrap())
}

#[wasm_bindgen_test]
async fn rpc_calls_decode_results_and_report_errors() {
    let rpc = rpc().await;
    let sum: i64 = within("add", rpc.call("add", &[1, 2, 3])).await.unwrap();
    assert_eq!(sum, 6);
    let point: Point = within("echo", rpc.call("echo", &Point { x: 1, y: 2 }))
        .await
        .unwrap();
    assert_eq!(point, Point { x: 1, y: 2 });
    let missing = within("nope", rpc.call::<_, Value>("nope", &())).await;
    assert_eq!(
        missing,
        Err(Error::Rpc {
            code: -32601,
            message: "Method not found".into(),
            data: None
        })
    );
    let wrong_shape = within("add", rpc.call::<_, Point>("add", &[1, 2])).await;
    assert!(
        matches!(&wrong_shape, Err(Error::Decode { raw: Undecoded::Text(raw), .. }) if raw == "3"),
        "{wrong_shape:?}"
    );
    assert_eq!(rpc.pending_requests(), 0);
}

#[wasm_bindgen_test]
async fn notifications_non_rpc_messages_and_stray_replies_are_reported() {
    let rpc = rpc().await;
    let mut notifications = rpc.notifications();
    let params = json!({"method": "tick", "params": {"n": 1}, "count": 2});
    within("notify", rpc.call::<_, ()>("notify", &params))
        .await
        .unwrap();
    for _ in 0..2 {
        let notification = within("a notification", notifications.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(notification.method, "tick");
        assert_eq!(notification.params, json!({"n": 1}));
        assert_eq!(notification.id, None, "a notification, not a request");
    }
    within("garbage", rpc.call::<_, ()>("garbage", &()))
        .await
        .unwrap();
    assert_eq!(
        within("the report", notifications.next()).await,
        Some(Err(Error::Decode {
            raw: Undecoded::Text("not json".into()),
            message: "expected ident at line 1 column 2".into()
        }))
    );
    within("stray", rpc.call::<_, ()>("stray", &json!({"id": 9999})))
        .await
        .unwrap();
    match within("the report", notifications.next()).await {
        Some(Err(Error::UnknownReply { id, raw })) => {
            assert_eq!(id, Some(9999));
            assert!(raw.contains("\"stray\""), "{raw}");
        }
        other => panic!("expected an unknown reply, got {other:?}"),
    }
    rpc.notify("ignored", &()).unwrap();
}

/// Has the server ask (`ask` on `/rpc`) `add [1, 2]` with request id `id`, answers it as `answer` says, and
/// returns the reply the server got, whole, and the request.
async fn asked(
    rpc: &RpcClient,
    id: Value,
    answer: impl FnOnce(&RpcClient, &Notification) -> Result<(), Error>,
) -> (Value, Notification) {
    let mut notifications = rpc.notifications();
    let params = json!({"method": "add", "params": [1, 2], "id": id});
    let asking = rpc.call::<_, Value>("ask", &params);
    let answering = async {
        let request = notifications.next().await.unwrap().unwrap();
        assert_eq!(
            (request.method.as_str(), &request.params, &request.id),
            ("add", &json!([1, 2]), &Some(id))
        );
        answer(rpc, &request).unwrap();
        request
    };
    let (reply, request) = within("the server's request", async {
        futures::join!(asking, answering)
    })
    .await;
    (reply.unwrap(), request)
}

#[wasm_bindgen_test]
async fn the_server_s_requests_are_answered_with_their_id() {
    let rpc = rpc().await;
    let (reply, request) = asked(&rpc, json!("q-1"), |rpc, request| rpc.reply(request, &3)).await;
    assert_eq!(reply, json!({"jsonrpc": "2.0", "id": "q-1", "result": 3}));
    let data = Some(json!({"why": "busy"}));
    let (reply, _) = asked(&rpc, json!(7), |rpc, request| {
        rpc.reply_error(request, -32000, "no", data)
    })
    .await;
    assert_eq!(
        reply,
        json!({"jsonrpc": "2.0", "id": 7, "error": {"code": -32000, "message": "no", "data": {"why": "busy"}}})
    );
    let (reply, _) = asked(&rpc, Value::Null, |rpc, request| rpc.reply(request, &())).await;
    assert_eq!(reply, json!({"jsonrpc": "2.0", "id": null, "result": null}));

    let mut notifications = rpc.notifications();
    let tick = json!({"method": "tick"});
    within("notify", rpc.call::<_, ()>("notify", &tick))
        .await
        .unwrap();
    let notification = within("a notification", notifications.next())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(rpc.reply(&notification, &1), Err(Error::Encode { .. })),
        "a notification takes no reply"
    );
    rpc.close().unwrap();
    assert_eq!(within("the end", rpc.notifications().next()).await, None);
    assert!(
        matches!(rpc.reply(&request, &()), Err(Error::Closed(_))),
        "once closed, a reply fails with the close"
    );
}

#[wasm_bindgen_test]
async fn a_request_the_full_queue_drops_is_answered_with_an_error() {
    let connection = connect(&url("/rpc")).await.unwrap();
    let rpc = RpcClient::builder().notification_queue(1).over(connection);
    let mut notifications = rpc.notifications();
    let (params_a, params_b) = (
        json!({"method": "add", "id": "a"}),
        json!({"method": "add", "id": "b"}),
    );
    // Two requests of the server's and nobody reading until the second has pushed the first out.
    let first = rpc.call::<_, Value>("ask", &params_a);
    let second = rpc.call::<_, Value>("ask", &params_b);
    let answering = async {
        until("the first dropped", || rpc.dropped_notifications() == 1).await;
        let request = notifications.next().await.unwrap().unwrap();
        assert_eq!(request.id, Some(json!("b")));
        rpc.reply(&request, &"answered").unwrap();
    };
    let (first, second, ()) = within("two requests", async {
        futures::join!(first, second, answering)
    })
    .await;
    assert_eq!(
        first.unwrap(),
        json!({"jsonrpc": "2.0", "id": "a", "error": {
            "code": -32603,
            "message": "request dropped: the client's notification queue was full"
        }}),
        "answered for the client, so the server does not wait"
    );
    assert_eq!(second.unwrap()["result"], json!("answered"));
    rpc.close().unwrap();
}

#[wasm_bindgen_test]
async fn over_a_reconnecting_client_a_reply_goes_only_to_the_connection_that_asked() {
    let client = ReconnectingClient::builder(&url("/rpc"))
        .backoff(quick_retry())
        .start();
    let handle = client.handle().clone();
    let rpc = RpcClient::builder().over_reconnecting(client);
    let (reply, _) = asked(&rpc, json!(2), |rpc, request| rpc.reply(request, &"yes")).await;
    assert_eq!(reply, json!({"jsonrpc": "2.0", "id": 2, "result": "yes"}));

    // A request left unanswered while the client reconnects: the next server did not ask it.
    let mut notifications = rpc.notifications();
    let params = json!({"method": "add", "id": 3});
    let asking = rpc.call::<_, Value>("ask", &params);
    let reconnecting = async {
        let request = notifications.next().await.unwrap().unwrap();
        handle.reconnect().unwrap();
        request
    };
    let (failed, request) = within("a request, then a reconnect", async {
        futures::join!(asking, reconnecting)
    })
    .await;
    assert!(
        failed.is_err(),
        "the ask failed with its connection: {failed:?}"
    );
    until("reconnected", || handle.is_open()).await;
    assert_eq!(
        rpc.reply(&request, &"late"),
        Err(Error::NotOpen(ReadyState::Closed)),
        "not sent to a server that did not ask"
    );
    let (reply, _) = asked(&rpc, json!(4), |rpc, request| rpc.reply(request, &"again")).await;
    assert_eq!(reply, json!({"jsonrpc": "2.0", "id": 4, "result": "again"}));
    rpc.close().unwrap();
}

#[wasm_bindgen_test]
async fn a_malformed_reply_fails_its_request_at_once() {
    let rpc = rpc().await;
    // Both `result` and `error` (JSON-RPC 1.0's shape): not a reply, but it names the request that waits.
    match within("the malformed reply", rpc.call::<_, i64>("malformed", &())).await {
        Err(Error::Decode {
            raw: Undecoded::Text(raw),
            ..
        }) => assert!(raw.contains(r#""result":1"#), "{raw}"),
        other => panic!("expected a Decode error, got {other:?}"),
    }
    assert_eq!(rpc.pending_requests(), 0);
    assert_eq!(
        within("add", rpc.call::<_, i64>("add", &[2, 2])).await,
        Ok(4),
        "the connection goes on"
    );
}

#[wasm_bindgen_test]
async fn a_request_times_out_and_its_late_reply_is_an_unknown_id() {
    let rpc = rpc().await;
    let mut notifications = rpc.notifications();
    // The reply is due 2 s after the 50 ms timeout: on a loaded machine a page can stall for a while, and a reply
    // already received when it resumes is taken before the timer (which is right, and would fail this test).
    let late = within(
        "the timeout",
        rpc.call_with_timeout::<_, Value>("sleep", &json!({"ms": 2000, "value": 1}), ms(50)),
    )
    .await;
    let Err(Error::RequestTimeout { id, after }) = late else {
        panic!("expected a timeout, got {late:?}");
    };
    assert_eq!(after, ms(50));
    assert_eq!(
        rpc.pending_requests(),
        0,
        "a timed-out request is forgotten"
    );
    match within("the late reply", notifications.next()).await {
        Some(Err(Error::UnknownReply { id: late_id, .. })) => assert_eq!(late_id, Some(id)),
        other => panic!("expected an unknown reply, got {other:?}"),
    }
    // The connection still serves.
    assert_eq!(
        within("add", rpc.call::<_, i64>("add", &[2, 2])).await,
        Ok(4)
    );
}

#[wasm_bindgen_test]
async fn requests_awaiting_a_reply_are_bounded() {
    let connection = connect(&url("/rpc")).await.unwrap();
    let rpc = RpcClient::builder().max_pending(2).over(connection);
    // Checked below: a panic in a spawned task would not fail the test.
    let slept = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    for _ in 0..2 {
        let (rpc, slept) = (rpc.clone(), slept.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let reply = rpc
                .call::<_, u8>("sleep", &json!({"ms": 2000, "value": 1}))
                .await;
            slept.borrow_mut().push(reply);
        });
    }
    until("two requests pending", || rpc.pending_requests() == 2).await;
    assert_eq!(
        rpc.call::<_, i64>("add", &[1]).await,
        Err(Error::TooManyRequests { limit: 2 })
    );
    until("the replies", || slept.borrow().len() == 2).await;
    assert_eq!(*slept.borrow(), [Ok(1), Ok(1)]);
    assert_eq!(rpc.pending_requests(), 0);
    assert_eq!(within("add", rpc.call::<_, i64>("add", &[1])).await, Ok(1));
}

/// A request waiting 5 s for its reply and one that makes the server drop the connection: both fail with the
/// same unclean close (1006), which is returned.
async fn sleep_and_drop(rpc: &RpcClient) -> Result<Value, Error> {
    let (slept, dropped) = within(
        "the failures",
        futures::future::join(
            rpc.call::<_, Value>("sleep", &json!({"ms": 5000})),
            rpc.call::<_, Value>("drop", &()),
        ),
    )
    .await;
    let Err(Error::Closed(close)) = &slept else {
        panic!("expected the close event, got {slept:?}");
    };
    assert_eq!(close.code, CloseCode::ABNORMAL_CLOSURE);
    assert!(!close.was_clean);
    assert_eq!(dropped, slept);
    slept
}

#[wasm_bindgen_test]
async fn requests_fail_with_the_close_event_when_the_connection_drops() {
    let rpc = rpc().await;
    let mut notifications = rpc.notifications();
    let slept = sleep_and_drop(&rpc).await;
    assert_eq!(
        rpc.call::<_, Value>("echo", &1).await,
        slept,
        "and later ones"
    );
    assert_eq!(within("the end", notifications.next()).await, None);
}

#[wasm_bindgen_test]
async fn over_a_reconnecting_client_the_drop_fails_requests_in_flight_and_the_next_connection_answers(
) {
    let client = ReconnectingClient::builder(&url("/rpc"))
        .backoff(quick_retry())
        .start();
    let handle = client.handle().clone();
    let rpc = RpcClient::builder().over_reconnecting(client);
    assert_eq!(
        within("add", rpc.call::<_, i64>("add", &[1, 1])).await,
        Ok(2)
    );
    let _closed = sleep_and_drop(&rpc).await;
    // Sent at once or queued until the next connection opens; answered there.
    assert_eq!(
        within("add", rpc.call::<_, i64>("add", &[2, 3])).await,
        Ok(5)
    );
    rpc.close().unwrap();
    until("closed", || handle.state().is_final()).await;
    assert_eq!(
        rpc.call::<_, i64>("add", &[1]).await,
        Err(Error::NotOpen(ReadyState::Closed))
    );
}

#[wasm_bindgen_test]
async fn a_request_queued_behind_the_high_water_mark_fails_when_its_connection_drops() {
    let client = ReconnectingClient::builder(&url("/rpc"))
        .send_watermarks(1, 0)
        .backoff(quick_retry())
        .start();
    let handle = client.handle().clone();
    let rpc = RpcClient::builder().over_reconnecting(client);
    assert_eq!(
        within("add", rpc.call::<_, i64>("add", &[1, 1])).await,
        Ok(2)
    );
    // The notification fills the browser's buffer past 1 byte, so the request waits in the client's queue
    // until it drains, and goes out on this connection; the server drops it before answering.
    rpc.notify("ignored", &"x".repeat(64 << 10)).unwrap();
    let params = json!({"ms": 5000, "value": 1});
    let mut slow = Box::pin(rpc.call::<_, i64>("sleep", &params));
    assert!(futures::poll!(slow.as_mut()).is_pending());
    assert_eq!(
        handle.unsent_messages(),
        1,
        "the request waits in the client's queue"
    );
    let dropped = async {
        sleep(ms(300)).await;
        rpc.call::<_, ()>("drop", &()).await
    };
    let (slow, dropped) = within("the drop", futures::future::join(slow, dropped)).await;
    for outcome in [slow.map(|_| ()), dropped] {
        assert!(
            matches!(&outcome, Err(Error::Closed(close)) if close.code == CloseCode::ABNORMAL_CLOSURE),
            "failed by the drop, not left to time out: {outcome:?}"
        );
    }
    rpc.close().unwrap();
}

#[wasm_bindgen_test]
async fn every_notifications_view_is_woken() {
    use futures::channel::oneshot;
    let rpc = rpc().await;
    // A view waiting in another task, registered first: it takes one notification, then (once told) the end.
    let mut other = rpc.notifications();
    let (took, taken) = oneshot::channel();
    let (go_on, told) = oneshot::channel::<()>();
    let (ended, end) = oneshot::channel();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = took.send(other.next().await.map(|item| item.map(|n| n.method)));
        let _ = told.await;
        let _ = ended.send(other.next().await.is_none());
    });
    sleep(ms(50)).await;
    // And one in this task: each of the two notifications reaches one of them, and the end reaches both.
    let mut mine = rpc.notifications();
    let params = json!({"method": "tick", "params": [], "count": 2});
    let (notified, item) = within(
        "a notification",
        futures::future::join(rpc.call::<_, ()>("notify", &params), mine.next()),
    )
    .await;
    notified.unwrap();
    assert_eq!(item.expect("one").expect("ok").method, "tick");
    assert_eq!(
        within("the other view's notification", taken).await,
        Ok(Some(Ok("tick".to_owned())))
    );
    rpc.close().unwrap();
    let _ = go_on.send(());
    assert_eq!(within("the end", mine.next()).await, None);
    assert_eq!(within("the other view's end", end).await, Ok(true));
}

#[wasm_bindgen_test]
async fn after_the_reconnecting_client_gave_up_requests_fail_with_gave_up() {
    let client = ReconnectingClient::builder(crate::common::refused_url())
        .max_attempts(Some(1))
        .start();
    let handle = client.handle().clone();
    let rpc = RpcClient::builder().over_reconnecting(client);
    let waiting = rpc.call::<_, i64>("add", &[1]);
    assert_eq!(within("the give-up", waiting).await, Err(Error::GaveUp));
    until("given up", || handle.state().is_final()).await;
    let mut notifications = rpc.notifications();
    assert_eq!(within("the end", notifications.next()).await, None);
    assert_eq!(
        rpc.call::<_, i64>("add", &[1]).await,
        Err(Error::GaveUp),
        "a later request says why"
    );
}

#[wasm_bindgen_test]
async fn dropping_the_last_rpc_client_closes_the_connection() {
    let connection = connect(&url("/rpc")).await.unwrap();
    let handle = connection.handle().clone();
    let rpc = RpcClient::new(connection);
    assert_eq!(within("add", rpc.call::<_, i64>("add", &[1])).await, Ok(1));
    drop(rpc);
    within("the close", handle.closed()).await;
}
