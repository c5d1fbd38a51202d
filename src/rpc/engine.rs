//! The request engine: one task takes every message as it arrives; replies go to their requests, notifications
//! and reports into a bounded queue.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_core::stream::FusedStream;
use futures_core::Stream;

use super::{classify, Dialect, Incoming, Notice, RpcBuilder};
use crate::connection::{Connection, Handle, Receiver, Sender};
use crate::error::Error;
use crate::message::Message;
#[cfg(feature = "typed")]
use crate::reconnect::{ClientState, Delivery, ReconnectHandle, ReconnectingClient, StateChanges};
use crate::state::ReadyState;
use crate::timer::Sleep;

/// A JSON-RPC 2.0 client over one connection (or one reconnecting client), in the JSON of `D`. Cheap to clone;
/// dropping the last clone and every notification stream ([`Notices`]) stops its task and closes the connection
/// (1000).
pub(crate) struct Engine<D: Dialect> {
    shared: Rc<Shared<D>>,
}

impl<D: Dialect> Clone for Engine<D> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<D: Dialect> fmt::Debug for Engine<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("RpcClient");
        out.field("settings", &self.shared.settings);
        if let Ok(state) = self.shared.state.try_borrow() {
            out.field("pending", &state.pending.len())
                .field("ended", &state.ended);
        }
        out.finish_non_exhaustive()
    }
}

struct Shared<D: Dialect> {
    settings: RpcBuilder,
    transport: Transport,
    state: RefCell<State<D::Value>>,
}

enum Transport {
    Connection {
        sender: Sender,
        handle: Handle,
    },
    // The JS API has no JSON-RPC over a reconnecting client (yet): only the Rust API makes these, and the npm
    // package links none of their code.
    #[cfg(feature = "typed")]
    Reconnecting(ReconnectHandle),
}

enum Source {
    Connection(Receiver),
    #[cfg(feature = "typed")]
    Reconnecting {
        client: ReconnectingClient,
        states: StateChanges,
    },
}

struct State<V> {
    next_id: u64,
    pending: HashMap<u64, Slot<V>>,
    notifications: VecDeque<Result<Notice<V>, Error>>,
    dropped: u64,
    /// Why no more requests can be answered, once the connection (or client) is finished.
    ended: Option<Error>,
    driver_waker: Option<Waker>,
    /// One per task waiting on a view of the notifications (each call of `notices` is a view of the same queue).
    notification_wakers: Vec<Waker>,
}

struct Slot<V> {
    outcome: Option<Result<V, Error>>,
    waker: Option<Waker>,
    /// Where the request is: once handed to a connection, that connection's end fails it.
    sent: Sent,
}

/// How far a request went.
#[derive(Clone, Copy)]
enum Sent {
    /// Not sent yet.
    No,
    /// Handed to the open connection.
    Now,
    /// In the reconnecting client's send queue, with this ticket: handed to a connection once the queue says
    /// it has left (see [`StateChanges::poll_next_counted`](crate::reconnect::StateChanges)).
    #[cfg_attr(not(feature = "typed"), allow(dead_code))]
    Queued(u64),
}

impl Sent {
    /// Whether it had been handed to a connection when `left` queued messages had left the send queue.
    fn handed(self, left: u64) -> bool {
        match self {
            Self::No => false,
            Self::Now => true,
            Self::Queued(ticket) => ticket <= left,
        }
    }
}

impl<V> Default for Slot<V> {
    fn default() -> Self {
        Self {
            outcome: None,
            waker: None,
            sent: Sent::No,
        }
    }
}

impl<D: Dialect> Engine<D> {
    /// Over an open connection, which it takes: requests fail with the close event ([`Error::Closed`]) once it
    /// closes, cleanly or not.
    pub(crate) fn over(settings: RpcBuilder, connection: Connection) -> Self {
        let (sender, receiver, handle) = connection.split();
        Self::start(
            settings,
            Transport::Connection { sender, handle },
            Source::Connection(receiver),
        )
    }

