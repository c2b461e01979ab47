//! Deleting what was selected, never following a symlink (a link is removed
//! as a link) and carrying on past a failure so every failure is reported.
//!
//! A unit's fingerprint goes first, and within it the hash files cargo
//! compares (`lib-foo`, `bin-foo`, ...) before anything else. Cargo decides
//! that a unit is fresh from those files, so from the moment the first one is
//! gone cargo treats the unit as dirty and rebuilds all of it: an interrupted
//! run can never leave a unit that cargo would use half-deleted. If even the
//! first hash file cannot be removed, nothing else of the unit is touched.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A path that could not be removed, and why.
pub(crate) type Failure = (PathBuf, io::Error);

/// Removes a unit: its fingerprint dir (if any) first, then its other entries.
pub(crate) fn remove_unit(fingerprint: Option<&Path>, entries: &[PathBuf]) -> Vec<Failure> {
    let mut failures = Vec::new();
    if let Some(dir) = fingerprint {
        match fingerprint_hash_files(dir) {
            Ok(hash_files) => {
                for file in &hash_files {
                    if let Err(err) = remove_link_or_file(file) {
                        failures.push((file.clone(), err));
                        return failures;
                    }
                }
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => {
                failures.push((dir.to_owned(), err));
                return failures;
            }
        }
        remove_tree(dir, &mut failures);
    }
    for entry in entries {
        remove_tree(entry, &mut failures);
    }
    failures
}

/// Removes a file, a symlink (as a link) or a directory tree.
pub(crate) fn remove_path(path: &Path) -> Vec<Failure> {
    let mut failures = Vec::new();
    remove_tree(path, &mut failures);
    failures
}

/// The files cargo compares to decide freshness: no extension, not `dep-*`.
fn fingerprint_hash_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.contains('.')
                && !name.starts_with("dep-")
                && e.file_type().is_ok_and(|t| t.is_file())
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    Ok(files)
}

fn remove_link_or_file(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

fn remove_tree(path: &Path, failures: &mut Vec<Failure>) {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return,
        Err(err) => return failures.push((path.to_owned(), err)),
    };
    if !meta.is_dir() {
        if let Err(err) = remove_link_or_file(path) {
            failures.push((path.to_owned(), err));
        }
        return;
    }
    match fs::read_dir(path) {
        Ok(entries) => {
            for entry in entries {
                match entry {
                    Ok(entry) => remove_tree(&entry.path(), failures),
                    Err(err) => failures.push((path.to_owned(), err)),
                }
            }
        }
        Err(err) => return failures.push((path.to_owned(), err)),
    }
    match fs::remove_dir(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        // A child that could not be removed was reported already.
        Err(_) if failures.iter().any(|(p, _)| p.starts_with(path)) => {}
        Err(err) => failures.push((path.to_owned(), err)),
        Ok(()) => {}
    }
}
