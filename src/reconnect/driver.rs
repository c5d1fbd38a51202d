//! The task that keeps a client connected: connect, watch, back off, repeat.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use futures_core::Stream;

use crate::close::{ClientCloseCode, CloseEvent};
use crate::connection::{
    Connection, ConnectionBuilder, Handle, Overflow, Receiver, OVERFLOW_REASON,
};
use crate::error::Error;
use crate::reconnect::client::Inner;
use crate::reconnect::online::back_online;
use crate::reconnect::options::{Heartbeat, UrlSource};
use crate::reconnect::state::ClientState;
use crate::timer::{from_millis_f64, millis_f64, Sleep};

/// How an open connection ended.
enum End {
    Closed(CloseEvent),
    HeartbeatTimeout,
    /// The receive queue overflowed ([`Error::ReceiveOverflow`]): the client failed the connection itself.
    Overflow(Error),
    Stopped,
}

/// What cut a wait or an attempt short.
enum Interruption {
    /// The client was closed or dropped.
    Stopped,
    /// [`reconnect`](crate::reconnect::ReconnectHandle::reconnect) was called.
    Reconnect,
}

/// Runs until the client gives up or is closed or dropped.
pub(crate) async fn drive(inner: Rc<Inner>) {
    let settings = inner.settings.clone();
    // The client was created in its first state (idle, or connecting for attempt 1): not announced again.
    let mut first_is_current = !settings.start_closed;
    if settings.start_closed {
        let idle = pin!(std::future::pending::<()>());
        if let Err(Interruption::Stopped) = until_interrupted(&inner, idle).await {
            inner.finish(ClientState::Closed);
            return;
        }
    }
    // Consecutive failed attempts: connections that did not open, or did not stay open for `min_uptime`. The
    // end of a connection that did is no failure: the next attempt is number 1 again, as after `reconnect`.
    let mut failures: u32 = 0;
    // Of those, the connections the client failed itself for a full receive queue: they grow the backoff like
    // any short connection, but never count towards `max_attempts` (a slow reader is no reason to give up).
    let mut overflows: u32 = 0;
    let final_state = loop {
        if !std::mem::take(&mut first_is_current) {
            inner.publish(ClientState::Connecting {
                attempt: failures.saturating_add(1),
            });
        }
        let attempt = pin!(connect(&inner));
        let result = match until_interrupted(&inner, attempt).await {
            Ok(result) => result,
            Err(Interruption::Stopped) => break ClientState::Closed,
            // The abandoned attempt's socket closes as it is dropped.
            Err(Interruption::Reconnect) => {
                (failures, overflows) = (0, 0);
                continue;
            }
        };
        let retry = match result {
            Ok(connection) => {
                let (sender, receiver, handle) = connection.split();
                inner.attach(sender, handle.clone());
                let opened_at = js_sys::Date::now();
                let end = watch(&inner, receiver, &handle, settings.heartbeat.as_ref()).await;
                inner.detach();
                // `reconnect` closed it (or was called as it ended): start over at once.
                let restart = inner.take_reconnect();
                let uptime = from_millis_f64(js_sys::Date::now() - opened_at);
                (failures, overflows) = if restart || uptime >= settings.min_uptime {
                    (0, 0)
                } else if matches!(end, End::Overflow(_)) {
                    (failures.saturating_add(1), overflows.saturating_add(1))
                } else {
                    (failures.saturating_add(1), overflows)
                };
                let (error, retry) = match end {
                    End::Stopped => break ClientState::Closed,
                    End::Closed(close) => {
                        let retry = (settings.should_reconnect)(&close);
                        (Error::Closed(close), retry)
                    }
                    // Failures the client itself saw or caused: always worth another connection.
                    End::HeartbeatTimeout => (Error::HeartbeatTimeout, true),
                    End::Overflow(error) => (error, true),
                };
                inner.publish(ClientState::Disconnected(error));
                if inner.close_requested() {
                    break ClientState::Closed;
                }
                if restart {
                    continue;
                }
                retry
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                let retry = match &error {
                    Error::Closed(close) => (settings.should_reconnect)(close),
                    // A fixed URL or subprotocol that the browser refuses will be refused again.
                    Error::InvalidUrl { .. } | Error::Security { .. } => {
                        matches!(settings.url, UrlSource::Provider(_))
                    }
                    Error::InvalidProtocol { .. } => settings.protocols_provider.is_some(),
                    // No WebSocketStream here: it will not appear on the next attempt.
                    Error::Unsupported { .. } => false,
                    _ => true,
                };
                inner.publish(ClientState::Disconnected(error));
                retry
            }
        };
        // Closed from `should_reconnect` (or a state listener): a close, whatever the attempt count says.
        if inner.close_requested() {
            break ClientState::Closed;
        }
        // Asked to reconnect from there: start over at once, as `reconnect` does, whatever the hook answered.
        if inner.take_reconnect() {
            (failures, overflows) = (0, 0);
            continue;
        }
        let counted = failures.saturating_sub(overflows);
        if !retry || settings.max_attempts.is_some_and(|max| counted >= max) {
            break ClientState::GaveUp;
        }
        let delay = settings
            .backoff
            .delay(failures.max(1), js_sys::Math::random());
        inner.publish(ClientState::Waiting { delay });
        let wait = pin!(wait(delay, settings.retry_on_online));
        match until_interrupted(&inner, wait).await {
            Ok(()) => {}
            Err(Interruption::Stopped) => break ClientState::Closed,
            Err(Interruption::Reconnect) => (failures, overflows) = (0, 0),
        }
    };
    inner.finish(final_state);
}

