//! The one place `clean` touches the filesystem. Every step is relative to
//! an open directory handle and resolves exactly one name without following
//! a symlink (`openat` with `O_NOFOLLOW | O_DIRECTORY`, `fstatat` with
//! `AT_SYMLINK_NOFOLLOW`, `unlinkat`), as `du` and `rm -r` do, so no symlink
//! anywhere below the target dir or the workspace can redirect a stat, a
//! listing, a read or a removal elsewhere: a link is at most removed as a link.
//! The syscalls come from `rustix`, so none of this needs `unsafe`.

use std::ffi::{CStr, CString, OsStr};
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, CWD, Dir, FileType, Mode, OFlags};

/// What kind of entry a name is, seen without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    Dir,
    File,
    Symlink,
    /// A FIFO, socket or device node.
    Other,
}

/// What clean needs of one entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stat {
    pub kind: Type,
    /// Disk usage: allocated blocks, as `du` counts them.
    pub bytes: u64,
    /// Apparent size.
    pub len: u64,
    pub atime: i64,
    pub mtime: i64,
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
}

impl Stat {
    // The field types of `struct stat` differ between architectures
    // (`st_nlink` is 32 bits on aarch64): the conversions are not useless there.
    #[allow(clippy::useless_conversion)]
    fn from_raw(st: &rustix::fs::Stat) -> Self {
        let kind = match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory => Type::Dir,
            FileType::RegularFile => Type::File,
            FileType::Symlink => Type::Symlink,
            _ => Type::Other,
        };
        Stat {
            kind,
            bytes: u64::try_from(st.st_blocks).unwrap_or(0) * 512,
            len: u64::try_from(st.st_size).unwrap_or(0),
            atime: i64::from(st.st_atime),
            mtime: i64::from(st.st_mtime),
            dev: u64::from(st.st_dev),
            ino: u64::from(st.st_ino),
            nlink: u64::from(st.st_nlink),
        }
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.kind == Type::Dir
    }

    pub(crate) fn is_symlink(&self) -> bool {
        self.kind == Type::Symlink
    }

    /// Whether the inode has other names, so its blocks must be counted once.
    pub(crate) fn is_shared(&self) -> bool {
        self.kind != Type::Dir && self.nlink > 1
    }
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Opens the directory `name` inside `parent`; a symlink there is an error, never followed.
pub(crate) fn open_dir(parent: BorrowedFd<'_>, name: &CStr) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(parent, name, DIR_FLAGS, Mode::empty())?)
}

/// Stats `name` inside `dir`, not following a symlink.
pub(crate) fn stat(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<Stat> {
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    Ok(Stat::from_raw(&st))
}

pub(crate) fn fstat(fd: BorrowedFd<'_>) -> io::Result<Stat> {
    Ok(Stat::from_raw(&rustix::fs::fstat(fd)?))
}

/// Removes the non-directory `name` inside `dir` (a symlink as a link).
pub(crate) fn unlink(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    Ok(rustix::fs::unlinkat(dir, name, AtFlags::empty())?)
}

/// Removes the empty directory `name` inside `dir`.
pub(crate) fn rmdir(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    Ok(rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)?)
}

/// Opens the regular file `name` inside `dir` for reading. A symlink, FIFO
/// or device is refused (opening never blocks, thanks to `O_NONBLOCK`).
pub(crate) fn open_file(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<File> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    regular(rustix::fs::openat(dir, name, flags, Mode::empty())?)
}

/// As [`open_file`], and reading it leaves its access time alone
/// (`O_NOATIME`) where we may ask that (we own it, or are root): the access
/// time of what we read is how the next run tells when a unit was last used.
pub(crate) fn open_file_noatime(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<File> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    match rustix::fs::openat(dir, name, flags | OFlags::NOATIME, Mode::empty()) {
        Err(rustix::io::Errno::PERM) => open_file(dir, name),
        opened => regular(opened?),
    }
}

