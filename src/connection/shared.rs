//! The state one connection's parts share: the socket, its listeners, the receive queue and the wakers.
//!
//! Listeners are attached in the same JS task that creates the socket, so no event (not even a message the
//! server sends right on accept) can be missed. They hold only a `Weak` reference: when the last part of the
//! connection is dropped, the socket is dropped, which detaches them and closes the connection.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use std::task::{ready, Context, Poll, Waker};

use crate::close::{ClientCloseCode, CloseEvent};
use crate::connection::options::{
    BinaryDelivery, BlobRead, BlobReader, ConnectionBuilder, Overflow,
};
use crate::error::Error;
use crate::listener::EventListener;
use crate::message::Message;
use crate::socket::{close_of, message_of, WebSocket};
use crate::state::{BinaryType, ReadyState};

/// The reason sent, with [`ClientCloseCode::RECEIVE_OVERFLOW`], when a receive queue overflows in
/// [`Overflow::Fail`] mode.
pub(crate) const OVERFLOW_REASON: &str = "receive queue full";

pub(crate) struct Shared {
    /// First, so they are detached before the socket's drop closes it: no event is delivered after that.
    _listeners: [EventListener; 3],
    pub(crate) socket: WebSocket,
    pub(crate) state: RefCell<State>,
    pub(crate) settings: ConnectionBuilder,
}

/// A received message, or a Blob being read into bytes.
enum Incoming {
    Ready(Message),
    Reading(BlobRead),
}

#[derive(Default)]
pub(crate) struct State {
    queue: VecDeque<Incoming>,
    pub(crate) opened: bool,
    pub(crate) close: Option<CloseEvent>,
    /// An error the stream must yield once, after the queued messages (an overflow).
    failure: Option<Error>,
    /// Whether the stream has yielded its last item.
    ended: bool,
    pub(crate) dropped: u64,
    /// Messages received so far, read or not: the heartbeat's sign of life.
    pub(crate) received: u64,
    receiver_gone: bool,
    /// Given up on by its owner: the stream ends after what is queued, whatever the socket does.
    abandoned: bool,
    connect_waker: Option<Waker>,
    receive_waker: Option<Waker>,
    pub(crate) send_waker: Option<Waker>,
    close_wakers: Vec<Waker>,
}

impl Shared {
    /// Opens the socket and attaches the listeners.
    pub(crate) fn open(settings: ConnectionBuilder) -> Result<Rc<Self>, Error> {
        settings.validate()?;
        // Checked by the builder already.
        let socket = WebSocket::create(&settings.url, &settings.protocols)?;
        socket.set_binary_type(match settings.binary {
            BinaryDelivery::Bytes => BinaryType::ArrayBuffer,
            BinaryDelivery::Blob | BinaryDelivery::BlobBytes => BinaryType::Blob,
        });
        Ok(Rc::new_cyclic(|weak: &Weak<Self>| {
            let on_open = weak.clone();
            let on_message = weak.clone();
            let on_close = weak.clone();
            // The error event carries nothing; the close event that always follows it says what happened.
            // Registered on the raw socket: these listeners are owned here, so the socket's registry (for
            // listeners handed to callers) is not needed.
            let raw = socket.as_raw();
            let listeners = [
                EventListener::trusted(raw, "open", move |_| with(&on_open, Self::handle_open)),
                EventListener::trusted(raw, "message", move |event| {
                    if let Some(message) = message_of(&event) {
                        with(&on_message, |shared| shared.handle_message(message));
                    }
                }),
                EventListener::trusted(raw, "close", move |event| {
                    if let Some(close) = close_of(&event) {
                        with(&on_close, |shared| shared.handle_close(close));
                    }
                }),
            ];
            Self {
                socket,
                state: RefCell::new(State::default()),
                settings,
                _listeners: listeners,
            }
        }))
    }

    fn handle_open(&self) {
        let wakers = {
            let mut state = self.state.borrow_mut();
            state.opened = true;
            [state.connect_waker.take(), state.send_waker.take()]
        };
        wakers.into_iter().flatten().for_each(Waker::wake);
    }

