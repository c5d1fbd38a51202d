//! The threads build: Wasm memory is a `SharedArrayBuffer` (`-C target-feature=+atomics`, std rebuilt with
//! `-Z build-std`; `cargo xtask test` runs this file and the rest of the suite that way in its
//! `browser-tests-threads` step, and its binary and text paths in Firefox in `browser-tests-threads-firefox`).
//!
//! Browsers refuse to send a view of shared memory (`WebSocket.send` throws a `TypeError`), so a client that
//! hands the browser a view into Wasm memory breaks in a threads build. browser-ws copies outgoing bytes into
//! a fresh `Uint8Array` first. This file shows that the memory is shared and that the refusal is real here;
//! the rest of the suite, run in the same build, shows that every send path still delivers exact bytes and
//! text (send_receive.rs: 0 B to 1 MiB; connection.rs: the `Sink`; faults.rs: 16 MiB each way).
//!
//! In an ordinary build the file compiles to nothing.
#![cfg(all(target_arch = "wasm32", target_feature = "atomics"))]

use crate::common::open;
use js_sys::{SharedArrayBuffer, WebAssembly};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

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
    let refused = socket.as_raw().send_with_u8_array(&[1, 2, 3]);
    let error = refused.expect_err("the browser sent a view of shared memory");
    let name = js_sys::Reflect::get(&error, &"name".into())
        .ok()
        .and_then(|n| n.as_string());
    assert_eq!(name.as_deref(), Some("TypeError"), "{error:?}");
}
