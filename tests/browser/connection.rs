//! The async API: `connect().await`, `Stream`/`Sink`, `split()` with a handle, queues and backpressure.
//!
//! Every case runs under each transport the browser has (`common::transports`: the classic `WebSocket`, and
//! `WebSocketStream` in Chromium), where the meaning is the same; what only one transport does is in
//! `transport.rs`.
//!
//! Covers: connect resolves once open / fails with close 1006 when refused / fails with `InvalidUrl` at once; a
//! connect timeout fires against a server that never answers the handshake; dropping the connect future closes the
//! socket (the server sees the disconnect; in Firefox, which keeps that TCP connection open, the socket's `close()`
//! is seen called instead); the first message a server sends on accept is never lost; 1,000 sequence-numbered
//! messages echo in order; close after `split()` from the handle ends the stream cleanly and `closed()` resolves in
//! every part; a server close ends the stream with `None` (and `is_terminated` says so); an abrupt drop yields one
//! `Error::Closed` then `None` (`is_terminated` only after the `None`, as for `Fuse`); sending after close returns
//! the close error; send backpressure keeps `bufferedAmount` below the high-water mark plus one message while 64
//! MiB go through a slow reader with `send().await`, and `drained()` waits for it to empty; the receive bound with
//! both overflow policies (an overflow closes with 4429); Blob delivery as is and as bytes keeps arrival order with
//! mixed text and binary, and Blobs still being read when the server closes all come out before the end.

use std::time::Duration;

use crate::common::{
    blob_bytes, connect_over, each_transport, keeps_abandoned_handshakes_open, refused_url,
    server_sees_all_closed, server_stats, sleep, unique_tag, until, url, within,
};
use browser_ws::connection::{BinaryDelivery, Connection, Overflow, Transport};
use browser_ws::{ClientCloseCode, CloseCode, CloseEvent, Error, Message, ReadyState};
use futures::stream::FusedStream;
use futures::{SinkExt, StreamExt};
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
async fn connect_resolves_once_open() {
    each_transport(connect_resolves_once_open_over).await;
}

async fn connect_resolves_once_open_over(transport: Transport) {
    let connection = within("connect", connect_over(transport, &url("/echo")))
        .await
        .expect("connects");
    assert_eq!(connection.handle().ready_state(), ReadyState::Open);
    assert_eq!(connection.handle().url(), url("/echo"));
}

#[wasm_bindgen_test]
async fn connect_to_no_server_fails_with_1006() {
    each_transport(connect_to_no_server_fails_with_1006_over).await;
}

