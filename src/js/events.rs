//! The events a client dispatches to JS listeners, through an `EventTarget` of its own.
//!
//! A class exported from Rust cannot extend `EventTarget`, so each client owns one and forwards
//! `addEventListener`/`removeEventListener`/`dispatchEvent` to it, with the DOM's semantics (options, `once`,
//! `signal`, `handleEvent` objects, duplicates ignored). As on a DOM `WebSocket`, `event.target`,
//! `event.currentTarget` and `this` in a listener are the client's JS object, and each `on<type>` handler is a
//! listener of its own, registered where it was first set and kept in place when it is replaced; a function set
//! as `onmessage` and also added with `addEventListener` runs twice. Events are dispatched from the client's own
//! listeners or tasks, never while a Rust borrow is held, so a JS listener may call anything on the client,
//! `free()` included. The exception is an event the page passes to `dispatchEvent`: wasm-bindgen holds the client
//! borrowed for the call, so `free()` from one of its listeners throws (free it after `dispatchEvent` returns).
//!
//! **Lifetime.** The DOM keeps a `WebSocket` alive while it may still fire events at listeners; so does
//! [`Events::own`]: it holds the client's JS object until [`Events::release`], which the client calls after its
//! final event. From then on the target (and with it every listener and handler, which may refer to the client)
//! is held by the client's JS object alone, and both only weakly from Rust (the object stays the `target` of
//! what the page dispatches), so nothing Rust holds keeps the client alive and the garbage collector can free
//! it.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, WeakRef};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, EventTarget};

use crate::js::error::{set, type_error};

#[wasm_bindgen(inline_js = r#"
const bound = new WeakMap();
const HANDLERS = Symbol("browser-ws handlers");
const TARGET = Symbol("browser-ws events");

export function boundListener(listener) {
  if (typeof listener !== "function") return listener;
  let wrapper = bound.get(listener);
  if (wrapper === undefined) {
    wrapper = function (event) { return listener.call(event.currentTarget, event); };
    bound.set(listener, wrapper);
  }
  return wrapper;
}

export function getHandler(target, type) {
  const slot = target[HANDLERS]?.get(type);
  return slot === undefined ? null : slot.handler;
}

export function setHandler(target, type, handler) {
  let slots = target[HANDLERS];
  if (slots === undefined) {
    slots = new Map();
    target[HANDLERS] = slots;
  }
  const slot = slots.get(type);
  if (handler === null) {
    if (slot !== undefined) {
      slots.delete(type);
      target.removeEventListener(type, slot.listener);
    }
  } else if (slot !== undefined) {
    slot.handler = handler;
  } else {
    const entry = { handler, listener: (event) => entry.handler.call(event.currentTarget, event) };
    slots.set(type, entry);
    target.addEventListener(type, entry.listener);
  }
}

export function attach(owner, target) {
  Object.defineProperty(owner, TARGET, { value: target });
}

// The browser's own readings, which know where the event is: at the client's internal target, elsewhere, or
// (`currentTarget`, the path) nowhere once dispatched.
const nativeComposedPath = Event.prototype.composedPath;
const OWNER = Symbol("browser-ws owner");

// The client where the browser says its internal target, and what the browser says otherwise: `currentTarget`
// is null after the dispatch, and an event dispatched again elsewhere has that target, as in the DOM.
function shown(owner, value) {
  return value !== null && value === owner?.[TARGET] ? owner : value;
}

// Shared by every retargeted event, which holds its client under OWNER: the accessors are the same functions on
// all of them (a closure per event, in an accessor, kept closed clients from being collected in Chromium).
const TARGETS = {};
for (const key of ["target", "currentTarget", "srcElement"]) {
  const read = Object.getOwnPropertyDescriptor(Event.prototype, key)?.get;
  if (read !== undefined) TARGETS[key] = function () { return shown(this[OWNER], read.call(this)); };
}
function composedPathShown() {
  const owner = this[OWNER];
  return nativeComposedPath.call(this).map((value) => shown(owner, value));
}
function defineTargets(object) {
  for (const [key, get] of Object.entries(TARGETS)) {
    Object.defineProperty(object, key, { get, configurable: true });
  }
}

