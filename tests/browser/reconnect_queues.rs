//! The reconnecting client's queues and attempt count: nothing grows on its own account, and a slow reader or a
//! long-lived connection's end never makes it give up.
//!
//! The async cases run under each transport the browser has (`common::transports`: both in Chromium).
//!
//! Covers: a receive-queue overflow the client caused (nobody reads a burst) fails that connection with 4429, which
//! the server sees, is reported in the stream after the queued messages and as `Disconnected`, and the client
//! reconnects; with `Overflow::Backpressure` a close completes while nobody reads a full queue, and the stream
//! still yields, in order, every message the client had received (the classic socket: all of them); a client whose
//! stream was dropped (handles kept, to send) stops queueing, so a burst ten times its receive queue neither
//! overflows nor reconnects, and dropping it while the queue is full with backpressure lets the client see its
//! connection close; an overflow is no failed attempt (`max_attempts(Some(1))` still reconnects); acknowledgements and heartbeat pongs are recognised as they arrive although nobody
//! reads the stream (the pongs never fill a queue of 4); `try_send` above the high-water mark queues (bounded: a
//! full queue hands the message back) instead of growing the browser's buffer, and the queue drains, in order, as
//! the buffer falls; `max_attempts(Some(1))` still reconnects after a connection that stayed up, as attempt 1;
//! attempts are counted from 1, and after giving up the state changes and the stream (one `GaveUp`, then `None`)
//! are terminated `FusedStream`s; over WebSocketStream (Chromium only: elsewhere that case returns at once), a Blob
//! is handed back by `try_send`, open or not, and the messages after it still go.

use std::time::Duration;

use crate::common::{
    each_transport, refused_url, server_sees_client_close, server_stats, unique_tag, until, url,
    wait_for, within,
};
use browser_ws::connection::Overflow;
use browser_ws::connection::Transport;
use browser_ws::reconnect::{
    Acknowledgements, Backoff, ClientState, Delivery, Heartbeat, ReconnectingClient,
};
use browser_ws::{CloseCode, Error, Message};
use futures::stream::FusedStream;
use futures::{FutureExt, StreamExt};
use wasm_bindgen_test::*;

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn short_backoff() -> Backoff {
    Backoff {
        initial: ms(20),
        max: ms(20),
        factor: 1.0,
        jitter: 0.0,
    }
}

fn is_burst_message(item: Option<Result<Message, Error>>, i: usize) -> bool {
    matches!(item, Some(Ok(Message::Text(text))) if text.starts_with(&format!("{i}:")))
}

#[wasm_bindgen_test]
async fn an_overflow_fails_the_connection_and_the_client_reconnects() {
    each_transport(an_overflow_fails_the_connection_and_the_client_reconnects_over).await;
}

async fn an_overflow_fails_the_connection_and_the_client_reconnects_over(transport: Transport) {
    let tag = unique_tag("reconnect-overflow");
    let mut client =
        ReconnectingClient::builder(&url(&format!("/burst?count=50&bytes=16&tag={tag}")))
            .transport(transport)
            .receive_queue(4, Overflow::Fail)
            .backoff(short_backoff())
            // An overflow is no failed attempt: even with a limit of one, the client reconnects.
            .max_attempts(Some(1))
            .start();
    let handle = client.handle().clone();
    let mut states = handle.state_changes();
    let seen = wait_for(&mut states, |s| {
        matches!(
            s,
            ClientState::Disconnected(Error::ReceiveOverflow { capacity: 4 })
        )
    })
    .await;
    assert!(!seen.contains(&ClientState::GaveUp), "{seen:?}");
    wait_for(&mut states, |s| *s == ClientState::Open).await;
    assert_eq!(
        server_sees_client_close(&tag).await,
        4429,
        "the server can tell an overflow from a normal close"
    );
    for i in 0..4 {
        assert!(is_burst_message(client.next().await, i), "message {i}");
    }
    assert_eq!(
        client.next().await,
        Some(Err(Error::ReceiveOverflow { capacity: 4 })),
        "the loss is reported after what was queued"
    );
    assert!(server_stats(&tag).await.1 >= 2, "reconnected");
    handle.close().expect("closes");
    wait_for(&mut states, ClientState::is_final).await;
}

#[wasm_bindgen_test]
async fn a_close_with_backpressure_finishes_although_nobody_reads() {
    each_transport(a_close_with_backpressure_finishes_although_nobody_reads_over).await;
}

