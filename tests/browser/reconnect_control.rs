//! Steering the reconnecting client: `reconnect`, `start_closed`, and a subprotocols provider.
//!
//! Covers: `reconnect_with` closes the open connection with its code, and the client connects again at once
//! (no wait, attempt 1) with the subprotocols the provider gives for that attempt; a provider's invalid
//! subprotocol is a failed attempt that is retried; `reconnect` cuts a long backoff wait short and resets the
//! attempt count; a client started closed is idle (no connection reaches the server, sends are queued) until
//! `reconnect`, which connects and sends the queue; `reconnect` after `close` is `NotOpen` and after giving up
//! `GaveUp`, and changes nothing; `take_unsent` lets a `Sink` send that waits for the queue finish; a close
//! asked for from `should_reconnect` after a failed attempt ends the client `Closed`, not `GaveUp`; a `reconnect`
//! asked for from `should_reconnect` starts over at once although the hook answered `false`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use crate::common::{refused_url, server_stats, sleep, unique_tag, url, wait_for, within};
use browser_ws::reconnect::{Backoff, ClientState, Delivery, ReconnectingClient};
use browser_ws::{ClientCloseCode, CloseCode, Error, Message, ReadyState};
use futures::StreamExt;
use wasm_bindgen_test::*;

/// A fixed delay between attempts, long enough that a test which waits it out times out instead.
const LONG_WAIT: Backoff = Backoff {
    initial: Duration::from_secs(60),
    max: Duration::from_secs(60),
    factor: 1.0,
    jitter: 0.0,
};

#[wasm_bindgen_test]
async fn reconnect_closes_with_its_code_and_connects_again_at_once_with_fresh_protocols() {
    let calls = Rc::new(Cell::new(0u32));
    let counter = calls.clone();
    let client = ReconnectingClient::builder(&url("/echo"))
        .backoff(Backoff {
            initial: Duration::from_millis(10),
            ..LONG_WAIT
        })
        .protocols_provider(move || {
            counter.set(counter.get() + 1);
            let call = counter.get();
            async move {
                // The first answer is not a valid token: a failed attempt, retried since a provider may do better.
                Ok(vec![if call == 1 {
                    "bad token".to_owned()
                } else {
                    format!("token-{call}")
                }])
            }
        })
        .start();
    let handle = client.handle().clone();
    let mut states = handle.state_changes();
    let seen = wait_for(&mut states, |s| *s == ClientState::Open).await;
    let refused = |s: &ClientState| matches!(s, ClientState::Disconnected(Error::InvalidProtocol { protocol, .. }) if protocol == "bad token");
    assert!(seen.iter().any(refused), "{seen:?}");
    assert!(
        seen.contains(&ClientState::Connecting { attempt: 2 }),
        "{seen:?}"
    );
    assert_eq!(handle.connection().expect("open").protocol(), "token-2");

    let code = ClientCloseCode::new(4000).expect("sendable");
    handle.reconnect_with(code, "again").expect("reconnects");
    let seen = wait_for(&mut states, |s| *s == ClientState::Open).await;
    match seen.as_slice() {
        [ClientState::Disconnected(Error::Closed(close)), ClientState::Connecting { attempt: 1 }, ClientState::Open] =>
        {
            assert_eq!(
                (close.code, close.reason.as_str()),
                (CloseCode::from(4000), "again")
            );
        }
        other => panic!("expected a close, attempt 1 and open, with no wait: {other:?}"),
    }
    assert_eq!(handle.connection().expect("open").protocol(), "token-3");
    assert_eq!(calls.get(), 3);
    handle.close().expect("closes");
}

#[wasm_bindgen_test]
async fn reconnect_cuts_a_wait_short_and_counts_from_one() {
    let client = ReconnectingClient::builder(refused_url())
        .backoff(LONG_WAIT)
        .start();
    let handle = client.handle().clone();
    let mut states = handle.state_changes();
    wait_for(&mut states, |s| matches!(s, ClientState::Waiting { .. })).await;
    handle.reconnect().expect("reconnects");
    // Within the test's event timeout, far less than the 60 s wait.
    let seen = wait_for(&mut states, |s| matches!(s, ClientState::Connecting { .. })).await;
    assert_eq!(seen, [ClientState::Connecting { attempt: 1 }]);
    handle.close().expect("closes");
    wait_for(&mut states, ClientState::is_final).await;
}

#[wasm_bindgen_test]
async fn a_client_started_closed_waits_for_reconnect() {
    let tag = unique_tag("idle");
    let mut client = ReconnectingClient::builder(&url(&format!("/echo?tag={tag}")))
        .start_closed(true)
        .start();
    let handle = client.handle().clone();
    assert_eq!(handle.state(), ClientState::Idle);
    assert_eq!(handle.try_send("queued early"), Ok(Delivery::Queued));
    sleep(Duration::from_millis(300)).await;
    assert_eq!(handle.state(), ClientState::Idle);
    assert!(handle.connection().is_none());
    assert_eq!(
        server_stats(&tag).await,
        (0, 0),
        "no connection reached the server"
    );

    let mut states = handle.state_changes();
    handle.reconnect().expect("starts");
    wait_for(&mut states, |s| *s == ClientState::Open).await;
    assert_eq!(
        within("the queued message's echo", client.next()).await,
        Some(Ok(Message::text("queued early")))
    );
    handle.close().expect("closes");
    wait_for(&mut states, ClientState::is_final).await;
    assert_eq!(handle.reconnect(), Err(Error::NotOpen(ReadyState::Closed)));
    assert_eq!(handle.state(), ClientState::Closed);
}

