//! Async iteration over received messages: `for await (const data of client)`.
//!
//! Each iterator has its own bounded queue, filled from the moment it is made (an iterator made right after
//! `await WebSocketClient.connect(...)` misses nothing: messages arrive in later tasks). A client hands each
//! message to its live iterators through a [`Fanout`]: an iterator that is freed or garbage-collected stops
//! receiving, but not while a `next()` call of its waits (`await client.messages().next()` keeps no iterator
//! object, and must still get the next message).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use crate::connection::Overflow;
use crate::error::Error;
use crate::js::args::Options;
use crate::js::error::{set, to_js};

/// The default capacity of an iterator's queue, in messages.
const DEFAULT_CAPACITY: usize = 4096;

/// How an iterator ends, once its queue is drained.
#[derive(Debug)]
enum End {
    /// `{ done: true }`.
    Done,
    /// One rejection with this error, then `{ done: true }`.
    Error(JsValue),
}

/// One iterator's state.
#[derive(Debug)]
pub(crate) struct Feed {
    queue: VecDeque<JsValue>,
    capacity: usize,
    overflow: Overflow,
    dropped: u64,
    end: Option<End>,
    /// `next()` calls waiting for a message, oldest first: (resolve, reject).
    waiting: VecDeque<(Function, Function)>,
}

impl Feed {
    /// Reads `messages()`'s options: `capacity` (at least 1) and `overflow` (`"fail"` or `"drop-oldest"`). Their
    /// getters are the caller's code, which may call back into the client: call this before borrowing it.
    pub(crate) fn new(options: Option<&JsValue>) -> Result<Self, JsValue> {
        let (capacity, overflow) = Options::new(options, "options")?.receive_queue()?;
        let capacity = capacity.unwrap_or(DEFAULT_CAPACITY);
        Ok(Self {
            queue: VecDeque::new(),
            capacity,
            overflow,
            dropped: 0,
            end: None,
            waiting: VecDeque::new(),
        })
    }

    fn push(&mut self, data: &JsValue) {
        if self.end.is_some() {
            return;
        }
        if let Some((resolve, _)) = self.waiting.pop_front() {
            let _ = resolve.call1(&JsValue::UNDEFINED, &result(data, false));
            return;
        }
        if self.queue.len() >= self.capacity {
            match self.overflow {
                Overflow::DropOldest => {
                    self.queue.pop_front();
                    self.dropped += 1;
                }
                // The JS client runs on the classic socket, which cannot pause (the JS API offers no
                // Backpressure; if a Rust caller ever passes it here, it acts as Fail, as on any classic socket).
                Overflow::Fail | Overflow::Backpressure => {
                    let error = to_js(&Error::ReceiveOverflow {
                        capacity: self.capacity,
                    });
                    self.finish(End::Error(error));
                    return;
                }
            }
        }
        self.queue.push_back(data.clone());
    }

    /// Ends the iterator after what is queued; only the first end counts.
    fn finish(&mut self, end: End) {
        if self.end.is_some() {
            return;
        }
        self.end = Some(end);
        // Only calls still waiting see the end now; the queue is empty if any wait.
        while let Some((resolve, reject)) = self.waiting.pop_front() {
            match self.end.take() {
                Some(End::Error(error)) => {
                    let _ = reject.call1(&JsValue::UNDEFINED, &error);
                    self.end = Some(End::Done);
                }
                other => {
                    self.end = other;
                    let _ = resolve.call1(&JsValue::UNDEFINED, &done());
                }
            }
        }
    }

    /// The promise `next()` returns.
    fn next(&mut self) -> Promise {
        if let Some(data) = self.queue.pop_front() {
            return Promise::resolve(&result(&data, false));
        }
        match self.end.take() {
            Some(End::Error(error)) => {
                self.end = Some(End::Done);
                Promise::reject(&error)
            }
            Some(End::Done) => {
                self.end = Some(End::Done);
                Promise::resolve(&done())
            }
            None => {
                let mut waiter = None;
                let promise = Promise::new(&mut |resolve, reject| waiter = Some((resolve, reject)));
                self.waiting.extend(waiter);
                promise
            }
        }
    }
}

/// `{ value, done }`.
fn result(value: &JsValue, is_done: bool) -> JsValue {
    let object = JsValue::from(Object::new());
    set(&object, "value", value);
    set(&object, "done", &is_done.into());
    object
}

/// `{ value: undefined, done: true }`.
fn done() -> JsValue {
    result(&JsValue::UNDEFINED, true)
}

/// The live iterators of one client.
#[derive(Debug, Default)]
pub(crate) struct Fanout {
    /// Held here too, but kept only while an iterator object refers to it or a `next()` call waits on it (see
    /// `in_use`): `await client.messages().next()` leaves the iterator to the garbage collector while its call
    /// still waits for a message.
    feeds: Vec<Rc<RefCell<Feed>>>,
    /// How every later iterator ends at once, once the client has ended.
    ended: Option<Ended>,
}

/// Whether a feed is still read: an iterator object (its only other owner) refers to it, or a `next()` call
/// waits on it.
fn in_use(feed: &Rc<RefCell<Feed>>) -> bool {
    Rc::strong_count(feed) > 1 || feed.try_borrow().map_or(true, |f| !f.waiting.is_empty())
}

/// How the client ended, for iterators made afterwards.
#[derive(Debug, Clone)]
enum Ended {
    Clean,
    Error(JsValue),
}

impl Fanout {
    /// A new iterator over `feed` (made by [`Feed::new`] before the fanout was borrowed), fed from now on.
    pub(crate) fn subscribe(&mut self, mut feed: Feed) -> MessageIterator {
        match &self.ended {
            Some(Ended::Clean) => feed.finish(End::Done),
            Some(Ended::Error(error)) => feed.finish(End::Error(error.clone())),
            None => {}
        }
        let feed = Rc::new(RefCell::new(feed));
        self.feeds.retain(in_use);
        self.feeds.push(feed.clone());
        MessageIterator { feed }
    }

