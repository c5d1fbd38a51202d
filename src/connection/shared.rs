//! The state one connection's parts share: the socket, its listeners, the receive queue and the wakers.
//!
//! Listeners are attached in the same JS task that creates the socket, so no event (not even a message the
//! server sends right on accept) can be missed. They hold only a `Weak` reference: when the last part of the
//! connection is dropped, the socket is dropped, which detaches them and closes the connection.
//!
//! With the `WebSocketStream` transport ([`Link::Stream`]) the same state is fed by the tasks of
//! `stream_link.rs`, which hold a `Weak` reference too; the ready state and the count of bytes being written are
//! kept here, since that API has neither `readyState` nor `bufferedAmount`.

use std::cell::{Ref, RefCell, RefMut};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use web_sys::Event;

use crate::close::{ClientCloseCode, CloseEvent};
use crate::connection::options::{BinaryDelivery, BlobReader, ConnectionBuilder, Overflow, Queues};
use crate::connection::stream_link::StreamOps;
use crate::connection::transport::Transport;
use crate::error::Error;
use crate::listener::EventListener;
use crate::message::Message;
use crate::socket::{close_of, message_of, OwnedSocket};
use crate::state::{BinaryType, ReadyState};

/// The reason sent, with [`ClientCloseCode::RECEIVE_OVERFLOW`], when a receive queue overflows in
/// [`Overflow::Fail`] mode.
pub(crate) const OVERFLOW_REASON: &str = "receive queue full";

pub(crate) struct Shared {
    link: Link,
    state: RefCell<State>,
    pub(crate) queues: Queues,
}

/// The browser object that carries the connection.
enum Link {
    Classic {
        /// First, so they are detached before the socket's drop closes it: no event is delivered after that.
        _listeners: [EventListener; 3],
        socket: OwnedSocket,
    },
    /// Behind a trait object, made only where [`ConnectionBuilder::transport`] asked for it, so that the classic
    /// path links none of it.
    Stream(Box<dyn StreamOps>),
}

#[derive(Default)]
pub(crate) struct State {
    queue: VecDeque<Message>,
    pub(crate) opened: bool,
    pub(crate) close: Option<CloseEvent>,
    /// Why the stream fails: the queue overflowed ([`Overflow::Fail`]), or a received Blob could not be read. It
    /// yields this error once, after the queued messages, and ends; nothing is queued from then on.
    failure: Option<Box<Error>>,
    /// Whether the stream has yielded its last item.
    ended: bool,
    /// Whether the stream has returned `None`: what `is_terminated` reports, so that `select!` still polls a
    /// stream that yielded its last error for the `None` after it.
    terminated: bool,
    pub(crate) dropped: u64,
    /// Messages received so far, read or not: the heartbeat's sign of life.
    pub(crate) received: u64,
    receiver_gone: bool,
    /// Given up on by its owner: the stream ends after what is queued, whatever the socket does.
    abandoned: bool,
    /// Stream transport: a close was asked for, so a reader paused for room ([`Overflow::Backpressure`]) reads
    /// on past the queue's capacity (the browser drops what is left unread once the closing handshake completes).
    closing: bool,
    /// The stream transport's reader, or the Blob reader, may still hand on messages received before the close,
    /// so the stream does not end at the close event before it has.
    reading: bool,
    /// Stream transport: the reader task, waiting for room in the queue ([`Overflow::Backpressure`]).
    room_waker: Option<Waker>,
    connect_waker: Option<Waker>,
    receive_waker: Option<Waker>,
    pub(crate) send_waker: Option<Waker>,
    close_wakers: Vec<Waker>,
}