export function retarget(event, owner) {
  // As the DOM's dispatchEvent, which refuses an event being dispatched before touching it.
  if (event.eventPhase !== Event.NONE) {
    throw new DOMException("The event is already being dispatched.", "InvalidStateError");
  }
  Object.defineProperty(event, OWNER, { value: owner, configurable: true });
  defineTargets(event);
  Object.defineProperty(event, "composedPath", { value: composedPathShown, configurable: true, writable: true });
}

// One MessageEvent subclass per client, whose target is the client: a received message then costs one
// construction, with no per-event property definitions (which also turn the event into a slow object).
const messageEvents = new WeakMap();
export function messageEvent(owner, data, origin) {
  if (owner === undefined) return new MessageEvent("message", { data, origin });
  let Class = messageEvents.get(owner);
  if (Class === undefined) {
    Class = class MessageEvent extends globalThis.MessageEvent {
      get [OWNER]() { return owner; }
      composedPath() { return composedPathShown.call(this); }
    };
    defineTargets(Class.prototype);
    messageEvents.set(owner, Class);
  }
  return new Class("message", { data, origin });
}

// A message event's `origin`, as the browser sets it on a WebSocket's: the serialization of the URL's origin.
export function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return "";
  }
}
"#)]
extern "C" {
    /// What is registered for `listener`: a function is wrapped (one wrapper per function, so that removing
    /// finds it) to be called with `this` = `event.currentTarget`; a `handleEvent` object or anything else is
    /// passed on as it is, for the browser to check.
    #[wasm_bindgen(js_name = boundListener)]
    fn bound_listener(listener: &JsValue) -> JsValue;

    /// The `on<type>` handler, or `null`.
    #[wasm_bindgen(js_name = getHandler)]
    fn get_handler(target: &EventTarget, event_type: &str) -> JsValue;

    /// Sets (a function) or removes (`null`) the `on<type>` handler.
    #[wasm_bindgen(catch, js_name = setHandler)]
    fn set_handler_of(
        target: &EventTarget,
        event_type: &str,
        handler: &JsValue,
    ) -> Result<(), JsValue>;

    /// Makes `owner` hold `target`, under a private symbol.
    #[wasm_bindgen(catch)]
    fn attach(owner: &JsValue, target: &EventTarget) -> Result<(), JsValue>;

    /// Makes `event.target`, `currentTarget`, `srcElement` and `composedPath()` read `owner` where the browser's
    /// say the client's internal target (and what the browser says otherwise: `currentTarget` is `null` after
    /// the dispatch, another target when dispatched elsewhere); throws `InvalidStateError` for an event being
    /// dispatched, leaving it as it was.
    #[wasm_bindgen(catch)]
    fn retarget(event: &Event, owner: &JsValue) -> Result<(), JsValue>;

    /// A `MessageEvent` carrying `data` and `origin` whose `target`, `currentTarget` and `srcElement` are `owner`
    /// (unless it is `undefined`).
    #[wasm_bindgen(catch, js_name = messageEvent)]
    fn message_event(owner: &JsValue, data: &JsValue, origin: &JsValue) -> Result<Event, JsValue>;

    /// The origin of `url` (`"ws://host:port"`), or `""` if it cannot be parsed: a JS string, held once and
    /// given to every message event.
    #[wasm_bindgen(js_name = originOf)]
    fn origin_of(url: &str) -> JsValue;

    /// An `EventTarget`, for the methods below.
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

    /// `dispatchEvent` with any value: the browser checks it (`TypeError`, or `InvalidStateError` for an event
    /// being dispatched).
    #[wasm_bindgen(method, catch, js_name = dispatchEvent)]
    fn dispatch_any(this: &AnyTarget, event: &JsValue) -> Result<bool, JsValue>;
}

/// How the client holds its event target and its JS object.
#[derive(Debug)]
enum Held {
    /// Until the client is released (or for good, for a target whose client never had a JS object).
    Strong(Object),
    /// After [`Events::release`]: the client's JS object holds the target, and the page holds the object.
    Weak(WeakRef<Object>),
}

