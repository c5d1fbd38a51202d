//! Shared helpers for the browser tests: the echo server's URL, a timer, and a recorder that turns a socket's
//! callbacks into awaitable events.
#![allow(dead_code)]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use browser_ws::reconnect::{ClientState, StateChanges};
use browser_ws::{CloseEvent, EventListener, Message, WebSocket};
use futures::channel::mpsc;
use futures::future::{select, Either};
use futures::StreamExt;
use js_sys::{Function, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Whether this global scope (a window or a worker) has `WebSocketStream`, read without the crate, and so the
/// transport `Transport::Auto` must pick.
pub fn auto_transport() -> (bool, browser_ws::connection::Transport) {
    use browser_ws::connection::Transport;
    let has_stream = Reflect::has(&js_sys::global(), &"WebSocketStream".into())
        .expect("the global is an object");
    let expected = if has_stream {
        Transport::Stream
    } else {
        Transport::Classic
    };
    (has_stream, expected)
}

/// How long a test waits for an event that should come; generous, since CI machines are slow.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The echo server's base URL, passed in at build time by `cargo xtask test`.
pub fn server_url() -> &'static str {
    option_env!("BROWSER_WS_ECHO_URL").unwrap_or("ws://127.0.0.1:9001")
}

/// The URL of a route on the echo server, e.g. `url("/echo")`.
pub fn url(route: &str) -> String {
    format!("{}{route}", server_url())
}

/// A loopback URL on which nothing listens, passed in by `cargo xtask test`.
pub fn refused_url() -> &'static str {
    option_env!("BROWSER_WS_REFUSED_URL").unwrap_or("ws://127.0.0.1:9/")
}

/// Whether the page runs in Firefox, which keeps the TCP connection of a handshake abandoned with `close()` open
/// until the server ends it (see docs/reliability.md), so the server cannot see such a socket go.
pub fn keeps_abandoned_handshakes_open() -> bool {
    web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .is_some_and(|agent| agent.contains("Firefox"))
}

/// Whether the page runs in WebKit (Safari's engine; here WebKitGTK), told from the user agent of the global
/// scope, so in windows and workers alike: WebKit's says `AppleWebKit` and, unlike Chromium's, no `Chrome`.
pub fn is_webkit() -> bool {
    let agent = Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"))
        .and_then(|navigator| Reflect::get(&navigator, &JsValue::from_str("userAgent")))
        .ok()
        .and_then(|agent| agent.as_string())
        .expect("navigator.userAgent is a string");
    agent.contains("AppleWebKit") && !agent.contains("Chrome")
}