    /// Over a reconnecting client, which it takes: a request is sent at once if open, else queued; requests
    /// already handed to a connection fail with the reason it ended when it drops, and later ones go to the
    /// next connection.
    #[cfg(feature = "typed")]
    pub(crate) fn over_reconnecting(settings: RpcBuilder, client: ReconnectingClient) -> Self {
        let handle = client.handle().clone();
        let states = handle.state_changes();
        Self::start(
            settings,
            Transport::Reconnecting(handle),
            Source::Reconnecting { client, states },
        )
    }

    fn start(settings: RpcBuilder, transport: Transport, source: Source) -> Self {
        let shared = Rc::new(Shared {
            settings,
            transport,
            state: RefCell::new(State {
                next_id: 1,
                pending: HashMap::new(),
                notifications: VecDeque::new(),
                dropped: 0,
                ended: None,
                driver_waker: None,
                notification_wakers: Vec::new(),
            }),
        });
        wasm_bindgen_futures::spawn_local(drive(Rc::downgrade(&shared), source));
        Self { shared }
    }

    /// Sends request `method` with `params` and waits at most `timeout` for the reply's `result`.
    ///
    /// Fails with [`Error::Rpc`] (the server's error object), [`Error::RequestTimeout`],
    /// [`Error::TooManyRequests`], the reason the connection ended, or the send's error. Dropping the future
    /// forgets the request: a reply that still comes is reported as [`Error::UnknownReply`].
    pub(crate) async fn request(
        &self,
        method: &str,
        params: D::Params,
        timeout: Duration,
    ) -> Result<D::Value, Error> {
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
        let sent = shared.send(D::envelope(method, params, Some(id))?)?;
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
    pub(crate) fn notify(&self, method: &str, params: D::Params) -> Result<(), Error> {
        self.post(D::envelope(method, params, None)?)
    }

    /// Sends `text`, the reply to a request of the server's that came on `connection` (see [`Notice`]): at once,
    /// and over a reconnecting client only on that connection, never queued for one whose server did not ask.
    #[cfg_attr(not(feature = "typed"), allow(dead_code))]
    pub(crate) fn reply(&self, text: String, connection: u64) -> Result<(), Error> {
        self.ended()?;
        self.shared.send_reply(text, connection)
    }

    /// Sends a text that expects no reply, unless the connection (or client) is finished.
    fn post(&self, text: String) -> Result<(), Error> {
        self.ended()?;
        self.shared.send(text).map(|_| ())
    }

    /// Why nothing more can be sent, once the connection (or client) is finished.
    fn ended(&self) -> Result<(), Error> {
        match self.shared.state.borrow().ended.clone() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// The notification queue; every call returns a view of the same queue.
    pub(crate) fn notices(&self) -> Notices<D> {
        Notices {
            shared: self.shared.clone(),
            terminated: false,
        }
    }

    /// How many notifications the full queue dropped.
    pub(crate) fn dropped_notifications(&self) -> u64 {
        self.shared.state.borrow().dropped
    }

    /// The default timeout of a request.
    pub(crate) fn timeout(&self) -> Duration {
        self.shared.settings.timeout
    }

    /// How many requests await a reply.
    pub(crate) fn pending_requests(&self) -> usize {
        self.shared.state.borrow().pending.len()
    }

    /// Closes the connection (1000) or stops the reconnecting client; requests awaiting a reply then fail.
    pub(crate) fn close(&self) -> Result<(), Error> {
        match &self.shared.transport {
            Transport::Connection { handle, .. } => handle.close(),
            #[cfg(feature = "typed")]
            Transport::Reconnecting(handle) => handle.close(),
        }
    }
}

/// Forgets a request when its future ends, whichever way.
struct Forget<'a, D: Dialect> {
    shared: &'a Shared<D>,
    id: u64,
}

impl<D: Dialect> Drop for Forget<'_, D> {
    fn drop(&mut self) {
        self.shared.state.borrow_mut().pending.remove(&self.id);
    }
}

