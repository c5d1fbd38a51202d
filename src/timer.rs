//! Timers on the *global* `setTimeout`, so they work in windows and workers alike, owned and cancelled on drop.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::listener::{EventListener, JsCallback};
use crate::signal::Signal;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, millis: i32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// Milliseconds as a duration, saturating: a negative or NaN count is zero, one beyond `Duration::MAX` is that.
/// (`Duration::from_secs_f64` panics on those instead, and its panic message links float and error formatting.)
pub(crate) fn from_millis_f64(millis: f64) -> Duration {
    Duration::try_from_secs_f64(millis / 1000.0).unwrap_or(if millis > 0.0 {
        Duration::MAX
    } else {
        Duration::ZERO
    })
}

/// A duration as milliseconds: exact for whole milliseconds (`as_secs_f64() * 1000.0` turns 1001 ms into
/// 1000.9999999999999), so a JS caller reads back the number it gave.
pub(crate) fn millis_f64(duration: Duration) -> f64 {
    duration.as_secs() as f64 * 1000.0 + f64::from(duration.subsec_nanos()) / 1e6
}

/// A future that completes after a delay (rounded down to milliseconds, at most about 24 days); dropping it
/// cancels the timer and frees its closure.
pub(crate) struct Sleep {
    fired: Rc<Signal>,
    handle: JsValue,
    _callback: JsCallback,
}

impl Sleep {
    pub(crate) fn new(delay: Duration) -> Self {
        let fired = Rc::new(Signal::default());
        let on_fire = fired.clone();
        // Not `Closure::once`: its wrapper would be one more closure kind in every app; firing is idempotent.
        let callback = JsCallback::new(move |_| {
            on_fire.fire();
            Ok(())
        });
        let millis = i32::try_from(delay.as_millis()).unwrap_or(i32::MAX);
        let handle = set_timeout(callback.as_ref().unchecked_ref(), millis);
        Self {
            fired,
            handle,
            _callback: callback,
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep")
            .field("fired", &self.fired)
            .finish_non_exhaustive()
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.fired.poll(cx)
    }
}

/// A future that completes in the next task, without delay: a message sent through a `MessageChannel`, which,
/// unlike `setTimeout(0)`, the browser never clamps to 4 ms when timers nest. Windows and workers have it.
#[derive(Debug)]
pub(crate) struct NextTask {
    fired: Rc<Signal>,
    port: web_sys::MessagePort,
    _listener: EventListener,
}

impl NextTask {
    /// `None` if the global scope has no `MessageChannel`; then wait with a [`Sleep`] instead.
    pub(crate) fn new() -> Option<Self> {
        let channel = web_sys::MessageChannel::new().ok()?;
        let fired = Rc::new(Signal::default());
        let on_message = fired.clone();
        let port = channel.port1();
        let listener = EventListener::new(&port, "message", move |_| on_message.fire());
        port.start();
        channel.port2().post_message(&JsValue::UNDEFINED).ok()?;
        Some(Self {
            fired,
            port,
            _listener: listener,
        })
    }
}

impl Drop for NextTask {
    fn drop(&mut self) {
        self.port.close();
    }
}

impl Future for NextTask {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.fired.poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_saturate_instead_of_panicking() {
        assert_eq!(from_millis_f64(1500.0), Duration::from_millis(1500));
        assert_eq!(from_millis_f64(0.25), Duration::from_micros(250));
        assert_eq!(from_millis_f64(-5.0), Duration::ZERO);
        assert_eq!(from_millis_f64(f64::NAN), Duration::ZERO);
        assert_eq!(from_millis_f64(f64::INFINITY), Duration::MAX);
        assert_eq!(
            from_millis_f64(Duration::MAX.as_secs_f64() * 1000.0),
            Duration::MAX
        );
    }
}
