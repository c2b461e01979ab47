//! `[build]`: how the `build` task builds the workspace to judge its
//! incremental health, and the incremental-rebuild budgets it enforces.

use std::time::Duration;

use toml::de::{DeTable, DeValue};

use crate::choice::Choice;
use crate::diagnostic::Diagnostic;
use crate::reader::{Located, Reader, Value};
use crate::table::{Key, key};

/// The cargo subcommand the task drives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CargoCommand {
    /// `cargo build`: compiles and links, what a developer waits for.
    #[default]
    Build,
    /// `cargo check`: type-checks only, faster.
    Check,
}

impl Choice for CargoCommand {
    const WHAT: &'static str = "build command";
    const VALUES: &'static [(&'static str, Self)] = &[
        ("build", CargoCommand::Build),
        ("check", CargoCommand::Check),
    ];
}

/// Settings of the `build` task. Command-line flags override some of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSettings {
    /// `build` or `check` (default `build`).
    pub command: CargoCommand,
    /// A cargo profile (`--profile`); `None` is cargo's default (`dev`).
    pub profile: Option<String>,
    /// Features to enable (`--features`).
    pub features: Vec<String>,
    /// A target triple (`--target`).
    pub target: Option<String>,
    /// Extra arguments passed to every cargo build.
    pub args: Vec<String>,
    /// Members whose incremental rebuild is timed; empty means all of them.
    pub members: Vec<Located<String>>,
    /// Whether to time incremental rebuilds at all (default true).
    pub incremental: bool,
    /// The incremental-rebuild budget of members not listed in `per_member`.
    pub incremental_budget: Option<Duration>,
    /// Budgets of named members.
    pub per_member_budget: Vec<(Located<String>, Duration)>,
}

impl Default for BuildSettings {
    fn default() -> Self {
        Self {
            command: CargoCommand::Build,
            profile: None,
            features: Vec::new(),
            target: None,
            args: Vec::new(),
            members: Vec::new(),
            incremental: true,
            incremental_budget: None,
            per_member_budget: Vec::new(),
        }
    }
}

impl BuildSettings {
    /// The budget for `member`'s incremental rebuild, if any.
    pub fn budget_for(&self, member: &str) -> Option<Duration> {
        self.per_member_budget
            .iter()
            .find(|(name, _)| name.value == member)
            .map(|(_, budget)| *budget)
            .or(self.incremental_budget)
    }
}

pub(crate) const KEYS: &[Key<BuildSettings>] = &[
    key("command", |r, b, k, v| {
        if let Some(command) = r.choice(k, v) {
            b.command = command;
        }
    }),
    key("profile", |r, b, k, v| {
        b.profile = r.non_empty(k, v, "release").map(|s| s.value)
    }),
    key("features", |r, b, k, v| b.features = r.strings(k, v)),
    key("target", |r, b, k, v| {
        b.target = r
            .non_empty(k, v, "x86_64-unknown-linux-gnu")
            .map(|s| s.value)
    }),
    key("args", |r, b, k, v| b.args = r.strings(k, v)),
    key("members", |r, b, k, v| {
        b.members = r.string_list(k, v).unwrap_or_default()
    }),
    key("incremental", |r, b, k, v| {
        b.incremental = r.bool(k, v).unwrap_or(true)
    }),
    key("incremental-budget", read_budget),
];

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> BuildSettings {
    let mut build = BuildSettings::default();
    r.section(table, "[build]", KEYS, &mut build);
    build
}

/// `incremental-budget = "20s"` or `incremental-budget = { default = "20s", core = "60s" }`.
fn read_budget(r: &mut Reader, build: &mut BuildSettings, key: &str, value: &Value<'_>) {
    let DeValue::Table(table) = value.get_ref() else {
        if let DeValue::String(_) = value.get_ref() {
            build.incremental_budget = r.duration(key, value);
        } else {
            r.report(
                Diagnostic::new(format!(
                    "wrong type for `{key}`: expected a duration or a table of durations, found {}",
                    value.get_ref().type_str()
                ))
                .at(value.span())
                .label("expected a duration")
                .help(format!(
                    "write `{key} = \"20s\"`, or `{key} = {{ default = \"20s\", my-member = \"60s\" }}`"
                )),
            );
        }
        return;
    };
    for (name, item) in table {
        let member = name.get_ref().as_ref();
        let Some(duration) = r.duration(&format!("{key}.{member}"), item) else {
            continue;
        };
        if member == "default" {
            build.incremental_budget = Some(duration);
        } else {
            build
                .per_member_budget
                .push((Located::new(member.to_owned(), name.span()), duration));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{SourceFile, parse};

    fn build(text: &str) -> super::BuildSettings {
        parse(SourceFile::new("perf.toml", text)).unwrap().build
    }

    fn errors(text: &str) -> String {
        parse(SourceFile::new("perf.toml", text))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_every_key() {
        let b = build(
            "[build]\ncommand = \"check\"\nprofile = \"release\"\nfeatures = [\"x\"]\ntarget = \"wasm32-unknown-unknown\"\nargs = [\"--locked\"]\nmembers = [\"a\"]\nincremental = false\nincremental-budget = { default = \"10s\", a = \"1m\" }\n",
        );
        assert_eq!(b.command, super::CargoCommand::Check);
        assert_eq!(b.profile.as_deref(), Some("release"));
        assert_eq!(b.features, ["x"]);
        assert_eq!(b.args, ["--locked"]);
        assert_eq!(b.members[0].value, "a");
        assert!(!b.incremental);
        assert_eq!(b.budget_for("a"), Some(std::time::Duration::from_secs(60)));
        assert_eq!(b.budget_for("b"), Some(std::time::Duration::from_secs(10)));
    }

    #[test]
    fn a_plain_budget_applies_to_every_member() {
        let b = build("[build]\nincremental-budget = \"0s\"\n");
        assert_eq!(b.budget_for("any"), Some(std::time::Duration::ZERO));
    }

    #[test]
    fn bad_values_are_located() {
        let text = errors(
            "[build]\ncommand = \"test\"\nincremental-budget = 3\nprofile = \"\"\nfeature = []\n",
        );
        assert!(text.contains("unknown build command `test`"), "{text}");
        assert!(text.contains("perf.toml:2:11"), "{text}");
        assert!(text.contains("expected a duration or a table"), "{text}");
        assert!(text.contains("`profile` is empty"), "{text}");
        assert!(text.contains("did you mean `features`?"), "{text}");
        let text = errors("[build]\nincremental-budget = { a = \"soon\" }\n");
        assert!(
            text.contains("invalid value for `incremental-budget.a`"),
            "{text}"
        );
    }
}
