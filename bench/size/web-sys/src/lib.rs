//! The minimal echo app, with web-sys alone: connect, send "hello", hand the first reply to `on_reply`, close
//! with 1000. Its gzipped size (Wasm + JS glue) is compared with the same app written with browser-ws and with
//! gloo-net. Like the wasm-bindgen guide's example, it has no error handling: a failed connection never calls
//! `on_reply`.
#![cfg(target_arch = "wasm32")]

use js_sys::Function;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, WebSocket};

/// Runs the app against `url`; `on_reply` receives the reply.
#[wasm_bindgen]
pub fn start(url: &str, on_reply: Function) -> Result<(), JsValue> {
    let socket = WebSocket::new(url)?;
    let on_open = {
        let socket = socket.clone();
        Closure::once_into_js(move || {
            let _ = socket.send_with_str("hello");
        })
    };
    socket.add_event_listener_with_callback("open", on_open.unchecked_ref())?;
    let on_message = {
        let socket = socket.clone();
        Closure::once_into_js(move |event: MessageEvent| {
            let reply = event.data().as_string().unwrap_or_else(|| "binary".into());
            let _ = on_reply.call1(&JsValue::NULL, &JsValue::from_str(&reply));
            let _ = socket.close_with_code(1000);
        })
    };
    socket.add_event_listener_with_callback("message", on_message.unchecked_ref())?;
    Ok(())
}
