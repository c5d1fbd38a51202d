//! Races and events that do not come from the browser.
//!
//! Covers: a connect timeout that has fired by the time the connect future runs, together with the open event,
//! loses to the open (the socket is not dropped); script-dispatched `message` (with data that is no string,
//! buffer or Blob), `open`, `error` and `close` events on the raw socket reach no callback and change nothing
//! in the async API (no close event, still open, still echoing); dropping a `WebSocket` or a `Connection`
//! closes with 1000, as every close this crate makes for you does (the server sees the code).

use std::time::Duration;

use crate::common::{
    eventually, server_sees_client_close, server_stats, sleep, unique_tag, until, url, within,
    Event, Recorder,
};
use browser_ws::connection::Connection;
use browser_ws::{connect, Message, ReadyState, WebSocket};
use futures::{SinkExt, StreamExt};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

/// Dispatches, from script, one event of each type the socket fires, with data no browser would send.
fn dispatch_fake_events(raw: &web_sys::WebSocket) {
    let dispatch = js_sys::Function::new_with_args(
        "ws",
        "ws.dispatchEvent(new MessageEvent('message', { data: { not: 'a payload' } }));
         ws.dispatchEvent(new MessageEvent('message', { data: Object.create(null) }));
         ws.dispatchEvent(new Event('open'));
         ws.dispatchEvent(new Event('error'));
         ws.dispatchEvent(new CloseEvent('close', { code: 4000, reason: 'fake', wasClean: true }));",
    );
    dispatch
        .call1(&JsValue::NULL, raw)
        .expect("the events dispatch");
}

#[wasm_bindgen_test]
async fn open_wins_over_a_connect_timeout_that_fired_in_the_same_turn() {
    let tag = unique_tag("open-wins");
    let connect = Connection::builder(&url(&format!("/echo?tag={tag}")))
        .connect_timeout(Duration::from_millis(50))
        .connect();
    // Not polled meanwhile: by the time it is, both the open event and the timer have happened. (The server
    // seeing it open comes just before the browser's open event; however late the handshake, the wait follows.)
    eventually("the server to see it open", || async {
        (server_stats(&tag).await.0 == 1).then_some(())
    })
    .await;
    // Time for the handshake's reply to reach the browser, however loaded the machine (the timer fired long ago).
    sleep(Duration::from_millis(1000)).await;
    let mut connection = within("connect", connect)
        .await
        .expect("the open connection is kept");
    assert_eq!(connection.handle().ready_state(), ReadyState::Open);
    connection
        .send(Message::text("still here"))
        .await
        .expect("sends");
    assert_eq!(
        within("the echo", connection.next()).await,
        Some(Ok(Message::text("still here")))
    );
}

#[wasm_bindgen_test]
async fn script_dispatched_events_reach_no_callback() {
    let socket = WebSocket::open(&url("/echo")).expect("valid");
    let mut events = Recorder::new(&socket);
    events.opened().await;
    dispatch_fake_events(socket.as_raw());
    socket.send_text("real").expect("sends");
    // The first event after the fakes is the real echo: none of them was delivered.
    assert_eq!(events.next().await, Event::Message(Message::text("real")));
    assert_eq!(socket.ready_state(), ReadyState::Open);
}

#[wasm_bindgen_test]
async fn script_dispatched_events_change_nothing_in_the_async_api() {
    let mut connection = within("connect", connect(&url("/echo")))
        .await
        .expect("connects");
    dispatch_fake_events(connection.handle().as_raw().expect("a classic connection"));
    assert_eq!(connection.handle().close_event(), None);
    assert_eq!(connection.handle().received_messages(), 0);
    connection.send(Message::text("real")).await.expect("sends");
    assert_eq!(
        within("the echo", connection.next()).await,
        Some(Ok(Message::text("real")))
    );
    assert_eq!(connection.handle().ready_state(), ReadyState::Open);
}

#[wasm_bindgen_test]
async fn dropping_a_socket_closes_with_1000() {
    let tag = unique_tag("drop-socket");
    let socket = WebSocket::open(&url(&format!("/echo?tag={tag}"))).expect("valid");
    let mut events = Recorder::new(&socket);
    events.opened().await;
    drop(events);
    drop(socket);
    assert_eq!(server_sees_client_close(&tag).await, 1000);
}

#[wasm_bindgen_test]
async fn dropping_a_connection_closes_with_1000() {
    let tag = unique_tag("drop-connection");
    let connection = within("connect", connect(&url(&format!("/echo?tag={tag}"))))
        .await
        .expect("connects");
    let raw = connection
        .handle()
        .as_raw()
        .expect("a classic connection")
        .clone();
    drop(connection);
    until("the socket to close", || {
        raw.ready_state() == web_sys::WebSocket::CLOSED
    })
    .await;
    assert_eq!(server_sees_client_close(&tag).await, 1000);
}
