//! Disk usage as `du` counts it, for every task that reports sizes (clean's
//! reclaim figures, the report's disk section): blocks, not file lengths, so
//! the figures add up to what the disk gives back; a hard-linked inode
//! counted once; links never followed.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Counts blocks, remembering the hard-linked inodes it has counted.
#[derive(Debug, Default)]
pub struct BlockCounter {
    seen: HashSet<(u64, u64)>,
}

impl BlockCounter {
    /// The bytes `meta`'s inode takes, or 0 when it was counted already.
    pub fn blocks(&mut self, meta: &fs::Metadata) -> u64 {
        if meta.nlink() > 1 && !meta.is_dir() && !self.seen.insert((meta.dev(), meta.ino())) {
            return 0;
        }
        meta.blocks() * 512
    }

    /// The bytes of `path` and, when it is a directory, everything under it.
    pub fn tree(&mut self, path: &Path) -> u64 {
        let mut total = 0;
        let mut stack = vec![path.to_owned()];
        while let Some(path) = stack.pop() {
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            total += self.blocks(&meta);
            if meta.is_dir() {
                stack.extend(
                    fs::read_dir(&path)
                        .into_iter()
                        .flatten()
                        .flatten()
                        .map(|e| e.path()),
                );
            }
        }
        total
    }
}
