//! The events a client dispatches to JS listeners, through an `EventTarget` of its own.
//!
//! A class exported from Rust cannot extend `EventTarget`, so each client owns one and forwards
//! `addEventListener`/`removeEventListener` to it, with the DOM's semantics (options, `once`, `signal`,
//! `handleEvent` objects, duplicates ignored). The `on<type>` properties are listeners on the same target.
//! Events are dispatched from the client's own listeners or tasks, never while a Rust borrow is held, so a JS
//! listener may call anything on the client, `free()` included.

use std::cell::RefCell;

use js_sys::{Function, Object};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, EventTarget};

use crate::js::error::{set, type_error};

#[wasm_bindgen]
extern "C" {
    /// An `EventTarget`, for the two methods below.
    #[wasm_bindgen(js_name = EventTarget)]
    type AnyTarget;

    /// `addEventListener` with any listener and options value: the browser checks them (`TypeError`).
    #[wasm_bindgen(method, catch, js_name = addEventListener)]
    fn add_listener(
        this: &AnyTarget,
        event_type: &str,
        listener: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue>;

    /// `removeEventListener` with any listener and options value.
    #[wasm_bindgen(method, catch, js_name = removeEventListener)]
    fn remove_listener(
        this: &AnyTarget,
        event_type: &str,
        listener: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue>;
}

/// A client's event target and its `on<type>` handlers.
#[derive(Debug)]
pub(crate) struct Events {
    target: EventTarget,
    handlers: RefCell<Vec<(&'static str, Function)>>,
}

impl Events {
    pub(crate) fn new() -> Result<Self, JsValue> {
        Ok(Self {
            target: EventTarget::new()?,
            handlers: RefCell::new(Vec::new()),
        })
    }

    /// `addEventListener(type, listener, options)`.
    pub(crate) fn add(
        &self,
        event_type: &JsValue,
        listener: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue> {
        let event_type = event_type_of(event_type)?;
        self.target
            .unchecked_ref::<AnyTarget>()
            .add_listener(&event_type, listener, options)
    }

    /// `removeEventListener(type, listener, options)`.
    pub(crate) fn remove(
        &self,
        event_type: &JsValue,
        listener: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue> {
        let event_type = event_type_of(event_type)?;
        self.target
            .unchecked_ref::<AnyTarget>()
            .remove_listener(&event_type, listener, options)
    }

    /// The `on<type>` handler, or `null`.
    pub(crate) fn handler(&self, event_type: &'static str) -> JsValue {
        self.handlers
            .borrow()
            .iter()
            .find(|(t, _)| *t == event_type)
            .map_or(JsValue::NULL, |(_, f)| f.clone().into())
    }

    /// Sets the `on<type>` handler: a function, or `null`/`undefined` to remove it.
    pub(crate) fn set_handler(
        &self,
        event_type: &'static str,
        handler: &JsValue,
    ) -> Result<(), JsValue> {
        let handler =
            if handler.is_undefined() || handler.is_null() {
                None
            } else {
                Some(handler.clone().dyn_into::<Function>().map_err(|_| {
                    type_error(&format!("on{event_type} must be a function or null"))
                })?)
            };
        let old = {
            let mut handlers = self.handlers.borrow_mut();
            let old = handlers
                .iter()
                .position(|(t, _)| *t == event_type)
                .map(|i| handlers.remove(i).1);
            if let Some(handler) = &handler {
                handlers.push((event_type, handler.clone()));
            }
            old
        };
        if let Some(old) = old {
            let _ = self
                .target
                .remove_event_listener_with_callback(event_type, &old);
        }
        if let Some(handler) = handler {
            let _ = self
                .target
                .add_event_listener_with_callback(event_type, &handler);
        }
        Ok(())
    }

    /// Dispatches `event` to the listeners. A listener that throws is reported by the browser, as in the DOM;
    /// the others still run.
    pub(crate) fn dispatch(&self, event: &Event) {
        let _ = self.target.dispatch_event(event);
    }

    /// Dispatches a plain `Event` of `event_type`.
    pub(crate) fn dispatch_plain(&self, event_type: &str) {
        if let Ok(event) = Event::new(event_type) {
            self.dispatch(&event);
        }
    }

    /// Dispatches a `CustomEvent` of `event_type` whose `detail` has the given properties.
    pub(crate) fn dispatch_detail(&self, event_type: &str, detail: &[(&str, JsValue)]) {
        let object = JsValue::from(Object::new());
        for (key, value) in detail {
            set(&object, key, value);
        }
        let init = web_sys::CustomEventInit::new();
        init.set_detail(&object);
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(event_type, &init) {
            self.dispatch(&event);
        }
    }

    /// Dispatches a `MessageEvent` carrying `data`.
    pub(crate) fn dispatch_message(&self, data: &JsValue) {
        let init = web_sys::MessageEventInit::new();
        init.set_data(data);
        if let Ok(event) = web_sys::MessageEvent::new_with_event_init_dict("message", &init) {
            self.dispatch(&event);
        }
    }
}

/// An event type must be a string.
fn event_type_of(value: &JsValue) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| type_error("the event type must be a string"))
}
