//! The reconnecting client's policy: backoff, limits, hooks, heartbeat and acknowledgements.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use crate::close::{CloseCode, CloseEvent};
use crate::connection::{BinaryDelivery, ConnectionBuilder, Overflow, Transport};
use crate::error::Error;
use crate::message::Message;

/// A future returned by a URL provider.
pub type UrlFuture = Pin<Box<dyn Future<Output = Result<String, Error>>>>;

/// Recognises a message, e.g. a pong.
pub type MessageFilter = Rc<dyn Fn(&Message) -> bool>;
/// Makes the message to send from an acknowledgement id and the application's message, or refuses it.
pub type Tagger = Rc<dyn Fn(u64, &Message) -> Result<Message, Error>>;
/// Reads the id a received message acknowledges.
pub type AckReader = Rc<dyn Fn(&Message) -> Option<u64>>;

/// Exponential backoff with jitter: the delay before attempt `n + 1` after `n` consecutive failures is
/// `min(max, initial * factor^(n - 1))`, reduced by a random fraction of at most `jitter`, so that many clients
/// cut off together do not come back together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The first delay (default 500 ms).
    pub initial: Duration,
    /// The longest delay (default 30 s).
    pub max: Duration,
    /// How much each delay grows (default 2.0; values below 1.0 are read as 1.0).
    pub factor: f64,
    /// The largest fraction taken off at random (default 0.5: delays fall in `[d/2, d]`; 0.0 disables jitter).
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            factor: 2.0,
            jitter: 0.5,
        }
    }
}

impl Backoff {
    /// The delay after `failures` consecutive failures (at least 1), given a random number in `[0, 1)`.
    pub fn delay(&self, failures: u32, random: f64) -> Duration {
        let exponent = i32::try_from(failures.saturating_sub(1)).unwrap_or(i32::MAX);
        let grown = self.initial.as_secs_f64() * self.factor.max(1.0).powi(exponent);
        let capped = grown.min(self.max.as_secs_f64());
        let jitter = self.jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0);
        Duration::try_from_secs_f64(capped * (1.0 - jitter)).unwrap_or(self.max)
    }
}

/// A periodic ping that detects a dead peer: every `interval` while open, `ping` is sent; if no message at all
/// arrives within `timeout` after it, the connection is taken as dead, dropped, and reconnected. Without it a
/// dead peer can go unnoticed for minutes. The server must answer pings (an echo does).
#[derive(Clone)]
pub struct Heartbeat {
    /// Time between pings.
    pub interval: Duration,
    /// How long to wait for a sign of life after a ping.
    pub timeout: Duration,
    /// The message sent as a ping. A Blob cannot go over `WebSocketStream`: with that transport every attempt
    /// fails with [`Error::Unsupported`](crate::Error::Unsupported), and the client gives up.
    pub ping: Message,
    /// Recognises the server's answer, which is then kept out of the message stream; `None` delivers every
    /// message.
    pub is_pong: Option<MessageFilter>,
}

impl Heartbeat {
    /// Pings with `ping` every `interval`, and gives up on the connection if nothing arrives within `timeout`
    /// after a ping; every message is delivered, answers included.
    pub fn new(interval: Duration, timeout: Duration, ping: impl Into<Message>) -> Self {
        Self {
            interval,
            timeout,
            ping: ping.into(),
            is_pong: None,
        }
    }

    /// Keeps the messages `is_pong` recognises out of the message stream.
    pub fn with_pong(mut self, is_pong: impl Fn(&Message) -> bool + 'static) -> Self {
        self.is_pong = Some(Rc::new(is_pong));
        self
    }
}

impl fmt::Debug for Heartbeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heartbeat")
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("ping", &self.ping)
            .field("is_pong", &self.is_pong.is_some())
            .finish()
    }
}

/// Acknowledged delivery (at-least-once): every message gets an id, and is kept until the server acknowledges
/// it; after a reconnect, unacknowledged messages are sent again, in order, before anything newer.
#[derive(Clone)]
pub struct Acknowledgements {
    /// Makes the message to send from an id (increasing from 1) and the application's message.
    pub tag: Tagger,
    /// Reads the id a received message acknowledges, if it is an acknowledgement. Acknowledgements are
    /// recognised as messages arrive, read or not (with [`Overflow::Backpressure`](crate::connection::Overflow),
    /// as they are taken off the connection), and are delivered too.
    pub acknowledges: AckReader,
}

