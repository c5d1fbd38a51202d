//! The `WebSocketStream` transport: bindings for just what is used, and the tasks that read and watch it.
//!
//! web-sys has no binding for `WebSocketStream`, so this module declares what it uses: the constructor with
//! `{protocols, signal}`, `url`, the `opened` promise (`{readable, writable, protocol, extensions}`), the
//! `closed` promise (`{closeCode, reason}`, or a rejection when the close was not clean), `close({closeCode,
//! reason})`, a reader's `read` and `releaseLock`, a writer's `write`, and `AbortController`.
//!
//! Two tasks serve a connection, each holding only a `Weak` reference to it. The reader task waits for
//! `opened`, takes the reader and writer, and reads one chunk at a time into the receive queue; with
//! [`Overflow::Backpressure`](crate::connection::Overflow::Backpressure) it reads only while the queue has room, so a reader that stops taking messages
//! stops the reading of the socket. The close task waits for `closed`. When the connection is dropped, the
//! socket is closed with 1000 (or the handshake aborted); the reader task reads and discards what still
//! arrives until the stream ends (so a server held back by a paused reader gets to read the close frame), then
//! releases the reader's lock and ends, and no closure outlives the socket's promises.
//!
//! Everything here is reached through [`StreamOps`] from a function pointer that only
//! [`ConnectionBuilder::transport`](crate::connection::ConnectionBuilder::transport) stores: an app that never names another transport links none of it.

use std::cell::{Cell, OnceCell, RefCell};
use std::future::poll_fn;
use std::rc::{Rc, Weak};
use std::task::{Context, Waker};

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};

use crate::close::{validate_close_reason, ClientCloseCode, CloseCode, CloseEvent};
use crate::connection::options::{BinaryDelivery, ConnectionBuilder};
use crate::connection::shared::Shared;
use crate::connection::transport::Transport;
use crate::error::Error;
use crate::message::Message;
use crate::socket::open_error;
use crate::state::ReadyState;

/// [`Error::Unsupported`] for a Blob sent over `WebSocketStream`, which takes only strings and bytes.
pub(crate) fn blob_over_stream() -> Error {
    Error::Unsupported {
        feature: "sending a Blob over WebSocketStream".to_owned(),
    }
}

#[wasm_bindgen]
extern "C" {
    /// The browser's `WebSocketStream`.
    #[wasm_bindgen(js_name = WebSocketStream)]
    #[derive(Clone)]
    type RawStream;

    #[wasm_bindgen(constructor, catch, js_class = WebSocketStream)]
    fn new(url: &str, options: &Object) -> Result<RawStream, JsValue>;

    #[wasm_bindgen(method, getter, js_class = WebSocketStream)]
    fn url(this: &RawStream) -> String;

    #[wasm_bindgen(method, getter, js_class = WebSocketStream)]
    fn opened(this: &RawStream) -> Promise;

    #[wasm_bindgen(method, getter, js_class = WebSocketStream)]
    fn closed(this: &RawStream) -> Promise;

    #[wasm_bindgen(method, catch, js_class = WebSocketStream)]
    fn close(this: &RawStream, info: &Object) -> Result<(), JsValue>;

    /// What `opened` resolves with.
    type OpenInfo;

    #[wasm_bindgen(method, getter)]
    fn readable(this: &OpenInfo) -> Readable;

    #[wasm_bindgen(method, getter)]
    fn writable(this: &OpenInfo) -> Writable;

    #[wasm_bindgen(method, getter)]
    fn protocol(this: &OpenInfo) -> JsValue;

    #[wasm_bindgen(method, getter)]
    fn extensions(this: &OpenInfo) -> JsValue;

    /// A `ReadableStream`.
    type Readable;

    #[wasm_bindgen(method, catch, js_name = getReader)]
    fn get_reader(this: &Readable) -> Result<Reader, JsValue>;

    /// A `ReadableStreamDefaultReader`.
    type Reader;

    #[wasm_bindgen(method)]
    fn read(this: &Reader) -> Promise;

    #[wasm_bindgen(method, catch, js_name = releaseLock)]
    fn release_lock(this: &Reader) -> Result<(), JsValue>;

    /// What `read` resolves with: `{done, value}`.
    type ReadResult;

    #[wasm_bindgen(method, getter)]
    fn done(this: &ReadResult) -> bool;

    #[wasm_bindgen(method, getter)]
    fn value(this: &ReadResult) -> JsValue;

    /// A `WritableStream`.
    type Writable;

    #[wasm_bindgen(method, catch, js_name = getWriter)]
    fn get_writer(this: &Writable) -> Result<Writer, JsValue>;

    /// A `WritableStreamDefaultWriter`.
    type Writer;

    #[wasm_bindgen(method)]
    fn write(this: &Writer, chunk: &JsValue) -> Promise;

    /// The browser's `AbortController`, bound here so that no web-sys feature is needed.
    #[wasm_bindgen(js_name = AbortController)]
    type Abort;

    #[wasm_bindgen(constructor, catch, js_class = AbortController)]
    fn new() -> Result<Abort, JsValue>;

    #[wasm_bindgen(method, getter, js_class = AbortController)]
    fn signal(this: &Abort) -> JsValue;

    #[wasm_bindgen(method, js_class = AbortController)]
    fn abort(this: &Abort);
}

