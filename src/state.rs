//! The socket's ready state and binary type, as enums over the DOM's values.

use std::fmt;

use crate::error::Error;
use crate::quoted::Quoted;

/// The state of a connection, from
/// [`WebSocket.readyState`](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/readyState).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadyState {
    /// The connection is not yet open.
    Connecting,
    /// The connection is open: messages can be sent.
    Open,
    /// The closing handshake has started.
    Closing,
    /// The connection is closed or could not be opened.
    Closed,
}

impl ReadyState {
    /// The state for a DOM `readyState` value. The DOM only has four; any other value is read as `Closed`, the
    /// state in which nothing can be done, rather than trusted.
    pub fn from_dom(value: u16) -> Self {
        match value {
            web_sys::WebSocket::CONNECTING => Self::Connecting,
            web_sys::WebSocket::OPEN => Self::Open,
            web_sys::WebSocket::CLOSING => Self::Closing,
            _ => Self::Closed,
        }
    }

    /// The DOM `readyState` value (`WebSocket.CONNECTING` etc.).
    pub fn to_dom(self) -> u16 {
        match self {
            Self::Connecting => web_sys::WebSocket::CONNECTING,
            Self::Open => web_sys::WebSocket::OPEN,
            Self::Closing => web_sys::WebSocket::CLOSING,
            Self::Closed => web_sys::WebSocket::CLOSED,
        }
    }

    /// The DOM constant's name: `CONNECTING`, `OPEN`, `CLOSING` or `CLOSED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "CONNECTING",
            Self::Open => "OPEN",
            Self::Closing => "CLOSING",
            Self::Closed => "CLOSED",
        }
    }
}

impl fmt::Display for ReadyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How received binary messages are delivered, from
/// [`WebSocket.binaryType`](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/binaryType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BinaryType {
    /// As a `Blob` (the browser's default): the data may stay out of memory; reading it is asynchronous.
    #[default]
    Blob,
    /// As an `ArrayBuffer`: the bytes are available at once, as [`Message::Binary`](crate::Message::Binary).
    ArrayBuffer,
}

impl BinaryType {
    /// The web-sys value.
    pub fn to_dom(self) -> web_sys::BinaryType {
        match self {
            Self::Blob => web_sys::BinaryType::Blob,
            Self::ArrayBuffer => web_sys::BinaryType::Arraybuffer,
        }
    }

    /// The type for a web-sys value; an unknown future value is read as the browser default, `Blob`.
    pub fn from_dom(value: web_sys::BinaryType) -> Self {
        match value {
            web_sys::BinaryType::Arraybuffer => Self::ArrayBuffer,
            _ => Self::Blob,
        }
    }

    /// The DOM string: `"blob"` or `"arraybuffer"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blob => "blob",
            Self::ArrayBuffer => "arraybuffer",
        }
    }
}

/// Parses the DOM strings `"blob"` and `"arraybuffer"` (exactly, as the DOM does).
impl std::str::FromStr for BinaryType {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self, Error> {
        match value {
            "blob" => Ok(Self::Blob),
            "arraybuffer" => Ok(Self::ArrayBuffer),
            other => Err(Error::Browser {
                name: "TypeError".to_owned(),
                message: format!(
                    "{} is not a binary type (\"blob\" or \"arraybuffer\")",
                    Quoted(other)
                ),
            }),
        }
    }
}

impl fmt::Display for BinaryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_state_round_trips_through_dom_values() {
        for state in [
            ReadyState::Connecting,
            ReadyState::Open,
            ReadyState::Closing,
            ReadyState::Closed,
        ] {
            assert_eq!(ReadyState::from_dom(state.to_dom()), state);
        }
        assert_eq!(ReadyState::Open.to_dom(), 1);
        assert_eq!(ReadyState::from_dom(77), ReadyState::Closed);
    }

    #[test]
    fn binary_type_round_trips_through_dom_values() {
        for kind in [BinaryType::Blob, BinaryType::ArrayBuffer] {
            assert_eq!(BinaryType::from_dom(kind.to_dom()), kind);
        }
        assert_eq!(BinaryType::ArrayBuffer.as_str(), "arraybuffer");
        for kind in [BinaryType::Blob, BinaryType::ArrayBuffer] {
            assert_eq!(kind.as_str().parse(), Ok(kind));
        }
        assert!(matches!(
            "ArrayBuffer".parse::<BinaryType>(),
            Err(Error::Browser { name, .. }) if name == "TypeError"
        ));
    }
}
