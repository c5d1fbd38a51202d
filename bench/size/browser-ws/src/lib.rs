//! The minimal echo app, with browser-ws: connect, send "hello", hand the first reply to `on_reply`, close
//! with 1000. Its gzipped size (Wasm + JS glue) is compared with the same app written with gloo-net and with
//! web-sys alone.
#![cfg(target_arch = "wasm32")]

use browser_ws::{connect, Error, Message};
use futures_util::{SinkExt, StreamExt};
use js_sys::Function;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

/// Runs the app against `url`; `on_reply` receives the reply, or `"error"`.
#[wasm_bindgen]
pub fn start(url: String, on_reply: Function) {
    wasm_bindgen_futures::spawn_local(async move {
        let reply = echo(&url).await.unwrap_or_else(|_| "error".into());
        let _ = on_reply.call1(&JsValue::NULL, &JsValue::from_str(&reply));
    });
}

async fn echo(url: &str) -> Result<String, Error> {
    let mut connection = connect(url).await?;
    connection.send(Message::text("hello")).await?;
    let reply = match connection.next().await {
        Some(Ok(Message::Text(text))) => text,
        Some(Err(e)) => return Err(e),
        _ => "binary".into(),
    };
    connection.handle().close()?;
    Ok(reply)
}
