//! `[lint]`: which performance lints the `lint` task reports and how loudly:
//! a level per own rule (`[lint.rules]`), whether clippy runs and with which
//! lints, and paths left out. Rule names are checked here, against
//! [`RULES`], so a typo is a located error with a did-you-mean.

use toml::de::DeTable;

use crate::choice::Choice;
use crate::diagnostic::Diagnostic;
use crate::glob::Glob;
use crate::reader::{Located, Reader};
use crate::table::{Key, key};

/// Every rule name `[lint.rules]` accepts: the task's own rules, then
/// `clippy` (the level of every clippy finding). The lint task's unit tests
/// check that it lists exactly its rules.
pub const RULES: &[&str] = &[
    "format-in-loop",
    "clone-in-loop",
    "vec-push-no-capacity",
    "lock-in-loop",
    "collect-then-iterate",
    "regex-in-loop",
    "blocking-in-async",
    "lock-across-await",
    "unbounded-channel-in-loop",
    "spawn-in-loop",
    "unbuffered-write-in-loop",
    "query-in-loop",
    "clippy",
];

/// How a rule's findings are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LintLevel {
    /// An error: the check fails.
    Deny,
    /// A warning.
    Warn,
    /// Not checked at all.
    Allow,
}

impl Choice for LintLevel {
    const WHAT: &'static str = "lint level";
    const VALUES: &'static [(&'static str, Self)] = &[
        ("warn", Self::Warn),
        ("deny", Self::Deny),
        ("allow", Self::Allow),
    ];
}

/// Settings of the `lint` task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintSettings {
    /// Levels set in `[lint.rules]`; a rule not named keeps its default.
    pub rules: Vec<(Located<String>, LintLevel)>,
    /// Files (relative to the workspace root) the own rules do not read.
    pub exclude: Vec<Located<Glob>>,
    /// Whether `cargo clippy` runs as the second source.
    pub clippy: bool,
    /// The clippy lints passed as `-W`; `None` means the curated default list.
    pub clippy_lints: Option<Vec<String>>,
}

impl Default for LintSettings {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            exclude: Vec::new(),
            clippy: true,
            clippy_lints: None,
        }
    }
}

impl LintSettings {
    /// The level perf.toml sets for `rule`, if it names it.
    pub fn level(&self, rule: &str) -> Option<LintLevel> {
        self.rules
            .iter()
            .rev()
            .find(|(name, _)| name.value == rule)
            .map(|(_, level)| *level)
    }
}

pub(crate) const KEYS: &[Key<LintSettings>] = &[
    key("rules", |r, s, k, v| {
        if let Some(table) = r.table(k, v) {
            s.rules = read_rules(r, table);
        }
    }),
    key("exclude", |r, s, k, v| s.exclude = r.globs(k, v)),
    key("clippy", |r, s, k, v| {
        if let Some(on) = r.bool(k, v) {
            s.clippy = on;
        }
    }),
    key("clippy-lints", |r, s, k, v| {
        let Some(list) = r.string_list(k, v) else {
            return;
        };
        let mut lints = Vec::with_capacity(list.len());
        for lint in list {
            let name = lint.value.strip_prefix("clippy::").unwrap_or(&lint.value);
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                r.report(
                    Diagnostic::new(format!("`{}` is not a clippy lint name", lint.value))
                        .at(lint.span.clone().unwrap_or_default())
                        .label("expected a name such as `needless_collect`")
                        .help("write clippy's snake_case lint names, e.g. `clippy-lints = [\"needless_collect\"]`"),
                );
                continue;
            }
            lints.push(name.to_owned());
        }
        s.clippy_lints = Some(lints);
    }),
];

/// `[lint.rules]`: `rule = "deny" | "warn" | "allow"`, with unknown rules located.
fn read_rules(r: &mut Reader, table: &DeTable<'_>) -> Vec<(Located<String>, LintLevel)> {
    let mut rules = Vec::new();
    for (name, value) in table {
        let text = name.get_ref().as_ref();
        let rule = text.strip_prefix("lint-").unwrap_or(text);
        if !RULES.contains(&rule) {
            r.unknown_key(text, name.span(), "[lint.rules]", RULES);
            continue;
        }
        if let Some(level) = r.choice::<LintLevel>(text, value) {
            rules.push((Located::new(rule.to_owned(), name.span()), level));
        }
    }
    rules
}

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> LintSettings {
    let mut settings = LintSettings::default();
    r.section(table, "[lint]", KEYS, &mut settings);
    settings
}

#[cfg(test)]
mod tests {
    use crate::{SourceFile, parse};

    use super::*;

    #[test]
    fn reads_levels_globs_and_clippy() {
        let policy = parse(SourceFile::new(
            "perf.toml",
            "[lint]\nexclude = [\"gen/**\"]\nclippy = false\nclippy-lints = [\"clippy::needless_collect\"]\n[lint.rules]\nclone-in-loop = \"deny\"\nlint-spawn-in-loop = \"allow\"\n",
        ))
        .unwrap();
        let lint = &policy.lint;
        assert_eq!(lint.level("clone-in-loop"), Some(LintLevel::Deny));
        assert_eq!(lint.level("spawn-in-loop"), Some(LintLevel::Allow));
        assert_eq!(lint.level("format-in-loop"), None);
        assert!(!lint.clippy);
        assert_eq!(
            lint.clippy_lints.as_deref(),
            Some(&["needless_collect".to_owned()][..])
        );
        assert_eq!(lint.exclude[0].value.as_str(), "gen/**");
    }

    #[test]
    fn unknown_rules_and_levels_are_located() {
        let text = parse(SourceFile::new(
            "perf.toml",
            "[lint.rules]\nclone-in-lop = \"deny\"\nformat-in-loop = \"forbid\"\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(
            text.contains("unknown key `clone-in-lop` in [lint.rules]"),
            "{text}"
        );
        assert!(text.contains("did you mean `clone-in-loop`?"), "{text}");
        assert!(text.contains("perf.toml:2:1"), "{text}");
        assert!(text.contains("unknown lint level `forbid`"), "{text}");
        assert!(text.contains("perf.toml:3:18"), "{text}");
    }
}
