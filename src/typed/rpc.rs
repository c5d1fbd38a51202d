//! JSON-RPC 2.0 over one connection: requests with an id whose replies are awaited with a timeout, a bound on
//! the requests awaiting a reply, notifications from the server in a bounded stream, and requests failed (not
//! left hanging) when their connection drops.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_core::stream::FusedStream;
use futures_core::Stream;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::connection::{Connection, Handle, Receiver, Sender};
use crate::error::Error;
use crate::message::Message;
use crate::reconnect::{ClientState, Delivery, ReconnectHandle, ReconnectingClient, StateChanges};
use crate::state::ReadyState;
use crate::timer::Sleep;
use crate::typed::codec::{Undecoded, BLOB_MESSAGE};

/// The settings of an [`RpcClient`], made with [`RpcClient::builder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcBuilder {
    timeout: Duration,
    max_pending: usize,
    notification_capacity: usize,
}

impl Default for RpcBuilder {
    fn default() -> Self {
        Self {
            timeout: Self::DEFAULT_TIMEOUT,
            max_pending: Self::DEFAULT_MAX_PENDING,
            notification_capacity: Self::DEFAULT_NOTIFICATION_CAPACITY,
        }
    }
}

impl RpcBuilder {
    /// Default time a request waits for its reply.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default most requests awaiting a reply at once.
    pub const DEFAULT_MAX_PENDING: usize = 256;
    /// Default capacity of the notification queue, in notifications.
    pub const DEFAULT_NOTIFICATION_CAPACITY: usize = 1024;

    /// How long [`RpcClient::call`] waits for a reply before failing with [`Error::RequestTimeout`] (default 30 s;
    /// [`RpcClient::call_with_timeout`] sets it per call).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most requests that may await a reply at once (default 256, at least 1). One more fails at once with
    /// [`Error::TooManyRequests`], unsent: a server that stops answering cannot make the table grow.
    pub fn max_pending(mut self, limit: usize) -> Self {
        self.max_pending = limit.max(1);
        self
    }

    /// How many notifications (and reports of unknown replies) wait to be taken from
    /// [`RpcClient::notifications`] (default 1024, at least 1). When full, the oldest is dropped and counted
    /// ([`RpcClient::dropped_notifications`]): replies are never held up by notifications nobody reads.
    pub fn notification_queue(mut self, capacity: usize) -> Self {
        self.notification_capacity = capacity.max(1);
        self
    }

    /// The client over an open connection, which it takes: requests fail with the close event
    /// ([`Error::Closed`]) once it closes, cleanly or not.
    pub fn over(self, connection: Connection) -> RpcClient {
        let (sender, receiver, handle) = connection.split();
        RpcClient::start(
            self,
            Transport::Connection { sender, handle },
            Source::Connection(receiver),
        )
    }

    /// The client over a reconnecting client, which it takes: a request is sent at once if open, else queued
    /// (see [`ReconnectHandle::try_send`]); requests already handed to a connection fail with the reason it
    /// ended ([`ClientState::Disconnected`]'s error) when it drops, and later requests go to the next one.
    pub fn over_reconnecting(self, client: ReconnectingClient) -> RpcClient {
        let handle = client.handle().clone();
        let states = handle.state_changes();
        RpcClient::start(
            self,
            Transport::Reconnecting(handle),
            Source::Reconnecting { client, states },
        )
    }
}

/// A notification the server sent (a JSON-RPC message with a `method` and no `id`).
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The method.
    pub method: String,
    /// The params (`null` if there were none).
    pub params: Value,
}

impl Notification {
    /// The params as a `T`; [`Error::Decode`] (with the params as JSON text) if they are of another shape.
    pub fn params<T: DeserializeOwned>(&self) -> Result<T, Error> {
        T::deserialize(&self.params).map_err(|e| Error::Decode {
            raw: Undecoded::Text(self.params.to_string()),
            message: e.to_string(),
        })
    }
}

