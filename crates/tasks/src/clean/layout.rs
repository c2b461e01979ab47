//! Cargo's target-dir layout: which directories are profiles
//! (`target/<profile>`, `target/<triple>/<profile>`), and how an entry name in
//! `deps/`, `build/`, `.fingerprint/`, `examples/` or `incremental/` maps to
//! the build unit (`<name>-<16 hex digits>`) it belongs to.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::nofollow::{Anchor, Listing, Stat, open_dir, os_name, stat};

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
    /// The directory, opened without following a symlink: everything in it is reached from here.
    pub fd: Arc<OwnedFd>,
}

/// What identifies a build unit inside one profile.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum UnitKey {
    /// The metadata hash shared by the unit's entries in deps, build, .fingerprint, examples.
    Hash(u64),
    /// An incremental-compilation cache dir (`<crate>-<base36>`); its name is its own key.
    Incremental(Box<str>),
}

/// An entry outside every profile, and the directory holding it.
#[derive(Debug)]
pub(crate) struct Loose {
    pub parent: Arc<OwnedFd>,
    pub name: CString,
    pub path: PathBuf,
    pub kind: Kind,
}

/// The top level of a target dir: its profiles, and everything else by kind.
#[derive(Debug, Default)]
pub(crate) struct TopLevel {
    pub profiles: Vec<Profile>,
    /// Entries outside any profile: `doc/` (docs) and the rest (other).
    pub loose: Vec<Loose>,
    /// The blocks of the cross-target dirs themselves (those holding profiles).
    pub triple_dirs_bytes: u64,
}

/// Finds the profiles of the target dir. Symlinks are never followed: a
/// link where a profile or a triple dir would be is an entry of its own.
pub(crate) fn top_level(target: &Anchor) -> io::Result<TopLevel> {
    let root = Arc::new(target.dup()?);
    let mut top = TopLevel::default();
    for (name, stat) in entries(&root)? {
        let path = target.path.join(os_name(&name));
        let text = name.to_string_lossy().into_owned();
        let opened = stat
            .is_dir()
            .then(|| open_dir(root.as_fd(), &name).ok())
            .flatten();
        match opened {
            Some(_) if text == "doc" => top.loose.push(loose(&root, name, path, Kind::Docs)),
            Some(fd) if is_profile(&fd) => top.profiles.push(Profile {
                name: text,
                dir: path,
                fd: Arc::new(fd),
            }),
            Some(fd) if looks_like_triple(&text) => {
                top.triple_dirs_bytes += stat.bytes;
                triple(&mut top, Arc::new(fd), &text, &path)?;
            }
            _ => top.loose.push(loose(&root, name, path, Kind::Other)),
        }
    }
    top.profiles.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(top)
}

/// The profiles (and the rest) of a cross-target dir `target/<triple>`.
fn triple(top: &mut TopLevel, dir: Arc<OwnedFd>, triple: &str, path: &Path) -> io::Result<()> {
    for (name, stat) in entries(&dir)? {
        let inner_path = path.join(os_name(&name));
        let text = name.to_string_lossy().into_owned();
        let opened = stat
            .is_dir()
            .then(|| open_dir(dir.as_fd(), &name).ok())
            .flatten();
        match opened {
            Some(fd) if is_profile(&fd) => top.profiles.push(Profile {
                name: format!("{triple}/{text}"),
                dir: inner_path,
                fd: Arc::new(fd),
            }),
            _ => {
                let kind = if text == "doc" {
                    Kind::Docs
                } else {
                    Kind::Other
                };
                top.loose.push(loose(&dir, name, inner_path, kind));
            }
        }
    }
    Ok(())
}

fn loose(parent: &Arc<OwnedFd>, name: CString, path: PathBuf, kind: Kind) -> Loose {
    Loose {
        parent: Arc::clone(parent),
        name,
        path,
        kind,
    }
}

/// The entries of a directory with their stats, in name order (vanished ones left out).
fn entries(dir: &OwnedFd) -> io::Result<Vec<(CString, Stat)>> {
    let names = Listing::new(dir.as_fd())?.names()?;
    Ok(names
        .into_iter()
        .filter_map(|name| stat(dir.as_fd(), &name).ok().map(|s| (name, s)))
        .collect())
}

fn is_profile(dir: &OwnedFd) -> bool {
    [c".fingerprint", c"deps"]
        .iter()
        .any(|sub| stat(dir.as_fd(), sub).is_ok_and(|s| s.is_dir()))
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
