//! Reading arguments from JS without trusting them: every value is checked here, so a wrong type is a
//! `TypeError`, a number out of range a `RangeError`, and nothing is silently truncated, rounded or trapped on.

use std::time::Duration;

use js_sys::{Array, ArrayBuffer, Function, JsString, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

use crate::close::{validate_close_reason, ClientCloseCode};
use crate::connection::Overflow;
use crate::js::error::{exact_u16, invalid_close_code, js_number, range_error, to_js, type_error};
use crate::message::Message;

/// An options object: `undefined` and `null` read as `{}`.
pub(crate) struct Options {
    object: Option<Object>,
    /// How the object is called in messages, e.g. `options` or `options.backoff`.
    what: String,
}

impl Options {
    /// Reads `value` as an options object called `what`.
    pub(crate) fn new(value: Option<&JsValue>, what: &str) -> Result<Self, JsValue> {
        let object = match value {
            None => None,
            Some(value) if value.is_undefined() || value.is_null() => None,
            // An array is refused, not read as `{}`: `new WebSocket(url, ["chat"])` passes subprotocols there,
            // and partysocket's third argument would be ignored.
            Some(value) if js_sys::Array::is_array(value) => {
                return Err(type_error(&format!(
                    "{what} must be an object, not an array (subprotocols go in protocols)"
                )))
            }
            Some(value) if value.is_object() && !value.is_function() => {
                Some(value.clone().unchecked_into::<Object>())
            }
            Some(_) => return Err(type_error(&format!("{what} must be an object"))),
        };
        Ok(Self {
            object,
            what: what.to_owned(),
        })
    }

    /// The full name of a property, for messages.
    pub(crate) fn name(&self, key: &str) -> String {
        format!("{}.{key}", self.what)
    }

    /// A property, `None` if missing or `undefined`. A throwing getter's exception is passed on.
    pub(crate) fn get(&self, key: &str) -> Result<Option<JsValue>, JsValue> {
        let Some(object) = &self.object else {
            return Ok(None);
        };
        let value = Reflect::get(object, &JsValue::from_str(key))?;
        Ok((!value.is_undefined()).then_some(value))
    }

    /// A nested options object.
    pub(crate) fn nested(&self, key: &str) -> Result<Self, JsValue> {
        Self::new(self.get(key)?.as_ref(), &self.name(key))
    }

    /// A boolean property.
    pub(crate) fn boolean(&self, key: &str) -> Result<Option<bool>, JsValue> {
        self.get(key)?
            .map(|value| {
                value
                    .as_bool()
                    .ok_or_else(|| type_error(&format!("{} must be a boolean", self.name(key))))
            })
            .transpose()
    }

    /// A number property, finite and within `min..=max`.
    pub(crate) fn number(&self, key: &str, min: f64, max: f64) -> Result<Option<f64>, JsValue> {
        self.get(key)?
            .map(|value| number(&value, &self.name(key), min, max))
            .transpose()
    }

    /// A duration in milliseconds: a finite number, at least 0.
    pub(crate) fn millis(&self, key: &str) -> Result<Option<Duration>, JsValue> {
        self.get(key)?
            .map(|value| millis(&value, &self.name(key)))
            .transpose()
    }

    /// A time limit in milliseconds: a duration above 0 (a limit of 0 is over before anything can happen, so a
    /// reconnecting client given one would fail every attempt).
    pub(crate) fn time_limit(&self, key: &str) -> Result<Option<Duration>, JsValue> {
        match self.millis(key)? {
            Some(limit) if limit.is_zero() => Err(range_error(&format!(
                "{} must be more than 0 ms",
                self.name(key)
            ))),
            limit => Ok(limit),
        }
    }

    /// A whole number within `min..=max`.
    pub(crate) fn integer(&self, key: &str, min: f64, max: f64) -> Result<Option<f64>, JsValue> {
        self.get(key)?
            .map(|value| integer(&value, &self.name(key), min, max))
            .transpose()
    }

    /// A count: a whole number within `min..=usize::MAX`.
    pub(crate) fn count(&self, key: &str, min: usize) -> Result<Option<usize>, JsValue> {
        // usize::MAX as f64 rounds up on 64-bit targets; the cast below saturates.
        let value = self.integer(key, min as f64, usize::MAX as f64)?;
        Ok(value.map(|value| value as usize))
    }

    /// A count as [`count`](Self::count) reads it, or `Infinity` for no limit (`usize::MAX`), read once.
    pub(crate) fn count_or_unbounded(
        &self,
        key: &str,
        min: usize,
    ) -> Result<Option<usize>, JsValue> {
        self.get(key)?
            .map(|value| match value.as_f64() {
                Some(f64::INFINITY) => Ok(usize::MAX),
                _ => integer(&value, &self.name(key), min as f64, usize::MAX as f64)
                    .map(|value| value as usize),
            })
            .transpose()
    }

    /// A function property.
    pub(crate) fn function(&self, key: &str) -> Result<Option<Function>, JsValue> {
        self.get(key)?
            .map(|value| {
                value
                    .dyn_into::<Function>()
                    .map_err(|_| type_error(&format!("{} must be a function", self.name(key))))
            })
            .transpose()
    }

    /// One of a few strings.
    pub(crate) fn one_of(
        &self,
        key: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, JsValue> {
        self.get(key)?
            .map(|value| one_of(&value, &self.name(key), allowed))
            .transpose()
    }

    /// A receive queue's bound, as `messages()` and the reconnecting client's `receiveQueue` take it: `capacity`
    /// (at least 1) and `overflow` (`"fail"`, the default, or `"drop-oldest"`).
    pub(crate) fn receive_queue(&self) -> Result<(Option<usize>, Overflow), JsValue> {
        let capacity = self.count("capacity", 1)?;
        let overflow = match self.one_of("overflow", &["fail", "drop-oldest"])? {
            Some("drop-oldest") => Overflow::DropOldest,
            _ => Overflow::Fail,
        };
        Ok((capacity, overflow))
    }

    /// Subprotocols: a string or an array of strings.
    pub(crate) fn protocols(&self, key: &str) -> Result<Vec<String>, JsValue> {
        match self.get(key)? {
            None => Ok(Vec::new()),
            Some(value) => protocols(&value, &self.name(key)),
        }
    }
}

/// A whole number within `min..=max`.
pub(crate) fn integer(value: &JsValue, name: &str, min: f64, max: f64) -> Result<f64, JsValue> {
    let value = number(value, name, min, max)?;
    if value.fract() != 0.0 {
        return Err(range_error(&format!(
            "{name} must be a whole number, not {}",
            js_number(value)
        )));
    }
    Ok(value)
}

/// A finite number within `min..=max`.
pub(crate) fn number(value: &JsValue, name: &str, min: f64, max: f64) -> Result<f64, JsValue> {
    let number = value
        .as_f64()
        .ok_or_else(|| type_error(&format!("{name} must be a number")))?;
    if !number.is_finite() || number < min || number > max {
        return Err(range_error(&format!(
            "{name} must be a finite number from {} to {}, not {}",
            js_number(min),
            js_number(max),
            js_number(number)
        )));
    }
    Ok(number)
}

/// The longest duration accepted, in milliseconds: `setTimeout`'s limit (about 24.8 days).
const MAX_MILLIS: f64 = 2_147_483_647.0;

/// Milliseconds as a duration: a finite number from 0 to 2147483647 (`setTimeout`'s limit), so that no
/// arithmetic on it can overflow.
pub(crate) fn millis(value: &JsValue, name: &str) -> Result<Duration, JsValue> {
    let millis = number(value, name, 0.0, MAX_MILLIS)?;
    Ok(crate::timer::from_millis_f64(millis))
}

/// One of a few strings.
pub(crate) fn one_of(
    value: &JsValue,
    name: &str,
    allowed: &[&'static str],
) -> Result<&'static str, JsValue> {
    let list = || {
        allowed
            .iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = value
        .as_string()
        .ok_or_else(|| type_error(&format!("{name} must be one of {}", list())))?;
    allowed
        .iter()
        .find(|a| **a == text)
        .copied()
        .ok_or_else(|| type_error(&format!("{name} must be one of {}, not \"{text}\"", list())))
}

/// Subprotocols: a string or an array of strings (their validity is checked when connecting).
pub(crate) fn protocols(value: &JsValue, name: &str) -> Result<Vec<String>, JsValue> {
    if let Some(protocol) = value.as_string() {
        return Ok(vec![protocol]);
    }
    let wrong = || type_error(&format!("{name} must be a string or an array of strings"));
    if !Array::is_array(value) {
        return Err(wrong());
    }
    Array::from(value)
        .iter()
        .map(|item| item.as_string().ok_or_else(wrong))
        .collect()
}

/// A URL: a string or a `URL` object.
pub(crate) fn url(value: &JsValue, name: &str) -> Result<String, JsValue> {
    url_string(value).ok_or_else(|| type_error(&format!("{name} must be a string or a URL")))
}

/// The text of a string or a `URL` object.
pub(crate) fn url_string(value: &JsValue) -> Option<String> {
    value
        .as_string()
        .or_else(|| value.dyn_ref::<web_sys::Url>().map(web_sys::Url::href))
}

/// A close code to send: absent means 1000. A number that is not 1000 or 3000..=4999 (NaN, 1005, 5000, -1, 1.5,
/// 70000) is an `InvalidCloseCodeError`; anything else a `TypeError`.
pub(crate) fn close_code(value: Option<&JsValue>) -> Result<ClientCloseCode, JsValue> {
    let Some(value) = value.filter(|v| !v.is_undefined()) else {
        return Ok(ClientCloseCode::NORMAL);
    };
    let number = value
        .as_f64()
        .ok_or_else(|| type_error("the close code must be a number"))?;
    let code = exact_u16(number).ok_or_else(|| invalid_close_code(number))?;
    ClientCloseCode::new(code).map_err(|e| to_js(&e))
}

/// A close reason: absent means `""`; at most 123 UTF-8 bytes (`CloseReasonTooLongError`).
pub(crate) fn close_reason(value: Option<&JsValue>) -> Result<String, JsValue> {
    let Some(value) = value.filter(|v| !v.is_undefined()) else {
        return Ok(String::new());
    };
    let reason = value
        .as_string()
        .ok_or_else(|| type_error("the close reason must be a string"))?;
    validate_close_reason(&reason).map_err(|e| to_js(&e))?;
    Ok(reason)
}

#[wasm_bindgen(inline_js = r#"
// The built-in getters, taken on first use (not at import: server-side rendering may have no Blob) and kept, so
// that later changes to the prototypes do not matter.
let intrinsics;
function builtins() {
  if (intrinsics === undefined) {
    const getter = (proto, key) => Object.getOwnPropertyDescriptor(proto, key).get;
    const typed = Object.getPrototypeOf(Uint8Array.prototype);
    const views = (proto) => ["buffer", "byteOffset", "byteLength"].map((key) => getter(proto, key));
    intrinsics = {
      bufferLength: getter(ArrayBuffer.prototype, "byteLength"),
      typed: views(typed),
      view: views(DataView.prototype),
      blobSize: getter(Blob.prototype, "size"),
    };
  }
  return intrinsics;
}
const is = (get, value) => {
  try {
    get.call(value);
    return true;
  } catch {
    return false;
  }
};

export function sendKind(value) {
  if (typeof value === "string") return "text";
  if (typeof value !== "object" || value === null) return "";
  const { bufferLength, typed, view, blobSize } = builtins();
  if (is(bufferLength, value)) return "buffer";
  if (is(typed[2], value) || is(view[2], value)) return "view";
  if (is(blobSize, value)) return "blob";
  return "";
}

export function viewBytes(value) {
  const { typed, view } = builtins();
  const [buffer, offset, length] = is(typed[2], value) ? typed : view;
  return new Uint8Array(buffer.call(value), offset.call(value), length.call(value));
}

export function plainBlob(blob) {
  return new Blob([blob]);
}
"#)]
extern "C" {
    /// What `value` is, by the browser's own brand checks (captured when the module loads, so that neither a
    /// Proxy nor an overridden getter can fake or change it): `"text"`, `"buffer"`, `"view"`, `"blob"`, or `""`.
    /// No caller code runs.
    #[wasm_bindgen(js_name = sendKind)]
    fn send_kind(value: &JsValue) -> String;

    /// The bytes a typed array or `DataView` looks at, read through the built-in getters (a subclass's lying
    /// `byteLength` is not asked). Throws for a detached buffer.
    #[wasm_bindgen(catch, js_name = viewBytes)]
    fn checked_view_bytes(view: &JsValue) -> Result<Uint8Array, JsValue>;

    /// A plain `Blob` with the same bytes (no copy): code that reads its `size` later runs no getter of the
    /// caller's.
    #[wasm_bindgen(catch, js_name = plainBlob)]
    fn plain_blob(blob: &JsValue) -> Result<Blob, JsValue>;
}

/// Data to send, as the browser takes it.
pub(crate) enum SendData {
    /// A text message, kept a JS string: the direct send hands it to the browser without passing it through
    /// Wasm memory as UTF-8.
    Text(JsString),
    /// An `ArrayBuffer`.
    Buffer(ArrayBuffer),
    /// Any `ArrayBufferView`: a typed array or a `DataView`.
    View(Object),
    /// A `Blob` (or `File`).
    Blob(Blob),
}

impl SendData {
    /// Reads `send`'s argument: a string, an `ArrayBuffer`, an `ArrayBufferView` or a `Blob`, told apart by
    /// the browser's brand checks, so no code of the caller's runs (a Proxy is none of them).
    pub(crate) fn new(value: &JsValue) -> Result<Self, JsValue> {
        let value = value.clone();
        Ok(match send_kind(&value).as_str() {
            "text" => Self::Text(value.unchecked_into()),
            "buffer" => Self::Buffer(value.unchecked_into()),
            "view" => Self::View(value.unchecked_into()),
            "blob" => Self::Blob(value.unchecked_into()),
            _ => {
                return Err(type_error(
                    "the data must be a string, an ArrayBuffer, an ArrayBufferView (e.g. a Uint8Array) or a \
                     Blob",
                ))
            }
        })
    }

    /// The value to hand to the browser's `send` as it is.
    pub(crate) fn as_value(&self) -> &JsValue {
        match self {
            Self::Text(text) => text,
            Self::Buffer(buffer) => buffer,
            Self::View(view) => view,
            Self::Blob(blob) => blob,
        }
    }

    /// As a [`Message`], read now so that no caller code runs later (binary data is copied into Wasm memory, a
    /// Blob replaced by a plain one). Throws for a view of a detached buffer.
    pub(crate) fn into_message(self) -> Result<Message, JsValue> {
        Ok(match self {
            Self::Text(text) => Message::Text(text.into()),
            Self::Buffer(buffer) => Message::Binary(crate::message::buffer_bytes(&buffer)),
            Self::View(view) => {
                Message::Binary(crate::message::bytes_of(&checked_view_bytes(&view)?))
            }
            Self::Blob(blob) => Message::Blob(plain_blob(&blob)?),
        })
    }
}

/// A received or queued [`Message`] as JS data: text as a string, bytes as an `ArrayBuffer` (a copy), a Blob as
/// itself.
pub(crate) fn message_data(message: &Message) -> JsValue {
    match message {
        Message::Text(text) => JsValue::from_str(text),
        Message::Binary(bytes) => Uint8Array::from(bytes.as_slice()).buffer().into(),
        Message::Blob(blob) => blob.clone().into(),
    }
}
