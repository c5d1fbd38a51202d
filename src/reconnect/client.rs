//! The client: a `Stream` of messages from whichever connection is current, a `Sink` and `try_send` that queue
//! while not open, and the shared state the driver task works on.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_core::stream::FusedStream;
use futures_core::Stream;
use futures_sink::Sink;

use crate::close::{validate_close_reason, ClientCloseCode};
use crate::connection::{Handle, Overflow, Sender};
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

/// No `source`: the message already says the reason, which error chains would print twice.
impl std::error::Error for SendError {}

/// The reason alone, for `?` in a function that returns [`Error`] (which is `Send`, unlike a `SendError` holding
/// a Blob, so it converts on into `anyhow::Error` and the like); the message is dropped: take it from the
/// `SendError` first to keep it.
impl From<SendError> for Error {
    fn from(error: SendError) -> Self {
        error.error
    }
}

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
    /// What the stream has yet to yield, of this and earlier connections, in order: messages, and the errors
    /// that stand among them (an overflow, a Blob that could not be read), each with the number of the
    /// connection it came from. Bounded by the receive queue.
    inbox: VecDeque<(u64, Result<Message, Error>)>,
    /// How many connections have opened: the number of the latest.
    connections: u64,
    /// The connection the stream's latest item came from.
    taken_from: u64,
    /// Messages the receive queue dropped ([`Overflow::DropOldest`]).
    dropped: u64,
    /// The `ReconnectingClient` (the stream) was dropped: nobody can take messages any more.
    stream_gone: bool,
    current: ClientState,
    subscribers: Subscribers,
    stop: Option<Stop>,
    finished: bool,
    /// The acknowledgement tagger is running (see `Inner::tag`).
    tagging: bool,
    /// [`ReconnectHandle::reconnect`] was called and the driver has not started over yet.
    reconnect_requested: bool,
    gave_up_reported: bool,
    /// The message stream has returned `None` (what `is_terminated` reports).
    stream_terminated: bool,
    driver_waker: Option<Waker>,
    receive_waker: Option<Waker>,
    send_waker: Option<Waker>,
}

