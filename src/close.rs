//! Close codes and close events.
//!
//! Two types, because the two directions differ: a browser may *receive* any code, but a client may only *send*
//! 1000 or 3000..=4999 ([WebSocket standard](https://websockets.spec.whatwg.org/#dom-websocket-close)).
//! [`CloseCode`] keeps any received `u16` losslessly; [`ClientCloseCode`] can only hold a sendable one.

use std::fmt;

use crate::error::Error;
use crate::quoted::Quoted;

/// The most bytes a close reason may take in UTF-8: a close frame's payload is at most 125 bytes, two of which
/// carry the code.
pub const MAX_CLOSE_REASON_BYTES: usize = 123;

/// A close code as received, any `u16`; the codes registered by
/// [RFC 6455](https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1) and
/// [IANA](https://www.iana.org/assignments/websocket/websocket.xhtml#close-code-number) are named constants.
///
/// `CloseCode::from(n).code() == n` for every `n`: unknown codes are kept, not lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(u16);

impl CloseCode {
    /// 1000: the purpose of the connection was fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the peer is going away (server shutting down, page navigating away).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: the peer saw a protocol error.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: the peer received a kind of data it cannot accept (e.g. binary when it only takes text).
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: reserved; reported when the close frame carried no code. Never sent on the wire.
    pub const NO_STATUS_RECEIVED: Self = Self(1005);
    /// 1006: reserved; reported when the connection dropped without a close frame. Never sent on the wire.
    pub const ABNORMAL_CLOSURE: Self = Self(1006);
    /// 1007: a message's data did not match its type (e.g. invalid UTF-8 in a text message).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: the peer's policy was violated (a generic refusal).
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message was too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1010: the client expected the server to negotiate an extension that it did not.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting (IANA).
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: try again later, e.g. the server is overloaded (IANA).
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 1014: a gateway or proxy received an invalid response from upstream (IANA).
    pub const BAD_GATEWAY: Self = Self(1014);
    /// 1015: reserved; reported when the TLS handshake failed. Never sent on the wire.
    pub const TLS_HANDSHAKE: Self = Self(1015);

    /// The numeric code.
    pub const fn code(self) -> u16 {
        self.0
    }

    /// The registered name (`"Normal Closure"` etc.), or `None` for an unregistered code.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1000 => "Normal Closure",
            1001 => "Going Away",
            1002 => "Protocol Error",
            1003 => "Unsupported Data",
            1005 => "No Status Received",
            1006 => "Abnormal Closure",
            1007 => "Invalid Frame Payload Data",
            1008 => "Policy Violation",
            1009 => "Message Too Big",
            1010 => "Mandatory Extension",
            1011 => "Internal Error",
            1012 => "Service Restart",
            1013 => "Try Again Later",
            1014 => "Bad Gateway",
            1015 => "TLS Handshake",
            _ => return None,
        })
    }

    /// Whether a client may send this code with `close()`: 1000 or 3000..=4999.
    pub const fn is_sendable(self) -> bool {
        self.0 == 1000 || (self.0 >= 3000 && self.0 <= 4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} ({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// A close code that a client may send: 1000, or an application code in 3000..=4999. No other value can be built,
/// so [`WebSocket::close_with`](crate::WebSocket::close_with) never hands the browser a code it would throw on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientCloseCode(u16);

impl ClientCloseCode {
    /// 1000, a normal closure. Also what this crate sends when it closes for you: on drop, and from every
    /// `close()` without a code.
    pub const NORMAL: Self = Self(1000);
    /// 4429, an application code this crate sends when a receive queue overflows
    /// ([`Overflow::Fail`](crate::connection::Overflow::Fail)): the client could not keep up (429 as in HTTP's
    /// "Too Many Requests"), so a server can tell it from a normal close (1000). The reconnecting client
    /// reconnects after it.
    pub const RECEIVE_OVERFLOW: Self = Self(4429);

    /// The code, if a client may send it; [`Error::InvalidCloseCode`] otherwise.
    pub const fn new(code: u16) -> Result<Self, Error> {
        if CloseCode(code).is_sendable() {
            Ok(Self(code))
        } else {
            Err(Error::InvalidCloseCode(code))
        }
    }

    /// The numeric code.
    pub const fn code(self) -> u16 {
        self.0
    }
}

/// [`ClientCloseCode::NORMAL`], as the browser's `close()` would mean it.
impl Default for ClientCloseCode {
    fn default() -> Self {
        Self::NORMAL
    }
}

impl TryFrom<u16> for ClientCloseCode {
    type Error = Error;

    fn try_from(code: u16) -> Result<Self, Error> {
        Self::new(code)
    }
}

impl From<ClientCloseCode> for CloseCode {
    fn from(code: ClientCloseCode) -> Self {
        Self(code.0)
    }
}

impl From<ClientCloseCode> for u16 {
    fn from(code: ClientCloseCode) -> Self {
        code.0
    }
}

impl fmt::Display for ClientCloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        CloseCode::from(*self).fmt(f)
    }
}

/// Checks that a close reason fits in a close frame: at most [`MAX_CLOSE_REASON_BYTES`] bytes of UTF-8.
pub fn validate_close_reason(reason: &str) -> Result<(), Error> {
    if reason.len() > MAX_CLOSE_REASON_BYTES {
        Err(Error::CloseReasonTooLong { len: reason.len() })
    } else {
        Ok(())
    }
}

/// How a connection ended, from the browser's
/// [`CloseEvent`](https://developer.mozilla.org/en-US/docs/Web/API/CloseEvent).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloseEvent {
    /// The code the server sent, or 1005 when it sent none, or 1006 when the connection dropped or never opened.
    pub code: CloseCode,
    /// The reason the server sent (empty when none).
    pub reason: String,
    /// Whether the closing handshake completed. `false` after an error: a drop, a refused connection, a protocol
    /// violation.
    pub was_clean: bool,
}

