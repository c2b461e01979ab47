//! The rules that make cleaning safe: git-tracked files (and the directories
//! holding them) are never removed; every path removed lies inside the
//! target dir or the workspace, checked after resolving its parent; and a
//! profile dir is cleaned only while we hold cargo's build lock on it.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cargo_perf_engine::git::GitRepo;
use cargo_perf_engine::interrupt;

/// Paths git tracks under some roots, and every directory above them.
#[derive(Debug, Default)]
pub(crate) struct Tracked {
    files: HashSet<PathBuf>,
    dirs: HashSet<PathBuf>,
}

impl Tracked {
    /// Asks git once for the tracked files under `roots` (those outside the work tree are skipped).
    pub(crate) fn load(
        repo: &GitRepo,
        roots: &[&Path],
    ) -> Result<Self, cargo_perf_engine::git::GitError> {
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
        let mut args: Vec<std::ffi::OsString> = vec![
            "ls-files".into(),
            "-z".into(),
            "--full-name".into(),
            "--".into(),
        ];
        args.extend(inside.iter().map(|p| p.as_os_str().to_owned()));
        let stdout = repo.run(&args)?;
        for rel in stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
            let path = toplevel.join(String::from_utf8_lossy(rel).as_ref());
            let mut dir = path.parent();
            while let Some(d) = dir {
                if d == toplevel || !tracked.dirs.insert(d.to_owned()) {
                    break;
                }
                dir = d.parent();
            }
            tracked.files.insert(path);
        }
        Ok(tracked)
    }

    /// Whether `path` is tracked or is a directory holding a tracked file.
    pub(crate) fn covers(&self, path: &Path) -> bool {
        self.files.contains(path) || self.dirs.contains(path)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Checks that `path` lies inside `root` once its parent directory is
/// resolved (so a symlinked parent cannot lead elsewhere). `path` itself may
/// be a symlink: it is removed as a link.
pub(crate) fn is_inside(path: &Path, root: &Path) -> bool {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return false;
    };
    if name == ".." || name == "." {
        return false;
    }
    match parent.canonicalize() {
        Ok(parent) => parent.join(name).starts_with(root) && parent.join(name) != root,
        Err(_) => false,
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

/// Tries to take the lock; with `wait`, waits for it (Ctrl-C stops waiting).
pub(crate) fn lock_profile(profile_dir: &Path, wait: bool) -> io::Result<Locking> {
    let file = match File::open(profile_dir.join(".cargo-lock")) {
        Ok(file) => file,
        // No cargo ever built here, so none can be building now.
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Ok(Locking::Held(BuildLock { _file: None }));
        }
        Err(err) => return Err(err),
    };
    loop {
        // SAFETY: flock on a descriptor we own; it is released when `file` closes.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            return Ok(Locking::Held(BuildLock { _file: Some(file) }));
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EWOULDBLOCK) => {}
            Some(libc::EINTR) => continue,
            _ => return Err(err),
        }
        if !wait || interrupt::is_interrupted() {
            return Ok(Locking::Busy);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
