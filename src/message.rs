//! Messages and their payloads.

use std::fmt;

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    /// `Uint8Array.prototype.set.call(target, source)`: copies `source` into `target`, a view of Wasm memory.
    #[wasm_bindgen(js_namespace = Uint8Array, js_name = "prototype.set.call")]
    fn copy_into(target: &mut [u8], source: &Uint8Array);
}

/// The bytes of a JS array, copied into Wasm memory. Not js-sys' `to_vec`: it reads the length twice and
/// asserts that both agree, and that assertion's message linked the `Debug` formatting of integers into every
/// app that can receive a binary message (about 1.1 KB of Wasm).
pub(crate) fn bytes_of(array: &Uint8Array) -> Vec<u8> {
    let mut bytes = vec![0; array.length() as usize];
    copy_into(&mut bytes, array);
    bytes
}

/// The bytes of an `ArrayBuffer`, copied into Wasm memory.
pub(crate) fn buffer_bytes(buffer: &JsValue) -> Vec<u8> {
    bytes_of(&Uint8Array::new(buffer))
}

/// The bytes a browser-made typed array or `DataView` looks at, copied into Wasm memory: read through a
/// `Uint8Array` over the same bytes, not `new Uint8Array(view)`, which would copy once more in JS and convert the
/// elements of any other typed array to bytes one by one.
fn view_bytes(view: &JsValue) -> Vec<u8> {
    // `buffer`, `byteOffset` and `byteLength` are read as properties, which every view has.
    let view = view.unchecked_ref::<Uint8Array>();
    bytes_of(&Uint8Array::new_with_byte_offset_and_length(
        &view.buffer(),
        view.byte_offset(),
        view.byte_length(),
    ))
}

/// One WebSocket message, sent or received.
///
/// What a received binary message becomes depends on the socket's [`BinaryType`](crate::BinaryType):
/// [`Message::Blob`] in `Blob` mode (the browser default), [`Message::Binary`] in `ArrayBuffer` mode.
#[derive(Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message, as bytes.
    Binary(Vec<u8>),
    /// A binary message, as a browser `Blob` (read it asynchronously, or draw it with the canvas helpers).
    Blob(web_sys::Blob),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// A binary message.
    pub fn binary(bytes: impl Into<Vec<u8>>) -> Self {
        Self::Binary(bytes.into())
    }

    /// Whether this is a text message.
    pub fn is_text(&self) -> bool {
        matches!(self, Self::Text(_))
    }

    /// Whether this is a binary message held as bytes.
    pub fn is_binary(&self) -> bool {
        matches!(self, Self::Binary(_))
    }

    /// Whether this is a binary message held as a `Blob`.
    pub fn is_blob(&self) -> bool {
        matches!(self, Self::Blob(_))
    }

    /// The text, if this is a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The bytes, if this is a binary message held as bytes.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Binary(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The text, if this is a text message or a binary one holding valid UTF-8; otherwise the message back.
    pub fn into_text(self) -> Result<String, Self> {
        match self {
            Self::Text(text) => Ok(text),
            Self::Binary(bytes) => {
                String::from_utf8(bytes).map_err(|e| Self::Binary(e.into_bytes()))
            }
            blob @ Self::Blob(_) => Err(blob),
        }
    }

    /// The payload as bytes (UTF-8 for text); a `Blob` is handed back, since reading it is asynchronous.
    pub fn into_data(self) -> Result<Vec<u8>, Self> {
        match self {
            Self::Text(text) => Ok(text.into_bytes()),
            Self::Binary(bytes) => Ok(bytes),
            blob @ Self::Blob(_) => Err(blob),
        }
    }

    /// The payload's size in bytes (UTF-8 bytes for text).
    pub fn len(&self) -> usize {
        match self {
            Self::Text(text) => text.len(),
            Self::Binary(bytes) => bytes.len(),
            // A Blob's size is a double; it is at most what the tab could receive, far below usize::MAX on wasm64
            // and practically on wasm32.
            Self::Blob(blob) => blob.size() as usize,
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads the data of a trusted `message` event of a `WebSocket`: a string, an `ArrayBuffer`, or else a
    /// `Blob`, the only three types the browser delivers there.
    pub(crate) fn from_socket_data(data: JsValue) -> Self {
        if let Some(text) = data.as_string() {
            return Self::Text(text);
        }
        match data.dyn_into::<ArrayBuffer>() {
            Ok(buffer) => Self::Binary(buffer_bytes(&buffer)),
            Err(blob) => Self::Blob(blob.unchecked_into()),
        }
    }

    /// Reads a received value whose type the browser does not pin down, such as a `WebSocketStream` chunk: a
    /// string, an `ArrayBuffer`, a `Blob`, or the bytes of a typed array; anything else as its string form
    /// (JavaScript's `String(data)`), so nothing is dropped and nothing panics. (A `WebSocket`'s own `message`
    /// events are read by [`from_socket_data`](Self::from_socket_data).)
    pub(crate) fn from_event_data(data: JsValue) -> Self {
        if let Some(text) = data.as_string() {
            return Self::Text(text);
        }
        let data = match data.dyn_into::<ArrayBuffer>() {
            Ok(buffer) => return Self::Binary(buffer_bytes(&buffer)),
            Err(data) => data,
        };
        match data.dyn_into::<web_sys::Blob>() {
            Ok(blob) => Self::Blob(blob),
            Err(other) if other.is_object() && ArrayBuffer::is_view(&other) => {
                Self::Binary(view_bytes(&other))
            }
            Err(other) => Self::Text(crate::error::js_string(&other)),
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Binary(bytes)
    }
}

impl From<&[u8]> for Message {
    fn from(bytes: &[u8]) -> Self {
        Self::Binary(bytes.to_vec())
    }
}

impl From<web_sys::Blob> for Message {
    fn from(blob: web_sys::Blob) -> Self {
        Self::Blob(blob)
    }
}

/// Text in full; binary payloads as their length and first bytes, so a large message does not flood a log.
impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => f.debug_tuple("Text").field(text).finish(),
            Self::Binary(bytes) => {
                let shown = bytes.get(..DEBUG_BYTES).unwrap_or(bytes);
                write!(f, "Binary({} bytes: {shown:02x?}", bytes.len())?;
                f.write_str(if shown.len() < bytes.len() {
                    " ...)"
                } else {
                    ")"
                })
            }
            Self::Blob(blob) => write!(f, "Blob({} bytes)", blob.size()),
        }
    }
}

