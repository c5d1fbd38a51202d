//! "Try now": the browser coming back online, or the page becoming visible again, cuts a backoff wait short.

use std::future::poll_fn;
use std::rc::Rc;

use wasm_bindgen::JsCast;

use crate::listener::EventListener;
use crate::signal::Signal;

/// Completes on the global `online` event (windows and workers) or on the document becoming visible. The
/// listeners live only as long as the future.
pub(crate) async fn back_online() {
    let signal = Rc::new(Signal::default());
    let mut listeners = Vec::with_capacity(2);
    if let Ok(global) = js_sys::global().dyn_into::<web_sys::EventTarget>() {
        let signal = signal.clone();
        listeners.push(EventListener::new(&global, "online", move |_| {
            signal.fire()
        }));
    }
    if let Some(document) = web_sys::window().and_then(|window| window.document()) {
        let signal = signal.clone();
        let target = document.clone();
        listeners.push(EventListener::new(
            &document,
            "visibilitychange",
            move |_| {
                if target.visibility_state() == web_sys::VisibilityState::Visible {
                    signal.fire();
                }
            },
        ));
    }
    poll_fn(|cx| signal.poll(cx)).await;
    drop(listeners);
}
