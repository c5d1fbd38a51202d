//! Listener ownership: nothing runs after its owner is gone, and nothing leaks.
//!
//! Covers: a dropped listener is never called again while others still are; dropping the socket detaches every
//! listener it handed out (`is_attached` turns false, no callback runs, even for the close that dropping causes);
//! send before open and after close return `Error::NotOpen` with the state; a listener may drop itself, or the
//! socket, from inside its own callback.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use crate::common::{open, settle, sleep, until, url, Recorder};
use browser_ws::{Error, Message, ReadyState, WebSocket};
use wasm_bindgen_test::*;

/// Waits until the browser's socket is `CLOSED`, then a little more, so that any event still due would have come.
async fn closed(raw: &web_sys::WebSocket) {
    until("the socket to close", || {
        raw.ready_state() == web_sys::WebSocket::CLOSED
    })
    .await;
    sleep(Duration::from_millis(50)).await;
}

#[wasm_bindgen_test]
async fn a_dropped_listener_is_not_called_again() {
    let (socket, mut events) = open("/echo").await;
    let calls = Rc::new(Cell::new(0));
    let counter = calls.clone();
    let listener = socket.on_message(move |_| counter.set(counter.get() + 1));
    assert!(listener.is_attached());
    assert_eq!(listener.event_type(), "message");

    socket.send_text("one").expect("open");
    events.message().await;
    settle().await;
    assert_eq!(calls.get(), 1);

    drop(listener);
    socket.send_text("two").expect("open");
    assert_eq!(
        events.message().await,
        Message::text("two"),
        "other listeners still run"
    );
    // The recorder's listener came first: let the rest of the dispatch run before counting.
    settle().await;
    assert_eq!(calls.get(), 1, "the dropped listener did not run");
}

#[wasm_bindgen_test]
async fn dropping_the_socket_detaches_every_listener() {
    let socket = WebSocket::open(&url("/greet?text=hi")).expect("valid");
    let calls = Rc::new(Cell::new(0));
    let count = |calls: &Rc<Cell<u32>>| {
        let calls = calls.clone();
        move || calls.set(calls.get() + 1)
    };
    let (on_open, on_message, on_error, on_close) =
        (count(&calls), count(&calls), count(&calls), count(&calls));
    let listeners = [
        socket.on_open(on_open),
        socket.on_message(move |_| on_message()),
        socket.on_error(on_error),
        socket.on_close(move |_| on_close()),
    ];
    let raw = socket.as_raw().clone();
    drop(socket);
    assert!(listeners.iter().all(|l| !l.is_attached()));
    // Dropping a connecting socket abandons it: the browser fires error and close, which nobody hears.
    closed(&raw).await;
    assert_eq!(calls.get(), 0);
    drop(listeners); // dropping detached listeners is harmless
}

#[wasm_bindgen_test]
async fn dropping_an_open_socket_closes_it_without_events() {
    let (socket, _events) = open("/echo").await;
    let closes = Rc::new(Cell::new(0));
    let counter = closes.clone();
    let _on_close = socket.on_close(move |_| counter.set(counter.get() + 1));
    let raw = socket.as_raw().clone();
    drop(socket);
    assert_eq!(raw.ready_state(), web_sys::WebSocket::CLOSING);
    closed(&raw).await;
    assert_eq!(closes.get(), 0);
}

#[wasm_bindgen_test]
async fn send_before_open_and_after_close_is_not_open() {
    let socket = WebSocket::open(&url("/echo")).expect("valid");
    let mut events = Recorder::new(&socket);
    assert_eq!(
        socket.send_text("early"),
        Err(Error::NotOpen(ReadyState::Connecting))
    );
    assert_eq!(
        socket.send_bytes(&[1]),
        Err(Error::NotOpen(ReadyState::Connecting))
    );
    events.opened().await;
    socket.close().expect("closes");
    assert_eq!(
        socket.send_text("late"),
        Err(Error::NotOpen(ReadyState::Closing))
    );
    events.closed().await;
    assert_eq!(
        socket.send(&Message::binary([1])),
        Err(Error::NotOpen(ReadyState::Closed))
    );
    assert_eq!(
        socket.buffered_amount(),
        0,
        "nothing was queued by the refused sends"
    );
}

#[wasm_bindgen_test]
async fn a_callback_can_drop_its_own_listener_and_the_socket() {
    let (socket, mut events) = open("/echo").await;
    let socket = Rc::new(RefCell::new(Some(socket)));
    let own: Rc<RefCell<Option<browser_ws::EventListener>>> = Rc::default();
    let calls = Rc::new(Cell::new(0));
    let listener = {
        let (socket, own, calls) = (socket.clone(), own.clone(), calls.clone());
        socket
            .clone()
            .borrow()
            .as_ref()
            .expect("present")
            .on_message(move |_| {
                calls.set(calls.get() + 1);
                drop(own.borrow_mut().take()); // drops this very listener
                drop(socket.borrow_mut().take()); // and the socket
            })
    };
    *own.borrow_mut() = Some(listener);
    let raw = socket.borrow().as_ref().expect("present").as_raw().clone();
    raw.send_with_str("a").expect("open");
    raw.send_with_str("b").expect("open");
    // The recorder listened first, so it hears "a"; then the socket is gone and its listener with it, so "b"
    // reaches nobody.
    assert_eq!(events.message().await, Message::text("a"));
    assert_eq!(events.any_within(Duration::from_millis(500)).await, None);
    assert_eq!(calls.get(), 1);
    assert!(socket.borrow().is_none() && own.borrow().is_none());
}