async fn connect_to_no_server_fails_with_1006_over(transport: Transport) {
    match within("connect", connect_over(transport, refused_url())).await {
        Err(Error::Closed(CloseEvent {
            code, was_clean, ..
        })) => {
            assert_eq!(code, CloseCode::ABNORMAL_CLOSURE);
            assert!(!was_clean);
        }
        other => panic!("expected a 1006 close, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn connect_to_a_bad_url_fails_at_once() {
    each_transport(connect_to_a_bad_url_fails_at_once_over).await;
}

async fn connect_to_a_bad_url_fails_at_once_over(transport: Transport) {
    assert!(matches!(
        connect_over(transport, "ftp://127.0.0.1/").await,
        Err(Error::InvalidUrl { .. })
    ));
    let bad_protocols = Connection::builder(&url("/echo"))
        .transport(transport)
        .protocols(&["a b"])
        .connect()
        .await;
    assert!(matches!(bad_protocols, Err(Error::InvalidProtocol { .. })));
}

#[wasm_bindgen_test]
async fn connect_timeout_fires_when_the_handshake_never_ends() {
    each_transport(connect_timeout_fires_when_the_handshake_never_ends_over).await;
}

async fn connect_timeout_fires_when_the_handshake_never_ends_over(transport: Transport) {
    let tag = unique_tag("timeout");
    let attempt = Connection::builder(&url(&format!("/no-handshake?tag={tag}")))
        .transport(transport)
        .connect_timeout(Duration::from_millis(300))
        .connect();
    let result = within("the connect timeout", attempt).await;
    assert_eq!(
        result.err(),
        Some(Error::ConnectTimeout {
            after: Duration::from_millis(300)
        })
    );
    if !keeps_abandoned_handshakes_open() {
        server_sees_all_closed(&tag).await;
    }
}

/// How many times `WebSocket.prototype.close` was called on this page, from the first call of this function on
/// (it wraps the method then, passing every call through).
fn close_calls() -> u32 {
    let count = js_sys::Function::new_no_args(
        "const proto = WebSocket.prototype;
         if (!Object.hasOwn(proto, '__closeCalls')) {
           const close = proto.close;
           let calls = 0;
           proto.close = function (...args) { calls += 1; return close.apply(this, args); };
           Object.defineProperty(proto, '__closeCalls', { get: () => calls });
         }
         return proto.__closeCalls;",
    );
    count
        .call0(&wasm_bindgen::JsValue::NULL)
        .ok()
        .and_then(|calls| calls.as_f64())
        .expect("a count") as u32
}

#[wasm_bindgen_test]
async fn dropping_the_connect_future_closes_the_socket() {
    each_transport(dropping_the_connect_future_closes_the_socket_over).await;
}

async fn dropping_the_connect_future_closes_the_socket_over(transport: Transport) {
    // Browsers let only one socket per host be in CONNECTING, so the server is asked only after the drop; had
    // the drop not abandoned the handshake, that question would never be answered. Chromium may also delay a
    // connection attempt after earlier failures: if the attempt had not reached the server before the drop,
    // try again with a longer wait.
    for wait in [300, 1000, 3000] {
        let tag = unique_tag("dropped-connect");
        let closes_before = close_calls();
        let attempt = connect_over(transport, &url(&format!("/no-handshake?tag={tag}")));
        sleep(Duration::from_millis(wait)).await;
        drop(attempt);
        if keeps_abandoned_handshakes_open() {
            // Firefox keeps an abandoned handshake's TCP connection open until the server ends it, so the
            // server cannot see the drop there: the client's side is checked instead (the classic socket's
            // `close()` was called; Firefox has no WebSocketStream).
            assert_eq!(
                close_calls(),
                closes_before + 1,
                "the drop closed the socket"
            );
            return;
        }
        server_sees_all_closed(&tag).await;
        match server_stats(&tag).await {
            (0, 0) => continue,
            stats => {
                assert_eq!(
                    stats,
                    (0, 1),
                    "the server saw exactly one connection, now closed"
                );
                return;
            }
        }
    }
    panic!("no connection attempt reached the server");
}

#[wasm_bindgen_test]
async fn the_first_message_after_open_is_never_lost() {
    each_transport(the_first_message_after_open_is_never_lost_over).await;
}

async fn the_first_message_after_open_is_never_lost_over(transport: Transport) {
    for _ in 0..20 {
        let mut connection = connect_over(transport, &url("/greet?text=first"))
            .await
            .expect("connects");
        assert_eq!(
            within("the greeting", connection.next()).await,
            Some(Ok(Message::text("first")))
        );
    }
}

#[wasm_bindgen_test]
async fn a_thousand_messages_echo_in_order() {
    each_transport(a_thousand_messages_echo_in_order_over).await;
}

async fn a_thousand_messages_echo_in_order_over(transport: Transport) {
    let (mut sender, mut receiver, _handle) = connect_over(transport, &url("/echo"))
        .await
        .expect("connects")
        .split();
    for i in 0..1000 {
        sender
            .feed(Message::text(format!("#{i}")))
            .await
            .expect("sends");
    }
    sender.flush().await.expect("flushes");
    for i in 0..1000 {
        let message = within("an echo", receiver.next()).await;
        assert_eq!(message, Some(Ok(Message::text(format!("#{i}")))));
    }
}

#[wasm_bindgen_test]
async fn close_after_split_from_the_handle_ends_the_stream_cleanly() {
    each_transport(close_after_split_from_the_handle_ends_the_stream_cleanly_over).await;
}

async fn close_after_split_from_the_handle_ends_the_stream_cleanly_over(transport: Transport) {
    let (mut sender, mut receiver, handle) = connect_over(transport, &url("/echo"))
        .await
        .expect("connects")
        .split();
    let other_handle = receiver.handle();
    sender
        .send(Message::text("before close"))
        .await
        .expect("sends");
    assert_eq!(
        receiver.next().await,
        Some(Ok(Message::text("before close")))
    );

    handle
        .close_with(ClientCloseCode::new(4000).expect("sendable"), "split")
        .expect("closes");
    assert_eq!(within("the end of the stream", receiver.next()).await, None);
    let expected = CloseEvent {
        code: CloseCode::from(4000),
        reason: "split".to_owned(),
        was_clean: true,
    };
    assert_eq!(other_handle.closed().await, expected);
    assert_eq!(sender.handle().close_event(), Some(expected.clone()));
    assert_eq!(receiver.next().await, None, "the stream stays ended");
    assert_eq!(
        sender.send(Message::text("late")).await,
        Err(Error::Closed(expected))
    );
}

#[wasm_bindgen_test]
async fn a_server_close_ends_the_stream_with_none() {
    each_transport(a_server_close_ends_the_stream_with_none_over).await;
}

async fn a_server_close_ends_the_stream_with_none_over(transport: Transport) {
    let mut connection = connect_over(transport, &url("/close?code=1000&reason=done"))
        .await
        .expect("connects");
    assert!(!connection.is_terminated());
    assert_eq!(within("the end", connection.next()).await, None);
    assert!(connection.is_terminated(), "a FusedStream knows it ended");
    let close = connection.handle().closed().await;
    assert_eq!(
        (close.code, close.reason.as_str(), close.was_clean),
        (CloseCode::NORMAL, "done", true)
    );
}

#[wasm_bindgen_test]
async fn an_abrupt_drop_yields_one_error_then_none() {
    each_transport(an_abrupt_drop_yields_one_error_then_none_over).await;
}

async fn an_abrupt_drop_yields_one_error_then_none_over(transport: Transport) {
    let mut connection = connect_over(transport, &url("/drop?after=1"))
        .await
        .expect("connects");
    connection
        .send(Message::text("last words"))
        .await
        .expect("sends");
    assert_eq!(
        connection.next().await,
        Some(Ok(Message::text("last words")))
    );
    match within("the error", connection.next()).await {
        Some(Err(Error::Closed(close))) => {
            assert_eq!(close.code, CloseCode::ABNORMAL_CLOSURE);
            assert!(!close.was_clean);
        }
        other => panic!("expected one Closed error, got {other:?}"),
    }
    // Not terminated until the `None`: a `select!` loop still gets to its `None => break`.
    assert!(!connection.is_terminated(), "the error, but no None yet");
    assert_eq!(connection.next().await, None);
    assert!(connection.is_terminated());
}

#[wasm_bindgen_test]
async fn backpressure_bounds_the_browser_buffer() {
    each_transport(backpressure_bounds_the_browser_buffer_over).await;
}

async fn backpressure_bounds_the_browser_buffer_over(transport: Transport) {
    const HIGH: u32 = 1 << 20;
    const LOW: u32 = 256 << 10;
    const MESSAGE: usize = 256 << 10;
    const TOTAL: usize = 64 << 20;
    let connection = Connection::builder(&url("/sink?ms=5"))
        .transport(transport)
        .send_watermarks(HIGH, LOW)
        .connect()
        .await
        .expect("connects");
    let (mut sender, _receiver, handle) = connection.split();
    let payload = vec![0x5a; MESSAGE];
    let mut most = 0;
    for _ in 0..TOTAL / MESSAGE {
        // `send` is `feed` then `flush`: poll_ready alone holds it back.
        sender
            .send(Message::binary(payload.clone()))
            .await
            .expect("sends");
        most = most.max(handle.buffered_amount());
    }
    assert!(
        most <= HIGH + MESSAGE as u32,
        "bufferedAmount reached {most}, above {HIGH} + one message"
    );
    assert!(
        most > LOW,
        "the slow reader never filled the buffer ({most}): the test proves nothing"
    );
    within("the drain", handle.drained()).await.expect("drains");
    assert_eq!(handle.buffered_amount(), 0);
}

#[wasm_bindgen_test]
async fn a_full_receive_queue_fails_the_connection_by_default() {
    each_transport(a_full_receive_queue_fails_the_connection_by_default_over).await;
}

async fn a_full_receive_queue_fails_the_connection_by_default_over(transport: Transport) {
    let mut connection = Connection::builder(&url("/burst?count=100&bytes=16"))
        .transport(transport)
        .receive_queue(10, Overflow::Fail)
        .connect()
        .await
        .expect("connects");
    // The burst arrives while nobody reads, until the eleventh message overflows the queue and closes the socket.
    until("the overflow", || {
        connection.handle().ready_state() != ReadyState::Open
    })
    .await;
    for i in 0..10 {
        let message = connection.next().await.expect("queued").expect("a message");
        assert!(message
            .as_text()
            .expect("text")
            .starts_with(&format!("{i}:")));
    }
    assert_eq!(
        connection.next().await,
        Some(Err(Error::ReceiveOverflow { capacity: 10 }))
    );
    assert_eq!(connection.next().await, None);
    let close = within("the close", connection.handle().closed()).await;
    assert_eq!(
        (close.code, close.reason.as_str()),
        (
            CloseCode::from(ClientCloseCode::RECEIVE_OVERFLOW),
            "receive queue full"
        ),
        "the server can tell an overflow from a normal close"
    );
}

#[wasm_bindgen_test]
async fn drop_oldest_keeps_the_newest_and_counts() {
    each_transport(drop_oldest_keeps_the_newest_and_counts_over).await;
}

async fn drop_oldest_keeps_the_newest_and_counts_over(transport: Transport) {
    let mut connection = Connection::builder(&url("/burst?count=100&bytes=16"))
        .transport(transport)
        .receive_queue(10, Overflow::DropOldest)
        .connect()
        .await
        .expect("connects");
    // Nothing is read until all 100 have arrived: the queue keeps 10 and drops 90, however long they take.
    until("the burst to arrive", || {
        connection.handle().dropped_messages() >= 90
    })
    .await;
    sleep(Duration::from_millis(50)).await;
    assert_eq!(connection.handle().dropped_messages(), 90);
    for i in 90..100 {
        let message = connection.next().await.expect("queued").expect("a message");
        assert!(message
            .as_text()
            .expect("text")
            .starts_with(&format!("{i}:")));
    }
    connection
        .send(Message::text("still open"))
        .await
        .expect("sends");
    assert_eq!(
        connection.next().await,
        Some(Ok(Message::text("still open")))
    );
}

fn mixed_messages() -> Vec<Message> {
    // Large binaries take longer to read than the small ones and the texts after them.
    (0..30)
        .map(|i| match i % 3 {
            0 => Message::binary(vec![i as u8; 2_000_000 / (i + 1)]),
            1 => Message::text(format!("text {i}")),
            _ => Message::binary(vec![i as u8; 3]),
        })
        .collect()
}

/// A connection to `/echo` with binary messages delivered as `delivery`, to which `mixed_messages` were sent.
async fn echoing_mixed_messages(transport: Transport, delivery: BinaryDelivery) -> Connection {
    let mut connection = Connection::builder(&url("/echo"))
        .transport(transport)
        .binary(delivery)
        .connect()
        .await
        .expect("connects");
    for message in mixed_messages() {
        connection.feed(message).await.expect("sends");
    }
    connection
}

#[wasm_bindgen_test]
async fn blob_bytes_delivery_keeps_arrival_order() {
    each_transport(blob_bytes_delivery_keeps_arrival_order_over).await;
}

async fn blob_bytes_delivery_keeps_arrival_order_over(transport: Transport) {
    let mut connection = echoing_mixed_messages(transport, BinaryDelivery::BlobBytes).await;
    for expected in mixed_messages() {
        assert_eq!(
            within("an echo", connection.next()).await,
            Some(Ok(expected))
        );
    }
}

/// The server closes right after its last echo, while Blobs are still being read: the stream hands on every
/// message before it ends (classic socket only: `WebSocketStream` delivers bytes without a read).
#[wasm_bindgen_test]
async fn blob_bytes_delivery_hands_on_the_reads_pending_at_the_close() {
    const COUNT: u8 = 32;
    let mut connection = Connection::builder(&url(&format!("/close?after={COUNT}&code=4000")))
        .binary(BinaryDelivery::BlobBytes)
        .connect()
        .await
        .expect("connects");
    let sent: Vec<Vec<u8>> = (0..COUNT).map(|n| vec![n; 64 << 10]).collect();
    for bytes in &sent {
        connection
            .feed(Message::Binary(bytes.clone()))
            .await
            .expect("sends");
    }
    for bytes in sent {
        assert_eq!(
            within("an echo", connection.next()).await,
            Some(Ok(Message::Binary(bytes)))
        );
    }
    assert_eq!(within("the end", connection.next()).await, None);
    let close = connection.handle().close_event().expect("closed");
    assert_eq!(close.code, CloseCode::from(4000));
}

#[wasm_bindgen_test]
async fn blob_delivery_hands_out_blobs_in_order() {
    each_transport(blob_delivery_hands_out_blobs_in_order_over).await;
}

async fn blob_delivery_hands_out_blobs_in_order_over(transport: Transport) {
    let mut connection = echoing_mixed_messages(transport, BinaryDelivery::Blob).await;
    for expected in mixed_messages() {
        match (within("an echo", connection.next()).await, expected) {
            (Some(Ok(Message::Blob(blob))), Message::Binary(bytes)) => {
                assert_eq!(blob_bytes(&blob).await, bytes)
            }
            (Some(Ok(got)), want) => assert_eq!(got, want),
            (other, _) => panic!("unexpected {other:?}"),
        }
    }
}
