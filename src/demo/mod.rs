//! The demo page served by `trunk serve` (`www/index.html`): the classic WebSocket sample rebuilt on this
//! crate, with its faults fixed.
//!
//! The sample writes received text with `innerHTML` (a script injection), returns silently when the socket is
//! not open, leaks an object URL per received image and sends the canvas with IE's `msToBlob()`. Here received
//! data only ever becomes `textContent`, sending is disabled with a visible reason, images are decoded with
//! [`draw_blob`] / [`draw_bytes`] (no object URL, or one that is revoked) and encoded with the standard
//! [`canvas_to_blob`]. Every callback is owned by an [`EventListener`]; the app itself is owned by a
//! thread-local for the page's lifetime: no closure is leaked.

mod session;
mod sketch;
mod ui;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsError};
use wasm_bindgen_futures::spawn_local;
use web_sys::{Blob, Event, EventTarget, KeyboardEvent, PointerEvent};

use crate::canvas::{canvas_to_blob, draw_blob, draw_bytes, DrawOptions, Fit};
use crate::{BinaryType, ClientCloseCode, CloseEvent, Error, EventListener, Message, ReadyState};
use session::{with, Session};
use sketch::Sketch;
use ui::{format_bytes, preview, Tone, Traffic, Ui};

thread_local! {
    /// The running demo. Owning it here (rather than leaking it) keeps every listener alive as long as the page.
    static APP: RefCell<Option<Rc<App>>> = const { RefCell::new(None) };
}

/// Limits for received images: generous for a demo, but a hostile server cannot make the tab decode gigapixels.
const DRAW_OPTIONS: DrawOptions = DrawOptions {
    fit: Fit::Contain,
    max_bytes: 8_000_000,
    max_pixels: 4096 * 4096,
    decoder: crate::canvas::Decoder::Auto,
};

/// Quality for JPEG and WebP (PNG is lossless).
const IMAGE_QUALITY: f64 = 0.9;

/// Starts the demo once the Wasm module is loaded (called by wasm-bindgen, from `www/boot.js`).
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsError> {
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| JsError::new("the demo needs a page with a document"))?;
    let ui = Ui::find(document)?;
    let sketch = Sketch::new(ui.source.clone())?;
    let app = Rc::new(App {
        ui,
        sketch,
        session: RefCell::new(None),
        traffic: Cell::new(Traffic::default()),
        next_image: RefCell::new(None),
        skipped_images: Cell::new(0),
        drawing: Cell::new(false),
        listeners: RefCell::new(Vec::new()),
    });
    app.sketch.reset();
    app.ui.url.set_value(&default_url());
    app.ui.show_traffic(&Traffic::default());
    app.ui.log(
        "ready",
        Tone::Neutral,
        "demo started; connecting as the sample does on load",
    );
    let listeners = wire(&app);
    *app.listeners.borrow_mut() = listeners;
    app.connect();
    APP.with(|slot| *slot.borrow_mut() = Some(app));
    Ok(())
}

