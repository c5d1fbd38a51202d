//! [`BinaryDelivery::BlobBytes`](crate::connection::BinaryDelivery::BlobBytes): received Blobs read into bytes,
//! handed on in arrival order.
//!
//! The reads run in parallel, each in a task of its own. A message waits here until the ones received before it
//! are read, and only then enters the connection's receive queue, so that queue holds messages only. The
//! message listener of such a connection is this module's, chosen by
//! [`ConnectionBuilder::binary`](crate::connection::ConnectionBuilder::binary) through a function pointer: an app
//! that never reads Blobs links none of it.
//!
//! A read that fails ends the stream: it yields the error after the messages received before the Blob, and the
//! connection is closed. Skipping the message would break the order the application relies on.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use wasm_bindgen_futures::{spawn_local, JsFuture};

use crate::connection::shared::Shared;
use crate::error::Error;
use crate::listener::EventListener;
use crate::message::Message;
use crate::socket::message_of;

/// A received message, or the result of reading a Blob into bytes; empty while the read runs.
type Slot = Cell<Option<Result<Message, Error>>>;

/// The messages received and not yet handed to the connection, in arrival order.
struct Reader {
    shared: Weak<Shared>,
    pending: RefCell<VecDeque<Rc<Slot>>>,
}

/// The `message` listener of a connection that reads Blobs into bytes.
pub(crate) fn listen(socket: &web_sys::WebSocket, shared: &Weak<Shared>) -> EventListener {
    let reader = Rc::new(Reader {
        shared: shared.clone(),
        pending: RefCell::default(),
    });
    EventListener::trusted(socket, "message", move |event| {
        reader.accept(message_of(&event))
    })
}

impl Reader {
    fn accept(self: &Rc<Self>, message: Message) {
        let slot = Rc::new(Slot::new(None));
        match message {
            Message::Blob(blob) => {
                let read = JsFuture::from(blob.array_buffer());
                let (reader, filled) = (self.clone(), slot.clone());
                spawn_local(async move {
                    filled.set(Some(
                        read.await
                            .map(|buffer| Message::Binary(crate::message::buffer_bytes(&buffer)))
                            .map_err(|exception| Error::from_exception(&exception)),
                    ));
                    reader.hand_on();
                });
            }
            other => slot.set(Some(Ok(other))),
        }
        self.pending.borrow_mut().push_back(slot);
        self.hand_on();
    }

    /// Hands the messages at the front whose reads are done to the connection. While some are still being read,
    /// the connection's stream does not end at the close event.
    fn hand_on(&self) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        loop {
            let item = {
                let mut pending = self.pending.borrow_mut();
                let Some(item) = pending.front().and_then(|slot| slot.take()) else {
                    break;
                };
                pending.pop_front();
                item
            };
            match item {
                Ok(message) => shared.handle_message(message),
                Err(error) => {
                    self.pending.borrow_mut().clear();
                    shared.fail_reading(error);
                    return;
                }
            }
        }
        shared.set_reading(!self.pending.borrow().is_empty());
    }
}
