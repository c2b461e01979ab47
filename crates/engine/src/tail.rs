//! The last lines of a command's output: what a report shows when a command
//! fails. One helper for every task, so each keeps the same number of lines,
//! cleaned the same way.

use std::collections::VecDeque;

/// How many lines of a command's output are kept for the failure report.
pub const LOG_TAIL_LINES: usize = 30;

/// The last [`LOG_TAIL_LINES`] lines pushed, with colour codes and other
/// control characters (but tabs) removed so a report shows them as text.
#[derive(Debug, Clone, Default)]
pub struct OutputTail {
    lines: VecDeque<String>,
}

impl OutputTail {
    pub fn new() -> Self {
        Self::default()
    }

    /// The tail of a whole text, such as a captured stderr.
    pub fn of_text(text: &str) -> Vec<String> {
        let mut tail = Self::new();
        text.lines().for_each(|line| tail.push(line));
        tail.into_lines()
    }

    pub fn push(&mut self, line: &str) {
        if self.lines.len() == LOG_TAIL_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(clean_line(line));
    }

    pub fn into_lines(self) -> Vec<String> {
        self.lines.into()
    }
}

/// `line` as a terminal would end up showing it, as plain text: escape
/// sequences (CSI such as colours, OSC such as hyperlinks and titles, and the
/// rest) removed; of a line a carriage return rewrote (a progress line), only
/// what was written last; other control characters but tabs dropped.
pub fn clean_line(line: &str) -> String {
    let plain = console::strip_ansi_codes(line);
    let shown = plain
        .trim_end_matches('\r')
        .rsplit('\r')
        .next()
        .unwrap_or_default();
    shown
        .chars()
        .filter(|c| !c.is_control() || *c == '\t')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_as_plain_text() {
        let text: String = (0..40)
            .map(|n| format!("\x1b[31mline {n}\x1b[0m\r\n"))
            .collect();
        let tail = OutputTail::of_text(&text);
        assert_eq!(tail.len(), LOG_TAIL_LINES);
        assert_eq!(tail[0], "line 10");
        assert_eq!(tail[29], "line 39");
    }

    #[test]
    fn removes_every_kind_of_escape_sequence() {
        let cases = [
            ("\x1b[1m\x1b[31merror\x1b[0m: x", "error: x"),
            ("\x1b[38;5;9mc\x1b[38;2;1;2;3md\x1b[K", "cd"),
            ("\x1b(B\x1b[mreset", "reset"),
            ("\x1b]8;;https://e.x\x1b\\link\x1b]8;;\x1b\\", "link"),
            ("\x1b]0;title\x07text", "text"),
            ("\u{9b}31mc1", "c1"),
            ("\x1b[?25lcursor\x1b7\x1b8", "cursor"),
            ("  1/10\r  5/10\r 10/10", " 10/10"),
            ("done\r", "done"),
            ("a\tb\x07", "a\tb"),
        ];
        for (raw, shown) in cases {
            assert_eq!(clean_line(raw), shown, "{raw:?}");
        }
    }
}
