//! The target dir's size by profile and kind: `debug/deps`,
//! `release/incremental`, `cargo-perf/profile`, ... (a directory one level
//! below a top-level one; files directly inside count as `(files)`).
//! Links are not followed, so nothing outside the target dir is counted.

use std::fs;
use std::path::{Path, PathBuf};

use cargo_perf_engine::dashboard::DiskUsage;

/// `None` when the target dir does not exist yet.
pub(super) fn usage(target_dir: &Path, relative: &dyn Fn(&Path) -> PathBuf) -> Option<DiskUsage> {
    let top = fs::read_dir(target_dir).ok()?;
    let mut entries = Vec::new();
    for entry in top.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if !kind.is_dir() {
            continue;
        }
        let mut loose = 0;
        for inner in fs::read_dir(entry.path()).into_iter().flatten().flatten() {
            let Ok(inner_kind) = inner.file_type() else {
                continue;
            };
            if inner_kind.is_dir() {
                let bytes = size(&inner.path());
                entries.push((
                    name.clone(),
                    inner.file_name().to_string_lossy().into_owned(),
                    bytes,
                ));
            } else if inner_kind.is_file() {
                loose += inner.metadata().map_or(0, |m| m.len());
            }
        }
        if loose > 0 {
            entries.push((name, "(files)".to_owned(), loose));
        }
    }
    entries.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    Some(DiskUsage {
        target_dir: relative(target_dir),
        total: entries.iter().map(|e| e.2).sum(),
        entries,
    })
}

/// Bytes of the regular files under `dir`, links not followed.
fn size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => stack.push(entry.path()),
                Ok(kind) if kind.is_file() => total += entry.metadata().map_or(0, |m| m.len()),
                _ => {}
            }
        }
    }
    total
}
