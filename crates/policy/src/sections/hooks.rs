//! `[hooks]`: which pipeline each git hook installed by `cargo perf hook
//! install` runs, and whether a missing `cargo-perf` blocks the push.

use toml::de::DeTable;

use crate::diagnostic::Diagnostic;
use crate::reader::{Located, Reader, Value};
use crate::sections::tasks::is_valid_name;
use crate::table::{Key, key};

/// The pipeline both hooks run unless perf.toml says otherwise.
pub const DEFAULT_PIPELINE: &str = "check";

/// Git hook settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hooks {
    /// The task or pipeline the pre-push hook runs (default `check`).
    pub pre_push: Located<String>,
    /// The task or pipeline the pre-commit hook runs (default `check`).
    pub pre_commit: Located<String>,
    /// When `cargo-perf` is not on PATH, block (true) or let it through with a warning (false).
    pub strict: bool,
}

impl Default for Hooks {
    fn default() -> Self {
        Self {
            pre_push: Located::builtin(DEFAULT_PIPELINE.to_owned()),
            pre_commit: Located::builtin(DEFAULT_PIPELINE.to_owned()),
            strict: false,
        }
    }
}

pub(crate) const KEYS: &[Key<Hooks>] = &[
    key("pre-push", |r, hooks, k, v| {
        if let Some(name) = pipeline_name(r, k, v) {
            hooks.pre_push = name;
        }
    }),
    key("pre-commit", |r, hooks, k, v| {
        if let Some(name) = pipeline_name(r, k, v) {
            hooks.pre_commit = name;
        }
    }),
    key("strict", |r, hooks, k, v| {
        hooks.strict = r.bool(k, v).unwrap_or_default()
    }),
];

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> Hooks {
    let mut hooks = Hooks::default();
    r.section(table, "[hooks]", KEYS, &mut hooks);
    hooks
}

fn pipeline_name(r: &mut Reader, key: &str, value: &Value<'_>) -> Option<Located<String>> {
    let name = r.string(key, value)?;
    if is_valid_name(&name.value) {
        return Some(name);
    }
    r.report(
        Diagnostic::new(format!("`{key}` names no valid task or pipeline"))
            .at(name.span.clone().unwrap_or_default())
            .label("not a valid name")
            .help(format!(
                "write a task or pipeline name, e.g. `{key} = \"check\"`"
            )),
    );
    None
}

#[cfg(test)]
mod tests {
    use crate::{SourceFile, parse};

    #[test]
    fn defaults_and_overrides() {
        let policy = parse(SourceFile::new("perf.toml", "[settings]\n")).unwrap();
        assert_eq!(policy.hooks.pre_push.value, "check");
        assert!(!policy.hooks.strict);
        let policy = parse(SourceFile::new(
            "perf.toml",
            "[hooks]\npre-push = \"ci\"\npre-commit = \"fmt\"\nstrict = true\n",
        ))
        .unwrap();
        assert_eq!(policy.hooks.pre_push.value, "ci");
        assert_eq!(policy.hooks.pre_commit.value, "fmt");
        assert!(policy.hooks.strict);
    }

    #[test]
    fn bad_values_point_at_the_line() {
        let text = parse(SourceFile::new(
            "perf.toml",
            "[hooks]\npre-push = \"a b\"\nstrict = \"yes\"\nprepush = \"x\"\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(text.contains("perf.toml:2:12"), "{text}");
        assert!(text.contains("expected a boolean"), "{text}");
        assert!(text.contains("did you mean `pre-push`?"), "{text}");
    }
}
