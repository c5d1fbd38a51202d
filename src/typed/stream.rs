//! [`Typed`]: a `Stream` of decoded values and a `Sink` of values to encode, over any stream of messages and sink
//! of messages of this crate: a [`Connection`](crate::Connection), its halves, or a
//! [`ReconnectingClient`](crate::reconnect::ReconnectingClient).

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::stream::FusedStream;
use futures_core::Stream;
use futures_sink::Sink;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Error;
use crate::message::Message;
use crate::typed::codec::{Codec, Json};

/// Typed messages over `S`: a [`Stream`] of `Result<In, Error>` if `S` is a stream of messages, a [`Sink`] of
/// `Out` if `S` is a sink of messages, with codec `C` ([`Json`] by default).
///
/// A message that does not decode is an [`Error::Decode`] that carries it, and the stream goes on with the next
/// one; the inner stream's own errors (an unclean close, an overflow) pass through unchanged, and it ends when
/// the inner stream ends. A value that does not encode is an [`Error::Encode`] from `start_send`, and nothing is
/// sent. Backpressure, flush and close are the inner sink's.
pub struct Typed<S, In, Out = In, C = Json> {
    inner: S,
    types: PhantomData<fn(Out) -> (In, C)>,
}

impl<S, In, Out, C> Typed<S, In, Out, C> {
    /// Typed messages over `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            types: PhantomData,
        }
    }

    /// The untyped stream or sink, e.g. for its `handle()`.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The untyped stream or sink, mutably: to send or take a message untyped in between.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The untyped stream or sink back.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

/// `.typed::<In, Out>()` on anything: the [`Typed`] layer with [`Json`], or `.typed_with::<C, In, Out>()` with
/// another codec.
///
/// ```no_run
/// use browser_ws::typed::TypedExt;
/// use futures::{SinkExt, StreamExt};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Chat { from: String, text: String }
///
/// # async fn run() -> Result<(), browser_ws::Error> {
/// let mut chat = browser_ws::connect("wss://example.com/chat").await?.typed::<Chat, Chat>();
/// chat.send(Chat { from: "me".into(), text: "hi".into() }).await?;
/// while let Some(message) = chat.next().await {
///     match message {
///         Ok(Chat { from, text }) => web_sys::console::log_1(&format!("{from}: {text}").into()),
///         Err(browser_ws::Error::Decode { raw, .. }) => web_sys::console::warn_1(&raw.to_string().into()),
///         Err(other) => return Err(other),
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub trait TypedExt: Sized {
    /// Typed messages over `self`, as JSON.
    fn typed<In, Out>(self) -> Typed<Self, In, Out, Json> {
        Typed::new(self)
    }

    /// Typed messages over `self`, with codec `C`.
    fn typed_with<C: Codec, In, Out>(self) -> Typed<Self, In, Out, C> {
        Typed::new(self)
    }
}

impl<S> TypedExt for S {}

impl<S, In, Out, C> Stream for Typed<S, In, Out, C>
where
    S: Stream<Item = Result<Message, Error>> + Unpin,
    In: DeserializeOwned,
    C: Codec,
{
    type Item = Result<In, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner)
            .poll_next(cx)
            .map(|item| item.map(|message| message.and_then(C::decode)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<S, In, Out, C> FusedStream for Typed<S, In, Out, C>
where
    S: FusedStream<Item = Result<Message, Error>> + Unpin,
    In: DeserializeOwned,
    C: Codec,
{
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

impl<S, In, Out, C> Sink<Out> for Typed<S, In, Out, C>
where
    S: Sink<Message, Error = Error> + Unpin,
    Out: Serialize,
    C: Codec,
{
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.inner).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Out) -> Result<(), Error> {
        let message = C::encode(&item)?;
        Pin::new(&mut self.inner).start_send(message)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

impl<S: fmt::Debug, In, Out, C> fmt::Debug for Typed<S, In, Out, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Typed")
            .field("inner", &self.inner)
            .field("in", &std::any::type_name::<In>())
            .field("out", &std::any::type_name::<Out>())
            .field("codec", &std::any::type_name::<C>())
            .finish()
    }
}
