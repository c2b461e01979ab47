//! `[[clean.extra]]`: untracked files (or directories) anywhere in the
//! workspace that match a glob, optionally only when larger or older than a
//! limit. The target dir, `.git` and the tool's own state dir are never
//! searched; symlinks are matched as links and never followed.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cargo_perf_policy::ByteSize;
use cargo_perf_policy::sections::clean::Extra;

/// One path an extra rule selected.
#[derive(Debug, Clone)]
pub(crate) struct ExtraMatch {
    pub path: PathBuf,
    /// Apparent size (what `larger-than` compares).
    pub bytes: u64,
    pub reason: String,
}

/// Walks `root` (skipping `skip`) and returns what the rules select, in path order.
pub(crate) fn find(root: &Path, skip: &[PathBuf], rules: &[Extra], now: i64) -> Vec<ExtraMatch> {
    let mut out = Vec::new();
    if !rules.is_empty() {
        walk(root, root, skip, rules, now, &mut out);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn walk(
    root: &Path,
    dir: &Path,
    skip: &[PathBuf],
    rules: &[Extra],
    now: i64,
    out: &mut Vec<ExtraMatch>,
) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name() == ".git" || skip.contains(&path) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let matched = rules.iter().find(|rule| rule.glob.value.matches(rel));
        if let Some(rule) = matched {
            let (bytes, newest) = if meta.is_dir() {
                tree_usage(&path)
            } else {
                (meta.len(), meta.mtime())
            };
            if let Some(reason) = admits(rule, bytes, now - newest) {
                out.push(ExtraMatch {
                    path,
                    bytes,
                    reason,
                });
                continue;
            }
        }
        if meta.is_dir() {
            walk(root, &path, skip, rules, now, out);
        }
    }
}

/// The reason to remove a match, or `None` when a limit keeps it.
fn admits(rule: &Extra, bytes: u64, age_secs: i64) -> Option<String> {
    let mut reason = format!("matches `[[clean.extra]]` glob `{}`", rule.glob.value);
    if let Some(limit) = rule.larger_than {
        if bytes <= limit.0 {
            return None;
        }
        reason.push_str(&format!(", larger than {}", ByteSize(limit.0)));
    }
    if let Some(limit) = rule.older_than {
        if age_secs < 0 || Duration::from_secs(age_secs as u64) <= limit {
            return None;
        }
        reason.push_str(&format!(", older than {}", super::select::days(limit)));
    }
    Some(reason)
}

/// Apparent size and newest modification time of the files in a tree (links not followed).
fn tree_usage(dir: &Path) -> (u64, i64) {
    let mut bytes = 0;
    let mut newest = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                bytes += meta.len();
                newest = newest.max(meta.mtime());
            }
        }
    }
    (bytes, newest)
}