/// A JSON-RPC 2.0 client over one connection (or one reconnecting client).
///
/// ```no_run
/// use std::time::Duration;
/// use browser_ws::typed::RpcClient;
///
/// # async fn run() -> Result<(), browser_ws::Error> {
/// let connection = browser_ws::connect("wss://example.com/rpc").await?;
/// let rpc = RpcClient::builder().timeout(Duration::from_secs(5)).over(connection);
/// let sum: i64 = rpc.call("add", &[1, 2]).await?;
/// assert_eq!(sum, 3);
/// # Ok(())
/// # }
/// ```
///
/// A task of its own takes every message as it arrives: replies go to their requests, notifications and reports
/// of unknown replies into a bounded queue ([`notifications`](Self::notifications)). Cheap to clone; dropping the
/// last clone stops that task and closes the connection (1000). `!Send`.
#[derive(Debug, Clone)]
pub struct RpcClient {
    shared: Rc<Shared>,
}

#[derive(Debug)]
struct Shared {
    settings: RpcBuilder,
    transport: Transport,
    state: RefCell<State>,
}

#[derive(Debug)]
enum Transport {
    Connection { sender: Sender, handle: Handle },
    Reconnecting(ReconnectHandle),
}

enum Source {
    Connection(Receiver),
    Reconnecting {
        client: ReconnectingClient,
        states: StateChanges,
    },
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    pending: HashMap<u64, Slot>,
    notifications: VecDeque<Result<Notification, Error>>,
    dropped: u64,
    /// Why no more requests can be answered, once the connection (or client) is finished.
    ended: Option<Error>,
    driver_waker: Option<Waker>,
    notification_waker: Option<Waker>,
}

#[derive(Debug, Default)]
struct Slot {
    outcome: Option<Result<Value, Error>>,
    waker: Option<Waker>,
    /// Handed to a connection (not queued while disconnected), so that connection's end fails it.
    sent: bool,
}

impl RpcClient {
    /// The settings, to adjust before [`over`](RpcBuilder::over) or
    /// [`over_reconnecting`](RpcBuilder::over_reconnecting).
    pub fn builder() -> RpcBuilder {
        RpcBuilder::default()
    }

    /// A client with the default settings over an open connection.
    pub fn new(connection: Connection) -> Self {
        Self::builder().over(connection)
    }

    fn start(settings: RpcBuilder, transport: Transport, source: Source) -> Self {
        let shared = Rc::new(Shared {
            settings,
            transport,
            state: RefCell::new(State {
                next_id: 1,
                ..State::default()
            }),
        });
        wasm_bindgen_futures::spawn_local(drive(Rc::downgrade(&shared), source));
        Self { shared }
    }

