//! Deleting what was selected, every step relative to a directory handle
//! reached from the target dir or the workspace root without following a
//! symlink (a link is removed as a link, never entered), carrying on past a
//! failure so every failure is reported.
//!
//! A unit's fingerprint goes first, and within it the hash files cargo
//! compares (`lib-foo`, `bin-foo`, ...) before anything else. Cargo decides
//! that a unit is fresh from those files, so from the moment the first one is
//! gone cargo treats the unit as dirty and rebuilds all of it: an interrupted
//! run can never leave a unit that cargo would use half-deleted. If even the
//! first hash file cannot be removed, nothing else of the unit is touched.

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use super::nofollow::{Anchor, Listing, Unreachable, open_dir, os_name, rmdir, stat, unlink};

/// A path that could not be removed, and why.
#[derive(Debug)]
pub(crate) struct Failure {
    pub path: PathBuf,
    pub error: Unreachable,
}

impl Failure {
    fn io(path: &Path, err: io::Error) -> Self {
        Failure {
            path: path.to_owned(),
            error: Unreachable::Io(err),
        }
    }

    /// Refused rather than failed: the path does not lead where it did.
    pub(crate) fn is_refusal(&self) -> bool {
        !matches!(self.error, Unreachable::Io(_))
    }
}

/// Removes paths below one anchor, keeping the directories it opened.
pub(crate) struct Remover<'a> {
    anchor: &'a Anchor,
    dirs: HashMap<PathBuf, OwnedFd>,
}

impl<'a> Remover<'a> {
    pub(crate) fn new(anchor: &'a Anchor) -> Self {
        Remover {
            anchor,
            dirs: HashMap::new(),
        }
    }

    /// The directory holding `path`, and its name there.
    fn parent(&mut self, path: &Path) -> Result<(BorrowedFd<'_>, CString), Failure> {
        let failure = |error| Failure {
            path: path.to_owned(),
            error,
        };
        let parent = path.parent().unwrap_or(path);
        if !self.dirs.contains_key(parent) {
            let (fd, _) = self.anchor.parent_of(path).map_err(failure)?;
            self.dirs.insert(parent.to_owned(), fd);
        }
        let name = path
            .file_name()
            .map(super::nofollow::c_name)
            .transpose()
            .map_err(|err| failure(err.into()))?
            .ok_or_else(|| failure(Unreachable::Outside(self.anchor.path.clone())))?;
        Ok((self.dirs[parent].as_fd(), name))
    }

    /// Removes a unit: its fingerprint dir (if any) first, then its other entries.
    pub(crate) fn unit(&mut self, fingerprint: Option<&Path>, entries: &[PathBuf]) -> Vec<Failure> {
        let mut failures = Vec::new();
        if let Some(path) = fingerprint {
            match self.parent(path) {
                Ok((parent, name)) => {
                    if !remove_fingerprint(parent, &name, path, &mut failures) {
                        return failures;
                    }
                }
                Err(failure) => return vec![failure],
            }
        }
        for entry in entries {
            match self.parent(entry) {
                Ok((parent, name)) => remove_tree(parent, &name, entry, &mut failures),
                Err(failure) => failures.push(failure),
            }
        }
        failures
    }

    /// Removes a file, a symlink (as a link) or another non-directory entry.
    pub(crate) fn file(&mut self, path: &Path) -> Vec<Failure> {
        let (parent, name) = match self.parent(path) {
            Ok(found) => found,
            Err(failure) => return vec![failure],
        };
        match stat(parent, &name) {
            Ok(st) if st.is_dir() => vec![Failure::io(
                path,
                io::Error::other("it has become a directory since it was listed"),
            )],
            Ok(_) => unlink_quiet(parent, &name)
                .err()
                .map(|err| Failure::io(path, err))
                .into_iter()
                .collect(),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(err) => vec![Failure::io(path, err)],
        }
    }

    /// Removes a file, a link, or a whole directory tree (our own outputs).
    pub(crate) fn tree(&mut self, path: &Path) -> Vec<Failure> {
        let mut failures = Vec::new();
        match self.parent(path) {
            Ok((parent, name)) => remove_tree(parent, &name, path, &mut failures),
            Err(failure) => failures.push(failure),
        }
        failures
    }

    /// Removes a directory that is empty by now (never its contents).
    pub(crate) fn empty_dir(&mut self, path: &Path) -> Vec<Failure> {
        let (parent, name) = match self.parent(path) {
            Ok(found) => found,
            Err(failure) => return vec![failure],
        };
        match rmdir(parent, &name) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => vec![Failure::io(path, err)],
            _ => Vec::new(),
        }
    }
}

