//! The minimal echo app, with gloo-net 0.6: connect, send "hello", hand the first reply to `on_reply`, close
//! with 1000. Its gzipped size (Wasm + JS glue) is compared with the same app written with browser-ws and with
//! web-sys alone.
#![cfg(target_arch = "wasm32")]

use futures_util::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::Message;
use js_sys::Function;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

/// Runs the app against `url`; `on_reply` receives the reply, or `"error"`.
#[wasm_bindgen]
pub fn start(url: String, on_reply: Function) {
    wasm_bindgen_futures::spawn_local(async move {
        let reply = echo(&url).await.unwrap_or_else(|| "error".into());
        let _ = on_reply.call1(&JsValue::NULL, &JsValue::from_str(&reply));
    });
}

async fn echo(url: &str) -> Option<String> {
    let mut socket = WebSocket::open(url).ok()?;
    socket.send(Message::Text("hello".into())).await.ok()?;
    let reply = match socket.next().await? {
        Ok(Message::Text(text)) => text,
        Ok(Message::Bytes(_)) => "binary".into(),
        Err(_) => return None,
    };
    socket.close(Some(1000), None).ok()?;
    Some(reply)
}