impl Held {
    /// The object; `None` only once the garbage collector took it.
    fn get(&self) -> Option<Object> {
        match self {
            Self::Strong(object) => Some(object.clone()),
            Self::Weak(weak) => weak.deref(),
        }
    }

    /// Holds it weakly from now on.
    fn weaken(&mut self) {
        if let Self::Strong(object) = self {
            *self = Self::Weak(WeakRef::new(object));
        }
    }

    /// Holds it strongly from now on, if it is still there.
    fn strengthen(&mut self) {
        if let Some(object) = self.get() {
            *self = Self::Strong(object);
        }
    }
}

/// A client's event target, its `on<type>` handlers, and its JS object while that must stay alive.
#[derive(Debug)]
pub(crate) struct Events {
    target: RefCell<Held>,
    /// The client's JS object: `event.target` and `this` for listeners, kept alive while events may come, and
    /// still the target of the events the page dispatches after that.
    owner: RefCell<Option<Held>>,
    /// The `origin` of the message events: the connection's, as on a DOM `WebSocket`'s (`""` until set). In an
    /// `Rc`, so that a message takes it without a JS call (cloning a `JsValue` is one).
    origin: RefCell<Rc<JsValue>>,
}

impl Events {
    pub(crate) fn new() -> Result<Self, JsValue> {
        Ok(Self {
            target: RefCell::new(Held::Strong(EventTarget::new()?.into())),
            owner: RefCell::new(None),
            origin: RefCell::new(Rc::new(JsValue::from_str(""))),
        })
    }

    /// Gives the message events from now on the origin of `url`, the connection's URL.
    pub(crate) fn set_origin(&self, url: &str) {
        *self.origin.borrow_mut() = Rc::new(origin_of(url));
    }

    /// The target; `None` only once the client's JS object has been collected (when nothing can call it).
    fn target(&self) -> Option<EventTarget> {
        self.target.borrow().get().map(JsCast::unchecked_into)
    }

    /// The client's JS object, if it has one (and it was not collected).
    fn owner(&self) -> Option<JsValue> {
        self.owner
            .borrow()
            .as_ref()
            .and_then(Held::get)
            .map(JsValue::from)
    }

    /// Makes `owner`, the client's JS object, the `target` of its events and keeps it alive until
    /// [`release`](Self::release).
    pub(crate) fn own(&self, owner: &JsValue) {
        if let Some(target) = self.target() {
            if attach(owner, &target).is_ok() {
                *self.owner.borrow_mut() = Some(Held::Strong(owner.clone().unchecked_into()));
            }
        }
    }

    /// As [`own`](Self::own), but not kept alive (an idle client, which fires no events of its own) until
    /// [`hold`](Self::hold).
    pub(crate) fn own_weakly(&self, owner: &JsValue) {
        self.own(owner);
        self.release();
    }

    /// Keeps the client's JS object (and with it the target) alive again, until [`release`](Self::release).
    pub(crate) fn hold(&self) {
        if let Some(owner) = &mut *self.owner.borrow_mut() {
            owner.strengthen();
            self.target.borrow_mut().strengthen();
        }
    }

    /// After the client's final event: stops keeping its JS object alive, and holds the target (which its
    /// listeners may lead back to the client) only weakly.
    pub(crate) fn release(&self) {
        if let Some(owner) = &mut *self.owner.borrow_mut() {
            owner.weaken();
            self.target.borrow_mut().weaken();
        }
    }

