//! Re-entrancy: closing, dropping or sending from inside every callback is safe.
//!
//! Covers: inside `on_open`, `on_message`, `on_error` and `on_close`, the callback sends, closes, or drops the
//! socket (and with it its own listener); nothing panics, later events are handled as documented, and a
//! listener that drops itself runs exactly once.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use crate::common::{refused_url, sleep, url, within, Recorder};
use browser_ws::{ClientCloseCode, EventListener, Message, WebSocket};
use futures::channel::oneshot;
use wasm_bindgen_test::*;

type Shared<T> = Rc<RefCell<Option<T>>>;

#[wasm_bindgen_test]
async fn send_and_close_from_on_open() {
    let socket = Rc::new(WebSocket::open(&url("/echo")).expect("valid"));
    let mut events = Recorder::new(&socket);
    let inside = socket.clone();
    // What the callback saw, checked below: a panic in a callback would not fail the test.
    let seen = Rc::new(RefCell::new(Vec::new()));
    let seen_inside = seen.clone();
    let _listener = socket.on_open(move || {
        let sent = inside.send_text("from on_open").is_ok();
        let closed = inside
            .close_with(
                ClientCloseCode::new(4100).expect("sendable"),
                "from on_open",
            )
            .is_ok();
        let refused = inside.send_text("after close").is_err();
        seen_inside.borrow_mut().extend([sent, closed, refused]);
    });
    events.opened().await;
    // The message was sent before the close frame: the server echoes it, but the socket is closing and the
    // browser drops messages that arrive after close() was called; either way the close is clean.
    let (close, _) = loop {
        match events.next().await {
            crate::common::Event::Message(m) => assert_eq!(m, Message::text("from on_open")),
            crate::common::Event::Close(close) => break (close, ()),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!((close.code.code(), close.was_clean), (4100, true));
    assert_eq!(
        *seen.borrow(),
        [true, true, true],
        "inside on_open: sent, closed, then a send refused"
    );
}

#[wasm_bindgen_test]
async fn drop_the_socket_from_on_open() {
    let holder: Shared<WebSocket> = Rc::default();
    let socket = WebSocket::open(&url("/echo")).expect("valid");
    let raw = socket.as_raw().clone();
    let opens = Rc::new(Cell::new(0));
    let (opens_in, holder_in) = (opens.clone(), holder.clone());
    let listener = socket.on_open(move || {
        opens_in.set(opens_in.get() + 1);
        drop(holder_in.borrow_mut().take()); // drops the socket, which detaches this listener
    });
    *holder.borrow_mut() = Some(socket);
    within("the socket to close", async {
        while raw.ready_state() != web_sys::WebSocket::CLOSED {
            sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(opens.get(), 1);
    assert!(!listener.is_attached());
}

#[wasm_bindgen_test]
async fn send_from_on_message_keeps_a_conversation_going() {
    let socket = Rc::new(WebSocket::open(&url("/echo")).expect("valid"));
    let (done, finished) = oneshot::channel();
    let done = RefCell::new(Some(done));
    let inside = socket.clone();
    let _open = socket.on_open({
        let inside = socket.clone();
        move || inside.send_text("0").expect("open")
    });
    let _message = socket.on_message(move |message| {
        let n: u32 = message
            .as_text()
            .and_then(|t| t.parse().ok())
            .expect("a number");
        if n < 50 {
            inside
                .send_text(&(n + 1).to_string())
                .expect("open inside on_message");
        } else if let Some(done) = done.borrow_mut().take() {
            let _ = done.send(n);
        }
    });
    assert_eq!(within("50 round trips", finished).await, Ok(50));
}

#[wasm_bindgen_test]
async fn close_and_drop_from_on_error_and_on_close() {
    let holder: Shared<WebSocket> = Rc::default();
    let socket = WebSocket::open(refused_url()).expect("valid");
    let calls = Rc::new(RefCell::new(Vec::new()));
    let listeners: Shared<Vec<EventListener>> = Rc::default();
    let on_error = {
        let (holder, calls) = (holder.clone(), calls.clone());
        // What the callbacks saw is recorded and checked below: a panic in a callback would not fail the test.
        move || {
            let seen = match holder.borrow().as_ref() {
                Some(socket) => format!(
                    "error: close {}, send refused {}",
                    socket.close().is_ok(),
                    socket.send_text("x").is_err()
                ),
                None => "error: no socket".to_owned(),
            };
            calls.borrow_mut().push(seen);
        }
    };
    let on_close = {
        let (holder, calls, listeners) = (holder.clone(), calls.clone(), listeners.clone());
        move |close: browser_ws::CloseEvent| {
            calls
                .borrow_mut()
                .push(format!("close {}", close.code.code()));
            drop(holder.borrow_mut().take());
            drop(listeners.borrow_mut().take());
        }
    };
    *listeners.borrow_mut() = Some(vec![socket.on_error(on_error), socket.on_close(on_close)]);
    *holder.borrow_mut() = Some(socket);
    within("the close", async {
        while calls.borrow().len() < 2 {
            sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    sleep(Duration::from_millis(100)).await;
    assert_eq!(
        *calls.borrow(),
        ["error: close true, send refused true", "close 1006"]
    );
    assert!(holder.borrow().is_none() && listeners.borrow().is_none());
}