impl Shared {
    /// The state, to read. Not inlined, so that every caller shares one borrow check and its panic location
    /// instead of linking its own copy. (The check never fails: wakers are woken, and the socket called, only
    /// after a borrow ends.)
    #[inline(never)]
    pub(crate) fn state(&self) -> Ref<'_, State> {
        self.state.borrow()
    }

    /// The state, to change; see [`state`](Self::state).
    #[inline(never)]
    pub(crate) fn state_mut(&self) -> RefMut<'_, State> {
        self.state.borrow_mut()
    }

    /// Opens the socket and attaches the listeners.
    pub(crate) fn open(settings: ConnectionBuilder) -> Result<Rc<Self>, Error> {
        settings.validate()?;
        if let Some(open_stream) = settings.stream_opener {
            if let Some(stream) = (open_stream.0)(&settings)? {
                let shared = Rc::new(Self {
                    link: Link::Stream(stream),
                    state: RefCell::new(State::default()),
                    queues: settings.queues,
                });
                if let Link::Stream(stream) = &shared.link {
                    stream.start(Rc::downgrade(&shared));
                }
                return Ok(shared);
            }
        }
        // Checked by the builder already.
        let socket = OwnedSocket::create(&settings.url, &settings.protocols)?;
        socket.set_binary_type(
            match settings.binary {
                BinaryDelivery::Bytes => BinaryType::ArrayBuffer,
                BinaryDelivery::Blob | BinaryDelivery::BlobBytes => BinaryType::Blob,
            }
            .to_dom(),
        );
        Ok(Rc::new_cyclic(|weak: &Weak<Self>| {
            // The error event carries nothing; the close event that always follows it says what happened.
            // Registered on the raw socket: these listeners are owned here, so the socket's registry (for
            // listeners handed to callers) is not needed.
            let raw = &*socket;
            let on_message = match settings.blob_reader {
                Some(BlobReader(listen_reading)) => listen_reading(raw, weak),
                None => listen(raw, "message", weak, |shared, event| {
                    shared.handle_message(message_of(&event))
                }),
            };
            let listeners = [
                listen(raw, "open", weak, |shared, _| shared.handle_open()),
                on_message,
                listen(raw, "close", weak, |shared, event| {
                    shared.handle_close(close_of(&event))
                }),
            ];
            Self {
                link: Link::Classic {
                    socket,
                    _listeners: listeners,
                },
                state: RefCell::new(State::default()),
                queues: settings.queues,
            }
        }))
    }

    pub(crate) fn handle_open(&self) {
        let (connect, send) = {
            let mut state = self.state_mut();
            state.opened = true;
            state.reading = matches!(self.link, Link::Stream(_));
            (state.connect_waker.take(), state.send_waker.take())
        };
        wake(connect);
        wake(send);
    }

    pub(crate) fn handle_message(&self, message: Message) {
        let mut overflowed = false;
        let waker = {
            let mut state = self.state_mut();
            state.received += 1;
            if state.receiver_gone || state.abandoned || state.ended || state.failure.is_some() {
                return;
            }
            let draining = state.closing && self.queues.overflow == Overflow::Backpressure;
            if state.queue.len() >= self.queues.receive_capacity && !draining {
                match self.queues.overflow {
                    Overflow::DropOldest => {
                        state.queue.pop_front();
                        state.dropped += 1;
                    }
                    // The classic socket cannot stop reading; the stream transport reads only while there is
                    // room, so it never gets here.
                    Overflow::Fail | Overflow::Backpressure => {
                        state.failure = Some(Box::new(Error::ReceiveOverflow {
                            capacity: self.queues.receive_capacity,
                        }));
                        overflowed = true;
                    }
                }
            }
            if !overflowed {
                state.queue.push_back(message);
            }
            state.receive_waker.take()
        };
        if overflowed {
            // Best effort: if the socket is already closing, the close event comes anyway.
            let _ = self.close_with(ClientCloseCode::RECEIVE_OVERFLOW, OVERFLOW_REASON);
        }
        wake(waker);
    }

    pub(crate) fn handle_close(&self, event: CloseEvent) {
        let (closed, connect, receive, send) = {
            let mut state = self.state_mut();
            state.close = Some(event);
            (
                std::mem::take(&mut state.close_wakers),
                state.connect_waker.take(),
                state.receive_waker.take(),
                state.send_waker.take(),
            )
        };
        closed.into_iter().for_each(Waker::wake);
        wake(connect);
        wake(receive);
        wake(send);
    }

    /// The error for an operation that needs an open socket: the close event once known, else the state.
    pub(crate) fn not_open_error(&self) -> Option<Error> {
        if let Some(close) = &self.state().close {
            return Some(Error::Closed(close.clone()));
        }
        match self.ready_state() {
            ReadyState::Open => None,
            state => Some(Error::NotOpen(state)),
        }
    }

    /// Which transport carries the connection.
    pub(crate) fn transport(&self) -> Transport {
        match self.link {
            Link::Classic { .. } => Transport::Classic,
            Link::Stream(_) => Transport::Stream,
        }
    }

    /// The connection's state: the socket's, or for the stream transport what its promises said so far.
    pub(crate) fn ready_state(&self) -> ReadyState {
        match &self.link {
            Link::Classic { socket, .. } => socket.state(),
            Link::Stream(stream) => stream.ready_state(),
        }
    }

    /// Bytes sent but not yet handed to the network: `bufferedAmount`, or the bytes of writes not completed.
    pub(crate) fn buffered_amount(&self) -> u32 {
        match &self.link {
            Link::Classic { socket, .. } => socket.buffered_amount(),
            Link::Stream(stream) => stream.buffered_amount(),
        }
    }

    pub(crate) fn url(&self) -> String {
        match &self.link {
            Link::Classic { socket, .. } => socket.url(),
            Link::Stream(stream) => stream.url(),
        }
    }

    pub(crate) fn protocol(&self) -> String {
        match &self.link {
            Link::Classic { socket, .. } => socket.protocol(),
            Link::Stream(stream) => stream.protocol(),
        }
    }

    pub(crate) fn extensions(&self) -> String {
        match &self.link {
            Link::Classic { socket, .. } => socket.extensions(),
            Link::Stream(stream) => stream.extensions(),
        }
    }

    /// The classic socket's web-sys object; `None` for the stream transport.
    pub(crate) fn as_raw(&self) -> Option<&web_sys::WebSocket> {
        match &self.link {
            Link::Classic { socket, .. } => Some(socket),
            Link::Stream(_) => None,
        }
    }

    /// The browser object: a `WebSocket` or a `WebSocketStream`.
    pub(crate) fn as_js(&self) -> &wasm_bindgen::JsValue {
        match &self.link {
            Link::Classic { socket, .. } => socket,
            Link::Stream(stream) => stream.raw(),
        }
    }

    /// Sends on an open connection (the caller checked).
    pub(crate) fn send(&self, message: &Message) -> Result<(), Error> {
        match &self.link {
            Link::Classic { socket, .. } => socket.send_open_message(message),
            Link::Stream(stream) => stream.send(message),
        }
    }

    /// Closes with a code and a reason (checked first); harmless once closing or closed. A connection still
    /// opening is abandoned.
    pub(crate) fn close_with(&self, code: ClientCloseCode, reason: &str) -> Result<(), Error> {
        match &self.link {
            Link::Classic { socket, .. } => {
                socket.close_with(code, reason)?;
                // Closing now: a send waiting for room fails at once, not at its next look at the buffer.
                let send = self.state_mut().send_waker.take();
                wake(send);
                Ok(())
            }
            Link::Stream(stream) => stream.close_with((code, reason)),
        }
    }

    /// Stream transport: wakes the task at the next write completion (or close), and says so; `false` for the
    /// classic socket, whose `bufferedAmount` must be polled.
    pub(crate) fn wait_for_writes(&self, cx: &mut Context<'_>) -> bool {
        match &self.link {
            Link::Classic { .. } => false,
            Link::Stream(stream) => {
                stream.wait_for_writes(cx);
                true
            }
        }
    }

    /// Stream transport, once a close was asked for: what the server sent before it is still delivered, as the
    /// classic socket's events are, so a reader paused for room reads the rest at once, before the browser drops
    /// what is left unread when the closing handshake completes. (Called by the transport, so that an app on the
    /// classic transport links none of it.)
    pub(crate) fn read_on_for_close(&self) {
        let room = {
            let mut state = self.state_mut();
            state.closing = true;
            state.room_waker.take()
        };
        wake(room);
    }

    /// Stream transport: ready when the reader may read another message: always, but with
    /// [`Overflow::Backpressure`], where it waits for room in the queue.
    pub(crate) fn poll_room(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state_mut();
        if self.queues.overflow != Overflow::Backpressure
            || state.receiver_gone
            || state.abandoned
            || state.closing
            || state.queue.len() < self.queues.receive_capacity
        {
            return Poll::Ready(());
        }
        state.room_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Whether a reader (the stream transport's, or the Blob reader) may still hand on messages; once not, the
    /// stream may end after the queue, so the waiting task is woken. (A reader that starts wakes nobody: the
    /// messages it hands on do.)
    pub(crate) fn set_reading(&self, reading: bool) {
        let waker = {
            let mut state = self.state_mut();
            state.reading = reading;
            if reading {
                None
            } else {
                state.receive_waker.take()
            }
        };
        wake(waker);
    }

    /// The stream's next item: queued messages first, then the end (one error first if it was not clean).
    pub(crate) fn poll_receive(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
        let mut state = self.state_mut();
        if let Some(message) = state.queue.pop_front() {
            // Room again: the stream transport's reader may read on.
            let room = state.room_waker.take();
            drop(state);
            wake(room);
            return Poll::Ready(Some(Ok(message)));
        }
        if state.ended {
            state.terminated = true;
            return Poll::Ready(None);
        }
        if let Some(error) = state.failure.take() {
            state.ended = true;
            return Poll::Ready(Some(Err(*error)));
        }
        if state.abandoned {
            state.ended = true;
            state.terminated = true;
            return Poll::Ready(None);
        }
        // The close may come before the reader has yielded everything the socket received.
        if let (Some(close), false) = (&state.close, state.reading) {
            let item = (!close.was_clean).then(|| Err(Error::Closed(close.clone())));
            state.ended = true;
            state.terminated = item.is_none();
            return Poll::Ready(item);
        }
        state.receive_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// The close event, once the connection has closed.
    pub(crate) fn close_event(&self) -> Option<CloseEvent> {
        self.state().close.clone()
    }

    /// Whether the stream has returned `None`.
    pub(crate) fn is_terminated(&self) -> bool {
        self.state().terminated
    }

    /// Ready with the close event once the connection has closed.
    pub(crate) fn poll_closed(&self, cx: &mut Context<'_>) -> Poll<CloseEvent> {
        let mut state = self.state_mut();
        if let Some(close) = &state.close {
            return Poll::Ready(close.clone());
        }
        let waker = cx.waker();
        state.close_wakers.retain(|known| !known.will_wake(waker));
        state.close_wakers.push(waker.clone());
        Poll::Pending
    }

    /// Ready once the connection is open (`Ok`) or has closed before opening (`Err`).
    pub(crate) fn poll_open(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut state = self.state_mut();
        if state.opened {
            return Poll::Ready(Ok(()));
        }
        if let Some(close) = &state.close {
            return Poll::Ready(Err(Error::Closed(close.clone())));
        }
        state.connect_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Ends the stream after the messages already queued and closes the socket, without waiting for a close
    /// handshake a dead peer would never finish.
    pub(crate) fn abandon(&self, reason: &str) {
        let (receive, room) = {
            let mut state = self.state_mut();
            state.abandoned = true;
            (state.receive_waker.take(), state.room_waker.take())
        };
        let _ = self.close_with(ClientCloseCode::NORMAL, reason);
        wake(receive);
        // A paused stream reader reads on, discarding, so that the close frame gets through.
        wake(room);
    }

    /// A received Blob could not be read into bytes: the stream yields `error` after the messages received before
    /// it, and ends; the connection is closed.
    pub(crate) fn fail_reading(&self, error: Error) {
        self.state_mut().failure.get_or_insert(Box::new(error));
        self.abandon("a received Blob could not be read");
    }

    /// The receiver is gone: nobody can take messages any more, so stop queueing them, and free the queue. (A
    /// new queue rather than `clear()`: the old one goes through the same drop code as the connection's, where
    /// `clear()` linked a loop of its own.)
    pub(crate) fn release_receiver(&self) {
        let room = {
            let mut state = self.state_mut();
            state.receiver_gone = true;
            state.queue = VecDeque::new();
            state.receive_waker = None;
            state.room_waker.take()
        };
        wake(room);
    }
}

impl Drop for Shared {
    /// The stream transport's reader may be waiting for room in the queue (when the connection goes before any
    /// receiver took a message, as an unpolled `Connect` does): woken, it finds the connection gone and drains
    /// the socket, so that the close can complete.
    fn drop(&mut self) {
        wake(self.state.get_mut().room_waker.take());
    }
}

/// Wakes the task that waits, if one does. (Wakers taken out of the state are woken one by one through this,
/// not by iterating arrays of them, which linked their own iterator and drop code.)
fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Calls `handle` with the connection, while it exists, for each trusted `event_type` event of `socket`. One
/// function, not inlined, for the three listeners: their code is generated once.
#[inline(never)]
fn listen(
    socket: &web_sys::WebSocket,
    event_type: &'static str,
    shared: &Weak<Shared>,
    handle: fn(&Shared, Event),
) -> EventListener {
    let shared = shared.clone();
    EventListener::trusted(socket, event_type, move |event| {
        if let Some(shared) = shared.upgrade() {
            handle(&shared, event);
        }
    })
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("Connection")
            .field("url", &self.url())
            .field("transport", &self.transport())
            .field("ready_state", &self.ready_state())
            .field("queued", &state.queue.len())
            .field("close", &state.close)
            .finish_non_exhaustive()
    }
}
