//! Codecs: how a value becomes a [`Message`] and back. [`Json`] is built in; a binary codec (CBOR, MessagePack,
//! ...) is one more type implementing [`Codec`], with no new stream, sink or error types.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Error;
use crate::message::Message;

/// Turns values into messages and messages into values.
///
/// Implement it on a unit type and pass it as the `C` parameter of [`Typed`](crate::typed::Typed). Encoding
/// fails with [`Error::Encode`]; decoding with [`Error::Decode`], which must carry the message
/// ([`Undecoded::from`]) so that nothing is lost.
///
/// ```
/// use browser_ws::typed::{Codec, Undecoded};
/// use browser_ws::{Error, Message};
///
/// /// Values as JSON in binary frames.
/// struct BinaryJson;
///
/// impl Codec for BinaryJson {
///     fn encode<T: serde::Serialize + ?Sized>(value: &T) -> Result<Message, Error> {
///         serde_json::to_vec(value)
///             .map(Message::Binary)
///             .map_err(|e| Error::Encode { message: e.to_string() })
///     }
///
///     fn decode<T: serde::de::DeserializeOwned>(message: Message) -> Result<T, Error> {
///         let decoded = match &message {
///             Message::Binary(bytes) => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
///             _ => Err("expected a binary message".to_owned()),
///         };
///         decoded.map_err(|reason| Error::Decode { raw: Undecoded::from(message), message: reason })
///     }
/// }
/// ```
pub trait Codec {
    /// The message for `value`.
    fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Message, Error>;

    /// The value in `message`; on failure, [`Error::Decode`] with the message in it.
    fn decode<T: DeserializeOwned>(message: Message) -> Result<T, Error>;
}

/// JSON in text frames, with `serde_json`. Decoding also takes a binary message holding UTF-8 JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Json;

impl Codec for Json {
    fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Message, Error> {
        serde_json::to_string(value)
            .map(Message::Text)
            .map_err(|e| Error::Encode {
                message: e.to_string(),
            })
    }

    fn decode<T: DeserializeOwned>(message: Message) -> Result<T, Error> {
        let decoded = match &message {
            Message::Text(text) => serde_json::from_str(text).map_err(|e| e.to_string()),
            Message::Binary(bytes) => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
            Message::Blob(_) => Err(BLOB_MESSAGE.to_owned()),
        };
        decoded.map_err(|message_error| Error::Decode {
            raw: Undecoded::from(message),
            message: message_error,
        })
    }
}

/// Why a Blob message cannot be decoded.
pub(crate) const BLOB_MESSAGE: &str =
    "a Blob cannot be decoded synchronously: receive binary messages as bytes (BinaryDelivery::Bytes or BlobBytes)";

/// A received message that could not be decoded, as carried by [`Error::Decode`]: the text or bytes themselves
/// (an `Error` keeps no JS object, so a `Blob` is described by its size; typed layers want
/// [`BinaryDelivery::Bytes`](crate::connection::BinaryDelivery::Bytes), the default, or `BlobBytes`).
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
                Some((end, _)) => write!(f, "text {:?}...", text.get(..end).unwrap_or_default()),
                None => write!(f, "text {text:?}"),
            },
            Self::Binary(bytes) => write!(f, "binary, {} bytes", bytes.len()),
            Self::Blob { size } => write!(f, "blob, {size} bytes"),
        }
    }
}

impl Message {
    /// A text message holding `value` as JSON; [`Error::Encode`] if it cannot be (a map with non-string keys,
    /// a `Serialize` implementation that fails). Feature `typed`.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        Json::encode(value)
    }

    /// The JSON in this message (text, or binary holding UTF-8) as a `T`; [`Error::Decode`], carrying a copy of
    /// the message, if it is not JSON of that shape. Feature `typed`.
    pub fn decode_json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let decoded = match self {
            Self::Text(text) => serde_json::from_str(text),
            Self::Binary(bytes) => serde_json::from_slice(bytes),
            Self::Blob(_) => {
                return Err(Error::Decode {
                    raw: Undecoded::from(self.clone()),
                    message: BLOB_MESSAGE.to_owned(),
                })
            }
        };
        decoded.map_err(|e| Error::Decode {
            raw: Undecoded::from(self.clone()),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    //! Covers: JSON encode and decode of text and binary messages, decode errors carrying the message, encode
    //! errors, `Undecoded`'s Display and its way back to a `Message`.

    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn json_round_trips_and_reports_what_it_cannot_decode() {
        let message = Message::json(&vec![1, 2, 3]).unwrap();
        assert_eq!(message, Message::text("[1,2,3]"));
        assert_eq!(message.decode_json::<Vec<u8>>(), Ok(vec![1, 2, 3]));
        assert_eq!(
            Json::decode::<Vec<u8>>(Message::binary(*b"[4]")),
            Ok(vec![4])
        );
        let error = Message::text("nope").decode_json::<u32>().unwrap_err();
        let Error::Decode { raw, message } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(*raw, Undecoded::Text("nope".into()));
        assert!(message.contains("expected"), "{message}");
        assert_eq!(raw.clone().into_message(), Some(Message::text("nope")));
        assert!(error.to_string().contains("text \"nope\""), "{error}");
        assert!(matches!(
            Json::decode::<String>(Message::binary(vec![0xff])),
            Err(Error::Decode { raw: Undecoded::Binary(bytes), .. }) if bytes == [0xff]
        ));
    }

    #[test]
    fn encode_errors_are_reported() {
        let mut map = BTreeMap::new();
        map.insert(vec![1u8], 1);
        assert!(matches!(Message::json(&map), Err(Error::Encode { .. })));
    }

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