impl Acknowledgements {
    /// Acknowledged delivery with these two functions; see the fields.
    pub fn new(
        tag: impl Fn(u64, &Message) -> Message + 'static,
        acknowledges: impl Fn(&Message) -> Option<u64> + 'static,
    ) -> Self {
        Self::fallible(move |id, message| Ok(tag(id, message)), acknowledges)
    }

    /// The same with a `tag` that may refuse a message (a tagger written in JavaScript may throw):
    /// [`ReconnectHandle::try_send`](crate::reconnect::ReconnectHandle::try_send) then hands the message back
    /// with the error, and the id goes to the next message.
    pub fn fallible(
        tag: impl Fn(u64, &Message) -> Result<Message, Error> + 'static,
        acknowledges: impl Fn(&Message) -> Option<u64> + 'static,
    ) -> Self {
        Self {
            tag: Rc::new(tag),
            acknowledges: Rc::new(acknowledges),
        }
    }
}

impl fmt::Debug for Acknowledgements {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acknowledgements").finish_non_exhaustive()
    }
}

/// Where each attempt connects.
#[derive(Clone)]
pub(crate) enum UrlSource {
    Fixed(String),
    Provider(Rc<dyn Fn() -> UrlFuture>),
}

/// The subprotocols an attempt offers, being found.
pub(crate) type ProtocolsFuture = Pin<Box<dyn Future<Output = Result<Vec<String>, Error>>>>;

/// Finds the subprotocols for each attempt.
pub(crate) type ProtocolsProvider = Rc<dyn Fn() -> ProtocolsFuture>;

/// The settings of a [`ReconnectingClient`](crate::reconnect::ReconnectingClient).
#[derive(Clone)]
pub struct ReconnectBuilder {
    pub(crate) url: UrlSource,
    pub(crate) protocols_provider: Option<ProtocolsProvider>,
    pub(crate) start_closed: bool,
    pub(crate) connection: ConnectionBuilder,
    pub(crate) backoff: Backoff,
    pub(crate) max_attempts: Option<u32>,
    pub(crate) min_uptime: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) should_reconnect: Rc<dyn Fn(&CloseEvent) -> bool>,
    pub(crate) queue_messages: usize,
    pub(crate) queue_bytes: usize,
    pub(crate) heartbeat: Option<Heartbeat>,
    pub(crate) acknowledgements: Option<Acknowledgements>,
    pub(crate) retry_on_online: bool,
}

impl ReconnectBuilder {
    pub(crate) fn new(url: &str) -> Self {
        Self {
            url: UrlSource::Fixed(url.to_owned()),
            protocols_provider: None,
            start_closed: false,
            connection: ConnectionBuilder::new(url),
            backoff: Backoff::default(),
            max_attempts: None,
            min_uptime: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
            should_reconnect: Rc::new(default_should_reconnect),
            queue_messages: 1000,
            queue_bytes: 1 << 20,
            heartbeat: None,
            acknowledgements: None,
            retry_on_online: true,
        }
    }

    /// Calls `provider` before every attempt for the URL to use, e.g. to fetch a fresh token. An error counts
    /// as a failed attempt.
    pub fn url_provider<F, Fut>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<String, Error>> + 'static,
    {
        self.url = UrlSource::Provider(Rc::new(move || Box::pin(provider())));
        self
    }

    /// Offers these subprotocols on every attempt.
    pub fn protocols<S: AsRef<str>>(mut self, protocols: &[S]) -> Self {
        self.connection = self.connection.protocols(protocols);
        self
    }

    /// Calls `provider` before every attempt (after the URL provider) for the subprotocols to offer, e.g. to
    /// carry a fresh token in one; they replace [`protocols`](Self::protocols). An error, or a subprotocol that
    /// is not a valid token ([`Error::InvalidProtocol`]), counts as a failed attempt.
    pub fn protocols_provider<F, Fut>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<Vec<String>, Error>> + 'static,
    {
        self.protocols_provider = Some(Rc::new(move || Box::pin(provider())));
        self
    }

    /// Starts idle ([`ClientState::Idle`](crate::reconnect::ClientState::Idle)) instead of connecting at once:
    /// the first attempt waits for [`ReconnectHandle::reconnect`](crate::reconnect::ReconnectHandle::reconnect).
    /// Messages sent meanwhile are queued.
    pub fn start_closed(mut self, closed: bool) -> Self {
        self.start_closed = closed;
        self
    }

