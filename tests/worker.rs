//! The crate in a dedicated Web Worker, where there is no `window` and no `document`: only the global scope.
//!
//! Covers: the callback socket (text, bytes, a close with code and reason); the async API (`Sink`/`Stream`, a
//! connect timeout, which needs the global `setTimeout`); the reconnecting client (it listens for `online` on
//! the global scope and for visibility on a `document` that is not there) through a server that drops it;
//! `Transport::Auto` finds `WebSocketStream` on the worker's global where the browser has it (Chromium) and
//! echoes over it, or falls back; decoding an image with `createImageBitmap`, and a clear error for the image-element decoder; drawing on and
//! encoding an `OffscreenCanvas` (pixels exact, and a canvas with no area refused); with the `js` feature, the
//! JS `WebSocketClient` (connect, send, its message iterator, the close promise's `CloseEvent`) and `drawBlob` on
//! an `OffscreenCanvas`.
#![cfg(target_arch = "wasm32")]

mod common;

use std::time::Duration;

use browser_ws::canvas::{
    canvas_to_blob, draw_blob, draw_bytes, DecodedImage, Decoder, DrawOptions, Fit,
};
use browser_ws::connection::{Connection, Transport};
use browser_ws::reconnect::{Backoff, ClientState, ReconnectingClient};
use browser_ws::{BinaryType, ClientCloseCode, CloseCode, Error, Message};
use common::{auto_transport, open, url, within};
use futures::{SinkExt, StreamExt};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{OffscreenCanvas, OffscreenCanvasRenderingContext2d};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
fn this_is_a_worker() {
    assert!(web_sys::window().is_none(), "the tests run in a window");
    assert!(
        js_sys::global()
            .dyn_into::<web_sys::DedicatedWorkerGlobalScope>()
            .is_ok(),
        "the global scope is not a dedicated worker's"
    );
}

#[wasm_bindgen_test]
async fn the_callback_socket_sends_receives_and_closes() {
    let (socket, mut events) = open("/echo").await;
    socket.set_binary_type(BinaryType::ArrayBuffer);
    socket.send_text("from a worker").expect("open");
    assert_eq!(events.message().await, Message::text("from a worker"));
    socket.send_bytes(&[1, 2, 3]).expect("open");
    assert_eq!(events.message().await, Message::Binary(vec![1, 2, 3]));
    let code = ClientCloseCode::new(4000).expect("a valid code");
    socket.close_with(code, "done").expect("closes");
    let (close, _) = events.closed().await;
    assert_eq!(
        (close.code, close.reason.as_str(), close.was_clean),
        (CloseCode::from(4000), "done", true)
    );
}

