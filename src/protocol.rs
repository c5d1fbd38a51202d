//! Subprotocol checks, done in Rust so a bad list gets a precise error instead of the browser's generic
//! `SyntaxError`.

use crate::error::Error;

/// Checks a list of subprotocols as the [WebSocket standard](https://websockets.spec.whatwg.org/#dom-websocket-websocket)
/// does: each must be a non-empty HTTP token (RFC 9110: visible ASCII except separators), and none may repeat.
pub fn validate_protocols<S: AsRef<str>>(protocols: &[S]) -> Result<(), Error> {
    for (index, protocol) in protocols.iter().enumerate() {
        let protocol = protocol.as_ref();
        let invalid = |message: &str| Error::InvalidProtocol {
            protocol: protocol.to_owned(),
            message: message.to_owned(),
        };
        if protocol.is_empty() {
            return Err(invalid("a subprotocol cannot be empty"));
        }
        if let Some(bad) = protocol.chars().find(|&c| !is_token_char(c)) {
            // Built by hand: `{:?}` on a char would pull Unicode tables into every app's Wasm.
            let mut message = String::from("'");
            message.push(bad);
            message.push_str(
                "' is not allowed in a subprotocol (letters, digits and !#$%&'*+-.^_`|~ only)",
            );
            return Err(invalid(&message));
        }
        if protocols
            .iter()
            .take(index)
            .any(|earlier| earlier.as_ref() == protocol)
        {
            return Err(invalid("requested more than once"));
        }
    }
    Ok(())
}

/// An RFC 9110 `tchar`.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '!' | '#'
                | '$'
                | '%'
                | '&'
                | '\''
                | '*'
                | '+'
                | '-'
                | '.'
                | '^'
                | '_'
                | '`'
                | '|'
                | '~'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_pass() {
        assert_eq!(validate_protocols::<&str>(&[]), Ok(()));
        assert_eq!(
            validate_protocols(&["chat", "v2.json", "a!#$%&'*+-.^_`|~9"]),
            Ok(())
        );
    }

    #[test]
    fn non_tokens_and_duplicates_fail() {
        for bad in [
            "", "a b", "a,b", "x\u{7f}", "é", "a/b", "(x)", "a\"b", "a\tb", "{}", "[]", "a;b",
            "a=b",
        ] {
            let err = validate_protocols(&[bad]).expect_err(bad);
            assert!(
                matches!(&err, Error::InvalidProtocol { protocol, .. } if protocol == bad),
                "{err:?}"
            );
        }
        assert!(matches!(
            validate_protocols(&["chat", "chat"]),
            Err(Error::InvalidProtocol { protocol, message }) if protocol == "chat" && message.contains("more than once")
        ));
    }
}