    /// How received binary messages are delivered (default [`BinaryDelivery::Bytes`]).
    pub fn binary(mut self, delivery: BinaryDelivery) -> Self {
        self.connection = self.connection.binary(delivery);
        self
    }

    /// How many received messages may wait to be taken from the stream (default 4096, at least 1), and what
    /// happens beyond that. The client takes each message off its connection as it arrives (acknowledgements and
    /// pongs are recognised then, read or not), so this one queue is all that grows while nobody reads.
    /// [`Overflow::Fail`] (the default) fails the connection, closing it with
    /// [`ClientCloseCode::RECEIVE_OVERFLOW`](crate::ClientCloseCode::RECEIVE_OVERFLOW) so the server can tell; the
    /// stream yields [`Error::ReceiveOverflow`] after what was queued, and the client reconnects (the error counts
    /// as a disconnection, whatever [`should_reconnect`](Self::should_reconnect) says).
    /// [`Overflow::DropOldest`] drops and counts
    /// ([`ReconnectHandle::dropped_messages`](crate::reconnect::ReconnectHandle::dropped_messages)).
    /// [`Overflow::Backpressure`] stops taking messages off the connection while the queue is full; with the
    /// stream transport ([`transport`](Self::transport)) that stops the reading of the socket, and the
    /// connection's own queue then has the capacity asked for here (it acts as `Fail` on a classic one). Once
    /// a close is asked for, the connection's last messages are taken past the capacity, so that the close
    /// completes with nobody reading; the stream still yields them (in a threads build, over `WebSocketStream`,
    /// the browser may drop those its reader had not read when the handshake completed). Dropping the
    /// [`ReconnectingClient`](crate::reconnect::ReconnectingClient) while keeping a handle stops the queueing.
    /// (Until the client's task takes them, messages wait on their connection, in a queue of at least the
    /// default capacity with the same overflow policy: only a burst larger than that, arriving before the task
    /// runs, can overflow there.)
    pub fn receive_queue(mut self, capacity: usize, overflow: Overflow) -> Self {
        self.connection = self.connection.receive_queue(capacity, overflow);
        self
    }

    /// Which browser API carries every connection (default [`Transport::Classic`]); see [`Transport`].
    /// [`Transport::Stream`] where the browser has no `WebSocketStream` fails each attempt with
    /// [`Error::Unsupported`], and the client gives up (a retry cannot help); [`Transport::Auto`] falls back to
    /// the classic `WebSocket`.
    ///
    /// With [`Overflow::Backpressure`] over `WebSocketStream`, a full receive queue stops the taking of messages
    /// off the connection, whose reading then stops: nothing is lost, and the server is slowed. Pongs and
    /// acknowledgements are recognised only as messages are taken, so a heartbeat timeout shorter than the
    /// reader's pauses would take a paused connection for a dead one.
    pub fn transport(mut self, transport: Transport) -> Self {
        self.connection = self.connection.transport(transport);
        self
    }

    /// Send backpressure on every connection (defaults 1 MiB and 256 KiB): above `high` bytes in the browser's
    /// buffer, messages are queued (in the bounded send queue) instead of handed to the browser, and go out as
    /// the buffer falls to `low`.
    pub fn send_watermarks(mut self, high: u32, low: u32) -> Self {
        self.connection = self.connection.send_watermarks(high, low);
        self
    }

    /// The backoff between attempts.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Gives up after this many consecutive failed attempts (default: never). An attempt fails when it does not
    /// open, or when its connection closes within [`min_uptime`](Self::min_uptime); the end of a connection that
    /// stayed up longer is no failure, so `Some(1)` still reconnects after it, once. Nor is a connection the
    /// client failed itself because its receive queue overflowed: it grows the backoff like a short connection,
    /// but never makes the client give up.
    pub fn max_attempts(mut self, attempts: Option<u32>) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// How long a connection must stay open before the failure count resets (default 5 s), so that a server
    /// that accepts and drops at once still meets a growing backoff.
    pub fn min_uptime(mut self, uptime: Duration) -> Self {
        self.min_uptime = uptime;
        self
    }

    /// How long one attempt may take to open (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Decides from a close the client did not ask for whether to reconnect. The default,
    /// [`default_should_reconnect`], retries after transient failures only.
    pub fn should_reconnect(mut self, hook: impl Fn(&CloseEvent) -> bool + 'static) -> Self {
        self.should_reconnect = Rc::new(hook);
        self
    }

