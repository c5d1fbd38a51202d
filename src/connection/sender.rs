//! The sending half: a `Sink` of messages with backpressure on the browser's `bufferedAmount`.
//!
//! The browser has no event for its send buffer draining, so a waiting `poll_ready` or `poll_flush` re-reads
//! `bufferedAmount` with one `setTimeout` at a time: first after 0 ms, then 1, 2, 4 ms and so on up to
//! [`poll_interval`](crate::connection::ConnectionBuilder::poll_interval). A small message usually drains
//! within a millisecond, so `send().await` (which flushes) stays fast, while a long wait for a full buffer costs
//! at most one timer per interval. Nothing polls while no task waits, and a close wakes the waiting task at once.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use futures_sink::Sink;

use crate::close::ClientCloseCode;
use crate::connection::handle::Handle;
use crate::connection::shared::Shared;
use crate::error::Error;
use crate::message::Message;
use crate::state::ReadyState;
use crate::timer::Sleep;

/// Sends messages. As a [`Sink`], `poll_ready` waits while the browser's send buffer is above the high-water
/// mark, and `flush` waits until it is empty, so a producer that awaits each send cannot grow it without bound.
#[derive(Debug)]
pub struct Sender {
    pub(crate) shared: Rc<Shared>,
    /// Above the high-water mark, until the buffer falls to the low-water mark.
    throttled: bool,
    timer: Option<Sleep>,
    /// Consecutive re-reads of `bufferedAmount` in the current wait; sets the next delay.
    ticks: u32,
}

impl Sender {
    pub(crate) fn new(shared: Rc<Shared>) -> Self {
        Self {
            shared,
            throttled: false,
            timer: None,
            ticks: 0,
        }
    }

    /// A control handle for the connection.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: self.shared.clone(),
        }
    }

    /// Sends at once, ignoring the watermarks (the browser buffers without limit): for small messages from
    /// synchronous code. [`Error::Closed`] or [`Error::NotOpen`] if the socket is not open.
    pub fn send_now(&self, message: &Message) -> Result<(), Error> {
        match self.shared.not_open_error() {
            Some(error) => Err(error),
            None => self.shared.socket.send(message),
        }
    }

    /// Ready when it is time to read `bufferedAmount` again: after the poll interval, or at once on close.
    fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.shared.state.borrow_mut().send_waker = Some(cx.waker().clone());
        let delay = backoff_delay(self.ticks, self.shared.settings.poll_interval);
        let timer = self.timer.get_or_insert_with(|| Sleep::new(delay));
        ready!(Pin::new(timer).poll(cx));
        self.timer = None;
        self.ticks = self.ticks.saturating_add(1);
        Poll::Ready(())
    }

    /// The wait is over: the next one starts with a short delay again.
    fn done_waiting(&mut self) {
        self.timer = None;
        self.ticks = 0;
    }
}

impl Sink<Message> for Sender {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let (high, low) = (
            self.shared.settings.high_water,
            self.shared.settings.low_water,
        );
        loop {
            if let Some(error) = self.shared.not_open_error() {
                self.done_waiting();
                return Poll::Ready(Err(error));
            }
            let buffered = self.shared.socket.buffered_amount();
            self.throttled = if self.throttled {
                buffered > low
            } else {
                buffered > high
            };
            if !self.throttled {
                self.done_waiting();
                return Poll::Ready(Ok(()));
            }
            ready!(self.poll_tick(cx));
        }
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        self.send_now(&message)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        loop {
            if self.shared.socket.buffered_amount() == 0 {
                self.done_waiting();
                return Poll::Ready(Ok(()));
            }
            if let Some(error) = self.shared.not_open_error() {
                self.done_waiting();
                return Poll::Ready(Err(error));
            }
            ready!(self.poll_tick(cx));
        }
    }

    /// Flushes, closes normally (1000) and waits for the close event.
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.shared.socket.ready_state() == ReadyState::Open {
            ready!(self.as_mut().poll_flush(cx))?;
            self.shared.socket.close_with(ClientCloseCode::NORMAL, "")?;
        }
        ready!(self.shared.poll_closed(cx));
        Poll::Ready(Ok(()))
    }
}

/// The delay before re-read number `ticks` (from 0) of `bufferedAmount`: 0 ms, then doubling from 1 ms, capped at
/// `interval`.
fn backoff_delay(ticks: u32, interval: Duration) -> Duration {
    match ticks {
        0 => Duration::ZERO,
        n => Duration::from_millis(1u64 << (n - 1).min(16)).min(interval),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_starts_fast_and_backs_off_to_the_interval() {
        let interval = Duration::from_millis(5);
        let delays: Vec<u128> = (0..6)
            .map(|n| backoff_delay(n, interval).as_millis())
            .collect();
        assert_eq!(delays, [0, 1, 2, 4, 5, 5]);
        assert_eq!(backoff_delay(u32::MAX, interval), interval);
    }
}
