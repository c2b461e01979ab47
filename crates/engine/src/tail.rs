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
        let line: String = console::strip_ansi_codes(line)
            .chars()
            .filter(|c| !c.is_control() || *c == '\t')
            .collect();
        self.lines.push_back(line);
    }

    pub fn into_lines(self) -> Vec<String> {
        self.lines.into()
    }
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
}
