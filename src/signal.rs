//! A one-shot signal: a JS callback fires it, a future waits for it.

use std::cell::{Cell, RefCell};
use std::task::{Context, Poll, Waker};

/// Set once by a callback; polled by the future waiting for it.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    fired: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Signal {
    /// Marks the signal fired and wakes the waiting task, if any.
    pub(crate) fn fire(&self) {
        self.fired.set(true);
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Ready once fired; otherwise remembers the task to wake.
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired.get() {
            Poll::Ready(())
        } else {
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}
