//! `[clean]`: what `cargo perf clean` may remove from the target dir (units
//! older than `max-age`, units of toolchains no longer installed, the least
//! recently used units beyond `max-size`) and which extra untracked files
//! (`[[clean.extra]]`) anywhere in the workspace.

use std::time::Duration;

use toml::de::{DeTable, DeValue};

use crate::choice::Choice;
use crate::diagnostic::Diagnostic;
use crate::glob::Glob;
use crate::reader::{Located, Reader, Value};
use crate::table::{Key, key};
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
    /// Which paths (see [`Glob`] for how it matches).
    pub glob: Located<Glob>,
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

impl Choice for Toolchains {
    const WHAT: &'static str = "`toolchains` value";
    const VALUES: &'static [(&'static str, Self)] = &[
        ("any", Toolchains::Any),
        ("installed", Toolchains::Installed),
    ];
}

pub(crate) const KEYS: &[Key<Clean>] = &[
    key("max-age", |r, c, k, v| c.max_age = r.duration(k, v)),
    key("toolchains", |r, c, k, v| {
        c.toolchains = r.choice(k, v).unwrap_or_default()
    }),
    key("max-size", |r, c, k, v| c.max_size = r.size(k, v)),
    key("extra", |r, c, _, v| c.extra = read_extras(r, v)),
];

/// An `[[clean.extra]]` entry being read.
#[derive(Default)]
pub(crate) struct Draft {
    glob: Option<Located<Glob>>,
    larger_than: Option<ByteSize>,
    older_than: Option<Duration>,
}

pub(crate) const EXTRA_KEYS: &[Key<Draft>] = &[
    key("glob", |r, d, k, v| d.glob = r.glob(k, v)),
    key("larger-than", |r, d, k, v| d.larger_than = r.size(k, v)),
    key("older-than", |r, d, k, v| d.older_than = r.duration(k, v)),
];

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> Clean {
    let mut clean = Clean::default();
    r.section(table, "[clean]", KEYS, &mut clean);
    clean
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
        let mut draft = Draft::default();
        r.section(table, "[[clean.extra]]", EXTRA_KEYS, &mut draft);
        match draft.glob {
            Some(glob) => extras.push(Extra {
                glob,
                larger_than: draft.larger_than,
                older_than: draft.older_than,
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
        assert_eq!(clean.extra[0].glob.value.as_str(), "**/*.profraw");
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
        assert!(text.contains("unknown `toolchains` value `some`"), "{text}");
        assert!(text.contains("perf.toml:2:14"), "{text}");
        assert!(text.contains("must stay inside the workspace"), "{text}");
        assert!(text.contains("has no `glob`"), "{text}");
    }
}
