//! Reads git's index file (formats 2, 3 and 4) in process, so listing
//! 100,000 tracked files costs one read of one file instead of a git process
//! that reads the same file and prints it back. Hand-written rather than the
//! `gix-index` crate: we need only each entry's path and flags, the format is
//! short and documented (git's `Documentation/gitformat-index.txt`), and a
//! dozen gitoxide crates are a heavy price for 200 lines.
//!
//! Whatever this reader is not sure of, it refuses ([`Unsupported`]) and the
//! caller asks git instead: a split index (the `link` extension), a sparse
//! index (`sdir`, directory entries), any other extension git marks required
//! (lowercase signature), an unknown version, `GIT_INDEX_FILE`, or bytes that
//! do not add up. The cached stat data is not used: an entry's size is the
//! size when git last looked, and a file edited since (without `git add`)
//! has another; only an `lstat` tells the size now.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The mode of a sparse-directory entry (a sparse index).
const MODE_DIRECTORY: u32 = 0o040000;
const MODE_TYPE: u32 = 0o170000;
const MODE_GITLINK: u32 = 0o160000;
const FLAG_EXTENDED: u16 = 0x4000;
const EXTENDED_SKIP_WORKTREE: u16 = 0x4000;
const NAME_MASK: u16 = 0x0fff;
/// ctime, mtime, dev, ino, mode, uid, gid, size: ten 32-bit fields.
const STAT_LEN: usize = 40;

/// Why the index was not read here (the caller then asks git).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsupported(pub &'static str);

/// The tracked paths below the workspace root, in index order.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// NUL-terminated paths relative to the top level, each starting with the
    /// workspace prefix (`prefix_len` bytes, the slash included).
    names: Vec<u8>,
    prefix_len: usize,
    /// A `.gitignore` is skip-worktree: git then reads its rules from the
    /// index's blob, which this reader cannot.
    pub skip_worktree_gitignore: bool,
    /// Submodules below the workspace root, relative to it.
    gitlinks: Vec<PathBuf>,
}

impl Listing {
    /// Each path relative to the workspace root: what `git ls-files -z
    /// --cached` prints there, in the same order (an unmerged path once per stage).
    pub fn ws_paths(&self) -> Vec<&Path> {
        self.top_paths()
            .map(|p| Path::new(std::ffi::OsStr::from_bytes(&p[self.prefix_len..])))
            .collect()
    }

    /// Each path relative to the top level, as bytes.
    pub fn top_paths(&self) -> impl Iterator<Item = &[u8]> {
        self.names.split(|b| *b == 0).filter(|p| !p.is_empty())
    }

    /// Whether `ws_path` (relative to the workspace root) is a submodule.
    pub fn is_gitlink(&self, ws_path: &Path) -> bool {
        self.gitlinks.iter().any(|g| g == ws_path)
    }

    /// How many bytes of a top-level path are the workspace prefix.
    pub fn prefix_len(&self) -> usize {
        self.prefix_len
    }
}

/// Reads `git_dir/index`, keeping the entries below `ws_prefix` (relative
/// to the top level; empty for the whole tree).
pub(crate) fn read(git_dir: &Path, ws_prefix: &Path) -> Result<Listing, Unsupported> {
    if std::env::var_os("GIT_INDEX_FILE").is_some() {
        return Err(Unsupported("GIT_INDEX_FILE is set"));
    }
    let bytes = std::fs::read(git_dir.join("index")).map_err(|_| Unsupported("no index file"))?;
    let mut prefix = ws_prefix.as_os_str().as_bytes().to_vec();
    if !prefix.is_empty() {
        prefix.push(b'/');
    }
    // SHA-1 first; a SHA-256 repository's index does not add up with 20-byte ids.
    parse(&bytes, 20, &prefix).or_else(|first| parse(&bytes, 32, &prefix).map_err(|_| first))
}

