//! The text of a policy file and the mapping from byte spans to `line:col`,
//! so every diagnostic can point at the exact place a user has to edit.

use std::ops::Range;
use std::path::{Path, PathBuf};

/// A policy file as it was read: its path (as shown to the user) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    path: PathBuf,
    text: String,
}

/// A resolved position in a [`SourceFile`]: 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    /// The whole line the position is on, without its line ending.
    pub line_text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Resolves the start of `span` to a line and column.
    pub fn locate(&self, span: &Range<usize>) -> Location {
        let offset = floor_char_boundary(&self.text, span.start.min(self.text.len()));
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |i| offset + i);
        let line = self.text[..line_start].matches('\n').count() + 1;
        let column = self.text[line_start..offset].chars().count() + 1;
        Location {
            line,
            column,
            line_text: self.text[line_start..line_end]
                .trim_end_matches('\r')
                .to_owned(),
        }
    }

    /// How many characters of `span` fall on its first line (at least one), for underlining.
    pub fn underline_width(&self, span: &Range<usize>) -> usize {
        let start = floor_char_boundary(&self.text, span.start.min(self.text.len()));
        let end = floor_char_boundary(&self.text, span.end.clamp(start, self.text.len()));
        let first_line = self.text[start..end].split('\n').next().unwrap_or("");
        first_line.trim_end_matches('\r').chars().count().max(1)
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns_in_characters() {
        let source = SourceFile::new("perf.toml", "a = 1\n# é\nbé = 2\n");
        let at = source.locate(&(source.text().find("= 2").unwrap()..source.text().len()));
        assert_eq!((at.line, at.column), (3, 4));
        assert_eq!(at.line_text, "bé = 2");
    }

    #[test]
    fn clamps_spans_past_the_end() {
        let source = SourceFile::new("perf.toml", "x");
        assert_eq!(source.locate(&(10..12)).line, 1);
        assert_eq!(source.underline_width(&(10..12)), 1);
    }
}
