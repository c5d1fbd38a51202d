//! Messages and their payloads.

use std::fmt;

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// One WebSocket message, sent or received.
///
/// What a received binary message becomes depends on the socket's [`BinaryType`](crate::BinaryType):
/// [`Message::Blob`] in `Blob` mode (the browser default), [`Message::Binary`] in `ArrayBuffer` mode.
#[derive(Debug, Clone, PartialEq, Eq)]
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

    /// Reads a received `MessageEvent.data`: a string, an `ArrayBuffer` or a `Blob`. Anything else (no browser
    /// sends it) is read as the bytes of a typed array if it is one, or as its string form, so nothing is dropped.
    pub(crate) fn from_event_data(data: JsValue) -> Self {
        if let Some(text) = data.as_string() {
            return Self::Text(text);
        }
        let data = match data.dyn_into::<ArrayBuffer>() {
            Ok(buffer) => return Self::Binary(Uint8Array::new(&buffer).to_vec()),
            Err(data) => data,
        };
        match data.dyn_into::<web_sys::Blob>() {
            Ok(blob) => Self::Blob(blob),
            Err(other) if other.is_object() && ArrayBuffer::is_view(&other) => {
                Self::Binary(Uint8Array::new(&other).to_vec())
            }
            Err(other) => Self::Text(String::from(js_sys::JsString::from(other))),
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
    fn display_prints_text_and_binary_length() {
        assert_eq!(Message::from("hi").to_string(), "hi");
        assert_eq!(Message::binary(vec![0; 5]).to_string(), "<binary, 5 bytes>");
    }
}
