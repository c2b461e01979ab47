//! File writes that never leave half-written state: write a temporary file in
//! the same directory, then rename it over the target.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Atomically replaces (or creates) `path` with `contents`. An existing file's
/// permissions are kept; a new file gets 0644.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    replace(path, contents, true)
}

/// [`write_atomic`] without waiting for the disk, for a record that is cheap
/// to lose (the last check's report): a run does not pay an `fsync`
/// (milliseconds on a busy disk, on every `cargo perf check`). After a crash
/// the file may be the old one or empty; its reader must cope with both.
pub fn write_atomic_unsynced(path: &Path, contents: &[u8]) -> io::Result<()> {
    replace(path, contents, false)
}

fn replace(path: &Path, contents: &[u8], sync: bool) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mode = fs::metadata(path)
        .map(|m| m.permissions().mode())
        .unwrap_or(0o644);
    let mut temp = tempfile::Builder::new()
        .prefix(".cargo-perf-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(contents)?;
    if sync {
        temp.as_file().sync_all()?;
    }
    fs::set_permissions(temp.path(), fs::Permissions::from_mode(mode))?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