async fn a_close_with_backpressure_finishes_although_nobody_reads_over(transport: Transport) {
    const COUNT: usize = 10;
    let tag = unique_tag("reconnect-close-paused");
    let mut client =
        ReconnectingClient::builder(&url(&format!("/burst?count={COUNT}&bytes=16&tag={tag}")))
            .transport(transport)
            .receive_queue(2, Overflow::Backpressure)
            .start();
    let handle = client.handle().clone();
    let mut states = handle.state_changes();
    wait_for(&mut states, |s| *s == ClientState::Open).await;
    let connection = handle.connection().expect("open");
    // The client's queue (2) is full and the driver has stopped taking messages; over WebSocketStream the
    // connection's queue (2) is full too and its reader waits. The classic socket's queue takes the whole burst:
    // it is waited for, since a browser drops the message events still to come once `close()` is called.
    let arrived = if transport == Transport::Classic {
        COUNT as u64
    } else {
        4
    };
    until("both queues to fill", || {
        connection.received_messages() >= arrived
    })
    .await;
    within("the close", futures::SinkExt::close(&mut client))
        .await
        .expect("closes");
    assert_eq!(server_sees_client_close(&tag).await, 1000);
    // What the server sent before the close is still delivered, in order, and then the stream ends. Over
    // WebSocketStream, Chromium drops what the reader has not read once the handshake completes, and in a threads
    // build the woken reader runs behind the network events (see the README): there, an in-order prefix.
    let mut delivered = 0;
    while let Some(item) = within("a message or the end", client.next()).await {
        assert!(
            is_burst_message(Some(item), delivered),
            "message {delivered}"
        );
        delivered += 1;
    }
    let threads_stream = cfg!(target_feature = "atomics") && transport == Transport::Stream;
    let at_least = if threads_stream { 4 } else { COUNT };
    assert!(
        (at_least..=COUNT).contains(&delivered),
        "{delivered} of {COUNT} delivered ({} received by the connection)",
        connection.received_messages()
    );
    assert_eq!(handle.dropped_messages(), 0);
}

/// Dropping the stream while the driver waits for room in a full queue (`Overflow::Backpressure`) wakes it: it
/// takes the connection's messages again (discarding them) and so sees the connection close. It used to stay
/// asleep, the client `Open` on a closed connection, never reconnecting.
#[wasm_bindgen_test]
async fn dropping_a_full_backpressured_stream_wakes_the_client() {
    each_transport(dropping_a_full_backpressured_stream_wakes_the_client_over).await;
}

async fn dropping_a_full_backpressured_stream_wakes_the_client_over(transport: Transport) {
    let tag = unique_tag("reconnect-drop-paused");
    let client = ReconnectingClient::builder(&url(&format!("/burst?count=10&bytes=16&tag={tag}")))
        .transport(transport)
        .receive_queue(2, Overflow::Backpressure)
        .backoff(short_backoff())
        .start();
    let handle = client.handle().clone();
    let mut states = handle.state_changes();
    wait_for(&mut states, |s| *s == ClientState::Open).await;
    let connection = handle.connection().expect("open");
    until("both queues to fill", || {
        connection.received_messages() >= 4
    })
    .await;
    // Send only from now on; then the connection closes, through its own handle (not the client's).
    drop(client);
    connection.close().expect("closes");
    let seen = wait_for(&mut states, |s| matches!(s, ClientState::Disconnected(_))).await;
    assert!(!seen.contains(&ClientState::GaveUp), "{seen:?}");
    handle.close().expect("closes");
    wait_for(&mut states, ClientState::is_final).await;
}

#[wasm_bindgen_test]
async fn a_client_without_its_stream_stops_queueing() {
    each_transport(a_client_without_its_stream_stops_queueing_over).await;
}