    fn handle_message(&self, message: Message) {
        let incoming = match (message, self.settings.blob_reader) {
            // The read starts now, in parallel with later ones; the queue keeps the order.
            (Message::Blob(blob), Some(BlobReader(read))) => Incoming::Reading(read(&blob)),
            (other, _) => Incoming::Ready(other),
        };
        let mut overflowed = false;
        let waker = {
            let mut state = self.state.borrow_mut();
            state.received += 1;
            if state.receiver_gone || state.abandoned || state.failure.is_some() {
                return;
            }
            if state.queue.len() >= self.settings.receive_capacity {
                match self.settings.overflow {
                    Overflow::DropOldest => {
                        state.queue.pop_front();
                        state.dropped += 1;
                    }
                    Overflow::Fail => {
                        state.failure = Some(Error::ReceiveOverflow {
                            capacity: self.settings.receive_capacity,
                        });
                        overflowed = true;
                    }
                }
            }
            if !overflowed {
                state.queue.push_back(incoming);
            }
            state.receive_waker.take()
        };
        if overflowed {
            // Best effort: if the socket is already closing, the close event comes anyway.
            let _ = self
                .socket
                .close_with(ClientCloseCode::RECEIVE_OVERFLOW, OVERFLOW_REASON);
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn handle_close(&self, event: CloseEvent) {
        let wakers: Vec<Waker> = {
            let mut state = self.state.borrow_mut();
            state.close = Some(event);
            let mut wakers = std::mem::take(&mut state.close_wakers);
            wakers.extend(state.connect_waker.take());
            wakers.extend(state.receive_waker.take());
            wakers.extend(state.send_waker.take());
            wakers
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// The error for an operation that needs an open socket: the close event once known, else the state.
    pub(crate) fn not_open_error(&self) -> Option<Error> {
        if let Some(close) = &self.state.borrow().close {
            return Some(Error::Closed(close.clone()));
        }
        match self.socket.ready_state() {
            ReadyState::Open => None,
            state => Some(Error::NotOpen(state)),
        }
    }

    /// The stream's next item: queued messages first, then the end (one error first if it was not clean).
    pub(crate) fn poll_receive(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
        let mut state = self.state.borrow_mut();
        if let Some(Incoming::Reading(read)) = state.queue.front_mut() {
            let read = ready!(read.as_mut().poll(cx));
            state.queue.pop_front();
            return Poll::Ready(Some(read.map(Message::Binary)));
        }
        if let Some(Incoming::Ready(message)) = state.queue.pop_front() {
            return Poll::Ready(Some(Ok(message)));
        }
        if state.ended {
            return Poll::Ready(None);
        }
        if let Some(failure) = state.failure.take() {
            state.ended = true;
            return Poll::Ready(Some(Err(failure)));
        }
        if state.abandoned {
            state.ended = true;
            return Poll::Ready(None);
        }
        if let Some(close) = &state.close {
            let item = (!close.was_clean).then(|| Err(Error::Closed(close.clone())));
            state.ended = true;
            return Poll::Ready(item);
        }
        state.receive_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// The close event, once the connection has closed.
    pub(crate) fn close_event(&self) -> Option<CloseEvent> {
        self.state.borrow().close.clone()
    }

    /// Whether the stream has yielded its last item.
    pub(crate) fn is_ended(&self) -> bool {
        self.state.borrow().ended
    }

    /// Ready with the close event once the connection has closed.
    pub(crate) fn poll_closed(&self, cx: &mut Context<'_>) -> Poll<CloseEvent> {
        let mut state = self.state.borrow_mut();
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
        let mut state = self.state.borrow_mut();
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
        let waker = {
            let mut state = self.state.borrow_mut();
            state.abandoned = true;
            state.receive_waker.take()
        };
        let _ = self.socket.close_with(ClientCloseCode::NORMAL, reason);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The receiver is gone: nobody can take messages any more, so stop queueing them.
    pub(crate) fn release_receiver(&self) {
        let mut state = self.state.borrow_mut();
        state.receiver_gone = true;
        state.queue.clear();
        state.receive_waker = None;
    }
}

/// Runs `f` on the shared state if the connection still exists.
fn with(weak: &Weak<Shared>, f: impl FnOnce(&Shared)) {
    if let Some(shared) = weak.upgrade() {
        f(&shared);
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("Connection")
            .field("url", &self.settings.url)
            .field("ready_state", &self.socket.ready_state())
            .field("queued", &state.queue.len())
            .field("close", &state.close)
            .finish_non_exhaustive()
    }
}