/// Whether the global scope (a window or a worker) has a `WebSocketStream` constructor.
pub(crate) fn available() -> bool {
    Reflect::get(&js_sys::global(), &JsValue::from_str("WebSocketStream"))
        .is_ok_and(|constructor| constructor.is_function())
}

/// What the connection's shared state asks of its `WebSocketStream`.
pub(crate) trait StreamOps {
    /// Starts the reader and close tasks; called once, right after the connection's state exists.
    fn start(&self, shared: Weak<Shared>);
    /// Writes a message; the connection is open (checked by the caller).
    fn send(&self, message: &Message) -> Result<(), Error>;
    /// Starts the closing handshake, or abandons a handshake still under way; nothing once closing.
    ///
    /// The code and reason come as one tuple, passed by address: with three arguments the dynamic call had the
    /// Wasm signature of wasm-bindgen's unused closure shims, which wasm-opt then kept (1.4 KB of Wasm in every
    /// app, on the classic path too).
    fn close_with(&self, close: (ClientCloseCode, &str)) -> Result<(), Error>;
    /// The state, from what the promises said so far and whether `close` was called.
    fn ready_state(&self) -> ReadyState;
    /// The bytes of writes not completed yet: `bufferedAmount`'s stand-in.
    fn buffered_amount(&self) -> u32;
    /// Wakes the task at the next write completion or at the close.
    fn wait_for_writes(&self, cx: &mut Context<'_>);
    fn url(&self) -> String;
    fn protocol(&self) -> String;
    fn extensions(&self) -> String;
    /// The `WebSocketStream` object.
    fn raw(&self) -> &JsValue;
}

/// Opens a `WebSocketStream` for `settings`, or `None` for the classic transport ([`Transport::Auto`] where the
/// browser has none). [`Error::Unsupported`] for [`Transport::Stream`] where it has none.
pub(crate) fn open(settings: &ConnectionBuilder) -> Result<Option<Box<dyn StreamOps>>, Error> {
    if !available() {
        return match settings.transport {
            Transport::Stream => Err(Error::Unsupported {
                feature: "WebSocketStream".to_owned(),
            }),
            Transport::Auto | Transport::Classic => Ok(None),
        };
    }
    let abort = Abort::new().map_err(|e| Error::from_exception(&e))?;
    let options = Object::new();
    if !settings.protocols.is_empty() {
        let list: Array = settings
            .protocols
            .iter()
            .map(|p| JsValue::from_str(p))
            .collect();
        set(&options, "protocols", &list);
    }
    set(&options, "signal", &abort.signal());
    let raw = RawStream::new(&settings.url, &options).map_err(|e| open_error(&settings.url, &e))?;
    Ok(Some(Box::new(StreamLink {
        raw,
        abort,
        io: Rc::default(),
        progress: Rc::default(),
        binary: settings.binary,
        shared: OnceCell::new(),
    })))
}

/// A connection's `WebSocketStream`, and its reader and writer once open.
struct StreamLink {
    raw: RawStream,
    abort: Abort,
    /// Set by the reader task once open.
    io: Rc<RefCell<Option<Io>>>,
    progress: Rc<Progress>,
    binary: BinaryDelivery,
    /// The connection, from `start` on.
    shared: OnceCell<Weak<Shared>>,
}

/// What the classic socket's `readyState` and `bufferedAmount` would say, kept here since `WebSocketStream` has
/// neither; shared with the tasks.
#[derive(Default)]
struct Progress {
    opened: Cell<bool>,
    closing: Cell<bool>,
    closed: Cell<bool>,
    /// Bytes handed to the writer whose write has not completed; a failed write's stay counted, as
    /// `bufferedAmount` keeps what never left.
    writing: Cell<u64>,
    /// Tasks waiting for a write to complete (the send watermarks, `drained`).
    write_wakers: RefCell<Vec<Waker>>,
    /// The latest write's promise and the bytes written since the tracker took the previous batch.
    batch: RefCell<Option<(Promise, u64)>>,
    /// [`track_writes`] is running.
    tracking: Cell<bool>,
    /// A close asked for while writes were in flight, made by [`track_writes`] once they have completed (see
    /// [`close_after_writes`]).
    pending_close: RefCell<Option<(RawStream, Object)>>,
}

impl Progress {
    fn wake_writers(&self) {
        let wakers = std::mem::take(&mut *self.write_wakers.borrow_mut());
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// What `opened` gave.
struct Io {
    writer: Writer,
    protocol: String,
    extensions: String,
}

impl StreamOps for StreamLink {
    fn start(&self, shared: Weak<Shared>) {
        let _ = self.shared.set(shared.clone());
        spawn_local(read_task(
            shared.clone(),
            self.raw.clone(),
            self.io.clone(),
            self.progress.clone(),
            self.binary,
        ));
        let closed = JsFuture::from(self.raw.closed());
        let progress = self.progress.clone();
        spawn_local(async move {
            let event = match closed.await {
                Ok(info) => CloseEvent {
                    code: CloseCode::from(number(&info, "closeCode").unwrap_or(1005)),
                    reason: string(&info, "reason"),
                    was_clean: true,
                },
                // A `WebSocketError` with the code and reason when there are any, else (an abort, a refused
                // connection) a 1006 as the classic socket reports it.
                Err(error) => CloseEvent {
                    code: CloseCode::from(number(&error, "closeCode").unwrap_or(1006)),
                    reason: string(&error, "reason"),
                    was_clean: false,
                },
            };
            progress.closed.set(true);
            progress.wake_writers();
            if let Some(shared) = shared.upgrade() {
                shared.handle_close(event);
            }
        });
    }

    fn send(&self, message: &Message) -> Result<(), Error> {
        let (chunk, len): (JsValue, usize) = match message {
            Message::Text(text) => (JsValue::from_str(text), text.len()),
            // Copied into a new array: a view into Wasm memory breaks when memory is shared or grows.
            Message::Binary(bytes) => (Uint8Array::from(bytes.as_slice()).into(), bytes.len()),
            Message::Blob(_) => return Err(blob_over_stream()),
        };
        let written = match self.io.borrow().as_ref() {
            Some(io) => io.writer.write(&chunk),
            None => return Err(Error::NotOpen(crate::state::ReadyState::Connecting)),
        };
        let len = u64::try_from(len).unwrap_or(u64::MAX);
        let progress = &self.progress;
        progress
            .writing
            .set(progress.writing.get().saturating_add(len));
        // Writes complete in order, so the latest one's promise stands for every write since the tracker last
        // looked: one promise awaited per batch, not one per message.
        let superseded = {
            let mut batch = progress.batch.borrow_mut();
            let superseded = batch.take();
            let bytes = superseded.as_ref().map_or(0, |(_, bytes)| *bytes);
            *batch = Some((written, bytes.saturating_add(len)));
            superseded
        };
        // When the stream fails every write rejects: one nobody awaits must not be reported as an unhandled
        // rejection. Outside the borrow: `catch` calls the promise's `then`, which a page may have replaced.
        if let Some((superseded, _)) = superseded {
            crate::promise::ignore_failure(&superseded);
        }
        if !progress.tracking.replace(true) {
            spawn_local(track_writes(progress.clone()));
        }
        Ok(())
    }

    fn close_with(&self, (code, reason): (ClientCloseCode, &str)) -> Result<(), Error> {
        validate_close_reason(reason)?;
        let progress = &self.progress;
        if progress.closed.get() || progress.closing.get() {
            return Ok(());
        }
        if !progress.opened.get() {
            self.abort.abort();
        } else {
            let info = Object::new();
            set(&info, "closeCode", &JsValue::from(code.code()));
            set(&info, "reason", &JsValue::from_str(reason));
            close_after_writes(progress, &self.raw, info).map_err(|e| Error::from_exception(&e))?;
            if let Some(shared) = self.shared.get().and_then(Weak::upgrade) {
                shared.read_on_for_close();
            }
        }
        progress.closing.set(true);
        // A send waiting for room waits on write completions, which a server that reads nothing never gives:
        // it must hear now that nothing more goes out.
        progress.wake_writers();
        Ok(())
    }

    fn ready_state(&self) -> ReadyState {
        let progress = &self.progress;
        if progress.closed.get() {
            ReadyState::Closed
        } else if progress.closing.get() {
            ReadyState::Closing
        } else if progress.opened.get() {
            ReadyState::Open
        } else {
            ReadyState::Connecting
        }
    }

    fn buffered_amount(&self) -> u32 {
        u32::try_from(self.progress.writing.get()).unwrap_or(u32::MAX)
    }

    fn wait_for_writes(&self, cx: &mut Context<'_>) {
        let mut wakers = self.progress.write_wakers.borrow_mut();
        let waker = cx.waker();
        wakers.retain(|known| !known.will_wake(waker));
        wakers.push(waker.clone());
    }

    fn url(&self) -> String {
        self.raw.url()
    }

    fn protocol(&self) -> String {
        self.io
            .borrow()
            .as_ref()
            .map(|io| io.protocol.clone())
            .unwrap_or_default()
    }

    fn extensions(&self) -> String {
        self.io
            .borrow()
            .as_ref()
            .map(|io| io.extensions.clone())
            .unwrap_or_default()
    }

    fn raw(&self) -> &JsValue {
        &self.raw
    }
}

impl Drop for StreamLink {
    fn drop(&mut self) {
        // Nothing listens any more. Close with 1000 like every close the crate makes for you (an error here
        // only means it is closing already), or abandon a handshake still under way. The reader task, which
        // holds only a `Weak`, then reads and discards what still arrives until the stream ends (see `drain`),
        // and releases its lock.
        if self.io.borrow_mut().take().is_some() {
            let _ = close_after_writes(&self.progress, &self.raw, normal_close());
        } else {
            self.abort.abort();
        }
    }
}

impl std::fmt::Debug for StreamLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketStream").finish_non_exhaustive()
    }
}

/// Waits for the socket to open, then reads it into the receive queue until it ends or the connection is gone.
async fn read_task(
    shared: Weak<Shared>,
    raw: RawStream,
    io: Rc<RefCell<Option<Io>>>,
    progress: Rc<Progress>,
    binary: BinaryDelivery,
) {
    // A rejection means it never opened; the close task reports how.
    let Ok(info) = JsFuture::from(raw.opened()).await else {
        return;
    };
    let info: OpenInfo = info.unchecked_into();
    let (Ok(reader), Ok(writer)) = (info.readable().get_reader(), info.writable().get_writer())
    else {
        return;
    };
    {
        let Some(shared) = shared.upgrade() else {
            // Dropped while the open was on its way: nobody will use it.
            close_normally(&raw);
            drain(&reader).await;
            let _ = reader.release_lock();
            return;
        };
        *io.borrow_mut() = Some(Io {
            writer,
            protocol: info.protocol().as_string().unwrap_or_default(),
            extensions: info.extensions().as_string().unwrap_or_default(),
        });
        progress.opened.set(true);
        shared.handle_open();
    }
    loop {
        // With `Overflow::Backpressure`, read only while the queue has room: this is what slows the server.
        let room = poll_fn(|cx| match shared.upgrade() {
            Some(shared) => shared.poll_room(cx).map(|()| true),
            None => std::task::Poll::Ready(false),
        })
        .await;
        if !room {
            drain(&reader).await;
            break;
        }
        let read = JsFuture::from(reader.read()).await;
        let Some(shared) = shared.upgrade() else {
            drain(&reader).await;
            break;
        };
        let chunk = match read {
            Ok(result) => Some(result.unchecked_into::<ReadResult>()).filter(|c| !c.done()),
            Err(_) => None,
        };
        let Some(chunk) = chunk else {
            // The server's close frame (or a failure) ended the readable. `closed` settles only once TCP has
            // closed, which a server may hold off: closing meanwhile, as the classic socket's `readyState` says,
            // so that sends are refused rather than written into a stream that drops them.
            progress.closing.set(true);
            shared.set_reading(false);
            break;
        };
        shared.handle_message(message_of_chunk(chunk.value(), binary));
    }
    let _ = reader.release_lock();
}

/// Counts the completed writes off, one batch at a time (see `send`), until no write is pending.
async fn track_writes(progress: Rc<Progress>) {
    loop {
        let next = progress.batch.borrow_mut().take();
        let Some((written, bytes)) = next else {
            progress.tracking.set(false);
            let close = progress.pending_close.borrow_mut().take();
            if let Some((raw, info)) = close {
                let _ = raw.close(&info);
            }
            return;
        };
        // A failed write means the connection failed: the batch stays counted (some of it may have left before;
        // nothing can tell which), as the classic socket's `bufferedAmount` keeps what it could not send.
        if JsFuture::from(written).await.is_ok() {
            progress
                .writing
                .set(progress.writing.get().saturating_sub(bytes));
        }
        progress.wake_writers();
    }
}

/// The connection is gone and its socket closing: reads and discards what still arrives until the stream ends.
/// Chromium reads the network only as fast as the readable is read, so a server blocked in sending to a paused
/// reader would otherwise never get to read the close frame (measured: the connection stayed open for as long
/// as anyone looked).
async fn drain(reader: &Reader) {
    while let Ok(result) = JsFuture::from(reader.read()).await {
        if result.unchecked_into::<ReadResult>().done() {
            break;
        }
    }
}

/// The message a chunk of the readable stream carries: a string, or bytes (an `ArrayBuffer` or a view).
fn message_of_chunk(value: JsValue, binary: BinaryDelivery) -> Message {
    if binary == BinaryDelivery::Blob && !value.is_string() {
        // WebSocketStream has no Blob mode: the bytes are wrapped in one, without passing through Wasm memory.
        if let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence(&Array::of1(&value)) {
            return Message::Blob(blob);
        }
    }
    Message::from_event_data(value)
}

/// Closes with 1000, best effort (an error only means it is closing already).
fn close_normally(raw: &RawStream) {
    let _ = raw.close(&normal_close());
}

/// The close info of a normal close (1000, no reason).
fn normal_close() -> Object {
    let info = Object::new();
    set(
        &info,
        "closeCode",
        &JsValue::from(ClientCloseCode::NORMAL.code()),
    );
    info
}

/// Closes `raw` with `info` once the writes in flight have completed ([`track_writes`] does it then), or at
/// once when none is. Chromium sends the close frame ahead of the chunks still queued in the writable stream,
/// which are then lost although their writes resolve (measured: of 20 writes made in one task before `close`,
/// the server got 1); the classic socket sends what it buffered first.
fn close_after_writes(progress: &Progress, raw: &RawStream, info: Object) -> Result<(), JsValue> {
    if progress.tracking.get() {
        progress
            .pending_close
            .borrow_mut()
            .get_or_insert_with(|| (raw.clone(), info));
        return Ok(());
    }
    raw.close(&info)
}

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn number(value: &JsValue, key: &str) -> Option<u16> {
    let number = Reflect::get(value, &JsValue::from_str(key))
        .ok()?
        .as_f64()?;
    (number.fract() == 0.0 && (0.0..=65535.0).contains(&number)).then_some(number as u16)
}

fn string(value: &JsValue, key: &str) -> String {
    Reflect::get(value, &JsValue::from_str(key))
        .ok()
        .and_then(|reason| reason.as_string())
        .unwrap_or_default()
}
