//! Directory reading for the scan, relative to an open directory
//! (`openat`, `fstatat`), as `du` does: each open or stat resolves one name,
//! not the whole path again. Nothing here follows a symlink (`O_NOFOLLOW`,
//! `AT_SYMLINK_NOFOLLOW`).

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// What the scan needs of one entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stat {
    pub bytes: u64,
    pub atime: i64,
    pub mtime: i64,
    pub is_dir: bool,
    pub is_symlink: bool,
}

impl Stat {
    fn from_raw(st: &libc::stat) -> Self {
        let kind = st.st_mode & libc::S_IFMT;
        Stat {
            bytes: st.st_blocks as u64 * 512,
            atime: st.st_atime,
            mtime: st.st_mtime,
            is_dir: kind == libc::S_IFDIR,
            is_symlink: kind == libc::S_IFLNK,
        }
    }
}

/// Opens the directory `name` inside `parent` (or `name` as a path when `parent` is `None`).
pub(crate) fn open_dir(parent: Option<RawFd>, name: &CStr) -> io::Result<OwnedFd> {
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: `name` is a valid C string; the returned descriptor is owned below.
    let fd = unsafe { libc::openat(parent.unwrap_or(libc::AT_FDCWD), name.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub(crate) fn open_path(path: &Path) -> io::Result<OwnedFd> {
    open_dir(None, &c_path(path)?)
}

pub(crate) fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

/// Stats `name` inside the directory `dir`, not following a symlink.
pub(crate) fn stat_at(dir: RawFd, name: &CStr) -> io::Result<Stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `st` is written by fstatat before it is read, on success.
    let rc = unsafe {
        libc::fstatat(
            dir,
            name.as_ptr(),
            st.as_mut_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstatat succeeded, so `st` is initialised.
    let st = unsafe { st.assume_init() };
    Ok(Stat::from_raw(&st))
}

/// An open directory stream over a descriptor.
pub(crate) struct Entries {
    dir: *mut libc::DIR,
}

impl Entries {
    /// Reads the directory `fd` refers to (the descriptor is duplicated, `fd` stays open).
    pub(crate) fn new(fd: &OwnedFd) -> io::Result<Entries> {
        Entries::take(fd.try_clone()?)
    }

    /// Reads the directory `fd` refers to, and closes `fd` when done.
    pub(crate) fn take(fd: OwnedFd) -> io::Result<Entries> {
        // SAFETY: fdopendir takes ownership of the descriptor on success.
        let dir = unsafe { libc::fdopendir(fd.as_raw_fd()) };
        if dir.is_null() {
            return Err(io::Error::last_os_error());
        }
        std::mem::forget(fd);
        Ok(Entries { dir })
    }

    /// The descriptor of the directory, for `*at` calls relative to it.
    pub(crate) fn fd(&self) -> RawFd {
        // SAFETY: `self.dir` is a valid stream until drop.
        unsafe { libc::dirfd(self.dir) }
    }

    /// The next entry's name (`.` and `..` are skipped).
    pub(crate) fn next_name(&mut self) -> Option<&CStr> {
        loop {
            // SAFETY: `self.dir` is a valid stream until drop; the entry lives until the next readdir.
            let entry = unsafe { libc::readdir(self.dir) };
            if entry.is_null() {
                return None;
            }
            // SAFETY: d_name is a NUL-terminated array inside the entry.
            let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
            let bytes = name.to_bytes();
            if bytes != b"." && bytes != b".." {
                return Some(name);
            }
        }
    }
}

impl Drop for Entries {
    fn drop(&mut self) {
        // SAFETY: the stream was opened by fdopendir and is closed once.
        unsafe {
            libc::closedir(self.dir);
        }
    }
}
