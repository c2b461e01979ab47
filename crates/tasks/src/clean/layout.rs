//! Cargo's target-dir layout: which directories are profiles
//! (`target/<profile>`, `target/<triple>/<profile>`), and how an entry name in
//! `deps/`, `build/`, `.fingerprint/`, `examples/` or `incremental/` maps to
//! the build unit (`<name>-<16 hex digits>`) it belongs to.

use std::fs;
use std::path::{Path, PathBuf};

/// The per-profile directories whose entries belong to build units.
pub(crate) const UNIT_DIRS: &[(&str, Kind)] = &[
    (".fingerprint", Kind::Deps),
    ("deps", Kind::Deps),
    ("examples", Kind::Deps),
    ("build", Kind::BuildScripts),
    ("incremental", Kind::Incremental),
];

/// What disk usage is reported by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    Deps,
    Incremental,
    BuildScripts,
    Docs,
    Other,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Deps => "deps",
            Kind::Incremental => "incremental",
            Kind::BuildScripts => "build-scripts",
            Kind::Docs => "docs",
            Kind::Other => "other",
        }
    }
}

/// One profile directory, such as `target/debug` or `target/wasm32-unknown-unknown/release`.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    /// `debug`, or `<triple>/debug` for a cross target.
    pub name: String,
    pub dir: PathBuf,
}

/// What identifies a build unit inside one profile.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum UnitKey {
    /// The metadata hash shared by the unit's entries in deps, build, .fingerprint, examples.
    Hash(u64),
    /// An incremental-compilation cache dir (`<crate>-<base36>`); its name is its own key.
    Incremental(Box<str>),
}

/// The top level of a target dir: its profiles, and everything else by kind.
#[derive(Debug, Default)]
pub(crate) struct TopLevel {
    pub profiles: Vec<Profile>,
    /// Entries outside any profile: `doc/` (docs) and the rest (other).
    pub loose: Vec<(PathBuf, Kind)>,
}

/// Finds the profiles of `target`. Symlinks are never followed.
pub(crate) fn top_level(target: &Path) -> std::io::Result<TopLevel> {
    let mut top = TopLevel::default();
    for entry in fs::read_dir(target)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type()?.is_dir();
        if !is_dir {
            top.loose.push((path, Kind::Other));
        } else if name == "doc" {
            top.loose.push((path, Kind::Docs));
        } else if is_profile(&path) {
            top.profiles.push(Profile { name, dir: path });
        } else if looks_like_triple(&name) {
            for inner in fs::read_dir(&path)? {
                let inner = inner?;
                let inner_path = inner.path();
                let inner_name = inner.file_name().to_string_lossy().into_owned();
                if inner.file_type()?.is_dir() && is_profile(&inner_path) {
                    top.profiles.push(Profile {
                        name: format!("{name}/{inner_name}"),
                        dir: inner_path,
                    });
                } else if inner_name == "doc" {
                    top.loose.push((inner_path, Kind::Docs));
                } else {
                    top.loose.push((inner_path, Kind::Other));
                }
            }
        } else {
            top.loose.push((path, Kind::Other));
        }
    }
    top.profiles.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(top)
}

fn is_profile(dir: &Path) -> bool {
    [".fingerprint", "deps"]
        .iter()
        .any(|sub| fs::symlink_metadata(dir.join(sub)).is_ok_and(|m| m.is_dir()))
}

/// Target triples have at least three parts (`wasm32-unknown-unknown`); this
/// keeps a nested target dir (say `target/tests`) from passing for one.
fn looks_like_triple(name: &str) -> bool {
    name.matches('-').count() >= 2
}

/// How to print a unit's name; formatted only when a unit is first seen.
pub(crate) enum UnitName<'a> {
    Whole(&'a str),
    Hashed(&'a str, u64),
}

impl UnitName<'_> {
    pub(crate) fn render(&self) -> String {
        match self {
            UnitName::Whole(name) => (*name).to_owned(),
            UnitName::Hashed(name, hash) => format!("{name}-{hash:016x}"),
        }
    }
}

/// The unit an entry of a unit directory belongs to, with the unit's display name.
pub(crate) fn unit_of<'a>(kind_dir: &str, entry: &'a str) -> Option<(UnitKey, UnitName<'a>)> {
    if kind_dir == "incremental" {
        return entry
            .rsplit_once('-')
            .filter(|(name, hash)| !name.is_empty() && !hash.is_empty())
            .map(|_| (UnitKey::Incremental(entry.into()), UnitName::Whole(entry)));
    }
    let (name, hash) = split_hash(entry)?;
    let library = [".rlib", ".rmeta", ".so", ".a", ".dylib"]
        .iter()
        .any(|ext| entry.ends_with(ext));
    let name = match name.strip_prefix("lib") {
        Some(stripped) if library && kind_dir == "deps" => stripped,
        _ => name,
    };
    Some((UnitKey::Hash(hash), UnitName::Hashed(name, hash)))
}

/// Splits `<name>-<16 hex digits>[.<ext>...]` into the name and the hash.
fn split_hash(entry: &str) -> Option<(&str, u64)> {
    let bytes = entry.as_bytes();
    let mut search = entry.len();
    while let Some(dash) = entry[..search].rfind('-') {
        let rest = &bytes[dash + 1..];
        if rest.len() >= 16
            && rest[..16]
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            && (rest.len() == 16 || rest[16] == b'.')
            && dash > 0
        {
            let hash = u64::from_str_radix(&entry[dash + 1..dash + 17], 16).ok()?;
            return Some((&entry[..dash], hash));
        }
        search = dash;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_entries_to_units() {
        let hash = 0x3caa8d92135e4244;
        let name = |k, e| unit_of(k, e).map(|(_, n)| n.render());
        assert_eq!(
            unit_of("deps", "libanyhow-3caa8d92135e4244.rlib")
                .unwrap()
                .0,
            UnitKey::Hash(hash)
        );
        assert_eq!(
            name("deps", "libanyhow-3caa8d92135e4244.rmeta").as_deref(),
            Some("anyhow-3caa8d92135e4244")
        );
        assert_eq!(
            name("deps", "cargo_perf-3caa8d92135e4244").as_deref(),
            Some("cargo_perf-3caa8d92135e4244")
        );
        assert_eq!(
            name(".fingerprint", "anstyle-parse-3caa8d92135e4244").as_deref(),
            Some("anstyle-parse-3caa8d92135e4244")
        );
        assert_eq!(
            name("deps", "libc-3caa8d92135e4244.d").as_deref(),
            Some("libc-3caa8d92135e4244")
        );
        assert_eq!(
            name("build", "libc-3caa8d92135e4244").as_deref(),
            Some("libc-3caa8d92135e4244")
        );
        assert!(unit_of("deps", "rmetaAbCdEf").is_none());
        assert!(unit_of("deps", "foo-3caa8d92135e424.rlib").is_none());
        assert!(unit_of("deps", "foo-3caa8d92135e4244x").is_none());
        assert_eq!(
            unit_of("incremental", "foo-2i4f4fsd0b3ks").unwrap().0,
            UnitKey::Incremental("foo-2i4f4fsd0b3ks".into())
        );
    }
}
