//! The transport choice: what only `WebSocketStream` does, and the fallback where a browser lacks it.
//!
//! Covers: `Transport::Auto` picks `WebSocketStream` exactly where the global has it (Chromium) and the classic
//! `WebSocket` elsewhere (Firefox, WebKit), and echoes either way; `Transport::Stream` where it is absent fails
//! `connect` with `Error::Unsupported` (and opens where present); `Overflow::Backpressure` over the stream
//! transport: a server floods 20 MiB at a reader with a 2-message queue that takes one message every 2 ms, and
//! every message arrives, in order, none dropped, and while the reader pauses for 1.5 s after 2.5 MiB the server
//! has not finished (no `floodMs`): it is held back; on the classic transport the same policy fails the connection
//! as `Overflow::Fail` does (4429); a stream connection dropped while its reader is paused closes with 1000 and the
//! server sees it gone, and so does a `Connect` dropped unpolled after its reader paused, and a paused connection
//! the reconnecting client's heartbeat gives up on; a close asked for while the stream reader is paused for room
//! still delivers every message sent before it; after the server's close frame (TCP held open) the connection is
//! `Closing` before the close event, and a send is refused; stream specifics: subprotocols and `protocol()`, a Blob
//! send refused with `Error::Unsupported`, `as_raw()` `None`, binary messages wrapped in a Blob for
//! `BinaryDelivery::Blob`; the reconnecting client with `Overflow::Backpressure` over the stream transport loses
//! nothing either, and refuses a Blob heartbeat ping before connecting; messages sent before `close()` all reach the
//! server before the close frame, over either transport (the echo server counts them).

use std::time::Duration;

use browser_ws::connection::{BinaryDelivery, Connection, Overflow, Transport};
use browser_ws::reconnect::{ClientState, Heartbeat, ReconnectingClient};
use browser_ws::{ClientCloseCode, CloseCode, Error, Message, ReadyState};
use futures::StreamExt;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use crate::common::{
    auto_transport, blob_bytes, eventually, server_flood_ms, server_sees_all_closed,
    server_sees_client_close, server_stats, sleep, unique_tag, until, url, wait_for, within,
};

#[wasm_bindgen_test]
async fn auto_picks_websocketstream_where_the_browser_has_it() {
    let (has_stream, expected) = auto_transport();
    assert_eq!(Transport::stream_available(), has_stream);
    let mut connection = Connection::builder(&url("/echo"))
        .transport(Transport::Auto)
        .connect()
        .await
        .expect("connects");
    assert_eq!(connection.handle().transport(), expected);
    assert_eq!(connection.handle().as_raw().is_some(), !has_stream);
    futures::SinkExt::send(&mut connection, Message::text("either way"))
        .await
        .expect("sends");
    assert_eq!(
        within("the echo", connection.next()).await,
        Some(Ok(Message::text("either way")))
    );
}

#[wasm_bindgen_test]
async fn stream_is_refused_where_the_browser_lacks_it() {
    let result = Connection::builder(&url("/echo"))
        .transport(Transport::Stream)
        .connect()
        .await;
    if Transport::stream_available() {
        let connection = result.expect("connects");
        assert_eq!(connection.handle().transport(), Transport::Stream);
    } else {
        assert_eq!(
            result.err(),
            Some(Error::Unsupported {
                feature: "WebSocketStream".to_owned()
            })
        );
    }
}

/// 20 MiB, more than loopback's socket buffers and the browser's own hold, in 64 KiB messages.
const FLOOD_COUNT: usize = 320;
const FLOOD_BYTES: usize = 64 << 10;

