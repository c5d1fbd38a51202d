//! Round trips through `/echo` with the callback-level socket.
//!
//! Covers: text (ASCII, non-ASCII, empty, 1 MiB); binary in ArrayBuffer mode and in Blob mode; sending an
//! `ArrayBuffer`, a `Blob` and a `Message`; many messages keep their order; the `/binary` route's payload
//! arrives intact; `bufferedAmount` is readable.

use crate::common::{blob_bytes, open};
use browser_ws::{BinaryType, Message};
use wasm_bindgen_test::*;

async fn echo_text(text: &str) {
    let (socket, mut events) = open("/echo").await;
    socket.send_text(text).expect("open socket sends");
    assert_eq!(events.message().await, Message::text(text));
}

#[wasm_bindgen_test]
async fn text_ascii_round_trips() {
    echo_text("hello, world").await;
}

#[wasm_bindgen_test]
async fn text_non_ascii_round_trips() {
    echo_text("héllo wörld, 你好, Привет, 🦀 and a NUL \0 too").await;
}

#[wasm_bindgen_test]
async fn text_empty_round_trips() {
    echo_text("").await;
}

#[wasm_bindgen_test]
async fn text_of_one_mebibyte_round_trips() {
    let text: String = (0..1 << 20)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    echo_text(&text).await;
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[wasm_bindgen_test]
async fn bytes_round_trip_in_array_buffer_mode() {
    let (socket, mut events) = open("/echo").await;
    socket.set_binary_type(BinaryType::ArrayBuffer);
    assert_eq!(socket.binary_type(), BinaryType::ArrayBuffer);
    for len in [0, 1, 1000, 70_000, 1 << 20] {
        socket.send_bytes(&pattern(len)).expect("open socket sends");
        assert_eq!(
            events.message().await,
            Message::Binary(pattern(len)),
            "length {len}"
        );
    }
}

#[wasm_bindgen_test]
async fn bytes_round_trip_in_blob_mode() {
    let (socket, mut events) = open("/echo").await;
    assert_eq!(
        socket.binary_type(),
        BinaryType::Blob,
        "the browser's default"
    );
    socket
        .send_bytes(&pattern(5000))
        .expect("open socket sends");
    match events.message().await {
        Message::Blob(blob) => assert_eq!(blob_bytes(&blob).await, pattern(5000)),
        other => panic!("expected a Blob, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn array_buffer_and_blob_and_message_can_be_sent() {
    let (socket, mut events) = open("/echo").await;
    socket.set_binary_type(BinaryType::ArrayBuffer);

    let array = js_sys::Uint8Array::from(&[1u8, 2, 3][..]);
    socket
        .send_array_buffer(&array.buffer())
        .expect("sends an ArrayBuffer");
    assert_eq!(events.message().await, Message::binary([1, 2, 3]));

    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(&[9u8, 8][..]));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).expect("a blob");
    socket.send_blob(&blob).expect("sends a Blob");
    assert_eq!(events.message().await, Message::binary([9, 8]));

    socket
        .send(&Message::text("via send"))
        .expect("sends a Message");
    assert_eq!(events.message().await, Message::text("via send"));
    socket.send(&Message::binary([7])).expect("sends a Message");
    assert_eq!(events.message().await, Message::binary([7]));
}

#[wasm_bindgen_test]
async fn many_messages_arrive_in_order() {
    let (socket, mut events) = open("/echo").await;
    for i in 0..200 {
        socket.send_text(&i.to_string()).expect("open socket sends");
    }
    for i in 0..200 {
        assert_eq!(events.message().await, Message::text(i.to_string()));
    }
    assert_eq!(
        socket.buffered_amount(),
        0,
        "everything was sent and echoed"
    );
}

#[wasm_bindgen_test]
async fn server_binary_payload_arrives_intact() {
    let (socket, mut events) = open("/binary?bytes=100000").await;
    // The server sends at once, so the first message may already be a Blob; later ones follow the new mode.
    match events.message().await {
        Message::Blob(blob) => assert_eq!(blob_bytes(&blob).await, pattern(100_000)),
        other => panic!("expected a Blob, got {other:?}"),
    }
    socket.set_binary_type(BinaryType::ArrayBuffer);
    socket.send_bytes(&pattern(10)).expect("open socket sends");
    assert_eq!(events.message().await, Message::Binary(pattern(10)));
}
