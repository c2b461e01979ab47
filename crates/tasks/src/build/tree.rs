//! A snapshot of the source tree (every file outside the target dir, `.git`
//! and the tool's state dir: size and modification time), taken around the
//! builds to find files a build wrote into the sources and files whose
//! modification time lies in the future. Symlinks are recorded, never followed.
//! `Cargo.lock` is left out: cargo itself writes it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use cargo_perf_engine::Workspace;
use cargo_perf_engine::workspace::STATE_DIR;

/// Modification times less than this far ahead are clock noise, not a problem.
const FUTURE_SLACK: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    files: BTreeMap<PathBuf, Stamp>,
}

/// How the tree changed between two snapshots.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    pub created: Vec<PathBuf>,
    pub modified: Vec<PathBuf>,
}

impl Snapshot {
    pub(crate) fn take(workspace: &Workspace) -> Snapshot {
        let mut snapshot = Snapshot::default();
        let skip = [
            workspace.target_dir.clone(),
            workspace.root.join(".git"),
            workspace.root.join(STATE_DIR),
            // Cargo's own lock file, which a build creates or updates.
            workspace.root.join("Cargo.lock"),
        ];
        snapshot.walk(&workspace.root, &skip);
        snapshot
    }

    fn walk(&mut self, dir: &Path, skip: &[PathBuf]) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if skip.contains(&path) {
                continue;
            }
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                // A nested target dir of a non-member package is build output too.
                if path.join("CACHEDIR.TAG").exists() {
                    continue;
                }
                self.walk(&path, skip);
            } else {
                self.files.insert(
                    path,
                    Stamp {
                        len: meta.len(),
                        modified: meta.modified().ok(),
                    },
                );
            }
        }
    }

    /// Files created or modified since `before`.
    pub(crate) fn changes_since(&self, before: &Snapshot) -> Changes {
        let mut changes = Changes::default();
        for (path, stamp) in &self.files {
            match before.files.get(path) {
                None => changes.created.push(path.clone()),
                Some(old) if old != stamp => changes.modified.push(path.clone()),
                Some(_) => {}
            }
        }
        changes
    }

    /// Files whose modification time is ahead of `now`.
    pub(crate) fn in_the_future(&self, now: SystemTime) -> Vec<(PathBuf, Duration)> {
        self.files
            .iter()
            .filter_map(|(path, stamp)| {
                let ahead = stamp.modified?.duration_since(now).ok()?;
                (ahead > FUTURE_SLACK).then(|| (path.clone(), ahead))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_created_modified_and_future_files() {
        let mut before = Snapshot::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let stamp = |len, secs| Stamp {
            len,
            modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)),
        };
        before.files.insert("a".into(), stamp(1, 10));
        before.files.insert("b".into(), stamp(1, 10));
        let mut after = Snapshot::default();
        after.files.insert("a".into(), stamp(1, 10));
        after.files.insert("b".into(), stamp(1, 20));
        after.files.insert("c".into(), stamp(1, 5_000));
        let changes = after.changes_since(&before);
        assert_eq!(changes.created, [PathBuf::from("c")]);
        assert_eq!(changes.modified, [PathBuf::from("b")]);
        assert_eq!(
            after.in_the_future(t0),
            [(PathBuf::from("c"), Duration::from_secs(4_000))]
        );
    }
}
