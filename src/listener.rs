//! An event listener that owns its closure and removes itself on drop.
//!
//! Registered with `addEventListener`, never `set_onX`, so several listeners can coexist and none overwrites
//! another. Leaking is impossible by construction: the closure lives exactly as long as the listener (or the
//! socket, whichever is dropped first).

use std::cell::Cell;
use std::fmt;
use std::rc::{Rc, Weak};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsError, JsValue};
use web_sys::{Event, EventTarget};

/// A registered event listener. Dropping it removes the listener from its target and frees the closure.
///
/// `!Send`: like every JS object, it belongs to the thread (the page or worker) that made it.
#[must_use = "the listener is removed as soon as it is dropped; keep it for as long as you want the events"]
pub struct EventListener {
    registration: Rc<Registration>,
}

/// The one signature of every callback this crate hands to the browser (listeners and timers): the one
/// wasm-bindgen-futures' task queue uses, which every async app links already. wasm-bindgen generates an invoke
/// shim, an export and a JS wrapper per closure signature, so sharing it saves an app all three for each other
/// signature it would have used. The callbacks never fail: the `Result` is only for the shared signature.
pub(crate) type JsCallback = Closure<dyn FnMut(JsValue) -> Result<(), JsError>>;

/// What both a listener and its socket hold, so that whichever is dropped first can detach it.
pub(crate) struct Registration {
    target: EventTarget,
    event_type: &'static str,
    /// A `Cell`, not a `RefCell`: it is only ever taken or put back, so no borrow check (with its panic path) is
    /// linked.
    callback: Cell<Option<JsCallback>>,
}

impl EventListener {
    /// Calls `callback` with every `event_type` event on `target` until the listener is dropped.
    pub fn new(
        target: &EventTarget,
        event_type: &'static str,
        mut callback: impl FnMut(Event) + 'static,
    ) -> Self {
        // addEventListener hands the function an Event.
        let callback = JsCallback::new(move |event: JsValue| {
            callback(event.unchecked_into());
            Ok(())
        });
        // addEventListener cannot throw for a real EventTarget and a function, and if it did, the listener
        // would simply never fire, which `is_attached` cannot hide: nothing to report.
        let _ =
            target.add_event_listener_with_callback(event_type, callback.as_ref().unchecked_ref());
        Self {
            registration: Rc::new(Registration {
                target: target.clone(),
                event_type,
                callback: Cell::new(Some(callback)),
            }),
        }
    }

    /// Like [`new`](Self::new), for the browser's own events only: one that a script dispatched is ignored.
    pub(crate) fn trusted(
        target: &EventTarget,
        event_type: &'static str,
        mut callback: impl FnMut(Event) + 'static,
    ) -> Self {
        Self::new(target, event_type, move |event: Event| {
            if event.is_trusted() {
                callback(event);
            }
        })
    }

    /// The event type listened to, e.g. `"message"`.
    pub fn event_type(&self) -> &'static str {
        self.registration.event_type
    }

    /// Whether the listener is still registered: `false` once its socket was dropped.
    pub fn is_attached(&self) -> bool {
        let callback = self.registration.callback.take();
        let attached = callback.is_some();
        self.registration.callback.set(callback);
        attached
    }

    /// A handle that lets the owner of the target detach this listener too.
    pub(crate) fn downgrade(&self) -> Weak<Registration> {
        Rc::downgrade(&self.registration)
    }
}

impl Registration {
    /// Removes the listener and frees its closure; does nothing the second time. Safe from inside the callback
    /// itself: wasm-bindgen frees a running closure only once it returns.
    pub(crate) fn detach(&self) {
        let callback = self.callback.take();
        if let Some(callback) = callback {
            // removeEventListener does not throw for a function argument.
            let _ = self.target.remove_event_listener_with_callback(
                self.event_type,
                callback.as_ref().unchecked_ref(),
            );
        }
    }
}

impl Drop for EventListener {
    fn drop(&mut self) {
        self.registration.detach();
    }
}

impl fmt::Debug for EventListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventListener")
            .field("event_type", &self.registration.event_type)
            .field("attached", &self.is_attached())
            .finish()
    }
}