    /// The live feeds, to call outside of any borrow of the fanout (resolving a promise runs no JS at once, but
    /// keeping borrows short is cheap insurance).
    fn live(&mut self) -> Vec<Rc<RefCell<Feed>>> {
        self.feeds.retain(in_use);
        self.feeds.clone()
    }

    /// Hands `data` to every live iterator.
    pub(crate) fn push(&mut self, data: &JsValue) {
        for feed in self.live() {
            feed.borrow_mut().push(data);
        }
    }

    /// Ends every iterator, now and later: cleanly, or with one rejection with `error`.
    pub(crate) fn end(&mut self, error: Option<JsValue>) {
        if self.ended.is_some() {
            return;
        }
        self.ended = Some(match &error {
            Some(error) => Ended::Error(error.clone()),
            None => Ended::Clean,
        });
        match &error {
            Some(error) => self.fail(error),
            None => self
                .live()
                .into_iter()
                .for_each(|feed| feed.borrow_mut().finish(End::Done)),
        }
    }

    /// Ends the live iterators with one rejection with `error` after what they queued, but not those made
    /// afterwards: messages were lost before they reached the iterators, and the client goes on.
    pub(crate) fn fail(&mut self, error: &JsValue) {
        for feed in self.live() {
            feed.borrow_mut().finish(End::Error(error.clone()));
        }
    }
}

/// An async iterator over received messages, from `client.messages()` or `for await (const data of client)`.
///
/// `next()` resolves with `{ value: data, done: false }` for each message in order, with `{ done: true }` once
/// the connection closed cleanly (or the reconnecting client was closed), and rejects once with the
/// `ConnectionClosedError` (or `GaveUpError`) when it did not. `return()` stops it (a `break` out of `for await`
/// calls it). Messages wait in a queue of `capacity` (default 4096); when it is full, `overflow: "fail"` (the
/// default) ends the iterator with a `ReceiveOverflowError` after the queued messages, `"drop-oldest"` drops
/// the oldest and counts it in `dropped`. The connection is not affected either way. As with any iterator, a
/// `break` out of `for await` calls `return()`: to take a few messages and go on later, call `next()`.
#[wasm_bindgen(js_name = MessageIterator)]
#[derive(Debug, Clone)]
pub struct MessageIterator {
    feed: Rc<RefCell<Feed>>,
}

#[wasm_bindgen(js_class = MessageIterator)]
impl MessageIterator {
    /// The next message: a promise of `{ value, done }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<MessageData, undefined>>")]
    pub fn next(&self) -> Promise {
        self.feed.borrow_mut().next()
    }

    /// Stops the iterator: queued messages are discarded, waiting `next()` calls resolve with `{ done: true }`.
    #[wasm_bindgen(
        js_name = "return",
        unchecked_return_type = "Promise<IteratorResult<MessageData, undefined>>"
    )]
    pub fn stop(&self) -> Promise {
        let mut feed = self.feed.borrow_mut();
        feed.queue.clear();
        feed.finish(End::Done);
        // An error not yet delivered is dropped too: the caller asked to stop.
        feed.end = Some(End::Done);
        Promise::resolve(&done())
    }

    /// The iterator itself (a copy sharing its state), so that it can be used in `for await`.
    #[wasm_bindgen(js_name = "[Symbol.asyncIterator]")]
    pub fn iterator(&self) -> MessageIterator {
        self.clone()
    }

    /// How many messages `overflow: "drop-oldest"` dropped.
    #[wasm_bindgen(getter)]
    pub fn dropped(&self) -> f64 {
        self.feed.borrow().dropped as f64
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    //! Covers: `Fanout::fail` ends the live iterators with one rejection after their queued messages, and an
    //! iterator made afterwards still receives; `Fanout::end` ends later ones too.

    use wasm_bindgen_futures::JsFuture;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::*;

    wasm_bindgen_test_configure!(run_in_browser);

    /// The value of the next `{ value, done }`, or `Err` with the rejection.
    async fn next(iterator: &MessageIterator) -> Result<(JsValue, bool), JsValue> {
        let result = JsFuture::from(iterator.next()).await?;
        let get = |key: &str| js_sys::Reflect::get(&result, &JsValue::from_str(key));
        Ok((get("value")?, get("done")?.is_truthy()))
    }

    fn text(value: &str) -> JsValue {
        JsValue::from_str(value)
    }

    #[wasm_bindgen_test]
    async fn a_failure_ends_the_live_iterators_but_not_later_ones() {
        let mut fanout = Fanout::default();
        let before = fanout.subscribe(Feed::new(None).expect("options"));
        fanout.push(&text("a"));
        let error = text("lost");
        fanout.fail(&error);
        fanout.push(&text("not for it"));
        let after = fanout.subscribe(Feed::new(None).expect("options"));
        fanout.push(&text("b"));

        assert_eq!(next(&before).await, Ok((text("a"), false)), "queued first");
        assert_eq!(next(&before).await, Err(error), "then the failure, once");
        assert_eq!(next(&before).await, Ok((JsValue::UNDEFINED, true)));
        assert_eq!(
            next(&after).await,
            Ok((text("b"), false)),
            "a later iterator receives"
        );

        fanout.end(Some(text("gave up")));
        let ended = fanout.subscribe(Feed::new(None).expect("options"));
        assert_eq!(next(&after).await, Err(text("gave up")));
        assert_eq!(
            next(&ended).await,
            Err(text("gave up")),
            "after the end, at once"
        );
    }
}
