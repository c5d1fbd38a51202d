//! Bad input from the caller, in the browser: every refusal is a typed error, never a panic, and nothing is
//! touched.
//!
//! Covers: every close code outside 1000 and 3000..=4999 is refused by `ClientCloseCode`; reasons of 123 bytes
//! in 1-, 2-, 3- and 4-byte characters pass and one more byte is refused with the socket left open; URLs from
//! the WHATWG WebSocket constructor tests (bad schemes, fragments, invalid ports, bad hosts) give
//! `InvalidUrl`; invalid subprotocol tokens and duplicates give `InvalidProtocol` before the browser is called.

use crate::common::{open, url};
use browser_ws::{ClientCloseCode, Error, Message, ReadyState, WebSocket};
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
fn every_unsendable_close_code_is_refused() {
    for code in 0..=u16::MAX {
        let allowed = code == 1000 || (3000..=4999).contains(&code);
        match ClientCloseCode::new(code) {
            Ok(valid) => assert!(allowed && valid.code() == code, "{code}"),
            Err(error) => assert!(!allowed && error == Error::InvalidCloseCode(code), "{code}"),
        }
    }
}

#[wasm_bindgen_test]
async fn reasons_at_the_limit_in_multibyte_characters() {
    let (socket, mut events) = open("/echo").await;
    // 123 bytes: 123 x 1, 61 x 2 + 1, 41 x 3, 30 x 4 + 3.
    let fits = [
        "a".repeat(123),
        format!("{}a", "é".repeat(61)),
        "世".repeat(41),
        format!("{}abc", "🦀".repeat(30)),
    ];
    for reason in &fits {
        assert_eq!(reason.len(), 123);
        let too_long = format!("{reason}b");
        assert_eq!(
            socket.close_with(ClientCloseCode::NORMAL, &too_long),
            Err(Error::CloseReasonTooLong { len: 124 })
        );
        assert_eq!(
            socket.ready_state(),
            ReadyState::Open,
            "a refused close leaves the socket open"
        );
    }
    socket.send_text("alive").expect("open");
    assert_eq!(events.message().await, Message::text("alive"));
    let last = fits.last().expect("four reasons");
    socket
        .close_with(ClientCloseCode::new(3001).expect("sendable"), last)
        .expect("123 bytes fit");
    let (close, _) = events.closed().await;
    assert_eq!(&close.reason, last);
}

#[wasm_bindgen_test]
fn urls_from_the_whatwg_constructor_tests_are_refused() {
    let base = url("/echo");
    let host = base
        .trim_start_matches("ws://")
        .trim_end_matches("/echo")
        .to_owned();
    for bad in [
        format!("ws://{host}/echo#"),
        format!("ws://{host}/echo#test"),
        format!("wss://{host}/#frag"),
        "ftp://127.0.0.1/".to_owned(),
        "file:///etc/passwd".to_owned(),
        "data:text/plain,hello".to_owned(),
        "about:blank".to_owned(),
        "ws://127.0.0.1:65536/".to_owned(),
        "ws://127.0.0.1:-1/".to_owned(),
        "ws://127.0.0.1:port/".to_owned(),
        "ws://[::1/".to_owned(),
        "ws://user@:80/".to_owned(),
        "ws://".to_owned(),
        "wss://".to_owned(),
    ] {
        assert!(
            matches!(WebSocket::open(&bad), Err(Error::InvalidUrl { ref url, .. }) if *url == bad),
            "{bad} was not refused as an invalid URL"
        );
    }
}

#[wasm_bindgen_test]
fn invalid_subprotocols_are_refused_before_the_browser() {
    let lists: [&[&str]; 9] = [
        &[""],
        &["a b"],
        &["a\u{0}b"],
        &["tab\t"],
        &["comma,separated"],
        &["semi;colon"],
        &["quote\""],
        &["ünicode"],
        &["dup", "other", "dup"],
    ];
    for list in lists {
        assert!(
            matches!(
                WebSocket::open_with_protocols(&url("/echo"), list),
                Err(Error::InvalidProtocol { .. })
            ),
            "{list:?}"
        );
    }
}
