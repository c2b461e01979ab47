//! Text safe to print on a terminal. perf.toml values, file names, git's and
//! commands' messages are not ours: a cloned repository must not be able to
//! send escape sequences (colours, cursor moves, clipboard writes, hidden
//! text) to the terminal of whoever runs `check` or the hook. Every human
//! renderer passes such text through here; JSON escapes on its own.
//!
//! Each control character (C0, DEL, C1) but tab is shown as a Rust-style
//! escape, as cargo and ripgrep do: ESC as `\u{1b}`, CR as `\r`, NUL as `\0`.
//! So are the bidirectional-override characters, which reorder text on
//! screen. [`escape`] also shows a newline as `\n`, for text that must stay on
//! one line (names, paths); [`escape_lines`] keeps newlines, for messages that
//! have several lines.
//! It lives in the policy crate, the leaf every renderer can reach.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` on one line, with every control character escaped.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_with(text, false)
}

/// `text` with every control character escaped but newlines kept.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_with(text, true)
}

fn escape_with(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| needs_escape(c) && !(keep_newlines && c == '\n');
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            _ if !unsafe_char(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            _ => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || is_bidi_control(c)
}

/// Characters that make a terminal show text in another order than it is stored.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(
            escape("\u{1b}[31mred\u{7}\r\0\u{7f}\u{9b}x"),
            r"\u{1b}[31mred\u{7}\r\0\u{7f}\u{9b}x"
        );
        assert_eq!(escape("a\nb"), r"a\nb");
        assert_eq!(escape_lines("a\nb\u{1b}"), "a\nb\\u{1b}");
        assert_eq!(escape("abc\u{202e}def"), r"abc\u{202e}def");
    }

    #[test]
    fn plain_text_and_tabs_are_left_alone_without_copying() {
        for text in ["plain", "tab\there", "é ✓ 日本", r"back\slash"] {
            assert!(matches!(escape(text), Cow::Borrowed(t) if t == text));
        }
    }
}
