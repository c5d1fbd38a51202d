//! The minimal echo app, with browser-ws's callback API (`WebSocket` and its listeners; no futures runtime):
//! open, send "hello" once open, hand the first reply to `on_reply`, close with 1000. Beside the same app
//! written with the async API, it shows what the futures runtime and the async layer cost an app.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use browser_ws::{EventListener, Message, WebSocket};
use js_sys::Function;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

/// The running app: its socket's listeners (which hold the socket) and the callback not yet answered.
struct App {
    _listeners: [EventListener; 3],
    on_reply: Option<Function>,
}

thread_local! {
    /// Kept until the close event.
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
}

/// Runs the app against `url`; `on_reply` receives the reply, or `"error"`.
#[wasm_bindgen]
pub fn start(url: String, on_reply: Function) {
    let socket = match WebSocket::open(&url) {
        Ok(socket) => Rc::new(socket),
        Err(_) => return answer(&on_reply, "error"),
    };
    let (opened, replied) = (socket.clone(), socket.clone());
    let listeners = [
        socket.on_open(move || {
            let _ = opened.send_text("hello");
        }),
        socket.on_message(move |message| {
            reply(match &message {
                Message::Text(text) => text,
                _ => "binary",
            });
            let _ = replied.close();
        }),
        socket.on_close(|_| {
            reply("error");
            // Dropped after the borrow: the listeners (and with them the socket) go, this one included.
            let app = APP.with(|app| app.borrow_mut().take());
            drop(app);
        }),
    ];
    APP.with(|app| {
        *app.borrow_mut() = Some(App {
            _listeners: listeners,
            on_reply: Some(on_reply),
        })
    });
}

/// Answers `on_reply` the first time only.
fn reply(text: &str) {
    let on_reply = APP.with(|app| {
        app.borrow_mut()
            .as_mut()
            .and_then(|app| app.on_reply.take())
    });
    if let Some(on_reply) = on_reply {
        answer(&on_reply, text);
    }
}

fn answer(on_reply: &Function, text: &str) {
    let _ = on_reply.call1(&JsValue::NULL, &JsValue::from_str(text));
}