    /// Calls `method` with `params` (anything that serializes to JSON; use `()` for none) and decodes the reply's
    /// `result` as an `R`, waiting at most the builder's [`timeout`](RpcBuilder::timeout).
    ///
    /// Fails with [`Error::Rpc`] (the server's error object), [`Error::RequestTimeout`],
    /// [`Error::TooManyRequests`], [`Error::Encode`] or [`Error::Decode`] (the reply as received), the reason the
    /// connection ended ([`Error::Closed`], ...), or the send's error. Dropping the future forgets the request:
    /// a reply that still comes is reported as [`Error::UnknownReply`].
    pub async fn call<P, R>(&self, method: &str, params: &P) -> Result<R, Error>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.call_with_timeout(method, params, self.shared.settings.timeout)
            .await
    }

    /// [`call`](Self::call) with a timeout of its own.
    pub async fn call_with_timeout<P, R>(
        &self,
        method: &str,
        params: &P,
        timeout: Duration,
    ) -> Result<R, Error>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let params = serde_json::to_value(params).map_err(encode_error)?;
        let result = self.request(method, params, timeout).await?;
        R::deserialize(&result).map_err(|e| Error::Decode {
            raw: Undecoded::Text(result.to_string()),
            message: e.to_string(),
        })
    }

    /// The request engine: `params` and the reply's `result` as JSON values.
    pub(crate) async fn request(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, Error> {
        let shared = &self.shared;
        let id = {
            let mut state = shared.state.borrow_mut();
            if let Some(error) = &state.ended {
                return Err(error.clone());
            }
            if state.pending.len() >= shared.settings.max_pending {
                return Err(Error::TooManyRequests {
                    limit: shared.settings.max_pending,
                });
            }
            let id = state.next_id;
            state.next_id += 1;
            state.pending.insert(id, Slot::default());
            id
        };
        // From here on, however this future ends, the request is forgotten.
        let _forget = Forget { shared, id };
        let mut envelope = envelope(method, params);
        envelope.insert("id".to_owned(), Value::from(id));
        let sent = shared.send(Value::Object(envelope).to_string())?;
        if let Some(slot) = shared.state.borrow_mut().pending.get_mut(&id) {
            slot.sent = sent;
        }
        let mut sleep = Sleep::new(timeout);
        poll_fn(|cx| {
            {
                let mut state = shared.state.borrow_mut();
                let Some(slot) = state.pending.get_mut(&id) else {
                    return Poll::Ready(Err(Error::NotOpen(ReadyState::Closed)));
                };
                if let Some(outcome) = slot.outcome.take() {
                    return Poll::Ready(outcome);
                }
                slot.waker = Some(cx.waker().clone());
            }
            match Pin::new(&mut sleep).poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(Error::RequestTimeout { id, after: timeout })),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    /// Sends a notification (no id, no reply): `method` with `params`.
    pub fn notify<P: Serialize + ?Sized>(&self, method: &str, params: &P) -> Result<(), Error> {
        let params = serde_json::to_value(params).map_err(encode_error)?;
        self.notify_value(method, params)
    }

    pub(crate) fn notify_value(&self, method: &str, params: Value) -> Result<(), Error> {
        if let Some(error) = self.shared.state.borrow().ended.clone() {
            return Err(error);
        }
        let text = Value::Object(envelope(method, params)).to_string();
        self.shared.send(text).map(|_| ())
    }

    /// The server's notifications, in order, with [`Error::UnknownReply`] for each reply that matched no request
    /// and [`Error::Decode`] for each message that is not JSON-RPC. Ends once the connection (or the reconnecting
    /// client) is finished and the queue is empty. Every call returns a view of the same queue.
    pub fn notifications(&self) -> Notifications {
        Notifications {
            shared: self.shared.clone(),
        }
    }

    /// How many notifications the full queue dropped (see [`RpcBuilder::notification_queue`]).
    pub fn dropped_notifications(&self) -> u64 {
        self.shared.state.borrow().dropped
    }

    /// The timeout of [`call`](Self::call).
    pub fn timeout(&self) -> Duration {
        self.shared.settings.timeout
    }

    /// How many requests await a reply.
    pub fn pending_requests(&self) -> usize {
        self.shared.state.borrow().pending.len()
    }

    /// Closes the connection (1000) or stops the reconnecting client; requests awaiting a reply then fail.
    pub fn close(&self) -> Result<(), Error> {
        match &self.shared.transport {
            Transport::Connection { handle, .. } => handle.close(),
            Transport::Reconnecting(handle) => handle.close(),
        }
    }
}

/// The members every JSON-RPC 2.0 request and notification has. `params` is left out when `null`.
fn envelope(method: &str, params: Value) -> Map<String, Value> {
    let mut envelope = Map::new();
    envelope.insert("jsonrpc".to_owned(), Value::from("2.0"));
    envelope.insert("method".to_owned(), Value::from(method));
    if !params.is_null() {
        envelope.insert("params".to_owned(), params);
    }
    envelope
}

fn encode_error(error: serde_json::Error) -> Error {
    Error::Encode {
        message: error.to_string(),
    }
}

/// Forgets a request when its future ends, whichever way.
struct Forget<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.shared.state.borrow_mut().pending.remove(&self.id);
    }
}