async fn a_client_without_its_stream_stops_queueing_over(transport: Transport) {
    let tag = unique_tag("reconnect-no-stream");
    let client = ReconnectingClient::builder(&url(&format!("/burst?count=80&bytes=16&tag={tag}")))
        .transport(transport)
        .receive_queue(8, Overflow::Fail)
        .start();
    let handle = client.handle().clone();
    let mut states = handle.state_changes();
    // A send-only user: the stream is gone, the handle sends.
    drop(client);
    wait_for(&mut states, |s| *s == ClientState::Open).await;
    let connection = handle.connection().expect("open");
    until("the burst to arrive", || {
        connection.received_messages() >= 80
    })
    .await;
    assert_eq!(handle.try_send("still open"), Ok(Delivery::Sent));
    until("the echo", || connection.received_messages() >= 81).await;
    assert_eq!(handle.state(), ClientState::Open);
    assert!(states.next().now_or_never().is_none(), "no state change");
    assert_eq!(
        server_stats(&tag).await,
        (1, 1),
        "one connection, still open"
    );
    handle.close().expect("closes");
}

#[wasm_bindgen_test]
async fn acknowledgements_and_pongs_are_recognised_unread() {
    each_transport(acknowledgements_and_pongs_are_recognised_unread_over).await;
}

async fn acknowledgements_and_pongs_are_recognised_unread_over(transport: Transport) {
    let tag = unique_tag("reconnect-unread");
    let mut client = ReconnectingClient::builder(&url(&format!("/echo?tag={tag}")))
        .transport(transport)
        .receive_queue(4, Overflow::Fail)
        .acknowledgements(Acknowledgements::new(
            |id, message| Message::text(format!("{id}:{}", message.as_text().unwrap_or(""))),
            |message| message.as_text()?.split(':').next()?.parse().ok(),
        ))
        .heartbeat(
            Heartbeat::new(ms(20), ms(5000), "ping").with_pong(|m| m.as_text() == Some("ping")),
        )
        .start();
    let handle = client.handle().clone();
    let mut states = handle.state_changes();
    wait_for(&mut states, |s| *s == ClientState::Open).await;
    for text in ["a", "b", "c"] {
        assert_eq!(handle.try_send(text), Ok(Delivery::Sent));
    }
    until("the acknowledgements", || handle.unsent_messages() == 0).await;
    // Pongs arrive every 20 ms or so (later on a loaded machine); queued, five would overflow the queue of 4.
    let connection = handle.connection().expect("open");
    let pongs_before = connection.received_messages();
    until("five pongs", || {
        connection.received_messages() >= pongs_before + 5
    })
    .await;
    assert!(handle.connection().is_some(), "still open");
    assert!(states.next().now_or_never().is_none(), "no state change");
    for expected in ["1:a", "2:b", "3:c"] {
        assert_eq!(client.next().await, Some(Ok(Message::text(expected))));
    }
    assert!(
        client.next().now_or_never().is_none(),
        "nothing else queued"
    );
    handle.close().expect("closes");
}

#[wasm_bindgen_test]
async fn try_send_above_the_high_water_mark_queues_and_drains() {
    each_transport(try_send_above_the_high_water_mark_queues_and_drains_over).await;
}

async fn try_send_above_the_high_water_mark_queues_and_drains_over(transport: Transport) {
    let mut client = ReconnectingClient::builder(&url("/echo"))
        .transport(transport)
        .send_watermarks(1024, 0)
        .send_queue(3, 1 << 20)
        .start();
    let handle = client.handle().clone();
    let mut states = handle.state_changes();
    wait_for(&mut states, |s| *s == ClientState::Open).await;
    let big = Message::binary(vec![7u8; 256 << 10]);
    assert_eq!(handle.try_send(big.clone()), Ok(Delivery::Sent));
    // The browser now holds 256 KiB, above the mark: the rest waits in the client's bounded queue.
    for text in ["1", "2", "3"] {
        assert_eq!(handle.try_send(text), Ok(Delivery::Queued), "{text}");
    }
    let refused = handle.try_send("4").expect_err("the queue is full");
    assert_eq!(refused.message, Message::text("4"));
    assert!(matches!(
        refused.error,
        Error::QueueFull { messages: 3, .. }
    ));
    assert_eq!(within("the echo", client.next()).await, Some(Ok(big)));
    for text in ["1", "2", "3"] {
        assert_eq!(
            within("the echo", client.next()).await,
            Some(Ok(Message::text(text)))
        );
    }
    assert_eq!(handle.unsent_messages(), 0);
    handle.close().expect("closes");
}

#[wasm_bindgen_test]
async fn the_end_of_a_connection_that_stayed_up_is_no_failed_attempt() {
    each_transport(the_end_of_a_connection_that_stayed_up_is_no_failed_attempt_over).await;
}