/// One attempt: ask for the URL and the subprotocols, then connect within the timeout.
async fn connect(inner: &Inner) -> Result<Connection, Error> {
    // A heartbeat that could never ping is refused before anything opens, as a queued Blob is: the attempt fails
    // with the reason, and the client gives up (no attempt could do better).
    let transport = inner.settings.connection.transport;
    let heartbeat = inner.settings.heartbeat.as_ref();
    if let Some(error) = heartbeat.and_then(|heartbeat| transport.refusal(&heartbeat.ping)) {
        return Err(error);
    }
    let url = match &inner.settings.url {
        UrlSource::Fixed(url) => url.clone(),
        UrlSource::Provider(provider) => provider().await?,
    };
    let mut builder = inner.settings.connection.clone();
    if let Some(provider) = &inner.settings.protocols_provider {
        builder = builder.protocols(&provider().await?);
    }
    builder.url = url;
    // The connection's own queue only holds messages until this task takes them into the client's queue, which
    // has the capacity asked for. It must not overflow first: when the task runs late (a threads build wakes it
    // behind pending network events), a burst would fail the connection although the client's queue has room,
    // or no stream reads it at all. So it takes at least the default capacity; both stay bounded.
    // With backpressure over WebSocketStream the connection's queue cannot overflow (its reader waits for room),
    // so it keeps the capacity asked for and the two queues bound memory together.
    let pauses = builder.queues.overflow == Overflow::Backpressure && transport.is_stream_here();
    if !pauses {
        builder.queues.receive_capacity = builder
            .queues
            .receive_capacity
            .max(ConnectionBuilder::DEFAULT_RECEIVE_CAPACITY);
    }
    builder
        .connect_timeout(inner.settings.connect_timeout)
        .connect()
        .await
}

/// Waits for the backoff delay, cut short when the browser comes back online.
async fn wait(delay: Duration, retry_on_online: bool) {
    let sleep = pin!(Sleep::new(delay));
    if retry_on_online {
        let online = pin!(back_online());
        first_of(sleep, online).await;
    } else {
        sleep.await;
    }
}