    /// Bounds the send queue, kept while not open and while the browser's buffer is above the high-water mark
    /// (default 1000 messages and 1 MiB, whichever comes first; a single larger message is still accepted into an
    /// empty queue). A full queue hands the message back.
    pub fn send_queue(mut self, messages: usize, bytes: usize) -> Self {
        self.queue_messages = messages.max(1);
        self.queue_bytes = bytes;
        self
    }

    /// Enables the heartbeat (default: off).
    pub fn heartbeat(mut self, heartbeat: Heartbeat) -> Self {
        self.heartbeat = Some(heartbeat);
        self
    }

    /// Enables acknowledged, at-least-once delivery (default: off).
    pub fn acknowledgements(mut self, acknowledgements: Acknowledgements) -> Self {
        self.acknowledgements = Some(acknowledgements);
        self
    }

    /// Whether to retry at once, cutting a backoff wait short, when the browser goes back online or the page
    /// becomes visible (default: yes).
    pub fn retry_on_online(mut self, retry: bool) -> Self {
        self.retry_on_online = retry;
        self
    }
}

impl fmt::Debug for ReconnectBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReconnectBuilder")
            .field("backoff", &self.backoff)
            .field("max_attempts", &self.max_attempts)
            .field("min_uptime", &self.min_uptime)
            .field("connect_timeout", &self.connect_timeout)
            .field("queue_messages", &self.queue_messages)
            .field("queue_bytes", &self.queue_bytes)
            .field("heartbeat", &self.heartbeat)
            .field("start_closed", &self.start_closed)
            .finish_non_exhaustive()
    }
}

/// The default reconnect decision: yes after a drop or an error (1006, and 1005 with no code), after "going
/// away" (1001), a server error (1011), a restart (1012), "try again later" (1013), a bad gateway (1014); no
/// after a normal close (1000), a policy violation (1008) and every other refusal or application code, which a
/// retry would only repeat.
///
/// In WebKit (WebKitGTK 2.50, measured) a server's close with 1012, 1013 or 1014 arrives as 1006 with no reason
/// and `was_clean == false` (WebKit fails the connection and replies 1002), so this policy still reconnects, since
/// it retries after 1006, but a custom hook never sees those three codes there.
pub fn default_should_reconnect(close: &CloseEvent) -> bool {
    matches!(
        close.code,
        CloseCode::GOING_AWAY
            | CloseCode::NO_STATUS_RECEIVED
            | CloseCode::ABNORMAL_CLOSURE
            | CloseCode::INTERNAL_ERROR
            | CloseCode::SERVICE_RESTART
            | CloseCode::TRY_AGAIN_LATER
            | CloseCode::BAD_GATEWAY
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn backoff_grows_and_caps() {
        let backoff = Backoff {
            initial: ms(10),
            max: ms(100),
            factor: 2.0,
            jitter: 0.0,
        };
        let delays: Vec<_> = (1..=7).map(|n| backoff.delay(n, 0.99)).collect();
        assert_eq!(
            delays,
            [ms(10), ms(20), ms(40), ms(80), ms(100), ms(100), ms(100)]
        );
        assert_eq!(backoff.delay(0, 0.0), ms(10));
        assert_eq!(backoff.delay(u32::MAX, 0.0), ms(100));
    }

    #[test]
    fn jitter_only_shortens() {
        let backoff = Backoff::default();
        for random in [0.0, 0.25, 0.5, 0.999] {
            let delay = backoff.delay(3, random);
            assert!(delay <= ms(2000) && delay >= ms(1000), "{delay:?}");
        }
        assert_eq!(backoff.delay(3, 0.0), ms(2000));
    }

    #[test]
    fn default_hook_retries_transient_closes_only() {
        let close = |code: u16| CloseEvent {
            code: CloseCode::from(code),
            reason: String::new(),
            was_clean: code != 1006,
        };
        for code in [1001, 1005, 1006, 1011, 1012, 1013, 1014] {
            assert!(default_should_reconnect(&close(code)), "{code}");
        }
        for code in [1000, 1002, 1003, 1007, 1008, 1009, 1010, 3000, 4000, 4999] {
            assert!(!default_should_reconnect(&close(code)), "{code}");
        }
    }
}