impl<D: Dialect> Shared<D> {
    /// Sends `text`; `Ok(true)` if it was handed to a connection, `Ok(false)` if queued for the next one.
    ///
    /// On a connection it goes to the browser at once, past the send watermarks: what the browser buffers for
    /// requests is bounded by [`RpcBuilder::max_pending`] requests; notifications are the caller's to pace. The
    /// reconnecting client's queue has its own bounds and hands back what does not fit.
    fn send(&self, text: String) -> Result<Sent, Error> {
        match &self.transport {
            Transport::Connection { sender, .. } => {
                sender.send_now(&Message::Text(text)).map(|()| Sent::Now)
            }
            // May run the application's acknowledgement tagger: no borrow is held here.
            #[cfg(feature = "typed")]
            Transport::Reconnecting(handle) => {
                match handle.try_send_ticketed(Message::Text(text)) {
                    Ok((Delivery::Sent, _)) => Ok(Sent::Now),
                    Ok((Delivery::Queued, ticket)) => Ok(Sent::Queued(ticket)),
                    Err(refused) => Err(refused.error),
                }
            }
        }
    }

    /// Takes one received message, which came on `connection`: a reply goes to its request, anything else into
    /// the notification queue.
    fn dispatch(&self, message: Message, connection: u64) {
        match classify::<D>(message) {
            Incoming::Reply { id, outcome, raw } => {
                if self.settle(id, outcome).is_err() {
                    self.report(Err(Error::UnknownReply { id: Some(id), raw }));
                }
            }
            Incoming::Malformed { id, error } => {
                if let Err(Err(error)) = self.settle(id, Err(error)) {
                    self.report(Err(error));
                }
            }
            Incoming::Other(item) => self.report(item.map(|notice| Notice {
                connection,
                ..notice
            })),
        }
    }