fn regular(fd: OwnedFd) -> io::Result<File> {
    if fstat(fd.as_fd())?.kind != Type::File {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(File::from(fd))
}

/// The entries of a directory, `.` and `..` left out.
pub(crate) struct Listing(Dir);

impl Listing {
    /// Lists the directory `fd` refers to (through a descriptor of its own; `fd` stays usable).
    pub(crate) fn new(fd: BorrowedFd<'_>) -> io::Result<Listing> {
        Ok(Listing(Dir::read_from(fd)?))
    }

    /// Lists the directory `fd` refers to, through `fd` itself.
    pub(crate) fn take(fd: OwnedFd) -> io::Result<Listing> {
        Ok(Listing(Dir::new(fd)?))
    }

    /// The directory's descriptor, for steps relative to it.
    pub(crate) fn fd(&self) -> io::Result<BorrowedFd<'_>> {
        Ok(self.0.fd()?)
    }

    pub(crate) fn next_entry(&mut self) -> Option<io::Result<rustix::fs::DirEntry>> {
        loop {
            match self.0.read()? {
                Ok(entry) if matches!(entry.file_name().to_bytes(), b"." | b"..") => {}
                Ok(entry) => return Some(Ok(entry)),
                Err(err) => return Some(Err(err.into())),
            }
        }
    }

    /// Every name, in byte order.
    pub(crate) fn names(mut self) -> io::Result<Vec<CString>> {
        let mut names = Vec::new();
        while let Some(entry) = self.next_entry() {
            names.push(entry?.file_name().to_owned());
        }
        names.sort();
        Ok(names)
    }
}

pub(crate) fn c_name(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

pub(crate) fn os_name(name: &CStr) -> &OsStr {
    OsStr::from_bytes(name.to_bytes())
}

/// Why a path below an anchor could not be reached.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unreachable {
    #[error("it is not below {}", .0.display())]
    Outside(PathBuf),
    #[error("`{}` on its path is a symlink or not a directory, and is never followed", .0.display())]
    Redirected(PathBuf),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// A directory opened once (the target dir, the workspace root): every path
/// below it is reached from this handle, one component at a time.
#[derive(Debug)]
pub(crate) struct Anchor {
    fd: OwnedFd,
    pub path: PathBuf,
    pub stat: Stat,
}

impl Anchor {
    /// Opens `path` (already canonical) as a directory.
    pub(crate) fn open(path: &Path) -> io::Result<Anchor> {
        let fd = rustix::fs::openat(CWD, path, DIR_FLAGS, Mode::empty())?;
        let stat = fstat(fd.as_fd())?;
        Ok(Anchor {
            fd,
            path: path.to_owned(),
            stat,
        })
    }

    /// A descriptor of the anchor of its own.
    pub(crate) fn dup(&self) -> io::Result<OwnedFd> {
        self.fd.try_clone()
    }

    /// Opens the directory `path`, the anchor or below it, without following any symlink.
    pub(crate) fn open_dir(&self, path: &Path) -> Result<OwnedFd, Unreachable> {
        let rel = path
            .strip_prefix(&self.path)
            .map_err(|_| Unreachable::Outside(self.path.clone()))?;
        let mut fd = self.dup()?;
        let mut reached = self.path.clone();
        for component in rel.components() {
            let Component::Normal(name) = component else {
                return Err(Unreachable::Outside(self.path.clone()));
            };
            reached.push(name);
            fd = match open_dir(fd.as_fd(), &c_name(name)?) {
                Ok(next) => next,
                Err(err) if is_redirect(&err) => return Err(Unreachable::Redirected(reached)),
                Err(err) => return Err(err.into()),
            };
        }
        Ok(fd)
    }

    /// The directory holding `path` (opened as [`Anchor::open_dir`] does) and its last name.
    pub(crate) fn parent_of(&self, path: &Path) -> Result<(OwnedFd, CString), Unreachable> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(Unreachable::Outside(self.path.clone()));
        };
        if !parent.starts_with(&self.path) {
            return Err(Unreachable::Outside(self.path.clone()));
        }
        Ok((self.open_dir(parent)?, c_name(name)?))
    }
}

/// An open on a name that is a symlink (`ELOOP`) or not a directory (`ENOTDIR`).
fn is_redirect(err: &io::Error) -> bool {
    let code = err.raw_os_error();
    code == Some(rustix::io::Errno::LOOP.raw_os_error())
        || code == Some(rustix::io::Errno::NOTDIR.raw_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_on_the_way_is_refused_and_a_path_elsewhere_is_outside() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("inside/real")).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), root.join("inside/link")).unwrap();
        let anchor = Anchor::open(&root).unwrap();

        assert!(anchor.open_dir(&root.join("inside/real")).is_ok());
        match anchor.open_dir(&root.join("inside/link/deeper")) {
            Err(Unreachable::Redirected(at)) => assert_eq!(at, root.join("inside/link")),
            other => panic!("followed the link: {other:?}"),
        }
        assert!(matches!(
            anchor.parent_of(elsewhere.path()),
            Err(Unreachable::Outside(_))
        ));
        assert!(matches!(
            anchor.open_dir(&root.join("inside/../inside")),
            Err(Unreachable::Outside(_))
        ));
        let link = stat(anchor.fd.as_fd(), c"inside").unwrap();
        assert!(link.is_dir());
    }
}
