//! A span-keeping reader over the parsed TOML tree. Sections use it to pull
//! typed values out of tables; every problem becomes a located [`Diagnostic`]
//! and reading goes on, so a user sees all their mistakes at once.

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, suggest};
use crate::units::{ByteSize, Percent, PercentSign, UnitError, parse_duration, parse_percent};

pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// A value together with where it was written in perf.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    /// `None` for built-in defaults that appear in no file.
    pub span: Option<Range<usize>>,
}

impl<T> Located<T> {
    pub fn new(value: T, span: Range<usize>) -> Self {
        Self {
            value,
            span: Some(span),
        }
    }

    pub fn builtin(value: T) -> Self {
        Self { value, span: None }
    }
}

#[derive(Default)]
pub(crate) struct Reader {
    pub diagnostics: Vec<Diagnostic>,
}

impl Reader {
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Reports `name`, a key `context` does not know, with the closest known one.
    pub fn unknown_key(&mut self, name: &str, span: Range<usize>, context: &str, known: &[&str]) {
        let help = match suggest(name, known.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None if known.is_empty() => format!("{context} takes no keys"),
            None => format!("the keys allowed in {context} are: {}", backticked(known)),
        };
        self.report(
            Diagnostic::new(format!("unknown key `{name}` in {context}"))
                .at(span)
                .label("unknown key")
                .help(help),
        );
    }

    pub fn type_error(&mut self, key: &str, value: &Value<'_>, expected: &str, example: &str) {
        self.report(
            Diagnostic::new(format!(
                "wrong type for `{key}`: expected {expected}, found {}",
                article(value.get_ref().type_str())
            ))
            .at(value.span())
            .label(format!("expected {expected}"))
            .help(format!("write it as {example}")),
        );
    }

