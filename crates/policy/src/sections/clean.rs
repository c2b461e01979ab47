//! `[clean]`: what `cargo perf clean` may remove from the target dir (units
//! older than `max-age`, units of toolchains no longer installed, the least
//! recently used units beyond `max-size`) and which extra untracked files
//! (`[[clean.extra]]`) anywhere in the workspace.

use std::time::Duration;

use toml::de::{DeTable, DeValue};

use crate::diagnostic::Diagnostic;
use crate::reader::{Located, Reader, Value};
use crate::units::ByteSize;

/// Which toolchains' build units to keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Toolchains {
    /// Keep units whatever toolchain built them (the rule is off).
    #[default]
    Any,
    /// Remove units built by a toolchain that is no longer installed.
    Installed,
}

/// Extra files to remove: untracked paths matching `glob`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extra {
    /// Matched against the path relative to the workspace root (`**/` for any depth).
    pub glob: Located<String>,
    pub larger_than: Option<ByteSize>,
    pub older_than: Option<Duration>,
}

/// The `[clean]` section; every rule is off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clean {
    pub max_age: Option<Duration>,
    pub toolchains: Toolchains,
    pub max_size: Option<ByteSize>,
    pub extra: Vec<Extra>,
}

const KEYS: &[&str] = &["max-age", "toolchains", "max-size", "extra"];
const EXTRA_KEYS: &[&str] = &["glob", "larger-than", "older-than"];

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> Clean {
    let mut clean = Clean::default();
    r.fields(table, "[clean]", KEYS, |r, key, value| match key {
        "max-age" => clean.max_age = r.duration(key, value),
        "max-size" => clean.max_size = r.size(key, value),
        "toolchains" => clean.toolchains = read_toolchains(r, key, value),
        _ => clean.extra = read_extras(r, value),
    });
    clean
}

fn read_toolchains(r: &mut Reader, key: &str, value: &Value<'_>) -> Toolchains {
    match r.string(key, value).as_ref().map(|s| s.value.as_str()) {
        Some("installed") => Toolchains::Installed,
        Some("any") => Toolchains::Any,
        Some(other) => {
            r.report(
                Diagnostic::new(format!("unknown value `{other}` for `toolchains`"))
                    .at(value.span())
                    .label("expected \"installed\" or \"any\"")
                    .help("write `toolchains = \"installed\"` to remove units of toolchains that are no longer installed, or `\"any\"` to keep them"),
            );
            Toolchains::Any
        }
        None => Toolchains::Any,
    }
}

fn read_extras(r: &mut Reader, value: &Value<'_>) -> Vec<Extra> {
    let DeValue::Array(items) = value.get_ref() else {
        r.report(
            Diagnostic::new(format!(
                "wrong type for `extra`: expected an array of tables, found a {}",
                value.get_ref().type_str()
            ))
            .at(value.span())
            .label("expected `[[clean.extra]]` tables")
            .help("write each entry as `[[clean.extra]]` followed by `glob = \"**/*.profraw\"`"),
        );
        return Vec::new();
    };
    let mut extras = Vec::with_capacity(items.len());
    for item in items {
        let Some(table) = r.table("clean.extra", item) else {
            continue;
        };
        let mut glob = None;
        let mut larger_than = None;
        let mut older_than = None;
        r.fields(
            table,
            "[[clean.extra]]",
            EXTRA_KEYS,
            |r, key, value| match key {
                "glob" => glob = r.string(key, value).and_then(|g| check_glob(r, g)),
                "larger-than" => larger_than = r.size(key, value),
                _ => older_than = r.duration(key, value),
            },
        );
        match glob {
            Some(glob) => extras.push(Extra {
                glob,
                larger_than,
                older_than,
            }),
            None if !table.contains_key("glob") => r.report(
                Diagnostic::new("a `[[clean.extra]]` entry has no `glob`")
                    .at(item.span())
                    .label("this entry needs `glob`")
                    .help("say which files it removes, e.g. `glob = \"**/*.profraw\"`"),
            ),
            None => {}
        }
    }
    extras
}

fn check_glob(r: &mut Reader, glob: Located<String>) -> Option<Located<String>> {
    let span = glob.span.clone().unwrap_or_default();
    let problem = if glob.value.trim().is_empty() {
        Some("the glob is empty".to_owned())
    } else if glob.value.starts_with('/') || glob.value.split('/').any(|part| part == "..") {
        Some("the glob must stay inside the workspace (no leading `/`, no `..`)".to_owned())
    } else {
        glob::Pattern::new(&glob.value)
            .err()
            .map(|err| format!("invalid glob: {}", err.msg))
    };
    match problem {
        Some(message) => {
            r.report(
                Diagnostic::new(format!("{message} (`{}`)", glob.value))
                    .at(span)
                    .label("bad glob")
                    .help("write a path relative to the workspace root, e.g. `glob = \"**/*.profraw\"`"),
            );
            None
        }
        None => Some(glob),
    }
}

#[cfg(test)]
mod tests {
    use crate::{SourceFile, parse};

    use super::*;

    #[test]
    fn reads_every_key() {
        let policy = parse(SourceFile::new(
            "perf.toml",
            "[clean]\nmax-age = \"30d\"\ntoolchains = \"installed\"\nmax-size = \"10 GiB\"\n\n[[clean.extra]]\nglob = \"**/*.profraw\"\nlarger-than = \"1 MiB\"\nolder-than = \"7d\"\n",
        ))
        .unwrap();
        let clean = policy.clean;
        assert_eq!(clean.max_age, Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(clean.toolchains, Toolchains::Installed);
        assert_eq!(clean.max_size, Some(ByteSize(10 << 30)));
        assert_eq!(clean.extra.len(), 1);
        assert_eq!(clean.extra[0].glob.value, "**/*.profraw");
        assert_eq!(clean.extra[0].larger_than, Some(ByteSize(1 << 20)));
    }

    #[test]
    fn bad_values_are_located() {
        let text = parse(SourceFile::new(
            "perf.toml",
            "[clean]\ntoolchains = \"some\"\n[[clean.extra]]\nglob = \"../x\"\n[[clean.extra]]\nolder-than = \"1d\"\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(text.contains("unknown value `some`"), "{text}");
        assert!(text.contains("perf.toml:2:14"), "{text}");
        assert!(text.contains("must stay inside the workspace"), "{text}");
        assert!(text.contains("has no `glob`"), "{text}");
    }
}
