//! The messages the client still owes the server: queued while not open, and (with acknowledgements) sent but
//! not yet acknowledged. Bounded by count and bytes; never drops anything itself.

use std::collections::VecDeque;

use crate::message::Message;

/// An outgoing message with its acknowledgement id (0 without acknowledgements).
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) id: u64,
    pub(crate) message: Message,
}

#[derive(Debug)]
pub(crate) struct Outbox {
    /// Not yet handed to any socket, oldest first.
    pub(crate) queued: VecDeque<Outgoing>,
    /// Handed to a socket, awaiting acknowledgement, oldest first.
    pub(crate) unacked: VecDeque<Outgoing>,
    bytes: usize,
    max_messages: usize,
    max_bytes: usize,
    last_id: u64,
    /// Messages ever queued: the ticket of the latest (see [`queue`](Self::queue)).
    tickets: u64,
    /// Queued messages that have left the queue, handed to a socket or taken back. The queue is first in, first
    /// out, so the message with ticket `t` has left it exactly when `t <= left`.
    left: u64,
}

impl Outbox {
    pub(crate) fn new(max_messages: usize, max_bytes: usize) -> Self {
        Self {
            queued: VecDeque::new(),
            unacked: VecDeque::new(),
            bytes: 0,
            max_messages,
            max_bytes,
            last_id: 0,
            tickets: 0,
            left: 0,
        }
    }

    /// The next acknowledgement id.
    pub(crate) fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    /// Gives back the id just taken, when the message it was for was refused: ids stay gapless.
    pub(crate) fn return_id(&mut self, id: u64) {
        if id == self.last_id {
            self.last_id = self.last_id.saturating_sub(1);
        }
    }

    /// Messages owed: queued and unacknowledged.
    pub(crate) fn len(&self) -> usize {
        self.queued.len() + self.unacked.len()
    }

    /// Whether a message of `len` bytes fits. An empty outbox takes any one message, however large.
    pub(crate) fn has_room(&self, len: usize) -> bool {
        self.len() == 0
            || (self.len() < self.max_messages && self.bytes.saturating_add(len) <= self.max_bytes)
    }

    /// Whether another message could be taken at all (for `poll_ready`, which does not know its size).
    pub(crate) fn has_any_room(&self) -> bool {
        self.len() == 0 || (self.len() < self.max_messages && self.bytes < self.max_bytes)
    }

    /// Queues a message; returns its ticket, from 1 (see [`left_queue`](Self::left_queue)).
    pub(crate) fn queue(&mut self, outgoing: Outgoing) -> u64 {
        self.bytes += outgoing.message.len();
        self.queued.push_back(outgoing);
        self.tickets += 1;
        self.tickets
    }

    /// Every message whose ticket is at most this has left the queue (handed to a socket, or taken back).
    pub(crate) fn left_queue(&self) -> u64 {
        self.left
    }

    pub(crate) fn keep_unacked(&mut self, outgoing: Outgoing) {
        self.bytes += outgoing.message.len();
        self.unacked.push_back(outgoing);
    }

    /// Moves the oldest queued message out (to be sent); its bytes stay counted if it is then kept unacked.
    pub(crate) fn pop_queued(&mut self) -> Option<Outgoing> {
        let outgoing = self.queued.pop_front()?;
        self.bytes -= outgoing.message.len();
        self.left += 1;
        Some(outgoing)
    }

    /// Puts a message that could not be sent (the one just popped) back at the head of the queue.
    pub(crate) fn requeue_front(&mut self, outgoing: Outgoing) {
        self.bytes += outgoing.message.len();
        self.queued.push_front(outgoing);
        self.left -= 1;
    }

    /// Forgets the message with this id, if it was awaiting acknowledgement. Returns whether it was.
    pub(crate) fn acknowledge(&mut self, id: u64) -> bool {
        match self.unacked.iter().position(|outgoing| outgoing.id == id) {
            Some(index) => {
                if let Some(outgoing) = self.unacked.remove(index) {
                    self.bytes -= outgoing.message.len();
                }
                true
            }
            None => false,
        }
    }

    /// Everything still owed, in sending order: unacknowledged first, then queued.
    pub(crate) fn take_all(&mut self) -> Vec<Message> {
        self.bytes = 0;
        self.left = self.tickets;
        self.unacked
            .drain(..)
            .chain(self.queued.drain(..))
            .map(|outgoing| outgoing.message)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(id: u64, len: usize) -> Outgoing {
        Outgoing {
            id,
            message: Message::binary(vec![0; len]),
        }
    }

    #[test]
    fn bounds_by_count_and_bytes() {
        let mut outbox = Outbox::new(2, 10);
        assert!(
            outbox.has_room(100),
            "an empty outbox takes one large message"
        );
        outbox.queue(outgoing(0, 4));
        assert!(outbox.has_room(6) && !outbox.has_room(7));
        outbox.queue(outgoing(0, 4));
        assert!(!outbox.has_room(0) && !outbox.has_any_room());
        assert!(outbox.pop_queued().is_some());
        assert!(outbox.has_room(6));
    }

    #[test]
    fn a_returned_id_is_taken_again() {
        let mut outbox = Outbox::new(10, 100);
        assert_eq!(outbox.next_id(), 1);
        let id = outbox.next_id();
        outbox.return_id(1);
        assert_eq!(
            outbox.next_id(),
            3,
            "only the last id taken can be given back"
        );
        outbox.return_id(3);
        outbox.return_id(id);
        assert_eq!(outbox.next_id(), 2);
    }

    #[test]
    fn tickets_tell_what_left_the_queue() {
        let mut outbox = Outbox::new(10, 100);
        let tickets: Vec<u64> = (0..3).map(|_| outbox.queue(outgoing(0, 1))).collect();
        assert_eq!(tickets, [1, 2, 3]);
        assert_eq!(outbox.left_queue(), 0);
        let first = outbox.pop_queued().expect("queued");
        assert_eq!(outbox.left_queue(), 1, "ticket 1 left");
        outbox.requeue_front(first);
        assert_eq!(outbox.left_queue(), 0, "and came back");
        outbox.pop_queued();
        outbox.pop_queued();
        assert_eq!(outbox.left_queue(), 2);
        outbox.take_all();
        assert_eq!(outbox.left_queue(), 3, "taken back: left too");
        assert_eq!(outbox.queue(outgoing(0, 1)), 4);
    }

    #[test]
    fn acknowledgements_release_room_and_order_is_kept() {
        let mut outbox = Outbox::new(10, 100);
        for _ in 0..3 {
            let id = outbox.next_id();
            outbox.keep_unacked(outgoing(id, 10));
        }
        outbox.queue(outgoing(9, 10));
        assert!(outbox.acknowledge(2));
        assert!(!outbox.acknowledge(2), "twice is harmless");
        let ids: Vec<usize> = outbox.take_all().iter().map(Message::len).collect();
        assert_eq!(ids.len(), 3);
        assert!(outbox.has_room(100));
    }
}
