//! Property tests, natively, for the checks done in Rust before the browser is called.
//!
//! Covers: `ClientCloseCode::new` accepts exactly 1000 and 3000..=4999, and `CloseCode` keeps every `u16`;
//! `validate_close_reason` accepts exactly the strings of at most 123 UTF-8 bytes, whatever their characters,
//! and reports the byte length; `validate_protocols` accepts exactly lists of distinct RFC 9110
//! tokens and names the first offender; none of them panics on any input.
#![cfg(not(target_arch = "wasm32"))]

use browser_ws::{validate_close_reason, validate_protocols, ClientCloseCode, CloseCode, Error};
use proptest::prelude::*;

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

proptest! {
    #[test]
    fn close_codes(code in any::<u16>()) {
        let sendable = code == 1000 || (3000..=4999).contains(&code);
        prop_assert_eq!(ClientCloseCode::new(code).is_ok(), sendable);
        prop_assert_eq!(CloseCode::from(code).code(), code);
        if !sendable {
            prop_assert_eq!(ClientCloseCode::new(code), Err(Error::InvalidCloseCode(code)));
        }
    }

    #[test]
    fn close_reasons(reason in any::<String>()) {
        match validate_close_reason(&reason) {
            Ok(()) => prop_assert!(reason.len() <= 123),
            Err(error) => {
                prop_assert!(reason.len() > 123);
                prop_assert_eq!(error, Error::CloseReasonTooLong { len: reason.len() });
            }
        }
    }

    #[test]
    fn long_multibyte_reasons(c in any::<char>(), count in 0usize..200) {
        let reason: String = std::iter::repeat(c).take(count).collect();
        prop_assert_eq!(validate_close_reason(&reason).is_ok(), reason.len() <= 123);
    }

    #[test]
    fn protocols(list in proptest::collection::vec("[ -~]{0,6}|[a-z]{1,3}|\\PC{1,3}", 0..5)) {
        let first_bad = list.iter().enumerate().find(|(i, p)| !is_token(p) || list[..*i].contains(p));
        match (validate_protocols(&list), first_bad) {
            (Ok(()), None) => {}
            (Err(Error::InvalidProtocol { protocol, .. }), Some((_, bad))) => prop_assert_eq!(&protocol, bad),
            (result, bad) => prop_assert!(false, "{:?} gave {:?}, first bad {:?}", list, result, bad),
        }
    }
}
