//! Metric names in the one grammar `<task>.<segment>(.<segment>)*`
//! (docs/json.md). A benchmark id or a function name is one segment however
//! it is spelled: inside a segment `\` is written `\\` and `.` is written
//! `\.`, so a name splits on every `.` not preceded by an odd number of `\`.
//! Tasks build names with [`MetricName`] only, so none is formatted by hand.

use std::fmt;
use std::ops::Deref;

use serde::{Serialize, Serializer};

/// A metric's name: `MetricName::task("bench").seg(id).seg("user")`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricName(String);

impl MetricName {
    /// A name's first segment: the task that measured it.
    pub fn task(task: &str) -> Self {
        Self(escape_segment(task))
    }

    /// Appends one segment, escaped.
    pub fn seg(mut self, segment: impl AsRef<str>) -> Self {
        self.0.push('.');
        self.0.push_str(&escape_segment(segment.as_ref()));
        self
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The segments, unescaped; the first is the task. An error when a
    /// segment was built empty (an empty benchmark id, say).
    pub fn segments(&self) -> Result<Vec<String>, MetricNameError> {
        parse(&self.0)
    }
}

/// A segment written for a name: `\` as `\\`, `.` as `\.`.
pub fn escape_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for c in segment.chars() {
        if c == '\\' || c == '.' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Why a string is not a metric name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricNameError {
    #[error("`{0}` has no segment after its task (`<task>.<segment>`)")]
    NoSegment(String),
    #[error("`{0}` has an empty segment")]
    EmptySegment(String),
    #[error("`{0}` has a `\\` that escapes neither `\\` nor `.`")]
    BadEscape(String),
}

/// Splits `name` into its unescaped segments, checking the grammar: at least
/// two segments, none empty, and `\` only before `\` or `.`.
pub fn parse(name: &str) -> Result<Vec<String>, MetricNameError> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next @ ('\\' | '.')) => current.push(next),
                _ => return Err(MetricNameError::BadEscape(name.to_owned())),
            },
            '.' => segments.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    segments.push(current);
    if segments.iter().any(String::is_empty) {
        return Err(MetricNameError::EmptySegment(name.to_owned()));
    }
    if segments.len() < 2 {
        return Err(MetricNameError::NoSegment(name.to_owned()));
    }
    Ok(segments)
}

impl Deref for MetricName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for MetricName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl PartialEq<str> for MetricName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for MetricName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_segments_are_written_as_is() {
        let name = MetricName::task("build").seg("incremental").seg("core");
        assert_eq!(name, "build.incremental.core");
        assert_eq!(name.segments().unwrap(), ["build", "incremental", "core"]);
    }

    #[test]
    fn a_dot_or_backslash_in_a_segment_is_escaped() {
        let name = MetricName::task("bench")
            .seg("parse/large.json")
            .seg("user");
        assert_eq!(name, r"bench.parse/large\.json.user");
        assert_eq!(
            name.segments().unwrap(),
            ["bench", "parse/large.json", "user"]
        );
        let name = MetricName::task("profile").seg(r"a\b.").seg("c");
        assert_eq!(name, r"profile.a\\b\..c");
        assert_eq!(name.segments().unwrap(), ["profile", r"a\b.", "c"]);
    }

    #[test]
    fn a_dot_after_an_even_run_of_backslashes_separates() {
        assert_eq!(parse(r"t.a\\.b").unwrap(), ["t", r"a\", "b"]);
        assert_eq!(parse(r"t.a\\\.b").unwrap(), ["t", r"a\.b"]);
        assert_eq!(
            parse("profile.self.<T as core::fmt::Debug>::fmt").unwrap(),
            ["profile", "self", "<T as core::fmt::Debug>::fmt"]
        );
    }

    #[test]
    fn what_breaks_the_grammar() {
        assert!(matches!(parse("noop"), Err(MetricNameError::NoSegment(_))));
        assert!(matches!(
            parse("build..x"),
            Err(MetricNameError::EmptySegment(_))
        ));
        assert!(matches!(
            parse("build."),
            Err(MetricNameError::EmptySegment(_))
        ));
        assert!(matches!(parse(".x"), Err(MetricNameError::EmptySegment(_))));
        assert!(matches!(
            parse(r"build.a\b"),
            Err(MetricNameError::BadEscape(_))
        ));
        assert!(matches!(
            parse(r"build.a\"),
            Err(MetricNameError::BadEscape(_))
        ));
    }

    #[test]
    fn serialised_as_the_string() {
        let name = MetricName::task("clean")
            .seg("usage")
            .seg("debug")
            .seg("deps");
        assert_eq!(
            serde_json::to_string(&name).unwrap(),
            "\"clean.usage.debug.deps\""
        );
    }
}
