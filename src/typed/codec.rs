//! Codecs: how a value becomes a [`Message`] and back. [`Json`] is built in; a binary codec (CBOR, MessagePack,
//! ...) is one more type implementing [`Codec`], with no new stream, sink or error types.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Error;
use crate::message::Message;
use crate::undecoded::{Undecoded, BLOB_MESSAGE};

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
    //! errors, and `Undecoded`'s way back to a `Message`.

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
}