#[wasm_bindgen_test]
async fn backpressure_slows_the_server_and_loses_nothing() {
    if !Transport::stream_available() {
        // The classic socket cannot stop reading: the policy fails the connection as `Fail` does.
        let mut connection = Connection::builder(&url("/burst?count=100&bytes=16"))
            .transport(Transport::Auto)
            .receive_queue(10, Overflow::Backpressure)
            .connect()
            .await
            .expect("connects");
        // Nothing is read until the burst has overflowed the queue and closed the socket.
        until("the overflow", || {
            connection.handle().ready_state() != ReadyState::Open
        })
        .await;
        let mut items = Vec::new();
        while let Some(item) = within("the stream", connection.next()).await {
            items.push(item);
        }
        assert_eq!(items.len(), 11, "10 queued messages, then the overflow");
        assert_eq!(
            items.last(),
            Some(&Err(Error::ReceiveOverflow { capacity: 10 }))
        );
        let close = connection.handle().closed().await;
        assert_eq!(
            close.code,
            CloseCode::from(ClientCloseCode::RECEIVE_OVERFLOW)
        );
        return;
    }
    let tag = unique_tag("flood");
    let mut connection = Connection::builder(&url(&format!(
        "/flood?count={FLOOD_COUNT}&bytes={FLOOD_BYTES}&tag={tag}"
    )))
    .transport(Transport::Stream)
    .receive_queue(2, Overflow::Backpressure)
    .connect()
    .await
    .expect("connects");
    for i in 0..FLOOD_COUNT {
        let message = within("a flood message", connection.next())
            .await
            .expect("not the end")
            .expect("a message");
        let text = message.as_text().expect("text");
        assert_eq!(text.len(), FLOOD_BYTES);
        assert!(text.starts_with(&format!("{i}:")), "message {i} in order");
        if i == FLOOD_COUNT / 8 {
            // 2.5 MiB taken, 17.5 MiB to go: more than the buffers on the way hold (loopback's socket buffers and
            // the browser's own, a few MiB; measured so on this machine, whose tcp_rmem maximum is 32 MiB: a
            // kernel with larger buffers than that could hold the rest and fail this wrongly).
            // Held back, the server cannot finish while the reader pauses; without backpressure the browser takes
            // all 20 MiB off loopback in well under the pause.
            sleep(Duration::from_millis(1500)).await;
            assert_eq!(
                server_flood_ms(&tag).await,
                None,
                "the server sent all 20 MiB while the reader had taken 2.5 MiB: it was not held back"
            );
        }
        sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(connection.handle().dropped_messages(), 0);
    assert_eq!(connection.handle().received_messages(), FLOOD_COUNT as u64);
    // And it did finish, once the reader had taken the rest.
    eventually("the server to finish", || server_flood_ms(&tag)).await;
}

#[wasm_bindgen_test]
async fn a_paused_stream_connection_dropped_closes_with_1000() {
    if !Transport::stream_available() {
        return;
    }
    let tag = unique_tag("paused-drop");
    let mut connection = Connection::builder(&url(&format!(
        "/flood?count={FLOOD_COUNT}&bytes={FLOOD_BYTES}&tag={tag}"
    )))
    .transport(Transport::Stream)
    .receive_queue(1, Overflow::Backpressure)
    .connect()
    .await
    .expect("connects");
    within("a message", connection.next())
        .await
        .expect("one")
        .expect("a message");
    // The queue fills again and the reader pauses, holding the reader's lock.
    until("the queue to fill", || {
        connection.handle().received_messages() >= 2
    })
    .await;
    drop(connection);
    // The reader task reads and discards what still arrives, so the server's sending goes on and it reads
    // the close frame (Chromium reads the network only as fast as the readable is read).
    assert_eq!(server_sees_client_close(&tag).await, 1000);
    server_sees_all_closed(&tag).await;
}

/// Chromium drops what a `WebSocketStream` reader has not read once the closing handshake completes (a plain JS
/// page shows it: 4 of 10 messages when the reader waits 200 ms after `close()`, 10 of 10 when it reads at once).
/// A close asked for while the reader is paused for room must not lose what the server sent before it.
#[wasm_bindgen_test]
async fn a_close_while_the_reader_is_paused_loses_nothing() {
    if !Transport::stream_available() {
        return;
    }
    const COUNT: usize = 10;
    let mut connection = Connection::builder(&url(&format!("/burst?count={COUNT}&bytes=16")))
        .transport(Transport::Stream)
        .receive_queue(2, Overflow::Backpressure)
        .connect()
        .await
        .expect("connects");
    until("the queue to fill", || {
        connection.handle().received_messages() >= 2
    })
    .await;
    connection.handle().close().expect("closes");
    // The handshake completes meanwhile, nobody reading.
    within("the close", connection.handle().closed()).await;
    sleep(Duration::from_millis(200)).await;
    let mut delivered = 0;
    while let Some(item) = within("a message or the end", connection.next()).await {
        let message = item.expect("a message");
        let text = message.as_text().expect("text");
        assert!(
            text.starts_with(&format!("{delivered}:")),
            "message {delivered} in order"
        );
        delivered += 1;
    }
    // In a threads build the woken reader runs behind the network events (see the README), so the handshake
    // can complete first: there, an in-order prefix at least as long as the queue.
    let at_least = if cfg!(target_feature = "atomics") {
        2
    } else {
        COUNT
    };
    assert!(
        (at_least..=COUNT).contains(&delivered),
        "{delivered} of {COUNT} messages sent before the close"
    );
}

#[wasm_bindgen_test]
async fn a_paused_stream_connect_dropped_unpolled_closes_with_1000() {
    if !Transport::stream_available() {
        return;
    }
    let tag = unique_tag("paused-connect-drop");
    // Never polled: the socket opens and the reader fills the queue on their own, then the reader waits for room.
    let connect = Connection::builder(&url(&format!(
        "/flood?count={FLOOD_COUNT}&bytes={FLOOD_BYTES}&tag={tag}"
    )))
    .transport(Transport::Stream)
    .receive_queue(1, Overflow::Backpressure)
    .connect();
    eventually("the server to see it open", || async {
        (server_stats(&tag).await == (1, 1)).then_some(())
    })
    .await;
    // Time for the handshake's reply to reach the browser and the reader to fill the queue, however loaded the
    // machine.
    sleep(Duration::from_millis(1000)).await;
    drop(connect);
    // As for a dropped connection: the reader drains what still arrives, so the server reads the close frame.
    assert_eq!(server_sees_client_close(&tag).await, 1000);
    server_sees_all_closed(&tag).await;
}

#[wasm_bindgen_test]
async fn a_heartbeat_timeout_closes_a_paused_stream_connection() {
    if !Transport::stream_available() {
        return;
    }
    let tag = unique_tag("paused-heartbeat");
    // Nobody reads: both queues fill, the reading stops, nothing arrives, and the heartbeat gives up on it.
    let client = ReconnectingClient::builder(&url(&format!(
        "/flood?count={FLOOD_COUNT}&bytes={FLOOD_BYTES}&tag={tag}"
    )))
    .transport(Transport::Stream)
    .receive_queue(1, Overflow::Backpressure)
    .heartbeat(Heartbeat::new(
        Duration::from_millis(200),
        Duration::from_millis(200),
        "ping",
    ))
    .start();
    // The reader reads on (discarding) once the connection is abandoned, so the server, blocked in sending,
    // gets to read the close frame.
    assert_eq!(server_sees_client_close(&tag).await, 1000);
    client.handle().close().expect("closes");
}

/// A heartbeat whose ping is a Blob could never ping over `WebSocketStream`: the reconnecting client refuses it
/// before opening anything (it used to connect, fail each ping silently and reconnect on every timeout), and gives
/// up, since no attempt can do better.
#[wasm_bindgen_test]
async fn a_blob_heartbeat_ping_over_the_stream_transport_is_refused_before_connecting() {
    if !Transport::stream_available() {
        return;
    }
    let tag = unique_tag("blob-ping");
    let blob = web_sys::Blob::new().expect("a Blob");
    let client = ReconnectingClient::builder(&url(&format!("/echo?tag={tag}")))
        .transport(Transport::Stream)
        .heartbeat(Heartbeat::new(
            Duration::from_millis(50),
            Duration::from_millis(50),
            Message::Blob(blob),
        ))
        .start();
    let mut states = client.handle().state_changes();
    let seen = wait_for(&mut states, |s| *s == ClientState::GaveUp).await;
    assert!(
        seen.contains(&ClientState::Disconnected(Error::Unsupported {
            feature: "sending a Blob over WebSocketStream".to_owned()
        })),
        "{seen:?}"
    );
    assert_eq!(server_stats(&tag).await, (0, 0), "nothing was opened");
}

/// `WebSocketStream` has no `readyState`: the state is worked out from its promises. Once the server's close frame
/// has ended the readable, it is `Closing`, before the close event, which comes only once TCP has closed (the
/// server holds it open here): a send is refused then, not written into a stream that drops it. (The classic
/// socket's `readyState` is the browser's own; WebKit's was still `OPEN` half a second after the close frame.)
#[wasm_bindgen_test]
async fn after_the_servers_close_frame_the_stream_transport_is_closing() {
    if !Transport::stream_available() {
        return;
    }
    let mut connection = Connection::builder(&url("/close?code=4000&after=1&hold_ms=5000"))
        .transport(Transport::Stream)
        .connect()
        .await
        .expect("connects");
    futures::SinkExt::send(&mut connection, Message::text("last"))
        .await
        .expect("sends");
    assert_eq!(
        within("the echo", connection.next()).await,
        Some(Ok(Message::text("last")))
    );
    until("the close frame to be seen", || {
        connection.handle().ready_state() != ReadyState::Open
    })
    .await;
    assert_eq!(
        (
            connection.handle().ready_state(),
            connection.handle().close_event()
        ),
        (ReadyState::Closing, None),
        "closing, before the close event"
    );
    assert_eq!(
        futures::SinkExt::send(&mut connection, Message::text("lost?")).await,
        Err(Error::NotOpen(ReadyState::Closing)),
        "a message that cannot go out is refused, not swallowed"
    );
    let close = within("the close", connection.handle().closed()).await;
    assert_eq!(close.code, CloseCode::from(4000));
}

#[wasm_bindgen_test]
async fn the_stream_transport_keeps_the_connection_api() {
    if !Transport::stream_available() {
        return;
    }
    let mut connection = Connection::builder(&url("/protocol"))
        .transport(Transport::Stream)
        .protocols(&["chat.v1", "chat.v2"])
        .binary(BinaryDelivery::Blob)
        .connect()
        .await
        .expect("connects");
    let handle = connection.handle().clone();
    assert_eq!(handle.protocol(), "chat.v1");
    assert_eq!(handle.url(), url("/protocol"));
    assert!(handle.as_raw().is_none());
    assert_eq!(
        handle
            .as_js()
            .unchecked_ref::<js_sys::Object>()
            .constructor()
            .name()
            .as_string()
            .as_deref(),
        Some("WebSocketStream")
    );
    assert_eq!(
        within("the protocol", connection.next()).await,
        Some(Ok(Message::text("chat.v1")))
    );
    let blob = web_sys::Blob::new().expect("a Blob");
    assert_eq!(
        futures::SinkExt::send(&mut connection, Message::Blob(blob)).await,
        Err(Error::Unsupported {
            feature: "sending a Blob over WebSocketStream".to_owned()
        })
    );
    futures::SinkExt::send(&mut connection, Message::binary(vec![1, 2, 3]))
        .await
        .expect("bytes go");
    match within("the echo", connection.next()).await {
        Some(Ok(Message::Blob(blob))) => {
            assert!(blob.dyn_ref::<web_sys::Blob>().is_some());
            assert_eq!(blob_bytes(&blob).await, [1, 2, 3]);
        }
        other => panic!("expected a Blob, got {other:?}"),
    }
    handle
        .close_with(ClientCloseCode::new(4001).expect("sendable"), "bye")
        .expect("closes");
    let close = within("the close", handle.closed()).await;
    assert_eq!(
        (close.code, close.reason.as_str(), close.was_clean),
        (CloseCode::from(4001), "bye", true)
    );
}

#[wasm_bindgen_test]
async fn the_reconnecting_client_with_backpressure_loses_nothing() {
    if !Transport::stream_available() {
        return;
    }
    const COUNT: usize = 2000;
    let mut client = ReconnectingClient::builder(&url(&format!("/flood?count={COUNT}&bytes=1024")))
        .transport(Transport::Stream)
        .receive_queue(2, Overflow::Backpressure)
        .start();
    for i in 0..COUNT {
        let message = within("a flood message", client.next())
            .await
            .expect("not the end")
            .expect("a message");
        assert!(
            message
                .as_text()
                .expect("text")
                .starts_with(&format!("{i}:")),
            "message {i} in order"
        );
        if i % 100 == 0 {
            sleep(Duration::from_millis(5)).await;
        }
    }
    assert_eq!(client.handle().dropped_messages(), 0);
}

/// Messages sent before `close()` go out before the close frame, over either transport: the server counts every
/// one of them before it sees the close.
#[wasm_bindgen_test]
async fn messages_sent_before_close_reach_the_server() {
    crate::common::each_transport(messages_sent_before_close_reach_the_server_over).await;
}

async fn messages_sent_before_close_reach_the_server_over(transport: Transport) {
    use futures::SinkExt;

    let tag = unique_tag("before-close");
    let mut connection = within(
        "open",
        crate::common::connect_over(transport, &url(&format!("/echo?tag={tag}"))),
    )
    .await
    .expect("opens");
    for i in 0..20 {
        connection
            .send(Message::text(format!("m{i}")))
            .await
            .expect("sends");
    }
    connection.handle().close().expect("closes");
    assert_eq!(server_sees_client_close(&tag).await, 1000);
    assert_eq!(
        crate::common::server_received(&tag).await,
        20,
        "{transport:?}: every message before the close frame"
    );
}