    /// Gives request `id` its outcome, or hands the outcome back if no such request waits.
    fn settle(
        &self,
        id: u64,
        outcome: Result<D::Value, Error>,
    ) -> Result<(), Result<D::Value, Error>> {
        let waker = {
            let mut state = self.state.borrow_mut();
            match state.pending.get_mut(&id) {
                Some(slot) if slot.outcome.is_none() => {
                    slot.outcome = Some(outcome);
                    slot.waker.take()
                }
                _ => return Err(outcome),
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Queues a notification or a report; a full queue drops its oldest. A request of the server's dropped so
    /// is answered with an error at once (`-32603`), so that the server does not wait for ever.
    fn report(&self, item: Result<Notice<D::Value>, Error>) {
        let (wakers, dropped) = {
            let mut state = self.state.borrow_mut();
            let mut dropped = None;
            if state.notifications.len() >= self.settings.notification_capacity {
                dropped = state.notifications.pop_front();
                state.dropped += 1;
            }
            state.notifications.push_back(item);
            (std::mem::take(&mut state.notification_wakers), dropped)
        };
        if let Some(Ok(Notice {
            id: Some(id),
            connection,
            ..
        })) = dropped
        {
            // The connection may be closing: then nobody waits for the answer.
            let _ = self.send_reply(D::dropped_request(&id), connection);
        }
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Sends `text`, the reply to a request that came on `connection`: at once, and over a reconnecting client
    /// only on that connection.
    #[cfg_attr(not(feature = "typed"), allow(unused_variables))]
    fn send_reply(&self, text: String, connection: u64) -> Result<(), Error> {
        let text = Message::Text(text);
        match &self.transport {
            Transport::Connection { sender, .. } => sender.send_now(&text),
            #[cfg(feature = "typed")]
            Transport::Reconnecting(handle) => handle.send_on(connection, &text),
        }
    }

    /// Fails the requests awaiting a reply with `error`: all of them, or (with `Some(left)`) those handed to a
    /// connection by the time `left` queued messages had left the send queue.
    fn fail(&self, error: &Error, handed_by: Option<u64>) {
        let wakers: Vec<Waker> = {
            let mut state = self.state.borrow_mut();
            state
                .pending
                .values_mut()
                .filter(|slot| {
                    slot.outcome.is_none() && handed_by.map_or(true, |left| slot.sent.handed(left))
                })
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
        self.fail(&error, None);
        let wakers = std::mem::take(&mut self.state.borrow_mut().notification_wakers);
        wakers.into_iter().for_each(Waker::wake);
    }

    /// A state change of the reconnecting client, published when `left` queued messages had left its send
    /// queue: a disconnection fails the requests that had been handed to the connection, unless the client
    /// sends them again (acknowledgements), and their replies may still come.
    #[cfg(feature = "typed")]
    fn on_state(&self, state: ClientState, left: u64) {
        if let (ClientState::Disconnected(error), Transport::Reconnecting(handle)) =
            (state, &self.transport)
        {
            if !handle.resends() {
                self.fail(&error, Some(left));
            }
        }
    }

    /// The reason a finished connection gives to the requests still waiting.
    fn closed_error(&self) -> Error {
        match &self.transport {
            Transport::Connection { handle, .. } => match handle.close_event() {
                Some(close) => Error::Closed(close),
                None => Error::NotOpen(ReadyState::Closed),
            },
            #[cfg(feature = "typed")]
            Transport::Reconnecting(_) => Error::NotOpen(ReadyState::Closed),
        }
    }
}

/// The last client is gone: a connection is closed (1000), even if handles to it are kept elsewhere, and the
/// driver is woken so that it ends and drops its half. (A reconnecting client stops once its own handles are
/// gone too, as it always does.)
impl<D: Dialect> Drop for Shared<D> {
    fn drop(&mut self) {
        #[allow(irrefutable_let_patterns)] // without feature `typed`, the only transport
        if let Transport::Connection { handle, .. } = &self.transport {
            let _ = handle.close();
        }
        if let Some(waker) = self.state.get_mut().driver_waker.take() {
            waker.wake();
        }
    }
}

/// Takes every message as it arrives, until the connection or the client is finished or every engine is dropped.
async fn drive<D: Dialect>(shared: Weak<Shared<D>>, mut source: Source) {
    #[cfg(feature = "typed")]
    let mut states_done = false;
    poll_fn(|cx| {
        let Some(shared) = shared.upgrade() else {
            return Poll::Ready(());
        };
        shared.state.borrow_mut().driver_waker = Some(cx.waker().clone());
        match &mut source {
            Source::Connection(receiver) => loop {
                match Pin::new(&mut *receiver).poll_next(cx) {
                    Poll::Ready(Some(Ok(message))) => shared.dispatch(message, 0),
                    Poll::Ready(Some(Err(error))) => shared.end(error),
                    Poll::Ready(None) => {
                        let error = shared.state.borrow().ended.clone();
                        shared.end(error.unwrap_or_else(|| shared.closed_error()));
                        return Poll::Ready(());
                    }
                    Poll::Pending => return Poll::Pending,
                }
            },
            #[cfg(feature = "typed")]
            Source::Reconnecting { client, states } => loop {
                // Messages first: those already received came before the state change that follows them.
                let mut progressed = false;
                match Pin::new(&mut *client).poll_next(cx) {
                    Poll::Ready(Some(Ok(message))) => {
                        shared.dispatch(message, client.handle().taken_from());
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
                    // After `GaveUp`, later requests keep being told that.
                    Poll::Ready(None) => {
                        let error = shared.state.borrow().ended.clone();
                        shared.end(error.unwrap_or(Error::NotOpen(ReadyState::Closed)));
                        return Poll::Ready(());
                    }
                    Poll::Pending => {}
                }
                if !progressed && !states_done {
                    match states.poll_next_counted(cx) {
                        Poll::Ready(Some((state, left))) => {
                            shared.on_state(state, left);
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

/// The notifications and reports, in order; ends once the connection (or the reconnecting client) is finished
/// and the queue is empty.
pub(crate) struct Notices<D: Dialect> {
    shared: Rc<Shared<D>>,
    /// `None` has been returned (what `is_terminated` reports).
    terminated: bool,
}

impl<D: Dialect> fmt::Debug for Notices<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifications").finish_non_exhaustive()
    }
}

impl<D: Dialect> Stream for Notices<D> {
    type Item = Result<Notice<D::Value>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let mut state = this.shared.state.borrow_mut();
        if let Some(item) = state.notifications.pop_front() {
            return Poll::Ready(Some(item));
        }
        if state.ended.is_some() {
            this.terminated = true;
            return Poll::Ready(None);
        }
        let waker = cx.waker();
        if !state
            .notification_wakers
            .iter()
            .any(|known| known.will_wake(waker))
        {
            state.notification_wakers.push(waker.clone());
        }
        Poll::Pending
    }
}

impl<D: Dialect> FusedStream for Notices<D> {
    fn is_terminated(&self) -> bool {
        self.terminated
    }
}
