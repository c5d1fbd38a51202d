//! The client: a `Stream` of messages from whichever connection is current, a `Sink` and `try_send` that queue
//! while not open, and the shared state the driver task works on.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use futures_sink::Sink;

use crate::close::{validate_close_reason, ClientCloseCode};
use crate::connection::{Connection, Handle, Receiver, Sender};
use crate::error::Error;
use crate::message::Message;
use crate::reconnect::driver::drive;
use crate::reconnect::options::{Acknowledgements, ReconnectBuilder};
use crate::reconnect::outbox::{Outbox, Outgoing};
use crate::reconnect::state::{ClientState, StateChanges, Subscribers};
use crate::state::ReadyState;

/// What became of a message given to [`ReconnectHandle::try_send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// Handed to the open socket.
    Sent,
    /// Queued, to be sent, in order, as soon as a connection is open.
    Queued,
}

/// A message that could not be sent or queued, handed back with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// The message, returned untouched.
    pub message: Message,
    /// Why: [`Error::QueueFull`], or [`Error::NotOpen`] once the client is closed or gave up.
    pub error: Error,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "message not sent: {}", self.error)
    }
}

impl std::error::Error for SendError {}

/// Why the client stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Requested,
    Dropped,
}

pub(crate) struct Inner {
    pub(crate) settings: ReconnectBuilder,
    state: RefCell<State>,
}

struct State {
    outbox: Outbox,
    sender: Option<Sender>,
    handle: Option<Handle>,
    /// Receivers of this and earlier connections; earlier ones are drained before later ones.
    receivers: VecDeque<Receiver>,
    current: ClientState,
    subscribers: Subscribers,
    stop: Option<Stop>,
    finished: bool,
    /// The acknowledgement tagger is running (see `Inner::tag`).
    tagging: bool,
    gave_up_reported: bool,
    driver_waker: Option<Waker>,
    receive_waker: Option<Waker>,
    send_waker: Option<Waker>,
}

impl Inner {
    fn new(settings: ReconnectBuilder) -> Self {
        let outbox = Outbox::new(settings.queue_messages, settings.queue_bytes);
        Self {
            settings,
            state: RefCell::new(State {
                outbox,
                sender: None,
                handle: None,
                receivers: VecDeque::new(),
                current: ClientState::Connecting { attempt: 1 },
                subscribers: Subscribers::default(),
                stop: None,
                finished: false,
                tagging: false,
                gave_up_reported: false,
                driver_waker: None,
                receive_waker: None,
                send_waker: None,
            }),
        }
    }

