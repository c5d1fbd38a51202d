//! The receiving half: a `Stream` of messages.

use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_core::stream::FusedStream;
use futures_core::Stream;

use crate::connection::handle::Handle;
use crate::connection::shared::Shared;
use crate::error::Error;
use crate::message::Message;

/// The messages a connection receives, in order.
///
/// A clean close ends the stream with `None`. An unclean one (a drop, a refused handshake, a protocol error)
/// yields one final [`Error::Closed`] with the close event, then `None`. Dropping the receiver stops the queueing
/// of incoming messages: nobody could take them.
#[derive(Debug)]
pub struct Receiver {
    pub(crate) shared: Rc<Shared>,
}

impl Receiver {
    /// A control handle for the connection.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: self.shared.clone(),
        }
    }
}

impl Stream for Receiver {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.shared.poll_receive(cx)
    }
}

impl FusedStream for Receiver {
    fn is_terminated(&self) -> bool {
        self.shared.is_terminated()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shared.release_receiver();
    }
}
