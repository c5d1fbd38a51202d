//! Opening a socket: URLs, subprotocols and the getters.
//!
//! Covers: invalid URLs (bad scheme, fragment, bad port or host; relative URLs are valid: they resolve against
//! the page) give `Error::InvalidUrl` with the browser's message; invalid subprotocol lists give
//! `Error::InvalidProtocol` before the browser is called; a requested subprotocol is negotiated and reported by
//! `protocol()` and by the server; the ready state goes Connecting, Open, Closing, Closed; `url`, `extensions` and
//! `as_raw` report the browser's values; a port with no server gives the error event, then close 1006.

use crate::common::{refused_url, url, Event, Recorder};
use browser_ws::{CloseCode, Error, Message, ReadyState, WebSocket};
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
fn invalid_urls_are_typed_errors() {
    for bad in [
        "ws://",
        "ws://[::1/echo",
        "javascript:alert(1)",
        "ftp://127.0.0.1/echo",
        "ws://127.0.0.1:9001/echo#fragment",
        "ws://127.0.0.1:99999/",
        "mailto:someone@localhost",
    ] {
        match WebSocket::open(bad) {
            Err(Error::InvalidUrl { url, message }) => {
                assert_eq!(url, bad);
                assert!(
                    !message.is_empty(),
                    "the browser's message is kept for {bad:?}"
                );
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
}

#[wasm_bindgen_test]
fn invalid_subprotocols_are_typed_errors() {
    for (protocols, culprit) in [
        (vec!["chat", ""], ""),
        (vec!["has space"], "has space"),
        (vec!["a,b"], "a,b"),
        (vec!["über"], "über"),
        (vec!["chat", "chat"], "chat"),
    ] {
        match WebSocket::open_with_protocols(&url("/echo"), &protocols) {
            Err(Error::InvalidProtocol { protocol, .. }) => assert_eq!(protocol, culprit),
            other => panic!("{protocols:?} gave {other:?}"),
        }
    }
}

#[wasm_bindgen_test]
async fn requested_subprotocol_is_negotiated() {
    let socket =
        WebSocket::open_with_protocols(&url("/protocol"), &["chat.v2", "chat.v1"]).expect("valid");
    let mut events = Recorder::new(&socket);
    assert_eq!(socket.protocol(), "", "nothing is negotiated before open");
    events.opened().await;
    assert_eq!(socket.protocol(), "chat.v2");
    assert_eq!(
        events.message().await,
        Message::text("chat.v2"),
        "the server agrees"
    );
    assert_eq!(
        socket.extensions(),
        "",
        "the echo server negotiates no compression"
    );
}

#[wasm_bindgen_test]
async fn ready_state_follows_the_connection() {
    let socket = WebSocket::open(&url("/echo")).expect("valid");
    let mut events = Recorder::new(&socket);
    assert_eq!(socket.ready_state(), ReadyState::Connecting);
    assert_eq!(socket.url(), url("/echo"));
    assert_eq!(socket.as_raw().url(), socket.url());
    events.opened().await;
    assert_eq!(socket.ready_state(), ReadyState::Open);
    socket.close().expect("closes");
    assert_eq!(socket.ready_state(), ReadyState::Closing);
    let (close, saw_error) = events.closed().await;
    assert!(!saw_error);
    assert_eq!(socket.ready_state(), ReadyState::Closed);
    assert_eq!(
        close.code,
        CloseCode::NORMAL,
        "close() sends 1000, unlike the DOM's close()"
    );
    assert!(close.was_clean);
}

#[wasm_bindgen_test]
async fn no_server_gives_error_then_close_1006() {
    let socket = WebSocket::open(refused_url()).expect("a valid URL");
    let mut events = Recorder::new(&socket);
    assert_eq!(events.next().await, Event::Error);
    let (close, _) = events.closed().await;
    assert_eq!(close.code, CloseCode::ABNORMAL_CLOSURE);
    assert!(!close.was_clean);
    assert_eq!(socket.ready_state(), ReadyState::Closed);
}

#[wasm_bindgen_test]
async fn http_scheme_is_mapped_to_ws() {
    let http = url("/echo").replacen("ws://", "http://", 1);
    let socket = WebSocket::open(&http).expect("http:// is accepted by current browsers");
    assert_eq!(socket.url(), url("/echo"));
    let mut events = Recorder::new(&socket);
    events.opened().await;
}
