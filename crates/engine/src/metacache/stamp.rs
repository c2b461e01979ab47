//! What a path looked like when the cache was written, cheaply enough to
//! check on every run: one `stat`. Size, modification and change times,
//! inode and device together change on every edit, rename over, or
//! replacement of a file, and a directory's times change when an entry is
//! added, removed or renamed in it (so a stamped directory stands for its
//! listing). Reading and hashing the files instead costs a read per file for
//! no gain in safety: the racy rule below covers what the times cannot.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// How much of a path is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Depth {
    /// Every field: the path's content or listing is an input.
    Full,
    /// Only whether it exists and what it is (a target's source file: its
    /// edits do not change the metadata, its presence does).
    Presence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Kind {
    Missing,
    File,
    Dir,
    Other,
    /// A `stat` that failed for another reason than absence.
    Unreadable,
}

/// One path's stamp; times in nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamp {
    kind: Kind,
    len: u64,
    mtime: i64,
    ctime: i64,
    ino: u64,
    dev: u64,
}

/// A file changed within this long before the answer was asked for cannot be
/// trusted: a second change in the same tick of a coarse clock would leave
/// its times as they are (git's "racy" rule).
pub(crate) const RACY: Duration = Duration::from_secs(2);

impl Stamp {
    pub(crate) fn of(path: &Path, depth: Depth) -> Stamp {
        let mut stamp = Stamp {
            kind: Kind::Missing,
            len: 0,
            mtime: 0,
            ctime: 0,
            ino: 0,
            dev: 0,
        };
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return stamp,
            Err(_) => {
                stamp.kind = Kind::Unreadable;
                return stamp;
            }
        };
        stamp.kind = if meta.is_file() {
            Kind::File
        } else if meta.is_dir() {
            Kind::Dir
        } else {
            Kind::Other
        };
        if depth == Depth::Full {
            stamp.fill(&meta);
        }
        stamp
    }

    #[cfg(unix)]
    fn fill(&mut self, meta: &std::fs::Metadata) {
        use std::os::unix::fs::MetadataExt;
        let nanos = |secs: i64, nsec: i64| secs.saturating_mul(1_000_000_000).saturating_add(nsec);
        self.len = meta.len();
        self.mtime = nanos(meta.mtime(), meta.mtime_nsec());
        self.ctime = nanos(meta.ctime(), meta.ctime_nsec());
        self.ino = meta.ino();
        self.dev = meta.dev();
    }

    #[cfg(not(unix))]
    fn fill(&mut self, meta: &std::fs::Metadata) {
        let nanos = |time: std::io::Result<SystemTime>| {
            time.ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        };
        self.len = meta.len();
        self.mtime = nanos(meta.modified());
        self.ctime = nanos(meta.created());
    }

    /// Whether the path is usable as a key: it was stamped, and neither of
    /// its times lies within [`RACY`] of `asked` (when cargo was started) or after it.
    pub(crate) fn trusted(&self, asked: SystemTime) -> bool {
        if self.kind == Kind::Unreadable {
            return false;
        }
        let Some(limit) = asked
            .checked_sub(RACY)
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        else {
            return false;
        };
        let limit = i64::try_from(limit.as_nanos()).unwrap_or(i64::MAX);
        self.mtime < limit && self.ctime < limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_changes_the_stamp_and_a_fresh_file_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("Cargo.toml");
        assert_eq!(Stamp::of(&file, Depth::Full).kind, Kind::Missing);
        std::fs::write(&file, "a").unwrap();
        let first = Stamp::of(&file, Depth::Full);
        assert_eq!(first.kind, Kind::File);
        assert!(!first.trusted(SystemTime::now()));
        assert!(first.trusted(SystemTime::now() + Duration::from_secs(3)));
        std::fs::write(&file, "bb").unwrap();
        assert_ne!(Stamp::of(&file, Depth::Full), first);
        // Presence ignores edits.
        let present = Stamp::of(&file, Depth::Presence);
        std::fs::write(&file, "ccc").unwrap();
        assert_eq!(Stamp::of(&file, Depth::Presence), present);
    }

    #[test]
    fn a_new_entry_changes_a_directory_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let old = SystemTime::now() - Duration::from_secs(10);
        std::fs::File::open(dir.path())
            .unwrap()
            .set_modified(old)
            .unwrap();
        let before = Stamp::of(dir.path(), Depth::Full);
        std::fs::create_dir(dir.path().join("new")).unwrap();
        assert_ne!(Stamp::of(dir.path(), Depth::Full), before);
    }
}