/// Removes a fingerprint dir, hash files first; `false` when they could
/// not all go, so that nothing else of the unit may go either.
fn remove_fingerprint(
    parent: BorrowedFd<'_>,
    name: &CStr,
    path: &Path,
    failures: &mut Vec<Failure>,
) -> bool {
    let st = match stat(parent, name) {
        Ok(st) => st,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return true,
        Err(err) => {
            failures.push(Failure::io(path, err));
            return false;
        }
    };
    if !st.is_dir() {
        // A link where cargo keeps a directory: removed as a link, never entered.
        return match unlink_quiet(parent, name) {
            Ok(()) => true,
            Err(err) => {
                failures.push(Failure::io(path, err));
                false
            }
        };
    }
    let fd = match open_dir(parent, name) {
        Ok(fd) => fd,
        Err(err) => {
            failures.push(Failure::io(path, err));
            return false;
        }
    };
    let hash_files = match hash_files(&fd) {
        Ok(files) => files,
        Err(err) => {
            failures.push(Failure::io(path, err));
            return false;
        }
    };
    for file in &hash_files {
        if let Err(err) = unlink_quiet(fd.as_fd(), file) {
            failures.push(Failure::io(&path.join(os_name(file)), err));
            return false;
        }
    }
    remove_contents(&fd, path, failures);
    remove_dir(parent, name, path, failures);
    true
}

/// The files cargo compares to decide freshness: no extension, not `dep-*`.
fn hash_files(dir: &OwnedFd) -> io::Result<Vec<CString>> {
    let names = Listing::new(dir.as_fd())?.names()?;
    Ok(names
        .into_iter()
        .filter(|name| {
            let bytes = name.to_bytes();
            !bytes.contains(&b'.')
                && !bytes.starts_with(b"dep-")
                && stat(dir.as_fd(), name).is_ok_and(|s| s.kind == super::nofollow::Type::File)
        })
        .collect())
}

fn unlink_quiet(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    match unlink(dir, name) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Removes `name` inside `parent`: a file or link, or a directory tree.
fn remove_tree(parent: BorrowedFd<'_>, name: &CStr, path: &Path, failures: &mut Vec<Failure>) {
    let st = match stat(parent, name) {
        Ok(st) => st,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return,
        Err(err) => return failures.push(Failure::io(path, err)),
    };
    if !st.is_dir() {
        if let Err(err) = unlink_quiet(parent, name) {
            failures.push(Failure::io(path, err));
        }
        return;
    }
    match open_dir(parent, name) {
        Ok(fd) => remove_contents(&fd, path, failures),
        Err(err) => return failures.push(Failure::io(path, err)),
    }
    remove_dir(parent, name, path, failures);
}

fn remove_contents(dir: &OwnedFd, path: &Path, failures: &mut Vec<Failure>) {
    match Listing::new(dir.as_fd()).and_then(Listing::names) {
        Ok(names) => {
            for name in names {
                remove_tree(dir.as_fd(), &name, &path.join(os_name(&name)), failures);
            }
        }
        Err(err) => failures.push(Failure::io(path, err)),
    }
}

fn remove_dir(parent: BorrowedFd<'_>, name: &CStr, path: &Path, failures: &mut Vec<Failure>) {
    match rmdir(parent, name) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        // A child that could not be removed was reported already.
        Err(_) if failures.iter().any(|f| f.path.starts_with(path)) => {}
        Err(err) => failures.push(Failure::io(path, err)),
        Ok(()) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_behind_links_loses_only_the_links() {
        let temp = tempfile::tempdir().unwrap();
        let target = temp.path().canonicalize().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("lib-foo"), "hash").unwrap();
        let fingerprints = target.join("debug/.fingerprint");
        std::fs::create_dir_all(&fingerprints).unwrap();
        std::fs::create_dir_all(target.join("debug/deps")).unwrap();
        let fingerprint = fingerprints.join("foo-0123456789abcdef");
        std::os::unix::fs::symlink(outside.path(), &fingerprint).unwrap();
        let rlib = target.join("debug/deps/libfoo-0123456789abcdef.rlib");
        std::fs::write(&rlib, "rlib").unwrap();
        let anchor = Anchor::open(&target).unwrap();

        let failures = Remover::new(&anchor).unit(Some(&fingerprint), std::slice::from_ref(&rlib));
        assert!(failures.is_empty(), "{failures:?}");
        assert!(std::fs::symlink_metadata(&fingerprint).is_err());
        assert!(std::fs::symlink_metadata(&rlib).is_err());
        assert!(outside.path().join("lib-foo").exists());
    }

    #[test]
    fn a_directory_replaced_by_a_link_since_the_scan_is_refused() {
        let temp = tempfile::tempdir().unwrap();
        let target = temp.path().canonicalize().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("libfoo-0123456789abcdef.rlib"), "keep").unwrap();
        std::fs::create_dir_all(target.join("debug")).unwrap();
        std::os::unix::fs::symlink(outside.path(), target.join("debug/deps")).unwrap();
        let anchor = Anchor::open(&target).unwrap();

        let rlib = target.join("debug/deps/libfoo-0123456789abcdef.rlib");
        let failures = Remover::new(&anchor).unit(None, &[rlib]);
        assert_eq!(failures.len(), 1);
        assert!(failures[0].is_refusal(), "{failures:?}");
        assert!(outside.path().join("libfoo-0123456789abcdef.rlib").exists());
    }
}