    /// `addEventListener(type, listener, options)`.
    pub(crate) fn add(
        &self,
        event_type: &JsValue,
        listener: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue> {
        self.forward(event_type, listener, options, true)
    }

    /// `removeEventListener(type, listener, options)`.
    pub(crate) fn remove(
        &self,
        event_type: &JsValue,
        listener: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue> {
        self.forward(event_type, listener, options, false)
    }

    /// Calls `addEventListener` (`add`) or `removeEventListener` on the target with the listener as it is
    /// registered (see `bound_listener`).
    ///
    /// A flag, not a function pointer: an indirect call with this signature kept wasm-bindgen's unused closure
    /// shims of the same Wasm signature in the package (wasm-opt keeps every table function some indirect call
    /// could reach).
    fn forward(
        &self,
        event_type: &JsValue,
        listener: &JsValue,
        options: &JsValue,
        add: bool,
    ) -> Result<(), JsValue> {
        let event_type = event_type_of(event_type)?;
        let Some(target) = self.target() else {
            return Ok(());
        };
        let target = target.unchecked_ref::<AnyTarget>();
        let listener = bound_listener(listener);
        if add {
            target.add_listener(&event_type, &listener, options)
        } else {
            target.remove_listener(&event_type, &listener, options)
        }
    }

    /// `dispatchEvent(event)`, from JS: `false` if a listener cancelled it.
    pub(crate) fn dispatch_from_js(&self, event: &JsValue) -> Result<bool, JsValue> {
        let Some(event) = event.dyn_ref::<Event>() else {
            return Err(type_error("dispatchEvent takes an Event"));
        };
        let Some(target) = self.target() else {
            return Ok(!event.default_prevented());
        };
        self.retarget(event)?;
        target.unchecked_ref::<AnyTarget>().dispatch_any(event)
    }

    /// The `on<type>` handler, or `null`.
    pub(crate) fn handler(&self, event_type: &'static str) -> JsValue {
        self.target()
            .map_or(JsValue::NULL, |target| get_handler(&target, event_type))
    }

    /// Sets the `on<type>` handler: a function, or `null`/`undefined` to remove it.
    pub(crate) fn set_handler(
        &self,
        event_type: &'static str,
        handler: &JsValue,
    ) -> Result<(), JsValue> {
        let handler = if handler.is_undefined() || handler.is_null() {
            JsValue::NULL
        } else if handler.is_function() {
            handler.clone()
        } else {
            return Err(type_error(&format!(
                "on{event_type} must be a function or null"
            )));
        };
        match self.target() {
            Some(target) => set_handler_of(&target, event_type, &handler),
            None => Ok(()),
        }
    }

    /// Makes the client's JS object the event's target, if it has one; `InvalidStateError` for an event being
    /// dispatched (only a page's own event can be).
    fn retarget(&self, event: &Event) -> Result<(), JsValue> {
        match self.owner() {
            Some(owner) => retarget(event, &owner),
            None => Ok(()),
        }
    }

    /// Dispatches `event` to the listeners. A listener that throws is reported by the browser, as in the DOM;
    /// the others still run.
    pub(crate) fn dispatch(&self, event: &Event) {
        if let Some(target) = self.target() {
            let _ = self.retarget(event);
            let _ = target.dispatch_event(event);
        }
    }

    /// Dispatches a plain `Event` of `event_type`.
    pub(crate) fn dispatch_plain(&self, event_type: &str) {
        if let Ok(event) = Event::new(event_type) {
            self.dispatch(&event);
        }
    }

    /// Dispatches a `CustomEvent` of `event_type` whose `detail` has the given properties.
    pub(crate) fn dispatch_detail(&self, event_type: &str, detail: &[(&str, JsValue)]) {
        let object = JsValue::from(js_sys::Object::new());
        for (key, value) in detail {
            set(&object, key, value);
        }
        let init = web_sys::CustomEventInit::new();
        init.set_detail(&object);
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(event_type, &init) {
            self.dispatch(&event);
        }
    }

    /// Dispatches a `MessageEvent` carrying `data`: the hot path, so the event is made retargeted.
    pub(crate) fn dispatch_message(&self, data: &JsValue) {
        let Some(target) = self.target() else {
            return;
        };
        let owner = self.owner().unwrap_or(JsValue::UNDEFINED);
        // Cloned first: constructing the event can run page code (a replaced `MessageEvent`).
        let origin = Rc::clone(&self.origin.borrow());
        if let Ok(event) = message_event(&owner, data, &origin) {
            let _ = target.dispatch_event(&event);
        }
    }
}

/// An event type must be a string.
fn event_type_of(value: &JsValue) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| type_error("the event type must be a string"))
}
