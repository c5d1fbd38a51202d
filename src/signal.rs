//! A one-shot signal: a JS callback fires it, a future waits for it.

use std::cell::Cell;
use std::task::{Context, Poll, Waker};

/// Set once by a callback; polled by the future waiting for it. `Cell`s rather than a `RefCell`: nothing here
/// can be borrowed twice, and no borrow check (with its panic path) is linked.
#[derive(Default)]
pub(crate) struct Signal {
    fired: Cell<bool>,
    waker: Cell<Option<Waker>>,
}

impl Signal {
    /// Marks the signal fired and wakes the waiting task, if any.
    pub(crate) fn fire(&self) {
        self.fired.set(true);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// Ready once fired; otherwise remembers the task to wake.
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired.get() {
            Poll::Ready(())
        } else {
            self.waker.set(Some(cx.waker().clone()));
            Poll::Pending
        }
    }
}

impl std::fmt::Debug for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signal")
            .field("fired", &self.fired.get())
            .finish_non_exhaustive()
    }
}