    /// Records and announces a state change.
    pub(crate) fn publish(&self, state: ClientState) {
        let wakers = {
            let mut inner = self.state.borrow_mut();
            let wakers = inner.subscribers.publish(&state);
            inner.current = state;
            wakers
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Takes a new open connection: its receiver joins the stream, queued messages go out first.
    pub(crate) fn attach(&self, connection: Connection) -> Handle {
        let (sender, receiver, handle) = connection.split();
        let wakers = {
            let mut state = self.state.borrow_mut();
            state.receivers.push_back(receiver);
            let State { outbox, .. } = &mut *state;
            // Unacknowledged messages go again first, then those queued while not open, all in order.
            let resend: Vec<Outgoing> = outbox.unacked.iter().cloned().collect();
            let mut delivered = resend
                .iter()
                .all(|outgoing| sender.send_now(&outgoing.message).is_ok());
            while delivered {
                let Some(outgoing) = outbox.pop_queued() else {
                    break;
                };
                if sender.send_now(&outgoing.message).is_ok() {
                    if self.settings.acknowledgements.is_some() {
                        outbox.keep_unacked(outgoing);
                    }
                } else {
                    outbox.requeue_front(outgoing);
                    delivered = false;
                }
            }
            state.sender = Some(sender);
            state.handle = Some(handle.clone());
            [state.receive_waker.take(), state.send_waker.take()]
        };
        wakers.into_iter().flatten().for_each(Waker::wake);
        self.publish(ClientState::Open);
        handle
    }

    /// The connection has ended: stop sending to it (its receiver stays until drained).
    pub(crate) fn detach(&self) {
        let mut state = self.state.borrow_mut();
        state.sender = None;
        state.handle = None;
    }

    /// Sends a heartbeat ping on the open connection, outside the queue.
    pub(crate) fn send_ping(&self, ping: &Message) {
        if let Some(sender) = &self.state.borrow().sender {
            // A failed ping means the connection is closing; the close event will say so.
            let _ = sender.send_now(ping);
        }
    }

    /// The client stops for good: the last state, and every waiting task woken.
    pub(crate) fn finish(&self, final_state: ClientState) {
        {
            let mut state = self.state.borrow_mut();
            state.finished = true;
            state.sender = None;
            state.handle = None;
        }
        self.publish(final_state);
        let wakers = {
            let mut state = self.state.borrow_mut();
            [state.receive_waker.take(), state.send_waker.take()]
        };
        wakers.into_iter().flatten().for_each(Waker::wake);
    }

    pub(crate) fn close_requested(&self) -> bool {
        self.state.borrow().stop == Some(Stop::Requested)
    }

    /// Ready once the client was closed or dropped; otherwise remembers the driver's waker.
    pub(crate) fn poll_stopped(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.borrow_mut();
        match state.stop {
            Some(_) if state.handle.is_none() || state.stop == Some(Stop::Dropped) => {
                Poll::Ready(())
            }
            // A requested close of an open connection ends through its close event, which is reported.
            _ => {
                state.driver_waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    fn stop(&self, stop: Stop) {
        let waker = {
            let mut state = self.state.borrow_mut();
            if state.stop.is_none() || stop == Stop::Dropped {
                state.stop = Some(stop);
            }
            state.driver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn try_send(&self, message: Message, force: bool) -> Result<Delivery, SendError> {
        if let Some(error) = self.refusal(message.len(), force) {
            return Err(SendError { message, error });
        }
        let outgoing = match &self.settings.acknowledgements {
            Some(acks) => self.tag(acks, message, force)?,
            None => Outgoing { id: 0, message },
        };
        let mut state = self.state.borrow_mut();
        let State { outbox, sender, .. } = &mut *state;
        // Straight to the socket only when nothing older waits, so order is kept.
        if let (Some(sender), true) = (sender.as_ref(), outbox.queued.is_empty()) {
            if sender.send_now(&outgoing.message).is_ok() {
                if outgoing.id != 0 {
                    outbox.keep_unacked(outgoing);
                }
                return Ok(Delivery::Sent);
            }
        }
        outbox.queue(outgoing);
        Ok(Delivery::Queued)
    }

    /// Why a message of `len` bytes cannot be taken now, if it cannot. `force` skips the room check (the `Sink`
    /// has checked with `poll_ready`).
    fn refusal(&self, len: usize, force: bool) -> Option<Error> {
        let state = self.state.borrow();
        if state.finished || state.stop.is_some() {
            return Some(Error::NotOpen(ReadyState::Closed));
        }
        if state.tagging {
            return Some(Error::Browser {
                name: "InvalidStateError".to_owned(),
                message: "a message cannot be sent from inside the acknowledgement tagger"
                    .to_owned(),
            });
        }
        if !force && !state.outbox.has_room(len) {
            return Some(Error::QueueFull {
                messages: self.settings.queue_messages,
                bytes: self.settings.queue_bytes,
            });
        }
        None
    }

    /// Tags `message` with the next id. The tagger is the application's code (JavaScript, maybe), so it runs with
    /// no borrow held: it may read the client's state, or close it. A send from inside it is refused. Afterwards the
    /// client is checked again, with the tagged size; on any refusal the id goes to the next message.
    fn tag(
        &self,
        acks: &Acknowledgements,
        message: Message,
        force: bool,
    ) -> Result<Outgoing, SendError> {
        let id = {
            let mut state = self.state.borrow_mut();
            state.tagging = true;
            state.outbox.next_id()
        };
        let tagged = (acks.tag)(id, &message);
        self.state.borrow_mut().tagging = false;
        let tagged = tagged.and_then(|tagged| match self.refusal(tagged.len(), force) {
            Some(error) => Err(error),
            None => Ok(tagged),
        });
        match tagged {
            Ok(tagged) => Ok(Outgoing {
                id,
                message: tagged,
            }),
            Err(error) => {
                self.state.borrow_mut().outbox.return_id(id);
                Err(SendError { message, error })
            }
        }
    }

    fn acknowledge(&self, id: u64) {
        let waker = {
            let mut state = self.state.borrow_mut();
            if !state.outbox.acknowledge(id) {
                return;
            }
            state.send_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn poll_next_message(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        loop {
            let polled = {
                let mut state = self.state.borrow_mut();
                let Some(receiver) = state.receivers.front_mut() else {
                    if !state.finished {
                        state.receive_waker = Some(cx.waker().clone());
                        return Poll::Pending;
                    }
                    if state.current == ClientState::GaveUp && !state.gave_up_reported {
                        state.gave_up_reported = true;
                        return Poll::Ready(Some(Err(Error::GaveUp)));
                    }
                    return Poll::Ready(None);
                };
                match Pin::new(receiver).poll_next(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None | Some(Err(Error::Closed(_)))) => {
                        // That connection is over (the state changes said how): go on with the next.
                        state.receivers.pop_front();
                        continue;
                    }
                    Poll::Ready(Some(item)) => item,
                }
            };
            let message = match polled {
                Ok(message) => message,
                Err(error) => return Poll::Ready(Some(Err(error))),
            };
            if let Some(acks) = &self.settings.acknowledgements {
                if let Some(id) = (acks.acknowledges)(&message) {
                    self.acknowledge(id);
                }
            }
            let is_pong = self
                .settings
                .heartbeat
                .as_ref()
                .and_then(|h| h.is_pong.as_ref());
            if is_pong.is_some_and(|is_pong| is_pong(&message)) {
                continue;
            }
            return Poll::Ready(Some(Ok(message)));
        }
    }
}

/// Closes the client when the last handle to it is dropped.
struct Owner {
    inner: Rc<Inner>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.inner.stop(Stop::Dropped);
    }
}

/// A WebSocket client that reconnects by itself. See the [module docs](crate::reconnect).
///
/// A [`Stream`] of the messages of every connection in turn, and a [`Sink`] whose `poll_ready` waits for room
/// (never dropping a message); [`handle`](Self::handle) gives a cloneable [`ReconnectHandle`] for `try_send`,
/// state changes and close. Dropping the client and every handle stops it and closes the connection. `!Send`.
pub struct ReconnectingClient {
    handle: ReconnectHandle,
}

/// Controls a [`ReconnectingClient`] from anywhere: send, close, watch its state.
#[derive(Clone)]
pub struct ReconnectHandle {
    owner: Rc<Owner>,
}

impl ReconnectingClient {
    /// Settings for a client of `url`, to adjust before [`start`](ReconnectBuilder::start).
    pub fn builder(url: &str) -> ReconnectBuilder {
        ReconnectBuilder::new(url)
    }

    /// A client of `url` with the default settings, already connecting.
    pub fn new(url: &str) -> Self {
        Self::builder(url).start()
    }

    pub(crate) fn start(settings: ReconnectBuilder) -> Self {
        let inner = Rc::new(Inner::new(settings));
        wasm_bindgen_futures::spawn_local(drive(inner.clone()));
        Self {
            handle: ReconnectHandle {
                owner: Rc::new(Owner { inner }),
            },
        }
    }

    /// A handle to send, close and watch from elsewhere.
    pub fn handle(&self) -> &ReconnectHandle {
        &self.handle
    }
}

impl ReconnectBuilder {
    /// Starts the client: it connects in the background, reconnecting as the settings say.
    pub fn start(self) -> ReconnectingClient {
        ReconnectingClient::start(self)
    }
}

impl ReconnectHandle {
    fn inner(&self) -> &Inner {
        &self.owner.inner
    }

    /// Sends at once if open and nothing older is queued, else queues. A full queue, or a closed client, hands
    /// the message back in the error: nothing is dropped silently.
    pub fn try_send(&self, message: impl Into<Message>) -> Result<Delivery, SendError> {
        self.inner().try_send(message.into(), false)
    }

    /// The latest state.
    pub fn state(&self) -> ClientState {
        self.inner().state.borrow().current.clone()
    }

    /// Whether a connection is open now.
    pub fn is_open(&self) -> bool {
        self.inner().state.borrow().handle.is_some()
    }

    /// A stream of state changes, starting with the current state.
    pub fn state_changes(&self) -> StateChanges {
        let mut state = self.inner().state.borrow_mut();
        let current = state.current.clone();
        state.subscribers.subscribe(current)
    }

    /// The control handle of the current connection, if one is open.
    pub fn connection(&self) -> Option<Handle> {
        self.inner().state.borrow().handle.clone()
    }

    /// Messages queued or awaiting acknowledgement, in sending order (with acknowledgements, as tagged). Call it
    /// after [`ClientState::GaveUp`] or [`ClientState::Closed`] to get back what was never delivered; calling it
    /// earlier takes them out of the queue.
    pub fn take_unsent(&self) -> Vec<Message> {
        self.inner().state.borrow_mut().outbox.take_all()
    }

    /// Closes normally (1000) and stops reconnecting.
    pub fn close(&self) -> Result<(), Error> {
        self.close_with(ClientCloseCode::NORMAL, "")
    }

    /// Closes with a code and reason and stops reconnecting. The reason is checked first.
    pub fn close_with(&self, code: ClientCloseCode, reason: &str) -> Result<(), Error> {
        validate_close_reason(reason)?;
        let handle = self.connection();
        self.inner().stop(Stop::Requested);
        match handle {
            Some(handle) => handle.close_with(code, reason),
            None => Ok(()),
        }
    }
}

impl Stream for ReconnectingClient {
    type Item = Result<Message, Error>;

    /// Messages of every connection in order. Disconnections are not errors here (see the state changes);
    /// the stream yields [`Error::GaveUp`] once if the client gave up, and ends when the client is finished.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.handle.inner().poll_next_message(cx)
    }
}

impl Sink<Message> for ReconnectingClient {
    type Error = Error;

    /// Waits for the open socket's backpressure, or for room in the queue while not open.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let inner = self.handle.inner();
        let mut state = inner.state.borrow_mut();
        if state.finished || state.stop.is_some() {
            return Poll::Ready(Err(Error::NotOpen(ReadyState::Closed)));
        }
        let nothing_queued = state.outbox.queued.is_empty();
        if let (Some(sender), true) = (state.sender.as_mut(), nothing_queued) {
            match Pin::new(sender).poll_ready(cx) {
                Poll::Ready(Ok(()))
                    if state.outbox.has_any_room() || inner.settings.acknowledgements.is_none() =>
                {
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending => return Poll::Pending,
                // Closing, or waiting for acknowledgements: wait for room like when not open.
                Poll::Ready(_) => {}
            }
        }
        if state.outbox.has_any_room() {
            return Poll::Ready(Ok(()));
        }
        state.send_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Sends or queues; after `poll_ready`, the queue takes the message even if it is larger than the room left.
    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        self.handle
            .inner()
            .try_send(message, true)
            .map(|_| ())
            .map_err(|e| e.error)
    }

    /// Waits until nothing is queued and the open socket's buffer has drained.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let inner = self.handle.inner();
        let mut state = inner.state.borrow_mut();
        if state.outbox.queued.is_empty() {
            if let Some(sender) = state.sender.as_mut() {
                if let Poll::Ready(Ok(())) = Pin::new(sender).poll_flush(cx) {
                    return Poll::Ready(Ok(()));
                }
            }
        }
        if state.finished {
            return Poll::Ready(Err(Error::NotOpen(ReadyState::Closed)));
        }
        state.send_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Closes normally and waits until the client has finished.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if !self.handle.inner().close_requested() {
            self.handle.close()?;
        }
        let mut state = self.handle.inner().state.borrow_mut();
        if state.finished {
            return Poll::Ready(Ok(()));
        }
        state.send_waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl std::fmt::Debug for ReconnectingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.handle.fmt(f)
    }
}

impl std::fmt::Debug for ReconnectHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.inner().state.borrow();
        f.debug_struct("ReconnectingClient")
            .field("state", &state.current)
            .field("queued", &state.outbox.queued.len())
            .field("unacked", &state.outbox.unacked.len())
            .finish_non_exhaustive()
    }
}