/// Parses a whole index whose object ids are `hash_len` bytes long.
pub(crate) fn parse(bytes: &[u8], hash_len: usize, prefix: &[u8]) -> Result<Listing, Unsupported> {
    let bad = Unsupported("the index does not parse");
    if bytes.len() < 12 + hash_len || &bytes[..4] != b"DIRC" {
        return Err(bad);
    }
    let version = be32(bytes, 4).ok_or(bad.clone())?;
    if !(2..=4).contains(&version) {
        return Err(Unsupported("unknown index version"));
    }
    let count = be32(bytes, 8).ok_or(bad.clone())? as usize;
    let body = &bytes[..bytes.len() - hash_len];
    let mut listing = Listing {
        names: Vec::with_capacity(count * 32),
        prefix_len: prefix.len(),
        skip_worktree_gitignore: false,
        gitlinks: Vec::new(),
    };
    let mut at = 12;
    let mut name: Vec<u8> = Vec::new();
    for _ in 0..count {
        let entry = entry(body, at, hash_len, version, &mut name).ok_or(bad.clone())?;
        if entry.mode == MODE_DIRECTORY {
            return Err(Unsupported("sparse index"));
        }
        if entry.skip_worktree && (name == b".gitignore" || name.ends_with(b"/.gitignore")) {
            listing.skip_worktree_gitignore = true;
        }
        if name.starts_with(prefix) {
            if entry.mode & MODE_TYPE == MODE_GITLINK {
                let ws_path = std::ffi::OsStr::from_bytes(&name[prefix.len()..]);
                listing.gitlinks.push(PathBuf::from(ws_path));
            }
            listing.names.extend_from_slice(&name);
            listing.names.push(0);
        }
        at = entry.end;
    }
    extensions(body, at)?;
    Ok(listing)
}

/// One parsed entry (its name is left in the caller's buffer).
struct Entry {
    mode: u32,
    skip_worktree: bool,
    end: usize,
}

/// Parses the entry at `at`, replacing `name` with its path.
fn entry(
    body: &[u8],
    at: usize,
    hash_len: usize,
    version: u32,
    name: &mut Vec<u8>,
) -> Option<Entry> {
    let mode = be32(body, at + 24)?;
    let flags_at = at + STAT_LEN + hash_len;
    let flags = be16(body, flags_at)?;
    let extended = flags & FLAG_EXTENDED != 0;
    if extended && version < 3 {
        return None;
    }
    let mut name_at = flags_at + 2;
    let mut skip_worktree = false;
    if extended {
        skip_worktree = be16(body, name_at)? & EXTENDED_SKIP_WORKTREE != 0;
        name_at += 2;
    }
    let end = if version == 4 {
        let (strip, suffix_at) = varint(body, name_at)?;
        let keep = name.len().checked_sub(usize::try_from(strip).ok()?)?;
        let suffix_len = body.get(suffix_at..)?.iter().position(|b| *b == 0)?;
        name.truncate(keep);
        name.extend_from_slice(&body[suffix_at..suffix_at + suffix_len]);
        suffix_at + suffix_len + 1
    } else {
        let len = body.get(name_at..)?.iter().position(|b| *b == 0)?;
        name.clear();
        name.extend_from_slice(&body[name_at..name_at + len]);
        let end = (name_at - at + len + 8) & !7;
        let padding = body.get(name_at + len..at + end)?;
        if padding.iter().any(|b| *b != 0) {
            return None;
        }
        at + end
    };
    let declared = usize::from(flags & NAME_MASK);
    if name.is_empty() || (declared < usize::from(NAME_MASK) && declared != name.len()) {
        return None;
    }
    Some(Entry {
        mode,
        skip_worktree,
        end,
    })
}

