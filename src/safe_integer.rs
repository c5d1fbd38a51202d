//! The whole numbers a double holds exactly (`Number.isSafeInteger`): what a JS number, or a JSON number as
//! `JSON.parse` reads it, can carry as an id, a code or a limit.

/// `Number.MAX_SAFE_INTEGER`, 2^53 - 1.
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// `value` as an integer, if it is a whole number no larger than [`MAX_SAFE_INTEGER`] either way (`1.0` and
/// `-0` are; `1.5`, `NaN` and the infinities are not).
pub(crate) fn safe_integer(value: f64) -> Option<i64> {
    (value.fract() == 0.0 && value.abs() <= MAX_SAFE_INTEGER).then_some(value as i64)
}

/// [`safe_integer`] that is not negative: an id.
pub(crate) fn safe_unsigned(value: f64) -> Option<u64> {
    safe_integer(value).and_then(|value| u64::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    //! Covers: whole numbers within ±2^53 - 1 only; unsigned ones from 0.

    use super::*;

    #[test]
    fn only_whole_numbers_a_double_holds_exactly() {
        assert_eq!(safe_integer(7.0), Some(7));
        assert_eq!(safe_integer(-0.0), Some(0));
        assert_eq!(safe_integer(-32601.0), Some(-32601));
        assert_eq!(safe_integer(MAX_SAFE_INTEGER), Some(9_007_199_254_740_991));
        assert_eq!(safe_unsigned(-0.0), Some(0));
        assert_eq!(safe_unsigned(-1.0), None);
        for not in [
            1.5,
            MAX_SAFE_INTEGER + 2.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(safe_integer(not), None, "{not}");
        }
    }
}