/// Serves one open connection until it has ended and everything it received has been taken: takes each
/// message as it arrives (so acknowledgements and pongs are seen even when nobody reads the stream), sends what
/// was queued as the browser's buffer drains, and beats the heartbeat. Ends early when the client is stopped.
async fn watch(
    inner: &Inner,
    mut receiver: Receiver,
    handle: &Handle,
    heartbeat: Option<&Heartbeat>,
) -> End {
    let mut closed = pin!(handle.closed());
    let mut beating = pin!(heartbeat_failure(inner, handle, heartbeat));
    // Why the connection ends, when the client decided it; its close event says it otherwise.
    let mut ending: Option<End> = None;
    // After an overflow the connection's remaining messages have nowhere to go: the error reported the loss.
    let mut discarding = false;
    let mut received_all = false;
    poll_fn(|cx| {
        if inner.poll_stopped(cx).is_ready() {
            return Poll::Ready(End::Stopped);
        }
        // With backpressure, nothing is taken while the client's queue is full; taking one wakes this task.
        while !received_all && inner.has_room() {
            match Pin::new(&mut receiver).poll_next(cx) {
                Poll::Pending => break,
                Poll::Ready(None | Some(Err(Error::Closed(_)))) => received_all = true,
                // The connection's own queue overflowed (the driver fell behind) and closed it.
                Poll::Ready(Some(Err(overflow @ Error::ReceiveOverflow { .. }))) => {
                    inner.report_overflow(overflow.clone());
                    ending.get_or_insert(End::Overflow(overflow));
                }
                Poll::Ready(Some(_)) if discarding => {}
                Poll::Ready(Some(item)) => {
                    if let Err(overflow) = inner.deliver(item) {
                        discarding = true;
                        // Best effort: if it is already closing, the close event comes anyway.
                        let _ =
                            handle.close_with(ClientCloseCode::RECEIVE_OVERFLOW, OVERFLOW_REASON);
                        ending.get_or_insert(End::Overflow(overflow));
                    }
                }
            }
        }
        if !received_all {
            inner.poll_send_queued(cx);
            if ending.is_none() && beating.as_mut().poll(cx).is_ready() {
                // The peer is presumed dead: the stream ends after what already arrived, which is still taken.
                handle.abandon("heartbeat timeout");
                ending = Some(End::HeartbeatTimeout);
            }
            return Poll::Pending;
        }
        if let Some(end) = ending.take() {
            return Poll::Ready(end);
        }
        closed.as_mut().poll(cx).map(End::Closed)
    })
    .await
}

/// Completes when a ping goes unanswered; never without a heartbeat.
///
/// A ping goes out every `interval`. Any message received after a ping answers it; if the oldest unanswered
/// ping is older than `timeout`, the connection is dead.
async fn heartbeat_failure(inner: &Inner, handle: &Handle, heartbeat: Option<&Heartbeat>) {
    let Some(heartbeat) = heartbeat else {
        return std::future::pending().await;
    };
    let interval = millis_f64(heartbeat.interval);
    let timeout = millis_f64(heartbeat.timeout);
    let mut received = handle.received_messages();
    let mut unanswered_since: Option<f64> = None;
    let mut next_ping = js_sys::Date::now() + interval;
    loop {
        let wake_at = unanswered_since.map_or(next_ping, |since| next_ping.min(since + timeout));
        Sleep::new(from_millis_f64(wake_at - js_sys::Date::now())).await;
        let now = js_sys::Date::now();
        if handle.received_messages() != received {
            received = handle.received_messages();
            unanswered_since = None;
        }
        if unanswered_since.is_some_and(|since| now >= since + timeout) {
            return;
        }
        if now >= next_ping {
            inner.send_ping(&heartbeat.ping);
            unanswered_since.get_or_insert(now);
            next_ping = now + interval;
        }
    }
}

/// Runs `future` unless the client is stopped or told to reconnect first.
async fn until_interrupted<T>(
    inner: &Inner,
    mut future: std::pin::Pin<&mut impl Future<Output = T>>,
) -> Result<T, Interruption> {
    poll_fn(|cx| {
        // `poll_stopped` keeps the waker that `reconnect` wakes too.
        if inner.poll_stopped(cx).is_ready() {
            return Poll::Ready(Err(Interruption::Stopped));
        }
        if inner.take_reconnect() {
            return Poll::Ready(Err(Interruption::Reconnect));
        }
        future.as_mut().poll(cx).map(Ok)
    })
    .await
}

/// Completes when either completes.
async fn first_of(
    mut a: std::pin::Pin<&mut impl Future<Output = ()>>,
    mut b: std::pin::Pin<&mut impl Future<Output = ()>>,
) {
    poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() || b.as_mut().poll(cx).is_ready() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}