/// `ws(s)://<this host>/echo`, the sample's `ws://sample-host/echo` on the page's own origin (Trunk forwards it
/// to the echo server).
fn default_url() -> String {
    let location = web_sys::window().map(|window| window.location());
    let (protocol, host) = location
        .map(|l| {
            (
                l.protocol().unwrap_or_default(),
                l.host().unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    let scheme = if protocol == "https:" { "wss" } else { "ws" };
    let host = if host.is_empty() {
        "localhost:8080"
    } else {
        &host
    };
    format!("{scheme}://{host}/echo")
}

/// A received image waiting to be drawn.
enum Image {
    Blob(Blob),
    Bytes(Vec<u8>),
}

pub(crate) struct App {
    ui: Ui,
    sketch: Sketch,
    session: RefCell<Option<Session>>,
    traffic: Cell<Traffic>,
    /// The latest received image not drawn yet. Decoding is asynchronous; each image covers the one before, so
    /// one that arrives while another waits replaces it (counted in `skipped_images`), and a server that sends
    /// images faster than they decode costs one image of memory, not a growing queue.
    next_image: RefCell<Option<Image>>,
    /// Images replaced before they were drawn, since the last one drawn: its caption says how many.
    skipped_images: Cell<u64>,
    /// Whether a task is drawing.
    drawing: Cell<bool>,
    /// The page's listeners (buttons, canvas, ...).
    listeners: RefCell<Vec<EventListener>>,
}

impl App {
    /// The socket's state, `None` before the first connection.
    fn state(&self) -> Option<ReadyState> {
        self.session
            .borrow()
            .as_ref()
            .map(|session| session.socket.ready_state())
    }

    /// Shows the ready state and enables or disables the buttons to match.
    fn refresh(&self) {
        self.ui.show_state(self.state());
    }

    fn connect(self: &Rc<Self>) {
        let url = self.ui.url.value().trim().to_owned();
        // Dropping the previous session detaches its listeners and closes it: no stale event can arrive.
        let previous = self.session.borrow_mut().take();
        if previous.is_some_and(|p| p.socket.ready_state() != ReadyState::Closed) {
            self.ui
                .log("info", Tone::Neutral, "closed the previous connection");
        }
        match Session::open(&url, self.ui.binary_type(), &Rc::downgrade(self)) {
            Ok(session) => {
                *self.session.borrow_mut() = Some(session);
                self.ui.set_status("Connecting…", Tone::Neutral);
                self.ui.log("connect", Tone::Neutral, &url);
            }
            // An unparseable URL, a bad scheme, a blocked port: the browser throws, the crate types it.
            Err(error) => {
                self.ui
                    .set_status(&format!("Not connected: {error}"), Tone::Bad);
                self.ui.log("error", Tone::Bad, &error.to_string());
            }
        }
        self.refresh();
    }

    fn disconnect(&self) {
        let session = self.session.borrow();
        let Some(session) = session.as_ref() else {
            return;
        };
        let code_text = self.ui.close_code.value();
        let code = match code_text.trim().parse::<u16>() {
            // A client may only send 1000 or 3000..=4999; the type checks it before the browser is asked.
            Ok(code) => ClientCloseCode::new(code),
            Err(_) => {
                self.ui.log(
                    "error",
                    Tone::Bad,
                    &format!("close code {code_text:?} is not a number"),
                );
                return;
            }
        };
        let reason = self.ui.close_reason.value();
        match code.and_then(|code| session.socket.close_with(code, &reason)) {
            Ok(()) => {
                // Until the server answers the close, which a slow or dead one may never do.
                self.ui.set_status("Closing…", Tone::Neutral);
                self.ui.log(
                    "closing",
                    Tone::Neutral,
                    &format!("close code {}, reason {reason:?}", code_text.trim()),
                );
            }
            // A code out of range, or a reason over 123 bytes: the socket is left as it was.
            Err(error) => self.ui.log("error", Tone::Bad, &error.to_string()),
        }
        self.ui.show_state(Some(session.socket.ready_state()));
    }

    fn set_binary_type(&self) {
        let binary_type = self.ui.binary_type();
        if let Some(session) = &*self.session.borrow() {
            session.socket.set_binary_type(binary_type);
        }
        let arrives_as = match binary_type {
            BinaryType::Blob => "Message::Blob",
            BinaryType::ArrayBuffer => "Message::Binary (bytes)",
        };
        self.ui.log(
            "info",
            Tone::Neutral,
            &format!("binaryType {binary_type}: binary messages now arrive as {arrives_as}"),
        );
    }

    /// Sends `message`; `what` describes it for the log. A socket that is not open is an error, shown.
    fn send(&self, message: &Message, what: &str) {
        let result = match &*self.session.borrow() {
            Some(session) => session.socket.send(message),
            None => Err(Error::NotOpen(ReadyState::Closed)),
        };
        match result {
            Ok(()) => {
                let mut traffic = self.traffic.get();
                traffic.sent_messages += 1;
                traffic.sent_bytes += message.len() as u64;
                self.traffic.set(traffic);
                self.ui.show_traffic(&traffic);
                self.ui.log("sent", Tone::Sent, what);
            }
            Err(error) => self
                .ui
                .log("error", Tone::Bad, &format!("not sent: {error}")),
        }
        self.refresh();
    }

    fn send_text(&self) {
        let text = self.ui.text_message.value();
        let what = format!(
            "text, {}: {}",
            format_bytes(text.len() as u64),
            preview(&text)
        );
        self.send(&Message::text(text), &what);
    }

    /// Encodes the source canvas (asynchronously, as `toBlob` does) and sends it as a Blob.
    fn send_canvas(self: &Rc<Self>) {
        let mime = self.ui.image_format.value();
        let canvas = self.ui.source.clone();
        let app = Rc::downgrade(self);
        spawn_local(async move {
            let encoded = canvas_to_blob(&canvas, &mime, Some(IMAGE_QUALITY)).await;
            with(&app, |app| match encoded {
                Ok(blob) => {
                    let what = format!(
                        "{} Blob, {}",
                        blob.type_(),
                        format_bytes(blob.size() as u64)
                    );
                    app.send(&Message::Blob(blob), &what);
                }
                Err(error) => app.ui.log(
                    "error",
                    Tone::Bad,
                    &format!("could not encode the canvas: {error}"),
                ),
            });
        });
    }

    fn opened(&self) {
        self.ui.set_status("Socket Open", Tone::Good);
        let detail = match &*self.session.borrow() {
            Some(session) => {
                let socket = &session.socket;
                let extensions = socket.extensions();
                format!(
                    "{} (binaryType {}, extensions: {})",
                    socket.url(),
                    socket.binary_type(),
                    if extensions.is_empty() {
                        "none"
                    } else {
                        &extensions
                    }
                )
            }
            None => String::new(),
        };
        self.ui.log("open", Tone::Good, &detail);
        self.refresh();
    }

    fn received(self: &Rc<Self>, message: Message) {
        let bytes = message.len() as u64;
        let mut traffic = self.traffic.get();
        traffic.received_messages += 1;
        traffic.received_bytes += bytes;
        self.traffic.set(traffic);
        self.ui.show_traffic(&traffic);
        let size = format_bytes(bytes);
        match message {
            Message::Text(text) => {
                // As text: `<img src=x onerror=...>` stays a string of characters.
                self.ui.set_reply(&text);
                self.ui.log(
                    "received",
                    Tone::Received,
                    &format!("text, {size}: {}", preview(&text)),
                );
            }
            Message::Blob(blob) => {
                self.ui
                    .log("received", Tone::Received, &format!("Blob, {size}"));
                self.draw(Image::Blob(blob));
            }
            Message::Binary(bytes) => {
                self.ui
                    .log("received", Tone::Received, &format!("ArrayBuffer, {size}"));
                self.draw(Image::Bytes(bytes));
            }
        }
    }

    fn errored(&self) {
        // The error event says nothing by design; the close event that follows tells how it ended.
        self.ui.set_status("Error was reported", Tone::Bad);
        self.ui.log(
            "error",
            Tone::Bad,
            "the browser reported an error; the close event follows",
        );
        self.refresh();
    }

    fn closed(&self, event: &CloseEvent) {
        let tone = if event.was_clean {
            Tone::Neutral
        } else {
            Tone::Bad
        };
        self.ui
            .set_status(&format!("Socket Closed ({event})"), tone);
        self.ui.log("close", tone, &event.to_string());
        self.refresh();
    }

    /// Draws a received image, after the one being decoded (if any), unless a newer one arrives first.
    fn draw(self: &Rc<Self>, image: Image) {
        if self.next_image.replace(Some(image)).is_some() {
            self.skipped_images.set(self.skipped_images.get() + 1);
        }
        if self.drawing.replace(true) {
            return;
        }
        let app = Rc::downgrade(self);
        spawn_local(async move {
            loop {
                let Some((image, destination, skipped)) = next_image(&app) else {
                    break;
                };
                // A received Blob has no type: the decoder sniffs the format, as it does for bytes.
                let (drawn, source) = match &image {
                    Image::Blob(blob) => (
                        draw_blob(&destination, blob, &DRAW_OPTIONS).await,
                        format!("{} Blob", format_bytes(blob.size() as u64)),
                    ),
                    Image::Bytes(bytes) => (
                        draw_bytes(&destination, bytes, "", &DRAW_OPTIONS).await,
                        format!("{} ArrayBuffer", format_bytes(bytes.len() as u64)),
                    ),
                };
                with(&app, |app| {
                    let caption = match drawn {
                        Ok(size) if skipped > 0 => format!(
                            "destination · {size} image from a {source} ({skipped} earlier skipped: \
                             this one arrived before they were drawn)"
                        ),
                        Ok(size) => format!("destination · {size} image from a {source}"),
                        Err(error) => {
                            let why = format!("could not draw the received {source}: {error}");
                            app.ui.log("error", Tone::Bad, &why);
                            format!("destination · {why}")
                        }
                    };
                    app.ui.destination_info.set_text_content(Some(&caption));
                });
            }
        });
    }
}

/// The image to draw next, the canvas to draw it on, and how many it replaced; `None` (and drawing marked
/// finished) when none waits or the app is gone.
fn next_image(app: &Weak<App>) -> Option<(Image, web_sys::HtmlCanvasElement, u64)> {
    let app = app.upgrade()?;
    let next = app.next_image.borrow_mut().take();
    match next {
        Some(image) => Some((image, app.ui.destination.clone(), app.skipped_images.take())),
        None => {
            app.drawing.set(false);
            None
        }
    }
}

/// Registers the page's listeners; each holds the app weakly.
fn wire(app: &Rc<App>) -> Vec<EventListener> {
    let ui = &app.ui;
    let on = |target: &EventTarget,
              event_type: &'static str,
              handler: fn(&Rc<App>, &Event)|
     -> EventListener {
        let app = Rc::downgrade(app);
        EventListener::new(target, event_type, move |event| {
            with(&app, |app| handler(app, &event));
        })
    };
    vec![
        on(&ui.connect, "click", |app, _| app.connect()),
        on(&ui.disconnect, "click", |app, _| app.disconnect()),
        // As the Connect button: not while a connection is open or opening (Disconnect first).
        on(&ui.url, "keydown", |app, event| {
            let live = matches!(app.state(), Some(ReadyState::Connecting | ReadyState::Open));
            if is_enter(event) && !live {
                app.connect();
            }
        }),
        on(&ui.binary_blob, "change", |app, _| app.set_binary_type()),
        on(&ui.binary_array_buffer, "change", |app, _| {
            app.set_binary_type()
        }),
        on(&ui.send_text, "click", |app, _| app.send_text()),
        on(&ui.text_message, "keydown", |app, event| {
            if is_enter(event) {
                app.send_text();
            }
        }),
        on(&ui.send_binary, "click", |app, _| app.send_canvas()),
        on(&ui.reset_sketch, "click", |app, _| app.sketch.reset()),
        on(&ui.clear_log, "click", |app, _| app.ui.clear_log()),
        on(&ui.source, "pointerdown", |app, event| {
            if let Some(event) = event.dyn_ref::<PointerEvent>() {
                if event.button() == 0 {
                    event.prevent_default();
                    app.sketch.begin(event, &brush_colour(app), brush_size(app));
                }
            }
        }),
        on(&ui.source, "pointermove", |app, event| {
            if let Some(event) = event.dyn_ref::<PointerEvent>() {
                app.sketch
                    .extend(event, &brush_colour(app), brush_size(app));
            }
        }),
        on(&ui.source, "pointerup", |app, _| app.sketch.end()),
        on(&ui.source, "pointercancel", |app, _| app.sketch.end()),
    ]
}

fn is_enter(event: &Event) -> bool {
    event
        .dyn_ref::<KeyboardEvent>()
        .is_some_and(|key| key.key() == "Enter" && !key.is_composing())
}

fn brush_colour(app: &App) -> String {
    app.ui.brush_color.value()
}

fn brush_size(app: &App) -> f64 {
    app.ui.brush_size.value().parse().unwrap_or(10.0)
}
