//! Errors as JS sees them: every [`Error`] variant becomes a real JS `Error` with a distinguishing `name`, a
//! message, and its details as properties. This is the one place that maps variants to names.
//!
//! Bad arguments get the JS built-ins: a `TypeError` for a value of the wrong type, a `RangeError` for a number
//! out of range. A close code a client may not send is an `InvalidCloseCodeError` whatever number it is (NaN,
//! 1.5, 70000 included): nothing is truncated or rounded on the way to Rust.

use js_sys::Reflect;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::close::CloseEvent;
use crate::error::Error;
use crate::js::cause;
use crate::safe_integer::safe_integer;
use crate::timer::millis_f64;

#[wasm_bindgen(inline_js = r#"
const NAMES = [
  "InvalidUrlError", "InvalidProtocolError", "SecurityError", "InvalidCloseCodeError", "CloseReasonTooLongError",
  "NotOpenError", "ConnectionClosedError", "ReceiveOverflowError", "ConnectTimeoutError", "ImageTooLargeError",
  "ImageTooManyPixelsError", "ImageDecodeError", "ImageEncodeError", "QueueFullError", "HeartbeatTimeoutError",
  "GaveUpError", "EncodeError", "DecodeError", "RequestTimeoutError", "TooManyRequestsError", "UnknownReplyError",
  "RpcError",
];
const classes = {};
for (const name of NAMES) {
  // A computed key gives each class its own `name` (for stack traces and `Class.name`).
  const Class = { [name]: class extends Error {} }[name];
  Object.defineProperty(Class.prototype, "name", { value: name, writable: true, configurable: true });
  classes[name] = Class;
}
const builtins = { TypeError, RangeError, EvalError, ReferenceError, URIError };
export const {
  InvalidUrlError, InvalidProtocolError, SecurityError, InvalidCloseCodeError, CloseReasonTooLongError,
  NotOpenError, ConnectionClosedError, ReceiveOverflowError, ConnectTimeoutError, ImageTooLargeError,
  ImageTooManyPixelsError, ImageDecodeError, ImageEncodeError, QueueFullError, HeartbeatTimeoutError,
  GaveUpError, EncodeError, DecodeError, RequestTimeoutError, TooManyRequestsError, UnknownReplyError, RpcError,
} = classes;

export function makeError(name, message, cause) {
  // As `new Error(message, { cause })` does: an own, non-enumerable `cause`, only when there is one.
  const options = cause === undefined ? undefined : { cause };
  // The DOM's `SyntaxError` is a `DOMException` of that name, not the built-in class: only a thrown
  // `SyntaxError` (from `JSON.parse` in a callback, say) makes one.
  const syntax = name === "SyntaxError" && cause instanceof SyntaxError ? SyntaxError : undefined;
  const Class = classes[name] ?? builtins[name] ?? syntax;
  if (Class !== undefined) return new Class(message, options);
  const error = new Error(message, options);
  error.name = name;
  return error;
}
"#)]
#[allow(non_snake_case, dead_code)]
extern "C" {
    /// An instance of this package's error class called `name`, of the built-in class called `name`
    /// (`TypeError`, `RangeError`, ...), or else an `Error` whose `name` is `name`; with `cause` unless it is
    /// `undefined`.
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(name: &str, message: &str, cause: &JsValue) -> js_sys::Error;

    // The error classes, exported from the package as they are (`error instanceof NotOpenError`); declared as
    // functions only so that `reexport` can export them (its type form would declare them `unknown` in the
    // d.ts; the custom section in js/mod.rs declares them as classes). Never called from Rust.
    #[wasm_bindgen(reexport, skip_typescript)]
    fn InvalidUrlError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn InvalidProtocolError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn SecurityError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn InvalidCloseCodeError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn CloseReasonTooLongError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn NotOpenError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn ConnectionClosedError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn ReceiveOverflowError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn ConnectTimeoutError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn ImageTooLargeError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn ImageTooManyPixelsError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn ImageDecodeError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn ImageEncodeError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn QueueFullError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn HeartbeatTimeoutError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn GaveUpError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn EncodeError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn DecodeError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn RequestTimeoutError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn TooManyRequestsError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn UnknownReplyError();
    #[wasm_bindgen(reexport, skip_typescript)]
    fn RpcError();
}