/// Walks the extensions up to the trailing checksum, refusing the ones that
/// change what the entries mean.
fn extensions(body: &[u8], mut at: usize) -> Result<(), Unsupported> {
    while at < body.len() {
        let bad = Unsupported("the index does not parse");
        let signature = body.get(at..at + 4).ok_or(bad.clone())?;
        let len = be32(body, at + 4).ok_or(bad.clone())? as usize;
        match signature {
            b"link" => return Err(Unsupported("split index")),
            b"sdir" => return Err(Unsupported("sparse index")),
            [first, ..] if !first.is_ascii_uppercase() => {
                return Err(Unsupported("a required index extension"));
            }
            _ => {}
        }
        at = at.checked_add(8 + len).ok_or(bad.clone())?;
        if at > body.len() {
            return Err(bad);
        }
    }
    Ok(())
}

/// git's offset varint (`varint.c`): each continuation adds one before shifting.
fn varint(bytes: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let mut byte = *bytes.get(at)?;
    at += 1;
    let mut value = u64::from(byte & 0x7f);
    while byte & 0x80 != 0 {
        value = value.checked_add(1)?;
        if value >> 57 != 0 {
            return None;
        }
        byte = *bytes.get(at)?;
        at += 1;
        value = (value << 7) + u64::from(byte & 0x7f);
    }
    Some((value, at))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        out.stdout
    }

    /// A temporary directory, removed on drop.
    pub(crate) struct TempDir(std::path::PathBuf);

    impl TempDir {
        pub(crate) fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!(
                "cargo-perf-{name}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        pub(crate) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A repository with nested, long and odd names.
    fn repo() -> TempDir {
        let dir = TempDir::new("index-test");
        let root = dir.path();
        git(root, &["init", "-q"]);
        let long = "l".repeat(250);
        for path in [
            "a.txt",
            "b/c/d.rs",
            "b/c/e.rs",
            "b/x y",
            "z/ü.txt",
            &format!("b/{long}"),
        ] {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        git(root, &["add", "-A"]);
        git(root, &["commit", "-qm", "x"]);
        dir
    }

    fn listed(root: &Path, prefix: &str) -> Result<Vec<u8>, Unsupported> {
        let listing = read(&root.join(".git"), Path::new(prefix))?;
        let mut out = Vec::new();
        for path in listing.ws_paths() {
            out.extend_from_slice(path.as_os_str().as_bytes());
            out.push(0);
        }
        Ok(out)
    }

    #[test]
    fn lists_what_git_lists_in_every_version() {
        let dir = repo();
        let root = dir.path();
        for version in ["2", "3", "4", "2"] {
            git(root, &["update-index", "--index-version", version]);
            if version == "3" {
                git(root, &["update-index", "--skip-worktree", "a.txt"]);
            }
            assert_eq!(
                listed(root, "").unwrap(),
                git(root, &["ls-files", "-z"]),
                "v{version}"
            );
            assert_eq!(
                listed(root, "b").unwrap(),
                git(&root.join("b"), &["ls-files", "-z"]),
                "v{version} below b"
            );
        }
    }

    #[test]
    fn refuses_split_and_sparse_indexes() {
        let dir = repo();
        let root = dir.path();
        git(root, &["update-index", "--split-index"]);
        // Its entries refer to the shared index (some by an empty name).
        assert!(listed(root, "").is_err());
        git(root, &["update-index", "--no-split-index"]);
        assert!(listed(root, "").is_ok());
        git(
            root,
            &["sparse-checkout", "set", "--cone", "--sparse-index", "b"],
        );
        assert_eq!(listed(root, ""), Err(Unsupported("sparse index")));
    }

    #[test]
    fn refuses_what_does_not_add_up() {
        let dir = repo();
        let bytes = std::fs::read(dir.path().join(".git/index")).unwrap();
        assert!(parse(&bytes, 20, b"").is_ok());
        assert!(parse(&bytes, 32, b"").is_err());
        assert!(parse(&bytes[..bytes.len() - 30], 20, b"").is_err());
        let mut broken = bytes.clone();
        broken[8..12].copy_from_slice(&1000u32.to_be_bytes());
        assert!(parse(&broken, 20, b"").is_err());
    }
}
