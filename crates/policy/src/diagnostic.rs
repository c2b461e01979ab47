//! Diagnostics about a policy file, rendered the way rustc and cargo-deny render
//! theirs: what is wrong, `file:line:col`, the offending line, and a hint.

use std::fmt;
use std::ops::Range;

use crate::escape::{escape, escape_lines};
use crate::source::SourceFile;

/// One problem found in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    /// Where in the file; `None` for problems of the file as a whole.
    pub span: Option<Range<usize>>,
    /// A short note printed under the underlined text.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            span: None,
            label: None,
            help: None,
        }
    }

    pub fn at(mut self, span: Range<usize>) -> Self {
        self.span = Some(span);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders this diagnostic against the file it is about.
    pub fn render<'a>(&'a self, source: &'a SourceFile) -> RenderedDiagnostic<'a> {
        RenderedDiagnostic {
            diagnostic: self,
            source,
        }
    }
}

/// A [`Diagnostic`] paired with its file, ready for `Display`.
pub struct RenderedDiagnostic<'a> {
    diagnostic: &'a Diagnostic,
    source: &'a SourceFile,
}

impl fmt::Display for RenderedDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.diagnostic;
        let path = self.source.path().to_string_lossy();
        let path = escape(&path);
        writeln!(f, "error: {}", escape_lines(&d.message))?;
        let help = d.help.as_deref().map(escape_lines);
        match &d.span {
            Some(span) => {
                let at = self.source.locate(span);
                let gutter = at.line.to_string().len();
                let pad = " ".repeat(gutter);
                writeln!(f, "{pad}--> {path}:{}:{}", at.line, at.column)?;
                writeln!(f, "{pad} |")?;
                let snippet =
                    Snippet::new(&at.line_text, at.column, self.source.underline_width(span));
                writeln!(f, "{} | {}", at.line, snippet.line)?;
                let carets = "^".repeat(snippet.width);
                let indent = &snippet.indent;
                match &d.label {
                    Some(label) => writeln!(f, "{pad} | {indent}{carets} {}", escape(label))?,
                    None => writeln!(f, "{pad} | {indent}{carets}")?,
                }
                if let Some(help) = &help {
                    writeln!(f, "{pad} = help: {help}")?;
                }
            }
            None => {
                writeln!(f, " --> {path}")?;
                if let Some(help) = &help {
                    writeln!(f, "  = help: {help}")?;
                }
            }
        }
        Ok(())
    }
}

/// The quoted line, escaped, with the underline placed under the escaped text.
struct Snippet {
    line: String,
    /// Blanks up to the underline (tabs kept, so it lines up under tabs).
    indent: String,
    width: usize,
}

impl Snippet {
    /// `column` is 1-based; `width` characters are underlined from there.
    fn new(line_text: &str, column: usize, width: usize) -> Snippet {
        let before: String = line_text.chars().take(column - 1).collect();
        let under: String = line_text.chars().skip(column - 1).take(width).collect();
        let before = escape(&before);
        let under = escape(&under);
        Snippet {
            line: escape(line_text).into_owned(),
            indent: before
                .chars()
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect(),
            width: under.chars().count().max(1),
        }
    }
}

/// The closest of `candidates` to `unknown`, if one is close enough to be a
/// likely typo (the edit-distance rule cargo and rustc use).
pub fn suggest<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = unknown.chars().count().max(3) / 3;
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(unknown, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_snippet_and_help() {
        let source = SourceFile::new("perf.toml", "[tasks.fmt]\nrn = \"cargo fmt\"\n");
        let d = Diagnostic::new("unknown key `rn` in [tasks.fmt]")
            .at(12..14)
            .label("unknown key")
            .help("did you mean `run`?");
        let text = d.render(&source).to_string();
        assert_eq!(
            text,
            "error: unknown key `rn` in [tasks.fmt]\n --> perf.toml:2:1\n  |\n2 | rn = \"cargo fmt\"\n  | ^^ unknown key\n  = help: did you mean `run`?\n"
        );
    }

    #[test]
    fn control_characters_in_the_file_are_shown_escaped_and_underlined_right() {
        let source = SourceFile::new("perf.toml", "x = \"a\u{1b}b\r\0\" y\n");
        let d = Diagnostic::new("bad `\u{1b}[31m`")
            .at(12..13)
            .label("here\r");
        let text = d.render(&source).to_string();
        assert_eq!(
            text,
            "error: bad `\\u{1b}[31m`\n --> perf.toml:1:13\n  |\n1 | x = \"a\\u{1b}b\\r\\0\" y\n  |                    ^ here\\r\n"
        );
        assert!(!text.contains(['\u{1b}', '\r', '\0']));
    }

    #[test]
    fn suggests_only_close_names() {
        assert_eq!(suggest("rn", ["run", "cwd", "env"]), Some("run"));
        assert_eq!(
            suggest("depend-on", ["run", "depends-on"]),
            Some("depends-on")
        );
        assert_eq!(suggest("zzzz", ["run", "cwd"]), None);
    }
}