/// The `name` of the error for a close code a client may not send.
const INVALID_CLOSE_CODE: &str = "InvalidCloseCodeError";

/// The JS error for `error`: an `Error` whose `name` says which variant it is, with the variant's fields as
/// properties (camelCase, numbers as numbers, durations in milliseconds), and, for an error made from a thrown
/// value, that value as `cause` (the browser's `DOMException`, or what a callback threw).
pub(crate) fn to_js(error: &Error) -> JsValue {
    let cause = match error {
        Error::Browser { name, message } => cause::recall(Some(name), message),
        Error::InvalidUrl { message, .. }
        | Error::Security { message }
        | Error::ImageDecode { message }
        | Error::ImageEncode { message } => cause::recall(None, message),
        _ => None,
    };
    let (name, message, properties) = parts(error);
    let error = JsValue::from(make_error(
        name,
        &message,
        cause.as_ref().unwrap_or(&JsValue::UNDEFINED),
    ));
    for (key, value) in properties {
        set(&error, key, &value);
    }
    error
}

/// The name, message and properties of the JS error for `error`.
fn parts(error: &Error) -> (&str, String, Vec<(&'static str, JsValue)>) {
    let number = |value: u64| JsValue::from_f64(value as f64);
    let (name, properties): (&str, Vec<(&'static str, JsValue)>) = match error {
        Error::InvalidUrl { url, .. } => ("InvalidUrlError", vec![("url", url.into())]),
        Error::InvalidProtocol { protocol, .. } => {
            ("InvalidProtocolError", vec![("protocol", protocol.into())])
        }
        Error::Security { .. } => ("SecurityError", vec![]),
        Error::InvalidCloseCode(code) => (INVALID_CLOSE_CODE, vec![("code", (*code).into())]),
        Error::CloseReasonTooLong { len } => (
            "CloseReasonTooLongError",
            vec![("byteLength", number(*len as u64))],
        ),
        Error::NotOpen(state) => ("NotOpenError", vec![("readyState", state.to_dom().into())]),
        Error::Closed(close) => ("ConnectionClosedError", close_properties(close)),
        Error::ReceiveOverflow { capacity } => (
            "ReceiveOverflowError",
            vec![("capacity", number(*capacity as u64))],
        ),
        Error::ConnectTimeout { after } => (
            "ConnectTimeoutError",
            vec![("timeout", JsValue::from_f64(millis_f64(*after)))],
        ),
        Error::ImageTooLarge { bytes, limit } => (
            "ImageTooLargeError",
            vec![("bytes", number(*bytes)), ("limit", number(*limit))],
        ),
        Error::ImageTooManyPixels {
            width,
            height,
            limit,
        } => (
            "ImageTooManyPixelsError",
            vec![
                ("width", (*width).into()),
                ("height", (*height).into()),
                ("limit", number(*limit)),
            ],
        ),
        Error::ImageDecode { .. } => ("ImageDecodeError", vec![]),
        Error::ImageEncode { .. } => ("ImageEncodeError", vec![]),
        Error::QueueFull { messages, bytes } => (
            "QueueFullError",
            vec![
                ("maxMessages", number(*messages as u64)),
                ("maxBytes", number(*bytes as u64)),
            ],
        ),
        Error::HeartbeatTimeout => ("HeartbeatTimeoutError", vec![]),
        Error::GaveUp => ("GaveUpError", vec![]),
        Error::Encode { .. } => ("EncodeError", vec![]),
        Error::Decode { raw, .. } => ("DecodeError", vec![("data", undecoded_data(raw))]),
        Error::RequestTimeout { id, after } => (
            "RequestTimeoutError",
            vec![
                ("id", number(*id)),
                ("timeout", JsValue::from_f64(millis_f64(*after))),
            ],
        ),
        Error::TooManyRequests { limit } => (
            "TooManyRequestsError",
            vec![("limit", number(*limit as u64))],
        ),
        Error::UnknownReply { id, raw } => (
            "UnknownReplyError",
            vec![
                ("id", id.map_or(JsValue::NULL, number)),
                ("data", raw.into()),
            ],
        ),
        Error::Rpc {
            code,
            message,
            data,
        } => {
            let data = data
                .as_deref()
                .and_then(|data| js_sys::JSON::parse(data).ok())
                .unwrap_or(JsValue::UNDEFINED);
            let properties = vec![("code", JsValue::from_f64(*code as f64)), ("data", data)];
            return ("RpcError", message.clone(), properties);
        }
        // The JS API offers no transport choice, so this cannot come from it; the DOM's own name if it ever does.
        Error::Unsupported { .. } => ("NotSupportedError", vec![]),
        // Whatever the browser threw keeps its own name (`SyntaxError`, `InvalidStateError`, ...) and message.
        Error::Browser { name, message } => return (name, message.clone(), vec![]),
    };
    (name, error.to_string(), properties)
}

/// A message that could not be decoded, as JS data: a string, an `ArrayBuffer`, or `null` for a Blob (only its
/// size is kept).
fn undecoded_data(raw: &crate::undecoded::Undecoded) -> JsValue {
    match raw.clone().into_message() {
        Some(message) => crate::js::args::message_data(&message),
        None => JsValue::NULL,
    }
}

/// The close event's fields as error properties: `code`, `reason`, `wasClean`.
fn close_properties(close: &CloseEvent) -> Vec<(&'static str, JsValue)> {
    vec![
        ("code", close.code.code().into()),
        ("reason", close.reason.as_str().into()),
        ("wasClean", close.was_clean.into()),
    ]
}

/// An error called `name`, with `message` and the given properties: an instance of the package's exported class
/// of that name (a subclass of `Error`), of the built-in class (`TypeError`, `RangeError`, ...), or else an
/// `Error` with that `name`.
pub(crate) fn named(name: &str, message: &str, properties: &[(&str, JsValue)]) -> JsValue {
    let error = JsValue::from(make_error(name, message, &JsValue::UNDEFINED));
    for (key, value) in properties {
        set(&error, key, value);
    }
    error
}

/// Sets a property; on a plain object or an error this cannot fail.
pub(crate) fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// Reports an exception thrown by a user's callback the way the browser reports one thrown by an event listener
/// (the global `reportError`, which fires the `error` event and logs it), since there is no caller to throw to.
pub(crate) fn report_error(exception: &JsValue) {
    let report = Reflect::get(&js_sys::global(), &JsValue::from_str("reportError"));
    if let Ok(report) = report.and_then(|f| f.dyn_into::<js_sys::Function>()) {
        let _ = report.call1(&JsValue::UNDEFINED, exception);
    }
}

/// A `TypeError`: an argument of the wrong type.
pub(crate) fn type_error(message: &str) -> JsValue {
    // `js_sys::TypeError` directly: no lookup by name needed.
    js_sys::TypeError::new(message).into()
}

/// A `RangeError`: a number out of range.
pub(crate) fn range_error(message: &str) -> JsValue {
    js_sys::RangeError::new(message).into()
}

/// A number as JS writes it (`String(n)`: `1e+21`, `NaN`, `Infinity`), which is what a JS caller expects in a
/// message, and which spares the package Rust's float formatting (about 15 KB of Wasm).
pub(crate) fn js_number(number: f64) -> String {
    js_sys::Number::from(number)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// `InvalidCloseCodeError` for a number that is not even a `u16` (NaN, negative, fractional, too large); the
/// `code` property is the number as given.
pub(crate) fn invalid_close_code(code: f64) -> JsValue {
    if let Some(code) = exact_u16(code) {
        return to_js(&Error::InvalidCloseCode(code));
    }
    named(
        INVALID_CLOSE_CODE,
        &format!(
            "close code {} cannot be sent by a client (allowed: 1000 and 3000..=4999)",
            js_number(code)
        ),
        &[("code", JsValue::from_f64(code))],
    )
}

/// The number as a `u16`, if it is one exactly.
pub(crate) fn exact_u16(value: f64) -> Option<u16> {
    safe_integer(value).and_then(|value| u16::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_u16_values_convert() {
        assert_eq!(exact_u16(1000.0), Some(1000));
        assert_eq!(exact_u16(0.0), Some(0));
        assert_eq!(exact_u16(65535.0), Some(65535));
        for bad in [f64::NAN, -1.0, 1.5, 65536.0, 70000.0, f64::INFINITY] {
            assert_eq!(exact_u16(bad), None, "{bad}");
        }
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    //! Covers: every `Error` variant maps to a real JS `Error` with its own `name`, its message, and its fields
    //! as properties (a JSON-RPC error: the server's message, and `data` parsed); the browser's exceptions keep
    //! their name; numbers in messages are written as JS writes them.

    use std::collections::HashSet;
    use std::time::Duration;

    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::*;
    use crate::close::CloseCode;
    use crate::state::ReadyState;

    wasm_bindgen_test_configure!(run_in_browser);

    /// An error, the name it must get, and the properties it must have.
    type Case = (Error, &'static str, Vec<(&'static str, JsValue)>);

    fn get(value: &JsValue, key: &str) -> JsValue {
        // A missing property reads as undefined, which the assertions then report.
        Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    #[wasm_bindgen_test]
    fn every_variant_has_a_name_a_message_and_its_fields() {
        let number = JsValue::from_f64;
        let cases: Vec<Case> = vec![
            (
                Error::InvalidUrl {
                    url: "x".into(),
                    message: "bad".into(),
                },
                "InvalidUrlError",
                vec![("url", "x".into())],
            ),
            (
                Error::InvalidProtocol {
                    protocol: "a b".into(),
                    message: "bad".into(),
                },
                "InvalidProtocolError",
                vec![("protocol", "a b".into())],
            ),
            (
                Error::Security {
                    message: "port".into(),
                },
                "SecurityError",
                vec![],
            ),
            (
                Error::InvalidCloseCode(1005),
                "InvalidCloseCodeError",
                vec![("code", number(1005.0))],
            ),
            (
                Error::CloseReasonTooLong { len: 124 },
                "CloseReasonTooLongError",
                vec![("byteLength", number(124.0))],
            ),
            (
                Error::NotOpen(ReadyState::Closing),
                "NotOpenError",
                vec![("readyState", number(2.0))],
            ),
            (
                Error::Closed(CloseEvent {
                    code: CloseCode::ABNORMAL_CLOSURE,
                    reason: "gone".into(),
                    was_clean: false,
                }),
                "ConnectionClosedError",
                vec![
                    ("code", number(1006.0)),
                    ("reason", "gone".into()),
                    ("wasClean", false.into()),
                ],
            ),
            (
                Error::ReceiveOverflow { capacity: 3 },
                "ReceiveOverflowError",
                vec![("capacity", number(3.0))],
            ),
            (
                Error::ConnectTimeout {
                    after: Duration::from_millis(1500),
                },
                "ConnectTimeoutError",
                vec![("timeout", number(1500.0))],
            ),
            (
                Error::ImageTooLarge {
                    bytes: 10,
                    limit: 5,
                },
                "ImageTooLargeError",
                vec![("bytes", number(10.0)), ("limit", number(5.0))],
            ),
            (
                Error::ImageTooManyPixels {
                    width: 4,
                    height: 3,
                    limit: 10,
                },
                "ImageTooManyPixelsError",
                vec![
                    ("width", number(4.0)),
                    ("height", number(3.0)),
                    ("limit", number(10.0)),
                ],
            ),
            (
                Error::ImageDecode {
                    message: "no".into(),
                },
                "ImageDecodeError",
                vec![],
            ),
            (
                Error::ImageEncode {
                    message: "no".into(),
                },
                "ImageEncodeError",
                vec![],
            ),
            (
                Error::QueueFull {
                    messages: 10,
                    bytes: 100,
                },
                "QueueFullError",
                vec![("maxMessages", number(10.0)), ("maxBytes", number(100.0))],
            ),
            (Error::HeartbeatTimeout, "HeartbeatTimeoutError", vec![]),
            (Error::GaveUp, "GaveUpError", vec![]),
            (
                Error::Encode {
                    message: "a cycle".into(),
                },
                "EncodeError",
                vec![],
            ),
            (
                Error::Decode {
                    raw: crate::undecoded::Undecoded::Text("{".into()),
                    message: "EOF".into(),
                },
                "DecodeError",
                vec![("data", "{".into())],
            ),
            (
                Error::RequestTimeout {
                    id: 7,
                    after: Duration::from_millis(250),
                },
                "RequestTimeoutError",
                vec![("id", number(7.0)), ("timeout", number(250.0))],
            ),
            (
                Error::TooManyRequests { limit: 4 },
                "TooManyRequestsError",
                vec![("limit", number(4.0))],
            ),
            (
                Error::UnknownReply {
                    id: Some(3),
                    raw: "r".into(),
                },
                "UnknownReplyError",
                vec![("id", number(3.0)), ("data", "r".into())],
            ),
            (
                Error::Unsupported {
                    feature: "WebSocketStream".into(),
                },
                "NotSupportedError",
                vec![],
            ),
        ];
        let mut names = HashSet::new();
        for (error, name, properties) in cases {
            let js = to_js(&error);
            assert!(js.is_instance_of::<js_sys::Error>(), "{name}");
            assert_eq!(get(&js, "name").as_string().as_deref(), Some(name));
            assert_eq!(get(&js, "message").as_string(), Some(error.to_string()));
            for (key, value) in properties {
                assert!(js_sys::Object::is(&get(&js, key), &value), "{name}.{key}");
            }
            assert!(names.insert(name), "{name} is used twice");
        }
        // A JSON-RPC error keeps the server's message, and its `data` as the JSON it was.
        let rpc = to_js(&Error::Rpc {
            code: -32601,
            message: "Method not found".into(),
            data: Some(r#"{"m":1}"#.into()),
        });
        assert!(rpc.is_instance_of::<js_sys::Error>());
        assert_eq!(get(&rpc, "name").as_string().as_deref(), Some("RpcError"));
        assert_eq!(
            get(&rpc, "message").as_string().as_deref(),
            Some("Method not found")
        );
        assert_eq!(get(&rpc, "code").as_f64(), Some(-32601.0));
        assert_eq!(get(&get(&rpc, "data"), "m").as_f64(), Some(1.0));
        let browser = to_js(&Error::Browser {
            name: "InvalidStateError".into(),
            message: "busy".into(),
        });
        assert_eq!(
            get(&browser, "name").as_string().as_deref(),
            Some("InvalidStateError")
        );
        assert_eq!(
            get(&browser, "message").as_string().as_deref(),
            Some("busy")
        );
    }

    #[wasm_bindgen_test]
    fn close_codes_out_of_u16_keep_the_value_given() {
        for (code, written) in [
            (f64::NAN, "NaN"),
            (-1.0, "-1"),
            (1.5, "1.5"),
            (70000.0, "70000"),
            (1e21, "1e+21"),
        ] {
            let js = invalid_close_code(code);
            assert_eq!(
                get(&js, "name").as_string().as_deref(),
                Some(INVALID_CLOSE_CODE)
            );
            assert!(js_sys::Object::is(
                &get(&js, "code"),
                &JsValue::from_f64(code)
            ));
            // The number as JS writes it.
            let message = get(&js, "message").as_string().unwrap_or_default();
            assert!(
                message.starts_with(&format!("close code {written} cannot")),
                "{message}"
            );
        }
    }
}
