//! The threads build: Wasm memory is a `SharedArrayBuffer` (`-C target-feature=+atomics`, std rebuilt with
//! `-Z build-std`; `cargo xtask test` runs this file and the rest of the suite that way in its
//! `browser-tests-threads` step, and its binary and text paths in Firefox in `browser-tests-threads-firefox`).
//!
//! Browsers refuse to send a view of shared memory (`WebSocket.send` throws a `TypeError`), so a client that
//! hands the browser a view into Wasm memory breaks in a threads build. browser-ws copies outgoing bytes into
//! a fresh `Uint8Array` first; these tests show that the refusal is real here and that every send path of
//! the crate still delivers the exact bytes and text.
//!
//! In an ordinary build the file compiles to nothing.
#![cfg(all(target_arch = "wasm32", target_feature = "atomics"))]

mod common;

use browser_ws::{connect, BinaryType, Message};
use common::{open, within};
use futures::{SinkExt, StreamExt};
use js_sys::{SharedArrayBuffer, WebAssembly};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[wasm_bindgen_test]
fn wasm_memory_is_shared() {
    let memory: WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    assert!(
        memory.buffer().is_instance_of::<SharedArrayBuffer>(),
        "this build's memory is not shared: the threads flags did not reach the linker"
    );
}

/// The negative control: web-sys's `send_with_u8_array` passes the browser a view into Wasm memory, which
/// is exactly what a shared memory forbids. If this ever stops failing, the other tests prove less.
#[wasm_bindgen_test]
async fn the_browser_refuses_a_view_of_shared_memory() {
    let (socket, _events) = open("/echo").await;
    let refused = socket.as_raw().send_with_u8_array(&pattern(16));
    let error = refused.expect_err("the browser sent a view of shared memory");
    let name = js_sys::Reflect::get(&error, &"name".into())
        .ok()
        .and_then(|n| n.as_string());
    assert_eq!(name.as_deref(), Some("TypeError"), "{error:?}");
}

#[wasm_bindgen_test]
async fn bytes_from_shared_memory_round_trip() {
    let (socket, mut events) = open("/echo").await;
    socket.set_binary_type(BinaryType::ArrayBuffer);
    for len in [0, 1, 1000, 1 << 20] {
        socket.send_bytes(&pattern(len)).expect("open socket sends");
        assert_eq!(
            events.message().await,
            Message::Binary(pattern(len)),
            "length {len}"
        );
    }
}

#[wasm_bindgen_test]
async fn text_from_shared_memory_round_trips() {
    let (socket, mut events) = open("/echo").await;
    let text = "shared memory: héllo, 你好, 🦀";
    socket.send_text(text).expect("open socket sends");
    assert_eq!(events.message().await, Message::text(text));
}

#[wasm_bindgen_test]
async fn the_async_connection_sends_and_receives_bytes() {
    let mut connection = within("connect", connect(&common::url("/echo")))
        .await
        .expect("the echo server accepts");
    let payload = pattern(70_000);
    within("send", connection.send(Message::Binary(payload.clone())))
        .await
        .expect("sent");
    let echoed = within("echo", connection.next()).await;
    assert_eq!(
        echoed.map(|m| m.expect("a message")),
        Some(Message::Binary(payload))
    );
}