#[wasm_bindgen_test]
async fn the_async_api_works_and_times_out() {
    let mut connection = within("connect", Connection::builder(&url("/echo")).connect())
        .await
        .expect("connects");
    let payload = vec![7u8; 100_000];
    within("send", connection.send(Message::Binary(payload.clone())))
        .await
        .expect("sent");
    let echoed = within("the echo", connection.next()).await;
    assert_eq!(echoed, Some(Ok(Message::Binary(payload))));
    connection.handle().close().expect("closes");

    let timing_out = Connection::builder(&url("/no-handshake"))
        .connect_timeout(Duration::from_millis(200))
        .connect();
    match within("the connect timeout", timing_out).await {
        Err(Error::ConnectTimeout { .. }) => {}
        other => panic!("expected a connect timeout, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn auto_finds_websocketstream_on_the_worker_global() {
    let (_, expected) = auto_transport();
    let mut connection = Connection::builder(&url("/echo"))
        .transport(Transport::Auto)
        .connect()
        .await
        .expect("connects");
    assert_eq!(connection.handle().transport(), expected);
    connection
        .send(Message::text("worker stream"))
        .await
        .expect("sends");
    assert_eq!(
        within("the echo", connection.next()).await,
        Some(Ok(Message::text("worker stream")))
    );
}

#[wasm_bindgen_test]
async fn the_reconnecting_client_reconnects() {
    let client = ReconnectingClient::builder(&url("/drop?after=2"))
        .backoff(Backoff {
            initial: Duration::from_millis(10),
            max: Duration::from_millis(10),
            factor: 1.0,
            jitter: 0.0,
        })
        .start();
    let handle = client.handle().clone();
    let mut states = handle.state_changes();
    let (mut sink, mut stream) = client.split();
    for text in ["a", "b"] {
        within("send", sink.send(Message::text(text)))
            .await
            .expect("sent or queued");
    }
    for text in ["a", "b"] {
        let echoed = within("an echo", stream.next()).await;
        assert_eq!(echoed, Some(Ok(Message::text(text))));
    }
    // The server drops the connection after two messages; the client opens another.
    within("a reconnect", async {
        let mut dropped = false;
        while let Some(state) = states.next().await {
            dropped |= matches!(state, ClientState::Disconnected(_));
            if dropped && state == ClientState::Open {
                return;
            }
        }
        panic!("the state changes ended");
    })
    .await;
    within("send", sink.send(Message::text("c")))
        .await
        .expect("sent");
    let echoed = within("an echo after the reconnect", stream.next()).await;
    assert_eq!(echoed, Some(Ok(Message::text("c"))));
    handle.close().expect("closes");
}

/// A 3×2 PNG, made without a canvas (a worker has none): red, green and blue columns.
const PNG_3X2: [u8; 77] = [
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 3, 0, 0, 0, 2, 8, 6, 0,
    0, 0, 157, 116, 102, 26, 0, 0, 0, 20, 73, 68, 65, 84, 120, 218, 99, 248, 207, 192, 240, 31, 12,
    25, 254, 67, 72, 24, 7, 0, 149, 132, 11, 245, 55, 147, 161, 243, 0, 0, 0, 0, 73, 69, 78, 68,
    174, 66, 96, 130,
];

#[wasm_bindgen_test]
async fn images_decode_with_image_bitmap_and_the_element_decoder_says_why_not() {
    let image = DecodedImage::from_bytes(&PNG_3X2, "image/png", &DrawOptions::default())
        .await
        .expect("decodes");
    assert_eq!(image.decoder(), Decoder::ImageBitmap);
    assert_eq!((image.size().width, image.size().height), (3, 2));

    let element = DrawOptions {
        decoder: Decoder::ImageElement,
        ..DrawOptions::default()
    };
    match DecodedImage::from_bytes(&PNG_3X2, "image/png", &element).await {
        Err(Error::Browser { name, message }) => {
            assert_eq!(name, "NotSupportedError");
            assert!(message.contains("worker"), "{message}");
        }
        other => panic!("expected NotSupportedError, got {other:?}"),
    }
}

/// The pixels of a whole `OffscreenCanvas`, RGBA.
fn pixels(canvas: &OffscreenCanvas) -> Vec<u8> {
    let context: OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")
        .expect("a context")
        .expect("a 2d context")
        .unchecked_into();
    let (width, height) = (canvas.width(), canvas.height());
    let data = context
        .get_image_data(0.0, 0.0, f64::from(width), f64::from(height))
        .expect("readable");
    data.data().to_vec()
}

/// The pixels of `PNG_3X2`: two rows of red, green, blue.
const PNG_3X2_PIXELS: [u8; 24] = [
    255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255,
];

#[wasm_bindgen_test]
async fn an_offscreen_canvas_is_drawn_on_and_encoded() {
    let resize = DrawOptions {
        fit: Fit::ResizeCanvas,
        ..DrawOptions::default()
    };
    let canvas = OffscreenCanvas::new(5, 5).expect("an OffscreenCanvas");
    let size = draw_bytes(&canvas, &PNG_3X2, "image/png", &resize)
        .await
        .expect("drawn");
    assert_eq!((size.width, size.height), (3, 2));
    assert_eq!((canvas.width(), canvas.height()), (3, 2));
    assert_eq!(pixels(&canvas), PNG_3X2_PIXELS);

    let png = canvas_to_blob(&canvas, "image/png", None)
        .await
        .expect("encoded");
    assert_eq!(png.type_(), "image/png");
    let copy = OffscreenCanvas::new(1, 1).expect("an OffscreenCanvas");
    draw_blob(&copy, &png, &resize).await.expect("drawn");
    assert_eq!(
        pixels(&copy),
        PNG_3X2_PIXELS,
        "the same pixels after a round trip"
    );

    let empty = OffscreenCanvas::new(0, 3).expect("an OffscreenCanvas");
    match canvas_to_blob(&empty, "image/png", None).await {
        Err(Error::ImageEncode { message }) => assert!(message.contains("0×3"), "{message}"),
        other => panic!("expected ImageEncode, got {other:?}"),
    }
}

#[cfg(feature = "js")]
#[wasm_bindgen_test]
async fn the_js_draw_blob_takes_an_offscreen_canvas() {
    let canvas = OffscreenCanvas::new(1, 1).expect("an OffscreenCanvas");
    let options = js_sys::JSON::parse(r#"{"fit": "resize-canvas"}"#).expect("JSON");
    let bytes = js_sys::Uint8Array::from(&PNG_3X2[..]);
    let drawing = browser_ws::js::draw_blob(canvas.clone().into(), bytes.into(), Some(options));
    within("drawBlob", wasm_bindgen_futures::JsFuture::from(drawing))
        .await
        .expect("drawn");
    assert_eq!(pixels(&canvas), PNG_3X2_PIXELS);
}

#[cfg(feature = "js")]
#[wasm_bindgen_test]
async fn the_js_client_works_in_a_worker() {
    use browser_ws::js::WebSocketClient;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_futures::JsFuture;

    let connect = WebSocketClient::connect(JsValue::from_str(&url("/echo")), None);
    let client = within("connect", connect).await.expect("connects");
    let messages = client.messages(None).expect("an iterator");
    client.send(JsValue::from_str("hi")).expect("sent");
    let next = within("a message", JsFuture::from(messages.next()))
        .await
        .expect("resolves");
    let value = js_sys::Reflect::get(&next, &JsValue::from_str("value")).expect("an object");
    assert_eq!(value.as_string().as_deref(), Some("hi"));
    let closing = client
        .close(Some(JsValue::from_f64(4000.0)), None)
        .expect("closes");
    let close: web_sys::CloseEvent = within("the close", JsFuture::from(closing))
        .await
        .expect("resolves")
        .unchecked_into();
    assert_eq!((close.code(), close.was_clean()), (4000, true));
}
