//! Text from a peer or a caller, quoted for a message.

use std::fmt::{self, Write};

/// `text` in double quotes, with `"`, `\` and control characters escaped (`\n`, `\r`, `\t`, `\u{1b}`), so a
/// peer cannot break a message's lines or its quotes. Written by hand: `{:?}` would link Unicode escape tables
/// into every app that prints an error or a close event.
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
                c if c.is_ascii_control() => write!(f, "\\u{{{:x}}}", u32::from(c))?,
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
    }
}
