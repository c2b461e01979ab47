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

/// A kind of target the `build` task compiles, as cargo's selection flags
/// name them (`--lib`, `--bins`, `--tests`, `--benches`, `--examples`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BuildTarget {
    Lib,
    Bins,
    Tests,
    Benches,
    Examples,
}

impl BuildTarget {
    /// Every kind: `"all"`, cargo's `--all-targets`.
    pub const ALL: [BuildTarget; 5] = [
        BuildTarget::Lib,
        BuildTarget::Bins,
        BuildTarget::Tests,
        BuildTarget::Benches,
        BuildTarget::Examples,
    ];

    /// What `cargo build` and `cargo test` compile: everything but benches,
    /// which often need nightly (`#![feature(test)]`).
    pub const DEFAULT: [BuildTarget; 4] = [
        BuildTarget::Lib,
        BuildTarget::Bins,
        BuildTarget::Tests,
        BuildTarget::Examples,
    ];

    /// The name in perf.toml and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            BuildTarget::Lib => "lib",
            BuildTarget::Bins => "bins",
            BuildTarget::Tests => "tests",
            BuildTarget::Benches => "benches",
            BuildTarget::Examples => "examples",
        }
    }

    /// One entry of `[build] targets` or `--targets`: a kind, or `all`.
    /// The error is the help to show.
    pub fn parse(text: &str) -> Result<Vec<BuildTarget>, String> {
        if text == "all" {
            return Ok(Self::ALL.to_vec());
        }
        if let Some(kind) = Self::ALL.into_iter().find(|k| k.name() == text) {
            return Ok(vec![kind]);
        }
        let names: Vec<&str> = Self::ALL.iter().map(|k| k.name()).chain(["all"]).collect();
        // `bench` for `benches`: cargo's own flags have both forms.
        let plural = names
            .iter()
            .copied()
            .find(|name| text.len() >= 3 && name.starts_with(text));
        Err(
            match plural.or_else(|| crate::suggest(text, names.iter().copied())) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the target kinds are {}", names.join(", ")),
            },
        )
    }
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
    /// The kinds of targets built (default [`BuildTarget::DEFAULT`]); never empty.
    pub targets: Vec<BuildTarget>,
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
            targets: BuildTarget::DEFAULT.to_vec(),
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
    key("targets", |r, b, k, v| {
        if let Some(targets) = read_targets(r, k, v) {
            b.targets = targets;
        }
    }),
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

/// `targets = "all"`, `targets = "lib"` or `targets = ["lib", "bins", "benches"]`.
fn read_targets(r: &mut Reader, key: &str, value: &Value<'_>) -> Option<Vec<BuildTarget>> {
    let entries = match value.get_ref() {
        DeValue::String(text) => vec![Located::new(text.to_string(), value.span())],
        DeValue::Array(_) => r.string_list(key, value)?,
        other => {
            r.report(
                Diagnostic::new(format!(
                    "wrong type for `{key}`: expected \"all\" or an array of target kinds, found {}",
                    other.type_str()
                ))
                .at(value.span())
                .label("expected a string or an array of strings")
                .help(format!(
                    "write `{key} = \"all\"` or `{key} = [\"lib\", \"bins\", \"tests\", \"examples\"]`"
                )),
            );
            return None;
        }
    };
    if entries.is_empty() {
        r.report(
            Diagnostic::new(format!("`{key}` selects no target"))
                .at(value.span())
                .label("empty")
                .help(format!(
                    "remove `{key}` to build what `cargo build` and `cargo test` build, or name kinds: lib, bins, tests, benches, examples, all"
                )),
        );
        return None;
    }
    let mut targets = Vec::new();
    let mut ok = true;
    for entry in &entries {
        match BuildTarget::parse(&entry.value) {
            Ok(kinds) => targets.extend(kinds),
            Err(help) => {
                ok = false;
                r.report(
                    Diagnostic::new(format!("unknown target kind `{}`", entry.value))
                        .at(entry.span.clone().unwrap_or_default())
                        .label("not a target kind")
                        .help(help),
                );
            }
        }
    }
    targets.sort();
    targets.dedup();
    ok.then_some(targets)
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
    fn targets_are_kinds_or_all() {
        use super::BuildTarget;
        assert_eq!(build("[build]\n").targets, BuildTarget::DEFAULT);
        assert_eq!(
            build("[build]\ntargets = \"all\"\n").targets,
            BuildTarget::ALL
        );
        assert_eq!(
            build("[build]\ntargets = [\"benches\", \"lib\", \"lib\"]\n").targets,
            [BuildTarget::Lib, BuildTarget::Benches]
        );
        let text = errors("[build]\ntargets = [\"lib\", \"bench\"]\n");
        assert!(text.contains("unknown target kind `bench`"), "{text}");
        assert!(text.contains("perf.toml:2:19"), "{text}");
        assert!(text.contains("did you mean `benches`?"), "{text}");
        assert!(errors("[build]\ntargets = []\n").contains("selects no target"));
        assert!(errors("[build]\ntargets = 1\n").contains("expected \"all\" or an array"));
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