async fn the_end_of_a_connection_that_stayed_up_is_no_failed_attempt_over(transport: Transport) {
    // Every connection counts as long-lived; the server echoes one message, then closes with 1001 (retried).
    let client = ReconnectingClient::builder(&url("/close?code=1001&after=1"))
        .transport(transport)
        .min_uptime(Duration::ZERO)
        .max_attempts(Some(1))
        .backoff(short_backoff())
        .start();
    let handle = client.handle().clone();
    let mut states = handle.state_changes();
    wait_for(&mut states, |s| *s == ClientState::Open).await;
    assert_eq!(handle.try_send("bye"), Ok(Delivery::Sent));
    let seen = wait_for(&mut states, |s| *s == ClientState::Open).await;
    match seen.as_slice() {
        [ClientState::Disconnected(Error::Closed(close)), ClientState::Waiting { .. }, ClientState::Connecting { attempt: 1 }, ClientState::Open] =>
        {
            assert_eq!(close.code, CloseCode::GOING_AWAY)
        }
        other => panic!("expected a reconnect as attempt 1, got {other:?}"),
    }
    handle.close().expect("closes");
    wait_for(&mut states, ClientState::is_final).await;
}

#[wasm_bindgen_test]
async fn attempts_count_from_1() {
    each_transport(attempts_count_from_1_over).await;
}

async fn attempts_count_from_1_over(transport: Transport) {
    let mut client = ReconnectingClient::builder(refused_url())
        .transport(transport)
        .max_attempts(Some(3))
        .backoff(short_backoff())
        .start();
    let mut states = client.handle().state_changes();
    let seen = wait_for(&mut states, ClientState::is_final).await;
    let mut attempts: Vec<u32> = seen
        .iter()
        .filter_map(|s| match s {
            ClientState::Connecting { attempt } => Some(*attempt),
            _ => None,
        })
        .collect();
    // The subscription starts with the state the client was created in, which its task then announces.
    attempts.dedup();
    assert_eq!(attempts, [1, 2, 3], "{seen:?}");
    assert_eq!(seen.last(), Some(&ClientState::GaveUp));
    // Terminated once `None` has been returned, as `Fuse` is: a `select!` still polls for that `None`.
    assert!(!states.is_terminated(), "the final state, but no None yet");
    assert_eq!(
        states.next().await,
        None,
        "the state changes end after the final state"
    );
    assert!(states.is_terminated());
    assert_eq!(
        within("the end", client.next()).await,
        Some(Err(Error::GaveUp))
    );
    assert!(!client.is_terminated(), "the last error, but no None yet");
    assert_eq!(client.next().await, None);
    assert!(client.is_terminated());
}

/// `WebSocketStream` takes no Blob: over it, `try_send` hands a Blob back at once, whether the client is open
/// or not, instead of queueing what can never go out (the driver then retried it without end and the page
/// hung), and the messages after it still go.
#[wasm_bindgen_test]
async fn a_blob_the_stream_transport_cannot_send_is_handed_back() {
    if !Transport::stream_available() {
        return;
    }
    let blob = || Message::Blob(web_sys::Blob::new().expect("a Blob"));
    let unsupported = |result: Result<Delivery, browser_ws::reconnect::SendError>| {
        let refused = result.expect_err("a Blob cannot be sent over WebSocketStream");
        assert!(matches!(refused.message, Message::Blob(_)));
        assert!(
            matches!(refused.error, Error::Unsupported { .. }),
            "{:?}",
            refused.error
        );
    };
    let mut client = ReconnectingClient::builder(&url("/echo"))
        .transport(Transport::Stream)
        .start_closed(true)
        .start();
    let handle = client.handle().clone();
    unsupported(handle.try_send(blob()));
    assert_eq!(handle.try_send("queued"), Ok(Delivery::Queued));
    let mut states = handle.state_changes();
    handle.reconnect().expect("starts");
    wait_for(&mut states, |s| *s == ClientState::Open).await;
    unsupported(handle.try_send(blob()));
    assert_eq!(handle.try_send("sent"), Ok(Delivery::Sent));
    for text in ["queued", "sent"] {
        assert_eq!(
            within("the echo", client.next()).await,
            Some(Ok(Message::text(text)))
        );
    }
    assert_eq!(handle.unsent_messages(), 0);
    handle.close().expect("closes");
}
