//! The target dir's size by profile and kind: `debug/deps`,
//! `release/incremental`, `cargo-perf/profile`, ... (a directory one level
//! below a top-level one; what else a top-level directory holds counts as
//! its `(files)`, and files at the top as `<target>/(files)`). Sizes are
//! disk blocks with each inode counted once, as `du` and `cargo perf clean`
//! count them, so the total is clean's `clean.target.before` and what clean
//! would reclaim compares with it. Links are not followed, so nothing
//! outside the target dir is counted.

use std::fs;
use std::path::{Path, PathBuf};

use cargo_perf_engine::dashboard::DiskUsage;
use cargo_perf_engine::du::BlockCounter;

/// `None` when the target dir does not exist yet.
pub(super) fn usage(target_dir: &Path, relative: &dyn Fn(&Path) -> PathBuf) -> Option<DiskUsage> {
    let top = fs::read_dir(target_dir).ok()?;
    let mut du = BlockCounter::default();
    let mut entries = Vec::new();
    let mut top_files = 0;
    for entry in top.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(meta) = fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if !meta.is_dir() {
            top_files += du.blocks(&meta);
            continue;
        }
        let mut loose = du.blocks(&meta);
        for inner in fs::read_dir(entry.path()).into_iter().flatten().flatten() {
            let Ok(inner_meta) = fs::symlink_metadata(inner.path()) else {
                continue;
            };
            if inner_meta.is_dir() {
                let bytes = du.tree(&inner.path());
                entries.push((
                    name.clone(),
                    inner.file_name().to_string_lossy().into_owned(),
                    bytes,
                ));
            } else {
                loose += du.blocks(&inner_meta);
            }
        }
        if loose > 0 {
            entries.push((name, "(files)".to_owned(), loose));
        }
    }
    if top_files > 0 {
        let name = target_dir
            .file_name()
            .map_or("target".into(), |n| n.to_string_lossy().into_owned());
        entries.push((name, "(files)".to_owned(), top_files));
    }
    entries.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    Some(DiskUsage {
        target_dir: relative(target_dir),
        total: entries.iter().map(|e| e.2).sum(),
        entries,
    })
}