impl CloseEvent {
    /// Copies the fields out of the browser's event.
    pub fn from_dom(event: &web_sys::CloseEvent) -> Self {
        Self {
            code: CloseCode(event.code()),
            reason: event.reason(),
            was_clean: event.was_clean(),
        }
    }
}

impl fmt::Display for CloseEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code {}", self.code)?;
        if !self.reason.is_empty() {
            write!(f, ", reason {}", Quoted(&self.reason))?;
        }
        f.write_str(if self.was_clean {
            ", clean"
        } else {
            ", not clean"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_code_keeps_every_u16() {
        for code in [0, 999, 1000, 1004, 1016, 2999, 3000, 4999, 5000, u16::MAX] {
            assert_eq!(CloseCode::from(code).code(), code);
            assert_eq!(u16::from(CloseCode::from(code)), code);
        }
    }

    #[test]
    fn registered_codes_are_named() {
        assert_eq!(CloseCode::NORMAL.name(), Some("Normal Closure"));
        assert_eq!(CloseCode::from(1006), CloseCode::ABNORMAL_CLOSURE);
        assert_eq!(CloseCode::BAD_GATEWAY.code(), 1014);
        assert_eq!(CloseCode::from(1004).name(), None);
        assert_eq!(CloseCode::from(4000).to_string(), "4000");
        assert_eq!(CloseCode::GOING_AWAY.to_string(), "1001 (Going Away)");
    }

    #[test]
    fn only_1000_and_3000_to_4999_are_sendable() {
        for code in 0..=u16::MAX {
            let sendable = code == 1000 || (3000..=4999).contains(&code);
            assert_eq!(ClientCloseCode::new(code).is_ok(), sendable, "code {code}");
            assert_eq!(CloseCode::from(code).is_sendable(), sendable, "code {code}");
        }
        for code in [0, 999, 1001, 1005, 2999, 5000] {
            assert_eq!(
                ClientCloseCode::new(code),
                Err(Error::InvalidCloseCode(code))
            );
        }
        assert_eq!(ClientCloseCode::try_from(3000).map(u16::from), Ok(3000));
        assert_eq!(ClientCloseCode::default(), ClientCloseCode::NORMAL);
        assert!(CloseCode::from(ClientCloseCode::RECEIVE_OVERFLOW).is_sendable());
    }

    #[test]
    fn reasons_are_limited_to_123_utf8_bytes() {
        assert_eq!(validate_close_reason(""), Ok(()));
        assert_eq!(validate_close_reason(&"a".repeat(123)), Ok(()));
        assert_eq!(
            validate_close_reason(&"a".repeat(124)),
            Err(Error::CloseReasonTooLong { len: 124 })
        );
        // 41 three-byte characters are 123 bytes; one more two-byte character is too many.
        let cjk = "界".repeat(41);
        assert_eq!(validate_close_reason(&cjk), Ok(()));
        assert_eq!(
            validate_close_reason(&format!("{cjk}é")),
            Err(Error::CloseReasonTooLong { len: 125 })
        );
    }

    #[test]
    fn close_event_displays_its_parts() {
        let event = CloseEvent {
            code: CloseCode::ABNORMAL_CLOSURE,
            reason: String::new(),
            was_clean: false,
        };
        assert_eq!(event.to_string(), "code 1006 (Abnormal Closure), not clean");
    }
}