/// How many bytes of a binary message `Debug` shows.
const DEBUG_BYTES: usize = 16;

/// Text as itself; binary payloads as their length, since they are rarely printable.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => f.write_str(text),
            Self::Binary(bytes) => write!(f, "<binary, {} bytes>", bytes.len()),
            Self::Blob(_) => write!(f, "<blob, {} bytes>", self.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_and_predicates_agree() {
        let text = Message::text("héllo");
        assert!(text.is_text() && !text.is_binary() && !text.is_blob());
        assert_eq!(text.as_text(), Some("héllo"));
        assert_eq!(text.len(), 6);
        assert_eq!(text.as_bytes(), None);

        let binary = Message::binary([1u8, 2, 3]);
        assert!(binary.is_binary() && !binary.is_text());
        assert_eq!(binary.as_bytes(), Some(&[1u8, 2, 3][..]));
        assert_eq!(binary, Message::from(vec![1u8, 2, 3]));
        assert_eq!(Message::from(&[1u8][..]), Message::Binary(vec![1]));
        assert!(Message::from("").is_empty());
    }

    #[test]
    fn into_text_and_into_data_convert_or_hand_back() {
        assert_eq!(Message::text("hé").into_text(), Ok("hé".to_owned()));
        assert_eq!(Message::binary(*b"ok").into_text(), Ok("ok".to_owned()));
        assert_eq!(
            Message::binary(vec![0xff]).into_text(),
            Err(Message::binary(vec![0xff])),
            "invalid UTF-8 is handed back whole"
        );
        assert_eq!(
            Message::text("hé").into_data(),
            Ok("hé".as_bytes().to_vec())
        );
        assert_eq!(Message::binary([1u8, 2]).into_data(), Ok(vec![1, 2]));
    }

    #[test]
    fn debug_of_a_large_binary_message_shows_its_length_and_first_bytes() {
        let big = format!("{:?}", Message::binary(vec![0xab; 1 << 20]));
        assert!(big.starts_with("Binary(1048576 bytes: [ab, ab,"), "{big}");
        assert!(big.ends_with(" ...)") && big.len() < 120, "{big}");
        assert_eq!(
            format!("{:?}", Message::binary([1u8, 2])),
            "Binary(2 bytes: [01, 02])"
        );
        assert_eq!(format!("{:?}", Message::text("a")), "Text(\"a\")");
    }

    #[test]
    fn display_prints_text_and_binary_length() {
        assert_eq!(Message::from("hi").to_string(), "hi");
        assert_eq!(Message::binary(vec![0; 5]).to_string(), "<binary, 5 bytes>");
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    //! Covers: received values become messages with the bytes they hold: an `ArrayBuffer` whole, a view only
    //! the bytes it looks at (not its elements converted to bytes), a string as text, a `Blob` as a `Blob`.

    use js_sys::{DataView, Float32Array};
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn received_values_keep_their_bytes() {
        let buffer = Uint8Array::from(&[1u8, 2, 3, 4, 5, 6, 7, 8][..]).buffer();
        let from = |value: &JsValue| Message::from_event_data(value.clone());
        assert_eq!(from(&buffer), Message::Binary(vec![1, 2, 3, 4, 5, 6, 7, 8]));
        assert_eq!(
            Message::from_socket_data(buffer.clone().into()),
            Message::Binary(vec![1, 2, 3, 4, 5, 6, 7, 8])
        );
        let middle = Uint8Array::new_with_byte_offset_and_length(&buffer, 2, 3);
        assert_eq!(from(&middle), Message::Binary(vec![3, 4, 5]));
        let dataview = DataView::new(&buffer, 6, 2);
        assert_eq!(from(&dataview), Message::Binary(vec![7, 8]));
        // 1.5 as a little-endian f32 is 00 00 c0 3f; `new Uint8Array(floats)` would give [1].
        let floats = Float32Array::from(&[1.5f32][..]);
        assert_eq!(from(&floats), Message::Binary(vec![0, 0, 0xc0, 0x3f]));
        assert_eq!(from(&JsValue::from_str("hé")), Message::text("hé"));
        let blob = web_sys::Blob::new().expect("a Blob");
        assert!(matches!(from(&blob), Message::Blob(_)));
    }
}
