//! `[hooks]`: which pipeline each git hook installed by `cargo perf hook
//! install` runs, and whether a missing `cargo-perf` blocks the push.

use toml::de::DeTable;

use crate::diagnostic::Diagnostic;
use crate::reader::{Located, Reader};
use crate::sections::tasks::is_valid_name;

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

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> Hooks {
    let mut hooks = Hooks::default();
    r.fields(
        table,
        "[hooks]",
        &["pre-push", "pre-commit", "strict"],
        |r, key, value| match key {
            "strict" => hooks.strict = r.bool(key, value).unwrap_or_default(),
            _ => {
                let Some(name) = r.string(key, value) else {
                    return;
                };
                if !is_valid_name(&name.value) {
                    r.report(
                        Diagnostic::new(format!("`{key}` names no valid task or pipeline"))
                            .at(name.span.clone().unwrap_or_default())
                            .label("not a valid name")
                            .help(format!(
                                "write a task or pipeline name, e.g. `{key} = \"check\"`"
                            )),
                    );
                } else if key == "pre-push" {
                    hooks.pre_push = name;
                } else {
                    hooks.pre_commit = name;
                }
            }
        },
    );
    hooks
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
