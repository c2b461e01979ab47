//! The rules that make cleaning safe: git-tracked files (and the directories
//! holding them) are never removed, and neither is anything of a submodule;
//! a profile dir is cleaned only while we hold cargo's build lock on it.
//! (That nothing outside the target dir or the workspace is reached is the
//! job of [`super::nofollow`]: every path is resolved from their handles.)

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs::{File, TryLockError};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cargo_perf_engine::git::{GitError, GitRepo};
use cargo_perf_engine::interrupt;

use super::layout::Profile;
use super::nofollow::open_file;

/// Paths git tracks under some roots, and every directory above them; and
/// the submodules registered there.
#[derive(Debug, Default)]
pub(crate) struct Tracked {
    files: HashSet<PathBuf>,
    dirs: HashSet<PathBuf>,
    submodules: HashSet<PathBuf>,
}

impl Tracked {
    /// Asks git for the tracked files under `roots` (those outside the work
    /// tree are skipped), the files of every submodule included.
    pub(crate) fn load(repo: &GitRepo, roots: &[&Path]) -> Result<Self, GitError> {
        let toplevel = repo
            .toplevel
            .canonicalize()
            .unwrap_or_else(|_| repo.toplevel.clone());
        let inside: Vec<&Path> = roots
            .iter()
            .copied()
            .filter(|root| root.starts_with(&toplevel))
            .collect();
        let mut tracked = Tracked::default();
        if inside.is_empty() {
            return Ok(tracked);
        }
        let ls_files = |extra: &str| {
            let mut args: Vec<OsString> = vec!["ls-files".into(), "-z".into(), extra.into()];
            args.extend(["--full-name".into(), "--".into()]);
            args.extend(inside.iter().map(|p| p.as_os_str().to_owned()));
            repo.run(&args)
        };
        // `--stage` shows a submodule as one entry of mode 160000.
        for entry in ls_files("--stage")?.split(|b| *b == 0) {
            let Some(tab) = entry.iter().position(|b| *b == b'\t') else {
                continue;
            };
            let path = toplevel.join(OsStr::from_bytes(&entry[tab + 1..]));
            if entry.starts_with(b"160000 ") {
                tracked.submodules.insert(path);
            } else {
                tracked.add(&toplevel, path);
            }
        }
        if !tracked.submodules.is_empty() {
            let files = ls_files("--recurse-submodules")?;
            for rel in files.split(|b| *b == 0).filter(|p| !p.is_empty()) {
                tracked.add(&toplevel, toplevel.join(OsStr::from_bytes(rel)));
            }
        }
        Ok(tracked)
    }

    /// What git tracks under `target` in the repository that holds it, when
    /// that is not the repository at `known` (the workspace's, asked already):
    /// a target dir may sit in a nested repository or in an unrelated one.
    /// A git query that fails is an error, so nothing there is removed on a guess.
    pub(crate) fn load_target_repo(target: &Path, known: Option<&Path>) -> Result<Self, GitError> {
        let Some(repo) = GitRepo::discover(target)? else {
            return Ok(Tracked::default());
        };
        let toplevel = repo
            .toplevel
            .canonicalize()
            .unwrap_or_else(|_| repo.toplevel.clone());
        if known == Some(toplevel.as_path()) {
            return Ok(Tracked::default());
        }
        Tracked::load(&repo, &[target])
    }

    /// Adds what `other` knows.
    pub(crate) fn merge(&mut self, other: Tracked) {
        self.files.extend(other.files);
        self.dirs.extend(other.dirs);
        self.submodules.extend(other.submodules);
    }

    fn add(&mut self, toplevel: &Path, path: PathBuf) {
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == toplevel || !self.dirs.insert(d.to_owned()) {
                break;
            }
            dir = d.parent();
        }
        self.files.insert(path);
    }

    /// Whether `path` is tracked or is a directory holding a tracked file.
    pub(crate) fn covers(&self, path: &Path) -> bool {
        self.files.contains(path) || self.dirs.contains(path)
    }

    /// Whether `path` is where a submodule is registered.
    pub(crate) fn is_submodule(&self, path: &Path) -> bool {
        self.submodules.contains(path)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Cargo's build lock on a profile dir (`<profile>/.cargo-lock`), held while it lives.
pub(crate) struct BuildLock {
    _file: Option<File>,
}

/// How taking a build lock went.
pub(crate) enum Locking {
    Held(BuildLock),
    /// A running cargo holds it.
    Busy,
}

/// Tries to take the lock (cargo's own `flock`); with `wait`, waits for it
/// (Ctrl-C stops waiting).
pub(crate) fn lock_profile(profile: &Profile, wait: bool) -> io::Result<Locking> {
    let file = match open_file(profile.fd.as_fd(), c".cargo-lock") {
        Ok(file) => file,
        // No cargo ever built here, so none can be building now.
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Ok(Locking::Held(BuildLock { _file: None }));
        }
        Err(err) => return Err(err),
    };
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Locking::Held(BuildLock { _file: Some(file) })),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(err)) => return Err(err),
        }
        if !wait || interrupt::is_interrupted() {
            return Ok(Locking::Busy);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
