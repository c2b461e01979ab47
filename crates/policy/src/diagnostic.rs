//! Diagnostics about a policy file, rendered the way rustc and cargo-deny render
//! theirs: what is wrong, `file:line:col`, the offending line, and a hint.

use std::fmt;
use std::ops::Range;

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
        let path = self.source.path().display();
        writeln!(f, "error: {}", d.message)?;
        match &d.span {
            Some(span) => {
                let at = self.source.locate(span);
                let gutter = at.line.to_string().len();
                let pad = " ".repeat(gutter);
                writeln!(f, "{pad}--> {path}:{}:{}", at.line, at.column)?;
                writeln!(f, "{pad} |")?;
                writeln!(f, "{} | {}", at.line, at.line_text)?;
                let indent: String = at
                    .line_text
                    .chars()
                    .take(at.column - 1)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let carets = "^".repeat(self.source.underline_width(span));
                match &d.label {
                    Some(label) => writeln!(f, "{pad} | {indent}{carets} {label}")?,
                    None => writeln!(f, "{pad} | {indent}{carets}")?,
                }
                if let Some(help) = &d.help {
                    writeln!(f, "{pad} = help: {help}")?;
                }
            }
            None => {
                writeln!(f, " --> {path}")?;
                if let Some(help) = &d.help {
                    writeln!(f, "  = help: {help}")?;
                }
            }
        }
        Ok(())
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
    fn suggests_only_close_names() {
        assert_eq!(suggest("rn", ["run", "cwd", "env"]), Some("run"));
        assert_eq!(
            suggest("depend-on", ["run", "depends-on"]),
            Some("depends-on")
        );
        assert_eq!(suggest("zzzz", ["run", "cwd"]), None);
    }
}
