//! Text from a peer or a caller, quoted for a message.

use std::fmt::{self, Write};

/// `text` in double quotes, with `"`, `\` and control characters escaped (`\n`, `\r`, `\t`, `\u{1b}`, the C1
/// controls such as NEL `\u{85}`), and the line and paragraph separators and bidirectional controls too, so a peer
/// cannot break a message's lines or its quotes, or reorder what follows. Written by hand: `{:?}` would link
/// Unicode escape tables into every app that prints an error or a close event.
pub(crate) struct Quoted<'a>(pub(crate) &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '"' | '\\' => {
                    f.write_char('\\')?;
                    f.write_char(c)?;
                }
                '\u{0}'..='\u{1f}'
                | '\u{7f}'..='\u{9f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}' => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

#[cfg(test)]
mod tests {
    //! Covers: plain text, quotes, backslashes and control characters; non-ASCII kept as it is.

    use super::*;

    #[test]
    fn escapes_only_what_breaks_a_message() {
        assert_eq!(Quoted("héllo 世界").to_string(), "\"héllo 世界\"");
        assert_eq!(
            Quoted("a\"b\\c\nd\re\tf\u{1b}g\u{7f}").to_string(),
            r#""a\"b\\c\nd\re\tf\u{1b}g\u{7f}""#
        );
        assert_eq!(Quoted("").to_string(), "\"\"");
        // Line and paragraph separators, NEL and the bidirectional overrides and isolates.
        assert_eq!(
            Quoted("a\u{85}b\u{2028}c\u{2029}d\u{202e}e\u{2066}f\u{200f}").to_string(),
            "\"a\\u{85}b\\u{2028}c\\u{2029}d\\u{202e}e\\u{2066}f\u{200f}\""
        );
    }
}
