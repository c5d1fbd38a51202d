//! Closing, from either side, and the close codes a client may send.
//!
//! Covers: a server close code and reason (non-ASCII too) reach `on_close`; an abrupt TCP drop gives 1006 with
//! `was_clean == false`; a client close with code and reason is clean and reaches the server; close codes 0, 999,
//! 1001, 1005, 2999, 5000 and a 124-byte reason are rejected while the socket stays open and usable; a 123-byte
//! multi-byte reason is accepted; closing twice is harmless.

use crate::common::open;
use browser_ws::{ClientCloseCode, CloseCode, CloseEvent, Error, Message, ReadyState};
use wasm_bindgen_test::*;

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

#[wasm_bindgen_test]
async fn server_close_code_and_reason_reach_on_close() {
    let (socket, mut events) =
        open(&format!("/close?code=4321&reason={}", encode("bye, 世界"))).await;
    let (close, saw_error) = events.closed().await;
    assert!(!saw_error);
    assert_eq!(
        close,
        CloseEvent {
            code: CloseCode::from(4321),
            reason: "bye, 世界".to_owned(),
            was_clean: true,
        }
    );
    assert_eq!(socket.ready_state(), ReadyState::Closed);
}

#[wasm_bindgen_test]
async fn server_close_after_messages_delivers_them_first() {
    let (socket, mut events) = open("/close?code=1001&reason=going&after=2").await;
    socket.send_text("one").expect("open");
    socket.send_text("two").expect("open");
    assert_eq!(events.message().await, Message::text("one"));
    assert_eq!(events.message().await, Message::text("two"));
    let (close, _) = events.closed().await;
    assert_eq!(
        (close.code, close.reason.as_str(), close.was_clean),
        (CloseCode::GOING_AWAY, "going", true)
    );
}

#[wasm_bindgen_test]
async fn abrupt_drop_gives_1006_not_clean() {
    // The server drops after echoing one message: a drop right after the handshake can beat the open event
    // (Firefox then reports only the close).
    let (socket, mut events) = open("/drop?after=1").await;
    socket.send_text("last").expect("open");
    assert_eq!(events.message().await, Message::text("last"));
    let (close, _) = events.closed().await;
    assert_eq!(close.code, CloseCode::ABNORMAL_CLOSURE);
    assert!(!close.was_clean);
}

#[wasm_bindgen_test]
async fn client_close_with_code_and_reason_is_clean() {
    let (socket, mut events) = open("/echo").await;
    let code = ClientCloseCode::new(3456).expect("sendable");
    socket.close_with(code, "client done").expect("valid close");
    let (close, saw_error) = events.closed().await;
    assert!(!saw_error);
    // The server echoes the client's close frame back.
    assert_eq!(
        close,
        CloseEvent {
            code: CloseCode::from(3456),
            reason: "client done".to_owned(),
            was_clean: true,
        }
    );
    socket.close().expect("closing again is harmless");
    socket
        .close_with(ClientCloseCode::NORMAL, "")
        .expect("closing again is harmless");
}

#[wasm_bindgen_test]
async fn unsendable_codes_and_long_reasons_leave_the_socket_open() {
    let (socket, mut events) = open("/echo").await;
    for code in [0, 999, 1001, 1005, 1006, 2999, 5000, u16::MAX] {
        assert_eq!(
            ClientCloseCode::new(code),
            Err(Error::InvalidCloseCode(code))
        );
    }
    let too_long = "é".repeat(62); // 124 bytes
    assert_eq!(
        socket.close_with(ClientCloseCode::NORMAL, &too_long),
        Err(Error::CloseReasonTooLong { len: 124 })
    );
    assert_eq!(
        socket.close_with(ClientCloseCode::NORMAL, &"a".repeat(124)),
        Err(Error::CloseReasonTooLong { len: 124 })
    );
    assert_eq!(socket.ready_state(), ReadyState::Open);
    socket.send_text("still open").expect("still open");
    assert_eq!(events.message().await, Message::text("still open"));

    let longest = "世".repeat(41); // 123 bytes
    socket
        .close_with(ClientCloseCode::new(4999).expect("sendable"), &longest)
        .expect("123 bytes fit");
    let (close, _) = events.closed().await;
    assert_eq!((close.code.code(), close.reason), (4999, longest));
}
