//! The sending half: a `Sink` of messages with backpressure on the browser's `bufferedAmount`, and the wait for
//! that buffer to drain.
//!
//! `start_send` hands each message to the browser at once, so `flush` has nothing left to do: it means "handed
//! over", as for every other WebSocket `Sink` (tungstenite, gloo-net, ws_stream_wasm). Backpressure lives in
//! `poll_ready`, on high and low watermarks. Waiting until the browser has put everything on the network is a
//! separate, explicit future: [`Handle::drained`].
//!
//! The browser has no event for its send buffer draining, so a wait re-reads `bufferedAmount`: first at once
//! (`drained` does it in the next task, through a `MessageChannel`, which unlike `setTimeout(0)` is never clamped
//! to 4 ms when nested), then after 1, 2, 4 ms and so on up to [`poll_interval`](crate::connection::ConnectionBuilder::poll_interval).
//! Nothing polls while no task waits, and a close wakes the waiting task at once.

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
use crate::timer::{NextTask, Sleep};

/// Sends messages. As a [`Sink`], `poll_ready` waits while the browser's send buffer is above the high-water
/// mark (until it falls to the low-water mark), so a producer that awaits each send cannot grow it without bound;
/// `flush` is done once the browser holds the data, which `start_send` already did.
#[derive(Debug)]
pub struct Sender {
    pub(crate) shared: Rc<Shared>,
    /// Above the high-water mark, until the buffer falls to the low-water mark.
    throttled: bool,
    wait: BufferWait,
}

impl Sender {
    pub(crate) fn new(shared: Rc<Shared>) -> Self {
        Self {
            shared,
            throttled: false,
            wait: BufferWait::default(),
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
            None => self.shared.send(message),
        }
    }

    /// Whether `poll_ready` would wait now: the buffer went above the high-water mark and has not yet fallen to
    /// the low-water mark.
    pub(crate) fn is_throttled(&mut self) -> bool {
        let buffered = self.shared.buffered_amount();
        let settings = &self.shared.queues;
        self.throttled = if self.throttled {
            buffered > settings.low_water
        } else {
            buffered > settings.high_water
        };
        self.throttled
    }
}

impl Sink<Message> for Sender {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = &mut *self;
        loop {
            if let Some(error) = this.shared.not_open_error() {
                this.wait.reset();
                return Poll::Ready(Err(error));
            }
            if !this.is_throttled() {
                this.wait.reset();
                return Poll::Ready(Ok(()));
            }
            ready!(this.wait.poll_tick::<false>(&this.shared, cx));
        }
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        self.send_now(&message)
    }

    /// Ready at once: `start_send` handed the message to the browser, which sends what it holds in order.
    /// [`Handle::drained`] waits for the browser's buffer to empty.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    /// Starts the closing handshake with 1000 (the browser sends what it buffered first) and waits for the
    /// close event.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.shared.ready_state() == ReadyState::Open {
            self.shared.close_with(ClientCloseCode::NORMAL, "")?;
        }
        ready!(self.shared.poll_closed(cx));
        Poll::Ready(Ok(()))
    }
}

/// The future of [`Handle::drained`]: done once `bufferedAmount` is 0.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Drained {
    shared: Rc<Shared>,
    wait: BufferWait,
}

impl Drained {
    pub(crate) fn new(shared: Rc<Shared>) -> Self {
        Self {
            shared,
            wait: BufferWait::default(),
        }
    }
}

impl Future for Drained {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = &mut *self;
        loop {
            if this.shared.buffered_amount() == 0 {
                this.wait.reset();
                return Poll::Ready(Ok(()));
            }
            // Closed with data still buffered: that data will never leave. (While closing, the browser still sends
            // what it holds before the close frame.)
            if let Some(close) = this.shared.close_event() {
                this.wait.reset();
                return Poll::Ready(Err(Error::Closed(close)));
            }
            ready!(this.wait.poll_tick::<true>(&this.shared, cx));
        }
    }
}

/// One wait for `bufferedAmount` to change: the next re-read is due when `poll_tick` is ready.
#[derive(Debug, Default)]
struct BufferWait {
    tick: Option<Tick>,
    /// Re-reads so far in this wait; sets the next delay.
    ticks: u32,
}

/// What the next re-read waits for. The next task is behind a `Box<dyn Future>`, so that only an app that waits
/// for [`Drained`] links its code (`Tick`'s drop would otherwise close a `MessagePort` in every app that sends).
enum Tick {
    NextTask(Pin<Box<dyn Future<Output = ()>>>),
    Sleep(Sleep),
}

impl std::fmt::Debug for Tick {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NextTask(_) => "NextTask",
            Self::Sleep(_) => "Sleep",
        })
    }
}

impl BufferWait {
    /// Ready when it is time to read `bufferedAmount` again; a close wakes the task at once too. With
    /// `NEXT_TASK`, the first re-read is in the next task (a `MessageChannel` message, never clamped): for
    /// [`Drained`], where a small message has usually left by then. Without it (a `poll_ready` that waits for a
    /// full buffer, where a millisecond does not matter) the `MessageChannel` code is not even linked.
    fn poll_tick<const NEXT_TASK: bool>(
        &mut self,
        shared: &Shared,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        // The stream transport: a write completion (or the close) wakes the task; nothing to poll.
        if shared.wait_for_writes(cx) {
            return Poll::Pending;
        }
        shared.state_mut().send_waker = Some(cx.waker().clone());
        let ticks = self.ticks;
        let tick = self.tick.get_or_insert_with(|| {
            let next = if NEXT_TASK && ticks == 0 {
                NextTask::new()
            } else {
                None
            };
            match next {
                Some(next) => Tick::NextTask(Box::pin(next)),
                None => Tick::Sleep(Sleep::new(backoff_delay(
                    ticks,
                    shared.queues.poll_interval,
                ))),
            }
        });
        match tick {
            Tick::NextTask(next) => ready!(next.as_mut().poll(cx)),
            Tick::Sleep(sleep) => ready!(Pin::new(sleep).poll(cx)),
        }
        self.tick = None;
        self.ticks = self.ticks.saturating_add(1);
        Poll::Ready(())
    }

    /// The wait is over: the next one starts with a short delay again.
    fn reset(&mut self) {
        self.tick = None;
        self.ticks = 0;
    }
}

/// The delay before re-read number `ticks` (from 0) of `bufferedAmount`: the next task, then doubling from 1 ms,
/// capped at `interval`.
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