#[wasm_bindgen_test]
async fn reconnect_is_refused_once_the_client_stopped() {
    // Closed while idle: final at once.
    let idle = ReconnectingClient::builder(&url("/echo"))
        .start_closed(true)
        .start();
    let mut states = idle.handle().state_changes();
    idle.handle().close().expect("closes");
    wait_for(&mut states, ClientState::is_final).await;
    assert_eq!(
        idle.handle().reconnect(),
        Err(Error::NotOpen(ReadyState::Closed))
    );

    let gave_up = ReconnectingClient::builder(refused_url())
        .max_attempts(Some(1))
        .start();
    let handle = gave_up.handle().clone();
    let mut states = handle.state_changes();
    wait_for(&mut states, |s| *s == ClientState::GaveUp).await;
    assert_eq!(handle.reconnect(), Err(Error::GaveUp));
    assert_eq!(handle.state(), ClientState::GaveUp);
}

/// `take_unsent` while a `Sink` send waits for the queue to empty (here: a client started closed) lets that
/// send finish: the queue is empty, and nobody else would wake it while the client stays idle.
#[wasm_bindgen_test]
async fn take_unsent_lets_a_waiting_flush_finish() {
    use futures::SinkExt;

    let mut client = ReconnectingClient::builder(&url("/echo"))
        .start_closed(true)
        .start();
    let handle = client.handle().clone();
    let (done, finished) = futures::channel::oneshot::channel();
    wasm_bindgen_futures::spawn_local(async move {
        let sent = client.send(Message::text("a")).await;
        let _ = done.send(sent);
        drop(client);
    });
    sleep(Duration::from_millis(50)).await;
    assert_eq!(handle.unsent_messages(), 1, "the send is queued and waits");
    assert_eq!(handle.take_unsent(), [Message::text("a")]);
    assert_eq!(
        within("the send to finish", finished).await,
        Ok(Ok(())),
        "the flush sees the empty queue"
    );
}

#[wasm_bindgen_test]
async fn a_close_from_should_reconnect_after_a_failed_attempt_is_a_close() {
    let handle_slot: Rc<std::cell::RefCell<Option<browser_ws::reconnect::ReconnectHandle>>> =
        Rc::default();
    let in_hook = handle_slot.clone();
    let client = ReconnectingClient::builder(refused_url())
        .should_reconnect(move |_| {
            if let Some(handle) = in_hook.borrow().as_ref() {
                handle.close().expect("closes");
            }
            false
        })
        .start();
    let handle = client.handle().clone();
    *handle_slot.borrow_mut() = Some(handle.clone());
    let mut states = handle.state_changes();
    let seen = wait_for(&mut states, ClientState::is_final).await;
    assert_eq!(seen.last(), Some(&ClientState::Closed), "{seen:?}");
    assert!(!seen.contains(&ClientState::GaveUp), "{seen:?}");
    assert_eq!(
        seen[..2],
        [
            ClientState::Connecting { attempt: 1 },
            ClientState::Disconnected(Error::Closed(browser_ws::CloseEvent {
                code: CloseCode::ABNORMAL_CLOSURE,
                reason: String::new(),
                was_clean: false
            }))
        ],
        "the first state once, then the failure"
    );
    assert_eq!(handle.reconnect(), Err(Error::NotOpen(ReadyState::Closed)));
}

/// `reconnect` called from `should_reconnect` (or a state listener) starts over at once, as it does anywhere
/// else, whatever the hook answered: it used to be ignored, and a hook that also answered `false` ended the
/// client `GaveUp` although `reconnect` had returned `Ok`.
#[wasm_bindgen_test]
async fn a_reconnect_from_should_reconnect_starts_over() {
    let tag = unique_tag("reconnect-from-hook");
    let handle_slot: Rc<std::cell::RefCell<Option<browser_ws::reconnect::ReconnectHandle>>> =
        Rc::default();
    let in_hook = handle_slot.clone();
    let asked = Rc::new(Cell::new(false));
    let asked_in_hook = asked.clone();
    let client = ReconnectingClient::builder(&url(&format!("/close?code=4000&after=0&tag={tag}")))
        .backoff(LONG_WAIT)
        .should_reconnect(move |_| {
            if !asked_in_hook.replace(true) {
                if let Some(handle) = in_hook.borrow().as_ref() {
                    assert_eq!(handle.reconnect(), Ok(()));
                }
            }
            false
        })
        .start();
    let handle = client.handle().clone();
    *handle_slot.borrow_mut() = Some(handle.clone());
    let mut states = handle.state_changes();
    wait_for(&mut states, |s| *s == ClientState::Open).await;
    let seen = wait_for(&mut states, |s| {
        *s == ClientState::Open || *s == ClientState::GaveUp
    })
    .await;
    assert!(asked.get(), "the hook ran");
    assert_eq!(seen.last(), Some(&ClientState::Open), "{seen:?}");
    assert!(
        seen.contains(&ClientState::Connecting { attempt: 1 }),
        "at once, attempts counted from 1 again: {seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|s| matches!(s, ClientState::Waiting { .. })),
        "no backoff wait: {seen:?}"
    );
    assert_eq!(server_stats(&tag).await.1, 2);
    // The second close is answered `false`: the client gives up.
    wait_for(&mut states, |s| *s == ClientState::GaveUp).await;
}