    pub fn table<'t, 'i>(&mut self, key: &str, value: &'t Value<'i>) -> Option<&'t DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            _ => {
                self.type_error(
                    key,
                    value,
                    "a table",
                    &format!("`[{key}]` followed by its keys"),
                );
                None
            }
        }
    }

    pub fn string(&mut self, key: &str, value: &Value<'_>) -> Option<Located<String>> {
        match value.get_ref() {
            DeValue::String(text) => Some(Located::new(text.to_string(), value.span())),
            _ => {
                self.type_error(key, value, "a string", &format!("`{key} = \"...\"`"));
                None
            }
        }
    }

    /// A string that names something (a profile, a directory), so it cannot
    /// be empty or blank; `example` shows a valid value in the hint.
    pub fn non_empty(
        &mut self,
        key: &str,
        value: &Value<'_>,
        example: &str,
    ) -> Option<Located<String>> {
        let text = self.string(key, value)?;
        if text.value.trim().is_empty() {
            self.report(
                Diagnostic::new(format!("`{key}` is empty"))
                    .at(value.span())
                    .label("empty string")
                    .help(format!(
                        "remove `{key}` to use its default, or name one, e.g. `{key} = \"{example}\"`"
                    )),
            );
            return None;
        }
        Some(text)
    }

    pub fn bool(&mut self, key: &str, value: &Value<'_>) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.type_error(
                    key,
                    value,
                    "a boolean",
                    &format!("`{key} = true` or `{key} = false`"),
                );
                None
            }
        }
    }

    /// An integer in `min..=max`.
    pub fn integer(&mut self, key: &str, value: &Value<'_>, min: i64, max: i64) -> Option<i64> {
        let parsed = match value.get_ref() {
            DeValue::Integer(int) => {
                i64::from_str_radix(&int.as_str().replace('_', ""), int.radix()).ok()
            }
            _ => {
                self.type_error(
                    key,
                    value,
                    "an integer",
                    &format!("`{key} = {}`", min.max(1)),
                );
                return None;
            }
        };
        match parsed {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.report(
                    Diagnostic::new(format!("`{key}` is out of range"))
                        .at(value.span())
                        .label(format!("expected an integer from {min} to {max}"))
                        .help(format!("pick a value from {min} to {max}")),
                );
                None
            }
        }
    }

    pub fn string_list(&mut self, key: &str, value: &Value<'_>) -> Option<Vec<Located<String>>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(
                key,
                value,
                "an array of strings",
                &format!("`{key} = [\"...\", \"...\"]`"),
            );
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item.get_ref() {
                DeValue::String(text) => out.push(Located::new(text.to_string(), item.span())),
                _ => self.type_error(
                    key,
                    item,
                    "a string",
                    &format!("`{key} = [\"...\", \"...\"]`"),
                ),
            }
        }
        Some(out)
    }

    /// An array of strings, without their places (e.g. arguments passed on).
    pub fn strings(&mut self, key: &str, value: &Value<'_>) -> Vec<String> {
        self.string_list(key, value)
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.value)
            .collect()
    }

    /// A table whose values are all strings, such as `env = { KEY = "value" }`.
    pub fn string_map(&mut self, key: &str, value: &Value<'_>) -> Option<Vec<(String, String)>> {
        let table = self.table(key, value)?;
        let mut out = Vec::with_capacity(table.len());
        for (name, item) in table {
            if let Some(text) = self.string(name.get_ref(), item) {
                out.push((name.get_ref().to_string(), text.value));
            }
        }
        Some(out)
    }

    /// A directory perf.toml sends outputs to: relative, below the workspace
    /// root, outside `.git` (see `paths`). `example` is a good value.
    pub fn output_dir(&mut self, key: &str, value: &Value<'_>, example: &str) -> Option<String> {
        let path = self.string(key, value)?;
        match crate::paths::output_dir_problem(&path.value) {
            None => Some(path.value),
            Some((reason, label)) => {
                self.report(
                    Diagnostic::new(format!("`{key}` {reason}"))
                        .at(value.span())
                        .label(label)
                        .help(format!(
                            "name a directory inside the workspace, e.g. `{key} = \"{example}\"`"
                        )),
                );
                None
            }
        }
    }

    pub fn size(&mut self, key: &str, value: &Value<'_>) -> Option<ByteSize> {
        match value.get_ref() {
            DeValue::Integer(_) => self
                .integer(key, value, 0, i64::MAX)
                .map(|n| ByteSize(n as u64)),
            DeValue::String(text) => self.unit(key, value, text.parse()),
            _ => {
                self.type_error(key, value, "a size", &format!("`{key} = \"500 MiB\"`"));
                None
            }
        }
    }

    pub fn duration(&mut self, key: &str, value: &Value<'_>) -> Option<Duration> {
        match value.get_ref() {
            DeValue::String(text) => self.unit(key, value, parse_duration(text)),
            _ => {
                self.type_error(key, value, "a duration", &format!("`{key} = \"90s\"`"));
                None
            }
        }
    }

    pub fn percent(&mut self, key: &str, value: &Value<'_>) -> Option<Percent> {
        self.percent_points(key, value)
            .map(|points| Percent(points / 100.0))
    }

    /// A percentage as its number of percent (`"0.5%"` is `0.5`), for keys
    /// handed on to tools that take it that way.
    pub fn percent_points(&mut self, key: &str, value: &Value<'_>) -> Option<f64> {
        match value.get_ref() {
            DeValue::String(text) => {
                self.unit(key, value, parse_percent(text, PercentSign::Required))
            }
            _ => {
                self.type_error(key, value, "a percentage", &format!("`{key} = \"5%\"`"));
                None
            }
        }
    }

    fn unit<T>(&mut self, key: &str, value: &Value<'_>, parsed: Result<T, UnitError>) -> Option<T> {
        parsed
            .map_err(|err| {
                self.report(
                    Diagnostic::new(format!("invalid value for `{key}`: {}", err.reason))
                        .at(value.span())
                        .label("cannot parse this")
                        .help(err.help),
                )
            })
            .ok()
    }
}

pub(crate) fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn article(type_name: &str) -> String {
    match type_name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {type_name}"),
        _ => format!("a {type_name}"),
    }
}