/// Resolves after `duration`, using the global `setTimeout` (works in windows and workers).
pub fn sleep(duration: Duration) -> Sleep {
    let state = Rc::new(RefCell::new(SleepState::default()));
    let callback = {
        let state = state.clone();
        Closure::<dyn FnMut()>::new(move || {
            let waker = {
                let mut state = state.borrow_mut();
                state.fired = true;
                state.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        })
    };
    let millis = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let id = set_timeout(callback.as_ref().unchecked_ref(), millis);
    Sleep {
        id,
        state,
        _callback: callback,
    }
}

#[wasm_bindgen]
extern "C" {
    // The global object's timers, as in windows and workers alike (as src/timer.rs binds them).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, millis: i32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// A [`sleep`]: dropped before it fires, it clears its timer and frees its callback, so that a [`within`] whose
/// future won leaves nothing behind (a test that awaits 100,000 messages would otherwise leave 100,000 timers
/// that all fire, into Wasm, during the tests after it).
pub struct Sleep {
    id: JsValue,
    state: Rc<RefCell<SleepState>>,
    _callback: Closure<dyn FnMut()>,
}

#[derive(Default)]
struct SleepState {
    fired: bool,
    waker: Option<Waker>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.borrow_mut();
        if state.fired {
            return Poll::Ready(());
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // Once it has fired, its id may name another timer.
        if !self.state.borrow().fired {
            clear_timeout(&self.id);
        }
    }
}

/// Lets the event being dispatched reach every listener. A test resumes in a microtask, which the browser runs
/// between two listeners of the same event; a timer task runs only after the whole dispatch.
pub async fn settle() {
    sleep(Duration::ZERO).await;
}

/// Waits until `condition` holds, checking every 20 ms; fails the test with `what` after [`EVENT_TIMEOUT`].
/// For what a test can observe only by looking again (a count, a state), never a fixed sleep.
pub async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    within(what, async {
        while !condition() {
            sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// Waits for a reconnecting client's state matching `wanted`, returning every state seen up to and including it;
/// fails the test after [`EVENT_TIMEOUT`].
pub async fn wait_for(
    states: &mut StateChanges,
    wanted: impl Fn(&ClientState) -> bool,
) -> Vec<ClientState> {
    within("a state change", async {
        let mut seen = Vec::new();
        while let Some(state) = states.next().await {
            let done = wanted(&state);
            seen.push(state);
            if done {
                return seen;
            }
        }
        panic!("the state changes ended before the wanted state: {seen:?}")
    })
    .await
}

/// Awaits `future`, failing the test with `what` if it takes longer than [`EVENT_TIMEOUT`].
pub async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    let future = std::pin::pin!(future);
    let timeout = std::pin::pin!(sleep(EVENT_TIMEOUT));
    match select(future, timeout).await {
        Either::Left((value, _)) => value,
        Either::Right(_) => panic!("timed out waiting for {what}"),
    }
}

/// What a socket's callbacks reported, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Open,
    Message(Message),
    Error,
    Close(CloseEvent),
}

/// Records every event of a socket, so a test can await them one by one.
pub struct Recorder {
    events: mpsc::UnboundedReceiver<Event>,
    _listeners: Vec<EventListener>,
}

impl Recorder {
    pub fn new(socket: &WebSocket) -> Self {
        let (sender, events) = mpsc::unbounded();
        let on = |sender: &mpsc::UnboundedSender<Event>| {
            let sender = sender.clone();
            move |event| {
                let _ = sender.unbounded_send(event);
            }
        };
        let open = on(&sender);
        let message = on(&sender);
        let error = on(&sender);
        let close = on(&sender);
        let listeners = vec![
            socket.on_open(move || open(Event::Open)),
            socket.on_message(move |m| message(Event::Message(m))),
            socket.on_error(move || error(Event::Error)),
            socket.on_close(move |c| close(Event::Close(c))),
        ];
        Self {
            events,
            _listeners: listeners,
        }
    }

    /// The next event; fails the test after [`EVENT_TIMEOUT`].
    pub async fn next(&mut self) -> Event {
        within("the next socket event", self.events.next())
            .await
            .expect("the recorder lives as long as its listeners")
    }

    /// Waits for the open event; fails the test on anything else.
    pub async fn opened(&mut self) {
        assert_eq!(self.next().await, Event::Open);
    }

    /// The next message; fails the test on any other event.
    pub async fn message(&mut self) -> Message {
        match self.next().await {
            Event::Message(message) => message,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Waits for the close event, skipping an error event before it, and returns it with whether an error came.
    pub async fn closed(&mut self) -> (CloseEvent, bool) {
        let mut saw_error = false;
        loop {
            match self.next().await {
                Event::Close(close) => return (close, saw_error),
                Event::Error => saw_error = true,
                other => panic!("expected the close event, got {other:?}"),
            }
        }
    }

    /// Whether any event arrives within `duration`.
    pub async fn any_within(&mut self, duration: Duration) -> Option<Event> {
        let next = std::pin::pin!(self.events.next());
        match select(next, std::pin::pin!(sleep(duration))).await {
            Either::Left((event, _)) => event,
            Either::Right(_) => None,
        }
    }
}

/// Opens `route` on the echo server and waits until it is open.
pub async fn open(route: &str) -> (WebSocket, Recorder) {
    let socket = WebSocket::open(&url(route)).expect("a valid URL");
    let mut recorder = Recorder::new(&socket);
    recorder.opened().await;
    (socket, recorder)
}

/// Reads a Blob's bytes.
pub async fn blob_bytes(blob: &web_sys::Blob) -> Vec<u8> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .expect("a readable blob");
    js_sys::Uint8Array::new(&buffer).to_vec()
}

/// A server tag unique to this test run: the browser runs share one echo server, whose totals per tag add up.
pub fn unique_tag(prefix: &str) -> String {
    // Always 12 digits: tags with the same prefix have the same length (the soak's warm-up relies on it).
    format!("{prefix}-{:012}", (js_sys::Math::random() * 1e12) as u64)
}

/// The echo server's count of open and total connections opened with `?tag=...` (its `/stats` route).
///
/// It asks through `localhost` rather than `127.0.0.1`: browsers let one socket per host be connecting at a
/// time, and Firefox counts a socket abandoned while connecting for a while; a different host name keeps the
/// question from waiting behind it.
pub async fn server_stats(tag: &str) -> (u64, u64) {
    let text = stats_reply(tag).await;
    let field = |name: &str| field(&text, name).expect("a count");
    (field("open"), field("total"))
}

/// The code of the latest close frame a client sent on a connection opened with `?tag=...` (1005 for a frame
/// without a code), once the server has seen one.
pub async fn server_last_client_close(tag: &str) -> Option<u16> {
    let text = stats_reply(tag).await;
    field(&text, "lastClientClose").map(|code| u16::try_from(code).expect("a close code"))
}

/// The data messages the server received before the close frames of the connections opened with `tag`.
pub async fn server_received(tag: &str) -> u64 {
    field(&stats_reply(tag).await, "received").expect("a count")
}

/// Asks `ask` every 50 ms (the server, mostly) until it answers `Some`, and returns the answer; fails the test
/// with `what` after [`EVENT_TIMEOUT`].
pub async fn eventually<T, F: Future<Output = Option<T>>>(
    what: &str,
    mut ask: impl FnMut() -> F,
) -> T {
    within(what, async {
        loop {
            if let Some(answer) = ask().await {
                return answer;
            }
            sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

/// Waits until the server has seen a close frame from a client with `tag`, and returns its code.
pub async fn server_sees_client_close(tag: &str) -> u16 {
    eventually("the server to see the client's close frame", || {
        server_last_client_close(tag)
    })
    .await
}

/// The echo server's `/stats` reply for `tag`.
async fn stats_reply(tag: &str) -> String {
    server_reply(&format!("/stats?tag={tag}")).await
}

/// The base URLs the echo server listens on (its `/endpoints` route): one unless started with `--endpoints`, as
/// `cargo xtask test` starts it.
pub async fn server_endpoints() -> Vec<String> {
    let list = server_reply("/endpoints").await;
    let inner = list
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .expect("a JSON array");
    inner
        .split(',')
        .map(|quoted| quoted.trim_matches('"').to_owned())
        .collect()
}

/// The first message the echo server sends on `route`, asked through `localhost` (see [`server_stats`]).
///
/// The server sends one text and closes. Chromium, under heavy load, has been seen to fire the close event
/// without the message before it (once, while another build used both cores; reported of Chrome elsewhere too):
/// the question is then asked again, a few times.
async fn server_reply(route: &str) -> String {
    let stats_url = url(route).replacen("127.0.0.1", "localhost", 1);
    for _ in 0..3 {
        let socket = WebSocket::open(&stats_url).expect("a valid URL");
        let mut events = Recorder::new(&socket);
        events.opened().await;
        match events.next().await {
            Event::Message(Message::Text(text)) => return text,
            Event::Close(_) => continue,
            other => panic!("expected JSON text, got {other:?}"),
        }
    }
    panic!("{route}: the server's reply never arrived before its close")
}

/// A number field of a flat JSON object; `None` when it is `null`.
fn field(text: &str, name: &str) -> Option<u64> {
    let start = text.find(&format!("\"{name}\":")).expect("field present") + name.len() + 3;
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| digits.parse().expect("a number"))
}

/// Waits until the server counts no open connection with `tag`; fails the test after [`EVENT_TIMEOUT`].
pub async fn server_sees_all_closed(tag: &str) {
    eventually("the server to see every connection closed", || async {
        (server_stats(tag).await.0 == 0).then_some(())
    })
    .await
}

/// How long the latest `/flood` with `tag` took the server to send, in milliseconds, once it has sent all.
pub async fn server_flood_ms(tag: &str) -> Option<u64> {
    let text = stats_reply(tag).await;
    text.contains("\"floodMs\":")
        .then(|| field(&text, "floodMs"))
        .flatten()
}

/// The transports the async suite runs each case under here: both where the browser has `WebSocketStream`
/// (Chromium), the classic one elsewhere (where `tests/browser/transport.rs` proves the fallback).
pub fn transports() -> Vec<browser_ws::connection::Transport> {
    use browser_ws::connection::Transport;
    if Transport::stream_available() {
        vec![Transport::Classic, Transport::Stream]
    } else {
        vec![Transport::Classic]
    }
}

/// Runs `case` under each of [`transports`], saying which on the console (shown when a test fails).
pub async fn each_transport<F, Fut>(case: F)
where
    F: Fn(browser_ws::connection::Transport) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for transport in transports() {
        web_sys::console::log_1(&format!("transport: {transport:?}").into());
        case(transport).await;
    }
}

/// `connect(url)` over `transport`.
pub fn connect_over(
    transport: browser_ws::connection::Transport,
    url: &str,
) -> browser_ws::connection::Connect {
    browser_ws::Connection::builder(url)
        .transport(transport)
        .connect()
}
