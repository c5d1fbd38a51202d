//! The minimal echo app over the least async WebSocket client that web-sys allows, written here: connect, send
//! "hello", hand the first reply to `on_reply`, close with 1000. Its gzipped size is the floor under any async
//! Rust API with the same runtime (`wasm_bindgen_futures::spawn_local`) and the same shape (a connect future, a
//! `Stream` of messages, a `Sink`), so the size table can say how much of an app's size a library adds.
//!
//! What it leaves out, against browser-ws: error events, the browser's exceptions as typed errors (an error here
//! is an empty marker), close codes and reasons checked before the call, send backpressure and its timers, a
//! bounded receive queue, more than one waiting task, Blob payloads, transports, close waiters. Received bytes
//! are copied the cheapest way known here (`Uint8Array.prototype.set`, as browser-ws does), not with js-sys'
//! `to_vec`.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use js_sys::{Function, Uint8Array};
use wasm_bindgen::prelude::{wasm_bindgen, Closure};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, Event, MessageEvent, WebSocket};

/// Runs the app against `url`; `on_reply` receives the reply, or `"error"`.
#[wasm_bindgen]
pub fn start(url: String, on_reply: Function) {
    wasm_bindgen_futures::spawn_local(async move {
        let reply = echo(&url).await.unwrap_or_else(|_| "error".into());
        let _ = on_reply.call1(&JsValue::NULL, &JsValue::from_str(&reply));
    });
}

async fn echo(url: &str) -> Result<String, Failed> {
    let mut connection = Connection::connect(url).await?;
    connection.send(Message::Text("hello".into())).await?;
    let reply = match connection.next().await {
        Some(Message::Text(text)) => text,
        _ => "binary".into(),
    };
    connection.close()?;
    Ok(reply)
}

enum Message {
    Text(String),
    Binary(Vec<u8>),
}

/// Any failure: the browser threw, or the connection closed first.
struct Failed;

#[derive(Default)]
struct State {
    open: bool,
    closed: bool,
    received: VecDeque<Message>,
    waker: Option<Waker>,
}

impl State {
    fn wake(state: &RefCell<State>) {
        let waker = state.borrow_mut().waker.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Ready with `ready`'s answer, or pending until the next event.
    fn poll<T>(
        state: &RefCell<State>,
        cx: &Context<'_>,
        ready: impl FnOnce(&mut State) -> Option<T>,
    ) -> Poll<T> {
        let mut state = state.borrow_mut();
        match ready(&mut state) {
            Some(answer) => Poll::Ready(answer),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

struct Connection {
    socket: WebSocket,
    state: Rc<RefCell<State>>,
    /// The open, message and close handlers, owned: dropped (and detached) with the connection.
    _handlers: [Closure<dyn FnMut(Event)>; 3],
}

impl Connection {
    async fn connect(url: &str) -> Result<Self, Failed> {
        let socket = WebSocket::new(url).map_err(|_| Failed)?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let state = Rc::new(RefCell::new(State::default()));
        let handler = |on_event: fn(&mut State, Event)| {
            let state = state.clone();
            Closure::<dyn FnMut(Event)>::new(move |event| {
                on_event(&mut state.borrow_mut(), event);
                State::wake(&state);
            })
        };
        let handlers = [
            handler(|state, _| state.open = true),
            handler(|state, event| {
                let data = event.unchecked_into::<MessageEvent>().data();
                state.received.push_back(match data.as_string() {
                    Some(text) => Message::Text(text),
                    None => {
                        let array = Uint8Array::new(&data);
                        let mut bytes = vec![0; array.length() as usize];
                        copy_into(&mut bytes, &array);
                        Message::Binary(bytes)
                    }
                });
            }),
            handler(|state, _| state.closed = true),
        ];
        socket.set_onopen(Some(handlers[0].as_ref().unchecked_ref()));
        socket.set_onmessage(Some(handlers[1].as_ref().unchecked_ref()));
        socket.set_onclose(Some(handlers[2].as_ref().unchecked_ref()));
        let connection = Connection {
            socket,
            state,
            _handlers: handlers,
        };
        poll_fn(|cx| {
            State::poll(&connection.state, cx, |state| {
                (state.open || state.closed).then_some(state.open)
            })
        })
        .await
        .then_some(connection)
        .ok_or(Failed)
    }

    fn close(&self) -> Result<(), Failed> {
        self.socket.close_with_code(1000).map_err(|_| Failed)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
    }
}

impl Stream for Connection {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        State::poll(&self.state, cx, |state| match state.received.pop_front() {
            Some(message) => Some(Some(message)),
            None => state.closed.then_some(None),
        })
    }
}

impl Sink<Message> for Connection {
    type Error = Failed;

    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Failed>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Failed> {
        if self.state.borrow().closed {
            return Err(Failed);
        }
        match message {
            Message::Text(text) => self.socket.send_with_str(&text),
            Message::Binary(bytes) => self.socket.send_with_u8_array(&bytes),
        }
        .map_err(|_| Failed)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Failed>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Failed>> {
        Poll::Ready(Connection::close(&self))
    }
}

#[wasm_bindgen]
extern "C" {
    /// `Uint8Array.prototype.set.call(target, source)`: copies `source` into `target`, a view of Wasm memory.
    #[wasm_bindgen(js_namespace = Uint8Array, js_name = "prototype.set.call")]
    fn copy_into(target: &mut [u8], source: &Uint8Array);
}
