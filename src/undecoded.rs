//! A received message that could not be decoded, kept whole inside [`Error::Decode`](crate::Error::Decode):
//! shared by the typed layer's codecs and the JSON-RPC engine (features `typed` and `js`).

use std::fmt;

use crate::message::Message;
use crate::quoted::Quoted;

/// Why a Blob message cannot be decoded.
pub(crate) const BLOB_MESSAGE: &str =
    "a Blob cannot be decoded synchronously: receive binary messages as bytes (BinaryDelivery::Bytes or BlobBytes)";

/// A received message that could not be decoded, as carried by [`Error::Decode`](crate::Error::Decode): the
/// text or bytes themselves (an `Error` keeps no JS object, so a `Blob` is described by its size; typed layers
/// want [`BinaryDelivery::Bytes`](crate::connection::BinaryDelivery::Bytes), the default, or `BlobBytes`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Undecoded {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// A binary message received as a `Blob`, of this many bytes.
    Blob {
        /// The Blob's size.
        size: u64,
    },
}

impl Undecoded {
    /// The message again, to handle it untyped; `None` for a Blob.
    pub fn into_message(self) -> Option<Message> {
        match self {
            Self::Text(text) => Some(Message::Text(text)),
            Self::Binary(bytes) => Some(Message::Binary(bytes)),
            Self::Blob { .. } => None,
        }
    }
}

impl From<Message> for Undecoded {
    fn from(message: Message) -> Self {
        match message {
            Message::Text(text) => Self::Text(text),
            Message::Binary(bytes) => Self::Binary(bytes),
            // A Blob's size is a whole number of bytes held in a double.
            Message::Blob(blob) => Self::Blob {
                size: blob.size() as u64,
            },
        }
    }
}

/// How many characters of a text `Display` shows.
const DISPLAY_CHARS: usize = 64;

/// Text as its first characters, in quotes; binary as its length.
impl fmt::Display for Undecoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => match text.char_indices().nth(DISPLAY_CHARS) {
                Some((end, _)) => {
                    write!(f, "text {}...", Quoted(text.get(..end).unwrap_or_default()))
                }
                None => write!(f, "text {}", Quoted(text)),
            },
            Self::Binary(bytes) => write!(f, "binary, {} bytes", bytes.len()),
            Self::Blob { size } => write!(f, "blob, {size} bytes"),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Covers: `Undecoded`'s Display.

    use super::*;

    #[test]
    fn undecoded_display_is_short() {
        let long = Undecoded::Text("é".repeat(100));
        let shown = long.to_string();
        assert!(
            shown.ends_with("...") && shown.chars().count() < 80,
            "{shown}"
        );
        assert_eq!(Undecoded::Binary(vec![0; 3]).to_string(), "binary, 3 bytes");
    }
}