impl Inner {
    fn new(settings: ReconnectBuilder) -> Self {
        let outbox = Outbox::new(settings.queue_messages, settings.queue_bytes);
        let current = if settings.start_closed {
            ClientState::Idle
        } else {
            ClientState::Connecting { attempt: 1 }
        };
        Self {
            settings,
            state: RefCell::new(State {
                outbox,
                sender: None,
                handle: None,
                inbox: VecDeque::new(),
                connections: 0,
                taken_from: 0,
                dropped: 0,
                stream_gone: false,
                current,
                subscribers: Subscribers::default(),
                stop: None,
                finished: false,
                tagging: false,
                reconnect_requested: false,
                gave_up_reported: false,
                stream_terminated: false,
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
            let left = inner.outbox.left_queue();
            let wakers = inner.subscribers.publish(&state, left);
            inner.current = state;
            wakers
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Takes a new open connection: unacknowledged messages go again first, then those queued while not open,
    /// all in order and as far as the send watermarks allow (the driver sends the rest as the buffer drains).
    pub(crate) fn attach(&self, sender: Sender, handle: Handle) {
        let wakers = {
            let mut state = self.state.borrow_mut();
            let delivered = state
                .outbox
                .unacked
                .iter()
                .all(|outgoing| sender.send_now(&outgoing.message).is_ok());
            state.sender = Some(sender);
            state.handle = Some(handle);
            state.connections += 1;
            if delivered {
                self.send_queued(&mut state);
            }
            [state.receive_waker.take(), state.send_waker.take()]
        };
        wakers.into_iter().flatten().for_each(Waker::wake);
        self.publish(ClientState::Open);
    }

    /// Hands queued messages to the open socket, oldest first, while its buffer is below the high-water mark.
    /// Returns whether any went.
    fn send_queued(&self, state: &mut State) -> bool {
        let State { outbox, sender, .. } = state;
        let Some(sender) = sender.as_mut() else {
            return false;
        };
        let mut sent = false;
        while !outbox.queued.is_empty() && !sender.is_throttled() {
            let Some(outgoing) = outbox.pop_queued() else {
                break;
            };
            if sender.send_now(&outgoing.message).is_err() {
                // Closing: the close event follows, and the message goes on the next connection.
                outbox.requeue_front(outgoing);
                break;
            }
            sent = true;
            if self.settings.acknowledgements.is_some() {
                outbox.keep_unacked(outgoing);
            }
        }
        sent
    }

    /// The driver's share of sending: what was queued while the buffer was full goes out as it drains. Waits
    /// (with `cx`) on the socket's backpressure while anything is queued.
    pub(crate) fn poll_send_queued(&self, cx: &mut Context<'_>) {
        let waker = {
            let mut state = self.state.borrow_mut();
            let mut sent = false;
            loop {
                let progressed = self.send_queued(&mut state);
                sent |= progressed;
                let State { outbox, sender, .. } = &mut *state;
                let Some(sender) = sender.as_mut() else {
                    break;
                };
                // Pending: the task is woken when the buffer may have fallen. An error: closing. Ready with
                // nothing sent: the socket refused a send while open, so trying again at once would spin; the
                // close event that follows moves the queue on.
                if outbox.queued.is_empty()
                    || !matches!(Pin::new(sender).poll_ready(cx), Poll::Ready(Ok(())))
                    || !progressed
                {
                    break;
                }
            }
            // Room was made: a `Sink` waiting for it can go on.
            sent.then(|| state.send_waker.take()).flatten()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The connection has ended: stop sending to it.
    pub(crate) fn detach(&self) {
        let mut state = self.state.borrow_mut();
        state.sender = None;
        state.handle = None;
    }

    /// Takes what the current connection received, as it arrives, whether or not anybody reads the stream:
    /// acknowledgements and pongs are recognised here, then the rest joins the stream's queue. `Err` when the
    /// queue was full in [`Overflow::Fail`] mode: the connection must then be failed.
    pub(crate) fn deliver(&self, item: Result<Message, Error>) -> Result<(), Error> {
        if let Ok(message) = &item {
            // The application's code (JavaScript, maybe): called with no borrow held.
            if let Some(acks) = &self.settings.acknowledgements {
                if let Some(id) = (acks.acknowledges)(message) {
                    self.acknowledge(id);
                }
            }
            let is_pong = self
                .settings
                .heartbeat
                .as_ref()
                .and_then(|h| h.is_pong.as_ref());
            if is_pong.is_some_and(|is_pong| is_pong(message)) {
                return Ok(());
            }
        }
        let (capacity, overflow) = (
            self.settings.connection.queues.receive_capacity,
            self.settings.connection.queues.overflow,
        );
        let waker = {
            let mut state = self.state.borrow_mut();
            if state.stream_gone {
                return Ok(());
            }
            // With backpressure the driver takes nothing while the queue is full, until a close is asked for:
            // then the queue takes the connection's last messages past its capacity (see `has_room`).
            let closing_paused = overflow == Overflow::Backpressure && state.stop.is_some();
            if state.inbox.len() >= capacity && !closing_paused {
                match overflow {
                    Overflow::DropOldest => {
                        state.inbox.pop_front();
                        state.dropped += 1;
                    }
                    Overflow::Fail | Overflow::Backpressure => {
                        let error = Error::ReceiveOverflow { capacity };
                        drop(state);
                        self.report_overflow(error.clone());
                        return Err(error);
                    }
                }
            }
            let from = state.connections;
            state.inbox.push_back((from, item));
            state.receive_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the driver may take another message off the connection: always, but with
    /// [`Overflow::Backpressure`], while the stream's queue is full. Once a close was asked for, the rest is
    /// taken past the capacity: the connection's close waits behind it (over WebSocketStream the close frame
    /// is read only after the messages before it), and what the server sent before it is still delivered.
    pub(crate) fn has_room(&self) -> bool {
        let state = self.state.borrow();
        self.settings.connection.queues.overflow != Overflow::Backpressure
            || state.stream_gone
            || state.stop.is_some()
            || state.inbox.len() < self.settings.connection.queues.receive_capacity
    }

    /// Puts an overflow in the stream, after what was queued: messages were lost. One in a row is enough; a
    /// reader that never reads does not make the queue grow with every reconnect.
    pub(crate) fn report_overflow(&self, error: Error) {
        let waker = {
            let mut state = self.state.borrow_mut();
            if state.stream_gone
                || matches!(state.inbox.back(), Some((_, Err(last))) if *last == error)
            {
                return;
            }
            let from = state.connections;
            state.inbox.push_back((from, Err(error)));
            state.receive_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The stream is gone: nobody can take messages any more, so stop queueing them. The driver may be waiting
    /// for room in the queue (with backpressure): it is woken to take the connection's messages again, so that
    /// acknowledgements are seen and the close is noticed.
    fn release_stream(&self) {
        let waker = {
            let mut state = self.state.borrow_mut();
            state.stream_gone = true;
            state.inbox.clear();
            state.receive_waker = None;
            state.driver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Sends `message` at once, outside the queue, if connection number `connection` is still the open one.
    fn send_on(&self, connection: u64, message: &Message) -> Result<(), Error> {
        let state = self.state.borrow();
        match &state.sender {
            Some(sender) if state.connections == connection => sender.send_now(message),
            _ => Err(Error::NotOpen(ReadyState::Closed)),
        }
    }

    /// Sends a heartbeat ping on the open connection, outside the queue.
    pub(crate) fn send_ping(&self, ping: &Message) {
        if let Some(sender) = &self.state.borrow().sender {
            // A failed ping means the connection is closing (a Blob ping the transport cannot send was refused
            // before connecting); the close event will say so.
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

    /// Asks the driver to start over (see [`ReconnectHandle::reconnect`]); refused once the client is stopping
    /// or has stopped.
    fn request_reconnect(&self) -> Result<(), Error> {
        let waker = {
            let mut state = self.state.borrow_mut();
            if state.current == ClientState::GaveUp {
                return Err(Error::GaveUp);
            }
            if state.finished || state.stop.is_some() {
                return Err(Error::NotOpen(ReadyState::Closed));
            }
            state.reconnect_requested = true;
            state.driver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether a reconnect was asked for since the last call.
    pub(crate) fn take_reconnect(&self) -> bool {
        std::mem::take(&mut self.state.borrow_mut().reconnect_requested)
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

    /// Sends or queues; with the message's ticket in the send queue when queued (0 when sent at once).
    fn try_send(&self, message: Message, force: bool) -> Result<(Delivery, u64), SendError> {
        if let Some(error) = self.refusal(&message, force) {
            return Err(SendError { message, error });
        }
        let outgoing = match &self.settings.acknowledgements {
            Some(acks) => self.tag(acks, message, force)?,
            None => Outgoing { id: 0, message },
        };
        let (waker, ticket) = {
            let mut state = self.state.borrow_mut();
            let State { outbox, sender, .. } = &mut *state;
            // Straight to the socket only when nothing older waits (so order is kept) and the browser's buffer
            // is below the high-water mark (so a loop of sends cannot grow it without bound).
            if let (Some(sender), true) = (sender.as_mut(), outbox.queued.is_empty()) {
                if !sender.is_throttled() && sender.send_now(&outgoing.message).is_ok() {
                    if outgoing.id != 0 {
                        outbox.keep_unacked(outgoing);
                    }
                    return Ok((Delivery::Sent, 0));
                }
            }
            let ticket = outbox.queue(outgoing);
            // While open, the driver sends it once the buffer has drained.
            (state.driver_waker.take(), ticket)
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok((Delivery::Queued, ticket))
    }

    /// Why a message of `len` bytes cannot be taken now, if it cannot. `force` skips the room check (the `Sink`
    /// has checked with `poll_ready`).
    fn refusal(&self, message: &Message, force: bool) -> Option<Error> {
        // Refused up front, open or not: queued, it could never go out.
        if let Some(error) = self.settings.connection.transport.refusal(message) {
            return Some(error);
        }
        let len = message.len();
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
        let tagged = tagged.and_then(|tagged| match self.refusal(&tagged, force) {
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
        let mut state = self.state.borrow_mut();
        if let Some((from, item)) = state.inbox.pop_front() {
            state.taken_from = from;
            // Room again: with backpressure the driver may take the next message off the connection.
            let driver = (self.settings.connection.queues.overflow == Overflow::Backpressure)
                .then(|| state.driver_waker.take())
                .flatten();
            drop(state);
            if let Some(waker) = driver {
                waker.wake();
            }
            return Poll::Ready(Some(item));
        }
        if !state.finished {
            state.receive_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if state.current == ClientState::GaveUp && !state.gave_up_reported {
            state.gave_up_reported = true;
            return Poll::Ready(Some(Err(Error::GaveUp)));
        }
        state.stream_terminated = true;
        Poll::Ready(None)
    }

    /// Whether the stream has returned `None`: a `select!` still polls a stream that yielded its last error
    /// ([`Error::GaveUp`]) for the `None` after it.
    fn stream_terminated(&self) -> bool {
        self.state.borrow().stream_terminated
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

/// The stream is gone: the client stops queueing what it receives (handles may keep it running, to send).
impl Drop for ReconnectingClient {
    fn drop(&mut self) {
        self.handle.inner().release_stream();
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
        self.inner()
            .try_send(message.into(), false)
            .map(|(delivery, _)| delivery)
    }

    /// [`try_send`](Self::try_send), with the message's ticket when it was queued (0 when it went at once): it
    /// has been handed to a socket (or taken back) once a state change counts it (see
    /// [`StateChanges::poll_next_counted`]).
    #[cfg_attr(not(feature = "typed"), allow(dead_code))]
    pub(crate) fn try_send_ticketed(&self, message: Message) -> Result<(Delivery, u64), SendError> {
        self.inner().try_send(message, false)
    }

    /// Whether the client sends unacknowledged messages again on the next connection.
    #[cfg_attr(not(feature = "typed"), allow(dead_code))]
    pub(crate) fn resends(&self) -> bool {
        self.inner().settings.acknowledgements.is_some()
    }

    /// The number of the connection the stream's latest item came from (connections count from 1).
    #[cfg_attr(not(feature = "typed"), allow(dead_code))]
    pub(crate) fn taken_from(&self) -> u64 {
        self.inner().state.borrow().taken_from
    }

    /// Sends `message` at once, outside the queue and past the acknowledgement tagger, if connection number
    /// `connection` is still open; [`Error::NotOpen`] (`Closed`) once it has ended, the send's error while it
    /// closes.
    #[cfg_attr(not(feature = "typed"), allow(dead_code))]
    pub(crate) fn send_on(&self, connection: u64, message: &Message) -> Result<(), Error> {
        self.inner().send_on(connection, message)
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
        let (current, left) = (state.current.clone(), state.outbox.left_queue());
        state.subscribers.subscribe(current, left)
    }

    /// The control handle of the current connection, if one is open.
    pub fn connection(&self) -> Option<Handle> {
        self.inner().state.borrow().handle.clone()
    }

    /// Messages not yet delivered: queued (while not open, or while the browser's buffer drains) or, with
    /// acknowledgements, awaiting one. What [`take_unsent`](Self::take_unsent) would return.
    pub fn unsent_messages(&self) -> usize {
        self.inner().state.borrow().outbox.len()
    }

    /// How many received messages [`Overflow::DropOldest`] discarded because the stream was not read fast
    /// enough (see [`ReconnectBuilder::receive_queue`]).
    pub fn dropped_messages(&self) -> u64 {
        self.inner().state.borrow().dropped
    }

    /// Messages queued or awaiting acknowledgement, in sending order (with acknowledgements, as tagged). Call it
    /// after [`ClientState::GaveUp`] or [`ClientState::Closed`] to get back what was never delivered; calling it
    /// earlier takes them out of the queue.
    pub fn take_unsent(&self) -> Vec<Message> {
        let (taken, waker) = {
            let mut state = self.inner().state.borrow_mut();
            (state.outbox.take_all(), state.send_waker.take())
        };
        // A `Sink` waiting for room or for the queue to empty can go on.
        if let Some(waker) = waker {
            waker.wake();
        }
        taken
    }

    /// Starts over at once, as partysocket's `reconnect()`: closes the open connection with 1000, or abandons
    /// the attempt in progress or the wait before the next, then connects again with the attempt count back at
    /// one. Starts a client made with [`start_closed`](ReconnectBuilder::start_closed). Queued messages stay
    /// queued.
    ///
    /// [`Error::GaveUp`] once the client gave up and [`Error::NotOpen`] once it was closed: those states are
    /// final (its stream has ended); make a new client, with [`take_unsent`](Self::take_unsent) to carry the
    /// queue over.
    pub fn reconnect(&self) -> Result<(), Error> {
        self.reconnect_with(ClientCloseCode::NORMAL, "")
    }

    /// [`reconnect`](Self::reconnect), closing an open connection with `code` and `reason` (checked first).
    pub fn reconnect_with(&self, code: ClientCloseCode, reason: &str) -> Result<(), Error> {
        validate_close_reason(reason)?;
        self.inner().request_reconnect()?;
        match self.connection() {
            Some(handle) => handle.close_with(code, reason),
            None => Ok(()),
        }
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

impl FusedStream for ReconnectingClient {
    fn is_terminated(&self) -> bool {
        self.handle.inner().stream_terminated()
    }
}

impl Sink<Message> for ReconnectingClient {
    type Error = Error;

    /// Waits for room in the send queue. Messages go straight to an open socket whose buffer is below the
    /// high-water mark, and are queued otherwise (while not open, or while the buffer drains).
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut state = self.handle.inner().state.borrow_mut();
        if state.finished || state.stop.is_some() {
            return Poll::Ready(Err(Error::NotOpen(ReadyState::Closed)));
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

    /// Waits until nothing is queued: every message was handed to a socket (see
    /// [`Handle::drained`](crate::connection::Handle::drained) to wait for the browser's buffer too).
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut state = self.handle.inner().state.borrow_mut();
        if state.outbox.queued.is_empty() {
            return Poll::Ready(Ok(()));
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

#[cfg(test)]
mod tests {
    //! Covers: a `SendError` converts into its reason (`?` into [`Error`], which is `Send + Sync`, as error
    //! libraries such as `anyhow` need) and says it.

    use super::*;

    fn is_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn a_send_error_converts_into_its_reason() {
        is_send_sync::<Error>();
        let full = Error::QueueFull {
            messages: 1,
            bytes: 2,
        };
        let refused = SendError {
            message: Message::text("kept"),
            error: full.clone(),
        };
        assert_eq!(refused.to_string(), format!("message not sent: {full}"));
        let send = || -> Result<(), Error> { Err(refused)? };
        assert_eq!(send(), Err(full));
    }
}
