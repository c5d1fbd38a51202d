//! The client's state changes, and the streams that deliver them to any number of subscribers.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_core::stream::FusedStream;
use futures_core::Stream;

use crate::error::Error;

/// Where a [`ReconnectingClient`](crate::reconnect::ReconnectingClient) is in its life, as reported to
/// [`state_changes`](crate::reconnect::ReconnectHandle::state_changes) subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientState {
    /// Not connecting: made with [`start_closed`](crate::reconnect::ReconnectBuilder::start_closed), waiting for
    /// [`reconnect`](crate::reconnect::ReconnectHandle::reconnect).
    Idle,
    /// Opening a connection; `attempt` counts from 1 since the last connection that stayed up for `min_uptime`
    /// (failed attempts, and connections that closed sooner, count).
    Connecting {
        /// The attempt number.
        attempt: u32,
    },
    /// A connection is open; queued messages have been handed to it, as far as the send watermarks allow (the
    /// rest follows as the browser's buffer drains).
    Open,
    /// A connection ended or an attempt failed: [`Error::Closed`] with the close event, or
    /// [`Error::ConnectTimeout`], [`Error::HeartbeatTimeout`], or the URL provider's error.
    Disconnected(Error),
    /// Waiting before the next attempt.
    Waiting {
        /// How long, after backoff and jitter.
        delay: Duration,
    },
    /// No more attempts: the limit was reached or the close was one not to retry. Final.
    GaveUp,
    /// Closed on request (or dropped). Final.
    Closed,
}

impl ClientState {
    /// Whether nothing follows this state.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::GaveUp | Self::Closed)
    }
}

#[derive(Debug, Default)]
struct Subscription {
    /// Each state with the send queue's [`left_queue`](crate::reconnect::outbox::Outbox::left_queue) when it was
    /// published, which tells what had been handed to the connection a `Disconnected` reports.
    queue: VecDeque<(ClientState, u64)>,
    waker: Option<Waker>,
}

/// The subscribers of one client.
#[derive(Debug, Default)]
pub(crate) struct Subscribers {
    subscriptions: Vec<Weak<RefCell<Subscription>>>,
}

impl Subscribers {
    /// A new subscription, which starts with `current` (and `left`, see [`Subscription::queue`]).
    pub(crate) fn subscribe(&mut self, current: ClientState, left: u64) -> StateChanges {
        let subscription = Rc::new(RefCell::new(Subscription {
            queue: VecDeque::from([(current, left)]),
            waker: None,
        }));
        self.subscriptions.retain(|s| s.strong_count() > 0);
        self.subscriptions.push(Rc::downgrade(&subscription));
        StateChanges {
            subscription,
            finished: false,
            terminated: false,
        }
    }

    /// Delivers `state` to every live subscriber. Returns the wakers to call once no borrow is held.
    pub(crate) fn publish(&mut self, state: &ClientState, left: u64) -> Vec<Waker> {
        self.subscriptions.retain(|s| s.strong_count() > 0);
        self.subscriptions
            .iter()
            .filter_map(Weak::upgrade)
            .filter_map(|subscription| {
                let mut subscription = subscription.borrow_mut();
                subscription.queue.push_back((state.clone(), left));
                subscription.waker.take()
            })
            .collect()
    }
}

/// A stream of a client's state changes, starting with the state it was in when subscribed, ending after the
/// final state. Every subscriber sees every change; a subscriber that never reads keeps them queued.
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct StateChanges {
    subscription: Rc<RefCell<Subscription>>,
    /// The final state has been yielded: `None` from now on.
    finished: bool,
    /// `None` has been returned (what `is_terminated` reports).
    terminated: bool,
}

impl StateChanges {
    /// The next state, with how many queued messages had left the send queue when it was published.
    pub(crate) fn poll_next_counted(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(ClientState, u64)>> {
        if self.finished {
            self.terminated = true;
            return Poll::Ready(None);
        }
        let next = {
            let mut subscription = self.subscription.borrow_mut();
            let next = subscription.queue.pop_front();
            if next.is_none() {
                subscription.waker = Some(cx.waker().clone());
            }
            next
        };
        match next {
            Some((state, left)) => {
                self.finished = state.is_final();
                Poll::Ready(Some((state, left)))
            }
            None => Poll::Pending,
        }
    }
}

impl Stream for StateChanges {
    type Item = ClientState;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ClientState>> {
        self.poll_next_counted(cx)
            .map(|next| next.map(|(state, _)| state))
    }
}

impl FusedStream for StateChanges {
    fn is_terminated(&self) -> bool {
        self.terminated
    }
}