impl Shared {
    /// Sends `text`; `Ok(true)` if it was handed to a connection, `Ok(false)` if queued for the next one.
    ///
    /// On a connection it goes to the browser at once, past the send watermarks: what the browser buffers for
    /// requests is bounded by [`RpcBuilder::max_pending`] requests; notifications are the caller's to pace. The
    /// reconnecting client's queue has its own bounds and hands back what does not fit.
    fn send(&self, text: String) -> Result<bool, Error> {
        match &self.transport {
            Transport::Connection { sender, .. } => {
                sender.send_now(&Message::Text(text)).map(|()| true)
            }
            // May run the application's acknowledgement tagger: no borrow is held here.
            Transport::Reconnecting(handle) => match handle.try_send(Message::Text(text)) {
                Ok(delivery) => Ok(delivery == Delivery::Sent),
                Err(refused) => Err(refused.error),
            },
        }
    }

    /// Takes one received message: a reply goes to its request, anything else into the notification queue.
    fn dispatch(&self, message: Message) {
        match classify(message) {
            Incoming::Reply { id, outcome, raw } => {
                let waker = {
                    let mut state = self.state.borrow_mut();
                    match state.pending.get_mut(&id) {
                        Some(slot) if slot.outcome.is_none() => {
                            slot.outcome = Some(outcome);
                            slot.waker.take()
                        }
                        _ => {
                            drop(state);
                            self.report(Err(Error::UnknownReply { id: Some(id), raw }));
                            return;
                        }
                    }
                };
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            Incoming::Other(item) => self.report(item),
        }
    }

    /// Queues a notification or a report; a full queue drops its oldest.
    fn report(&self, item: Result<Notification, Error>) {
        let waker = {
            let mut state = self.state.borrow_mut();
            if state.notifications.len() >= self.settings.notification_capacity {
                state.notifications.pop_front();
                state.dropped += 1;
            }
            state.notifications.push_back(item);
            state.notification_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Fails the requests awaiting a reply (those handed to a connection, or all of them) with `error`.
    fn fail(&self, error: &Error, only_sent: bool) {
        let wakers: Vec<Waker> = {
            let mut state = self.state.borrow_mut();
            state
                .pending
                .values_mut()
                .filter(|slot| slot.outcome.is_none() && (slot.sent || !only_sent))
                .filter_map(|slot| {
                    slot.outcome = Some(Err(error.clone()));
                    slot.waker.take()
                })
                .collect()
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Nothing more will be answered: every request fails with `error`, and so will later ones.
    fn end(&self, error: Error) {
        self.state.borrow_mut().ended = Some(error.clone());
        self.fail(&error, false);
        let waker = self.state.borrow_mut().notification_waker.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// A state change of the reconnecting client.
    fn on_state(&self, state: ClientState) {
        match state {
            ClientState::Disconnected(error) => self.fail(&error, true),
            // What was queued has just been handed to the new connection.
            ClientState::Open => {
                for slot in self.state.borrow_mut().pending.values_mut() {
                    slot.sent = true;
                }
            }
            _ => {}
        }
    }

    /// The reason a finished connection gives to the requests still waiting.
    fn closed_error(&self) -> Error {
        match &self.transport {
            Transport::Connection { handle, .. } => match handle.close_event() {
                Some(close) => Error::Closed(close),
                None => Error::NotOpen(ReadyState::Closed),
            },
            Transport::Reconnecting(_) => Error::NotOpen(ReadyState::Closed),
        }
    }
}

/// The last client is gone: a connection is closed (1000), even if handles to it are kept elsewhere, and the
/// driver is woken so that it ends and drops its half. (A reconnecting client stops once its own handles are
/// gone too, as it always does.)
impl Drop for Shared {
    fn drop(&mut self) {
        if let Transport::Connection { handle, .. } = &self.transport {
            let _ = handle.close();
        }
        if let Some(waker) = self.state.get_mut().driver_waker.take() {
            waker.wake();
        }
    }
}

enum Incoming {
    Reply {
        id: u64,
        outcome: Result<Value, Error>,
        raw: String,
    },
    Other(Result<Notification, Error>),
}

/// What a received message is, in JSON-RPC 2.0 terms.
fn classify(message: Message) -> Incoming {
    let text = match message {
        Message::Text(text) => text,
        Message::Binary(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                return Incoming::Other(Err(Error::Decode {
                    raw: Undecoded::Binary(error.into_bytes()),
                    message: "a binary message that is not UTF-8".to_owned(),
                }))
            }
        },
        blob @ Message::Blob(_) => {
            return Incoming::Other(Err(Error::Decode {
                raw: Undecoded::from(blob),
                message: BLOB_MESSAGE.to_owned(),
            }))
        }
    };
    let not_rpc = |text: String, why: String| {
        Incoming::Other(Err(Error::Decode {
            raw: Undecoded::Text(text),
            message: why,
        }))
    };
    let mut object = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(object)) => object,
        Ok(_) => return not_rpc(text, "not a JSON-RPC object".to_owned()),
        Err(error) => return not_rpc(text, error.to_string()),
    };
    if let Some(Value::String(method)) = object.get("method") {
        let method = method.clone();
        let params = object.remove("params").unwrap_or(Value::Null);
        return Incoming::Other(Ok(Notification { method, params }));
    }
    let outcome = match (object.remove("result"), object.remove("error")) {
        (Some(result), None) => Ok(result),
        (None, Some(error)) => Err(rpc_error(&error)),
        _ => {
            return not_rpc(
                text,
                "neither a reply (one of `result`, `error`) nor a notification".to_owned(),
            )
        }
    };
    match object.get("id").and_then(Value::as_u64) {
        Some(id) => Incoming::Reply {
            id,
            outcome,
            raw: text,
        },
        None => Incoming::Other(Err(Error::UnknownReply {
            id: None,
            raw: text,
        })),
    }
}

/// A JSON-RPC error object as an [`Error::Rpc`]; a malformed one keeps what it has.
fn rpc_error(error: &Value) -> Error {
    Error::Rpc {
        code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
        message: match error.get("message") {
            Some(Value::String(message)) => message.clone(),
            _ => error.to_string(),
        },
        data: error.get("data").map(Value::to_string),
    }
}

/// Takes every message as it arrives, until the connection or the client is finished or every [`RpcClient`] is
/// dropped.
async fn drive(shared: Weak<Shared>, mut source: Source) {
    let mut states_done = false;
    poll_fn(|cx| {
        let Some(shared) = shared.upgrade() else {
            return Poll::Ready(());
        };
        shared.state.borrow_mut().driver_waker = Some(cx.waker().clone());
        match &mut source {
            Source::Connection(receiver) => loop {
                match Pin::new(&mut *receiver).poll_next(cx) {
                    Poll::Ready(Some(Ok(message))) => shared.dispatch(message),
                    Poll::Ready(Some(Err(error))) => shared.end(error),
                    Poll::Ready(None) => {
                        let error = shared.state.borrow().ended.clone();
                        shared.end(error.unwrap_or_else(|| shared.closed_error()));
                        return Poll::Ready(());
                    }
                    Poll::Pending => return Poll::Pending,
                }
            },
            Source::Reconnecting { client, states } => loop {
                // Messages first: those already received came before the state change that follows them.
                let mut progressed = false;
                match Pin::new(&mut *client).poll_next(cx) {
                    Poll::Ready(Some(Ok(message))) => {
                        shared.dispatch(message);
                        progressed = true;
                    }
                    Poll::Ready(Some(Err(Error::GaveUp))) => {
                        shared.end(Error::GaveUp);
                        progressed = true;
                    }
                    // An overflow: messages were lost, which the application should hear of.
                    Poll::Ready(Some(Err(error))) => {
                        shared.report(Err(error));
                        progressed = true;
                    }
                    Poll::Ready(None) => {
                        shared.end(Error::NotOpen(ReadyState::Closed));
                        return Poll::Ready(());
                    }
                    Poll::Pending => {}
                }
                if !progressed && !states_done {
                    match Pin::new(&mut *states).poll_next(cx) {
                        Poll::Ready(Some(state)) => {
                            shared.on_state(state);
                            progressed = true;
                        }
                        Poll::Ready(None) => states_done = true,
                        Poll::Pending => {}
                    }
                }
                if !progressed {
                    return Poll::Pending;
                }
            },
        }
    })
    .await;
}

/// The stream of [`RpcClient::notifications`].
#[derive(Debug)]
pub struct Notifications {
    shared: Rc<Shared>,
}

impl Stream for Notifications {
    type Item = Result<Notification, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut state = self.shared.state.borrow_mut();
        if let Some(item) = state.notifications.pop_front() {
            return Poll::Ready(Some(item));
        }
        if state.ended.is_some() {
            return Poll::Ready(None);
        }
        state.notification_waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl FusedStream for Notifications {
    fn is_terminated(&self) -> bool {
        let state = self.shared.state.borrow();
        state.ended.is_some() && state.notifications.is_empty()
    }
}

#[cfg(test)]
mod tests {
    //! Covers: how replies, error replies, notifications, replies without a usable id and non-JSON-RPC
    //! messages are told apart; the request envelope.

    use super::*;

    #[test]
    fn classifies_incoming_messages() {
        let reply = classify(Message::text(r#"{"jsonrpc":"2.0","id":7,"result":[1]}"#));
        assert!(matches!(
            reply,
            Incoming::Reply {
                id: 7,
                outcome: Ok(Value::Array(_)),
                ..
            }
        ));
        let error = classify(Message::text(
            r#"{"jsonrpc":"2.0","id":8,"error":{"code":-32601,"message":"Method not found","data":{"m":"x"}}}"#,
        ));
        let Incoming::Reply {
            id: 8,
            outcome: Err(error),
            ..
        } = error
        else {
            panic!("not an error reply");
        };
        assert_eq!(
            error,
            Error::Rpc {
                code: -32601,
                message: "Method not found".into(),
                data: Some(r#"{"m":"x"}"#.into())
            }
        );
        let Incoming::Other(Ok(notification)) = classify(Message::text(
            r#"{"jsonrpc":"2.0","method":"tick","params":{"n":1}}"#,
        )) else {
            panic!("not a notification");
        };
        assert_eq!(notification.method, "tick");
        assert_eq!(
            notification.params::<HashMap<String, u8>>().unwrap()["n"],
            1
        );
        assert!(matches!(
            classify(Message::text(
                r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#
            )),
            Incoming::Other(Err(Error::UnknownReply { id: None, .. }))
        ));
        assert!(matches!(
            classify(Message::text("hello")),
            Incoming::Other(Err(Error::Decode {
                raw: Undecoded::Text(_),
                ..
            }))
        ));
        assert!(matches!(
            classify(Message::text("[1]")),
            Incoming::Other(Err(Error::Decode { .. }))
        ));
    }

    #[test]
    fn envelopes_leave_out_null_params() {
        assert_eq!(
            Value::Object(envelope("ping", Value::Null)).to_string(),
            r#"{"jsonrpc":"2.0","method":"ping"}"#
        );
        assert_eq!(
            Value::Object(envelope("add", serde_json::json!([1, 2]))).to_string(),
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#
        );
    }
}
