//! Keys whose value is one of a few words (`mode = "time"`, `call-graph =
//! "fp"`): each is an enum that lists its spellings once, and one reader turns
//! a string into it, with the same located error and did-you-mean for all.

use crate::diagnostic::{Diagnostic, suggest};
use crate::reader::{Reader, Value, backticked};

/// An enum a perf.toml key chooses by name.
pub trait Choice: Copy + PartialEq + 'static {
    /// What the value is, for messages: "build command" gives "unknown build command `x`".
    const WHAT: &'static str;
    /// Every accepted word and its value; the default first.
    const VALUES: &'static [(&'static str, Self)];

    /// The word perf.toml uses for this value.
    fn as_str(self) -> &'static str {
        Self::VALUES
            .iter()
            .find(|(_, value)| *value == self)
            .map_or("", |(name, _)| name)
    }
}

impl Reader {
    /// One of `T`'s words.
    pub fn choice<T: Choice>(&mut self, key: &str, value: &Value<'_>) -> Option<T> {
        let text = self.string(key, value)?;
        if let Some((_, choice)) = T::VALUES.iter().find(|(name, _)| *name == text.value) {
            return Some(*choice);
        }
        let words: Vec<&str> = T::VALUES.iter().map(|(name, _)| *name).collect();
        let expected = match words.as_slice() {
            [one, other] => format!("expected `{one}` or `{other}`"),
            _ => format!("expected one of {}", backticked(&words)),
        };
        let help = match suggest(&text.value, words.iter().copied()) {
            Some(close) => format!("did you mean `{key} = \"{close}\"`?"),
            None => {
                let others: Vec<String> = words[1..]
                    .iter()
                    .map(|w| format!("`{key} = \"{w}\"`"))
                    .collect();
                format!(
                    "write `{key} = \"{}\"` (the default) or {}",
                    words[0],
                    others.join(" or ")
                )
            }
        };
        self.report(
            Diagnostic::new(format!("unknown {} `{}`", T::WHAT, text.value))
                .at(value.span())
                .label(expected)
                .help(help),
        );
        None
    }
}
